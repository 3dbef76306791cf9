"""The one place that finds the links a person shared in a Slack message.

    find_links(event)                           # ['https://example.com/a', ...]  (a message event dict)
    find_links_in_text("<https://x.org|x> words=200")   # slash-command / mention arguments
    normalize_url("HTTPS://Example.com:443/a?utm_source=x#top")  # 'https://example.com/a'

Rich text ``link`` elements are read first because they are Slack's own parse of the message; the
``text`` field (``<url|label>``, ``<url>``, sometimes bare URLs) comes second. Links inside code are
quotes, not requests; mentions, ``mailto:`` and Slack's own pages (message permalinks, files) are
never articles. Results are normalised, so two spellings of one page are one link and one cache key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit, urlunsplit

# Query parameters that only say where a click came from; they never change the page.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "igsh",
        "ref_src",
        "ref_url",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "vero_id",
        "vero_conv",
        "oly_anon_id",
        "oly_enc_id",
        "_openstat",
    }
)
TRACKING_PREFIXES = ("utm_",)

# Slack's own hosts: message permalinks, uploaded files, avatars, redirects. Never an article.
SLACK_DOMAINS = ("slack.com", "slack-edge.com", "slack-files.com", "slack-redir.net", "slack-imgs.com")

DEFAULT_PORTS = {"http": 80, "https": 443}

_CODE_FENCE = re.compile(r"```.*?```", re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
# One pass over text, in reading order: a <...> token, or a bare http(s) URL outside any token.
_TOKEN_OR_BARE = re.compile(r"<([^<>]*)>|(https?://[^\s<>]+)", re.IGNORECASE)
_TRAILING_PUNCT = ".,;:!?'\"*_~"

# Fields of attached files and images that hold URLs; a message's own uploads are not shared links.
_FILE_URL_KEYS = ("url_private", "url_private_download", "permalink", "permalink_public", "image_url", "thumb_url")


def find_links(message: dict, limit: int = 3) -> list[str]:
    """The http(s) links a person shared in a Slack message event, normalised, deduped, in order.

    ``message`` is the event's message dict (for ``message_changed`` pass ``event["message"]``).
    Attachments (bot cards, unfurls) are not read: they describe links, they are not the message.
    """
    skip = {url for url in map(_usable, _attached_file_urls(message)) if url}
    candidates = list(_rich_text_links(message.get("blocks")))
    text = message.get("text")
    if isinstance(text, str):
        candidates.extend(_text_links(text))
    return _select(candidates, limit, skip)


def find_links_in_text(text: str, limit: int = 3) -> list[str]:
    """Links in slash-command or mention arguments: ``<url>``, ``<url|label>`` or bare URLs."""
    return _select(_text_links(text or ""), limit, skip=set())


def normalize_url(url: str) -> str:
    """The canonical form used for dedupe and cache keys.

    Lowercases scheme and host, drops the default port, the fragment and tracking parameters, and
    keeps every other parameter as written and in order (their order can matter to the server).
    Raises ValueError when ``url`` has no host or a malformed port.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ValueError(f"no host in {url!r}")
    port = parts.port  # raises ValueError on a malformed port
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    if "@" in parts.netloc:
        netloc = parts.netloc.rpartition("@")[0] + "@" + netloc
    query = "&".join(p for p in parts.query.split("&") if p and not _is_tracking(p))
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def is_slack_url(url: str) -> bool:
    """True for Slack's own pages: workspace permalinks, files.slack.com, app.slack.com, avatars."""
    host = (urlsplit(url).hostname or "").rstrip(".")
    return any(host == domain or host.endswith("." + domain) for domain in SLACK_DOMAINS)


def _is_tracking(param: str) -> bool:
    name = param.partition("=")[0].lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def _select(candidates: Iterable[str], limit: int, skip: set[str]) -> list[str]:
    found: list[str] = []
    for raw in candidates:
        if len(found) >= limit:
            break
        url = _usable(raw)
        if url and url not in found and url not in skip:
            found.append(url)
    return found


def _usable(raw: str) -> str | None:
    """The normalised URL, or None for anything that is not a fetchable article link."""
    try:
        parts = urlsplit(raw.strip())
        if parts.scheme.lower() not in DEFAULT_PORTS or is_slack_url(raw):
            return None
        return normalize_url(raw)
    except ValueError:
        return None


def _rich_text_links(blocks: object) -> Iterator[str]:
    """``link`` elements of rich_text blocks, skipping preformatted blocks and code-styled links."""
    if not isinstance(blocks, list):
        return
    for block in blocks:
        if isinstance(block, dict) and block.get("type") == "rich_text":
            yield from _walk_elements(block.get("elements"))


def _walk_elements(elements: object) -> Iterator[str]:
    if not isinstance(elements, list):
        return
    for element in elements:
        if not isinstance(element, dict) or element.get("type") == "rich_text_preformatted":
            continue
        style = element.get("style")
        if isinstance(style, dict) and style.get("code"):
            continue
        if element.get("type") == "link" and isinstance(element.get("url"), str):
            yield element["url"]
        yield from _walk_elements(element.get("elements"))


def _text_links(text: str) -> Iterator[str]:
    """URLs in Slack-formatted text, in order; code spans and mentions are skipped."""
    text = _INLINE_CODE.sub(" ", _CODE_FENCE.sub(" ", text))
    for match in _TOKEN_OR_BARE.finditer(text):
        token, bare = match.groups()
        if token is not None:
            target = token.partition("|")[0]
            if target[:1] not in ("@", "#", "!"):
                yield _unescape(target)
        else:
            yield _trim_bare(_unescape(bare))


def _trim_bare(url: str) -> str:
    """Drop sentence punctuation after a bare URL; keep a ')' that closes one inside it."""
    while url and (url[-1] in _TRAILING_PUNCT or (url[-1] == ")" and url.count("(") < url.count(")"))):
        url = url[:-1]
    return url


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _attached_file_urls(message: dict) -> Iterator[str]:
    for field in ("files", "attachments"):
        items = message.get(field)
        for item in items if isinstance(items, list) else ():
            for key in _FILE_URL_KEYS if isinstance(item, dict) else ():
                if isinstance(item.get(key), str):
                    yield item[key]
