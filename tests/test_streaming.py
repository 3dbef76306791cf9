"""STREAM_REPLIES with OpenAI: the first draft streams into the thread, and the checked summary replaces it."""

from __future__ import annotations

import json

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
    """The message the stream made, as Slack holds it after the app's last change."""
    (stop,) = slack_api.calls("chat.stopStream")
    message = slack_api.messages[CHANNEL][stop.args["ts"]]
    blocks = message.get("blocks") or []
    return message | {"blocks": json.loads(blocks) if isinstance(blocks, str) else blocks}


def test_the_draft_streams_then_the_checked_summary_takes_its_place(streaming_app, slack_api, web_site):
    event = post_link(streaming_app, slack_api, web_site.url(ARTICLE))
    wait_until_finished(slack_api, CHANNEL, event["ts"])
    (start,) = slack_api.calls("chat.startStream")
    assert start.args["thread_ts"] == event["ts"] and start.args["markdown_text"]
    (update,) = slack_api.calls("chat.update")
    assert update.args["ts"] == slack_api.calls("chat.stopStream")[0].args["ts"]
    blocks = streamed_message(slack_api)["blocks"]
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
