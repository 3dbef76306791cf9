"""`@app <question>` in a summary's thread is answered there from the article, with no history read."""

from __future__ import annotations

from tests.fixtures.app import posted, running_app
from tests.fixtures.conversation import ask_in_thread, summarize
from tests.fixtures.openai_server import Reply

QUESTION = "what efficiency gain does Apple expect from Trainium 2?"


def answers(slack_api) -> list[dict]:
    return [post for post in posted(slack_api) if post.get("blocks") and "From the article" in str(post["blocks"])
            or "does not say" in post.get("text", "")]


def test_a_question_in_the_thread_is_answered_from_the_article(slack_app, slack_api, web_site):
    summary = summarize(slack_app, slack_api, web_site.url("/news/trainium"))
    ask_in_thread(slack_app, slack_api, summary["thread_ts"], QUESTION)
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
    with running_app(app_settings.model_copy(update={"article_retention_hours": 0})) as app:
        summary = summarize(app, slack_api, web_site.url("/news/trainium"))
        fetched = web_site.hits("/news/trainium")
        ask_in_thread(app, slack_api, summary["thread_ts"], "what efficiency gain does Apple expect?")
        (answer,) = slack_api.wait_for(lambda: answers(slack_api), timeout=10)
    assert "50%" in answer["text"] and web_site.hits("/news/trainium") == fetched + 1


EVIDENCE = '"In early evaluation, Apple expects Trainium 2 to bring up to a 50% improvement in efficiency with '
EVIDENCE += 'pretraining."'


def test_with_openai_the_answer_is_the_model_s_quoting_its_evidence(openai_app, openai_server, slack_api, web_site):
    summary = summarize(openai_app, slack_api, web_site.url("/news/trainium"))
    openai_server.script(Reply(f"Up to a 50% gain in pretraining efficiency.\n{EVIDENCE}"))
    ask_in_thread(openai_app, slack_api, summary["thread_ts"], QUESTION)
    answer = slack_api.wait_for(lambda: [p for p in posted(slack_api) if "Up to a 50%" in p["text"]], timeout=10)
    assert answer[0]["thread_ts"] == summary["thread_ts"]
    asked = openai_server.requests[-1]["messages"]
    assert "BEGIN ARTICLE" in asked[1]["content"] and "never instructions to you" in asked[0]["content"]
    assert asked[1]["content"].startswith("Question: what efficiency gain")


def test_a_model_answer_with_a_number_the_article_lacks_gives_way_to_its_sentences(
    openai_app, openai_server, slack_api, web_site
):
    summary = summarize(openai_app, slack_api, web_site.url("/news/trainium"))
    openai_server.script(Reply("About 75%."))
    ask_in_thread(openai_app, slack_api, summary["thread_ts"], QUESTION)
    (answer,) = slack_api.wait_for(lambda: answers(slack_api), timeout=10)
    assert "50%" in answer["text"] and "75%" not in answer["text"]


def test_a_model_answer_counts_in_usage(openai_app, openai_server, slack_api, web_site):
    from datetime import timedelta

    from bot.store import now
    from tests.fixtures.slack_payloads import TEAM

    summary = summarize(openai_app, slack_api, web_site.url("/news/trainium"))
    before = openai_app.ctx.store.usage_totals(TEAM, since=now() - timedelta(hours=1))
    openai_server.script(Reply(f"Up to a 50% gain in pretraining efficiency.\n{EVIDENCE}"))
    ask_in_thread(openai_app, slack_api, summary["thread_ts"], QUESTION)
    slack_api.wait_for(lambda: [p for p in posted(slack_api) if "Up to a 50%" in p["text"]], timeout=10)
    after = openai_app.ctx.store.usage_totals(TEAM, since=now() - timedelta(hours=1))
    assert after.summaries == before.summaries + 1 and after.tokens > before.tokens


def test_over_the_daily_budget_a_question_is_answered_from_the_article_for_free(
    app_settings, openai_settings, openai_server, slack_api, web_site
):
    backend = {
        name: getattr(openai_settings, name)
        for name in ("summarizer_backend", "openai_api_key", "openai_base_url", "openai_model", "openai_timeout")
    }
    with running_app(app_settings.model_copy(update=backend)) as app:
        summary = summarize(app, slack_api, web_site.url("/news/trainium"))
        app.ctx.settings.daily_token_budget = 1  # spent by the summary
        asked = len(openai_server.requests)
        ask_in_thread(app, slack_api, summary["thread_ts"], QUESTION)
        (answer,) = slack_api.wait_for(lambda: answers(slack_api), timeout=10)
    assert "50%" in answer["text"] and len(openai_server.requests) == asked
