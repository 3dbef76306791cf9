"""bot.extract: a page in, the article alone out (or an ExtractError in plain words)."""

from __future__ import annotations

import contextlib
import gzip
import importlib.util
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import ExtractError, NotAnArticle, Paywall
from bot.extract import Article, extract, extract_text, title_and_site
from bot.fetch import Page

DATA = Path(__file__).parent / "data" / "extract"
URL = "https://news.example.com/2024/05/harbour-bridge-reopens?utm_source=slack"

# What the fixtures put around the article and what must never reach a summary.
NOISE = {
    "caption": "The bridge at dawn",
    "photo credit in a caption": "Example Photo",
    "credit line": "Getty Images",
    "image credit": "City Archive",
    "share widget": "Share on",
    "newsletter box": "newsletter",
    "related links": "Ferry operators",
    "read more list": "How the cables were replaced",
    "comments": "nightmare",
    "navigation": "Weather",
    "footer": "rights reserved",
}


def html_page(html: str, url: str = URL) -> Page:
    return Page(url=url, text=html, content_type="text/html")


def text_page(text: str) -> Page:
    return Page(url="notes/bridge.txt", text=text, content_type="text/plain")


def story(body: str, head: str = "") -> str:
    """A small but complete news page around ``body``."""
    return (
        f"<html lang='en'><head><title>Council votes on the budget</title>{head}</head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<article><h1>Council votes on the budget</h1>{body}</article>"
        "<footer>Contact us</footer></body></html>"
    )


PROSE = (
    "<p>The city council met on Monday evening to debate next year's budget, which includes new money "
    "for road repairs, two libraries and a larger fleet of electric buses for the northern districts.</p>"
    "<p>Several members argued that the plan relied on optimistic tax forecasts, while the mayor said the "
    "figures had been checked twice by independent auditors and would be published in full next week.</p>"
)
TEASER = "<p>The city council met on Monday evening to debate next year's budget and its new spending.</p>"
NOT_FREE = (
    '<script type="application/ld+json">{"@type": "NewsArticle", "isAccessibleForFree": "False",'
    ' "hasPart": {"@type": "WebPageElement", "isAccessibleForFree": "False"}}</script>'
)


