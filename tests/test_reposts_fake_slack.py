"""The fake Slack keeps what the no-blind-re-posts tests rely on, as Slack does: message metadata comes
back only with ``include_all_metadata``, a dropped answer still leaves the post in its channel, and
conversations.history lists the channel's own messages, newest first."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient

from tests.fixtures.slack import BOT_TOKEN

METADATA = {"event_type": "summary_part", "event_payload": {"request": "k1", "part": 0}}


@pytest.fixture
def web(slack_api) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=slack_api.api_url, retry_handlers=[])


def test_metadata_posted_comes_back_only_when_include_all_metadata_is_asked(slack_api, web):
    parent = slack_api.add_message("C1", text="a link")
    web.chat_postMessage(channel="C1", thread_ts=parent, text="a reply", metadata=METADATA)

    plain = web.conversations_replies(channel="C1", ts=parent)["messages"]
    full = web.conversations_replies(channel="C1", ts=parent, include_all_metadata=True)["messages"]

    assert all("metadata" not in m for m in plain)
    assert full[-1]["metadata"] == METADATA


def test_a_dropped_answer_leaves_the_post_in_slack_and_the_caller_without_an_answer(slack_api, web):
    slack_api.drop_answers("chat.postMessage")

    with pytest.raises(ConnectionError):  # http.client.RemoteDisconnected
        web.chat_postMessage(channel="C1", text="hello", metadata=METADATA)
    web.chat_postMessage(channel="C1", text="again")

    assert [m["text"] for m in slack_api.messages["C1"].values()] == ["hello", "again"]
    assert [c.dropped for c in slack_api.calls("chat.postMessage")] == [True, False]


def test_history_lists_the_channels_own_messages_newest_first_with_metadata_when_asked(slack_api, web):
    first = slack_api.add_message("C1", text="first")
    slack_api.add_message("C1", text="in the thread", thread_ts=first)
    web.chat_postMessage(channel="C1", text="second", metadata=METADATA)

    messages = web.conversations_history(channel="C1", include_all_metadata=True)["messages"]

    assert [m["text"] for m in messages] == ["second", "first"]
    assert messages[0]["metadata"] == METADATA
