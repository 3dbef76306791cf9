"""The offline default: the article's own most central sentences, in source order, to spec.

    summarize_text(text, max_words=300, paragraphs=6)   # -> six paragraphs of source sentences

Nothing is written that the source does not say, so the summary is grounded by construction; the
craft is in choosing. On the shared bench (budget = half the source) this method:

- scores each sentence by TF-IDF cosine to the document centroid plus a lead bias that fades over
  the first few dozen sentences (news puts its point first; stories and reports spread theirs out);
- picks best-first under the word budget with MMR (a sentence too like one already chosen loses),
  while keeping room for enough sentences to make every requested paragraph (six long sentences
  can overflow a short article's budget; six shorter central ones fit);
- prefers real sentences: fragments under four words and lines without final punctuation
  (headings, bylines, captions) are taken only when nothing else is left;
- reads well: a sentence that opens on a word pointing back ("It", "But", "This", "To that,") comes
  with the sentence before it or is not taken, and never opens a paragraph;
- cuts the chosen sentences, in source order, into word-balanced paragraphs, at the source's own
  paragraph breaks where that costs little balance;
- a very short article (a budget that holds one sentence at most) gets its opening sentence, and says so.

Work is bounded by the text's length whatever its shape: TF-IDF vectors are sparse (row, term,
weight) triples, and selection weighs at most ``MAX_POOL`` sentences (the best-scoring ones), so a
2 MB page of 60,000 short sentences costs seconds and ~150 MB (``python benchmarks/hostile.py``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from itertools import chain

import numpy as np

from bot.config import Settings
from bot.errors import SummarizeError
from bot.extract import Article
from bot.sentences import split_paragraphs
from bot.spec import SummarySpec
from bot.summarizers import register
from bot.summarizers.base import Summary

log = logging.getLogger(__name__)

LEAD_DECAY = 5.0  # sentences over which the lead bias falls by a factor e
MIN_WORDS = 4
UNBROKEN_CUT_COST = 0.3  # cost of a paragraph cut where the source had no paragraph break
LEANING_CUT_COST = 10.0  # a paragraph opening on "It ..." after its antecedent: only if nothing else balances
MAX_CHAIN = 2  # a sentence may bring at most this many sentences before it
MAX_POOL = 1000  # sentences selection weighs at most (the dev set's longest document has 804)

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_ENDS_SENTENCE = re.compile(r"[.!?'\"\u2019\u201d)\]]$")
_STOPWORDS_TEXT = """
a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most
my myself no nor not now of off on once only or other our ours ourselves out over own same she should
so some such than that the their theirs them themselves then there these they this those through to
too under until up very was we were what when where which while who whom why will with would you your
yours yourself yourselves said says say also one
"""
_STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
# Openings that point back to what came before: pronouns, demonstratives, connectives.
_LEANS_BACK_TEXT = """
it its he his him she her they their them this these that those such another both yet but however and
so also still instead meanwhile then thus therefore hence moreover furthermore besides nevertheless
nonetheless otherwise likewise similarly too
"""
_LEANS_BACK_PHRASES = (
    "to that", "to this", "as a result", "even so", "by contrast", "in contrast", "on the other hand",
    "despite this", "despite that", "because of this", "the latter", "the former", "at the same time",
)  # fmt: skip
_LEANS_BACK = re.compile(
    r"[\W_]*(?:" + "|".join(re.escape(w) for w in (*_LEANS_BACK_PHRASES, *_LEANS_BACK_TEXT.split())) + r")(?![\w-])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Knobs:
    """The two tuned numbers. ``python benchmarks/summaries.py`` picks them on held-out folds of the
    dev set (never on the documents it scores them on) and reports a part no tuning sees."""

    lead_weight: float = 2.0  # lead bias at the first sentence, against centrality scaled to 0..1
    mmr_lambda: float = 0.8  # 1.0 = ignore redundancy


@dataclass(frozen=True)
class Extract:
    paragraphs: list[str]
    warnings: list[str]


@register("extractive")
class ExtractiveSummarizer:
    """Registered as a factory: ``ExtractiveSummarizer(settings)`` is the summarizer."""

    name = "extractive"
    model = None

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings

    def summarize(self, article: Article, spec: SummarySpec) -> Summary:
        result = extract_summary(article.text, spec.max_words, spec.paragraphs)
        if not result.paragraphs:  # nothing honest to post: say why instead of posting nothing
            raise SummarizeError(
                f"This article cannot be summarized in {spec.max_words:,} words: no whole sentence of it is that short."
            )
        return Summary(
            article=article,
            paragraphs=tuple(result.paragraphs),
            spec=spec,
            backend=self.name,
            model=None,
            warnings=tuple(result.warnings) + _language_warning(spec.language, article.language),
        )


_LANGUAGE_NAMES = {
    "english": "en", "french": "fr", "german": "de", "spanish": "es", "italian": "it", "portuguese": "pt",
    "dutch": "nl", "russian": "ru", "japanese": "ja", "chinese": "zh", "korean": "ko", "polish": "pl",
}  # fmt: skip


def _language_warning(asked: str | None, written: str | None) -> tuple[str, ...]:
    """Sentences of the source cannot be translated: say so rather than ignore the request."""
    if not asked:
        return ()
    code = asked.strip().lower()
    code = _LANGUAGE_NAMES.get(code, code).replace("_", "-").split("-")[0]
    if written and code == written.lower().split("-")[0]:
        return ()
    language = f" ({written})" if written else ""
    return (
        f"The offline summarizer cannot translate, so this summary is in the article's own language{language}, "
        f"not {asked}.",
    )


def summarize_text(text: str, max_words: int, paragraphs: int, knobs: Knobs = Knobs()) -> list[str]:
    """The benchmark interface: ``max_words`` is the final budget (already shrunk to the source)."""
    return extract_summary(text, max_words, paragraphs, knobs).paragraphs


def extract_summary(text: str, max_words: int, paragraphs: int, knobs: Knobs = Knobs()) -> Extract:
    """Up to ``max_words`` words of source sentences in ``paragraphs`` paragraphs, or fewer with a warning."""
    grouped = split_paragraphs(text)
    sentences = [s for group in grouped for s in group]
    if not sentences:
        return Extract([], ["The article has no sentences to summarize."])
    source_para = np.array([p for p, group in enumerate(grouped) for _ in group], dtype=int)
    lengths = np.array([len(s.split()) for s in sentences])
    wanted = min(paragraphs, len(sentences))
    allowed = _candidates(sentences, lengths, wanted)
    reachable = _most_that_fit(lengths[allowed], max_words)
    if reachable <= 1:
        return _opening(sentences, lengths, allowed, max_words)
    vectors = _tfidf(sentences)
    scores = _scores(vectors, len(sentences), knobs.lead_weight)
    pool = _pool(scores, lengths, allowed, wanted)
    leans = np.zeros(len(sentences), dtype=bool)
    leans[pool] = [bool(_LEANS_BACK.match(sentences[i])) for i in pool]
    needs = _antecedents(pool, leans)
    need = min(paragraphs, reachable)
    picked = _select(scores[pool], vectors.restrict(pool), lengths[pool], needs, max_words, need, knobs.mmr_lambda)
    chosen = [int(pool[i]) for i in picked]
    runs = _group(chosen, source_para, leans, lengths, paragraphs)
    parts = [" ".join(sentences[i] for i in run) for run in runs]
    return Extract(parts, _shortfall(len(parts), paragraphs, len(sentences), max_words, reachable))


def _opening(sentences: list[str], lengths: np.ndarray, allowed: np.ndarray, budget: int) -> Extract:
    """A budget that holds one sentence at most (a very short article): the first one that fits,
    said plainly, rather than a refusal or a sentence chosen out of its context."""
    fitting = np.flatnonzero(allowed & (lengths <= budget))
    if len(fitting) == 0:
        return Extract([], [])
    first = int(fitting[0])
    words = int(lengths.sum())
    which = "its opening sentence" if first == 0 else "the first of its sentences that fits"
    note = f"The {budget:,}-word budget holds one sentence of this {words:,}-word article, so this summary is {which}."
    return Extract([sentences[first]], [note])


def _shortfall(made: int, wanted: int, sentences: int, budget: int, reachable: int) -> list[str]:
    """Say why there are fewer paragraphs than asked for; never pad."""
    if made >= wanted:
        return []
    outcome = f"so this summary has {_count(made, 'paragraph')}, not {wanted}."
    if reachable < min(wanted, sentences):
        return [
            f"The {budget:,}-word budget holds only {_count(reachable, 'whole sentence')} of this article, {outcome}"
        ]
    return [f"The article has only {_count(sentences, 'sentence')}, {outcome}"]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _candidates(sentences: list[str], lengths: np.ndarray, wanted: int) -> np.ndarray:
    """Real sentences only, unless there are too few of them: fragments under four words and lines
    without final punctuation (headings, bylines, captions) read badly, and a heading glued to the
    next sentence makes a "name" the article never wrote ("TROUBLE ON TYCHO Isobar")."""
    real = np.array(
        [n >= MIN_WORDS and bool(_ENDS_SENTENCE.search(s)) for s, n in zip(sentences, lengths, strict=True)]
    )
    return real if real.sum() >= wanted else np.ones(len(sentences), dtype=bool)


def _most_that_fit(lengths: np.ndarray, budget: int) -> int:
    """How many whole sentences the budget can hold at best (the shortest ones)."""
    return int((np.cumsum(np.sort(lengths)) <= budget).sum())


def _terms(sentence: str) -> list[str]:
    terms = []
    for word in _WORD.findall(sentence.lower()):
        if word in _STOPWORDS or len(word) < 2:
            continue
        word = word.removesuffix("'s")
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]  # a crude plural fold: "reports" ~ "report"
        terms.append(word)
    return terms


@dataclass(frozen=True)
class _Vectors:
    """TF-IDF rows as (row, term, weight) triples sorted by row: memory in proportion to the text's
    words, whatever its number of sentences or the size of its vocabulary."""

    rows: np.ndarray
    terms: np.ndarray
    weights: np.ndarray
    count: int  # rows, some of which may be empty
    vocabulary: int

    def dot(self, dense: np.ndarray) -> np.ndarray:
        """Every row's dot product with one dense vector over the vocabulary."""
        return np.bincount(self.rows, weights=self.weights * dense[self.terms], minlength=self.count)

    def total(self) -> np.ndarray:
        return np.bincount(self.terms, weights=self.weights, minlength=self.vocabulary)

    def similarity_to(self, row: int) -> np.ndarray:
        dense = np.zeros(self.vocabulary)
        mine = self.rows == row
        dense[self.terms[mine]] = self.weights[mine]
        return self.dot(dense)

    def restrict(self, keep: np.ndarray) -> _Vectors:
        """Only the rows ``keep`` (ascending), renumbered from 0, over only the terms they use."""
        position = np.full(self.count, -1)
        position[keep] = np.arange(len(keep))
        mask = position[self.rows] >= 0
        used, terms = np.unique(self.terms[mask], return_inverse=True)
        return _Vectors(position[self.rows[mask]], terms, self.weights[mask], len(keep), max(1, len(used)))


