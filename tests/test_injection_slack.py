"""Nothing an article or a person types becomes live Slack syntax in what the app posts: no mention,
broadcast, channel link, quote or link whose label lies about its target, on any surface (summary,
/summarize parent and ack, response_url fallback, failure replies, pointers, ephemeral notes).

Every string Slack would parse (a message's ``text`` and each mrkdwn object of its blocks) is read
token by token: the only ``<...>`` allowed is a link to the URL that was asked for, a Slack
permalink, or the mention of the person who asked. plain_text objects (the title, the paragraphs,
the source line) are never parsed: anything in them is inert, and must arrive as written."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from bot.render import mrkdwn_link
from tests.fixtures.app import FAILED, failures, post_link, summaries, wait_until_finished
from tests.fixtures.slack_methods import HUMAN
from tests.fixtures.slack_payloads import CHANNEL, TEAM, event_payload, summarize_command
from tests.fixtures.web import one_page_site
from tests.fixtures.web_pages import NewsArticle, news_page

BOT = "U0442US8QGH"
MENTIONER = "U061F7AUR"  # the person in the captured app_mention payload
PERMALINK = "https://jadeapptesting.slack.com/archives/"

SPOOF = "*Urgent* _read_ ~now~ `run me` > quoted <!channel> <!here> <!everyone> <!subteam^S0123|@team> " \
        "<@U123> <#C123|general> <https://evil.example|docs> @channel @here"
HOSTILE_ARTICLE = NewsArticle(
    title=f"Budget review moved {SPOOF}",
    byline="Mallory <@U999>",
    date="2024-05-01",
    paragraphs=tuple(
        f"Paragraph {n} says {SPOOF} and that the quarterly budget review moved to the new room on the "
        f"third floor. Everyone should read the agenda before the meeting starts on time.\n"
        f"> a quoted line <!channel>\n```fenced <@U123>```"
        for n in range(1, 7)
    ),
)
TOKEN = re.compile(r"<([^<>]*)>")
BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
QUOTE = re.compile(r"(^|\n)\s*>")


@pytest.fixture(scope="module")
def hostile_site() -> Iterator[str]:
    """``/story``: the hostile article; anything else: 404 (for failure replies that quote the URL)."""
    with one_page_site(news_page(HOSTILE_ARTICLE), path="/story") as site:
        yield site


# -- reading what was posted the way Slack would ---------------------------------------------------------
def parsed_texts(message: dict) -> list[str]:
    """Every string Slack parses for mentions, links and formatting (plain_text is never parsed)."""
    texts = [message["text"]] if isinstance(message.get("text"), str) else []
    for block in message.get("blocks") or []:
        for item in [block.get("text"), *block.get("elements", []), *block.get("fields", [])]:
            if isinstance(item, dict) and item.get("type") == "mrkdwn":
                texts.append(item["text"])
    return texts


def live_syntax(text: str, asked: list[str], people: tuple[str, ...] = (HUMAN, MENTIONER)) -> list[str]:
    """What in ``text`` Slack would turn into a mention, broadcast, quote or a link the app did not mean."""
    allowed = {_target(url) for url in asked} | {f"@{person}" for person in people}
    found = [token for token in TOKEN.findall(text)
             if token.split("|")[0] not in allowed and not token.startswith(PERMALINK)]
    found += [f"bare {m.group(0)}" for m in BROADCAST.finditer(text)]
    found += ["a > quote"] if QUOTE.search(text) else []
    return found


def _target(url: str) -> str:
    """The link target :func:`bot.render.mrkdwn_link` writes for ``url``."""
    return TOKEN.match(mrkdwn_link(url)).group(1)


def everything_posted(slack_api, *, acks: tuple = ()) -> list[dict]:
    """Every message the app sent Slack: posts, ephemeral notes, response_url bodies, command acks."""
    sent = [call.args for call in slack_api.calls() if call.method in ("chat.postMessage", "chat.postEphemeral")]
    sent += slack_api.responses("command") + [ack_message(ack) for ack in acks if ack.text]
    return sent


def ack_message(ack) -> dict:
    """What Slack shows for a command's ack: a JSON message, or a plain-text body as its text."""
    return ack.json() if ack.headers.get("Content-Type", "").startswith("application/json") else {"text": ack.text}


def assert_nothing_live(messages: list[dict], asked: list[str]) -> None:
    assert messages, "nothing was posted"
    problems = {text: live_syntax(text, asked) for m in messages for text in parsed_texts(m)}
    assert not {text: found for text, found in problems.items() if found}


def summarize(slack_app, slack_api, text: str, channel: str = CHANNEL):
    body = summarize_command(text, response_url=slack_api.response_url("command"), channel_id=channel)
    return slack_app.send.command(body)


