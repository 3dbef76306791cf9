"""A Summary as Slack messages within Block Kit's limits, and the one mrkdwn escaping function.

    for message in render_summary(summary):                  # usually one message, sometimes more
        client.chat_postMessage(channel=..., thread_ts=..., unfurl_links=False, **message.as_kwargs())

Everything that comes from an article or a model passes through :func:`escape_mrkdwn`, so a page
that says ``<!channel>`` or ``<https://evil|docs>`` shows those characters instead of pinging a
channel or hiding a link. The limits (section text 3000, header 150, 50 blocks, 4000 chars of
``text``) are Slack's, cited in shared/specs/slack/LIMITS.md; paragraphs are split only between
sentences, and a message is closed before its block text reaches ``max_chars``, kept well under the
~12,000 characters where Slack starts answering ``msg_blocks_too_long``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from bot.sentences import split_sentences
from bot.spec import SummarySpec
from bot.summarizers.base import Summary

MAX_SECTION_CHARS = 3000
MAX_HEADER_CHARS = 150
MAX_BLOCKS = 50
MAX_TEXT_CHARS = 4000
DEFAULT_MAX_CHARS = 10_000  # block text per message
MIN_MAX_CHARS = 2000  # room for the title, source link and context line together
WORDS_PER_MINUTE = 238
MAX_LINK_TARGET = 800  # a longer source URL is not linked (the context line still names the site)

# "@here" and friends are plain text unless a poster asks Slack to parse them (parse=full,
# link_names); a word joiner after the "@" keeps them plain whatever the poster asks.
_BROADCAST = re.compile(r"@(here|channel|everyone)\b", re.IGNORECASE)
_WORD_JOINER = "\u2060"


@dataclass(frozen=True)
class SlackMessage:
    """One chat.postMessage worth of reply: ``blocks`` for display, ``text`` for notifications."""

    text: str
    blocks: list[dict] = field(default_factory=list)

    def as_kwargs(self) -> dict:
        return {"text": self.text, "blocks": self.blocks}


def escape_mrkdwn(text: str) -> str:
    """Text that Slack shows as written: no mention, broadcast, channel link or hidden link can result.

    ``&``, ``<`` and ``>`` are Slack's control characters (its formatting docs: escape them as
    ``&amp;`` ``&lt;`` ``&gt;``); every live mention and link needs a literal ``<``. Emphasis marks
    (``*`` ``_`` ``~`` and backticks) have no escape in mrkdwn and are left as they are: they change
    looks, never who is notified or where a click goes. Blocks built here also set ``verbatim`` so
    Slack does not turn bare names and URLs into links on its own.
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@" + _WORD_JOINER + r"\1", text)


def mrkdwn_link(url: str, label: str | None = None) -> str:
    """``<url|label>`` whose target is exactly ``url`` and whose label cannot end the link early."""
    target = _link_target(url)
    return f"<{target}|{escape_mrkdwn(label)}>" if label else f"<{target}>"


def _link_target(url: str) -> str:
    """Percent-encode what would end the link (``|`` ``>`` spaces) and escape ``&`` as Slack asks."""
    return quote(url, safe="!#$%&'()*+,/:;=?@[]~").replace("&", "&amp;")


def render_summary(summary: Summary, *, max_chars: int = DEFAULT_MAX_CHARS) -> list[SlackMessage]:
    """The summary as few messages as fit: title, source line, one section per paragraph, warnings.

    ``max_chars`` bounds the block text of each message; after Slack answers ``msg_too_long`` or
    ``msg_blocks_too_long``, render again with a smaller value to re-pack the rest.
    """
    if max_chars < MIN_MAX_CHARS:
        raise ValueError(f"max_chars must be at least {MIN_MAX_CHARS}")
    title = _title(summary)
    parts = [_Part(_header(title), title), *_source_parts(summary, title)]
    section_limit = min(MAX_SECTION_CHARS, max_chars)
    for paragraph in summary.paragraphs:
        for chunk in fit_text(paragraph, section_limit):
            parts.append(_paragraph(chunk))
    if summary.warnings:
        warnings = " · ".join(" ".join(w.split()) for w in summary.warnings)
        parts.append(_Part(_context(":information_source: " + clip(warnings, MAX_SECTION_CHARS - 21)), ""))
    return [_message(group, title, max_chars) for group in _pack(parts, max_chars)]


