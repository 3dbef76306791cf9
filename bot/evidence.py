"""Where each summary sentence comes from: the article sentences that support it.

    for support in align(summary.paragraphs, article.text):
        print(support.sentence, "<-", support.quotes or "no support found")

Method (lexical, no model): both sides are split with :func:`bot.sentences.split_sentences` and reduced
to content words (lower case, numbers kept, a common-word list removed, a final "s" dropped). Each article
sentence is a TF-IDF vector, IDF taken over the article's own sentences, and the summary sentence is
compared with each by cosine similarity (a word found in more than a tenth of the article's sentences
is left out of the ranking: it tells sentences apart least and costs most, so the work stays bounded);
the best one is its first quote. A second quote is added when it covers content words the first lacks
(a summary sentence often fuses two). A sentence is "supported" when the quotes hold at least half of
its content-word weight and every number and name in it is in the article (:mod:`bot.grounding`);
otherwise it is marked unsupported, with what was missing.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from bot.grounding import Grounder, plain
from bot.sentences import split_sentences

SUPPORTED_COVERAGE = 0.5  # share of the sentence's content-word weight the quotes must hold
MAX_QUOTES = 2
_WORD = re.compile(r"[^\W_]+(?:[.,']\d+)*", re.UNICODE)
_STOP_TEXT = """
a an the and or but if of in on at to by for from with as into onto about over after before than then
that this these those it its is are was were be been being has have had do does did not no so such he she
they we you i his her their our your my me him them us who whom whose which what when where why how all
any both each few more most other some own same too very can will just should now also would could may
might must said says say one there here out up down off again further once while during until against
between through under above below
"""
_STOP = frozenset(_STOP_TEXT.split())


@dataclass(frozen=True)
class Support:
    """One summary sentence and the article sentences that support it."""

    sentence: str
    quotes: tuple[str, ...]  # article sentences, best first; empty when nothing supports it
    coverage: float  # share of the sentence's content-word weight found in the quotes (0..1)
    missing: tuple[str, ...] = ()  # numbers and names the article lacks

    @property
    def supported(self) -> bool:
        return bool(self.quotes) and self.coverage >= SUPPORTED_COVERAGE and not self.missing

    def to_dict(self) -> dict:
        return asdict(self) | {"supported": self.supported}


def _terms(text: str) -> list[str]:
    terms = []
    for word in _WORD.findall(plain(text).lower()):
        if word in _STOP or (len(word) < 2 and not word.isdigit()):
            continue
        terms.append(word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word)
    return terms


def align(paragraphs: Sequence[str], article_text: str) -> tuple[Support, ...]:
    """Each sentence of the summary (in order) with its supporting quotes from the article."""
    sources = split_sentences(article_text)
    grounder = Grounder(article_text)
    bags = [Counter(_terms(s)) for s in sources]
    frequency = Counter(term for bag in bags for term in bag)
    idf = {term: math.log((1 + len(bags)) / (1 + count)) + 1 for term, count in frequency.items()}
    unseen = math.log(1 + len(bags)) + 1  # a word the article never uses weighs most
    norms = [math.sqrt(sum((n * idf[t]) ** 2 for t, n in bag.items())) or 1.0 for bag in bags]
    common = max(8, len(bags) // 10)  # a word in more sentences than this is not used to rank them
    index: dict[str, list[int]] = {}
    for i, bag in enumerate(bags):
        for term in bag:
            index.setdefault(term, []).append(i)

    supports = []
    for paragraph in paragraphs:
        for sentence in split_sentences(" ".join(paragraph.split())):
            bag = Counter(_terms(sentence))
            weights = {t: n * idf.get(t, unseen) for t, n in bag.items()}
            total = sum(weights.values()) or 1.0
            scores: Counter[int] = Counter()
            for term, weight in weights.items():
                postings = index.get(term, ())
                if len(postings) > common:  # in most sentences: ranks nothing, costs the most
                    continue
                for i in postings:
                    scores[i] += weight * bags[i][term] * idf[term]
            ranked = sorted(scores, key=lambda i: (-scores[i] / norms[i], i))
            quotes: list[int] = []
            covered: set[str] = set()
            for i in ranked[: MAX_QUOTES * 4]:
                gain = sum(w for t, w in weights.items() if t in bags[i] and t not in covered)
                if not quotes or gain >= 0.15 * total:
                    quotes.append(i)
                    covered |= set(bags[i]) & set(weights)
                if len(quotes) == MAX_QUOTES:
                    break
            coverage = sum(w for t, w in weights.items() if t in covered) / total if weights else 1.0
            missing = tuple(dict.fromkeys(grounder.missing(sentence)))
            ordered = tuple(sources[i] for i in sorted(quotes))
            supports.append(Support(sentence, ordered if quotes else (), round(coverage, 3), missing))
    return tuple(supports)


def evidence_record(summary) -> dict:
    """What the "Show evidence" modal and ``--evidence`` show, as JSON-ready data (stored at post time)."""
    article = summary.article
    return {
        "title": article.title or article.site or article.url or "Summary",
        "url": article.url,
        "grounding": asdict(summary.grounding) if summary.grounding else {},
        "sentences": [support.to_dict() for support in align(summary.paragraphs, article.text)],
    }
