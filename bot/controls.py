"""What a press of a control under a summary asks for: the summary it is under, and the spec of the next one.

    shown = Shown.of(request.url, summary)          # rides on every button (bot/render.control_blocks)
    spec, fresh = next_spec(Shown.decode(value), "shorter")

The buttons carry what the summary was made of, so a press needs no lookup; the value comes back
inside Slack's signed payload and is read as untrusted all the same (decode bounds every field).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace

from bot.spec import SHAPES, SummarySpec
from bot.summarizers import Summary

MIN_WORDS, MAX_WORDS, MAX_PARAGRAPHS = 20, 5000, 20
ACTIONS = ("shorter", "longer", "bullets", "regenerate", "translate")
VOTES = {"like": 1, "dislike": -1}


@dataclass(frozen=True)
class Shown:
    """A summary as posted: its link, its length, and the spec it was asked with."""

    url: str
    words: int
    spec: SummarySpec

    @classmethod
    def of(cls, url: str, summary: Summary, asked: SummarySpec) -> Shown:
        return cls(url=url, words=summary.word_count, spec=replace(asked, shape=summary.spec.shape))

    def encode(self) -> str:
        spec = self.spec
        fields = {"u": self.url, "w": self.words, "m": spec.max_words, "p": spec.paragraphs, "s": spec.shape,
                  "l": spec.language, "r": spec.source_ratio}
        return json.dumps(fields, separators=(",", ":"))

    @classmethod
    def decode(cls, value: str) -> Shown:
        """Raises ValueError for anything the app did not write."""
        data = json.loads(value)
        if not isinstance(data, dict) or not isinstance(data.get("u"), str) or data.get("s") not in SHAPES:
            raise ValueError("not a summary control")
        language = data.get("l")
        spec = SummarySpec(
            max_words=_bounded(data.get("m"), MIN_WORDS, MAX_WORDS),
            paragraphs=_bounded(data.get("p"), 1, MAX_PARAGRAPHS),
            language=language[:40] if isinstance(language, str) and language else None,
            source_ratio=min(1.0, max(0.05, float(data.get("r", 0.5)))),
            shape=data["s"],
        )
        return cls(url=data["u"], words=_bounded(data.get("w"), 0, MAX_WORDS), spec=spec)


def next_spec(shown: Shown, action: str, language: str | None = None) -> tuple[SummarySpec, bool]:
    """(the spec of the summary a press asks for, whether it bypasses the cache)."""
    spec, words = shown.spec, shown.words or shown.spec.max_words
    if action == "shorter":
        paragraphs = max(1, math.ceil(spec.paragraphs / 2))
        return replace(spec, max_words=max(MIN_WORDS, words // 2), paragraphs=paragraphs), False
    if action == "longer":
        longer = min(MAX_WORDS, max(2 * words, 100))
        return replace(spec, max_words=longer, paragraphs=min(MAX_PARAGRAPHS, spec.paragraphs + 2)), False
    if action == "bullets":
        return replace(spec, shape="bullets"), False
    if action == "translate":
        return replace(spec, language=language), False
    if action == "regenerate":
        return spec, True
    raise ValueError(f"unknown control {action!r}")


def _bounded(value: object, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("not a number")
    return min(high, max(low, value))
