"""Source + spec + summarizer to Summary. The same path serves the CLI and every Slack door.

    summary = summarize_source("https://example.com/a", SummarySpec(), summarizer, settings)

Nothing here knows about Slack.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot import metrics
from bot import spec as spec_rules
from bot.config import Settings
from bot.content import decode_body
from bot.errors import InputError
from bot.extract import Article, extract
from bot.fetch import Page, fetch
from bot.spec import SummarySpec
from bot.summarizers import Summarizer, Summary

if TYPE_CHECKING:
    from bot.cache import SummaryCache

log = logging.getLogger(__name__)

LOCAL_SUFFIXES = {".html": "text/html", ".htm": "text/html", ".xhtml": "application/xhtml+xml", ".txt": "text/plain"}

Progress = Callable[[str], None]


def load_source(source: str, settings: Settings, session=None) -> Page:
    """A URL is fetched safely; a local .html/.txt file or `-` (stdin) is read as is."""
    if source == "-":
        return _page_from_bytes(sys.stdin.buffer.read(), "-", content_type=None)
    if urlsplit(source).scheme:
        return fetch(source, settings, session=session)
    path = Path(source)
    if path.suffix.lower() in LOCAL_SUFFIXES:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise InputError(f"Cannot read {source}: {exc.strerror or exc}.") from exc
        return _page_from_bytes(raw, str(path), content_type=LOCAL_SUFFIXES[path.suffix.lower()])
    raise InputError(f"{source!r} is neither an http(s) URL nor a .html/.txt file (or - for stdin).")


def _page_from_bytes(raw: bytes, name: str, content_type: str | None) -> Page:
    text, encoding = decode_body(raw, content_type)
    if content_type is None:
        content_type = "text/html" if text.lstrip()[:1] == "<" else "text/plain"
    return Page(url=name, text=text, content_type=content_type, encoding=encoding)


def summarize_source(
    source: str,
    spec: SummarySpec,
    summarizer: Summarizer,
    settings: Settings,
    *,
    session=None,
    cache: SummaryCache | None = None,
    progress: Progress | None = None,
    fresh: bool = False,
) -> Summary:
    say = progress or (lambda _message: None)
    say(f"Fetching {source}")
    with metrics.stage("fetch"):
        page = load_source(source, settings, session=session)
    say("Extracting the article")
    with metrics.stage("extract"):
        article = extract(page)
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
        return cached
    fitted, warnings = spec_rules.fit(spec, article.text)
    say(f"Summarizing {article.word_count} words with {summarizer.name} (at most {fitted.max_words} words)")
    with metrics.stage("summarize"):
        summary = summarize_shaped(summarizer, article, fitted)
    if warnings:
        summary = replace(summary, warnings=tuple(warnings) + tuple(summary.warnings))
    if cache:
        cache.put(key, summary)
    return summary


def summarize_shaped(summarizer: Summarizer, article: Article, spec: SummarySpec) -> Summary:
    """Any shape from any backend: each writes ``spec_rules.shaped(spec)`` parts (a TL;DR line then one
    point each, for bullets), and the Summary keeps the shape asked for. A backend that cannot translate
    says so."""
    summary = summarizer.summarize(article, spec_rules.shaped(spec))
    summary = replace(summary, spec=replace(summary.spec, shape=spec.shape, paragraphs=spec.paragraphs))
    if spec.language and not getattr(summarizer, "translates", summarizer.name != "extractive"):
        note = f"The {summarizer.name} summarizer cannot translate: this summary is in the article's own language."
        summary = replace(summary, warnings=(note, *summary.warnings))
    return summary
