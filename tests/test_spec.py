"""The spec rule: the budget shrinks with the source, never pad, check what a summary claims, repair it."""

from __future__ import annotations

import random

import pytest

from bot.sentences import split_sentences
from bot.spec import SummarySpec, check, fit, repair

WORDS_TEXT = """
harbour council plan budget river bridge school market water power road train farm field storm
report study vote delay cost rule court trade price town coast forest library museum clinic
"""
WORDS = WORDS_TEXT.split()


def prose(words: int, seed: int = 1, per_paragraph: int = 5) -> str:
    """Lower-case prose of about ``words`` words: no numbers, no names, 8-20 words a sentence."""
    rng, sentences, count = random.Random(seed), [], 0
    while count < words:
        n = rng.randint(8, 20)
        sentences.append(" ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + ".")
        count += n
    paragraphs = [sentences[i : i + per_paragraph] for i in range(0, len(sentences), per_paragraph)]
    return "\n\n".join(" ".join(p) for p in paragraphs)


SOURCE = (
    "Sales at the Port Ellis market fell 15 per cent last year. The council closed eight stalls. "
    "Mayor Roddie Smith said the bridge repairs cost $3.5 million. Trade should recover by 2026."
)


# --- fit: the budget rule and the paragraph count ------------------------------------------------


@pytest.mark.parametrize(("words", "budget"), [(350, 175), (1500, 750), (20_400, 2000)])
def test_the_budget_is_half_the_source_and_never_above_the_maximum(words, budget):
    text = prose(words)
    spec, warnings = fit(SummarySpec(), text)
    assert spec.max_words == min(2000, -(-len(text.split()) // 2)) and abs(spec.max_words - budget) <= 12
    assert spec.paragraphs == 6 and warnings == ()


def test_a_smaller_maximum_wins_over_half_the_source():
    spec, _ = fit(SummarySpec(max_words=300, language="fr"), prose(1500))
    assert spec.max_words == 300 and spec.language == "fr"


def test_a_source_with_fewer_sentences_than_paragraphs_gets_fewer_paragraphs_and_says_so():
    spec, warnings = fit(SummarySpec(), SOURCE)
    assert spec.paragraphs == 4
    assert warnings == ("The article has only 4 sentences, so this summary has 4 paragraphs, not 6.",)


# --- check ------------------------------------------------------------------------------------------


def test_a_grounded_summary_to_spec_passes():
    paragraphs = split_sentences(SOURCE)
    result = check(paragraphs, SOURCE, SummarySpec(max_words=60, paragraphs=4))
    assert result.ok and result.problems == () and result.ungrounded == ()
    assert (result.paragraphs, result.words) == (4, len(SOURCE.split()))


def test_the_wrong_paragraph_count_is_a_problem():
    result = check(["A plan."] * 8, SOURCE, SummarySpec(paragraphs=6))
    assert result.problems == ("The summary has 8 paragraphs; it must have exactly 6.",)


def test_blank_lines_inside_an_item_count_as_paragraph_breaks():
    assert check(["Sales fell.\n\nStalls closed.", "Trade slowed."], SOURCE, SummarySpec(paragraphs=3)).ok


def test_going_over_the_budget_is_a_problem_in_plain_numbers():
    paragraphs = [" ".join(["plan"] * 400)] * 5 + [" ".join(["plan"] * 350)]
    result = check(paragraphs, SOURCE, SummarySpec(max_words=2000, paragraphs=6))
    assert result.problems == ("It has 2,350 words; the limit is 2,000.",)


def test_numbers_and_names_the_source_lacks_are_named():
    result = check(["Sales fell 47% as John Baker left the Port Ellis market."], SOURCE, SummarySpec(paragraphs=1))
    assert result.ungrounded == ("47%", "John Baker")
    assert result.problems == ("These numbers or names do not appear in the article: 47%, John Baker.",)


@pytest.mark.parametrize(
    "sentence",
    [
        "Sales fell 15%.",  # "15 per cent" in the source
        "The council closed 8 stalls.",  # "eight" in the source
        "Repairs cost $3.5 million by 2026.",
        "PORT ELLIS lost trade.",  # names match whatever their case
        "Despite Roddie Smith, trade fell.",  # a sentence-initial capitalized word may be dropped
    ],
)
def test_facts_the_source_holds_in_another_form_are_grounded(sentence):
    assert check([sentence], SOURCE, SummarySpec(paragraphs=1)).ungrounded == ()


# --- repair ---------------------------------------------------------------------------------------


def test_repair_merges_extra_paragraphs():
    draft = split_sentences(prose(200))[:8]
    fixed, warnings = repair(draft, SOURCE, SummarySpec(max_words=500, paragraphs=6))
    assert len(fixed) == 6 and split_sentences(" ".join(fixed)) == draft
    assert warnings == ["Merged 8 paragraphs into 6."]


def test_repair_splits_paragraphs_at_sentence_boundaries():
    sentences = split_sentences(prose(200))[:6]
    draft = [" ".join(sentences[:3]), " ".join(sentences[3:])]
    fixed, warnings = repair(draft, SOURCE, SummarySpec(max_words=500, paragraphs=6))
    assert fixed == sentences and warnings == ["Split 2 paragraphs into 6."]


def test_repair_trims_to_the_budget_in_whole_sentences_and_keeps_the_count():
    sentences = split_sentences(prose(600))
    draft = [" ".join(sentences[i::6]) for i in range(6)]
    fixed, warnings = repair(draft, " ".join(sentences), SummarySpec(max_words=150, paragraphs=6))
    assert len(fixed) == 6 and sum(len(p.split()) for p in fixed) <= 150
    assert set(split_sentences(" ".join(fixed))) <= set(sentences)
    assert len(warnings) == 1 and warnings[0].startswith("Cut ") and warnings[0].endswith("to stay within 150 words.")


def test_repair_drops_sentences_with_ungrounded_facts():
    draft = ["Sales fell 15 per cent last year. Sales then fell 47%.", "Mr John Baker resigned. The council met."]
    fixed, warnings = repair(draft, SOURCE, SummarySpec(max_words=100, paragraphs=2))
    assert fixed == ["Sales fell 15 per cent last year.", "The council met."]
    assert warnings == ["Dropped 2 sentences with numbers or names not found in the article: 47%, John Baker."]


def test_repair_never_pads_when_there_are_too_few_sentences():
    fixed, warnings = repair(["The council met. It voted."], SOURCE, SummarySpec(max_words=100, paragraphs=6))
    assert fixed == ["The council met.", "It voted."]
    assert warnings == ["Split 1 paragraphs into 2.", "Only 2 paragraphs could be kept, not 6."]


def test_a_repaired_summary_passes_the_check_when_the_source_allows():
    source = prose(3000, seed=7)
    spec, _ = fit(SummarySpec(), source)
    draft = [" ".join(split_sentences(source)[:200]) + " Profits rose 47%."]
    fixed, _ = repair(draft, source, spec)
    assert check(fixed, source, spec).ok