def _tfidf(sentences: list[str]) -> _Vectors:
    """Unit-length TF-IDF rows; terms in a single sentence are dropped after normalising (they add
    to a sentence's length but can make it similar to nothing)."""
    vocabulary: dict[str, int] = {}
    ids = [[vocabulary.setdefault(t, len(vocabulary)) for t in _terms(s)] for s in sentences]
    count, size = len(sentences), max(1, len(vocabulary))
    rows = np.repeat(np.arange(count, dtype=np.int64), [len(row) for row in ids])
    terms = np.fromiter(chain.from_iterable(ids), dtype=np.int64, count=len(rows))
    keys, tf = np.unique(rows * size + terms, return_counts=True)  # one entry per (sentence, term)
    rows, terms = keys // size, keys % size
    df = np.bincount(terms, minlength=size)
    weights = np.log1p(tf) * (np.log((1 + count) / (1 + df[terms])) + 1)
    norms = np.sqrt(np.bincount(rows, weights=weights**2, minlength=count))
    weights /= np.where(norms == 0, 1, norms)[rows]
    keep = df[terms] >= 2
    return _Vectors(rows[keep], terms[keep], weights[keep], count, size)


def _scores(vectors: _Vectors, count: int, lead_weight: float) -> np.ndarray:
    """Centrality (cosine to the document centroid, scaled to 0..1) plus a fading lead bias."""
    centrality = vectors.dot(vectors.total())
    low, high = centrality.min(), centrality.max()
    centrality = (centrality - low) / (high - low) if high > low else np.zeros(count)
    return centrality + lead_weight * np.exp(-np.arange(count) / LEAD_DECAY)


