"""HTML or plain text to an Article: the article alone, no navigation, captions, credits or widgets.

(Stub: interface fixed, body owned by the extraction work.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.fetch import Page


@dataclass(frozen=True)
class Article:
    title: str
    paragraphs: tuple[str, ...]
    url: str | None = None
    canonical_url: str | None = None
    site: str | None = None
    byline: str | None = None
    date: str | None = None  # ISO 8601 date, as published
    language: str | None = None  # ISO 639-1 code when known
    warnings: tuple[str, ...] = field(default=())

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def word_count(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


def extract(page: Page) -> Article:
    raise NotImplementedError


def extract_text(html: str, url: str | None = None) -> str:
    """The benchmark interface: the article's clean text, paragraphs separated by blank lines."""
    raise NotImplementedError
