"""The offline summarizer: the source's own sentences, in order, to the fitted spec, never padded."""

from __future__ import annotations

import random

import pytest

from bot.errors import SummarizeError
from bot.extract import Article
from bot.pipeline import summarize_article
from bot.sentences import split_sentences
from bot.spec import SummarySpec, check, fit
from bot.summarizers import make_summarizer
from bot.summarizers.extractive import extract_summary, summarize_text

WORDS_TEXT = """
harbour council plan budget river bridge school market water power road train farm field storm
report study vote delay cost rule court trade price town coast forest library museum clinic
"""
WORDS = WORDS_TEXT.split()


def prose(words: int, seed: int = 1, per_paragraph: int = 5, lengths: tuple[int, int] = (8, 20)) -> str:
    """Lower-case prose of about ``words`` words, blank lines between paragraphs."""
    rng, sentences, count = random.Random(seed), [], 0
    while count < words:
        n = rng.randint(*lengths)
        sentences.append(" ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + ".")
        count += n
    paragraphs = [sentences[i : i + per_paragraph] for i in range(0, len(sentences), per_paragraph)]
    return "\n\n".join(" ".join(p) for p in paragraphs)


def in_source_order(summary: list[str], source: str) -> bool:
    picked, sentences = split_sentences(" ".join(summary)), split_sentences(source)
    positions = [sentences.index(s) for s in picked]
    return positions == sorted(positions) and len(set(positions)) == len(positions)


@pytest.fixture(params=[350, 1500, 20_400], ids=["short", "medium", "very-long"])
def source(request) -> str:
    return prose(request.param, seed=request.param)


def test_the_summary_fits_the_fitted_budget_in_exactly_six_paragraphs(source):
    spec, _ = fit(SummarySpec(), source)
    summary = summarize_text(source, spec.max_words, spec.paragraphs)
    assert len(summary) == 6 and sum(len(p.split()) for p in summary) <= spec.max_words
    assert check(summary, source, spec).ok


def test_the_summary_is_whole_source_sentences_in_source_order(source):
    spec, _ = fit(SummarySpec(), source)
    assert in_source_order(summarize_text(source, spec.max_words, spec.paragraphs), source)


def test_the_budget_is_mostly_used_not_left_empty():
    source = prose(3000, seed=3)
    summary = summarize_text(source, 1000, 6)
    assert 950 <= sum(len(p.split()) for p in summary) <= 1000


def test_shorter_central_sentences_are_preferred_when_long_ones_would_leave_too_few_paragraphs():
    long_ones = prose(180, seed=4, lengths=(30, 30), per_paragraph=1)
    short_ones = prose(48, seed=5, lengths=(8, 8), per_paragraph=1)
    result = extract_summary(long_ones + "\n\n" + short_ones, 60, 6)
    assert len(result.paragraphs) == 6 and result.warnings == []


def test_when_six_whole_sentences_cannot_fit_there_are_fewer_paragraphs_and_a_warning():
    source = prose(400, seed=6, lengths=(25, 25))
    result = extract_summary(source, 100, 6)
    assert len(result.paragraphs) == 4
    assert result.warnings == ["The 100-word budget holds only 4 whole sentences of this article, "
                               "so this summary has 4 paragraphs, not 6."]  # fmt: skip


def test_a_source_with_fewer_sentences_than_paragraphs_is_not_padded():
    source = "The council met. It voted on the plan. The river rose."
    result = extract_summary(source, 100, 6)
    assert result.paragraphs == split_sentences(source)
    assert result.warnings == ["The article has only 3 sentences, so this summary has 3 paragraphs, not 6."]


def test_paragraphs_follow_the_source_paragraph_breaks_when_balance_allows():
    source = prose(240, seed=8, lengths=(10, 10), per_paragraph=2)  # 12 paragraphs of 20 words
    summary = summarize_text(source, len(source.split()), 6)
    blocks = source.split("\n\n")
    assert len(blocks) == 12
    assert summary == [blocks[i] + " " + blocks[i + 1] for i in range(0, 12, 2)]


def test_headings_and_fragments_are_left_out_while_real_sentences_remain():
    source = "Harbour Plan Review\n\n" + prose(600, seed=9)
    summary = summarize_text(source, 300, 6)
    assert "Harbour Plan Review" not in " ".join(summary)


def test_the_registered_backend_returns_a_summary_to_the_fitted_spec(settings):
    article = Article(title="Harbour", paragraphs=tuple(prose(1500, seed=10).split("\n\n")))
    spec, _ = fit(SummarySpec(), article.text)
    summarizer = make_summarizer(settings, "extractive")
    summary = summarizer.summarize(article, spec)
    assert (summarizer.name, summarizer.model) == ("extractive", None)
    assert (summary.backend, summary.model) == ("extractive", None)
    assert summary.spec == spec and len(summary.paragraphs) == 6 and summary.word_count <= spec.max_words
    assert summary.warnings == ()


def test_an_article_with_no_sentence_short_enough_for_the_budget_is_an_error_not_an_empty_summary(settings):
    article = Article(title="Note", paragraphs=("The harbour council met on the coast road.",))
    spec = SummarySpec(max_words=4, paragraphs=1)
    with pytest.raises(SummarizeError, match="cannot be summarized in 4 words: no whole sentence"):
        make_summarizer(settings, "extractive").summarize(article, spec)


# --- bounded work: hostile shapes complete, to spec (timings live in benchmarks/hostile.py) ---


def short_sentences(count: int, seed: int = 11) -> str:
    rng = random.Random(seed)
    return "\n\n".join(
        " ".join(" ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 6))).capitalize() + "." for _ in range(5))
        for _ in range(count // 5)
    )


def test_a_page_of_thousands_of_short_sentences_is_summarized_to_spec():
    source = short_sentences(5000)
    spec, _ = fit(SummarySpec(), source)
    summary = summarize_text(source, spec.max_words, spec.paragraphs)
    assert check(summary, source, spec).ok and in_source_order(summary, source)


def test_more_candidates_than_the_pool_holds_still_make_every_paragraph():
    long_ones = prose(40_000, seed=12, lengths=(30, 30), per_paragraph=1)  # ~1300 long, central sentences
    short_ones = prose(48, seed=13, lengths=(8, 8), per_paragraph=1)
    result = extract_summary(long_ones + "\n\n" + short_ones, 60, 6)
    assert len(result.paragraphs) == 6 and result.warnings == []


def test_one_huge_unpunctuated_sentence_is_refused_in_plain_words(settings):
    article = Article(title="Dump", paragraphs=(" ".join(WORDS * 4000),))
    spec, _ = fit(SummarySpec(), article.text)
    with pytest.raises(SummarizeError, match="no whole sentence of it is that short"):
        make_summarizer(settings, "extractive").summarize(article, spec)


# --- summaries that read well ---------------------------------------------------------------------

OPENERS = ("It", "But", "This", "He", "They", "Yet the", "To that,")


def leaning_prose(sentences: int, seed: int) -> str:
    """Prose where about a third of the sentences open on a word pointing back to the one before."""
    rng = random.Random(seed)
    out = []
    for _ in range(sentences):
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 16)))
        out.append(f"{rng.choice(OPENERS)} {words}." if rng.random() < 0.35 else words.capitalize() + ".")
    return "\n\n".join(" ".join(out[i : i + 4]) for i in range(0, len(out), 4))


