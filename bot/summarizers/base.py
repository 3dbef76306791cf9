"""The one contract every summarizer keeps, and the Summary it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from bot.extract import Article
from bot.spec import SummarySpec


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.requests + other.requests,
        )


@dataclass(frozen=True)
class Grounding:
    """What the grounding check saw in the posted summary (see :mod:`bot.grounding`), for the reader.

    ``found``: the summary's numbers and names that the article holds; ``missing``: those it does not
    (none once repaired); ``removed``: what repair took out of a model's draft, and why, in plain words.
    """

    found: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Summary:
    article: Article
    paragraphs: tuple[str, ...]
    spec: SummarySpec  # the fitted spec the summary was made to
    backend: str
    model: str | None = None
    warnings: tuple[str, ...] = field(default=())
    usage: Usage = field(default_factory=Usage)
    grounding: Grounding | None = None  # what the check saw; filled in by bot.pipeline (None: not checked)

    @property
    def word_count(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


class Summarizer(Protocol):
    """``summarize`` gets a spec already fitted to the article (see ``SummarySpec.fitted``)."""

    name: str
    model: str | None

    def summarize(self, article: Article, spec: SummarySpec) -> Summary: ...
