"""The assistant thread (Agents & AI Apps): a pasted link is summarized there, with a title, a loading
status and suggested prompts; what comes next (Shorter, a question) is answered in the same thread.

Payloads: bolt-python's recorded assistant events (tests/data/slack/sdk-payloads/PROVENANCE.md).
"""

from __future__ import annotations

from tests.fixtures.app import posted
from tests.fixtures.conversation import paragraphs_of, summaries_with_controls
from tests.fixtures.slack_payloads import sdk_event

DM, THREAD = "D111", "1726133698.626339"


def start_thread(app, slack_api) -> None:
    payload = sdk_event("bolt-python.assistant_thread_started.json")
    assert app.send.event(payload).status_code == 200


def say_in_thread(app, slack_api, text: str) -> None:
    payload = sdk_event("bolt-python.message.assistant_thread.json", text=text, ts=slack_api.next_ts())
    assert app.send.event(payload).status_code == 200


def wait_for_summary(slack_api, count: int = 1) -> list[dict]:
    return slack_api.wait_for(lambda: len(found := summaries_with_controls(slack_api, DM)) >= count and found,
                              timeout=10)


def test_a_new_assistant_thread_is_greeted_with_suggested_prompts(slack_app, slack_api):
    start_thread(slack_app, slack_api)
    (prompts,) = slack_api.wait_for_calls("assistant.threads.setSuggestedPrompts")
    titles = [prompt["title"] for prompt in prompts.args["prompts"]]
    assert titles == ["Summarize a link", "Shorter", "Bullets", "Ask about it"]
    assert prompts.args["channel_id"] == DM and prompts.args["thread_ts"] == THREAD
    slack_api.wait_for(lambda: any(post["channel"] == DM for post in posted(slack_api)))


def test_a_link_pasted_in_the_assistant_thread_gets_its_summary_there(slack_app, slack_api, web_site):
    say_in_thread(slack_app, slack_api, f"<{web_site.url('/news/plain-article')}>")
    (summary,) = wait_for_summary(slack_api)
    assert summary["thread_ts"] == THREAD
    (title,) = slack_api.calls("assistant.threads.setTitle")
    assert title.args["title"].startswith("Summary of ")
    assert slack_api.calls("assistant.threads.setStatus")[0].args["status"]
    prompts = slack_api.calls("assistant.threads.setSuggestedPrompts")
    assert [p["title"] for p in prompts[-1].args["prompts"]] == ["Shorter", "Bullets", "Ask about it"]


def test_bullets_asked_in_words_brings_a_bulleted_summary_into_the_thread(slack_app, slack_api, web_site):
    say_in_thread(slack_app, slack_api, f"<{web_site.url('/news/plain-article')}>")
    wait_for_summary(slack_api)
    say_in_thread(slack_app, slack_api, "Bullets")
    _, bulleted = wait_for_summary(slack_api, 2)
    assert bulleted["thread_ts"] == THREAD and paragraphs_of(bulleted)[0].startswith("TL;DR: ")


def test_a_question_in_the_assistant_thread_is_answered_from_the_article(slack_app, slack_api, web_site):
    say_in_thread(slack_app, slack_api, f"<{web_site.url('/news/trainium')}>")
    wait_for_summary(slack_api)
    say_in_thread(slack_app, slack_api, "What efficiency gain does Apple expect from Trainium 2?")
    answer = slack_api.wait_for(
        lambda: [p for p in posted(slack_api) if p["channel"] == DM and "From the article" in p["text"]], timeout=10
    )[0]
    assert "50%" in answer["text"] and answer["thread_ts"] == THREAD
    assert not slack_api.calls("conversations.replies") and not slack_api.calls("conversations.history")


def test_without_the_feature_a_dm_works_the_same_way(slack_app, slack_api, web_site):
    """A DM's link is summarized in its thread; a question in that thread is answered there, though Slack
    refuses the assistant-only calls (an app without Agents & AI Apps)."""
    from tests.fixtures.slack_payloads import event_payload

    dm = "D0442US94JD"
    for method in ("assistant.threads.setStatus", "assistant.threads.setTitle"):
        slack_api.fail(method, "not_allowed_token_type", times=5)
    link = event_payload("event_callback.message.im.json", text=f"<{web_site.url('/news/trainium')}>",
                         ts=slack_api.next_ts())
    assert slack_app.send.event(link).status_code == 200
    (summary,) = slack_api.wait_for(lambda: summaries_with_controls(slack_api, dm), timeout=10)
    question = event_payload("event_callback.message.im.json", text="What efficiency gain does Apple expect?",
                             ts=slack_api.next_ts(), thread_ts=summary["thread_ts"])
    assert slack_app.send.event(question).status_code == 200
    answer = slack_api.wait_for(
        lambda: [p for p in posted(slack_api) if p["channel"] == dm and "From the article" in p["text"]], timeout=10
    )[0]
    assert "50%" in answer["text"] and answer["thread_ts"] == summary["thread_ts"]
