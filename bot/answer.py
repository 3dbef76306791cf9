"""Questions asked in a summary's thread, answered from the article alone.

    answer = answer_offline(article.text, "what efficiency gain does Apple expect?")
    answer.quotes    # the article's sentences that best answer it, verbatim; empty: the article does not say

Offline the answer is the article's own best-matching sentences (BM25 over sentences from
bot/sentences.py), quoted; nothing is invented, so nothing needs checking.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rank_bm25 import BM25Okapi

from bot.sentences import count_words, split_sentences
from bot.spec import Grounder

NOT_SAID = "The article does not say."
MAX_QUOTES = 2
MAX_SENTENCES = 5000  # work bounded by input size: a huge article is read up to here
_WORD = re.compile(r"[a-z0-9%$€£]+(?:[.,'][a-z0-9]+)*")
_STOP_TEXT = """a an the and or but of in on at to by for from with as is are was were be been being do does did
    what which who whom whose when where why how that this these those it its they them their there here
    i you he she we me my your his her our us not no yes can could would should will shall may might must
    about into than then so if any some much many more most such only just also has have had expect expects
    tell say says said article"""
_STOP = frozenset(_STOP_TEXT.split())


@dataclass(frozen=True)
class Answer:
    question: str
    quotes: tuple[str, ...]  # verbatim sentences of the article, best first

    @property
    def said(self) -> bool:
        return bool(self.quotes)


def terms(text: str) -> list[str]:
    return [word for word in _WORD.findall(text.lower()) if word not in _STOP]


def looks_like_question(text: str) -> bool:
    """A mention that asks something, not one that gives options or a link."""
    words = text.strip().lower().split()
    return bool(words) and (text.strip().endswith("?") or words[0] in _QUESTION_WORDS)


_QUESTION_TEXT = "what which who whom whose when where why how is are was were do does did can could will would "
_QUESTION_WORDS = frozenset((_QUESTION_TEXT + "should has have had tell explain").split())


def answer_offline(article_text: str, question: str) -> Answer:
    """The sentences that best answer ``question``: those sharing its rarest words, most of them first."""
    sentences = split_sentences(article_text)[:MAX_SENTENCES]
    asked = set(terms(question))
    if not sentences or not asked:
        return Answer(question, ())
    index = BM25Okapi([terms(sentence) or [""] for sentence in sentences])
    scores = index.get_scores(list(asked))
    ranked = sorted(range(len(sentences)), key=lambda i: -scores[i])
    best = [i for i in ranked[:MAX_QUOTES] if scores[i] > 0 and _overlap(sentences[i], asked) >= _needed(asked)]
    return Answer(question, tuple(sentences[i] for i in sorted(best)))


def passages(article_text: str, question: str, max_words: int) -> str:
    """The article, or when it is longer than ``max_words`` its sentences that best match the question
    (in the article's order), for a model whose context is bounded."""
    if count_words(article_text) <= max_words:
        return article_text
    sentences = split_sentences(article_text)[:MAX_SENTENCES]
    index = BM25Okapi([terms(sentence) or [""] for sentence in sentences])
    scores = index.get_scores(terms(question) or [""])
    chosen, words = [], 0
    for i in sorted(range(len(sentences)), key=lambda i: -scores[i]):
        words += count_words(sentences[i])
        if words > max_words:
            break
        chosen.append(i)
    return " ".join(sentences[i] for i in sorted(chosen))


def grounded(answer: str, article_text: str) -> bool:
    """A model's answer holds only numbers and names the article holds (the summaries' own rule)."""
    return not Grounder(article_text).missing(answer)


def _overlap(sentence: str, asked: set[str]) -> int:
    return len(asked & set(terms(sentence)))


def _needed(asked: set[str]) -> int:
    """A sentence answers only when it shares enough of what was asked (one word of a long question is chance)."""
    return 1 if len(asked) <= 2 else 2
