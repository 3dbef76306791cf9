"""Door 4: `@app <url>` anywhere, or `@app` in a thread whose parent carries a link."""

from __future__ import annotations

from tests.fixtures.app import summaries, wait_until_finished
from tests.fixtures.slack_payloads import event_payload

CHANNEL, TEAM, BOT = "C043YJGBY49", "T043DB835ML", "U0442US8QGH"
ASKER = "U061F7AUR"  # the person in the captured mention


def mention(slack_app, slack_api, text: str, thread_ts: str | None = None) -> str:
    """``@app <text>`` in CHANNEL (in ``thread_ts``'s thread if given); returns the mention's ts."""
    ts = slack_api.next_ts()
    fields = {"thread_ts": thread_ts} if thread_ts else {}
    payload = event_payload("event_callback.app_mention.docs.json", text=f"<@{BOT}> {text}", channel=CHANNEL,
                            ts=ts, team_id=TEAM, **fields)
    assert slack_app.send.event(payload).status_code == 200
    return ts


def test_a_mention_with_a_link_is_answered_in_the_mentions_thread(slack_app, slack_api, web_site):
    ts = mention(slack_app, slack_api, f"<{web_site.url('/news/plain-article')}>")

    wait_until_finished(slack_api, CHANNEL, ts)
    (summary,) = summaries(slack_api)
    assert (summary["channel"], summary["thread_ts"]) == (CHANNEL, ts)


def test_a_bare_mention_in_a_thread_summarizes_the_parents_link(slack_app, slack_api, web_site):
    parent = slack_api.add_message(CHANNEL, text=f"new report <{web_site.url('/news/plain-article')}>")

    mention(slack_app, slack_api, "words=40", thread_ts=parent)

    wait_until_finished(slack_api, CHANNEL, parent)  # status on the message that carries the link
    (summary,) = summaries(slack_api)
    assert summary["thread_ts"] == parent
    words = sum(len(b["text"]["text"].split()) for b in summary["blocks"]
                if b["type"] == "section" and not b["text"]["text"].startswith(":link:"))
    assert words <= 40


def test_help_is_answered_with_usage_only_to_the_asker(slack_app, slack_api):
    ts = mention(slack_app, slack_api, "help")

    (note,) = slack_api.wait_for_calls("chat.postEphemeral")
    assert note.args["user"] == ASKER and note.args["thread_ts"] == ts
    assert "[words=N] [paragraphs=N]" in note.args["text"]
    assert slack_api.posts() == []


def test_a_mention_without_any_link_asks_for_one(slack_app, slack_api):
    mention(slack_app, slack_api, "what do you think?")

    (note,) = slack_api.wait_for_calls("chat.postEphemeral")
    assert note.args["text"].startswith("I need a link to summarize.")
    assert slack_api.posts() == []