def _pool(scores: np.ndarray, lengths: np.ndarray, allowed: np.ndarray, wanted: int) -> np.ndarray:
    """The sentences selection weighs, ascending: every allowed one, or on a very long page the
    ``MAX_POOL`` best-scoring plus the ``wanted`` shortest (so that enough paragraphs stay reachable).
    This bounds selection's time and memory whatever the page's shape."""
    allowed = np.flatnonzero(allowed)
    if len(allowed) <= MAX_POOL:
        return allowed
    best = allowed[np.argpartition(-scores[allowed], MAX_POOL)[:MAX_POOL]]
    shortest = allowed[np.argpartition(lengths[allowed], wanted)[:wanted]]
    return np.union1d(best, shortest)


def _antecedents(pool: np.ndarray, leans: np.ndarray) -> np.ndarray:
    """Per pool sentence, the pool positions of the sentences it cannot go without, padded with -1.

    A sentence that opens on "It", "But", "This", "He"... points back to the one before it (which may
    point back in turn): it is taken together with them, or not at all (a row of -2) when the chain is
    longer than ``MAX_CHAIN`` or leaves the pool."""
    position = {int(sentence): k for k, sentence in enumerate(pool)}
    needs = np.full((len(pool), MAX_CHAIN), -1)
    for k, sentence in enumerate(pool):
        j = int(sentence)
        for depth in range(MAX_CHAIN + 1):
            if j == 0 or not leans[j]:
                break
            if depth == MAX_CHAIN or j - 1 not in position:
                needs[k] = -2
                break
            j -= 1
            needs[k, depth] = position[j]
    return needs


