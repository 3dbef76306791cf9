"""Door 1: a link posted in a conversation where the app is gets one summary in that message's thread."""

from __future__ import annotations

import pytest

from tests.fixtures.app import post_link, summaries, wait_until_finished
from tests.fixtures.slack_payloads import (
    CHANNEL,
    TEAM,
    event_payload,
    load_payload,
    rich_text_blocks,
    summarize_command,
)

BARE_LINK = "event_callback.message.bare_link.json"
LABELLED_LINK = "event_callback.message.labelled_link.COMPOSED.json"


def assert_answered_once_in_thread(slack_api, channel: str, thread_ts: str) -> dict:
    (summary,) = summaries(slack_api)
    assert (summary["channel"], summary["thread_ts"]) == (channel, thread_ts)
    return summary


def test_a_posted_link_is_summarized_in_its_thread(slack_app, slack_api, web_site):
    event = post_link(slack_app, slack_api, web_site.url("/news/plain-article"))

    wait_until_finished(slack_api, event["channel"], event["ts"])
    summary = assert_answered_once_in_thread(slack_api, event["channel"], event["ts"])
    assert summary["blocks"][0]["text"]["text"].startswith("Harbor City opens its tidal flood barrier")
    assert summary["text"]  # the notification fallback


def test_a_labelled_link_in_the_text_alone_is_summarized(slack_app, slack_api, web_site):
    payload = event_payload(LABELLED_LINK, text=f"read <{web_site.url('/news/plain-article')}|this story>")
    del payload["event"]["blocks"]  # only `<url|label>` in the text, as older clients send
    slack_app.send.event(payload)

    event = payload["event"]
    wait_until_finished(slack_api, event["channel"], event["ts"])
    assert_answered_once_in_thread(slack_api, event["channel"], event["ts"])


def test_a_link_posted_in_a_thread_is_answered_in_that_thread(slack_app, slack_api, web_site):
    parent = slack_api.add_message(CHANNEL, text="what do you all think?")
    event = post_link(slack_app, slack_api, web_site.url("/news/plain-article"), thread_ts=parent)

    wait_until_finished(slack_api, event["channel"], event["ts"])  # status on the reply itself
    assert_answered_once_in_thread(slack_api, event["channel"], parent)


def test_a_link_in_a_direct_message_is_answered_there(slack_app, slack_api, web_site):
    payload = event_payload("event_callback.message.im.json", text=f"<{web_site.url('/news/plain-article')}>")
    slack_app.send.event(payload)

    event = payload["event"]
    wait_until_finished(slack_api, event["channel"], event["ts"])
    assert_answered_once_in_thread(slack_api, "D0442US94JD", event["ts"])


def test_a_link_in_a_group_dm_is_answered_there(slack_app, slack_api, web_site):
    event = post_link(slack_app, slack_api, web_site.url("/news/plain-article"), channel="G0MPIM0001",
                      channel_type="mpim")

    wait_until_finished(slack_api, "G0MPIM0001", event["ts"])
    assert_answered_once_in_thread(slack_api, "G0MPIM0001", event["ts"])


def test_at_most_three_links_of_a_message_are_summarized(slack_app, slack_api, web_site):
    paths = ["/news/plain-article", "/news/short-article", "/news/plain-text", "/news/xhtml-article"]
    text = " ".join(f"<{web_site.url(path)}>" for path in paths)
    payload = event_payload(BARE_LINK, text=text, ts=slack_api.next_ts())
    fourth = web_site.hits("/news/xhtml-article")
    slack_app.send.event(payload)

    event = payload["event"]
    slack_api.wait_for(lambda: len(summaries(slack_api)) == 3, timeout=15)
    assert {s["thread_ts"] for s in summaries(slack_api)} == {event["ts"]}
    assert web_site.hits("/news/xhtml-article") == fourth


