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

from bot import metrics
from bot import spec as spec_rules
from bot.config import Settings
from bot.content import body_type, decode_body, read_capped
from bot.errors import InputError
from bot.extract import Article, extract
from bot.fetch import Page, fetch
from bot.spec import SummarySpec
from bot.summarizers import Summarizer, Summary
from bot.summarizers.base import Grounding

if TYPE_CHECKING:
    from bot.cache import SummaryCache

log = logging.getLogger(__name__)

LOCAL_SUFFIXES = {".html": "text/html", ".htm": "text/html", ".xhtml": "application/xhtml+xml", ".txt": "text/plain"}

Progress = Callable[[str], None]


def load_source(source: str, settings: Settings, session=None) -> Page:
    """A URL is fetched safely; a local .html/.txt file or `-` (stdin) is read under the same rules:
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
    raise InputError(f"{source!r} is neither an http(s) URL nor a .html/.txt file (or - for stdin).")


def _page_from_bytes(raw: bytes, name: str, content_type: str | None) -> Page:
    """The suffix names the type (a .txt file holding HTML stays text), but the bytes must be text."""
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
) -> Summary:
    """``fetch_slot(source)`` wraps the fetch alone (the job queue's per-host limit)."""
    say = progress or (lambda _message: None)
    say(f"Fetching {source}")
    with fetch_slot(source) if fetch_slot else contextlib.nullcontext(), metrics.stage("fetch"):
        page = load_source(source, settings, session=session)
    say("Extracting the article")
    with metrics.stage("extract"):
        article = extract(page)
    return summarize_article(article, spec, summarizer, cache=cache, progress=say)


def summarize_article(
    article: Article,
    spec: SummarySpec,
    summarizer: Summarizer,
    *,
    cache: SummaryCache | None = None,
    progress: Progress | None = None,
) -> Summary:
    """Fit the spec to the article (the one budget rule), summarize or take it from the cache."""
    say = progress or (lambda _message: None)
    key = cache and cache.key(article, spec, summarizer.name, summarizer.model)
    if cache and (cached := cache.get(key)):
        say("Found in the cache")
        return with_grounding(cached)
    fitted, warnings = spec_rules.fit(spec, article.text)
    say(f"Summarizing {article.word_count} words with {summarizer.name} (at most {fitted.max_words} words)")
    with metrics.stage("summarize"):
        summary = summarizer.summarize(article, fitted)
    if warnings:
        summary = replace(summary, warnings=tuple(warnings) + tuple(summary.warnings))
    summary = with_grounding(summary)
    if cache:
        cache.put(key, summary)
    return summary


def with_grounding(summary: Summary) -> Summary:
    """The summary with what its check saw, so each reply can say it (a few ms; cached ones too)."""
    result = spec_rules.check(summary.paragraphs, summary.article.text, summary.spec)
    removed = tuple(w for w in summary.warnings if w.startswith(spec_rules.DROPPED))
    return replace(summary, grounding=Grounding(result.grounded, result.ungrounded, removed))
