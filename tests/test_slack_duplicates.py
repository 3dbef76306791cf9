"""Never twice, never lost: Slack's retries, edits, repeated asks and a restart give one summary."""

from __future__ import annotations

import json

from tests.fixtures.app import WORKING, running_app, summaries, wait_until_finished
from tests.fixtures.slack_payloads import event_payload, load_payload, rich_text_blocks

CHANNEL, TEAM = "C043YJGBY49", "T043DB835ML"
REACTOR = "U0REACTOR1"


def link_message(slack_api, url: str) -> dict:
    """A person's message with ``url``, both in the fake Slack (readable) and as the event Slack sends."""
    ts = slack_api.add_message(CHANNEL, text=f"<{url}>", blocks=rich_text_blocks(f"<{url}>"))
    return event_payload("event_callback.message.bare_link.json", link=url, ts=ts, channel=CHANNEL)


def unfurl_of(payload: dict) -> dict:
    """The message_changed Slack sends when it adds the link preview to that message."""
    changed = load_payload("event_callback.message_changed.unfurl_added.json")
    changed["event"]["channel"] = CHANNEL
    changed["event"]["message"].update({k: payload["event"][k] for k in ("text", "blocks", "ts")})
    return changed


def reaction_on(ts: str) -> dict:
    return event_payload("event_callback.reaction_added.docs.json", team_id=TEAM, user=REACTOR, reaction="memo",
                         item={"type": "message", "channel": CHANNEL, "ts": ts})


def test_an_event_delivered_four_times_and_then_edited_is_summarized_once(slack_app, slack_api, web_site):
    message = link_message(slack_api, web_site.url("/news/plain-article"))
    body = json.dumps(message).encode()

    slack_app.send.event(body)
    for retry in (1, 2, 3):
        assert slack_app.send.event(body, retry_num=retry).status_code == 200
    slack_app.send.event(unfurl_of(message))

    ts = message["event"]["ts"]
    wait_until_finished(slack_api, CHANNEL, ts)
    assert len(summaries(slack_api)) == 1
    assert [c.args["name"] for c in slack_api.calls("reactions.add")].count(WORKING) == 1


def test_a_reaction_added_twice_gives_one_summary(slack_app, slack_api, web_site):
    ts = slack_api.add_message(CHANNEL, text=f"<{web_site.url('/news/plain-article')}>")

    slack_app.send.event(reaction_on(ts))
    slack_app.send.event(reaction_on(ts))  # a second person, or the same one again: a new event

    wait_until_finished(slack_api, CHANNEL, ts)
    slack_api.wait_for_calls("chat.postEphemeral")  # the second ask is told where the summary is
    assert len(summaries(slack_api)) == 1


def test_a_reaction_on_a_message_already_summarized_gets_a_pointer(slack_app, slack_api, web_site):
    message = link_message(slack_api, web_site.url("/news/plain-article"))
    slack_app.send.event(message)
    ts = message["event"]["ts"]
    wait_until_finished(slack_api, CHANNEL, ts)

    slack_app.send.event(reaction_on(ts))

    (pointer,) = slack_api.wait_for_calls("chat.postEphemeral")
    assert pointer.args["user"] == REACTOR and pointer.args["thread_ts"] == ts
    assert pointer.args["text"].startswith("That link is already summarized <https://")
    assert len(summaries(slack_api)) == 1


def test_what_was_answered_stays_answered_after_a_restart(app_settings, slack_api, web_site):
    message = link_message(slack_api, web_site.url("/news/plain-article"))
    ts = message["event"]["ts"]
    with running_app(app_settings) as before:
        before.send.event(message)
        wait_until_finished(slack_api, CHANNEL, ts)

    with running_app(app_settings) as after:  # same data directory, same database
        assert after.send.event(message, retry_num=1).status_code == 200
        after.send.event(reaction_on(ts))
        (pointer,) = slack_api.wait_for_calls("chat.postEphemeral")

    assert pointer.args["text"].startswith("That link is already summarized")
    assert len(summaries(slack_api)) == 1