@pytest.fixture(scope="module")
def article() -> Article:
    return extract(html_page((DATA / "article.html").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def text_article() -> Article:
    return extract(text_page((DATA / "article.txt").read_text(encoding="utf-8")))


def test_article_carries_the_page_metadata(article: Article) -> None:
    assert article.title == "Harbour bridge reopens after two-year repair"
    assert article.site == "The Example Gazette"
    assert article.byline == "Maria Lopez"
    assert article.date == "2024-05-14"
    assert article.language == "en"
    assert article.canonical_url == "https://news.example.com/2024/05/harbour-bridge-reopens"
    assert article.url == URL


def test_free_article_has_no_warnings(article: Article) -> None:
    assert article.warnings == ()


def test_article_paragraphs_are_the_story_in_order(article: Article) -> None:
    assert len(article.paragraphs) == 5
    assert article.paragraphs[0].startswith("The harbour bridge reopened to traffic on Tuesday morning")
    assert article.paragraphs[-1].endswith("would continue every six months.")
    assert article.word_count == sum(len(p.split()) for p in article.paragraphs)
    assert article.text == "\n\n".join(article.paragraphs)


@pytest.mark.parametrize("noise", NOISE.values(), ids=NOISE.keys())
def test_html_boilerplate_never_reaches_the_paragraphs(article: Article, noise: str) -> None:
    assert noise.lower() not in article.text.lower()


def test_headline_is_not_repeated_as_a_paragraph(article: Article) -> None:
    assert article.title not in article.paragraphs


def test_plain_text_is_split_on_blank_lines_with_title_and_byline_on_top(text_article: Article) -> None:
    assert text_article.title == "Harbour bridge reopens after two-year repair"
    assert text_article.byline == "Maria Lopez"
    assert len(text_article.paragraphs) == 4
    assert text_article.paragraphs[0] == (
        "The harbour bridge reopened to traffic on Tuesday morning, two years after engineers "
        "closed it when inspectors found corroded cables beneath the main deck."
    )


@pytest.mark.parametrize("noise", NOISE.values(), ids=NOISE.keys())
def test_plain_text_gets_the_same_cleaning(text_article: Article, noise: str) -> None:
    assert noise.lower() not in text_article.text.lower()


def test_schema_org_not_free_with_a_truncated_body_is_a_paywall() -> None:
    with pytest.raises(Paywall, match="paywall"):
        extract(html_page(story(TEASER + "<p>" + "More of the story follows here. " * 3 + "</p>", NOT_FREE)))


def test_subscribe_to_continue_box_with_a_short_body_is_a_paywall() -> None:
    box = "<div class='gate'><p>Subscribe to continue reading.</p><p>Already a subscriber? Sign in</p></div>"
    with pytest.raises(Paywall):
        extract(html_page(story(TEASER + "<p>" + "Members argued about the figures. " * 4 + "</p>" + box)))


def test_not_free_label_on_a_fully_shown_article_is_not_a_paywall() -> None:
    article = extract(html_page(story(PROSE * 5, NOT_FREE)))
    assert article.word_count > 300
    assert "subscribers" in article.warnings[0]


@pytest.mark.parametrize("html", ["", "   \n ", "<html><body></body></html>"], ids=["empty", "blank", "no body"])
def test_empty_page_is_not_an_article(html: str) -> None:
    with pytest.raises(NotAnArticle, match="doesn't look like an article"):
        extract(html_page(html))


def test_navigation_only_page_is_not_an_article() -> None:
    links = "".join(f"<li><a href='/section/{i}'>Section number {i}</a></li>" for i in range(40))
    html = f"<html><body><nav><ul>{links}</ul></nav><div class='menu'><ul>{links}</ul></div></body></html>"
    with pytest.raises(NotAnArticle):
        extract(html_page(html))


def test_a_few_words_are_not_an_article() -> None:
    with pytest.raises(NotAnArticle, match="only"):
        extract(html_page(story("<p>Page moved. See the new address.</p>")))


# Page furniture: what a publisher puts around every story, seen reaching summaries, and its kin.
FURNITURE = [
    "© 2019 Associated Press.",
    "Copyright 2019 The Associated Press. All rights reserved. This material may not be published, broadcast, "
    "rewritten or redistributed.",
    "[Related: Council approves new bus routes for the northern districts]",
    "[Read more: How the budget was drawn up]",
    "Originally published on Live Science.",
    "This article was originally published by Futurism. Read the original article.",
    "This article is republished from The Conversation under a Creative Commons license.",
    "A version of this article appeared in print on Nov. 20, 2019, Section A, Page 1 of the New York edition.",
    "Get Motor Cycle Monthly delivered through your letterbox every month.",
    "Get the day's top headlines delivered to your inbox every morning by subscribing to our newsletter.",
    "Subscribe to Motor Cycle Monthly today and save 30% on the cover price.",
    "Subscribe to the Example YouTube Channel for all of the latest videos.",
    "Download our free app for the latest news.",
    "CLICK HERE TO GET THE EXAMPLE NEWS APP",
    "We may earn a commission when you buy through links on our site.",
    "If you buy something through this post, Example may get a share of the sale.",
    "This copy is for your personal, non-commercial use only.",
    "The Associated Press contributed to this report.",
    "(Reporting by Jane Doe; Editing by John Smith)",
    "This is a developing story.",
    "Breaking News",
    "Like this story? Share it with a friend!",
    "SEE MORE: Council budget row deepens",
    "Council leader quits over budget row [VIDEO]",
]


@pytest.mark.parametrize("line", FURNITURE)
def test_page_furniture_lines_are_dropped(line: str) -> None:
    text = extract_text(story(PROSE + f"<p>{line}</p>" + PROSE), URL)
    assert line not in text and text.count("city council met on Monday") == 2


@pytest.mark.parametrize("line", FURNITURE[:6])
def test_plain_text_drops_the_same_furniture(line: str) -> None:
    article = extract(text_page("Council votes on the budget\n\n" + PROSE.replace("<p>", "").replace("</p>", "\n\n")
                                + line))  # fmt: skip
    assert line not in article.text


def test_a_copyright_notice_glued_to_the_last_paragraph_is_cut_off() -> None:
    last = "<p>The vote is due on Friday, the mayor said. © 2019 Associated Press.</p>"
    text = extract_text(story(PROSE + last), URL)
    assert text.endswith("The vote is due on Friday, the mayor said.")


@pytest.mark.parametrize(
    "line",
    [
        "The novel, first published in 1851, sold poorly at first and only later found its readers.",
        "Subscribers to the service rose by a fifth this year, the company said in its report.",
        "Join the club today, the coach told the fans as the season began on Saturday.",
        "Live music returned to the park on Saturday after three years of silence.",
    ],
)
def test_prose_that_merely_resembles_furniture_is_kept(line: str) -> None:
    assert line in extract_text(story(PROSE + f"<p>{line}</p>"), URL)


@pytest.mark.parametrize(
    ("title", "site", "url", "expected"),
    [
        ("Seeking a bigger role for a big rocket - SpaceNews.com", None, "https://spacenews.com/a",
         ("Seeking a bigger role for a big rocket", "SpaceNews.com")),
        ("LinkNaija | Nigeria's popular news platform: Kate Henshaw Is Looking Stunning",
         "LinkNaija | Nigeria's popular news platform", "https://www.linknaija.com/x",
         ("Kate Henshaw Is Looking Stunning", "LinkNaija | Nigeria's popular news platform")),
        ("Best tech gadgets of 2019 | ZDNet", "ZDNet", "https://www.zdnet.com/a",
         ("Best tech gadgets of 2019", "ZDNet")),
        ("The 7th Amsterdam Light Festival | Inexhibit", "Inexhibit magazine", "https://www.inexhibit.com/a",
         ("The 7th Amsterdam Light Festival", "Inexhibit magazine")),
        ("Home Depot sales miss - BBC News", None, "https://www.bbc.co.uk/news/1",
         ("Home Depot sales miss", "BBC News")),
        ("Opinion | Republicans Are Following Trump", "NYTimes", "https://www.nytimes.com/a",
         ("Opinion | Republicans Are Following Trump", "NYTimes")),
        ("Hong Kong chaos: China deploys troops", "Express.co.uk", "https://www.express.co.uk/a",
         ("Hong Kong chaos: China deploys troops", "Express.co.uk")),
        ("ZDNet", "ZDNet", "https://www.zdnet.com/", ("ZDNet", "ZDNet")),
        ("Scientists spot water vapor", "https://www.hawaiinewsnow.com", None,
         ("Scientists spot water vapor", "www.hawaiinewsnow.com")),
    ],
)  # fmt: skip
def test_titles_lose_the_site_name_which_goes_to_site(title, site, url, expected) -> None:
    assert title_and_site(title, site, url) == expected


def test_a_short_breaking_news_story_of_short_sentences_is_an_article() -> None:
    """64 words in short sentences: handed on to the summarizer (which gives its lead), not refused."""
    article = extract(html_page((DATA / "breaking.html").read_text(encoding="utf-8"), "https://news.example.com/fire"))
    assert article.title == "Fire at Northgate chemical plant" and article.site == "The Example Gazette"
    assert article.paragraphs[0].startswith("Fire crews are battling a large blaze")
    assert "Police have closed Ring Road." in article.paragraphs
    assert "This story will be updated." not in article.paragraphs and article.word_count == 59


def test_a_listicle_is_an_article_and_its_items_are_its_text() -> None:
    article = extract(html_page((DATA / "listicle.html").read_text(encoding="utf-8"), "https://spoke.example/winter"))
    assert article.title == "Ten ways to keep a bike running through winter" and article.site == "Spoke & Chain"
    items = [p for p in article.paragraphs if p.startswith("- ")]
    assert len(items) == 10 and items[0].startswith("- Rinse after every wet ride.")
    assert article.word_count > 350


def test_extract_text_joins_clean_paragraphs_with_blank_lines() -> None:
    text = extract_text(story(PROSE + "<p>Photo: Getty Images</p>"), URL)
    assert text.split("\n\n") == [" ".join(p.split()) for p in PROSE.replace("</p>", "").split("<p>") if p.strip()]


MALFORMED = {
    "truncated": (DATA / "article.html").read_text(encoding="utf-8")[:2500],
    "unclosed tags": "<html><body><div><p>Text <b>bold <i>both" * 50,
    "markup soup": "<<<>>><!-- <p <a href=>>></" * 20,
    "nul and control bytes": "<p>\x00\x01\x02 bytes \x1b[31m</p>" * 10,
    "lone surrogate": "<p>broken \ud800 surrogate</p>",
    "xml declaration": '<?xml version="1.0" encoding="iso-8859-1"?><html><body><p>é</p></body></html>',
    "binary": bytes(range(256)).decode("latin-1") * 8,
    "deep nesting": "<div>" * 3000 + "text" + "</div>" * 3000,
}


@pytest.mark.parametrize("html", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_html_raises_nothing_but_extract_error(html: str) -> None:
    try:
        extract(html_page(html))
        extract_text(html, URL)
    except ExtractError as exc:
        assert exc.message.startswith("That ")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(), max_size=300), st.sampled_from(["text/html", "text/plain"]))
def test_any_text_gives_an_article_or_an_extract_error(text: str, content_type: str) -> None:
    with contextlib.suppress(ExtractError):
        assert isinstance(extract(Page(url=URL, text=text, content_type=content_type)), Article)


# Real pages from the shared benchmark: a Wired article split across several body containers, and
# a plain news page.
BENCH_PAGES = ["d48aeb9cf2f2", "9ebb3af65694"]


@pytest.fixture(scope="module")
def bench(shared_dir: Path):
    folder = shared_dir / "bench" / "extraction"
    if not (folder / "dev" / "ground-truth.json").is_file():
        pytest.skip(f"extraction benchmark not found under {folder}")
    spec = importlib.util.spec_from_file_location("_shared_evaluate", folder / "evaluate.py")
    evaluate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(evaluate)
    truth = json.loads((folder / "dev" / "ground-truth.json").read_text(encoding="utf-8"))
    return folder / "dev" / "html", truth, evaluate


@pytest.mark.parametrize("prefix", BENCH_PAGES)
def test_real_benchmark_page_matches_its_ground_truth(bench, prefix: str) -> None:
    html_dir, truth, evaluate = bench
    page_id = next((key for key in truth if key.startswith(prefix)), None)
    if page_id is None:
        pytest.skip(f"benchmark page {prefix} not in this dev set")
    html = gzip.decompress((html_dir / f"{page_id}.html.gz").read_bytes()).decode("utf-8", "replace")
    text = extract_text(html, truth[page_id]["url"])
    assert evaluate.score(truth[page_id]["articleBody"], text)["f1"] > 0.9


def test_a_page_of_hundreds_of_thousands_of_tags_is_refused_before_parsing():
    hostile = "<html><body>" + "<div></div>" * 200_000 + "<p>Too late.</p></body></html>"
    with pytest.raises(NotAnArticle, match="too complex"):
        extract(html_page(hostile))
