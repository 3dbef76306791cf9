"""Evidence: each summary sentence aligned to the article sentences that support it, shown by the
"Show evidence" button (a modal through views.open) and by ``python -m bot summarize --evidence``."""

from __future__ import annotations

import re

from bot.evidence import align
from bot.extract import Article
from bot.pipeline import summarize_article
from bot.spec import SummarySpec
from bot.summarizers.base import Grounding, Summary
from tests.fixtures.app import post_link, summaries, wait_until_finished
from tests.fixtures.slack_methods import HUMAN
from tests.fixtures.slack_payloads import CHANNEL, TEAM, interaction_payload

ARTICLE = (
    "Sales at the Port Ellis market fell 15 per cent last year. The council closed eight stalls in March. "
    "Mayor Roddie Smith said the bridge repairs cost $3.5 million. Trade should recover by 2026. "
    "The weather was mild all year."
)


# -- the aligner ---------------------------------------------------------------------------------------
def test_a_sentence_copied_from_the_article_is_supported_by_itself():
    (support,) = align(["Trade should recover by 2026."], ARTICLE)
    assert support.supported and support.quotes == ("Trade should recover by 2026.",)


def test_a_sentence_fusing_two_article_sentences_quotes_both():
    (support,) = align(["Sales fell 15% and the council closed stalls."], ARTICLE)
    assert support.supported
    assert support.quotes == (
        "Sales at the Port Ellis market fell 15 per cent last year.",
        "The council closed eight stalls in March.",
    )


def test_a_sentence_the_article_does_not_hold_is_unsupported_with_what_was_missing():
    (support,) = align(["Zack de la Rocha sang 9 songs at the festival."], ARTICLE)
    assert not support.supported and support.missing == ("Zack de la Rocha", "9")


def test_every_sentence_of_every_paragraph_is_aligned_in_order():
    supports = align(["Trade should recover by 2026. The weather was mild.", "Smith spoke about the bridge."], ARTICLE)
    assert [s.sentence for s in supports] == [
        "Trade should recover by 2026.",
        "The weather was mild.",
        "Smith spoke about the bridge.",
    ]


# -- the button, through the real Bolt app -------------------------------------------------------------
def click(app, slack_api, message: dict, action: dict) -> None:
    """A person clicks ``action`` (a button of ``message``, as Slack holds it) in CHANNEL."""
    payload = interaction_payload(
        "interactivity.block_actions.json",
        response_url=slack_api.response_url("action"),
        channel=CHANNEL,
        message_ts=message["ts"],
        user={"id": HUMAN, "username": "someone", "name": "someone", "team_id": TEAM},
        team={"id": TEAM, "domain": "jadeapptesting"},
        actions=[action | {"action_ts": slack_api.next_ts()}],
        message=message,
    )
    payload["container"]["is_ephemeral"] = False
    assert app.send.interaction(payload).status_code == 200


def summarized_message(slack_app, slack_api, web_site) -> dict:
    event = post_link(slack_app, slack_api, web_site.url("/news/plain-article"))
    wait_until_finished(slack_api, CHANNEL, event["ts"])
    (first,) = summaries(slack_api)
    thread = slack_api.messages[CHANNEL]
    return [m for m in thread.values() if m.get("thread_ts") == first.get("thread_ts") and _button(m)][-1]


def _button(message: dict) -> dict | None:
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("action_id") == "show_evidence":
                return element | {"block_id": block.get("block_id")}
    return None


def opened_modal(slack_api) -> dict:
    (call,) = slack_api.wait_for_calls("views.open")
    assert call.error is None
    return call.args["view"]


def test_the_show_evidence_button_opens_a_modal_quoting_the_article_for_each_sentence(slack_app, slack_api, web_site):
    message = summarized_message(slack_app, slack_api, web_site)

    click(slack_app, slack_api, message, _button(message))

    modal = opened_modal(slack_api)
    texts = [block["text"]["text"] for block in modal["blocks"] if block["type"] == "section"]
    quotes = [block["elements"][0]["text"] for block in modal["blocks"] if block["type"] == "context"]
    assert modal["type"] == "modal" and len(modal["blocks"]) <= 100 and texts
    assert all(text[0].isdigit() for text in texts)  # "1. <summary sentence>"
    assert sum(quote.startswith("\u2713 Article:") for quote in quotes) == len(texts)  # extractive: all supported


def test_a_posted_summary_says_how_many_numbers_and_names_were_found_in_the_article(slack_app, slack_api, web_site):
    message = summarized_message(slack_app, slack_api, web_site)

    lines = [e["text"] for b in message["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert any(re.fullmatch(r"\u2713 \d+ numbers and names found in the article", line) for line in lines)


def test_a_button_whose_summary_is_not_stored_says_so_in_the_modal(slack_app, slack_api, web_site):
    message = summarized_message(slack_app, slack_api, web_site)

    click(slack_app, slack_api, message, _button(message) | {"value": "0" * 40})

    (section,) = opened_modal(slack_api)["blocks"]
    assert section["text"]["text"].startswith("The evidence for this summary is no longer available.")


# -- what the Summary carries --------------------------------------------------------------------------
class _Draft:
    """A summarizer that returns a fixed draft and warnings (the Summarizer contract, nothing else)."""

    name, model = "draft", None

    def __init__(self, paragraphs: tuple[str, ...], warnings: tuple[str, ...] = ()) -> None:
        self.paragraphs, self.warnings = paragraphs, warnings

    def summarize(self, article, spec):
        return Summary(article, self.paragraphs, spec, self.name, warnings=self.warnings)


def test_a_summary_carries_the_numbers_and_names_found_and_what_repair_removed():
    removed = "Dropped 1 sentence with numbers or names not found in the article: 47%."
    article = Article(title="Market", paragraphs=(ARTICLE,))
    draft = _Draft(("Trade should recover by 2026, Roddie Smith said.",), (removed, "Another note."))

    summary = summarize_article(article, SummarySpec(paragraphs=1), draft)

    assert summary.grounding == Grounding(found=("2026", "Roddie Smith"), missing=(), removed=(removed,))
