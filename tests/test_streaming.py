"""STREAM_REPLIES with OpenAI: the first draft streams into the thread, and the checked summary replaces it."""

from __future__ import annotations

import pytest

from tests.fixtures.app import post_link, running_app, wait_until_finished
from tests.fixtures.openai_server import Reply
from tests.fixtures.slack_payloads import CHANNEL

ARTICLE = "/news/plain-article"


@pytest.fixture
def streaming_app(app_settings, openai_settings):
    backend = {
        name: getattr(openai_settings, name)
        for name in ("summarizer_backend", "openai_api_key", "openai_base_url", "openai_model", "openai_timeout")
    }
    with running_app(app_settings.model_copy(update=backend | {"stream_replies": True})) as app:
        yield app


def streamed_message(slack_api) -> dict:
    (start,) = slack_api.calls("chat.startStream")
    ts = slack_api.messages[CHANNEL] and next(
        ts for ts, m in slack_api.messages[CHANNEL].items() if m.get("thread_ts") == start.args["thread_ts"]
        and "streaming" in m
    )
    return slack_api.messages[CHANNEL][ts]


def test_the_draft_streams_then_the_checked_summary_takes_its_place(streaming_app, slack_api, web_site):
    event = post_link(streaming_app, slack_api, web_site.url(ARTICLE))
    wait_until_finished(slack_api, CHANNEL, event["ts"])
    (start,) = slack_api.calls("chat.startStream")
    assert start.args["thread_ts"] == event["ts"] and start.args["markdown_text"]
    assert slack_api.calls("chat.stopStream")
    (update,) = slack_api.calls("chat.update")
    assert update.args["ts"] == slack_api.calls("chat.stopStream")[0].args["ts"]
    message = streamed_message(slack_api)
    blocks = message["blocks"] if isinstance(message["blocks"], list) else __import__("json").loads(message["blocks"])
    assert blocks[0]["type"] == "header" and any(b.get("block_id") == "summary_controls" for b in blocks)


def test_a_draft_that_fails_the_check_is_replaced_by_the_checked_version(
    streaming_app, slack_api, web_site, openai_server
):
    openai_server.script(Reply("The barrier cost 9999 dollars.\n\nIt opened on Thursday."))
    event = post_link(streaming_app, slack_api, web_site.url(ARTICLE))
    wait_until_finished(slack_api, CHANNEL, event["ts"])
    (start,) = slack_api.calls("chat.startStream")
    assert "9999" in start.args["markdown_text"]
    (update,) = slack_api.calls("chat.update")
    assert "9999" not in str(update.args) and update.args["blocks"]
