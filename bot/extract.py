"""HTML or plain text to an Article: the article alone, no navigation, captions, credits or widgets.

The flow, for HTML::

    parse (trafilatura's lxml loader) -> metadata (trafilatura.extract_metadata, json-ld, <html lang>)
      -> pre-clean the tree (share/newsletter/related/comment boxes, captions; join a body split
         across several same-class containers) -> trafilatura's main-text extraction, comments off
      -> clean the paragraphs (credit, caption and widget lines) -> paywall / not-an-article checks

Plain text skips the tree steps but gets the same paragraph cleaning. trafilatura signals failure
by returning ``None``; here every failure becomes an :class:`~bot.errors.ExtractError` whose
message a Slack user can read.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import trafilatura
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from bot.errors import ExtractError, NotAnArticle, Paywall
from bot.fetch import Page
from bot.sentences import count_words

logger = logging.getLogger(__name__)

MIN_WORDS = 40  # fewer words than this is a stub, a gallery or an error page, not an article
PAYWALL_MAX_WORDS = 250  # a "subscribe to read" page that still shows more than this is readable
MIN_BLOCK_CHARS = 300  # prose in a body block, as opposed to a teaser card
FULL_CASCADE_CHARS = 1000  # a shorter fast-pass result may have missed the body: run the full cascade


@dataclass(frozen=True)
class Article:
    title: str
    paragraphs: tuple[str, ...]
    url: str | None = None
    canonical_url: str | None = None
    site: str | None = None
    byline: str | None = None
    date: str | None = None  # ISO 8601 date, as published
    language: str | None = None  # ISO 639-1 code when known
    warnings: tuple[str, ...] = field(default=())

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def word_count(self) -> int:
        return sum(count_words(p) for p in self.paragraphs)


# Real articles, even long ones with heavy templates, stay far below this; a hostile page of
# empty elements near FETCH_MAX_BYTES would otherwise hold a worker's CPU for many seconds.
MAX_TAGS = 150_000


def extract(page: Page) -> Article:
    """The article in ``page``, or an ExtractError saying in plain words why there is none.

    Use::

        article = extract(fetch(url, settings))
        article.title, article.byline, article.paragraphs
    """
    if page.is_html and page.text.count("<") > MAX_TAGS:
        raise NotAnArticle(
            "That page doesn't look like an article: it is too complex to read "
            f"(over {MAX_TAGS:,} HTML tags)."
        )
    with _readable(page.url):
        article = _article_from_html(page) if page.is_html else _article_from_text(page)
    _check_length(article)
    return article


def extract_text(html: str, url: str | None = None) -> str:
    """The benchmark interface: the article's clean text, paragraphs separated by blank lines.

    The body steps of :func:`extract`, without metadata, paywall or length checks.
    """
    with _readable(url):
        tree = _parse(html)
        return "\n\n".join(_body_paragraphs(tree, url, titles=_headlines(tree)))


@contextmanager
def _readable(url: str | None) -> Iterator[None]:
    """Whatever lxml or trafilatura trip over in hostile markup leaves as NotAnArticle."""
    try:
        yield
    except ExtractError:
        raise
    except Exception as exc:
        logger.warning("extraction failed for %s", url, exc_info=True)
        raise NotAnArticle("That page doesn't look like an article: its content could not be read.") from exc


# --- HTML --------------------------------------------------------------------------------------


def _article_from_html(page: Page) -> Article:
    tree = _parse(page.text)
    meta = trafilatura.extract_metadata(tree, default_url=page.url)
    headlines = _headlines(tree)  # read before the body step prunes the tree
    title = meta.title or next(iter(headlines), "")
    paywalled = _marked_paywalled(tree)
    paragraphs = _body_paragraphs(tree, page.url, titles=(title, *headlines))
    warnings: tuple[str, ...] = ()
    if paywalled:
        if sum(count_words(p) for p in paragraphs) < PAYWALL_MAX_WORDS:
            raise Paywall(
                "That article is behind a paywall: the page only shows the first few lines to non-subscribers."
            )
        warnings = ("The page is marked as for subscribers only, so the text may stop early.",)
    return Article(
        title=title,
        paragraphs=paragraphs,
        url=page.url,
        canonical_url=meta.url or page.url,
        site=meta.sitename,
        byline=meta.author,
        date=meta.date,
        language=_language(tree),
        warnings=warnings,
    )


def _parse(html: str | bytes) -> HtmlElement:
    if not html or not str(html).strip():
        raise NotAnArticle("That page doesn't look like an article: it is empty.")
    tree = load_html(html)
    if tree is None:
        raise NotAnArticle("That page doesn't look like an article: it isn't readable HTML.")
    return tree


def _body_paragraphs(tree: HtmlElement, url: str | None, *, titles: tuple[str, ...]) -> tuple[str, ...]:
    """The main text, one string per paragraph, with widgets and captions gone.

    On a pre-cleaned page trafilatura's fast, recall-leaning pass finds the body almost always,
    and at a fraction of the cost of its full cascade (readability and jusText comparisons, recall
    escalation). Only a short result pays for the full cascade too; the longer text wins.
    trafilatura copies the tree it is given, so both passes see the same pre-cleaned page.
    """
    _preclean(tree)
    text = _trafilatura_text(tree, url, fast=True)
    if len(text) < FULL_CASCADE_CHARS:
        text = max(text, _trafilatura_text(tree, url, fast=False), key=len)
    return clean_paragraphs(text.split("\n"), titles=titles)


def _trafilatura_text(tree: HtmlElement, url: str | None, *, fast: bool) -> str:
    document = trafilatura.bare_extraction(
        tree, url=url, fast=fast, favor_recall=fast, include_comments=False, with_metadata=False
    )
    return document.text if document is not None and document.text else ""  # None: nothing found


# Class/id words of boxes that sit inside article containers but are not the article.
_WIDGET_WORDS = (
    "share|sharing|sharebar|newsletter|newsletters|subscribe|subscription|signup"
    "|related|recommended|recommendations|readmore|read-more|more-stories|comments|comment-list"
    "|latest|popular|most-popular|most-read|trending"
    "|disqus|outbrain|taboola|promo|caption|captions|credit|credits|figcaption|wp-caption-text"
    "|reprints|toolbar|rollover|tooltip"
)
_WIDGET_RE = re.compile(rf"(?:^|[\s_-])(?:{_WIDGET_WORDS})(?:$|[\s_-])", re.IGNORECASE)
_NEVER_DROP = {"html", "body", "main", "article"}


def _preclean(tree: HtmlElement) -> None:
    _drop_widgets(tree)
    _merge_split_body(tree)


def _drop_widgets(tree: HtmlElement) -> None:
    """Remove share bars, newsletter boxes, related links, comments and captions by class or id.

    A box holding a large share of the page's paragraph text is the article whatever its class says
    (``entry-content-read-more`` is a body container on some sites).
    """
    matches = [value.getparent() for value in tree.xpath("//@class|//@id") if _WIDGET_RE.search(value)]
    if not matches:
        return
    page_prose = _prose_chars(tree)
    dropped: set[HtmlElement] = set()
    for element in matches:
        if element.tag in _NEVER_DROP or element in dropped:
            continue
        if any(ancestor in dropped for ancestor in element.iterancestors()):
            continue
        if _prose_chars(element) <= 0.3 * page_prose:
            element.drop_tree()
            dropped.add(element)


def _prose_chars(element: HtmlElement) -> int:
    return sum(len(text) for text in element.xpath(".//p//text()"))


def _merge_split_body(tree: HtmlElement) -> None:
    """Join an article body that the page splits across several containers of the same class.

    Some sites (Wired, for one) cut the body into several ``<div class="body">`` blocks with ads
    between them; extractors pick the first block and lose the rest.
    """
    groups: dict[tuple[str, str], list[HtmlElement]] = {}
    for block in tree.xpath("//*[@class][count(p) >= 2]"):
        prose = sum(len(p.text_content()) for p in block.iterchildren("p"))
        if prose >= MIN_BLOCK_CHARS:
            groups.setdefault((block.tag, block.get("class")), []).append(block)
    for first, *rest in groups.values():
        for block in rest:
            if block.getparent() is not None and first not in block.iterancestors():
                first.extend(list(block))
                block.getparent().remove(block)


def _headlines(tree: HtmlElement) -> tuple[str, ...]:
    """The page's headline as og:title, first <h1> and <title> say it, with and without a site suffix.

    Extractors often repeat the headline as the first paragraph; these are the forms to drop.
    """
    found = []
    for xpath in ('//meta[@property="og:title"]/@content', "(//h1)[1]//text()", "//title/text()"):
        text = " ".join(" ".join(t.split()) for t in tree.xpath(xpath) if t.strip())
        if text:
            found.append(text)
            found.extend(part for part in _TITLE_SEPARATORS.split(text) if part)
    return tuple(dict.fromkeys(found))


_TITLE_SEPARATORS = re.compile(r"\s+[|\-\u2013\u2014:]\s+")


def _language(tree: HtmlElement) -> str | None:
    """ISO 639-1 code from <html lang>, Content-Language or og:locale ("en-US", "pt_BR" -> "en", "pt")."""
    declared = [tree.get("lang"), tree.get("xml:lang")]
    declared += tree.xpath('//meta[@http-equiv="content-language" or @property="og:locale"]/@content')
    for value in declared:
        code = re.split(r"[-_,; ]", (value or "").strip())[0].lower()
        if code.isalpha() and 2 <= len(code) <= 3:
            return code
    return None


_PAYWALL_RE = re.compile(
    r"subscribe (?:now )?to (?:continue|keep) reading|to continue reading,? (?:please )?"
    r"(?:subscribe|sign in|log in)|this (?:article|story|content) is (?:only )?(?:available )?"
    r"(?:for|to) (?:subscribers|members)|already a subscriber\?|subscribers only",
    re.IGNORECASE,
)


def _marked_paywalled(tree: HtmlElement) -> bool:
    """schema.org says the article is not free, or the page shows a "subscribe to continue" box."""
    for script in tree.xpath('//script[@type="application/ld+json"]/text()'):
        try:
            data = json.loads(script)
        except ValueError:
            continue
        if _not_free(data):
            return True
    visible = tree.xpath("//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript)]")
    return bool(_PAYWALL_RE.search(" ".join(visible)))


def _not_free(data: object) -> bool:
    if isinstance(data, list):
        return any(_not_free(item) for item in data)
    if not isinstance(data, dict):
        return False
    flag = data.get("isAccessibleForFree")
    if flag is False or str(flag).strip().lower() == "false":
        return True
    return any(_not_free(value) for value in data.values() if isinstance(value, dict | list))


# --- plain text --------------------------------------------------------------------------------


def _article_from_text(page: Page) -> Article:
    """Paragraphs are blocks between blank lines; a short first block without a full stop is the
    title, and a short "By ..." block right after it the byline."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", page.text):
        lines = clean_paragraphs(block.splitlines())  # the same line rules as for HTML
        if lines:
            paragraphs.append(" ".join(lines))
    title = byline = None
    if paragraphs and count_words(paragraphs[0]) <= 15 and not paragraphs[0].endswith((".", "!", "?", ":")):
        title = paragraphs.pop(0)
    if paragraphs and count_words(paragraphs[0]) <= 8 and paragraphs[0].lower().startswith("by "):
        byline = paragraphs.pop(0)[3:].strip()
    return Article(title=title or "", paragraphs=tuple(paragraphs), url=page.url, byline=byline)


