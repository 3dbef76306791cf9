"""Door 3: `/summarize <url> [words=N] [paragraphs=N]`, answered in a thread under a parent message."""

from __future__ import annotations

import pytest

from tests.fixtures.app import summaries
from tests.fixtures.slack_methods import HUMAN
from tests.fixtures.slack_payloads import CHANNEL, summarize_command


def summarize(slack_app, slack_api, text: str, channel: str = CHANNEL):
    """Type `/summarize <text>` in ``channel``; returns the HTTP answer (the ack)."""
    body = summarize_command(text, response_url=slack_api.response_url("command"), channel_id=channel)
    return slack_app.send.command(body)


def parent_message(slack_api, channel: str = CHANNEL) -> dict:
    """The "Summary of <link> requested by <@user>" message the summary's thread hangs from."""
    (parent,) = [m for m in slack_api.messages[channel].values() if m["text"].startswith("Summary of ")]
    return parent


def paragraphs_of(summary: dict) -> list[str]:
    return [b["text"]["text"] for b in summary["blocks"]
            if b["type"] == "section" and not b["text"]["text"].startswith(":link:")]


def test_a_url_is_acked_at_once_then_summarized_under_a_parent_message(slack_app, slack_api, web_site):
    url = web_site.url("/news/plain-article")

    ack = summarize(slack_app, slack_api, url)

    assert ack.status_code == 200 and ack.text.startswith(":hourglass_flowing_sand: Working on")
    slack_api.wait_for(lambda: summaries(slack_api), timeout=15)
    parent = parent_message(slack_api)
    assert parent["text"] == f"Summary of <{url}> requested by <@{HUMAN}>" and "thread_ts" not in parent
    (summary,) = summaries(slack_api)
    assert (summary["channel"], summary["thread_ts"]) == (CHANNEL, parent["ts"])


def test_words_and_paragraphs_shape_the_summary(slack_app, slack_api, web_site):
    summarize(slack_app, slack_api, f"{web_site.url('/news/plain-article')} words=60 paragraphs=2")

    (summary,) = slack_api.wait_for(lambda: summaries(slack_api), timeout=15)
    paragraphs = paragraphs_of(summary)
    assert len(paragraphs) == 2
    assert sum(len(p.split()) for p in paragraphs) <= 60


@pytest.mark.parametrize("refusal", ["not_in_channel", "channel_not_found"])
def test_a_channel_the_app_cannot_post_in_gets_the_summary_through_response_url(
    refusal, slack_app, slack_api, web_site
):
    slack_api.fail("chat.postMessage", refusal)

    summarize(slack_app, slack_api, web_site.url("/news/plain-article"))

    (answer,) = slack_api.wait_for(lambda: slack_api.responses("command"), timeout=15)
    assert answer["response_type"] == "ephemeral" and answer["blocks"][0]["type"] == "header"
    assert [c.error for c in slack_api.calls("chat.postMessage")] == [refusal]  # nothing posted, no retry


def test_a_channel_the_app_is_not_a_member_of_falls_back_to_response_url(slack_app, slack_api, web_site):
    slack_api.add_channel("C0NOTMEMBER", is_member=False)

    summarize(slack_app, slack_api, web_site.url("/news/plain-article"), channel="C0NOTMEMBER")

    (answer,) = slack_api.wait_for(lambda: slack_api.responses("command"), timeout=15)
    assert answer["blocks"][0]["type"] == "header"
    assert summaries(slack_api) == []


@pytest.mark.parametrize("text", ["", "help", "  HELP "])
def test_no_link_or_help_shows_usage(text, slack_app, slack_api):
    ack = summarize(slack_app, slack_api, text)

    assert ack.status_code == 200
    assert "/summarize &lt;url&gt; [words=N] [paragraphs=N]" in ack.text
    assert slack_api.calls("chat.postMessage") == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not-a-link", "I couldn't find a web link in `not-a-link`"),
        ("ftp://files.example.com/report", "I couldn't find a web link"),
        ("https://example.com/a words=lots", "`words` must be a whole number from 20 to 5000, not `lots`"),
        ("https://example.com/a paragraphs=0", "`paragraphs` must be a whole number from 1 to 20, not `0`"),
        ("https://example.com/a colour=red", "I don't know the option `colour`"),
    ],
)
def test_a_bad_link_or_option_is_refused_naming_the_problem(text, problem, slack_app, slack_api):
    ack = summarize(slack_app, slack_api, text)

    assert ack.status_code == 200
    assert ack.text.startswith(":warning:") and problem in ack.text
    assert slack_api.calls("chat.postMessage") == []
