"""tests/fixtures/slack_validator: the calls Slack would refuse are refused, the ones it takes are not."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.slack_validator import check_calls


def post(**args) -> dict:
    return {"method": "chat.postMessage", "args": {"channel": "C1", "text": "hi"} | args}


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def refusals(*records: dict) -> list[str]:
    return [problem.message for problem in check_calls(records) if problem.fails]


def test_a_plain_message_passes():
    assert check_calls([post(blocks=[section("hello")], thread_ts="1.1")]) == []


def test_an_unknown_method_is_refused():
    assert refusals({"method": "chat.postMessages", "args": {"channel": "C1", "text": "hi"}}) == [
        "unknown method 'chat.postMessages'"
    ]


def test_an_unknown_argument_is_refused_but_token_and_team_id_are_accepted():
    assert refusals(post(thread="1.1", token="xoxb-1", team_id="T1")) == ["unknown argument 'thread'"]


def test_a_missing_required_argument_is_refused():
    assert refusals({"method": "reactions.add", "args": {"channel": "C1", "timestamp": "1.1"}}) == [
        "missing required argument 'name'"
    ]


def test_a_message_needs_content_and_markdown_text_stands_alone():
    assert refusals({"method": "chat.postMessage", "args": {"channel": "C1"}})
    assert refusals(post(markdown_text="**hi**"))


def test_blocks_without_fallback_text_are_only_a_warning():
    (problem,) = check_calls([{"method": "chat.postMessage", "args": {"channel": "C1", "blocks": [section("x")]}}])
    assert not problem.fails


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        ([section("x")] * 51, "51 blocks, limit 50"),
        ([section("x" * 3001)], "section text is 3001 chars, limit 3000"),
        ([section("")], "section text is empty"),
        ([{"type": "section"}], "a section needs text or fields"),
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
         "header text is 151 chars, limit 150"),
        ([{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}], "11 context elements, limit 10"),
        ([{"type": "markdown", "text": "m" * 12001}], "markdown text is 12001 chars, limit 12000"),
        ([section("x") | {"block_id": "b" * 256}], "block_id is 256 chars, limit 255"),
        ([{"text": {"type": "mrkdwn", "text": "x"}}], "a block needs a type"),
        ("not json", "blocks is not a list"),
    ],
)
def test_block_kit_limits_are_enforced(blocks, expected):
    assert refusals(post(blocks=blocks)) == [expected]


def test_buttons_are_checked_in_actions_and_accessories():
    button = {"type": "button", "text": {"type": "plain_text", "text": "b" * 76}, "value": "v" * 2001}
    blocks = [{"type": "actions", "elements": [button]}, section("x") | {"accessory": button}]
    assert refusals(post(blocks=blocks)) == [
        "button text is 76 chars, limit 75", "button value is 2001 chars, limit 2000",
    ] * 2


def test_message_text_limits_depend_on_the_method():
    assert refusals(post(text="t" * 40_001)) == ["40001 chars; Slack truncates above 40000"]
    update = {"method": "chat.update", "args": {"channel": "C1", "ts": "1.1", "text": "t" * 4001}}
    assert refusals(update) == ["4001 chars, over 4000 (msg_too_long)"]
    (advice,) = check_calls([post(text="t" * 4001)])
    assert not advice.fails


def test_views_may_hold_100_blocks_and_form_encoded_json_is_read():
    view = {"type": "home", "blocks": [section("x")] * 100}
    assert refusals({"method": "views.publish", "args": {"user_id": "U1", "view": json.dumps(view)}}) == []
    view["blocks"].append(section("x"))
    assert refusals({"method": "views.publish", "args": {"user_id": "U1", "view": view}}) == [
        "101 blocks, limit 100"
    ]


# Every call shape above, plus a few more, judged by both validators: they agree on pass/fail per call.
AGREEMENT_CASES = [
    post(),
    post(thread="1"),
    post(blocks=[section("x" * 3001)]),
    post(blocks=[section("x")] * 51),
    post(text="t" * 40_001),
    post(markdown_text="m"),
    {"method": "chat.postMessage", "args": {"channel": "C1"}},
    {"method": "chat.update", "args": {"channel": "C1", "ts": "1.1", "text": "t" * 4001}},
    {"method": "reactions.add", "args": {"channel": "C1", "timestamp": "1.1"}},
    {"method": "nope.nothing", "args": {}},
    {"method": "files.getUploadURLExternal", "args": {"filename": "a.txt", "length": 3}},
    {"method": "apps.connections.open", "args": {}},
    {"method": "views.publish", "args": {"user_id": "U1", "view": {"type": "home", "blocks": [section("x")] * 101}}},
    {"method": "chat.unfurl", "args": {"channel": "C1", "ts": "1.1",
                                       "unfurls": {"https://a": {"blocks": [{"type": "header"}] * 51}}}},
    post(blocks=[{"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "b" * 76},
                                                  "action_id": "a" * 256}]}]),
    post(attachments=[{"blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}]}]),
]


def test_it_agrees_with_the_shared_checker(shared_dir: Path, tmp_path: Path):
    checker = shared_dir / "tools" / "check_slack_calls.py"
    ours, theirs = [], []
    for i, record in enumerate(AGREEMENT_CASES):
        log = tmp_path / f"{i}.jsonl"
        log.write_text(json.dumps(record) + "\n", encoding="utf-8")
        run = subprocess.run([sys.executable, str(checker), str(log)], capture_output=True, text=True, timeout=60)
        theirs.append(run.returncode)
        ours.append(1 if refusals(record) else 0)
    assert ours == theirs
