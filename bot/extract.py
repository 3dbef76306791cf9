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
from urllib.parse import urlsplit

import trafilatura
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from bot.errors import ExtractError, NotAnArticle, Paywall
from bot.fetch import Page
from bot.sentences import count_words

logger = logging.getLogger(__name__)

MIN_WORDS = 30  # fewer words of running text is a stub, a gallery or an error page, not an article
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
    title, site = title_and_site(meta.title or next(iter(headlines), ""), meta.sitename, page.url)
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
        site=site,
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
            if len(parts := _SITE_SEPARATORS.split(text)) > 1:  # without a site name before or after
                found += [_joined_parts(text, parts[:-1]), _joined_parts(text, parts[1:])]
    return tuple(dict.fromkeys(found))


_TITLE_SEPARATORS = re.compile(r"\s+[|\-\u2013\u2014:]\s+")
_SITE_SEPARATORS = re.compile(r"\s+(?:[|\-\u2013\u2014\u2022\u00b7\u00bb/]|::)\s+")
_SITE_WORDS = ("news", "online", "magazine", "blog", "times", "daily", "media", "tv", "radio", "uk", "us")
_DOMAIN_ENDING = re.compile(
    r"\.(?:com|net|org|info|news|co|io|tv|fm|ru|de|uk|au|in|br|it|fr|es|kr|jp|ca)\b", re.IGNORECASE
)


def title_and_site(title: str, site: str | None, url: str | None) -> tuple[str, str | None]:
    """The headline without the site's name that pages add to it, and the site's name.

    "Seeking a bigger role - SpaceNews.com" -> ("Seeking a bigger role", "SpaceNews.com"); "LinkNaija |
    Nigeria's popular news platform: Kate Henshaw ..." (site "LinkNaija | Nigeria's popular news platform")
    -> ("Kate Henshaw ...", site). A part counts as the site's name when it reads as the declared site
    name or as the web address's own name (spacenews.com -> "spacenews"); never the whole headline.
    """
    title = " ".join(title.split())
    site = " ".join(site.split()) if site else None
    if site and "://" in site:  # some pages give a URL as their name
        site = urlsplit(site).hostname or site
    domain = _site_key(_domain_name(url))
    names = {key for key in (_site_key(site), domain) if len(key) >= 3}
    names |= {domain + word for word in _SITE_WORDS} if len(domain) >= 2 else set()  # "BBC News" on bbc.co.uk
    if site and len(site) >= 4:  # the declared name as a prefix or suffix, with its own separators
        lead = re.match(rf"{re.escape(site)}\s*(?:[|:\-\u2013\u2014\u2022\u00bb]|::)\s*(?=\S)", title, re.IGNORECASE)
        if lead and len(title) > lead.end():
            title = title[lead.end() :]
        tail = re.search(rf"\s+(?:[|\-\u2013\u2014\u2022\u00b7\u00bb/]|::)\s+{re.escape(site)}$", title, re.IGNORECASE)
        if tail and tail.start() > 0:
            title = title[: tail.start()]
    parts = _SITE_SEPARATORS.split(title)
    while len(parts) > 1 and _site_key(parts[-1]) in names:
        found = parts.pop()
        site = site or found
    while len(parts) > 1 and _site_key(parts[0]) in names:
        found = parts.pop(0)
        site = site or found
    return _joined_parts(title, parts), site


def _joined_parts(title: str, parts: list[str]) -> str:
    """The kept parts, with the separators they had between them."""
    start = title.find(parts[0])
    end = title.rfind(parts[-1]) + len(parts[-1])
    return title[start:end] if 0 <= start < end else " ".join(parts)


def _site_key(name: str | None) -> str:
    """ "SpaceNews.com", "www.spacenews.com", "Space News" -> "spacenews"."""
    if not name:
        return ""
    name = name.lower().removeprefix("www.")
    return re.sub(r"\W+", "", _DOMAIN_ENDING.sub("", name))