def render_failure(message: str, url: str | None = None) -> SlackMessage:
    """``:warning: I couldn't summarize <url>: <reason>``, every part escaped."""
    what = "that link"
    if url:
        what = mrkdwn_link(url) if _linkable(url) else clip(url, 500)
    head = f":warning: I couldn't summarize {what}: "
    text = head + clip(" ".join(message.split()) or "something went wrong.", MAX_SECTION_CHARS - len(head))
    return SlackMessage(text=text, blocks=[_section(text)])


def render_usage(
    command: str = "/summarize", mention: str = "@app", emoji: str = "memo", spec: SummarySpec | None = None
) -> str:
    """Help for ``/summarize help`` and ``@app help``; ``mention`` may be a live ``<@U123>``."""
    spec = spec or SummarySpec()
    usage = escape_mrkdwn(f"{command} <url> [words=N] [paragraphs=N]")
    example = escape_mrkdwn(f"{command} https://example.com/article words=300 paragraphs=3")
    return "\n".join(
        [
            "*I summarize web pages, faithfully, in the thread of the message that links them.*",
            "• Post a link in a channel I'm in, and I reply in its thread.",
            f"• `{usage}`: summarize a link, for example `{example}`",
            f"• {mention} {escape_mrkdwn('<url>')}: mention me with a link, in a channel, a DM or a thread.",
            f"• React with :{emoji}: to a message that has a link.",
            f"• `{escape_mrkdwn(command)} help` or {mention} help: this message.",
            f"A summary has at most {spec.max_words} words in {spec.paragraphs} paragraphs, and never more "
            f"than {spec.source_ratio:.0%} of the source's words: a short page gets a short summary.",
        ]
    )


# Fitting text to limits. Escaping is applied piece by piece, so lengths add up exactly.


def fit_text(text: str, limit: int) -> list[str]:
    """Raw pieces of ``text`` whose escaped form is each at most ``limit`` characters.

    Whole sentences when they fit; a sentence longer than ``limit`` is cut between words, and a
    word longer than ``limit`` between characters, as a last resort.
    """
    text = text.strip()
    if not text:
        return []
    if _escaped_len(text) <= limit:
        return [text]
    return _greedy(split_sentences(text), limit, _fit_words)


def clip(text: str, limit: int) -> str:
    """``text`` escaped and cut to ``limit`` characters at a sentence or word boundary, with an ellipsis."""
    return escape_mrkdwn(clip_raw(text, limit))


def clip_raw(text: str, limit: int) -> str:
    """The start of ``text`` (ellipsis added when cut) whose escaped form fits ``limit`` characters."""
    pieces = fit_text(text, limit)
    if len(pieces) <= 1:
        return pieces[0] if pieces else ""
    return fit_text(pieces[0], limit - 1)[0] + "…"


def _fit_words(sentence: str, limit: int) -> list[str]:
    return _greedy(sentence.split(), limit, _fit_chars)


def _fit_chars(word: str, limit: int) -> list[str]:
    pieces, current, size = [], "", 0
    for char in word:
        cost = len(escape_mrkdwn(char)) + (char == "@")  # an "@" may gain a word joiner
        if current and size + cost > limit:
            pieces.append(current)
            current, size = "", 0
        current += char
        size += cost
    return [*pieces, current] if current else pieces


def _greedy(units: list[str], limit: int, breaker: Callable[[str, int], list[str]]) -> list[str]:
    """Join units with spaces into the fewest pieces under ``limit``; ``breaker`` cuts oversized units."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for unit in units:
        length = _escaped_len(unit)
        if length > limit:
            pieces.extend([" ".join(current)] if current else [])
            pieces.extend(breaker(unit, limit))
            current, size = [], 0
        elif current and size + 1 + length > limit:
            pieces.append(" ".join(current))
            current, size = [unit], length
        else:
            size += length + (1 if current else 0)
            current.append(unit)
    return [*pieces, " ".join(current)] if current else pieces


def _escaped_len(text: str) -> int:
    return len(escape_mrkdwn(text))


# Blocks.


@dataclass(frozen=True)
class _Part:
    """A block and the plain words it shows, for the message's notification text."""

    block: dict
    plain: str
    splittable: bool = False  # summary text, which may continue in the next message between sentences

    @property
    def chars(self) -> int:
        text = self.block.get("text")
        if isinstance(text, dict):
            return len(text["text"])
        return sum(len(element["text"]) for element in self.block.get("elements", []))


