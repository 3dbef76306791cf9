"""bot.links: which URLs in a Slack message are links a person shared, and their canonical form."""

from __future__ import annotations

import pytest

from bot.links import find_links, find_links_in_text, is_slack_url, normalize_url
from tests.fixtures.slack_payloads import load_payload


@pytest.fixture
def payload_event():
    """The ``event`` of a real (or documented) Slack payload from tests/data/slack/payloads."""

    def load(name: str) -> dict:
        return load_payload(name)["event"]

    return load


def rich_text(*elements: dict) -> list[dict]:
    return [{"type": "rich_text", "elements": list(elements)}]


def section(*elements: dict) -> dict:
    return {"type": "rich_text_section", "elements": list(elements)}


def link(url: str, **extra) -> dict:
    return {"type": "link", "url": url, **extra}


# Real payloads.


def test_labelled_link_and_escaped_ampersand_are_found_once_each(payload_event):
    event = payload_event("event_callback.message.labelled_link.COMPOSED.json")
    assert find_links(event) == [
        "https://docs.slack.dev/messaging/formatting-message-text",
        "https://example.com/a?b=1&c=2",
    ]


def test_channel_user_and_emoji_are_skipped_and_the_bare_link_kept(payload_event):
    event = payload_event("event_callback.message.mentions_and_bare_link.json")
    assert find_links(event) == ["https://google.com/"]


@pytest.mark.parametrize(
    "name",
    ["event_callback.message.bare_link.json", "event_callback.message.bot_message.json"],
)
def test_slack_message_permalinks_are_never_articles(payload_event, name):
    assert find_links(payload_event(name)) == []


def test_an_edited_message_carrying_its_unfurl_is_read_from_its_message(payload_event):
    event = payload_event("event_callback.message_changed.unfurl_added.json")
    assert find_links(event["message"]) == []  # the only link is a Slack permalink


def test_links_in_a_bots_attachments_are_not_the_messages_links(payload_event):
    event = payload_event("event_callback.message.bot_attachments_labelled_links.json")
    assert find_links(event) == []


def test_a_shared_message_unfurl_adds_no_links(payload_event):
    assert find_links(payload_event("event_callback.message.with_unfurl_attachment.json")) == []


def test_a_bare_mention_of_the_app_has_no_links(payload_event):
    assert find_links(payload_event("event_callback.app_mention.with_blocks.json")) == []


# Rich text first, then text.


def test_rich_text_links_come_first_then_links_only_in_text():
    message = {
        "text": "<https://b.example/2> and <https://a.example/1>",
        "blocks": rich_text(section(link("https://a.example/1"))),
    }
    assert find_links(message) == ["https://a.example/1", "https://b.example/2"]


def test_links_inside_lists_and_quotes_are_found_in_reading_order():
    message = {
        "blocks": rich_text(
            {"type": "rich_text_list", "style": "bullet", "elements": [section(link("https://one.example/"))]},
            {"type": "rich_text_quote", "elements": [link("https://two.example/")]},
        )
    }
    assert find_links(message) == ["https://one.example/", "https://two.example/"]


def test_links_in_code_blocks_and_inline_code_are_quotes_not_requests():
    message = {
        "text": "```<https://fenced.example/>```, `https://inline.example/` and <https://real.example/>",
        "blocks": rich_text(
            {"type": "rich_text_preformatted", "elements": [link("https://fenced.example/")]},
            section(link("https://inline.example/", style={"code": True}), link("https://real.example/")),
        ),
    }
    assert find_links(message) == ["https://real.example/"]


def test_mentions_broadcasts_mail_and_other_schemes_are_skipped():
    text = (
        "<@U123> <#C123|general> <!here> <!subteam^S123|@team> <!date^1392734382^{date}|Feb 18> "
        "<mailto:a@example.com|mail> <tel:+15551234|call> <slack://open> <ftp://files.example/x> "
        "<https://kept.example/>"
    )
    assert find_links({"text": text}) == ["https://kept.example/"]


@pytest.mark.parametrize(
    "url",
    [
        "https://files.slack.com/files-pri/T1-F1/report.pdf",
        "https://app.slack.com/client/T1/C1",
        "https://myteam.slack.com/archives/C1/p1",
        "https://slack.com/help",
        "https://avatars.slack-edge.com/a.png",
    ],
)
def test_slacks_own_hosts_are_skipped(url):
    assert is_slack_url(url)
    assert find_links({"text": f"<{url}>"}) == []