def test_links_inside_code_are_not_summarized(slack_app, slack_api, web_site):
    quoted, shared = web_site.url("/news/short-article"), web_site.url("/news/plain-article")
    code_block = {"type": "rich_text_preformatted", "elements": [{"type": "link", "url": quoted}]}
    inline_code = {"type": "link", "url": quoted, "style": {"code": True}}
    blocks = rich_text_blocks(f"<{shared}>")
    blocks[0]["elements"] += [code_block, {"type": "rich_text_section", "elements": [inline_code]}]
    text = f"<{shared}>\n```<{quoted}>```\n`<{quoted}>`"
    payload = event_payload(BARE_LINK, text=text, ts=slack_api.next_ts(), blocks=blocks)
    fetched = web_site.hits("/news/short-article")
    slack_app.send.event(payload)

    event = payload["event"]
    wait_until_finished(slack_api, event["channel"], event["ts"])
    assert_answered_once_in_thread(slack_api, event["channel"], event["ts"])
    assert web_site.hits("/news/short-article") == fetched


# -- what is not a person sharing a link -------------------------------------------------------------
def bot_message(url: str, ts: str) -> dict:
    return event_payload("event_callback.message.bot_message.json", link=url, ts=ts)


def own_message(url: str, ts: str) -> dict:
    return event_payload("event_callback.message.bot_thread_reply.json", text=f"<{url}>", ts=ts)


def unfurl_added(url: str, ts: str) -> dict:
    payload = load_payload("event_callback.message_changed.unfurl_added.json")
    message = payload["event"]["message"]
    message.update(text=f"<{url}>", blocks=rich_text_blocks(f"<{url}>"), ts=ts)
    return payload


def message_deleted(url: str, ts: str) -> dict:
    payload = event_payload(BARE_LINK, link=url, ts=ts)
    original = payload["event"]
    payload["event"] = {"type": "message", "subtype": "message_deleted", "hidden": True,
                        "channel": original["channel"], "ts": ts, "deleted_ts": ts, "event_ts": ts,
                        "previous_message": original}
    return payload


def topic_changed(url: str, ts: str) -> dict:
    return event_payload(BARE_LINK, text=f"set the channel topic: <{url}>", ts=ts, subtype="channel_topic",
                         topic=f"<{url}>")


@pytest.mark.parametrize("make", [bot_message, own_message, unfurl_added, message_deleted, topic_changed])
def test_messages_that_are_not_a_person_sharing_a_link_are_skipped(make, slack_app, slack_api, web_site):
    skipped = make(web_site.url("/news/short-article"), slack_api.next_ts())
    fetched = web_site.hits("/news/short-article")
    assert slack_app.send.event(skipped).status_code == 200

    later = post_link(slack_app, slack_api, web_site.url("/news/plain-article"))  # the app is not stuck
    wait_until_finished(slack_api, later["channel"], later["ts"])
    assert_answered_once_in_thread(slack_api, later["channel"], later["ts"])
    assert web_site.hits("/news/short-article") == fetched


# -- per-channel automatic mode ----------------------------------------------------------------------
def test_auto_off_stops_automatic_summaries_but_not_explicit_asks(slack_app, slack_api, web_site):
    reply = slack_app.send.command(summarize_command("auto off", response_url=slack_api.response_url()))
    assert reply.status_code == 200 and "no longer be summarized automatically" in reply.text

    fetched = web_site.hits("/news/short-article")
    post_link(slack_app, slack_api, web_site.url("/news/short-article"), channel=CHANNEL)
    ts = slack_api.next_ts()
    mention = event_payload("event_callback.app_mention.docs.json", channel=CHANNEL, ts=ts, team_id=TEAM,
                            text=f"<@U0442US8QGH> <{web_site.url('/news/plain-article')}>")
    slack_app.send.event(mention)

    wait_until_finished(slack_api, CHANNEL, ts)
    assert_answered_once_in_thread(slack_api, CHANNEL, ts)
    assert web_site.hits("/news/short-article") == fetched
