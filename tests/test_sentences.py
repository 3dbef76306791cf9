"""The one sentence splitter: what ends a sentence, and what only looks like it does."""

from __future__ import annotations

import pytest

from bot.sentences import split_paragraphs, split_sentences


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("It rained. Then it stopped.", ["It rained.", "Then it stopped."]),
        ("Is it? Yes! Fine.", ["Is it?", "Yes!", "Fine."]),
        ("Mr. Smith met Dr. Jones. They talked.", ["Mr. Smith met Dr. Jones.", "They talked."]),
        ("Gen. Smith and Capt. Ahab sailed.", ["Gen. Smith and Capt. Ahab sailed."]),
    ],
)
def test_terminal_punctuation_ends_sentences_but_titles_do_not(text, sentences):
    assert split_sentences(text) == sentences


def test_initials_do_not_end_a_sentence():
    assert split_sentences("J. K. Rowling wrote it. Harry S. Truman read it.") == [
        "J. K. Rowling wrote it.",
        "Harry S. Truman read it.",
    ]


def test_decimals_amounts_and_numbered_items_stay_whole():
    assert split_sentences("Shares rose 3.5 per cent to $12.40 on No. 5 Street. Trading closed.") == [
        "Shares rose 3.5 per cent to $12.40 on No. 5 Street.",
        "Trading closed.",
    ]


def test_dotted_abbreviations_end_a_sentence_only_before_a_sentence_opener():
    assert split_sentences("He moved to the U.S. The move was hard.") == ["He moved to the U.S.", "The move was hard."]
    assert split_sentences("They met at 5 p.m. on Friday at the U.S. Senate.") == [
        "They met at 5 p.m. on Friday at the U.S. Senate."
    ]
    assert split_sentences("She works at Acme Inc. in Ohio. It pays well.") == [
        "She works at Acme Inc. in Ohio.",
        "It pays well.",
    ]


def test_closing_quotes_stay_with_their_sentence():
    assert split_sentences('He said "Stop." Then he left.') == ['He said "Stop."', "Then he left."]
    assert split_sentences("\u201cWhy not?\u201d She laughed.") == ["\u201cWhy not?\u201d", "She laughed."]


def test_a_quoted_question_followed_by_lower_case_is_one_sentence():
    assert split_sentences('"Why won\'t you go?" he asked. She shrugged.') == [
        '"Why won\'t you go?" he asked.',
        "She shrugged.",
    ]


def test_line_breaks_end_headings_but_wrapped_lines_continue():
    text = "Money-Bail Systems\nThe right to bail is\nold. It is not absolute."
    assert split_sentences(text) == ["Money-Bail Systems", "The right to bail is old.", "It is not absolute."]


def test_whitespace_inside_a_sentence_is_collapsed():
    assert split_sentences("  A   tab\tand  spaces.  ") == ["A tab and spaces."]


def test_paragraphs_group_their_sentences():
    assert split_paragraphs("One. Two.\n\nThree.\nFour.") == [["One.", "Two."], ["Three."], ["Four."]]


def test_empty_text_has_no_sentences():
    assert split_sentences("") == [] and split_sentences(" \n\n ") == []


def test_a_long_run_of_full_stops_is_one_boundary():
    assert split_sentences("Wait" + "." * 50_000 + " Then go.") == ["Wait" + "." * 50_000, "Then go."]


def test_thousands_of_wrapped_lines_join_into_one_paragraph():
    text = "Start here\n" + "\n".join("and the line goes on" for _ in range(20_000))
    assert split_paragraphs(text) == [[" ".join(["Start here"] + ["and the line goes on"] * 20_000)]]


def test_a_boundary_deep_in_a_very_long_line_is_still_found():
    text = "Word " * 200_000 + "ends. Next one."
    assert split_sentences(text)[-1] == "Next one."


def test_a_quotation_of_several_sentences_stays_whole():
    text = '"We played well. It was a really difficult tie." Kazakhstan won 2-1.'
    assert split_sentences(text) == ['"We played well. It was a really difficult tie."', "Kazakhstan won 2-1."]
    curly = "\u201cWe played well. It was hard.\u201d Then we left."
    assert split_sentences(curly) == ["\u201cWe played well. It was hard.\u201d", "Then we left."]


def test_a_quote_mark_that_never_closes_does_not_swallow_the_line():
    assert split_sentences('He said "go. It rained. We left.') == ['He said "go.', "It rained.", "We left."]


def test_mixed_straight_and_curly_marks_pair_up():
    text = '"Open the door! We\u2019re coming in!\u201d an officer shouts. Police forced the door.'
    assert split_sentences(text) == [
        '"Open the door! We\u2019re coming in!\u201d an officer shouts.',
        "Police forced the door.",
    ]