def _header(title: str) -> dict:
    """plain_text is never parsed for mentions or links, so the title goes in as written."""
    text = {"type": "plain_text", "text": _cut_plain(title, MAX_HEADER_CHARS), "emoji": False}
    return {"type": "header", "text": text}


def _paragraph(text: str) -> _Part:
    return _Part(_section(escape_mrkdwn(text)), text, splittable=True)


def _section(mrkdwn: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn, "verbatim": True}}


def _context(mrkdwn: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn, "verbatim": True}]}


def _source_parts(summary: Summary, title: str) -> list[_Part]:
    """The title linked to the page we actually read, then where it came from and what it saved."""
    url = summary.article.url
    parts = []
    if url and _linkable(url):
        parts.append(_Part(_section(":link: " + mrkdwn_link(url, clip_raw(title, 200))), ""))
    return [*parts, _Part(_context(_source_line(summary)), "")]


def _source_line(summary: Summary) -> str:
    article = summary.article
    source_words = article.word_count
    saved = (source_words - summary.word_count) / WORDS_PER_MINUTE
    items = [
        clip(article.site or "", 100),
        f"by {clip(article.byline, 100)}" if article.byline else "",
        clip(article.date or "", 40),
        f"{source_words:,} words in the source" if source_words else "",
        f"~{round(saved)} min of reading saved" if saved >= 0.5 else "",
        clip(" · ".join(filter(None, [summary.backend, summary.model])), 120),
    ]
    return " · ".join(item for item in items if item) or "summary"


def _title(summary: Summary) -> str:
    article = summary.article
    for candidate in (article.title, article.site, _host(article.url)):
        title = " ".join((candidate or "").split())
        if title:
            return title
    return "Summary"


def _cut_plain(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut.strip():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "…"


def _linkable(url: str) -> bool:
    is_web = url.lower().startswith(("http://", "https://")) and bool(_host(url))
    return is_web and len(_link_target(url)) <= MAX_LINK_TARGET


def _host(url: str | None) -> str | None:
    try:
        return urlsplit(url or "").hostname
    except ValueError:
        return None


# Messages.


def _pack(parts: list[_Part], max_chars: int) -> list[list[_Part]]:
    """Fill each message in order until the next block would pass 50 blocks or ``max_chars``.

    Summary text that does not fit whole is split between sentences, so each message is filled
    and a reply takes as few messages as its length allows.
    """
    groups: list[list[_Part]] = []
    size = 0
    for part in parts:
        room = max_chars - size
        if groups and len(groups[-1]) < MAX_BLOCKS and part.splittable and part.chars > room:
            first, rest = _sentences_within(part.plain, room)
            if first and rest:
                groups[-1].append(_paragraph(first))
                size += groups[-1][-1].chars
                part = _paragraph(rest)
        if not groups or len(groups[-1]) >= MAX_BLOCKS or size + part.chars > max_chars:
            groups.append([])
            size = 0
        groups[-1].append(part)
        size += part.chars
    return groups


def _sentences_within(text: str, room: int) -> tuple[str, str]:
    """The longest run of whole sentences from the start of ``text`` that fits ``room``, and the rest."""
    sentences = split_sentences(text)
    size = -1
    for count, sentence in enumerate(sentences):
        size += 1 + _escaped_len(sentence)
        if size > room:
            return " ".join(sentences[:count]), " ".join(sentences[count:])
    return text, ""


def _message(parts: list[_Part], title: str, max_chars: int) -> SlackMessage:
    plains = [part.plain for part in parts if part.plain] or [title]
    return SlackMessage(text=_fallback(plains, min(MAX_TEXT_CHARS, max_chars)), blocks=[p.block for p in parts])


def _fallback(plains: list[str], limit: int) -> str:
    """The notification text: whole paragraphs while they fit, then as much of the next as fits."""
    text = ""
    for plain in plains:
        separator = "\n\n" if text else ""
        whole = escape_mrkdwn(plain.strip())
        if len(text) + len(separator) + len(whole) <= limit:
            text += separator + whole
            continue
        room = limit - len(text) - len(separator)
        piece = clip(plain, room) if room > 1 else ""
        if piece and len(piece) <= room:  # a lone "<" escapes to 4 characters: it may not fit at all
            text += separator + piece
        break
    return text
