"""A Summary as Slack messages within Block Kit's limits, and the one mrkdwn escaping function.

    for message in render_summary(summary):                  # usually one message, sometimes more
        client.chat_postMessage(channel=..., thread_ts=..., unfurl_links=False, **message.as_kwargs())

Text that comes from an article or a model (the title, the paragraphs, the site, byline and date)
goes into ``plain_text`` objects, which Slack never parses: a page that says ``<!channel>``,
``<https://evil|docs>``, ``*bold*`` or ``> quote`` shows those characters as written. plain_text is
sent raw; Slack escapes ``&`` ``<`` ``>`` itself (bolt-python #513). mrkdwn is kept where the app
formats on purpose (the source link, failure replies, help), and there, and in each message's
``text`` (parsed for notifications), every outside piece passes through :func:`escape_mrkdwn`.

The limits (section text 3000, header 150, 50 blocks, 4000 chars of ``text``) are Slack's, cited in
shared/specs/slack/LIMITS.md; paragraphs are split only between sentences, and a message is closed
before its block text reaches ``max_chars``, kept well under the ~12,000 characters where Slack
starts answering ``msg_blocks_too_long``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import quote, urlsplit

from bot.sentences import split_sentences
from bot.spec import SummarySpec
from bot.summarizers.base import Grounding, Summary

MAX_SECTION_CHARS = 3000
MAX_HEADER_CHARS = 150
MAX_BLOCKS = 50
MAX_TEXT_CHARS = 4000
DEFAULT_MAX_CHARS = 10_000  # block text per message
MIN_MAX_CHARS = 2000  # room for the title, source link and context line together
WORDS_PER_MINUTE = 238
MAX_LINK_TARGET = 800  # a longer source URL is not linked (the context line still names the site)
MAX_VIEW_BLOCKS = 100  # a modal's blocks (Block Kit reference: views)
MAX_VIEW_TITLE = 24
SHOW_EVIDENCE = "show_evidence"  # the button's action_id (handlers/evidence.py)

# "@here" and friends are plain text unless a poster asks Slack to parse them (parse=full,
# link_names); a word joiner after the "@" keeps them plain whatever the poster asks.
_BROADCAST = re.compile(r"@(here|channel|everyone)\b", re.IGNORECASE)
_WORD_JOINER = "\u2060"

Measure = Callable[[str], int]


@dataclass(frozen=True)
class SlackMessage:
    """One chat.postMessage worth of reply: ``blocks`` for display, ``text`` for notifications."""

    text: str
    blocks: list[dict] = field(default_factory=list)

    def as_kwargs(self) -> dict:
        return {"text": self.text, "blocks": self.blocks}


def escape_mrkdwn(text: str) -> str:
    """Text that Slack shows as written in mrkdwn: no mention, broadcast, channel link or hidden link.

    ``&``, ``<`` and ``>`` are Slack's control characters (its formatting docs: escape them as
    ``&amp;`` ``&lt;`` ``&gt;``); every live mention and link needs a literal ``<``. Emphasis marks
    (``*`` ``_`` ``~`` and backticks) have no escape in mrkdwn: text that may hold them and is shown
    in a block goes into plain_text instead. Blocks built here also set ``verbatim`` so Slack does not
    turn bare names and URLs into links on its own.
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@" + _WORD_JOINER + r"\1", text)


def mrkdwn_len(text: str) -> int:
    """At least ``len(escape_mrkdwn(text))``, and additive, so pieces measured apart add up safely.

    Each ``&`` grows by 4, ``<`` and ``>`` by 3, and an ``@`` by at most 1 (the word joiner).
    """
    grown = 4 * text.count("&") + 3 * (text.count("<") + text.count(">")) + text.count("@")
    return len(text) + grown


def mrkdwn_link(url: str, label: str | None = None) -> str:
    """``<url|label>`` whose target is exactly ``url`` and whose label cannot end the link early."""
    target = _link_target(url)
    return f"<{target}|{escape_mrkdwn(label)}>" if label else f"<{target}>"


