"""SummarySpec, the budget rule, and the check every summary passes before anyone sees it.

    spec, warnings = fit(SummarySpec(), article.text)   # once per source, before summarizing
    result = check(paragraphs, article.text, spec)      # result.problems: plain words for a model
    paragraphs, done = repair(paragraphs, article.text, spec)

"Grounded" follows the shared bench's evaluator, so what we check is what we are scored on: numbers
(currency sign and % kept, "15 per cent" is "15%", a spelled-out "eight" in the source grounds "8")
must match a number of the source exactly; capitalized multi-word names must occur in the source,
ignoring case (a sentence-initial capitalized word may be dropped: "Despite Roddie Smith").
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import accumulate

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
    if spec.shape == "tldr":
        fitted = replace(fitted, max_words=min(fitted.max_words, TLDR_WORDS))
    sentences = len(split_sentences(source_text))
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

    @property
    def ok(self) -> bool:
        return not self.problems


def check(paragraphs: Sequence[str], source_text: str, spec: SummarySpec) -> CheckResult:
    """Paragraph count, word count and grounding of a summary against its (fitted) spec."""
    paras = normalize_paragraphs(paragraphs)
    words = sum(count_words(p) for p in paras)
    ungrounded = tuple(dict.fromkeys(Grounder(source_text).missing("\n\n".join(paras))))
    problems = []
    if len(paras) != parts_wanted(spec):
        problems.append(f"The summary has {len(paras)} paragraphs; it must have exactly {parts_wanted(spec)}.")
    if words > spec.max_words:
        problems.append(f"It has {words:,} words; the limit is {spec.max_words:,}.")
    if ungrounded:
        problems.append(f"These numbers or names do not appear in the article: {', '.join(ungrounded)}.")
    return CheckResult(len(paras), words, ungrounded, tuple(problems))


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
        warnings.append(f"Dropped {dropped} {noun} with numbers or names not found in the article: {facts}.")
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


# --- grounding: the shared evaluator's rules, restated ---------------------------------------------

_QUOTES = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " ", "\u2013": "-", "\u2014": "-"}
)
_NUMBER = re.compile(r"(?<![\w.,])([$£€]\s?)?(\d+(?:[.,]\d+)*)(\s?%|\s?per\s?cent\b|\s?percent\b)?", re.IGNORECASE)
_SPELLED_TEXT = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
_SPELLED_TEXT += "fifteen sixteen seventeen eighteen nineteen twenty"
_SPELLED = {word: str(i) for i, word in enumerate(_SPELLED_TEXT.split())}
_TENS = ("thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SPELLED |= {word: str(10 * i) for i, word in enumerate(_TENS, 3)}
_SPELLED |= {"hundred": "100", "thousand": "1000", "dozen": "12"}
_NAME_WORD = r"[A-Z][A-Za-z]*(?:-[A-Za-z]+|'[A-Z][A-Za-z]+)*"
_NAME = re.compile(rf"\b{_NAME_WORD}(?:[ \t]+(?:of[ \t]+|de[ \t]+|van[ \t]+|von[ \t]+)?{_NAME_WORD})+")
_BEFORE_SENTENCE = re.compile(r"(?:[.!?:;\u2026]['\")\]]*\s+|\n\s*|[\"'(\[]\s*)$")
# capitalized words that start or end a match without being part of the name ("The", "Monday")
_NOT_NAME_TEXT = """
a an the and but or nor so yet for of in on at to by from with as into onto after before when while
since until if then than though although because however meanwhile moreover also still he she it they
we you i his her its their our my your this that these those there here what which who whom whose why
how where all any both each every some many most no not one two three four five six such only just
even mr mrs ms dr monday tuesday wednesday thursday friday saturday sunday
"""
_NOT_NAME = frozenset(_NOT_NAME_TEXT.split())


def _plain(text: str) -> str:
    return re.sub(r"[ \t\r\f\v]+", " ", text.translate(_QUOTES))


def numbers_in(text: str) -> list[str]:
    """Number tokens as the evaluator keys them: "$1,200", "15%", "3.5"."""
    found = []
    for currency, digits, percent in _NUMBER.findall(_plain(text)):
        found.append(currency.strip() + digits.rstrip(".,") + ("%" if percent else ""))
    return found


def names_in(text: str) -> list[tuple[str, bool]]:
    """Capitalized multi-word names, each with whether it starts a sentence."""
    text = re.sub(r"'s\b", "'s;", _plain(text))  # "Chris Ramsey's QPR" is two names
    names = []
    for match in _NAME.finditer(text):
        words = match.group(0).split()
        initial = match.start() == 0 or bool(_BEFORE_SENTENCE.search(text[max(0, match.start() - 8) : match.start()]))
        while words and words[0].lower() in _NOT_NAME:
            words, initial = words[1:], False
        while words and words[-1].lower() in _NOT_NAME:
            words = words[:-1]
        if len(words) >= 2:
            names.append((" ".join(words), initial))
    return names


class Grounder:
    """The facts of one source, built once and asked about many summaries or sentences."""

    def __init__(self, source_text: str) -> None:
        self.text = re.sub(r"\s+", " ", _plain(source_text)).lower()
        self.numbers = set(numbers_in(source_text))
        words = set(re.findall(r"\w+", self.text))  # the same test as a \bword\b search, once
        self.numbers |= {digits for word, digits in _SPELLED.items() if word in words}

    def missing(self, summary: str) -> list[str]:
        """Numbers and names of ``summary`` that the source does not hold, in order of appearance."""
        numbers = [n for n in numbers_in(summary) if n not in self.numbers]
        return numbers + [name for name, initial in names_in(summary) if not self._has_name(name, initial)]

    def _has_name(self, name: str, initial: bool) -> bool:
        low = name.lower()
        if low in self.text:
            return True
        rest = low.split(" ", 1)[1]  # "Despite Roddie Smith" is grounded by "Roddie Smith"
        return initial and re.search(rf"(?<!\w){re.escape(rest)}(?!\w)", self.text) is not None