# --- paragraphs --------------------------------------------------------------------------------

# Lines that are never article prose, each with the most words such a line has: the short limits
# keep a rule from eating a real sentence that happens to start the same way.
_CREDIT_RULES = (
    # "Photo: Getty Images", "Image credit: NASA", "Source: Reuters"
    (
        25,
        r"^\(?(?:photo|photograph|image|picture|illustration|graphic|video|file photo)s?"
        r"(?:\s+(?:credit|courtesy|by|source))?\s*[:/|]",
    ),
    (25, r"^(?:image|photo|picture)?\s*(?:credits?|source)\s*[:/|]"),
    # a caption ending in its credit: "Rescuers at work. (Example Photo / Jane Doe)"
    (25, r"\((?:[^()]*\b(?:photo|image|picture|file)s?\b[^()]*)/[^()]*\)\s*$"),
    (25, r"\b(?:getty images|ap photo|shutterstock|istock)\b|[/(]\s*(?:reuters|afp|epa|ap)\b[^.]{0,40}$"),
)
_LIST_HEADINGS = (  # a label that heads a list of links: the list goes with it
    r"read more|related|related (?:articles|stories|content|posts|links|coverage)|more stories"
    r"|recommended|recommended for you|you may also like|you might also like|most popular|most read"
    r"|trending|don't miss|explore further|see also|also read|more from [\w .'-]+|popular on [\w .'-]+"
)
_WIDGET_RULES = (
    (8, rf"^(?:{_LIST_HEADINGS})\W*$"),
    (15, r"^(?:read more|related|more|see also|also read|filed under|tags|topics)\s*:"),
    (
        6,
        r"^(?:advertisement|share|share this(?: article| story)?|share on \w+|\d* ?comments?"
        r"|leave a comment|print(?: article)?|order reprints|email|tweet|follow us(?: on \w+)?)\W*$",
    ),
    (30, r"\b(?:sign up|subscribe)\b.*\bnewsletters?\b|\bnewsletters?\b.*\b(?:sign up|subscribe|inbox)\b"),
    (25, r"\bfollow\b.*\b(?:twitter|facebook|instagram)\b"),
    # contact lines, bare links, copyright lines, time stamps, a table's header rule
    (15, r"https?://|www\.|\b[\w.+-]+@[\w-]+\.[\w.]+\b"),
    (15, r"^(?:copyright|\u00a9)|\ball rights reserved\b"),
    (10, r"^(?:updated|published|posted)\b.*\d"),
    (20, r"^[|:\s-]+$"),
)
_NOISE_RULES = tuple((limit, re.compile(pattern, re.IGNORECASE)) for limit, pattern in (*_CREDIT_RULES, *_WIDGET_RULES))
_LIST_HEADING_RE = re.compile(rf"^(?:{_LIST_HEADINGS})\W*$", re.IGNORECASE)
_BULLETS = ("- ", "* ", "\u2022 ")


