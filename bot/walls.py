"""Walls: a page that shows a login, a paywall, a cookie choice or an empty JavaScript shell instead of its text.

Such a page must be named for what it is, never summarized as if its banner were the article. The
markers are the ones the walls' own software writes into the page: consent managers' containers
(OneTrust, Quantcast Choice, Didomi, Sourcepoint, Cookiebot, Usercentrics, TrustArc, Google's Funding
Choices, consentmanager.net; the selectors DuckDuckGo's autoconsent matches them by), paywall vendors'
boxes (Piano's ``tp-modal``/``tp-backdrop``, ``paywall``, ``regwall``, ``meteredContent``), login forms
(a password field, a form posting to a login address, LinkedIn's ``authwall``) and the app shells of
React, Next.js, Vue, Angular and Nuxt (an empty mount point, ``<noscript>You need to enable JavaScript``).

A marker alone proves nothing: most readable articles carry a consent manager's container and a
subscription box too. A wall is named only when the page yields little text besides (fewer than
``MAX_WORDS``), or when the text it yields is the consent notice itself.

    wall = find_wall(html, text)   # a Wall (an ExtractError) to raise, or None
"""

from __future__ import annotations

import re

from lxml import html as lxml_html

from bot.errors import ExtractError, Paywall, Wall

MAX_WORDS = 250  # more readable words than this and the page is an article with a banner on it
CHECK_BELOW_WORDS = 1000  # a consent notice read as an article stays below this; longer pages are not checked
SHELL_WORDS = 40  # a JavaScript shell shows hardly any text at all

SUBSCRIBERS = "This page shows its text only to subscribers."
JAVASCRIPT = "This page needs JavaScript to show its text."
COOKIES = "This page asks for a cookie choice before showing its text."
LOGIN = "This page needs a login."

_CONSENT_IDS = re.compile(
    r"^(?:onetrust-(?:consent-sdk|banner-sdk)|qc-cmp2-(?:container|ui)|didomi-(?:host|notice|popup)"
    r"|sp_message_(?:container|iframe)_\d+|CybotCookiebotDialog|usercentrics-(?:root|cmp-ui)"
    r"|truste-consent-(?:track|content)|trustarc-banner-container|cmpbox|consent-page|gdpr-consent-tool)$"
)
_CONSENT_CLASSES = re.compile(
    r"(?:^|\s)(?:qc-cmp2-container|didomi-popup|fc-consent-root|sp-message-open|message-overlay|cmpbox"
    r"|consent-form|consent-wall|cookie-wall|cookiewall)(?:$|\s)"
)
_CONSENT_WORDS = re.compile(
    r"\bcookies?\b|\bconsent\b|\bpartners\b|legitimate interest|\bprivacy\b|accept all|reject all"
    r"|manage (?:your )?(?:choices|options|preferences|settings)",
    re.IGNORECASE,
)
_PAYWALL_MARKS = re.compile(
    r"(?:^|[\s_-])(?:paywall|paywalled|tp-modal|tp-backdrop|tp-container-inner|piano-(?:offer|paywall|inline)"
    r"|regwall|meteredContent|gateway-content|subscriber-only|subscription-wall|premium-wall)(?:$|[\s_-])",
    re.IGNORECASE,
)
_LOGIN_MARKS = re.compile(
    r"(?:^|[\s_-])(?:authwall|login_form|loginForm|login-form|signin-form|sign-in-form)(?:$|[\s_-])"
)
_LOGIN_ACTION = re.compile(
    r"(?:^|/)(?:login|signin|sign-in|sign_in|uas/login-submit|auth/login|session)(?:$|[/?.-])", re.IGNORECASE
)
_LOGIN_WORDS = re.compile(
    r"\b(?:sign|log) ?in to (?:continue|read|view|see)|you (?:must|need to) (?:be logged in|log in|sign in)"
    r"|please (?:log|sign) ?in\b|join (?:now )?to (?:see|view|read)",
    re.IGNORECASE,
)
_SCRIPT_WORDS = re.compile(
    r"enable javascript|javascript is (?:required|disabled|not enabled)|without javascript enabled"
    r"|requires javascript|turn on javascript|javascript (?:must|needs to) be enabled",
    re.IGNORECASE,
)
_APP_ROOTS = ("root", "__next", "app", "__nuxt", "svelte", "main-app")


def find_wall(html: str, text: str | None = None) -> ExtractError | None:
    """The wall standing before the page's text, as an error to raise; None for a page to summarize.

    ``text`` is what extraction found (None when it found nothing usable).
    """
    try:
        tree = lxml_html.document_fromstring(html)
    except (ValueError, lxml_html.etree.ParserError):
        return None
    words = len((text or "").split())
    consent = _has_consent_manager(tree)
    if consent and text and _is_consent_notice(text):
        return Wall(COOKIES)
    if words >= MAX_WORDS:
        return None
    if consent:
        return Wall(COOKIES)
    if _has_login(tree):
        return Wall(LOGIN)
    if _has_paywall(tree):
        return Paywall(SUBSCRIBERS)
    if words < SHELL_WORDS and _is_script_shell(tree):
        return Wall(JAVASCRIPT)
    return None


def _has_consent_manager(tree) -> bool:
    return any(_CONSENT_IDS.match(value) for value in tree.xpath("//@id")) or any(
        _CONSENT_CLASSES.search(value) for value in tree.xpath("//@class")
    )


def _is_consent_notice(text: str) -> bool:
    """Text that is about cookies rather than anything else: a consent page read as if it were an article."""
    hits = len(_CONSENT_WORDS.findall(text))
    return hits >= 5 and hits * 25 >= len(text.split())


def _has_login(tree) -> bool:
    if tree.xpath("//form//input[@type='password']"):
        return True
    if any(_LOGIN_MARKS.search(value) for value in tree.xpath("//@class|//@id")):
        return True
    if any(_LOGIN_ACTION.search(action) for action in tree.xpath("//form/@action")):
        return True
    return _visible_matches(tree, _LOGIN_WORDS)


def _has_paywall(tree) -> bool:
    return any(_PAYWALL_MARKS.search(value) for value in tree.xpath("//@class|//@id"))


def _is_script_shell(tree) -> bool:
    if any(_SCRIPT_WORDS.search(text) for text in tree.xpath("//noscript//text()")):
        return True
    if _visible_matches(tree, _SCRIPT_WORDS):
        return True
    roots = tree.xpath(" | ".join(f"//*[@id='{name}']" for name in _APP_ROOTS) + " | //app-root")
    return any(not root.text_content().strip() for root in roots)


def _visible_matches(tree, pattern: re.Pattern) -> bool:
    visible = tree.xpath("//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript)]")
    return bool(pattern.search(" ".join(visible)))
