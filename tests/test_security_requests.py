"""Hostile requests at /slack/events: forged or stale signatures, replays, oversized and malformed bodies.

Each is refused (4xx) or ignored (200) and leaves no trace: no listener posts, claims or saves anything,
and the app answers the genuine request that follows. None gets a 500. (A wrong secret, a stale
timestamp and a missing signature on one surface each: test_slack_requests.py.)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import time
import urllib.parse
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from bot.app import MAX_BODY_BYTES
from bot.store import RequestRow
from tests.fixtures.app import running_app, summaries, wait_until_finished
from tests.fixtures.slack_payloads import (
    CHANNEL,
    SIGNING_SECRET,
    TEAM,
    event_body,
    event_payload,
    interaction_body,
    sign,
    summarize_command,
)

BOT = "U0442US8QGH"
JSON, FORM = "application/json", "application/x-www-form-urlencoded"


# -- sending -----------------------------------------------------------------------------------------------
def post(slack_app, body: bytes, content_type: str, headers: dict[str, str]):
    return slack_app.send.session.post(slack_app.url + "/slack/events", data=body, timeout=10,
                                       headers={"Content-Type": content_type} | headers)


def requests_that_would_act(slack_app, slack_api, web_site) -> list[tuple[bytes, str]]:
    """One request per kind of door, each of which would leave a trace if a listener ran it."""
    link = web_site.url("/news/plain-article")
    return [
        (event_body("event_callback.message.bare_link.json", link=link, ts=slack_api.next_ts()), JSON),
        (summarize_command("auto off", response_url=slack_api.response_url("command")), FORM),
        (interaction_body("interactivity.message_action.json", response_url=slack_api.response_url("shortcut"),
                          text=f"<{link}>", channel=CHANNEL, message_ts=slack_api.next_ts(),
                          callback_id="summarize_message"), FORM),
    ]


def help_mention(slack_api, ts: str | None = None) -> bytes:
    """``@app help``: its listener answers with an ephemeral note, so each run of it can be counted."""
    return event_body("event_callback.app_mention.docs.json", text=f"<@{BOT}> help", channel=CHANNEL,
                      ts=ts or slack_api.next_ts(), team_id=TEAM)


def answer_a_genuine_request(slack_app, slack_api) -> None:
    """Send a genuine ``@app help`` and wait for its note: what was sent before it has had its turn."""
    ts = slack_api.next_ts()
    assert slack_app.send.event(help_mention(slack_api, ts)).status_code == 200
    slack_api.wait_for(lambda: [n for n in notes(slack_api) if n.args.get("thread_ts") == ts])


def notes(slack_api) -> list:
    return slack_api.calls("chat.postEphemeral")


def assert_no_trace(slack_app, slack_api, *, notes_expected: int = 0) -> None:
    """A genuine request is still answered, and nothing else happened: no Slack call besides that answer
    (and Bolt's one auth.test), no claimed request, the channel's settings untouched."""
    answer_a_genuine_request(slack_app, slack_api)
    assert len(notes(slack_api)) == notes_expected + 1
    assert [c.method for c in slack_api.calls() if c.method not in ("auth.test", "chat.postEphemeral")] == []
    assert slack_api.responses("command") == slack_api.responses("shortcut") == []
    with slack_app.ctx.store.engine.connect() as db:
        assert db.scalar(select(func.count()).select_from(RequestRow)) == 0
    assert slack_app.ctx.preferences(TEAM, CHANNEL).auto_mode is True  # `/summarize auto off` did not run


@pytest.fixture
def no_errors_logged(caplog):
    """Nothing the app logs is an error: a refused request is routine, not a crash."""
    caplog.set_level(logging.WARNING)
    yield
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


# -- 1. signatures -------------------------------------------------------------------------------------------
def _sign_raw(body: bytes, timestamp: str, secret: str) -> str:
    """A v0 signature over any timestamp text, even one that is not a number."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


Forgery = Callable[[bytes, int], dict[str, str]]
FORGERIES: dict[str, Forgery] = {
    "signed with another secret": lambda b, t: sign(b, "not-the-signing-secret", t),
    "signature of another body": lambda b, t: sign(b + b" ", SIGNING_SECRET, t),
    "timestamp changed after signing": lambda b, t: sign(b, SIGNING_SECRET, t) | {
        "X-Slack-Request-Timestamp": str(t - 1)},
    "no v0= prefix": lambda b, t: {"X-Slack-Request-Timestamp": str(t),
                                   "X-Slack-Signature": _sign_raw(b, str(t), SIGNING_SECRET)[3:]},
    "v1= scheme": lambda b, t: {"X-Slack-Request-Timestamp": str(t),
                                "X-Slack-Signature": "v1=" + _sign_raw(b, str(t), SIGNING_SECRET)[3:]},
    "upper-case digest": lambda b, t: {"X-Slack-Request-Timestamp": str(t),
                                       "X-Slack-Signature": "v0=" + _sign_raw(b, str(t), SIGNING_SECRET)[3:].upper()},
    "truncated signature": lambda b, t: {"X-Slack-Request-Timestamp": str(t),
                                         "X-Slack-Signature": _sign_raw(b, str(t), SIGNING_SECRET)[:-2]},
    "empty signature": lambda b, t: {"X-Slack-Request-Timestamp": str(t), "X-Slack-Signature": ""},
    "no signature header": lambda b, t: {"X-Slack-Request-Timestamp": str(t)},
    "no timestamp header": lambda b, t: {"X-Slack-Signature": _sign_raw(b, str(t), SIGNING_SECRET)},
    "timestamp not a number": lambda b, t: {"X-Slack-Request-Timestamp": "soon",
                                            "X-Slack-Signature": _sign_raw(b, "soon", SIGNING_SECRET)},
}


@pytest.mark.parametrize("forgery", FORGERIES)
def test_a_forged_signature_is_refused_on_every_door_and_leaves_no_trace(forgery, slack_app, slack_api, web_site,
                                                                        no_errors_logged):
    for body, content_type in requests_that_would_act(slack_app, slack_api, web_site):
        response = post(slack_app, body, content_type, FORGERIES[forgery](body, int(time.time())))
        assert response.status_code == (400 if forgery == "timestamp not a number" else 401)

    assert_no_trace(slack_app, slack_api)


STALE = {
    "5 min 10 s old": -310,
    "an hour old": -3600,
    "a year old": -365 * 86400,
    "5 min 10 s ahead": 310,
    "an hour ahead": 3600,
    "a year ahead": 365 * 86400,
}


@pytest.mark.parametrize("age", STALE)
def test_a_correctly_signed_request_outside_five_minutes_is_refused_and_leaves_no_trace(age, slack_app, slack_api,
                                                                                       web_site, no_errors_logged):
    for body, content_type in requests_that_would_act(slack_app, slack_api, web_site):
        timestamp = int(time.time()) + STALE[age]  # signed just before sending, so the margin holds
        assert post(slack_app, body, content_type, sign(body, SIGNING_SECRET, timestamp)).status_code == 401

    assert_no_trace(slack_app, slack_api)


@pytest.mark.parametrize("timestamp", [0, -1, 10**12])
def test_an_absurd_signed_timestamp_is_refused(timestamp, slack_app, slack_api, web_site, no_errors_logged):
    for body, content_type in requests_that_would_act(slack_app, slack_api, web_site):
        assert post(slack_app, body, content_type, sign(body, SIGNING_SECRET, timestamp)).status_code == 401

    assert_no_trace(slack_app, slack_api)


# -- 2. replays ----------------------------------------------------------------------------------------------
def test_an_exact_replay_runs_no_listener_a_second_time(slack_app, slack_api, caplog):
    body = help_mention(slack_api)
    headers = {"Content-Type": JSON} | sign(body, SIGNING_SECRET)

    first = slack_app.send.session.post(slack_app.url + "/slack/events", data=body, headers=headers)
    replays = [slack_app.send.session.post(slack_app.url + "/slack/events", data=body, headers=headers)
               for _ in range(3)]

    assert first.status_code == 200 and [r.status_code for r in replays] == [200] * 3  # ignored, not retried
    assert_no_trace_but(slack_app, slack_api, notes_before=1)
    assert sum("replayed Slack request" in r.getMessage() for r in caplog.records) == 3


def assert_no_trace_but(slack_app, slack_api, notes_before: int) -> None:
    """The genuine help mention that follows is answered; the replays added no note of their own."""
    answer_a_genuine_request(slack_app, slack_api)
    assert len(notes(slack_api)) == notes_before + 1


def test_a_replayed_summarize_is_ignored_and_gets_no_second_working_note(slack_app, slack_api, web_site):
    body = summarize_command(web_site.url("/news/plain-article"), response_url=slack_api.response_url("command"))
    headers = {"Content-Type": FORM} | sign(body, SIGNING_SECRET)

    first = slack_app.send.session.post(slack_app.url + "/slack/events", data=body, headers=headers)
    replay = slack_app.send.session.post(slack_app.url + "/slack/events", data=body, headers=headers)

    assert first.text.startswith(":hourglass_flowing_sand: Working on") and (replay.status_code, replay.text) == (
        200, "")
    slack_api.wait_for(lambda: summaries(slack_api), timeout=15)
    assert len([p for p in slack_api.posts() if p["text"].startswith("Summary of ")]) == 1


def test_a_replay_with_a_made_up_retry_number_is_still_a_replay(slack_app, slack_api):
    body = help_mention(slack_api)
    headers = {"Content-Type": JSON} | sign(body, SIGNING_SECRET)
    slack_app.send.session.post(slack_app.url + "/slack/events", data=body, headers=headers)

    for made_up in ("0", "7", "-1", "01"):
        slack_app.send.session.post(slack_app.url + "/slack/events", data=body,
                                    headers=headers | {"X-Slack-Retry-Num": made_up})

    assert_no_trace_but(slack_app, slack_api, notes_before=1)


def test_a_replay_sent_to_another_replica_is_ignored_too(slack_app, slack_api, app_settings):
    body = help_mention(slack_api)
    headers = {"Content-Type": JSON} | sign(body, SIGNING_SECRET)
    slack_app.send.session.post(slack_app.url + "/slack/events", data=body, headers=headers)

    with running_app(app_settings) as replica:  # same database: the replay guard is shared
        replica.send.session.post(replica.url + "/slack/events", data=body, headers=headers)

    assert_no_trace_but(slack_app, slack_api, notes_before=1)


def test_slacks_retry_of_a_lost_delivery_is_let_in_and_answered(slack_app, slack_api, web_site):
    """Slack signs each retry anew; one whose first delivery never arrived is an ordinary request."""
    payload = event_payload("event_callback.message.bare_link.json", link=web_site.url("/news/plain-article"),
                            ts=slack_api.next_ts())

    assert slack_app.send.event(payload, retry_num=1, retry_reason="http_timeout").status_code == 200

    wait_until_finished(slack_api, CHANNEL, payload["event"]["ts"])
    assert len(summaries(slack_api)) == 1


def test_slacks_retry_signed_in_the_same_second_is_let_in_and_deduplicated(slack_app, slack_api, web_site):
    """A retry can carry the very signature of the delivery it repeats (same body, same second): the
    retry number keeps it from counting as a replay; the event_id keeps it from summarizing twice."""
    payload = event_payload("event_callback.message.bare_link.json", link=web_site.url("/news/plain-article"),
                            ts=slack_api.next_ts())
    body, timestamp = json.dumps(payload).encode(), int(time.time())

    for retry in (None, 1, 2, 3):
        extra = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_error"} if retry else {}
        assert post(slack_app, body, JSON, sign(body, SIGNING_SECRET, timestamp) | extra).status_code == 200

    wait_until_finished(slack_api, CHANNEL, payload["event"]["ts"])
    assert len(summaries(slack_api)) == 1
    assert [c.args["name"] for c in slack_api.calls("reactions.add")].count("hourglass_flowing_sand") == 1


# -- 3. oversized bodies -------------------------------------------------------------------------------------
def raw_post(slack_app, content_length: str, sent: bytes) -> int:
    """POST with a Content-Length of our choosing, sending only ``sent``; the status the app answers.

    If the app waited for the announced body the read would time out: the test fails, it does not hang.
    """
    host, port = urllib.parse.urlsplit(slack_app.url).netloc.split(":")
    headers = sign(sent, SIGNING_SECRET)
    head = (f"POST /slack/events HTTP/1.1\r\nHost: {host}\r\nContent-Type: {JSON}\r\n"
            f"Content-Length: {content_length}\r\n"
            + "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n").encode()
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(head + sent)
        answer = connection.makefile("rb").readline()
    return int(answer.split()[1])


@pytest.mark.parametrize("announced", [MAX_BODY_BYTES + 1, 50_000_000, 10**15])
def test_an_oversized_body_is_refused_from_its_content_length_without_reading_it(announced, slack_app, slack_api,
                                                                                no_errors_logged):
    assert raw_post(slack_app, str(announced), b'{"type": "event_callback", "padding": "') == 413
    assert_no_trace(slack_app, slack_api)


@pytest.mark.parametrize("length", ["lots", "-5", "1e3"])
def test_a_nonsense_content_length_is_a_bad_request(length, slack_app, slack_api, no_errors_logged):
    assert raw_post(slack_app, length, b"{}") == 400
    assert_no_trace(slack_app, slack_api)


def test_a_big_body_under_the_cap_is_still_handled(slack_app, slack_api, no_errors_logged):
    """The cap leaves room for Slack's largest payloads: 900 KB of a signed event goes through."""
    payload = event_payload("event_callback.reaction_added.docs.json", team_id=TEAM, reaction="thumbsup",
                            item={"type": "message", "channel": CHANNEL, "ts": slack_api.next_ts()})
    payload["event"]["padding"] = "x" * 900_000
    assert slack_app.send.event(payload).status_code == 200
    assert_no_trace(slack_app, slack_api)


# -- 4. malformed bodies with a valid signature --------------------------------------------------------------
def _form(**fields: str) -> bytes:
    return urllib.parse.urlencode(fields).encode()


def _interaction(payload: dict) -> bytes:
    return _form(payload=json.dumps(payload))


MALFORMED = {
    "truncated JSON": (JSON, b'{"type": "event_callback", "event": {'),
    "not JSON at all": (JSON, b"hello"),
    "a JSON list": (JSON, b"[]"),
    "a JSON string": (JSON, b'"event_callback"'),
    "JSON null": (JSON, b"null"),
    "not UTF-8": (JSON, b'{"type": "\xff\xfe"}'),
    "JSON nested 100,000 deep": (JSON, b"[" * 100_000),
    "JSON object nested 100,000 deep": (JSON, b'{"a":' * 100_000),
    "an event_callback without an event": (JSON, b'{"type": "event_callback"}'),
    "an event that is a string": (JSON, b'{"type": "event_callback", "event": "message"}'),
    "a mention without a channel": (JSON, b'{"type": "event_callback", "event": {"type": "app_mention"}}'),
    "a reaction whose item is a string": (JSON, json.dumps({"type": "event_callback", "event": {
        "type": "reaction_added", "reaction": "memo", "item": "C1"}}).encode()),
    "a message event that is a list": (JSON, b'{"type": "event_callback", "event": [1, 2]}'),
    "an unknown type": (JSON, b'{"type": "nothing_we_know"}'),
    "a form payload that is not JSON": (FORM, b"payload=%7Bnot-json"),
    "a form payload that is a JSON list": (FORM, _form(payload="[1, 2]")),
    "a view submission without a view": (FORM, _interaction({"type": "view_submission"})),
    "a shortcut without a channel": (FORM, _interaction({"type": "message_action",
                                                          "callback_id": "summarize_message"})),
    "a button without team or user": (FORM, _interaction({"type": "block_actions",
                                                           "actions": [{"action_id": "open_workspace_settings"}]})),
    "a command without a channel": (FORM, _form(command="/summarize", text="https://example.com/a")),
    "a command turning auto off without a channel": (FORM, _form(command="/summarize", text="auto off")),
    "a command whose text is binary": (FORM, b"command=/summarize&text=%00%01%FF&channel_id=" + CHANNEL.encode()),
    "form garbage": (FORM, b"%ZZ&&==&"),
    "binary garbage": (FORM, bytes(range(256))),
    "an empty body": (JSON, b""),
    "text/plain": ("text/plain", b"hello"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_a_signed_but_malformed_body_is_refused_or_ignored_without_a_500(case, slack_app, slack_api,
                                                                        no_errors_logged):
    content_type, body = MALFORMED[case]

    response = post(slack_app, body, content_type, sign(body, SIGNING_SECRET))

    assert response.status_code in (200, 400, 404), response.text
    assert "Traceback" not in response.text
    assert_no_trace(slack_app, slack_api)