def _link_target(url: str) -> str:
    """Percent-encode what would end the link (``|`` ``>`` spaces) and escape ``&`` as Slack asks."""
    return quote(url, safe="!#$%&'()*+,/:;=?@[]~").replace("&", "&amp;")


def render_summary(
    summary: Summary, *, max_chars: int = DEFAULT_MAX_CHARS, evidence_key: str | None = None
) -> list[SlackMessage]:
    """The summary as few messages as fit: title, source line, one section per paragraph, what the
    grounding check saw, warnings, and (given ``evidence_key``, the request's key) a "Show evidence" button.

    ``max_chars`` bounds the block text of each message; after Slack answers ``msg_too_long`` or
    ``msg_blocks_too_long``, render again with a smaller value to re-pack the rest.
    """
    if max_chars < MIN_MAX_CHARS:
        raise ValueError(f"max_chars must be at least {MIN_MAX_CHARS}")
    title = _title(summary)
    parts = [_Part(_header(title)), *_source_parts(summary)]
    section_limit = min(MAX_SECTION_CHARS, max_chars)
    for paragraph in shaped_paragraphs(summary):
        for chunk in fit_text(paragraph, section_limit):
            parts.append(_paragraph(chunk))
    grounding = summary.grounding
    if grounding is not None:
        parts.append(_Part(_context(clip_raw(grounding_line(grounding), MAX_SECTION_CHARS))))
    shown = [w for w in summary.warnings if not grounding or w not in grounding.removed]  # said by the line above
    if shown:
        warnings = " · ".join(" ".join(w.split()) for w in shown)
        parts.append(_Part(_context("\u2139\ufe0f " + clip_raw(warnings, MAX_SECTION_CHARS - 3))))
    if evidence_key:
        parts.append(_Part(_evidence_button(evidence_key)))
    return [_message(group, title, max_chars) for group in _pack(parts, max_chars)]


def grounding_line(grounding: Grounding) -> str:
    """What was checked, in a reader's words: "14 numbers and names found in the article", plus what
    repair removed and why, or what is still missing."""
    count = len(grounding.found)
    if count:
        line = f"\u2713 {count} {'number or name' if count == 1 else 'numbers and names'} found in the article"
    else:
        line = "\u2713 no numbers or names to check against the article"
    if grounding.missing:
        line += f"; not found in the article: {', '.join(grounding.missing)}"
    for removed in grounding.removed:
        line += " · " + " ".join(removed.split())
    return line


def _evidence_button(key: str) -> dict:
    button = {"type": "button", "action_id": SHOW_EVIDENCE, "text": _plain("Show evidence"), "value": key}
    return {"type": "actions", "block_id": "evidence", "elements": [button]}


def render_evidence(record: dict) -> dict:
    """The "Show evidence" modal: each summary sentence, then its supporting quote or a mark that the
    article does not support it. Within Block Kit's limits (100 blocks, 3000 characters a text, a
    24-character title); every piece from the article or model stays in plain_text."""
    blocks: list[dict] = [_context(clip_raw(grounding_line(Grounding(**_tuples(record.get("grounding")))), 3000))]
    sentences = record.get("sentences") or []
    room = (MAX_VIEW_BLOCKS - len(blocks) - 1) // 3  # three blocks a sentence, one for "n more"
    for number, item in enumerate(sentences[:room], 1):
        blocks.append({"type": "section", "text": _plain(clip_raw(f"{number}. {item['sentence']}", 3000))})
        if item.get("supported"):
            quote = " \u2026 ".join(item.get("quotes") or [])
            blocks.append(_context(clip_raw(f"\u2713 Article: \u201c{quote}\u201d", 3000)))
        else:
            why = "not supported by any sentence of the article"
            if item.get("missing"):
                why += f" (not found: {', '.join(item['missing'])})"
            nearest = (item.get("quotes") or [""])[0]
            text = f"\u26a0\ufe0f {why}" + (f". Nearest: \u201c{nearest}\u201d" if nearest else "")
            blocks.append(_context(clip_raw(text, 3000)))
        blocks.append({"type": "divider"})
    if len(sentences) > room:
        more = len(sentences) - room
        blocks.append(_context(f"{more} more sentences not shown (python -m bot summarize --evidence shows all)"))
    return {
        "type": "modal",
        "callback_id": "summary_evidence",
        "title": _plain(clip_raw("Evidence", MAX_VIEW_TITLE)),
        "close": _plain("Close"),
        "blocks": blocks[:MAX_VIEW_BLOCKS],
    }


