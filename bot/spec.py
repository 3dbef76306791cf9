"""SummarySpec, the budget rule, and the check every summary passes before anyone sees it.

    spec, warnings = fit(SummarySpec(), article.text)   # once per source, before summarizing
    result = check(paragraphs, article.text, spec)      # result.problems: plain words for a model
    paragraphs, done = repair(paragraphs, article.text, spec)

"Grounded" is decided by :mod:`bot.grounding`: every number and name of the summary must be in the
article, matched as a careful reader matches them (values, not spellings; names word by word, with the
article's own variants and abbreviations). Its rules and why are in that module's docstring.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import accumulate

from bot.grounding import Grounder
from bot.sentences import count_words, split_sentences


@dataclass(frozen=True)
class SummarySpec:
    """What a person asked for. ``max_words`` is an upper bound, never a target."""

    max_words: int = 2000
    paragraphs: int = 6
    language: str | None = None
    source_ratio: float = 0.5  # the budget rule: at most this share of the source's words
    shape: str = "paragraphs"  # one of SHAPES: paragraphs, bullets (a TL;DR line then points), tldr

    def fitted(self, source_words: int) -> SummarySpec:
        """The spec a summarizer works to for a source of this length (see :func:`word_budget`)."""
        return replace(self, max_words=word_budget(self, source_words))


# --- shapes: how many parts a summary has, whatever it is made of -------------------------------------

SHAPES = ("paragraphs", "bullets", "tldr")
TLDR_WORDS = 60  # a TL;DR is one short paragraph, whatever the budget


def parts_wanted(spec: SummarySpec) -> int:
    """The parts a summary of this shape has: its paragraphs; a TL;DR line and ``paragraphs`` bullet
    points; or the one TL;DR paragraph. The one place a shape turns into a count."""
    if spec.shape == "bullets":
        return spec.paragraphs + 1
    if spec.shape == "tldr":
        return 1
    return spec.paragraphs


def shaped(spec: SummarySpec) -> SummarySpec:
    """The spec as a plain paragraph count, for a summarizer that knows only paragraphs: every backend
    writes each shape this way (part 1 of bullets is the TL;DR line, each next part one point)."""
    words = min(spec.max_words, TLDR_WORDS) if spec.shape == "tldr" else spec.max_words
    return replace(spec, shape="paragraphs", paragraphs=parts_wanted(spec), max_words=words)


def _with_parts(spec: SummarySpec, parts: int) -> SummarySpec:
    """The spec whose shape has ``parts`` parts (the inverse of :func:`parts_wanted`)."""
    if spec.shape == "bullets":
        return replace(spec, paragraphs=max(1, parts - 1))
    if spec.shape == "tldr":
        return spec
    return replace(spec, paragraphs=parts)


def word_budget(spec: SummarySpec, source_words: int) -> int:
    """The one budget rule: a summary never claims more than its source holds.

    At most ``source_ratio`` of the source's words (half by default), never above ``max_words``:
    a 350-word article gets at most 175 words, a 20,000-word report at most 2000.
    """
    return max(1, min(spec.max_words, math.ceil(spec.source_ratio * source_words)))


def fit(spec: SummarySpec, source_text: str) -> tuple[SummarySpec, tuple[str, ...]]:
    """The spec for this source: the budget shrunk, and fewer paragraphs when the source has fewer
    sentences than paragraphs asked for (one sentence is the least a paragraph can be; never pad)."""
    fitted = spec.fitted(count_words(source_text))
    split = split_sentences(source_text)
    sentences = len(split)
    if sentences and fitted.max_words < count_words(split[0]) <= spec.max_words:  # a very short article:
        fitted = replace(fitted, max_words=count_words(split[0]))  # its opening sentence, rather than nothing
    if spec.shape == "tldr":
        fitted = replace(fitted, max_words=min(fitted.max_words, TLDR_WORDS))
    if 0 < sentences < parts_wanted(spec):
        note = "sentence" if sentences == 1 else "sentences"
        paras = "paragraph" if sentences == 1 else "paragraphs"
        if spec.shape != "paragraphs":
            return _with_parts(fitted, sentences), (f"The article has only {sentences} {note}.",)
        return replace(fitted, paragraphs=sentences), (
            f"The article has only {sentences} {note}, so this summary has {sentences} {paras}, not {spec.paragraphs}.",
        )
    return fitted, ()


@dataclass(frozen=True)
class CheckResult:
    paragraphs: int
    words: int
    ungrounded: tuple[str, ...]  # numbers and names in the summary that the source does not hold
    problems: tuple[str, ...]  # plain-words descriptions, fit to send back to a model
    grounded: tuple[str, ...] = ()  # numbers and names in the summary that the source holds

    @property
    def ok(self) -> bool:
        return not self.problems


def check(paragraphs: Sequence[str], source_text: str, spec: SummarySpec) -> CheckResult:
    """Paragraph count, word count and grounding of a summary against its (fitted) spec."""
    paras = normalize_paragraphs(paragraphs)
    words = sum(count_words(p) for p in paras)
    facts = Grounder(source_text).facts("\n\n".join(paras))
    ungrounded = tuple(dict.fromkeys(fact.text for fact in facts if not fact.grounded))
    grounded = tuple(dict.fromkeys(fact.text for fact in facts if fact.grounded))
    problems = []
    if len(paras) != parts_wanted(spec):
        problems.append(f"The summary has {len(paras)} paragraphs; it must have exactly {parts_wanted(spec)}.")
    if words > spec.max_words:
        problems.append(f"It has {words:,} words; the limit is {spec.max_words:,}.")
    if ungrounded:
        problems.append(f"These numbers or names do not appear in the article: {', '.join(ungrounded)}.")
    return CheckResult(len(paras), words, ungrounded, tuple(problems), grounded)


def repair(paragraphs: Sequence[str], source_text: str, spec: SummarySpec) -> tuple[list[str], list[str]]:
    """Deterministic fix: returns (paragraphs, warnings saying what was done).

    In order: drop sentences holding numbers or names the source lacks; merge or split paragraphs at
    sentence boundaries to reach ``spec.paragraphs``; cut whole sentences, from the ends of the
    longest paragraphs, until the budget holds. Never cuts inside a sentence, never pads.
    """
    # One line per paragraph, as in the output: a line break splits sentences, and joining the halves
    # again must not make a name or number ("Ana" / "Ruiz") that was never checked.
    runs = [split_sentences(" ".join(p.split())) for p in normalize_paragraphs(paragraphs)]
    warnings: list[str] = []
    runs = _drop_ungrounded(runs, Grounder(source_text), warnings)
    runs = _reshape(runs, parts_wanted(spec), warnings)
    runs = _trim(runs, spec.max_words, warnings)
    if len(runs) < parts_wanted(spec):
        warnings.append(f"Only {len(runs)} paragraphs could be kept, not {parts_wanted(spec)}.")
    return [" ".join(run) for run in runs], warnings


DROPPED = "Dropped "  # how repair's warning about removed sentences opens (the Summary's ``grounding.removed``)
_BLANK_LINE = re.compile(r"\n\s*\n")


def normalize_paragraphs(paragraphs: Sequence[str]) -> list[str]:
    """Non-empty paragraphs; a blank line inside an item splits it (as Slack will show it)."""
    return [block.strip() for item in paragraphs for block in _BLANK_LINE.split(item) if block.strip()]


def _words(run: Sequence[str]) -> int:
    return sum(count_words(s) for s in run)


def _drop_ungrounded(runs: list[list[str]], grounder: Grounder, warnings: list[str]) -> list[list[str]]:
    kept, missing, dropped = [], [], 0
    for run in runs:
        good = []
        for sentence in run:
            facts = grounder.missing(sentence)
            if facts:
                dropped, missing = dropped + 1, missing + facts
            else:
                good.append(sentence)
        if good:
            kept.append(good)
    if dropped:
        noun = "sentence" if dropped == 1 else "sentences"
        facts = ", ".join(dict.fromkeys(missing))
        warnings.append(f"{DROPPED}{dropped} {noun} with numbers or names not found in the article: {facts}.")
    return kept


def _reshape(runs: list[list[str]], wanted: int, warnings: list[str]) -> list[list[str]]:
    """Merge the smallest neighbouring pair, or split the longest paragraph near its middle."""
    before = len(runs)
    while len(runs) > wanted:
        i = min(range(len(runs) - 1), key=lambda j: _words(runs[j]) + _words(runs[j + 1]))
        runs[i : i + 2] = [[*runs[i][:-1], _full_stop(runs[i][-1]), *runs[i + 1]]]
    while len(runs) < wanted:
        splittable = [j for j, run in enumerate(runs) if len(run) > 1]
        if not splittable:
            break
        i = max(splittable, key=lambda j: _words(runs[j]))
        cut = _middle(runs[i])
        runs[i : i + 1] = [runs[i][:cut], runs[i][cut:]]
    if len(runs) < before:
        warnings.append(f"Merged {before} paragraphs into {len(runs)}.")
    elif len(runs) > before:
        warnings.append(f"Split {before} paragraphs into {len(runs)}.")
    return runs


def _full_stop(sentence: str) -> str:
    """A paragraph's last sentence, ended, so that merging cannot glue it to the next ("Riverton" + "Mayor ...")."""
    return sentence if sentence.endswith(_ENDINGS) else sentence + "."


_ENDINGS = (".", "!", "?", "\u2026", '"', "'", ")", "]", "\u201d", "\u2019")


def _middle(run: list[str]) -> int:
    """The sentence boundary that best halves the run's words."""
    ends = list(accumulate(count_words(s) for s in run))
    return min(range(1, len(run)), key=lambda cut: abs(2 * ends[cut - 1] - ends[-1]))


def _trim(runs: list[list[str]], budget: int, warnings: list[str]) -> list[list[str]]:
    """Cut the last sentence of the longest paragraph that has more than one, so the count holds;
    only when every paragraph is down to one sentence does a whole paragraph go (the longest)."""
    cut = 0
    while runs and sum(_words(run) for run in runs) > budget:
        longer = [j for j, run in enumerate(runs) if len(run) > 1]
        i = max(longer or range(len(runs)), key=lambda j: _words(runs[j]))
        runs[i] = runs[i][:-1]
        runs = [run for run in runs if run]
        cut += 1
    if cut:
        noun = "sentence" if cut == 1 else "sentences"
        warnings.append(f"Cut {cut} {noun} to stay within {budget:,} words.")
    return runs