def mention(slack_app, slack_api, text: str) -> str:
    ts = slack_api.next_ts()
    payload = event_payload("event_callback.app_mention.docs.json", text=f"<@{BOT}> {text}", channel=CHANNEL,
                            ts=ts, team_id=TEAM)
    assert slack_app.send.event(payload).status_code == 200
    return ts


# -- an article full of Slack syntax ---------------------------------------------------------------------
def test_a_hostile_article_summarized_in_its_thread_posts_nothing_live(slack_app, slack_api, hostile_site):
    url = f"{hostile_site}/story"
    event = post_link(slack_app, slack_api, url)

    wait_until_finished(slack_api, event["channel"], event["ts"])
    (summary,) = summaries(slack_api)
    assert summary["blocks"][0]["text"]["type"] == "plain_text"  # the title: shown as written, never parsed
    assert_nothing_live(everything_posted(slack_api), [url])


def test_a_hostile_summary_slack_makes_us_post_in_halves_posts_nothing_live(slack_app, slack_api, hostile_site):
    url = f"{hostile_site}/story"
    slack_api.fail("chat.postMessage", "msg_blocks_too_long")
    event = post_link(slack_app, slack_api, url)

    wait_until_finished(slack_api, event["channel"], event["ts"])
    assert [call.error for call in slack_api.calls("chat.postMessage")] == ["msg_blocks_too_long", None, None]
    assert_nothing_live(everything_posted(slack_api), [url])


def test_a_hostile_article_asked_with_summarize_posts_a_clean_parent_ack_and_summary(
    slack_app, slack_api, hostile_site
):
    url = f"{hostile_site}/story"

    ack = summarize(slack_app, slack_api, url)

    slack_api.wait_for(lambda: summaries(slack_api), timeout=15)
    parent, *_ = slack_api.posts()
    assert "thread_ts" not in parent and parent["text"].startswith("Summary of <http://127.0.0.1:")
    assert_nothing_live(everything_posted(slack_api, acks=(ack,)), [url])


def test_a_hostile_article_sent_through_response_url_posts_nothing_live(slack_app, slack_api, hostile_site):
    url = f"{hostile_site}/story"
    slack_api.fail("chat.postMessage", "not_in_channel")

    summarize(slack_app, slack_api, url)

    (answer,) = slack_api.wait_for(lambda: slack_api.responses("command"), timeout=15)
    assert answer["blocks"][0]["type"] == "header"
    assert_nothing_live(everything_posted(slack_api), [url])


def test_a_hostile_article_asked_by_mention_posts_nothing_live(slack_app, slack_api, hostile_site):
    url = f"{hostile_site}/story"

    ts = mention(slack_app, slack_api, f"<{url}> please <!channel>")

    wait_until_finished(slack_api, CHANNEL, ts)
    assert len(summaries(slack_api)) == 1
    assert_nothing_live(everything_posted(slack_api), [url])


# -- URLs and words a person types -----------------------------------------------------------------------
HOSTILE_URLS = [
    "/missing?a=1|https://trusted.example",  # a "|" that would end the link target and start a label
    "/missing?q=%3C!channel%3E|<!channel>",
    "/missing/<@U123>",
    "/missing?next=>quote",
    "/missing?x=*bold*_it_~s~`code`",
    "/missing?" + "a=1&" * 250,  # too long to link: quoted as text instead
]


@pytest.mark.parametrize("path", HOSTILE_URLS)
def test_a_hostile_url_typed_after_summarize_cannot_mention_or_spoof_a_link(path, slack_app, slack_api,
                                                                           hostile_site):
    typed = f"{hostile_site}{path}".replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # as Slack sends

    ack = summarize(slack_app, slack_api, typed)

    slack_api.wait_for(lambda: failures(slack_api), timeout=15)
    asked = slack_api.posts()[0]["text"]
    url = re.match(r"Summary of <([^|>]*)", asked).group(1)
    assert "|" not in url and ">" not in url  # percent-encoded: the link ends where the URL ends
    assert_nothing_live(everything_posted(slack_api, acks=(ack,)), [_unquote_target(url)])


def _unquote_target(target: str) -> str:
    """Undo Slack's ``&amp;`` so the allow-list's own encoding gives back ``target``."""
    return target.replace("&amp;", "&")


def test_a_hostile_label_on_a_typed_link_is_dropped(slack_app, slack_api, hostile_site):
    url = f"{hostile_site}/missing"

    ack = summarize(slack_app, slack_api, f"<{url}|https://trusted.example &lt;!channel&gt;>")

    slack_api.wait_for(lambda: failures(slack_api), timeout=15)
    messages = everything_posted(slack_api, acks=(ack,))
    assert not [t for m in messages for t in parsed_texts(m) if "trusted.example" in t]
    assert_nothing_live(messages, [url])