def _select(
    scores: np.ndarray,
    vectors: _Vectors,
    lengths: np.ndarray,
    needs: np.ndarray,
    budget: int,
    need: int,
    mmr_lambda: float,
) -> list[int]:
    """Best-first MMR under the budget; the first ``need`` picks leave room for the rest of ``need``.
    A pick brings the sentences it points back to (``needs``), and pays for their words."""
    chosen: list[int] = []
    left = budget
    free = np.ones(len(scores), dtype=bool)
    takeable = needs[:, 0] != -2
    redundancy = np.zeros(len(scores))
    while (free & takeable).any():
        cost = lengths + np.where(needs >= 0, lengths[needs] * free[needs], 0).sum(axis=1)
        fits = free & takeable & (cost <= left)
        if len(chosen) < need - 1:
            roomy = fits & (cost + _room_for(need - len(chosen) - 1, cost, free & takeable) <= left)
            if not roomy.any() and fits.any():  # the sentences some need bring made ``need`` unreachable
                need -= 1
                continue
            fits = roomy
        if not fits.any():
            break
        mmr = np.where(fits, mmr_lambda * scores - (1 - mmr_lambda) * redundancy, -np.inf)
        pick = int(np.argmax(mmr))
        left -= int(cost[pick])
        for k in [int(a) for a in needs[pick] if a >= 0 and free[a]] + [pick]:
            chosen.append(k)
            free[k] = False
            redundancy = np.maximum(redundancy, vectors.similarity_to(k))
    return sorted(chosen)


def _room_for(count: int, lengths: np.ndarray, free: np.ndarray) -> np.ndarray:
    """Per candidate: words the ``count`` shortest other free sentences need."""
    shortest = np.sort(lengths[free])[: count + 1]
    without_self = shortest[:count].sum()
    # a candidate that is itself among the shortest leaves the next one to take its place
    return np.where(lengths <= shortest[-1], shortest.sum() - lengths, without_self)


def _group(
    chosen: list[int], source_para: np.ndarray, leans: np.ndarray, lengths: np.ndarray, paragraphs: int
) -> list[list[int]]:
    """Cut ``chosen`` (in order) into min(paragraphs, len(chosen)) runs of near-equal words.

    Dynamic programme over cut points: cost = squared relative deviation from the mean paragraph
    length, plus a small cost for cutting where the source paragraph continues, and a large one for
    opening a paragraph on a sentence that points back to the one before it.
    """
    k, parts = len(chosen), min(paragraphs, len(chosen))
    if parts == 0:
        return []
    ends = np.concatenate([[0], np.cumsum(lengths[chosen])]).astype(float)
    target = ends[-1] / parts
    paras = source_para[chosen]
    cut_cost = np.concatenate([[0.0], np.where(paras[1:] != paras[:-1], 0.0, UNBROKEN_CUT_COST)])
    cut_cost[1:] += np.where(leans[chosen][1:] & (np.diff(chosen) == 1), LEANING_CUT_COST, 0.0)
    start = np.arange(k + 1)[:, None]
    stop = np.arange(k + 1)[None, :]
    balance = ((ends[None, :] - ends[:, None] - target) / max(target, 1.0)) ** 2
    run_cost = np.where(start < stop, balance + np.append(cut_cost, 0.0)[:, None], np.inf)
    best = np.full(k + 1, np.inf)
    best[0] = 0.0
    back = np.zeros((parts + 1, k + 1), dtype=int)
    for part in range(1, parts + 1):
        total = best[:, None] + run_cost
        back[part] = np.argmin(total, axis=0)
        best = total[back[part], np.arange(k + 1)]
    cuts, end = [], k
    for part in range(parts, 0, -1):
        cuts.append((back[part][end], end))
        end = back[part][end]
    return [[chosen[i] for i in range(a, b)] for a, b in reversed(cuts)]