def clean_paragraphs(lines: list[str], *, titles: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Paragraphs that are article prose: no credit, caption or widget lines, no repeated headline.

    Works on any list of lines, so HTML (trafilatura's lines) and plain text get the same rules.
    List items ("- ...") right under a "Related" or "Read more" label go with the label.
    """
    title_keys = {_key(title) for title in titles if title}
    kept: list[str] = []
    in_link_list = False
    for line in lines:
        text = " ".join(line.split())
        if in_link_list and text.startswith(_BULLETS):
            continue
        in_link_list = bool(_LIST_HEADING_RE.match(text))
        if not text or _is_noise(text) or (len(kept) < 3 and _key(text) in title_keys):
            continue
        kept.append(text)
    return tuple(kept)


def _is_noise(text: str) -> bool:
    words = len(text.split())
    return any(words <= limit and rule.search(text) for limit, rule in _NOISE_RULES)


def _key(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()


def _check_length(article: Article) -> None:
    """No text, or only links and labels, is not something to summarise."""
    words = article.word_count
    if words == 0:
        raise NotAnArticle("That page doesn't look like an article: no readable text was found on it.")
    prose = sum(count_words(p) for p in article.paragraphs if not p.startswith("- ") and count_words(p) >= 6)
    if prose < MIN_WORDS:
        raise NotAnArticle(f"That page doesn't look like an article: it has only {prose} words of running text.")
