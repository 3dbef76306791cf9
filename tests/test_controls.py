"""The controls under a summary: each press brings a new version into the same thread, once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.sentences import count_words
from bot.store import CacheRow, now
from handlers.home import home_view
from tests.fixtures.conversation import paragraphs_of, press, summaries_with_controls, summarize
from tests.fixtures.slack_payloads import TEAM

ARTICLE = "/news/plain-article"


def wait_for_versions(slack_api, count: int) -> list[dict]:
    return slack_api.wait_for(lambda: (found := summaries_with_controls(slack_api)) and len(found) >= count
                              and found, timeout=10)


def words(message: dict) -> int:
    return sum(count_words(p) for p in paragraphs_of(message))


def test_each_summary_carries_the_controls(slack_app, slack_api, web_site):
    summary = summarize(slack_app, slack_api, web_site.url(ARTICLE))
    (controls,) = [b for b in summary["blocks"] if b.get("block_id") == "summary_controls"]
    labels = [e.get("text", e.get("placeholder", {}))["text"] for e in controls["elements"]]
    assert labels == ["Shorter", "Longer", "Bullets", "Regenerate", "Translate", "\U0001f44d", "\U0001f44e"]


def test_pressing_shorter_brings_a_shorter_version_into_the_same_thread(slack_app, slack_api, web_site):
    first = summarize(slack_app, slack_api, web_site.url(ARTICLE))
    press(slack_app, slack_api, first, "shorter")
    _, shorter = wait_for_versions(slack_api, 2)
    assert shorter["thread_ts"] == first["thread_ts"]
    assert words(shorter) < words(first)


def test_pressing_bullets_brings_a_tldr_line_then_bullet_points(slack_app, slack_api, web_site):
    first = summarize(slack_app, slack_api, web_site.url(ARTICLE))
    press(slack_app, slack_api, first, "bullets")
    _, bulleted = wait_for_versions(slack_api, 2)
    tldr, points = paragraphs_of(bulleted)
    assert tldr.startswith("TL;DR: ")
    assert all(line.startswith("\u2022 ") for line in points.split("\n")) and points.count("\n") >= 1


def test_regenerate_summarizes_again_without_the_cache(slack_app, slack_api, web_site):
    first = summarize(slack_app, slack_api, web_site.url(ARTICLE))
    cached_at = cache_times(slack_app)
    press(slack_app, slack_api, first, "regenerate")
    _, again = wait_for_versions(slack_api, 2)
    assert again["thread_ts"] == first["thread_ts"]
    assert len(cached_at) == 1 and cache_times(slack_app)[0] > cached_at[0]  # summarized anew, then cached


def cache_times(app) -> list:
    """When each cached summary was made: a cache hit leaves it, a fresh summary replaces it (the
    evidence kept beside each posted summary shares the table, under its own keys)."""
    with app.ctx.store._session() as session:
        return list(session.scalars(select(CacheRow.created_at).where(CacheRow.key.not_like("evidence:%"))))


def test_a_double_press_gives_one_answer(slack_app, slack_api, web_site):
    first = summarize(slack_app, slack_api, web_site.url(ARTICLE))
    press(slack_app, slack_api, first, "shorter")
    press(slack_app, slack_api, first, "shorter")
    wait_for_versions(slack_api, 2)
    slack_api.wait_for(lambda: not slack_app.ctx.store.queue_stats().depth, timeout=10)
    assert len(summaries_with_controls(slack_api)) == 2
    assert not [c for c in slack_api.calls("chat.postEphemeral") if c.error is None]


def test_translate_with_the_extractive_backend_says_it_cannot(slack_app, slack_api, web_site):
    first = summarize(slack_app, slack_api, web_site.url(ARTICLE))
    press(slack_app, slack_api, first, "translate", option="French")
    _, translated = wait_for_versions(slack_api, 2)
    notes = [b for b in translated["blocks"] if b["type"] == "context" and "cannot translate" in str(b)]
    assert notes


def test_feedback_is_recorded_per_summary_and_shown_on_app_home(slack_app, slack_api, web_site):
    first = summarize(slack_app, slack_api, web_site.url(ARTICLE))
    press(slack_app, slack_api, first, "like")
    slack_api.wait_for_calls("chat.postEphemeral")
    totals = slack_app.ctx.store.feedback_totals(TEAM, now() - timedelta(hours=1))
    assert (totals.up, totals.down) == (1, 0)
    assert "1 \U0001f44d" in str(home_view(slack_app.ctx, TEAM, "U1", admin=False))


def test_a_press_shows_a_loading_status_in_the_thread(slack_app, slack_api, web_site):
    first = summarize(slack_app, slack_api, web_site.url(ARTICLE))
    press(slack_app, slack_api, first, "shorter")
    wait_for_versions(slack_api, 2)
    (status,) = slack_api.calls("assistant.threads.setStatus")
    assert status.args["thread_ts"] == first["thread_ts"] and status.args["status"]


def test_where_slack_refuses_the_status_a_press_still_gets_its_answer(slack_app, slack_api, web_site):
    first = summarize(slack_app, slack_api, web_site.url(ARTICLE))
    slack_api.fail("assistant.threads.setStatus", "not_allowed_token_type")
    press(slack_app, slack_api, first, "shorter")
    wait_for_versions(slack_api, 2)
