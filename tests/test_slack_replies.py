"""What the app posts: Block Kit within limits (the checker), a text fallback, everything from the page
inert (plain_text blocks, escaped mrkdwn), and status reactions that say how it went (with the reason in
the thread when it failed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures.app import DONE, FAILED, WORKING, failures, post_link, summaries, wait_until_finished
from tests.fixtures.slack_payloads import event_payload
from tests.fixtures.web import one_page_site
from tests.fixtures.web_pages import NewsArticle, news_page

HOSTILE = ("<!channel>", "<!here>", "<@U123>", "<https://evil.example|docs>")
HOSTILE_ARTICLE = NewsArticle(
    title="Heads up <!channel>: <@U123> shared <https://evil.example|docs>",
    byline="Mallory",
    date="2024-05-01",
    paragraphs=tuple(
        f"Paragraph {n} tells <!channel> and <!here> that <@U123> moved the quarterly budget review to the "
        f"new room, and that the agenda lives at <https://evil.example|docs> for anyone who wants to read "
        f"it before the meeting starts on time."
        for n in range(1, 7)
    ),
)


@pytest.fixture(scope="module")
def hostile_url() -> Iterator[str]:
    """A page on loopback whose title and text are full of Slack control sequences."""
    with one_page_site(news_page(HOSTILE_ARTICLE), path="/story") as site:
        yield f"{site}/story"


def mrkdwn_texts(post: dict) -> list[str]:
    """Every string Slack would parse for mentions and links: the fallback and each mrkdwn object."""
    texts = [post["text"]]
    for block in post.get("blocks", []):
        for item in [block.get("text"), *block.get("elements", [])]:
            if isinstance(item, dict) and item.get("type") == "mrkdwn":
                texts.append(item["text"])
    return texts


def test_nothing_from_the_page_becomes_a_live_mention_or_link(slack_app, slack_api, hostile_url):
    event = post_link(slack_app, slack_api, hostile_url)
    channel, ts = event["channel"], event["ts"]

    wait_until_finished(slack_api, channel, ts)
    (summary,) = summaries(slack_api)
    texts = [text for post in slack_api.posts() for text in mrkdwn_texts(post)]
    assert not [text for text in texts for raw in HOSTILE if raw.split("|")[0] in text]
    assert "&lt;!channel&gt;" in summary["text"]  # escaped in the notification text, not dropped
    assert summary["blocks"][0] == {"type": "header", "text": {
        "type": "plain_text", "text": HOSTILE_ARTICLE.title, "emoji": False}}  # plain_text is never parsed
    paragraphs = [block["text"] for block in summary["blocks"][3:] if block["type"] == "section"]
    assert {p["type"] for p in paragraphs} == {"plain_text"}
    assert all(raw in paragraphs[0]["text"] for raw in HOSTILE)  # shown as written


def test_a_summary_is_block_kit_with_a_text_fallback(slack_app, slack_api, web_site):
    event = post_link(slack_app, slack_api, web_site.url("/news/plain-article"))
    channel, ts = event["channel"], event["ts"]

    wait_until_finished(slack_api, channel, ts)
    (summary,) = summaries(slack_api)
    assert [b["type"] for b in summary["blocks"][:3]] == ["header", "section", "context"]
    assert "Harbor City" in summary["text"]
    assert summary["unfurl_links"] is False and summary["unfurl_media"] is False  # no preview of the source


def test_the_hourglass_shows_while_working_and_a_check_mark_after(slack_app, slack_api, web_site):
    event = post_link(slack_app, slack_api, web_site.url("/news/plain-article"))
    channel, ts = event["channel"], event["ts"]

    assert wait_until_finished(slack_api, channel, ts) == {DONE}
    steps = [(c.method, c.args.get("name")) for c in slack_api.calls() if c.method != "auth.test"]
    assert steps == [
        ("reactions.add", WORKING),
        ("chat.postMessage", None),
        ("reactions.add", DONE),
        ("reactions.remove", WORKING),  # last: the hourglass stays while other links of the message are worked on
    ]


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/status/404", "That page was not found on the site (HTTP 404); check the link."),
        ("/redirect/metadata", "That link points to a private or internal address (169.254.169.254)"),
        ("/news/empty-article", "That page doesn't look like an article"),
    ],
)
def test_a_failure_gets_a_warning_and_the_reason_in_the_thread(path, reason, slack_app, slack_api, web_site):
    event = post_link(slack_app, slack_api, web_site.url(path))
    channel, ts = event["channel"], event["ts"]

    assert wait_until_finished(slack_api, channel, ts, FAILED) == {FAILED}
    (failure,) = failures(slack_api)
    assert failure["thread_ts"] == ts and reason in failure["text"]
    assert summaries(slack_api) == []


def test_the_hourglass_stays_until_the_last_link_of_a_message_is_done(slack_app, slack_api, web_site):
    text = f"<{web_site.url('/news/plain-article')}> and <{web_site.url('/news/long-article')}>"
    payload = event_payload("event_callback.message.bare_link.json", text=text, ts=slack_api.next_ts())
    slack_app.send.event(payload)
    channel, ts = payload["event"]["channel"], payload["event"]["ts"]

    assert wait_until_finished(slack_api, channel, ts) == {DONE}
    calls = [c for c in slack_api.calls() if c.error is None]
    removed = next(i for i, c in enumerate(calls) if c.method == "reactions.remove")
    last_summary = max(i for i, c in enumerate(calls) if c.method == "chat.postMessage")
    assert removed > last_summary
