"""A login, paywall, cookie choice or JavaScript shell is named in the reply, never summarized as the article.

The pages are built from the walls' real markup (tests/fixtures/wall_pages.py says where each comes from).
"""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.errors import Wall
from bot.pipeline import summarize_source
from bot.spec import SummarySpec
from bot.summarizers import make_summarizer
from bot.walls import COOKIES, JAVASCRIPT, LOGIN, SUBSCRIBERS
from tests.fixtures import wall_pages
from tests.fixtures.app import failures, post_link, summaries
from tests.fixtures.web import one_page_site


def refusal(html: str, settings) -> str:
    with one_page_site(html) as site, pytest.raises(Wall) as caught:
        summarize_source(f"{site}/story", SummarySpec(), make_summarizer(settings, "extractive"), settings)
    return caught.value.message


@pytest.mark.parametrize("page_id", wall_pages.WSJ_PAYWALLED)
def test_real_wsj_paywalled_pages_are_named_as_for_subscribers(web_site, settings, page_id, shared_dir):
    """Two real pages of the extraction bench (in the team's shared folder; skipped without it)."""
    with pytest.raises(Wall) as caught:
        summarize_source(web_site.url(f"/article/{page_id}"), SummarySpec(), make_summarizer(settings), settings)
    assert caught.value.message == SUBSCRIBERS


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        pytest.param(wall_pages.SCHEMA_ORG_PAYWALL, SUBSCRIBERS, id="schema.org-isAccessibleForFree"),
        pytest.param(wall_pages.PIANO_MODAL, SUBSCRIBERS, id="piano-tp-modal"),
        pytest.param(wall_pages.ONETRUST, COOKIES, id="onetrust"),
        pytest.param(wall_pages.QUANTCAST, COOKIES, id="quantcast"),
        pytest.param(wall_pages.DIDOMI, COOKIES, id="didomi"),
        pytest.param(wall_pages.SOURCEPOINT, COOKIES, id="sourcepoint"),
        pytest.param(wall_pages.CONSENT_PAGE, COOKIES, id="a-long-consent-page"),
        pytest.param(wall_pages.REACT_SHELL, JAVASCRIPT, id="create-react-app"),
        pytest.param(wall_pages.VUE_SHELL, JAVASCRIPT, id="vue-cli"),
        pytest.param(wall_pages.NEXT_SHELL, JAVASCRIPT, id="next.js"),
        pytest.param(wall_pages.LINKEDIN_LOGIN, LOGIN, id="linkedin-login"),
        pytest.param(wall_pages.INSTAGRAM_LOGIN, LOGIN, id="instagram-login"),
    ],
)
def test_a_wall_is_named_for_what_it_is(settings, html, reason):
    assert refusal(html, settings) == reason


def test_an_article_that_carries_consent_and_subscribe_boxes_is_still_summarized(settings):
    with one_page_site(wall_pages.ARTICLE_WITH_BANNERS) as site:
        summary = summarize_source(f"{site}/story", SummarySpec(), make_summarizer(settings, "extractive"), settings)
    assert "harbour bridge" in " ".join(summary.paragraphs)


def test_the_cli_exits_3_and_names_the_wall(monkeypatch, capsys):
    monkeypatch.setenv("FETCH_ALLOW_HOSTS", "127.0.0.1")
    with one_page_site(wall_pages.REACT_SHELL) as site:
        code = main(["summarize", f"{site}/app"])
    assert (code, capsys.readouterr().err.strip()) == (3, f"error: {JAVASCRIPT}")


def test_the_slack_reply_names_the_wall(slack_app, slack_api):
    with one_page_site(wall_pages.ONETRUST) as site:
        post_link(slack_app, slack_api, f"{site}/story")
        (failure,) = slack_api.wait_for(lambda: failures(slack_api), timeout=10)
    assert COOKIES in failure["text"] and summaries(slack_api) == []
