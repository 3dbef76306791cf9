"""The cost guard: DAILY_TOKEN_BUDGET per workspace per UTC day and USER_RATE_LIMIT per person per hour.

Off by default. A refused request is answered, to the person who asked only, with why and when it
resets, and nothing is fetched, queued or summarized.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.guard import Guard
from bot.request import SummaryRequest
from bot.store import RequestRow, Store, UsageRow, now
from bot.summarizers.base import Usage
from tests.fixtures.app import post_link, posted, running_app, summaries, wait_until_finished
from tests.fixtures.slack_methods import HUMAN
from tests.fixtures.slack_payloads import CHANNEL, TEAM, event_payload, summarize_command

ARTICLE = "/news/plain-article"
OTHER_PERSON = "U0OTHER001"


def spent(store: Store, tokens: int, team: str = TEAM, user: str | None = HUMAN) -> None:
    """Record that summaries in ``team`` used ``tokens`` tokens today."""
    request = SummaryRequest(
        url="https://example.com/earlier", team_id=team, channel=CHANNEL, user=user, door="message"
    )
    store.record_usage(request, "openai", "fake-gpt", Usage(tokens - tokens // 4, tokens // 4, 1), cost_usd=0.01)


def refusals(slack_api) -> list[dict]:
    return [call.args for call in slack_api.calls("chat.postEphemeral") if call.error is None]


def wait_for_refusal(slack_api, count: int = 1) -> dict:
    return slack_api.wait_for_calls("chat.postEphemeral", count=count)[count - 1].args


def finished(slack_api, event: dict) -> None:
    wait_until_finished(slack_api, event["channel"], event["ts"])


@pytest.fixture
def guarded(app_settings):
    """Run the app with cost-guard settings: ``with guarded(daily_token_budget=1000) as app: ...``."""

    def start(**limits):
        return running_app(app_settings.model_copy(update=limits))

    return start


# -- the daily token budget ----------------------------------------------------------------------------
def test_over_the_daily_budget_a_posted_link_gets_the_reason_and_no_summary(guarded, slack_api, web_site):
    with guarded(daily_token_budget=1000) as app:
        spent(app.ctx.store, 1000)
        hits = web_site.hits(ARTICLE)

        event = post_link(app, slack_api, web_site.url(ARTICLE))

        refusal = wait_for_refusal(slack_api)
        assert (refusal["channel"], refusal["user"], refusal["thread_ts"]) == (CHANNEL, HUMAN, event["ts"])
        assert "daily summary budget (1,000 of 1,000 tokens)" in refusal["text"]
        assert "resets at midnight UTC, in " in refusal["text"]
        assert app.ctx.store.requests_by_user(TEAM, HUMAN, since=now() - timedelta(hours=1)) == 0  # not queued
    assert summaries(slack_api) == [] and web_site.hits(ARTICLE) == hits
    assert slack_api.calls("reactions.add") == []


def summarize(app, slack_api, url: str):
    return app.send.command(summarize_command(url, response_url=slack_api.response_url("command")))


def test_over_the_daily_budget_the_command_is_refused_too(guarded, slack_api, web_site):
    with guarded(daily_token_budget=1000) as app:
        spent(app.ctx.store, 5000)

        assert summarize(app, slack_api, web_site.url(ARTICLE)).status_code == 200

        refusal = wait_for_refusal(slack_api)
    assert (refusal["channel"], refusal["user"]) == (CHANNEL, HUMAN) and "daily summary budget" in refusal["text"]
    assert slack_api.calls("chat.postMessage") == []  # no "Summary of ..." parent, no summary


def test_a_refused_command_is_not_acked_as_working(guarded, slack_api, web_site):
    with guarded(daily_token_budget=1000) as app:
        spent(app.ctx.store, 5000)

        ack = summarize(app, slack_api, web_site.url(ARTICLE))

    assert "Working on" not in ack.text


def test_under_the_daily_budget_links_are_summarized(guarded, slack_api, web_site):
    with guarded(daily_token_budget=1000) as app:
        spent(app.ctx.store, 999)

        event = post_link(app, slack_api, web_site.url(ARTICLE))

        finished(slack_api, event)
    assert len(summaries(slack_api)) == 1 and refusals(slack_api) == []


def test_another_workspace_spending_does_not_count(guarded, slack_api, web_site):
    with guarded(daily_token_budget=1000) as app:
        spent(app.ctx.store, 50_000, team="T0ELSEWHERE")

        event = post_link(app, slack_api, web_site.url(ARTICLE))

        finished(slack_api, event)
    assert len(summaries(slack_api)) == 1


def test_yesterday_spending_does_not_count(guarded, slack_api, web_site):
    with guarded(daily_token_budget=1000) as app:
        spent(app.ctx.store, 50_000)
        with app.ctx.store.engine.begin() as db:  # as if recorded before midnight UTC
            db.execute(update(UsageRow).values(created_at=now().replace(hour=0, minute=0) - timedelta(minutes=1)))

        event = post_link(app, slack_api, web_site.url(ARTICLE))

        finished(slack_api, event)
    assert len(summaries(slack_api)) == 1


def test_over_the_budget_a_link_posted_again_still_gets_its_free_pointer(guarded, slack_api, web_site):
    with guarded(daily_token_budget=1000) as app:
        finished(slack_api, post_link(app, slack_api, web_site.url(ARTICLE)))
        spent(app.ctx.store, 1000)

        again = post_link(app, slack_api, web_site.url(ARTICLE))

        pointer = slack_api.wait_for(lambda: [p for p in slack_api.posts() if p["thread_ts"] == again["ts"]])
    assert pointer[0]["text"].startswith("This link was summarized <")
    assert refusals(slack_api) == []


def test_tokens_spent_by_the_openai_backend_count_against_the_budget(
    guarded, openai_settings, openai_server, slack_api, web_site
):
    backend = {
        name: getattr(openai_settings, name)
        for name in ("summarizer_backend", "openai_api_key", "openai_base_url", "openai_model", "openai_timeout")
    }
    with guarded(daily_token_budget=1, **backend) as app:
        first = post_link(app, slack_api, web_site.url(ARTICLE))
        finished(slack_api, first)
        asked = len(openai_server.requests)

        post_link(app, slack_api, web_site.url(ARTICLE + "?edition=2"))

        refusal = wait_for_refusal(slack_api)
    assert asked >= 1 and len(openai_server.requests) == asked  # the second one never reached the model
    assert "daily summary budget" in refusal["text"]
    assert len(summaries(slack_api)) == 1


def test_the_reason_says_how_long_until_midnight_utc(settings):
    store = Store(settings.effective_database_url)
    guard = Guard(settings.model_copy(update={"daily_token_budget": 10}), store)
    spent(store, 10)
    ask = SummaryRequest(url="https://example.com/a", team_id=TEAM, channel=CHANNEL, user=HUMAN, door="message")
    today = now().replace(hour=0, minute=0, second=0, microsecond=0)

    assert guard.refusal(ask, moment=today.replace(hour=23, minute=30)).endswith("in 30 min.")
    assert guard.refusal(ask, moment=today.replace(hour=9, minute=15)).endswith("in 14 h 45 min.")
    assert guard.refusal(ask, moment=today.replace(hour=23, minute=59, second=59)).endswith("in 1 min.")
    store.close()


# -- the per-person rate limit -------------------------------------------------------------------------
def test_the_third_request_in_an_hour_from_one_person_is_refused(guarded, slack_api, web_site):
    with guarded(user_rate_limit=2) as app:
        for edition in (1, 2):
            finished(slack_api, post_link(app, slack_api, web_site.url(f"{ARTICLE}?edition={edition}")))

        third = post_link(app, slack_api, web_site.url(f"{ARTICLE}?edition=3"))

        refusal = wait_for_refusal(slack_api)
    assert (refusal["user"], refusal["thread_ts"]) == (HUMAN, third["ts"])
    assert refusal["text"] == (
        ":warning: You've asked for 2 summaries in the last hour; the limit is 2 an hour. Try again later."
    )
    assert len(summaries(slack_api)) == 2


def test_pointers_to_an_earlier_summary_do_not_count_against_the_limit(guarded, slack_api, web_site):
    with guarded(user_rate_limit=2) as app:
        first = web_site.url(f"{ARTICLE}?edition=1")
        finished(slack_api, post_link(app, slack_api, first))
        post_link(app, slack_api, first)  # the same link again: answered by a free pointer
        slack_api.wait_for(lambda: any("earlier in this channel" in p["text"] for p in posted(slack_api)))

        finished(slack_api, post_link(app, slack_api, web_site.url(f"{ARTICLE}?edition=2")))
    assert len(summaries(slack_api)) == 2


def test_other_people_are_not_limited_by_one_person_requests(guarded, slack_api, web_site):
    with guarded(user_rate_limit=2) as app:
        for edition in (1, 2):
            finished(slack_api, post_link(app, slack_api, web_site.url(f"{ARTICLE}?edition={edition}")))

        other = post_link(app, slack_api, web_site.url(f"{ARTICLE}?edition=3"), user=OTHER_PERSON)

        finished(slack_api, other)
    assert len(summaries(slack_api)) == 3 and refusals(slack_api) == []


def test_requests_older_than_an_hour_do_not_count(guarded, slack_api, web_site):
    with guarded(user_rate_limit=1) as app:
        finished(slack_api, post_link(app, slack_api, web_site.url(f"{ARTICLE}?edition=1")))
        with app.ctx.store.engine.begin() as db:
            db.execute(update(RequestRow).values(created_at=now() - timedelta(minutes=61)))

        finished(slack_api, post_link(app, slack_api, web_site.url(f"{ARTICLE}?edition=2")))
    assert len(summaries(slack_api)) == 2


def test_slack_redelivering_an_accepted_event_is_not_refused(guarded, slack_api, web_site):
    with guarded(user_rate_limit=1) as app:
        payload = event_payload(
            "event_callback.message.bare_link.json", link=web_site.url(ARTICLE), ts=slack_api.next_ts()
        )
        app.send.event(payload)
        finished(slack_api, payload["event"])

        app.send.event(payload, retry_num=1)  # Slack did not see our 200 in time and sends it again
        post_link(app, slack_api, web_site.url(f"{ARTICLE}?edition=2"))  # a new ask is refused...

        wait_for_refusal(slack_api)
    assert len(refusals(slack_api)) == 1  # ...but the redelivery was not
    assert len(summaries(slack_api)) == 1


def test_the_guard_is_off_by_default(slack_app, slack_api, web_site):
    assert (slack_app.ctx.settings.daily_token_budget, slack_app.ctx.settings.user_rate_limit) == (0, 0)
    spent(slack_app.ctx.store, 10_000_000)
    events = [post_link(slack_app, slack_api, web_site.url(f"{ARTICLE}?edition={n}")) for n in range(4)]

    for event in events:
        finished(slack_api, event)
    assert len(summaries(slack_api)) == 4 and refusals(slack_api) == []
