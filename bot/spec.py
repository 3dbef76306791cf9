"""SummarySpec, the budget rule, and the check every summary passes before anyone sees it.

(Stub: SummarySpec and the budget rule are final; check/repair owned by the spec work.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class SummarySpec:
    """What a person asked for. ``max_words`` is an upper bound, never a target."""

    max_words: int = 2000
    paragraphs: int = 6
    language: str | None = None
    source_ratio: float = 0.5  # the budget rule: at most this share of the source's words

    def fitted(self, source_words: int) -> SummarySpec:
        """The spec a summarizer works to for a source of this length (see :func:`word_budget`)."""
        return replace(self, max_words=word_budget(self, source_words))


def word_budget(spec: SummarySpec, source_words: int) -> int:
    """The one budget rule: a summary never claims more than its source holds.

    At most ``source_ratio`` of the source's words (half by default), never above ``max_words``:
    a 350-word article gets at most 175 words, a 20,000-word report at most 2000.
    """
    return max(1, min(spec.max_words, math.ceil(spec.source_ratio * source_words)))


@dataclass(frozen=True)
class CheckResult:
    paragraphs: int
    words: int
    ungrounded: tuple[str, ...]  # numbers and names in the summary that the source does not hold
    problems: tuple[str, ...]  # plain-words descriptions, fit to send back to a model

    @property
    def ok(self) -> bool:
        return not self.problems


def check(paragraphs: Sequence[str], source_text: str, spec: SummarySpec) -> CheckResult:
    raise NotImplementedError


def repair(paragraphs: Sequence[str], source_text: str, spec: SummarySpec) -> tuple[list[str], list[str]]:
    """Deterministic fix: returns (paragraphs, warnings saying what was done)."""
    raise NotImplementedError