def _domain_name(url: str | None) -> str | None:
    """The registered name in a web address: "https://www.spacenews.com/x" -> "spacenews"."""
    host = (urlsplit(url).hostname or "") if url and "://" in url else ""
    labels = [label for label in host.removeprefix("www.").split(".") if label]
    if len(labels) < 2:
        return None
    # a two-letter country ending with a short second level ("co.uk", "com.br") keeps three labels
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and len(labels[-2]) <= 3 else 2
    return labels[-keep]


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
    (15, r"^(?:read more|related|more|see more|see also|also read|filed under|tags|topics)\s*:"),
    (
        6,
        r"^(?:advertisement|share|share this(?: article| story)?|share on \w+|\d* ?comments?"
        r"|leave a comment|print(?: article)?|order reprints|email|tweet|follow us(?: on \w+)?|by|text size"
        r"|font size)\W*$",
    ),
    (30, r"\b(?:sign up|subscribe)\b.*\bnewsletters?\b|\bnewsletters?\b.*\b(?:sign up|subscribe|inbox)\b"),
    (25, r"\bfollow\b.*\b(?:twitter|facebook|instagram)\b"),
    # contact lines, bare links, copyright lines, time stamps, a table's header rule
    (15, r"https?://|www\.|\b[\w.+-]+@[\w-]+\.[\w.]+\b"),
    (15, r"^(?:copyright|\u00a9)"),
    (15, r"\ball rights reserved\b"),
    (10, r"^(?:updated|published|posted)\b.*\d"),
    (20, r"^[|:\s-]+$"),
)
# Page furniture: what the publisher puts around every story (notices, syndication and subscription
# lines, bracketed promos, status labels) rather than what the story says.
_ITEM = r"(?:article|story|post|piece|column|essay|report|interview|feature)"
_FURNITURE_RULES = (
    # "© 2019 Associated Press.", AP's "Copyright 2019 The Associated Press. All rights reserved. This material ..."
    (40, r"^(?:copyright\b|\u00a9|\(c\)\s*\d{4})"),
    (40, r"\bthis material may not be (?:published|reproduced|redistributed)"),
    # "[Related: ...]", "[Read more: ...]", "[Watch: ...]": an editor's promo in brackets
    (
        30,
        r"^\[\s*(?:related|read(?: more| also| next)?|see(?: also)?|also (?:read|see)|more|watch|listen|photos?|video"
        r"|gallery|click|recommended|sponsored|advertisement|subscribe|sign up|editor'?s pick)\b[^\[\]]*\]$",
    ),
    # syndication: "Originally published on Live Science.", "This article was first published by ...",
    # "This article is republished from The Conversation ...", "A version of this story appeared in print ..."
    (15, r"^(?:originally|first) (?:published|appeared|posted|ran) (?:on|in|at|by)\b"),
    (
        40,
        rf"^(?:this|the|a version of this) {_ITEM} (?:was |is |has been |also )?(?:originally |first )?"
        r"(?:published|appeared|appears|posted|ran|republished|reprinted|syndicated|reproduced|excerpted|adapted)\b",
    ),
    # subscription and app pitches: "Get Motor Cycle Monthly delivered through your letterbox every month."
    (30, r"\bdelivered (?:to|through|straight to|right to) your (?:letter ?box|door(?:step)?|inbox|mailbox|home)\b"),
    (
        30,
        r"^(?:subscribe|sign up|register|join)(?: now| today)? (?:to|for|and)\b.{0,80}\b(?:today|now|free|save"
        r"|\d+% off|cover price|issues?|subscription|app|newsletter|magazine|updates|channel|videos|youtube|podcast"
        r"|news)\b",
    ),
    (
        30,
        r"^(?:get|try|grab|download)\b.{0,80}\b(?:free trial|\d+% off|cover price|per issue|subscription"
        r"|(?:our|the) (?:free |new |mobile )?app)\b",
    ),
    (20, r"^click here\b"),
    (20, r"\bby clicking here\W*$"),
    (20, r"^follow @\w+|^(?:like|liked|enjoy|enjoyed|love) this (?:article|story|post)\?"),
    (20, r"\[(?:insight|video|reaction|news|warning|pictures|pics|poll|latest|analysis|explained|update)\]\W*$"),
    (40, r"\bfor your personal,? non-commercial use only\b|^an error (?:has )?occurred\b"),
    (40, r"\bif you (?:buy|purchase) (?:something|anything|a product) (?:through|via|from)\b"),
    (40, r"\bmay (?:earn|receive|get) (?:a )?(?:small )?(?:commission|share of (?:the )?sales?)\b"),
    (40, rf"\b(?:this|our) (?:{_ITEM}|page|site) (?:contains|may contain|includes) affiliate links\b"),
    # credit and status lines: "The Associated Press contributed to this report.", "This is a developing story."
    (40, rf"\bcontributed(?: reporting)? to this {_ITEM}\b"),
    (25, r"^\(?(?:additional )?reporting by\b.*\bediting by\b"),
    (
        15,
        rf"^(?:this is a (?:developing|breaking)(?: news)? {_ITEM}|this {_ITEM} (?:is developing|will be updated"
        r"|has been updated|was updated)|check back (?:later )?for updates|more to follow|more follows)\b",
    ),
    (6, r"^(?:breaking(?: news)?|developing(?: story)?|exclusive|live|just in|update[sd]?)\W*$"),
)


