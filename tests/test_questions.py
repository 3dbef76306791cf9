"""`@app <question>` in a summary's thread is answered there from the article, with no history read."""

from __future__ import annotations

from tests.fixtures.app import posted
from tests.fixtures.conversation import ask_in_thread, summarize


def answers(slack_api) -> list[dict]:
    return [post for post in posted(slack_api) if post.get("blocks") and "From the article" in str(post["blocks"])
            or "does not say" in post.get("text", "")]


def test_a_question_in_the_thread_is_answered_from_the_article(slack_app, slack_api, web_site):
    summary = summarize(slack_app, slack_api, web_site.url("/news/trainium"))
    ask_in_thread(slack_app, slack_api, summary["thread_ts"], "what efficiency gain does Apple expect from Trainium 2?")
    (answer,) = slack_api.wait_for(lambda: answers(slack_api), timeout=10)
    assert answer["thread_ts"] == summary["thread_ts"]
    assert "50%" in answer["text"]
    assert not slack_api.calls("conversations.replies") and not slack_api.calls("conversations.history")


def test_a_question_about_the_seed_article_quotes_its_sentence(slack_app, slack_api, web_site):
    summary = summarize(slack_app, slack_api, web_site.url("/news/sample-article"))
    ask_in_thread(slack_app, slack_api, summary["thread_ts"], "how much will sea level rise by 2080?")
    (answer,) = slack_api.wait_for(lambda: answers(slack_api), timeout=10)
    assert "50 centimeters" in answer["text"]


def test_a_question_the_article_does_not_answer_says_so(slack_app, slack_api, web_site):
    summary = summarize(slack_app, slack_api, web_site.url("/news/trainium"))
    ask_in_thread(slack_app, slack_api, summary["thread_ts"], "what does the football coach think of the weather?")
    (answer,) = slack_api.wait_for(lambda: answers(slack_api), timeout=10)
    assert answer["text"] == "The article does not say."


def test_the_article_is_read_again_when_its_copy_is_gone(app_settings, slack_api, web_site):
    from tests.fixtures.app import running_app

    with running_app(app_settings.model_copy(update={"article_retention_hours": 0})) as app:
        summary = summarize(app, slack_api, web_site.url("/news/trainium"))
        fetched = web_site.hits("/news/trainium")
        ask_in_thread(app, slack_api, summary["thread_ts"], "what efficiency gain does Apple expect?")
        (answer,) = slack_api.wait_for(lambda: answers(slack_api), timeout=10)
    assert "50%" in answer["text"] and web_site.hits("/news/trainium") == fetched + 1
