"""The message shortcut "Summarize links in this message" (callback_id ``summarize_message``)."""

from __future__ import annotations

from tests.fixtures.app import summaries, wait_until_finished
from tests.fixtures.slack_payloads import interaction_payload

CHANNEL = "C043YJGBY49"


def run_shortcut(slack_app, slack_api, text: str) -> dict:
    """Invoke the shortcut on a message saying ``text``; returns the payload Slack sent."""
    payload = interaction_payload("interactivity.message_action.json", response_url=slack_api.response_url("shortcut"),
                                  text=text, channel=CHANNEL, message_ts=slack_api.next_ts(),
                                  callback_id="summarize_message")
    response = slack_app.send.interaction(payload)
    assert response.status_code == 200 and response.text == ""  # acked within the request, nothing shown
    return payload


def test_the_shortcut_summarizes_the_messages_link_in_its_thread(slack_app, slack_api, web_site):
    payload = run_shortcut(slack_app, slack_api, f"see <{web_site.url('/news/plain-article')}>")

    ts = payload["message"]["ts"]
    wait_until_finished(slack_api, CHANNEL, ts)
    (summary,) = summaries(slack_api)
    assert (summary["channel"], summary["thread_ts"]) == (CHANNEL, ts)


def test_the_shortcut_on_a_message_without_a_link_says_so_privately(slack_app, slack_api):
    run_shortcut(slack_app, slack_api, "no links in here")

    (answer,) = slack_api.wait_for(lambda: slack_api.responses("shortcut"))
    assert answer["text"] == "I couldn't find a web link or a file in that message."
    assert answer["response_type"] == "ephemeral"
    assert slack_api.posts() == []
