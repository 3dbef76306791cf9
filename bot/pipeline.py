"""Source + spec + summarizer to Summary. The same path serves the CLI and every Slack door.

    summary = summarize_source("https://example.com/a", SummarySpec(), summarizer, settings)

Nothing here knows about Slack.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot import metrics, walls
from bot import spec as spec_rules
from bot.config import Settings
from bot.content import TEXT_TYPES, body_type, decode_body, friendly_name, media_type, read_capped
from bot.errors import InputError, NotAnArticle, Paywall, TooLarge, UnsupportedContent
from bot.extract import Article, extract
from bot.fetch import Page, fetch
from bot.pdf import PDF_TYPE, is_pdf, read_pdf
from bot.spec import SummarySpec
from bot.summarizers import Summarizer, Summary
from bot.summarizers.base import Grounding

if TYPE_CHECKING:
    from bot.cache import SummaryCache

log = logging.getLogger(__name__)

LOCAL_SUFFIXES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".xhtml": "application/xhtml+xml",
    ".txt": "text/plain",
    ".md": "text/plain",
    ".pdf": PDF_TYPE,
}

Progress = Callable[[str], None]


def load_source(source: str, settings: Settings, session=None) -> Page:
    """A URL is fetched safely; a local .html/.txt/.md/.pdf file or `-` (stdin) is read under the same rules:
    at most FETCH_MAX_BYTES, and sniffed, so a binary file named .txt is refused as a fetched one would be."""
    if source == "-":
        return _page_from_bytes(read_capped(sys.stdin.buffer, settings.fetch_max_bytes), "-", content_type=None)
    if urlsplit(source).scheme:
        return fetch(source, settings, session=session)
    path = Path(source)
    if path.suffix.lower() in LOCAL_SUFFIXES:
        try:
            with path.open("rb") as file:
                raw = read_capped(file, settings.fetch_max_bytes)
        except OSError as exc:
            raise InputError(f"Cannot read {source}: {exc.strerror or exc}.") from exc
        return _page_from_bytes(raw, str(path), content_type=LOCAL_SUFFIXES[path.suffix.lower()])
    raise InputError(f"{source!r} is neither an http(s) URL nor a .html/.txt/.pdf file (or - for stdin).")


def _page_from_bytes(raw: bytes, name: str, content_type: str | None) -> Page:
    """The suffix names the type (a .txt file holding HTML stays text), but the bytes must be text."""
    if is_pdf(raw, content_type):
        return Page(url=name, text="", content_type=PDF_TYPE, raw=raw)
    media = body_type(raw, content_type)
    text, encoding = decode_body(raw, media)
    if content_type is None and text.lstrip()[:1] == "<":  # stdin: markup without the usual markers
        media = "text/html"
    return Page(url=name, text=text, content_type=media, encoding=encoding)


def summarize_source(
    source: str,
    spec: SummarySpec,
    summarizer: Summarizer,
    settings: Settings,
    *,
    session=None,
    cache: SummaryCache | None = None,
    progress: Progress | None = None,
    fetch_slot: Callable[[str], contextlib.AbstractContextManager] | None = None,
    fresh: bool = False,
) -> Summary:
    """``fetch_slot(source)`` wraps the fetch alone (the job queue's per-host limit)."""
    say = progress or (lambda _message: None)
    say(f"Fetching {source}")
    with fetch_slot(source) if fetch_slot else contextlib.nullcontext(), metrics.stage("fetch"):
        page = load_source(source, settings, session=session)
    say("Extracting the article")
    with metrics.stage("extract"):
        article = read_article(page, settings)
    return summarize_article(article, spec, summarizer, cache=cache, progress=say, fresh=fresh)


def read_article(page: Page, settings: Settings) -> Article:
    """The article in a page of any type the app reads: HTML and text by bot.extract, PDF by bot.pdf."""
    if page.content_type == PDF_TYPE:
        return read_pdf(page.raw or b"", url=page.url, settings=settings)
    if not page.is_html:
        return extract(page)
    try:
        article = extract(page)
    except Paywall as exc:
        raise Paywall(walls.SUBSCRIBERS) from exc
    except NotAnArticle as exc:  # too little text: a wall, if one stands before it, is the reason to give
        if wall := walls.find_wall(page.text):
            raise wall from exc
        raise
    if article.word_count < walls.CHECK_BELOW_WORDS and (wall := walls.find_wall(page.text, article.text)):
        raise wall
    return article


def summarize_bytes(
    raw: bytes,
    content_type: str | None,
    name: str,
    spec: SummarySpec,
    summarizer: Summarizer,
    settings: Settings,
    *,
    cache: SummaryCache | None = None,
    progress: Progress | None = None,
    fresh: bool = False,
) -> Summary:
    """A document someone handed over as bytes (a file shared in Slack), within the same caps as a page.

    ``content_type`` is what the sender declared; ``name`` the file name, whose suffix decides when the
    type says nothing. PDF, HTML and plain text (.txt, .md) are read; anything else is refused in words.
    """
    if len(raw) > settings.fetch_max_bytes:
        raise TooLarge(f"That file is too large to summarize (over {settings.fetch_max_bytes / 1_000_000:g} MB).")
    declared = LOCAL_SUFFIXES.get(Path(name).suffix.lower()) or media_type(content_type)
    if not is_pdf(raw, declared) and declared not in TEXT_TYPES:
        what = friendly_name(declared or "application/octet-stream")
        raise UnsupportedContent(f"That file is {what}; I can summarize PDF, text, Markdown and HTML files.")
    say = progress or (lambda _message: None)
    say("Extracting the article")
    with metrics.stage("extract"):
        article = read_article(_page_from_bytes(raw, name, declared), settings)
    return summarize_article(article, spec, summarizer, cache=cache, progress=say, fresh=fresh)


def summarize_article(
    article: Article,
    spec: SummarySpec,
    summarizer: Summarizer,
    *,
    cache: SummaryCache | None = None,
    progress: Progress | None = None,
    fresh: bool = False,
) -> Summary:
    """Fit the spec to the article (the one budget rule), summarize or take it from the cache
    (not when ``fresh``: Regenerate asks for a new one, which then replaces the cached one)."""
    say = progress or (lambda _message: None)
    key = cache and cache.key(article, spec, summarizer.name, summarizer.model)
    if cache and not fresh and (cached := cache.get(key)):
        say("Found in the cache")
        return with_grounding(cached)
    fitted, warnings = spec_rules.fit(spec, article.text)
    say(f"Summarizing {article.word_count} words with {summarizer.name} (at most {fitted.max_words} words)")
    with metrics.stage("summarize"):
        summary = summarize_shaped(summarizer, article, fitted)
    noted = tuple(article.warnings) + tuple(warnings)  # what reading the source found, then the budget rule
    if noted:
        summary = replace(summary, warnings=noted + tuple(summary.warnings))
    summary = with_grounding(summary)
    if cache:
        cache.put(key, summary)
    return summary


def with_grounding(summary: Summary) -> Summary:
    """The summary with what its check saw, so each reply can say it (a few ms; cached ones too)."""
    result = spec_rules.check(summary.paragraphs, summary.article.text, summary.spec)
    removed = tuple(w for w in summary.warnings if w.startswith(spec_rules.DROPPED))
    return replace(summary, grounding=Grounding(result.grounded, result.ungrounded, removed))


def summarize_shaped(summarizer: Summarizer, article: Article, spec: SummarySpec) -> Summary:
    """Any shape from any backend: each writes ``spec_rules.shaped(spec)`` parts (a TL;DR line then one
    point each, for bullets), and the Summary keeps the shape asked for."""
    summary = summarizer.summarize(article, spec_rules.shaped(spec))
    return replace(summary, spec=replace(summary.spec, shape=spec.shape, paragraphs=spec.paragraphs))