def _by_limit(rules: tuple[tuple[int, str], ...]) -> tuple[tuple[int, re.Pattern[str], re.Pattern[str]], ...]:
    """Per word limit, longest first, the rules joined into one pattern for the start of a line and one
    for anywhere in it, so a line meets only the rules it is short enough for, in two regex runs each.
    A pattern that starts with ``^`` is anchored as a whole: write an unanchored alternative as its own rule.
    Matched against the lower-cased line (cheaper than IGNORECASE): patterns are written in lower case."""
    grouped: dict[int, tuple[list[str], list[str]]] = {}
    for limit, pattern in rules:
        at_start, anywhere = grouped.setdefault(limit, ([], []))
        if pattern.startswith("^"):
            at_start.append(f"(?:{pattern[1:]})")
        else:
            anywhere.append(f"(?:{pattern})")
    never = "(?!)"
    return tuple(
        (limit, re.compile("|".join(grouped[limit][0]) or never), re.compile("|".join(grouped[limit][1]) or never))
        for limit in sorted(grouped, reverse=True)
    )


_NOISE_RULES = _by_limit((*_CREDIT_RULES, *_WIDGET_RULES, *_FURNITURE_RULES))
# A notice glued to the end of the last paragraph: "... she said. © 2019 Associated Press."
_TRAILING_NOTICE = re.compile(r"(?<=[.!?\"\u201d])\s+(?:\u00a9|copyright\b)[^\u00a9]{0,120}$", re.IGNORECASE)
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
        if "\u00a9" in text or "opyright" in text:
            text = _TRAILING_NOTICE.sub("", text)
        if in_link_list and text.startswith(_BULLETS):
            continue
        in_link_list = bool(_LIST_HEADING_RE.match(text))
        if not text or _is_noise(text.removeprefix("- ")) or (len(kept) < 3 and _key(text) in title_keys):
            continue
        kept.append(text)
    return tuple(kept)


def _is_noise(text: str) -> bool:
    words = len(text.split())
    lowered = text.lower()
    for limit, at_start, anywhere in _NOISE_RULES:
        if words > limit:
            return False
        if at_start.match(lowered) or anywhere.search(lowered):
            return True
    return False


def _key(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()


def _check_length(article: Article) -> None:
    """No text, or only links and labels, is not something to summarise; a short news item is.

    Running text is sentences: paragraphs of six words or more, or shorter ones that end like a
    sentence ("Police have closed Ring Road."), so a breaking-news item of short sentences counts in
    full. List items count when they read as sentences (a listicle's items are its text), not when
    they are bare link titles.
    """
    words = article.word_count
    if words == 0:
        raise NotAnArticle("That page doesn't look like an article: no readable text was found on it.")
    prose = sum(_running_words(p) for p in article.paragraphs)
    if prose < MIN_WORDS:
        raise NotAnArticle(f"That page doesn't look like an article: it has only {prose} words of running text.")


_SENTENCE_END = re.compile(r"[.!?:;\"'\u201d\u2019)\]]$")


def _running_words(paragraph: str) -> int:
    item = paragraph.startswith(_BULLETS)
    text = paragraph[2:] if item else paragraph
    words = count_words(text)
    sentence = _SENTENCE_END.search(text) is not None
    if item:
        return words if (sentence and words >= 6) or words >= 12 else 0
    return words if words >= 6 or (sentence and words >= 3) else 0
