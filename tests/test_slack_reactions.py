"""Door 2: the :memo: reaction on a message with a link gets a summary in that message's thread."""

from __future__ import annotations

from tests.fixtures.app import summaries, wait_until_finished
from tests.fixtures.slack_payloads import event_payload

CHANNEL, TEAM = "C043YJGBY49", "T043DB835ML"
REACTOR = "U0REACTOR1"


def react(slack_app, ts: str, reaction: str = "memo", channel: str = CHANNEL) -> None:
    payload = event_payload("event_callback.reaction_added.docs.json", team_id=TEAM, user=REACTOR, reaction=reaction,
                            item={"type": "message", "channel": channel, "ts": ts}, item_user="U043H11ES4V")
    assert slack_app.send.event(payload).status_code == 200


def test_memo_on_a_message_with_a_link_is_answered_in_its_thread(slack_app, slack_api, web_site):
    ts = slack_api.add_message(CHANNEL, text=f"worth a read <{web_site.url('/news/plain-article')}>")

    react(slack_app, ts)

    wait_until_finished(slack_api, CHANNEL, ts)
    (summary,) = summaries(slack_api)
    assert (summary["channel"], summary["thread_ts"]) == (CHANNEL, ts)
    (read,) = slack_api.calls("conversations.replies")
    assert read.args["ts"] == ts and read.args["limit"] == "1" and read.args["inclusive"] in ("1", "true")


def test_memo_on_a_thread_reply_is_answered_in_that_thread(slack_app, slack_api, web_site):
    parent = slack_api.add_message(CHANNEL, text="links for the meeting")
    reply = slack_api.add_message(CHANNEL, text=f"<{web_site.url('/news/plain-article')}>", thread_ts=parent)

    react(slack_app, reply)

    wait_until_finished(slack_api, CHANNEL, reply)  # status on the reply that holds the link
    (summary,) = summaries(slack_api)
    assert summary["thread_ts"] == parent


def test_other_emoji_are_ignored(slack_app, slack_api, web_site):
    ignored = slack_api.add_message(CHANNEL, text=f"<{web_site.url('/news/short-article')}>")
    wanted = slack_api.add_message(CHANNEL, text=f"<{web_site.url('/news/plain-article')}>")

    react(slack_app, ignored, "thumbsup")
    react(slack_app, wanted)

    wait_until_finished(slack_api, CHANNEL, wanted)
    assert [s["thread_ts"] for s in summaries(slack_api)] == [wanted]
    assert [c.args["ts"] for c in slack_api.calls("conversations.replies")] == [wanted]


def test_memo_on_a_deleted_message_is_ignored_quietly(slack_app, slack_api, web_site):
    gone = slack_api.next_ts()  # Slack no longer has this message
    wanted = slack_api.add_message(CHANNEL, text=f"<{web_site.url('/news/plain-article')}>")

    react(slack_app, gone)
    react(slack_app, wanted)

    wait_until_finished(slack_api, CHANNEL, wanted)
    assert [s["thread_ts"] for s in summaries(slack_api)] == [wanted]
    assert slack_api.calls("chat.postEphemeral") == []
    assert not slack_api.reactions[(CHANNEL, gone)]
