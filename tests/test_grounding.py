"""The grounding check reads numbers and names as a careful reader does (issue 10): one behaviour each."""

from __future__ import annotations

from bot.grounding import Grounder

ARTICLE = (
    "The Western Australia police said the club had won 6 games. West Ham beat Stoke at home. "
    'Christopher Livingstone "Chris" Eubank Jr. won on points. Rupert Murdoch is chief executive officer '
    "of News Corporation. Tickets cost three euros. He coached the side from 2007-2011. Kane scored twice, "
    "Son and Bale added goals and Stoke replied once. In May the European Parliament met. "
    "The singer, who was born in Canada, founded the band. Carlos Santana played first. "
    "Sales reached $3,500,000 and 15 per cent of staff left. Karl Howe was fined."
)


def missing(summary: str) -> list[str]:
    return Grounder(ARTICLE).missing(summary)


def test_a_spelled_out_number_matches_its_digits():
    assert missing("The club had six wins.") == []


def test_a_spelled_out_number_in_a_summary_must_be_grounded():
    assert missing("The club had seven wins.") == ["seven"]


def test_an_abbreviated_range_matches_the_full_range():
    assert missing("He coached the side in 2007\u201311.") == []


def test_a_currency_word_matches_the_currency_sign():
    assert missing("Tickets cost \u20ac3.") == []


def test_a_percentage_needs_a_percentage():
    assert missing("Sales rose 15%.") == [] and missing("Sales rose by 15 points and 16%.") == ["16%"]


def test_a_scaled_amount_matches_its_digits():
    assert missing("Sales reached $3.5 million.") == []


def test_a_score_computed_from_the_goals_listed_is_grounded():
    assert missing("They won 4-1.") == []


def test_a_large_score_the_article_lacks_is_not():
    assert missing("They lost 76 - 71.") == ["76 - 71"]


def test_an_abbreviation_matches_the_words_it_abbreviates():
    assert missing("WA police spoke.") == []


def test_a_name_matches_its_abbreviation_in_the_article():
    assert Grounder("The WA police said so.").missing("The Western Australia police said so.") == []


def test_a_club_name_with_its_designator_matches_the_short_name():
    assert missing("West Ham United won.") == []


def test_a_name_matches_the_familiar_form_the_article_gives():
    assert missing("Chris Eubank Jr won.") == []


def test_list_markers_are_not_numbers():
    assert missing("1. The club won.\n2. West Ham beat Stoke.\n3) Tickets were cheap.") == []


def test_a_capitalized_common_word_before_a_name_is_read_apart():
    assert missing("Murdoch is CEO of News Corporation.") == []


def test_a_month_glued_to_a_name_is_read_word_by_word():
    assert missing("The May European Parliament session met.") == []


def test_a_single_word_name_the_article_lacks_is_reported():
    assert missing("The band was led by Zack.") == ["Zack"]


def test_a_demonym_matches_its_country():
    assert missing("The Canadian singer founded the band.") == []


def test_a_one_word_demonym_the_article_lacks_is_reported():
    assert Grounder("The singer founded the band.").missing("The Canadian singer founded the band.") == ["Canadian"]


def test_a_demonym_the_article_never_supports_is_reported():
    assert missing("The Peruvian singer founded the band.") == ["Peruvian"]


def test_a_name_broken_by_lowercase_particles_is_reported_whole():
    assert missing("The band was founded by Zack de la Rocha.") == ["Zack de la Rocha"]


def test_a_sentence_opening_common_word_is_not_a_name():
    assert missing("Nothing else happened. Despite that, Stoke replied.") == []


def test_a_given_name_before_a_surname_of_the_article_is_a_variant():
    assert missing("Eddie Howe was fined.") == []


def test_a_hedged_number_is_grounded_by_a_value_in_its_range():
    assert missing("Sales reached more than $3 million.") == []


def test_lowercase_words_are_never_checked():
    assert missing("The club enjoyed a splendid, unprecedented, remarkable season.") == []


def test_a_rank_is_not_a_count():
    assert missing("Stoke are the world number one side.") == []


def test_an_ordinal_in_the_article_grounds_its_number():
    assert Grounder("Profit rose in the third quarter.").missing("Q3 profit rose.") == []


def test_a_single_letter_is_not_a_name():
    assert Grounder("The meeting was called.").missing("<@U123> called the meeting.") == []


def test_words_of_a_markdown_heading_or_bold_label_are_not_names():
    summary = "## Key Takeaways\n**Market Reaction:** West Ham beat Stoke."
    assert missing(summary) == []


def test_a_list_marker_inside_a_paragraph_is_not_a_number():
    assert missing("Tickets were cheap. 2) The club won. 3. West Ham beat Stoke.") == []