@pytest.mark.parametrize("text", [
    "not-a-link <!channel> <@U123> <#C123> &lt;!here&gt; @everyone > quote",
    "https://example.com/a words=@channel",
    "https://example.com/a paragraphs=&lt;!here&gt;",
    "https://example.com/a words=<https://evil.example|docs>",
])
def test_words_typed_after_summarize_come_back_inert_in_the_ack(text, slack_app, slack_api):
    ack = summarize(slack_app, slack_api, text)

    assert ack.status_code == 200 and ack_message(ack)["text"].startswith(":warning:")
    assert_nothing_live([ack_message(ack)], [])
    assert slack_api.posts() == []


@pytest.mark.parametrize("text", [
    "help me <!channel> @here",
    "https://example.com/a words=@channel",
    "https://example.com/a colour=red",
])
def test_words_typed_in_a_mention_come_back_inert_in_the_ephemeral_note(text, slack_app, slack_api):
    mention(slack_app, slack_api, text)

    (note,) = slack_api.wait_for_calls("chat.postEphemeral")
    assert_nothing_live([note.args], [])
    assert slack_api.posts() == []


def test_a_second_ask_for_a_hostile_link_gets_a_clean_pointer(slack_app, slack_api, hostile_site):
    url = f"{hostile_site}/story"
    ts = slack_api.add_message(CHANNEL, text=f"<{url}>")
    reaction = event_payload("event_callback.reaction_added.docs.json", team_id=TEAM, user=HUMAN, reaction="memo",
                             item={"type": "message", "channel": CHANNEL, "ts": ts})
    slack_app.send.event(reaction)
    wait_until_finished(slack_api, CHANNEL, ts)

    slack_app.send.event(reaction | {"event_id": "EvSECONDASK1"})

    (pointer,) = slack_api.wait_for_calls("chat.postEphemeral")
    assert pointer.args["text"].startswith("That link is already summarized <https://")
    assert_nothing_live(everything_posted(slack_api), [url])


def test_a_failure_for_a_hostile_url_posted_in_a_channel_thread_is_inert(slack_app, slack_api, hostile_site):
    url = f"{hostile_site}/missing?a=1|x"
    event = post_link(slack_app, slack_api, url)

    wait_until_finished(slack_api, event["channel"], event["ts"], FAILED)
    assert any(quote("|") in failure["text"] for failure in failures(slack_api))
    # The message's text form <url|x> reads as a link to .../missing?a=1 labelled "x": a second ask.
    assert_nothing_live(everything_posted(slack_api), [url, url.split("|")[0]])


EMPHASIS = re.compile(r"(?<!\w)([*_~])(?=\S)[^\n]*?(?<=\S)\1(?!\w)|`[^`\n]+`")


def block_mrkdwn(messages: list[dict]) -> list[str]:
    """The mrkdwn objects of blocks: what Slack renders with formatting (``text`` is for notifications)."""
    return [text for m in messages for text in parsed_texts({"blocks": m.get("blocks")})]


def test_emphasis_code_and_quotes_from_a_page_are_shown_as_written(slack_app, slack_api, hostile_site):
    event = post_link(slack_app, slack_api, f"{hostile_site}/story")

    wait_until_finished(slack_api, event["channel"], event["ts"])
    (summary,) = summaries(slack_api)
    paragraphs = [b["text"] for b in summary["blocks"][3:] if b["type"] == "section"]
    assert paragraphs and all(p["type"] == "plain_text" for p in paragraphs)  # never parsed by Slack
    shown = "\n".join(p["text"] for p in paragraphs)
    assert "*Urgent* _read_ ~now~ `run me` > quoted <!channel>" in shown  # as written, not escaped
    assert [text for text in block_mrkdwn(everything_posted(slack_api)) if EMPHASIS.search(text)] == []


def test_the_allow_list_itself_catches_live_syntax():
    """The checker above is only as good as what it flags: each of these must be flagged."""
    for text in ["<!channel>", "<!here|here>", "<@U123>", "<#C123>", "<https://evil.example|docs>",
                 "hi\n> quote", "> quote", "@channel", "<!subteam^S1>", "<http://127.0.0.1:1/a|label>"]:
        assert live_syntax(text, ["http://127.0.0.1:1/b"]), text
    assert not live_syntax(mrkdwn_link("http://127.0.0.1:1/a|b>c"), ["http://127.0.0.1:1/a|b>c"])
    assert not live_syntax(json.dumps("&lt;!channel&gt; @\u2060channel"), [])
