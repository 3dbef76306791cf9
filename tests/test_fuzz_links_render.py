"""Properties of bot.links and bot.render on arbitrary input: never crash, never leave Slack's limits,
never let input text become a live mention or link (in ``text`` or a mrkdwn object; plain_text is never
parsed, so there it must arrive exactly as written)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.extract import Article
from bot.links import find_links, find_links_in_text, is_slack_url, normalize_url
from bot.render import SlackMessage, escape_mrkdwn, fit_text, mrkdwn_len, render_summary
from bot.spec import SummarySpec
from bot.summarizers.base import Summary
from tests.fixtures.slack_validator import load_limits

# Slack's numbers, as cited in the vendored tests/data/slack/limits.json.
BK = load_limits().block_kit
MAX_BLOCKS = BK["blocks_per_message"]
MAX_SECTION = BK["section_text_max_chars"]
MAX_HEADER = BK["header_text_max_chars"]
MAX_CONTEXT_ELEMENTS = BK["context_elements_max_items"]
MAX_TEXT = 4000
SOURCE_URL = "https://news.example/a?b=1&c=2"

bounded = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text built from the pieces that matter to Slack formatting, mixed with arbitrary characters.
FRAGMENTS = [
    "<", ">", "|", "&", "&amp;", "&lt;", "&gt;", "`", "```", "@", "#", "!", "<!channel>", "<!here>",
    "<@U123>", "<#C123|x>", "<https://evil.example|docs>", "@here", "@channel", "https://", "http://",
    "mailto:a@b.c", "example.com", "slack.com", "/", "?", "utm_source=1", "&ref=x", "[", "]", ":", "(",
    ")", ".", " ", "\n", ". ", "Mr. ", "U.S. ", "é", "\u2060", "\x00",
]
slack_text = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)), max_size=40).map("".join)
url_ish = st.one_of(
    slack_text,
    st.sampled_from(["https://a.example/x", "HTTP://B.example:80/?utm_medium=m#f", "http://[::1", "https://files.slack.com/f"]),
)


def _rich_text_leaf():
    element = st.fixed_dictionaries(
        {"type": st.sampled_from(["link", "text", "user", "emoji", "channel"])},
        optional={
            "url": st.one_of(url_ish, st.integers(), st.none()),
            "text": slack_text,
            "style": st.one_of(st.fixed_dictionaries({}, optional={"code": st.booleans()}), st.text(max_size=3)),
        },
    )
    return st.one_of(element, st.none(), st.integers(), st.text(max_size=5))


rich_elements = st.recursive(
    _rich_text_leaf(),
    lambda children: st.fixed_dictionaries(
        {
            "type": st.sampled_from(
                ["rich_text_section", "rich_text_list", "rich_text_quote", "rich_text_preformatted"]
            ),
            "elements": st.one_of(st.lists(children, max_size=4), st.text(max_size=3)),
        }
    ),
    max_leaves=20,
)
messages = st.fixed_dictionaries(
    {},
    optional={
        "text": st.one_of(slack_text, st.none(), st.integers()),
        "blocks": st.one_of(
            st.lists(
                st.fixed_dictionaries(
                    {"type": st.sampled_from(["rich_text", "section"]), "elements": st.lists(rich_elements, max_size=4)}
                ),
                max_size=3,
            ),
            st.text(max_size=3),
        ),
        "files": st.one_of(st.lists(st.fixed_dictionaries({"url_private": url_ish}), max_size=2), st.integers()),
        "attachments": st.lists(st.fixed_dictionaries({}, optional={"image_url": url_ish}), max_size=2),
    },
)


def assert_links_are_usable(links: list[str], limit: int) -> None:
    assert len(links) <= max(limit, 0)
    assert len(set(links)) == len(links)
    for url in links:
        assert url.startswith(("http://", "https://"))
        assert normalize_url(url) == url
        assert not is_slack_url(url)


@bounded
@given(text=slack_text, limit=st.integers(-1, 5))
def test_links_in_any_text_are_normalised_http_links_within_the_limit(text, limit):
    assert_links_are_usable(find_links_in_text(text, limit), limit)


@bounded
@given(message=messages, limit=st.integers(0, 5))
def test_links_in_any_message_shape_are_normalised_http_links_within_the_limit(message, limit):
    assert_links_are_usable(find_links(message, limit), limit)


# Rendering.

paragraph = st.one_of(
    slack_text,
    st.builds(lambda text, times: text * times, slack_text.filter(lambda t: t.strip()), st.integers(1, 300)),
)


def summary_of(title: str, paragraphs: list[str], site: str, warnings: list[str]) -> Summary:
    article = Article(title=title, paragraphs=("word " * 900,), url=SOURCE_URL, site=site, byline=site)
    return Summary(
        article=article,
        paragraphs=tuple(paragraphs),
        spec=SummarySpec(),
        backend="openai",
        model=site or None,
        warnings=tuple(warnings),
    )


def text_objects(message: SlackMessage) -> list[dict]:
    objects = []
    for block in message.blocks:
        objects += [block["text"]] if "text" in block else block["elements"]
    return objects


def assert_within_slack_limits(message: SlackMessage, max_chars: int) -> None:
    assert 1 <= len(message.text) <= min(MAX_TEXT, max_chars)
    assert 1 <= len(message.blocks) <= MAX_BLOCKS
    for block in message.blocks:
        if block["type"] == "header":
            assert 1 <= len(block["text"]["text"]) <= MAX_HEADER
        elif block["type"] == "section":
            assert 1 <= len(block["text"]["text"]) <= MAX_SECTION
        else:
            assert block["type"] == "context"
            assert 1 <= len(block["elements"]) <= MAX_CONTEXT_ELEMENTS
    assert all(1 <= len(obj["text"]) <= MAX_SECTION for obj in text_objects(message))
    assert sum(len(obj["text"]) for obj in text_objects(message)) <= max_chars


def assert_no_live_markup(message: SlackMessage) -> None:
    """The only ``<`` anywhere is the title link this renderer makes to the source URL."""
    link_prefix = ":link: <" + SOURCE_URL.replace("&", "&amp;") + "|"
    texts = [message.text] + [obj["text"] for obj in text_objects(message) if obj["type"] == "mrkdwn"]
    for text in texts:
        if text.startswith(link_prefix):
            text = text[len(link_prefix) : -1]
        assert "<" not in text and ">" not in text


def plain_words(text: str) -> str:
    return "".join(text.split())


@bounded
@given(
    title=slack_text,
    paragraphs=st.lists(paragraph, max_size=60),
    site=slack_text,
    warnings=st.lists(slack_text, max_size=3),
    max_chars=st.integers(2000, 12_000),
)
def test_any_summary_renders_within_limits_with_no_live_markup_and_nothing_lost(
    title, paragraphs, site, warnings, max_chars
):
    rendered = render_summary(summary_of(title, paragraphs, site, warnings), max_chars=max_chars)
    for message in rendered:
        assert_within_slack_limits(message, max_chars)
        assert_no_live_markup(message)
    shown = [
        block["text"]["text"]
        for message in rendered
        for block in message.blocks
        if block["type"] == "section" and block["text"]["type"] == "plain_text"
    ]
    assert plain_words("".join(shown)) == plain_words("".join(paragraphs))  # raw: Slack escapes plain_text


@bounded
@given(text=paragraph, limit=st.integers(10, 3000))
def test_fit_text_pieces_fit_and_keep_every_character(text, limit):
    pieces = fit_text(text, limit)
    assert all(pieces) and all(len(piece) <= limit for piece in pieces)
    assert plain_words("".join(pieces)) == plain_words(text)


@bounded
@given(text=paragraph, limit=st.integers(10, 3000))
def test_fit_text_pieces_to_be_escaped_fit_once_escaped_and_keep_every_character(text, limit):
    pieces = fit_text(text, limit, mrkdwn_len)
    assert all(pieces) and all(len(escape_mrkdwn(piece)) <= limit for piece in pieces)
    assert plain_words("".join(pieces)) == plain_words(text)
