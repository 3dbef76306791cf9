"""Reactions and mentions without history reads: the app remembers the links of the messages it sees go by
(automatic mode on or off), so Slack's one-history-read-a-minute limit for distributed apps outside the
Marketplace never delays them; only a message the app never saw is read, and a 429 waits in the queue."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.store import SeenLinks, SeenLinksRow, Store
from tests.fixtures.app import summaries, wait_until_finished
from tests.fixtures.installations import installed
from tests.fixtures.slack_payloads import CHANNEL, TEAM, event_payload

REACTOR = "U0REACTOR1"
BOT = "U0442US8QGH"
EVERY_HISTORY_READ = 100


def post(app, slack_api, text: str, **fields) -> dict:
    """A person's message in CHANNEL, delivered to the app as Slack does; returns the inner event."""
    payload = event_payload("event_callback.message.bare_link.json", text=text, ts=slack_api.next_ts(), **fields)
    assert app.send.event(payload).status_code == 200
    return payload["event"]


def react(app, ts: str, reaction: str = "memo") -> None:
    payload = event_payload("event_callback.reaction_added.docs.json", team_id=TEAM, user=REACTOR, reaction=reaction,
                            item={"type": "message", "channel": CHANNEL, "ts": ts}, item_user="U043H11ES4V")
    assert app.send.event(payload).status_code == 200


def mention(app, slack_api, text: str, thread_ts: str) -> None:
    payload = event_payload("event_callback.app_mention.docs.json", text=f"<@{BOT}> {text}", channel=CHANNEL,
                            ts=slack_api.next_ts(), team_id=TEAM, thread_ts=thread_ts)
    assert app.send.event(payload).status_code == 200


def automatic_mode_off(app, slack_api) -> None:
    """Automatic mode off in CHANNEL; in OAuth mode, the workspace of the captured payloads installed."""
    installed(app, slack_api, event_payload("event_callback.message.bare_link.json"))
    app.ctx.store.save_settings(TEAM, CHANNEL, auto_mode=False)


def test_memo_on_a_message_seen_with_automatic_mode_off_is_summarized_while_history_reads_are_refused(
    any_app, slack_api, web_site
):
    automatic_mode_off(any_app, slack_api)
    slack_api.rate_limit("conversations.replies", times=EVERY_HISTORY_READ, retry_after=60)
    message = post(any_app, slack_api, f"worth a read <{web_site.url('/news/plain-article')}>")

    react(any_app, message["ts"])
    react(any_app, message["ts"])  # a second :memo: (another person, or Slack's retry) changes nothing

    wait_until_finished(slack_api, CHANNEL, message["ts"])  # well within 30 s
    (summary,) = summaries(slack_api)
    assert summary["thread_ts"] == message["ts"]
    assert slack_api.calls("conversations.replies") == []


def test_memo_on_a_thread_reply_seen_is_answered_in_its_thread(any_app, slack_api, web_site):
    automatic_mode_off(any_app, slack_api)
    parent = post(any_app, slack_api, "links for the meeting")
    reply = post(any_app, slack_api, f"<{web_site.url('/news/plain-article')}>", thread_ts=parent["ts"])

    react(any_app, reply["ts"])

    wait_until_finished(slack_api, CHANNEL, reply["ts"])
    assert [s["thread_ts"] for s in summaries(slack_api)] == [parent["ts"]]
    assert slack_api.calls("conversations.replies") == []


def test_a_bare_mention_in_a_thread_finds_the_parents_link_in_memory(any_app, slack_api, web_site):
    automatic_mode_off(any_app, slack_api)
    slack_api.rate_limit("conversations.replies", times=EVERY_HISTORY_READ, retry_after=60)
    parent = post(any_app, slack_api, f"new report <{web_site.url('/news/plain-article')}>")

    mention(any_app, slack_api, "words=40", thread_ts=parent["ts"])

    wait_until_finished(slack_api, CHANNEL, parent["ts"])
    assert [s["thread_ts"] for s in summaries(slack_api)] == [parent["ts"]]
    assert slack_api.calls("conversations.replies") == []


def test_memo_on_a_seen_message_without_a_link_reads_nothing(any_app, slack_api, web_site):
    automatic_mode_off(any_app, slack_api)
    plain = post(any_app, slack_api, "no links here")
    wanted = post(any_app, slack_api, f"<{web_site.url('/news/plain-article')}>")

    react(any_app, plain["ts"])
    react(any_app, wanted["ts"])

    wait_until_finished(slack_api, CHANNEL, wanted["ts"])
    assert [s["thread_ts"] for s in summaries(slack_api)] == [wanted["ts"]]
    assert slack_api.calls("conversations.replies") == []


def test_an_edit_that_adds_a_link_is_remembered(slack_app, slack_api, web_site):
    slack_app.ctx.store.save_settings(TEAM, CHANNEL, auto_mode=False)
    original = post(slack_app, slack_api, "draft, link to follow")
    edit = event_payload("event_callback.message_changed.docs.json", channel=CHANNEL, team_id=TEAM)
    edit["event"]["message"] |= {"ts": original["ts"], "text": f"<{web_site.url('/news/plain-article')}>"}
    edit["event"]["message"].pop("blocks", None)
    assert slack_app.send.event(edit).status_code == 200

    react(slack_app, original["ts"])

    wait_until_finished(slack_api, CHANNEL, original["ts"])
    assert [s["thread_ts"] for s in summaries(slack_api)] == [original["ts"]]
    assert slack_api.calls("conversations.replies") == []


def test_a_message_the_app_never_saw_is_read_once_slack_allows_it(any_app, slack_api, web_site):
    installed(any_app, slack_api, event_payload("event_callback.message.bare_link.json"))
    unseen = slack_api.add_message(CHANNEL, text=f"from before I joined <{web_site.url('/news/plain-article')}>")
    slack_api.rate_limit("conversations.replies", times=1, retry_after=1)

    react(any_app, unseen)

    wait_until_finished(slack_api, CHANNEL, unseen)
    assert [s["thread_ts"] for s in summaries(slack_api)] == [unseen]
    assert [call.status for call in slack_api.calls("conversations.replies")] == [429, 200]


def test_links_seen_longer_ago_than_seen_links_hours_are_forgotten(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'seen.db'}")
    old = SeenLinks(ts="1700000000.000100", thread_ts=None, links=["https://example.com/a"])
    store.remember_links("T1", "C1", old, keep=timedelta(hours=72))
    assert store.seen_links("T1", "C1", old.ts, keep=timedelta(hours=72)) == old

    newer = SeenLinks(ts="1700000000.000200", thread_ts=old.ts, links=[])
    store.remember_links("T1", "C1", newer, keep=timedelta(0))  # every earlier row is now too old: purged

    with store.engine.connect() as db:
        assert db.execute(select(func.count()).select_from(SeenLinksRow)).scalar() == 1
    assert store.seen_links("T1", "C1", old.ts, keep=timedelta(hours=72)) is None
    store.close()