def test_look_alike_hosts_and_slacks_public_docs_are_not_slack_pages():
    assert not is_slack_url("https://notslack.com/a")
    assert not is_slack_url("https://slack.com.evil.example/a")
    assert not is_slack_url("https://docs.slack.dev/messaging")


def test_files_and_images_attached_to_the_message_are_skipped():
    message = {
        "text": "<https://img.example/cat.png> <https://cdn.example/report.pdf> <https://article.example/>",
        "files": [{"url_private": "https://cdn.example/report.pdf"}],
        "attachments": [{"image_url": "https://img.example/cat.png"}],
    }
    assert find_links(message) == ["https://article.example/"]


def test_duplicates_are_dropped_after_normalisation_keeping_the_first():
    message = {
        "text": "<https://Example.com/a?utm_source=slack> <https://example.com:443/a#section> <https://x.example/>"
    }
    assert find_links(message) == ["https://example.com/a", "https://x.example/"]


def test_at_most_limit_links_are_returned():
    text = " ".join(f"<https://site{i}.example/>" for i in range(5))
    assert find_links({"text": text}) == [f"https://site{i}.example/" for i in range(3)]
    assert find_links({"text": text}, limit=1) == ["https://site0.example/"]
    assert find_links({"text": text}, limit=0) == []


def test_malformed_urls_and_odd_shapes_are_ignored_without_error():
    message = {
        "text": "<http://[::1> <https://:80/> <https://host.example:99999/> <https://ok.example/>",
        "blocks": [{"type": "rich_text", "elements": [None, {"type": "link", "url": 42}, "junk"]}, "junk"],
        "files": "not a list",
    }
    assert find_links(message) == ["https://ok.example/"]


# Slash-command and mention arguments.


def test_command_arguments_yield_the_url_not_the_options():
    assert find_links_in_text("<https://example.com/a?b=1&amp;c=2|example.com/a> words=200 paragraphs=3") == [
        "https://example.com/a?b=1&c=2"
    ]


def test_a_url_written_in_a_label_is_not_a_second_link():
    assert find_links_in_text("<https://github.com/org/repo/pull/8|#8 https://other.example/x>") == [
        "https://github.com/org/repo/pull/8"
    ]


def test_bare_urls_lose_trailing_sentence_punctuation():
    assert find_links_in_text("read this (https://example.com/a). Or https://example.com/b, please!") == [
        "https://example.com/a",
        "https://example.com/b",
    ]


def test_a_bare_url_keeps_its_own_closing_parenthesis():
    url = "https://en.wikipedia.org/wiki/Python_(programming_language)"
    assert find_links_in_text(f"see {url}.") == [url]


def test_no_text_means_no_links():
    assert find_links_in_text("") == []
    assert find_links_in_text("help") == []


# Normalisation.


def test_scheme_and_host_are_lowercased_but_the_path_is_not():
    assert normalize_url("HTTPS://Example.COM/Some/Path") == "https://example.com/Some/Path"


def test_default_ports_are_dropped_and_others_kept():
    assert normalize_url("http://example.com:80/a") == "http://example.com/a"
    assert normalize_url("https://example.com:443/a") == "https://example.com/a"
    assert normalize_url("https://example.com:8443/a") == "https://example.com:8443/a"


def test_the_fragment_is_dropped():
    assert normalize_url("https://example.com/a#comments") == "https://example.com/a"


def test_tracking_parameters_are_dropped_and_the_rest_kept_in_order():
    url = "https://example.com/a?z=1&utm_source=x&UTM_Medium=y&fbclid=f&gclid=g&mc_cid=m&igshid=i&ref=main&a=2"
    assert normalize_url(url) == "https://example.com/a?z=1&ref=main&a=2"


def test_a_query_of_only_tracking_parameters_disappears():
    assert normalize_url("https://example.com/a?utm_campaign=launch&ref_src=twsrc") == "https://example.com/a"


def test_an_empty_path_becomes_the_root():
    assert normalize_url("https://example.com") == "https://example.com/"


def test_ipv6_hosts_keep_their_brackets():
    assert normalize_url("http://[2001:DB8::1]:8080/x") == "http://[2001:db8::1]:8080/x"


def test_normalising_twice_changes_nothing():
    once = normalize_url("HTTPS://Example.com:443/a?b=1&utm_source=x#f")
    assert normalize_url(once) == once


def test_a_url_without_a_host_is_an_error():
    with pytest.raises(ValueError):
        normalize_url("https:///path")
