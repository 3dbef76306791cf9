"""bot.render: summaries as Slack messages that Slack accepts, and text that cannot ping or mislead.

Live syntax means: in a mrkdwn text object or a message's ``text``, an unescaped ``<!``, ``<@``,
``<#`` or ``<http`` the app did not write. A plain_text object is never parsed, so anything in it is
inert, and it must show the article's characters exactly as written."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from bot.extract import Article
from bot.render import (
    SlackMessage,
    escape_mrkdwn,
    fit_text,
    message_text,
    mrkdwn_len,
    mrkdwn_link,
    render_evidence,
    render_failure,
    render_summary,
    render_usage,
)
from bot.spec import SummarySpec
from bot.summarizers import Grounding
from bot.summarizers.base import Summary
from tests.fixtures.slack_validator import check_calls

INJECTIONS = ["<!channel>", "<!here>", "<@U123>", "<#C123>", "<https://evil.example|docs>", "<!subteam^S1>"]
EMPHASIS = "*bold* _it_ ~strike~ `code` ```block``` :smile: &amp;"
SENTENCE = "The committee approved the budget after a long debate about schools and roads. "


@pytest.fixture
def article() -> Article:
    return Article(
        title="City approves budget",
        paragraphs=tuple(["word " * 500] * 5),  # 2,500 words
        url="https://news.example/city/budget?id=7&lang=en",
        canonical_url="https://elsewhere.example/claimed",
        site="News Example",
        byline="Ana Ruiz",
        date="2024-05-01",
    )


@pytest.fixture
def make_summary(article: Article):
    """A Summary of ``article``; keyword arguments replace its fields (``title`` replaces the article's)."""

    def make(paragraphs=("First paragraph.", "Second paragraph."), title=None, url="keep", **fields) -> Summary:
        source = article
        if title is not None:
            source = replace(source, title=title)
        if url != "keep":
            source = replace(source, url=url)
        values = {"backend": "openai", "model": "gpt-4.1-mini", **fields}
        return Summary(article=source, paragraphs=tuple(paragraphs), spec=SummarySpec(), **values)

    return make


@pytest.fixture
def check_slack_calls():
    """Checks messages as posted in a thread, as Slack would (tests/fixtures/slack_validator): no problem,
    not even a warning."""

    def check(messages: list[SlackMessage]) -> None:
        records = [
            {"method": "chat.postMessage",
             "args": {"channel": "C1", "thread_ts": "1.1", "text": message.text, "blocks": message.blocks}}
            for message in messages
        ]
        problems = check_calls(records)
        assert not problems, "\n".join(map(str, problems))

    return check


def sections(messages: list[SlackMessage]) -> list[str]:
    return [b["text"]["text"] for m in messages for b in m.blocks if b["type"] == "section"]


def paragraph_sections(messages: list[SlackMessage]) -> list[str]:
    return [text for text in sections(messages) if not text.startswith(":link:")]


def text_objects(message: SlackMessage) -> list[dict]:
    objects = []
    for block in message.blocks:
        objects += [block["text"]] if isinstance(block.get("text"), dict) else block.get("elements", [])
    return objects


def mrkdwn_texts(message: SlackMessage) -> list[str]:
    """What Slack parses for mentions, links and formatting: ``text`` and every mrkdwn object."""
    return [message.text] + [obj["text"] for obj in text_objects(message) if obj["type"] == "mrkdwn"]


def plain_texts(messages: list[SlackMessage]) -> list[str]:
    return [obj["text"] for m in messages for obj in text_objects(m) if obj["type"] == "plain_text"]


def block_chars(message: SlackMessage) -> int:
    return sum(len(obj["text"]) for obj in text_objects(message))


# Escaping.


def test_slacks_three_control_characters_are_escaped():
    assert escape_mrkdwn("a & b < c > d") == "a &amp; b &lt; c &gt; d"


@pytest.mark.parametrize("injection", INJECTIONS)
def test_mentions_broadcasts_and_links_arrive_as_plain_text(injection):
    escaped = escape_mrkdwn(injection)
    assert "<" not in escaped and ">" not in escaped
    assert escaped == injection.replace("<", "&lt;").replace(">", "&gt;")


def test_written_broadcast_words_cannot_be_parsed_into_pings():
    escaped = escape_mrkdwn("Ping @here, @channel and @Everyone; email me@here.example")
    assert "@here," not in escaped and "@channel" not in escaped and "@Everyone" not in escaped
    assert escaped.replace("\u2060", "") == "Ping @here, @channel and @Everyone; email me@here.example"


def test_text_that_is_already_an_entity_is_shown_as_written():
    assert escape_mrkdwn("&lt;b&gt;") == "&amp;lt;b&amp;gt;"


def test_mrkdwn_len_never_undercounts_the_escaped_form():
    for text in ["a & b", "<!here>", "@here and @channel", "@", "plain", "&lt;"]:
        assert mrkdwn_len(text) >= len(escape_mrkdwn(text))


def test_a_link_points_exactly_at_its_url_whatever_the_label_says():
    made = mrkdwn_link("https://a.example/p?x=1&y=2|z>", "<https://evil.example|docs>")
    assert made == "<https://a.example/p?x=1&amp;y=2%7Cz%3E|&lt;https://evil.example|docs&gt;>"


# The summary message.


def test_the_header_is_the_article_title_as_plain_text(make_summary):
    header = render_summary(make_summary())[0].blocks[0]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": "City approves budget", "emoji": False}}


def test_a_long_title_is_cut_at_a_word_to_150_characters(make_summary):
    title = "Budget " * 60
    header = render_summary(make_summary(title=title))[0].blocks[0]["text"]["text"]
    assert len(header) <= 150
    assert header.endswith("Budget…")


def test_the_source_link_points_at_the_page_that_was_read_labelled_with_its_host(make_summary):
    link_section = render_summary(make_summary(title="*Title* <!here>"))[0].blocks[1]["text"]
    assert link_section == {
        "type": "mrkdwn",
        "text": ":link: <https://news.example/city/budget?id=7&amp;lang=en|news.example>",
        "verbatim": True,
    }  # not the claimed canonical, and no page text in mrkdwn


@pytest.mark.parametrize("url", [None, "page.html", "javascript:alert(1)"])
def test_a_source_that_is_not_a_web_page_is_not_linked(make_summary, url):
    blocks = render_summary(make_summary(url=url))[0].blocks
    assert not any(":link:" in b.get("text", {}).get("text", "") for b in blocks)


def test_the_context_line_says_where_from_how_long_and_who_summarized(make_summary):
    context = render_summary(make_summary())[0].blocks[2]
    assert context["type"] == "context" and context["elements"][0]["type"] == "plain_text"
    line = context["elements"][0]["text"]
    assert line == (
        "News Example · by Ana Ruiz · 2024-05-01 · 2,500 words in the source · ~10 min of reading saved"
        " · openai · gpt-4.1-mini"
    )


def test_each_paragraph_is_one_plain_text_section_sent_as_written(make_summary):
    messages = render_summary(make_summary(paragraphs=["One & two.", "Three <four>."]))
    assert len(messages) == 1
    assert messages[0].blocks[3:] == [
        {"type": "section", "text": {"type": "plain_text", "text": "One & two.", "emoji": False}},
        {"type": "section", "text": {"type": "plain_text", "text": "Three <four>.", "emoji": False}},
    ]  # raw: Slack escapes plain_text itself, so "&amp;" here would show as "&amp;"


def test_emphasis_code_quotes_and_emoji_codes_from_a_model_are_shown_as_written(make_summary):
    paragraph = f"{EMPHASIS}\n> quoted line"
    messages = render_summary(make_summary(paragraphs=[paragraph], title=EMPHASIS))
    assert plain_texts(messages)[:1] == [EMPHASIS]
    assert paragraph in plain_texts(messages)
    assert not [text for text in mrkdwn_texts(messages[0])[1:] if "*bold*" in text or "`code`" in text]


def test_blank_paragraphs_make_no_empty_sections(make_summary):
    assert paragraph_sections(render_summary(make_summary(paragraphs=["Real.", "   ", ""]))) == ["Real."]


def test_warnings_end_the_reply_as_a_small_context_line(make_summary):
    messages = render_summary(make_summary(warnings=("The source is short <!here>.", "Two paragraphs only.")))
    last = messages[-1].blocks[-1]
    assert last["type"] == "context"
    assert last["elements"] == [{
        "type": "plain_text", "text": "\u2139\ufe0f The source is short <!here>. · Two paragraphs only.", "emoji": False
    }]


def test_the_fallback_text_carries_title_and_paragraphs_escaped(make_summary):
    message = render_summary(make_summary(paragraphs=["A <@U1> said so."]))[0]
    assert message.text == "City approves budget\n\nA &lt;@U1&gt; said so."


def test_message_text_of_any_blocks_escapes_their_plain_text_and_skips_mrkdwn(make_summary):
    blocks = render_summary(make_summary(title="T <!here>", paragraphs=["A <@U1>.", "B & C."]))[0].blocks
    assert message_text(blocks) == "T &lt;!here&gt;\n\nA &lt;@U1&gt;.\n\nB &amp; C."
    assert message_text(blocks[3:], limit=20) == "A &lt;@U1&gt;.\n\nB…"
    assert message_text(blocks[1:3]) == ""  # the link and context lines are not notification text


@pytest.mark.parametrize("injection", INJECTIONS)
def test_injections_in_title_paragraphs_and_metadata_stay_inert(make_summary, injection, check_slack_calls):
    summary = make_summary(
        title=f"Title {injection}",
        paragraphs=[f"Para {injection} end."],
        model=injection,
        warnings=(injection,),
    )
    summary = replace(summary, article=replace(summary.article, site=injection, byline=injection))
    messages = render_summary(summary)
    for message in messages:
        for text in mrkdwn_texts(message):
            assert injection not in text
            assert not re.search(r"<[!@#]|<https://evil", text)
    shown = plain_texts(messages)
    assert f"Title {injection}" in shown and f"Para {injection} end." in shown  # inert, and as written
    check_slack_calls(messages)


# Limits.


def test_a_long_paragraph_is_split_between_sentences_under_3000_characters(make_summary):
    paragraph = SENTENCE * 100  # ~8,000 characters
    pieces = paragraph_sections(render_summary(make_summary(paragraphs=[paragraph])))
    assert len(pieces) == 3
    assert all(len(p) <= 3000 and p.endswith("roads.") for p in pieces)
    assert " ".join(pieces) == paragraph.strip()


def test_a_sentence_longer_than_a_section_is_cut_between_words(make_summary):
    sentence = "alpha " * 1200 + "end."
    pieces = paragraph_sections(render_summary(make_summary(paragraphs=[sentence])))
    assert len(pieces) > 1 and all(len(p) <= 3000 for p in pieces)
    assert " ".join(pieces).split() == sentence.split()


def test_plain_text_sections_count_their_raw_characters(make_summary):
    pieces = paragraph_sections(render_summary(make_summary(paragraphs=["& " * 1400])))
    assert pieces == [("& " * 1400).strip()]  # 2,799 characters as sent, one section
    pieces = paragraph_sections(render_summary(make_summary(paragraphs=["<> " * 1400])))
    assert len(pieces) == 2 and all(len(p) <= 3000 for p in pieces)


def test_sixty_paragraphs_fill_messages_of_at_most_50_blocks_in_order(make_summary, check_slack_calls):
    paragraphs = [f"Paragraph {i}." for i in range(60)]
    messages = render_summary(make_summary(paragraphs=paragraphs))
    assert len(messages) == 2
    assert all(len(m.blocks) <= 50 for m in messages)
    assert paragraph_sections(messages) == paragraphs
    check_slack_calls(messages)


def test_huge_summaries_pack_into_few_messages_each_within_every_limit(make_summary, check_slack_calls):
    paragraphs = [SENTENCE * 60] * 6  # 6 paragraphs of ~4,800 characters
    messages = render_summary(make_summary(paragraphs=paragraphs, title="T" * 400))
    assert len(messages) == 3  # ~30,000 characters of sections at 10,000 per message
    for message in messages:
        assert block_chars(message) <= 10_000
        assert len(message.text) <= 4000
    check_slack_calls(messages)


def test_a_smaller_max_chars_repacks_into_smaller_messages(make_summary, check_slack_calls):
    summary = make_summary(paragraphs=[SENTENCE * 60] * 6)
    messages = render_summary(summary, max_chars=3000)
    assert len(messages) > len(render_summary(summary))
    assert all(block_chars(m) <= 3000 and len(m.text) <= 3000 for m in messages)
    assert "".join(paragraph_sections(messages)).replace(" ", "") == (SENTENCE * 60 * 6).replace(" ", "")
    check_slack_calls(messages)


def test_max_chars_below_the_minimum_is_refused(make_summary):
    with pytest.raises(ValueError):
        render_summary(make_summary(), max_chars=10)


def test_a_summary_with_no_paragraphs_still_renders_a_valid_message(make_summary, check_slack_calls):
    messages = render_summary(make_summary(paragraphs=[], title=""))
    assert messages[0].blocks[0]["text"]["text"] == "News Example"
    check_slack_calls(messages)


def test_fit_text_keeps_short_text_whole():
    assert fit_text("  Short text.\nSecond line.  ", 3000) == ["Short text.\nSecond line."]


def test_fit_text_measures_escaped_length_when_asked():
    assert fit_text("<<< <<<", 12) == ["<<< <<<"]
    assert fit_text("<<< <<<", 12, mrkdwn_len) == ["<<<", "<<<"]


# Failures and help.


def test_a_failure_names_the_link_and_the_reason_escaped(check_slack_calls):
    message = render_failure("The page said <!channel> & closed.", "https://example.com/a?b=1&c=2")
    assert message.text == (
        ":warning: I couldn't summarize <https://example.com/a?b=1&amp;c=2>: "
        "The page said &lt;!channel&gt; &amp; closed."
    )
    assert message.blocks[0]["text"]["text"] == message.text
    check_slack_calls([message])


def test_a_failure_without_a_link_still_reads_well():
    assert render_failure("No link found.", None).text == ":warning: I couldn't summarize that link: No link found."


def test_a_very_long_failure_reason_is_cut_to_fit_a_section(check_slack_calls):
    message = render_failure("Too long. " * 1000, "https://example.com/")
    assert len(message.text) <= 3000 and message.text.endswith("…")
    check_slack_calls([message])


def test_usage_names_the_command_the_mention_and_the_emoji(check_slack_calls):
    help_text = render_usage(command="/tldr", mention="<@U0APP>", emoji="books", spec=SummarySpec(300, 3))
    assert "`/tldr &lt;url&gt; [words=N] [paragraphs=N]`" in help_text
    assert "<@U0APP> &lt;url&gt;" in help_text
    assert ":books:" in help_text
    assert "at most 300 words in 3 paragraphs" in help_text
    check_slack_calls([SlackMessage(text=help_text)])


def test_the_fallback_text_never_overflows_when_the_next_paragraph_escapes_longer(make_summary):
    # Found by fuzzing: 3 characters were left and the next paragraph was "<", which escapes to 4.
    summary = make_summary(paragraphs=["<<<<<!here>mailto:a@b.c[[000000000000", "[00000&000000" * 114, "<"])
    for message in render_summary(summary, max_chars=2000):
        assert len(message.text) <= 2000


# --- what the grounding check saw, and the evidence -------------------------------------------------


def _texts(messages: list[SlackMessage]) -> list[str]:
    return [e["text"] for m in messages for b in m.blocks if b["type"] == "context" for e in b["elements"]]


def test_the_context_line_says_how_many_numbers_and_names_were_found_in_the_article(make_summary):
    summary = make_summary(grounding=Grounding(found=tuple(f"fact {i}" for i in range(14))))
    assert "\u2713 14 numbers and names found in the article" in _texts(render_summary(summary))


def test_the_context_line_says_what_repair_removed_and_why(make_summary):
    removed = "Dropped 1 sentence with numbers or names not found in the article: 47%."
    summary = make_summary(warnings=(removed,), grounding=Grounding(found=("2026",), removed=(removed,)))
    texts = _texts(render_summary(summary))
    assert f"\u2713 1 number or name found in the article · {removed}" in texts
    assert not any(text.startswith("\u2139") for text in texts)  # said once, not again among the warnings


def test_a_summary_with_a_request_key_ends_with_a_show_evidence_button(make_summary):
    last = render_summary(make_summary(), evidence_key="k" * 40)[-1].blocks[-1]
    assert last["type"] == "actions"
    (button,) = last["elements"]
    assert (button["action_id"], button["value"]) == ("show_evidence", "k" * 40)
    assert button["text"]["text"] == "Show evidence"


def test_without_a_request_key_there_is_no_button(make_summary):
    assert all(b["type"] != "actions" for m in render_summary(make_summary()) for b in m.blocks)


def test_the_evidence_modal_stays_within_block_kit_limits_for_a_long_summary():
    sentence = {"sentence": "x" * 5000, "quotes": ["q" * 5000], "coverage": 1.0, "missing": [], "supported": True}
    modal = render_evidence({"grounding": {"found": ["a"]}, "sentences": [sentence] * 80})
    assert len(modal["blocks"]) <= 100 and len(modal["title"]["text"]) <= 24
    assert all(len(b["text"]["text"]) <= 3000 for b in modal["blocks"] if "text" in b)
    assert all(len(e["text"]) <= 3000 for b in modal["blocks"] for e in b.get("elements", []))
    assert modal["blocks"][-1]["elements"][0]["text"].startswith("48 more sentences not shown")


def test_the_evidence_modal_marks_an_unsupported_sentence_and_what_was_missing():
    item = {"sentence": "Zack sang.", "quotes": ["Ana sang."], "coverage": 0.3, "missing": ["Zack"], "supported": False}
    modal = render_evidence({"grounding": {}, "sentences": [item]})
    note = modal["blocks"][2]["elements"][0]
    assert note["type"] == "plain_text"  # the article's and model's words are never parsed
    assert note["text"].startswith("\u26a0\ufe0f not supported by any sentence of the article (not found: Zack)")