def render_evidence_gone() -> dict:
    """The modal when the evidence is no longer stored (the request expired or came from elsewhere)."""
    text = "The evidence for this summary is no longer available. Ask for the summary again to see it."
    return {"type": "modal", "title": _plain("Evidence"), "close": _plain("Close"),
            "blocks": [{"type": "section", "text": _plain(text)}]}  # fmt: skip


def _tuples(data: dict | None) -> dict:
    return {key: tuple(value) for key, value in (data or {}).items() if key in ("found", "missing", "removed")}


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
            "• `shape=bullets` (a TL;DR line then points) or `shape=tldr` after a link changes the summary's shape.",
            f"• Under a summary: Shorter, Longer, Bullets, Translate, Regenerate; {mention} with a question in "
            "its thread is answered from the article.",
            f"• `{escape_mrkdwn(command)} help` or {mention} help: this message.",
            f"A summary has at most {spec.max_words} words in {spec.paragraphs} paragraphs, and never more "
            f"than {spec.source_ratio:.0%} of the source's words: a short page gets a short summary.",
        ]
    )


def message_text(blocks: list[dict], limit: int = MAX_TEXT_CHARS) -> str:
    """The notification ``text`` for ``blocks``: their title and paragraphs, escaped, within ``limit``.

    A message's ``text`` is parsed as mrkdwn (mentions in it notify), so the raw plain_text of the
    blocks must not be copied into it; use this when re-splitting a message (bot/deliver.py halve).
    Empty when the blocks carry no plain_text title or paragraph.
    """
    plains = [block["text"]["text"] for block in blocks if _is_plain(block.get("text"))]
    return _fallback(plains, limit)


# Fitting text to limits. ``measure`` is ``len`` for plain_text, sent raw, and :func:`mrkdwn_len`
# for text that will be escaped.


def fit_text(text: str, limit: int, measure: Measure = len) -> list[str]:
    """Raw pieces of ``text`` that each measure at most ``limit``.

    Whole sentences when they fit; a sentence longer than ``limit`` is cut between words, and a
    word longer than ``limit`` between characters, as a last resort.
    """
    text = text.strip()
    if not text:
        return []
    if measure(text) <= limit:
        return [text]
    return _greedy(split_sentences(text), limit, measure, _fit_words)


def clip(text: str, limit: int) -> str:
    """``text`` escaped and cut to ``limit`` characters at a sentence or word boundary, with an ellipsis."""
    return escape_mrkdwn(clip_raw(text, limit, mrkdwn_len))


def clip_raw(text: str, limit: int, measure: Measure = len) -> str:
    """The start of ``text`` (ellipsis added when cut) that measures at most ``limit``."""
    pieces = fit_text(text, limit, measure)
    if len(pieces) <= 1:
        return pieces[0] if pieces else ""
    return fit_text(pieces[0], limit - 1, measure)[0] + "…"


def _fit_words(sentence: str, limit: int, measure: Measure) -> list[str]:
    return _greedy(sentence.split(), limit, measure, _fit_chars)