@pytest.mark.parametrize("seed", range(5))
def test_a_sentence_that_points_back_comes_right_after_the_sentence_it_points_to(seed):
    source = leaning_prose(120, seed)
    sentences = split_sentences(source)
    summary = split_sentences(" ".join(summarize_text(source, 300, 6)))
    for before, sentence in zip([None, *summary], summary, strict=False):
        if sentence.startswith(OPENERS) and sentence != sentences[0]:
            assert before == sentences[sentences.index(sentence) - 1]


@pytest.mark.parametrize("seed", range(5))
def test_no_paragraph_opens_on_a_sentence_that_points_back(seed):
    source = leaning_prose(120, seed)
    assert not any(p.startswith(OPENERS) for p in summarize_text(source, 300, 6)[1:])


def test_a_very_short_article_gets_its_opening_sentence_and_says_so(settings):
    opening = (
        "Fire crews closed the coast road near the harbour early on Monday after a storm brought down power lines."
    )
    article = Article(title="Breaking", paragraphs=(opening, "More to follow."))
    summary = summarize_article(article, SummarySpec(), make_summarizer(settings, "extractive"))
    assert summary.paragraphs == (opening,)
    note = "The 19-word budget holds one sentence of this 22-word article, so this summary is its opening sentence."
    assert note in summary.warnings


def test_a_language_the_offline_backend_cannot_write_is_named_in_the_warnings(settings):
    article = Article(title="Harbour", paragraphs=tuple(prose(1500, seed=14).split("\n\n")), language="en")
    spec, _ = fit(SummarySpec(language="fr"), article.text)
    summary = make_summarizer(settings, "extractive").summarize(article, spec)
    assert summary.warnings == (
        "The offline summarizer cannot translate, so this summary is in the article's own language (en), not fr.",
    )


@pytest.mark.parametrize("asked", ["en", "en-GB", "English"])
def test_asking_for_the_article_s_own_language_needs_no_warning(settings, asked):
    article = Article(title="Harbour", paragraphs=tuple(prose(1500, seed=14).split("\n\n")), language="en")
    spec, _ = fit(SummarySpec(language=asked), article.text)
    assert make_summarizer(settings, "extractive").summarize(article, spec).warnings == ()