def _fit_chars(word: str, limit: int, measure: Measure) -> list[str]:
    pieces, current, size = [], "", 0
    for char in word:
        cost = measure(char)
        if current and size + cost > limit:
            pieces.append(current)
            current, size = "", 0
        current += char
        size += cost
    return [*pieces, current] if current else pieces


def _greedy(
    units: list[str], limit: int, measure: Measure, breaker: Callable[[str, int, Measure], list[str]]
) -> list[str]:
    """Join units with spaces into the fewest pieces under ``limit``; ``breaker`` cuts oversized units."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for unit in units:
        length = measure(unit)
        if length > limit:
            pieces.extend([" ".join(current)] if current else [])
            pieces.extend(breaker(unit, limit, measure))
            current, size = [], 0
        elif current and size + 1 + length > limit:
            pieces.append(" ".join(current))
            current, size = [unit], length
        else:
            size += length + (1 if current else 0)
            current.append(unit)
    return [*pieces, " ".join(current)] if current else pieces


# Blocks.


@dataclass(frozen=True)
class _Part:
    """A block, and whether it is summary text that may continue in the next message between sentences."""

    block: dict
    splittable: bool = False

    @property
    def chars(self) -> int:
        if self.block.get("type") == "actions":
            return 0
        text = self.block.get("text")
        if isinstance(text, dict):
            return len(text["text"])
        return sum(len(element["text"]) for element in self.block.get("elements", []))


def _plain(text: str) -> dict:
    """A text object Slack never parses: no mention, link, emoji code or emphasis, whatever it says."""
    return {"type": "plain_text", "text": text, "emoji": False}


def _is_plain(text_object: object) -> bool:
    return isinstance(text_object, dict) and text_object.get("type") == "plain_text"


def _header(title: str) -> dict:
    return {"type": "header", "text": _plain(clip_raw(title, MAX_HEADER_CHARS))}


def _paragraph(text: str) -> _Part:
    return _Part({"type": "section", "text": _plain(text)}, splittable=True)


def _section(mrkdwn: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn, "verbatim": True}}


def _context(text: str) -> dict:
    return {"type": "context", "elements": [_plain(text)]}


def _source_parts(summary: Summary) -> list[_Part]:
    """A link to the page we actually read, labelled with its host, then where it came from and what it saved.

    The label is the link's own host, not the article's title: the title is already the header, and a
    label taken from the page would be mrkdwn, where its emphasis marks would render.
    """
    url = summary.article.url
    parts = []
    if url and _linkable(url):
        parts.append(_Part(_section(":link: " + mrkdwn_link(url, _host(url)))))
    return [*parts, _Part(_context(_source_line(summary)))]


def _source_line(summary: Summary) -> str:
    article = summary.article
    source_words = article.word_count
    saved = (source_words - summary.word_count) / WORDS_PER_MINUTE
    items = [
        clip_raw(article.site or "", 100),
        f"by {clip_raw(article.byline, 100)}" if article.byline else "",
        clip_raw(article.date or "", 40),
        f"{source_words:,} words in the source" if source_words else "",
        f"~{round(saved)} min of reading saved" if saved >= 0.5 else "",
        clip_raw(" · ".join(filter(None, [summary.backend, summary.model])), 120),
    ]
    return " · ".join(item for item in items if item) or "summary"


def _title(summary: Summary) -> str:
    article = summary.article
    for candidate in (article.title, article.site, _host(article.url)):
        title = " ".join((candidate or "").split())
        if title:
            return title
    return "Summary"


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
            first, rest = _sentences_within(part.block["text"]["text"], room)
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
        size += 1 + len(sentence)
        if size > room:
            return " ".join(sentences[:count]), " ".join(sentences[count:])
    return text, ""


def _message(parts: list[_Part], title: str, max_chars: int) -> SlackMessage:
    blocks = [part.block for part in parts]
    limit = min(MAX_TEXT_CHARS, max_chars)
    return SlackMessage(text=message_text(blocks, limit) or clip(title, limit), blocks=blocks)


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


# Shapes and controls (issue 12).

BULLET = "\u2022 "
CONTROL_PREFIX = "summary_control:"  # action_id of every control: summary_control:shorter, ...
CONTROLS = (("shorter", "Shorter"), ("longer", "Longer"), ("bullets", "Bullets"), ("regenerate", "Regenerate"),
            ("like", "\U0001f44d"), ("dislike", "\U0001f44e"))
TRANSLATE = "translate"
LANGUAGES = ("English", "French", "German", "Spanish", "Italian", "Portuguese", "Dutch", "Polish", "Japanese",
             "Chinese", "Korean", "Arabic", "Hindi", "Russian", "Ukrainian", "Turkish")
MAX_CONTROL_VALUE = 2000


def shaped_paragraphs(summary: Summary) -> list[str]:
    """Bullets: the TL;DR line, then the points as one plain_text list (one part per line, never parsed)."""
    paragraphs = list(summary.paragraphs)
    if summary.spec.shape == "tldr" and paragraphs:
        return ["TL;DR: " + " ".join(paragraphs)]
    if summary.spec.shape != "bullets" or not paragraphs:
        return paragraphs
    head, points = paragraphs[0], paragraphs[1:]
    return ["TL;DR: " + head, *(["\n".join(BULLET + " ".join(p.split()) for p in points)] if points else [])]


def control_blocks(value: str) -> list[dict]:
    """The buttons under a summary; ``value`` (what the summary was made of, see handlers/controls.py)
    rides on each button, so a press needs nothing but its own payload. None when it does not fit."""
    if len(value) > MAX_CONTROL_VALUE:
        return []
    buttons = [
        {"type": "button", "action_id": CONTROL_PREFIX + name, "text": {"type": "plain_text", "text": label},
         "value": value}
        for name, label in CONTROLS
    ]
    menu = {
        "type": "static_select",
        "action_id": CONTROL_PREFIX + TRANSLATE,
        "placeholder": {"type": "plain_text", "text": "Translate"},
        "options": [{"text": {"type": "plain_text", "text": name}, "value": name} for name in LANGUAGES],
    }
    return [{"type": "actions", "block_id": "summary_controls", "elements": [*buttons[:4], menu, *buttons[4:]]}]


def with_controls(messages: list[SlackMessage], value: str) -> list[SlackMessage]:
    """The reply with the controls under its last message (or in one more, when that one is full)."""
    controls = control_blocks(value)
    if not controls or not messages:
        return messages
    last = messages[-1]
    if len(last.blocks) + len(controls) <= MAX_BLOCKS:
        return [*messages[:-1], replace(last, blocks=[*last.blocks, *controls])]
    return [*messages, SlackMessage(text="Change this summary", blocks=controls)]


def render_answer(quotes: tuple[str, ...], not_said: str, lead: str = "From the article:") -> SlackMessage:
    """A question's answer: the article's own sentences, quoted, as plain_text (never parsed)."""
    if not quotes:
        return SlackMessage(text=escape_mrkdwn(not_said), blocks=[{"type": "section", "text": _plain(not_said)}])
    body = "\n".join(f"\u201c{clip_raw(' '.join(q.split()), 1400)}\u201d" for q in quotes)
    body = clip_raw(lead + "\n" + body, MAX_SECTION_CHARS)
    return SlackMessage(text=clip(body, MAX_TEXT_CHARS), blocks=[{"type": "section", "text": _plain(body)}])


def render_model_answer(answer: str) -> SlackMessage:
    """A model's answer to a question, as plain_text (never parsed), within a section's limit."""
    body = clip_raw(" ".join(answer.split(" ")).strip() or "The article does not say.", MAX_SECTION_CHARS)
    return SlackMessage(text=clip(body, MAX_TEXT_CHARS), blocks=[{"type": "section", "text": _plain(body)}])
