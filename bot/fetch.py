"""A safe GET: the guarded session, redirects hop by hop, status, size cap, content type and charset.

A link in Slack is untrusted input, and the worker that follows it sits inside someone's network.
This module walks the conversation with the site: every hop's URL is checked here, and every
connection goes through :class:`bot.transport.GuardedAdapter`, which pins the socket to an address
that :mod:`bot.addresses` allowed (private, loopback, link-local and other non-global addresses are
refused unless FETCH_ALLOW_HOSTS lists them). One :class:`bot.transport.Deadline` bounds the whole
fetch, and the body is read and inflated here, within the size cap.

    page = fetch("https://example.com/news/1", settings)
    page.text, page.content_type, page.encoding

Every failure leaves as a :class:`~bot.errors.FetchError` (or :class:`~bot.errors.InputError` for a
link that is not a web address at all) carrying words a Slack user can read. What the body is (media
type, charset) is decided in :mod:`bot.content`, which local files share.
"""

from __future__ import annotations

import http.client
import logging
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import brotli
import requests
import urllib3
from requests_hardened import Config, HTTPSession

from bot import __version__
from bot.config import Settings
from bot.content import (
    DOCUMENT_TYPES,
    READABLE_TYPES,
    TEXT_TYPES,
    UNINFORMATIVE_TYPES,
    body_type,
    decode_body,
    media_type,
    sniff_type,
    too_large_message,
    unsupported_message,
)
from bot.errors import (
    BlockedAddress,
    BotError,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    InputError,
    TooLarge,
    UnsupportedContent,
)
from bot.transport import TOO_SLOW, Deadline, GuardedAdapter, head_within

__all__ = [
    "USER_AGENT",
    "Page",
    "fetch",
    "make_session",
]

logger = logging.getLogger(__name__)

USER_AGENT = f"slack-summarizer/{__version__} (+https://github.com/slack-summarizer)"
ACCEPT = "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1"
ACCEPT_ENCODING = "gzip, deflate, br"  # exactly what _inflater undoes
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Page:
    """What came back from the web (or a local file): decoded text plus where it really came from."""

    url: str  # final URL after redirects (or the file path / "-" for local input)
    text: str  # decoded body
    content_type: str  # "text/html", "application/xhtml+xml", "text/plain" or "application/pdf" (in ``raw``)
    status: int = 200
    encoding: str | None = None
    requested_url: str | None = None
    raw: bytes | None = None  # the body itself, for a document read from its bytes (a PDF)

    @property
    def is_html(self) -> bool:
        return self.content_type != "text/plain"


def fetch(url: str, settings: Settings, session: requests.Session | None = None) -> Page:
    """GET ``url`` within the limits in ``settings``; ``session`` must come from :func:`make_session`.

    Pass a session to reuse connections across fetches; without one a session is made and closed.
    """
    owned = session is None
    session = session or make_session(settings)
    if not isinstance(session.get_adapter("http://"), GuardedAdapter):
        raise TypeError("fetch() needs a session from bot.fetch.make_session(), which carries the SSRF guard")
    deadline = Deadline(time.monotonic() + settings.fetch_deadline)
    try:
        response, final_url = _follow_redirects(session, url, settings, deadline)
        with response, _plain_errors(final_url):
            _check_status(response)
            header = response.headers.get("Content-Type")
            declared = media_type(header)
            if declared and declared not in UNINFORMATIVE_TYPES and declared not in READABLE_TYPES:
                raise UnsupportedContent(unsupported_message(declared))
            raw = _read_body(response, settings.fetch_max_bytes, deadline)
    finally:
        if owned:
            session.close()
    document = declared if declared in DOCUMENT_TYPES else sniff_type(raw)
    if document in DOCUMENT_TYPES:  # a PDF: read from its bytes (bot/pdf.py), not decoded as text
        return Page(final_url, "", document, response.status_code, requested_url=url, raw=raw)
    media = body_type(raw, header if declared in TEXT_TYPES else None)
    text, encoding = decode_body(raw, header if declared in TEXT_TYPES else media)
    return Page(final_url, text, media, response.status_code, encoding, requested_url=url)


def make_session(settings: Settings) -> requests.Session:
    """A requests session whose every connection goes through the address guard.

    It never follows redirects by itself (``fetch`` walks them hop by hop) and ignores proxy and
    netrc settings from the environment: a proxy would connect on our behalf, past the guard.
    """
    config = Config(
        ip_filter_enable=False,  # our adapters below do the filtering, with the allow list
        ip_filter_allow_loopback_ips=False,
        never_redirect=True,
        default_timeout=(settings.fetch_timeout, settings.fetch_timeout),
        user_agent_override=USER_AGENT,
    )
    session = _Session(config)
    session.trust_env = False
    session.headers["Accept"] = ACCEPT
    session.headers["Accept-Encoding"] = ACCEPT_ENCODING
    session.mount("http://", GuardedAdapter(settings, is_https=False))
    session.mount("https://", GuardedAdapter(settings, is_https=True))
    return session


class _Session(HTTPSession):
    def resolve_redirects(self, *args, **kwargs) -> Iterator:
        """None: ``fetch`` walks redirects itself, hop by hop; requests would otherwise parse the next
        hop's address inside ``get`` (for ``Response.next``), where a malformed one looks like our link's fault."""
        return iter(())


# --- hops, status, body -----------------------------------------------------------------------


def _check_url(url: str, *, redirected: bool) -> None:
    """Only plain web addresses, without credentials; a bad redirect is the site's fault, not the user's."""
    error = BlockedAddress if redirected else InputError
    what = "The page's redirect" if redirected else "That link"
    try:
        parts = urlsplit(url)  # raises ValueError on a bracketed host that is no IPv6 address
    except ValueError as exc:
        raise error(f"{what} is not a valid web address.") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise error(f"{what} is not a web address: only http:// and https:// links can be summarized.")
    if not parts.hostname:
        raise error(f"{what} is not a complete web address: it has no site name.")
    if parts.username is not None or parts.password is not None:
        raise error(f"{what} has a user name or password in it, which this app won't send.")
    try:
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError as exc:
        raise error(f"{what} has an invalid port number.") from exc


def _follow_redirects(
    session: requests.Session, url: str, settings: Settings, deadline: Deadline
) -> tuple[requests.Response, str]:
    seen: list[str] = []
    for _ in range(settings.fetch_max_redirects + 1):
        _check_url(url, redirected=bool(seen))
        with _plain_errors(url, redirected=bool(seen)), head_within(deadline):
            timeout = deadline.timeout(settings.fetch_timeout)
            response = session.get(url, stream=True, allow_redirects=False, timeout=timeout)
        if deadline.passed():  # a head cut off at the deadline can look complete
            response.close()
            raise FetchTimeout(TOO_SLOW)
        seen.append(url)
        if not response.is_redirect:
            return response, url
        response.close()
        try:
            target = urljoin(url, session.get_redirect_target(response))
        except ValueError as exc:  # not UTF-8, or a bracketed host that is no IPv6 address
            raise BlockedAddress("The page's redirect is not a valid web address.") from exc
        logger.debug("redirect %s -> %s", url, target)
        if target in seen:
            raise FetchError(f"The page redirects in a loop ({url} -> {target}); it can't be read.")
        url = target
    raise FetchError(f"The link redirects more than {settings.fetch_max_redirects} times; gave up.")


def _check_status(response: requests.Response) -> None:
    status = response.status_code
    if status < 300:
        return
    reason = f"(HTTP {status})"
    if status in (401, 402, 403, 407):
        message = f"The site refused to show that page {reason}; it may be behind a paywall or a login."
    elif status == 404:
        message = f"That page was not found on the site {reason}; check the link."
    elif status == 410:
        message = f"That page is gone {reason}: the site says it was removed."
    elif status == 451:
        message = f"That page is unavailable for legal reasons {reason}."
    elif status == 429:
        message = f"The site is turning away requests for now {reason}; try again in a few minutes."
    elif status >= 500:
        message = f"The site had a problem answering {reason}; try again later."
    elif status < 400:
        message = f"The site answered with a redirect that leads nowhere {reason}."
    else:
        message = f"The site refused the request {reason}."
    raise HTTPStatusError(message, status=status)


def _read_body(response: requests.Response, limit: int, deadline: Deadline) -> bytes:
    """Stream the body, stopping at ``limit`` bytes (sent or decompressed) or at the deadline.

    ``read1`` returns whatever has arrived, so a body trickling in a byte at a time still meets the
    deadline check between reads instead of filling a large buffer forever.
    """
    announced = response.headers.get("Content-Length", "").strip()
    if announced.isdigit() and int(announced) > limit:
        raise TooLarge(too_large_message(limit))
    inflate = _inflater(response.headers.get("Content-Encoding", ""))
    chunks, received, size = [], 0, 0
    while True:
        data = response.raw.read1(_CHUNK, decode_content=False)
        received += len(data)
        chunk = inflate(data, limit - size)
        size += len(chunk)
        if received > limit or size > limit:
            raise TooLarge(too_large_message(limit))
        chunks.append(chunk)
        if not data:
            return b"".join(chunks)
        deadline.remaining()


def _inflater(content_encoding: str) -> Callable[[bytes, int], bytes]:
    """Undo the Content-Encoding a chunk at a time (``b""`` ends it), making at most ``room + 1`` bytes.

    Done here rather than by urllib3, which keeps reading while its output stays empty: an endless
    stream of empty compressed blocks would hold a worker past both the deadline and the size cap.
    """
    coding = content_encoding.strip().lower()
    if coding in ("", "identity"):
        return lambda data, room: data
    if coding in ("gzip", "x-gzip", "deflate"):
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # a gzip or zlib header, whichever it is
        return lambda data, room: inflater.decompress(data, room + 1) if data else inflater.flush()
    if coding == "br":
        decompressor = brotli.Decompressor()
        return lambda data, room: decompressor.process(data, output_buffer_limit=room + 1)
    raise FetchError(f"The site sent the page compressed in a way this app can't read ({coding}).")


@contextmanager
def _plain_errors(url: str, *, redirected: bool = False) -> Iterator[None]:
    """Translate requests/urllib3/socket failures into the error tree, in words, never a traceback."""
    host = urlsplit(url).hostname or url
    try:
        yield
    except BotError:
        raise
    except (requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError) as exc:
        raise FetchTimeout(f"{host} took too long to answer; try again later.") from exc
    except (requests.exceptions.SSLError, urllib3.exceptions.SSLError) as exc:
        raise FetchError(f"The secure connection (HTTPS) to {host} could not be set up or trusted.") from exc
    except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, UnicodeError) as exc:
        if redirected:  # the site's fault, as in _check_url
            raise BlockedAddress("The page's redirect is not a valid web address.") from exc
        raise InputError("That link is not a valid web address.") from exc
    except requests.ConnectionError as exc:
        if _connection_refused(exc):
            raise FetchError(f"Couldn't connect to {host}: it refused or did not answer.", transient=True) from exc
        raise FetchError(f"{host} sent a broken or incomplete response.", transient=True) from exc
    except (
        requests.RequestException,
        urllib3.exceptions.HTTPError,
        http.client.HTTPException,
        OSError,
        zlib.error,
        brotli.error,
    ) as exc:
        raise FetchError(f"{host} sent a broken or incomplete response.", transient=True) from exc


def _connection_refused(exc: requests.ConnectionError) -> bool:
    inner = exc.args[0] if exc.args else None
    return isinstance(getattr(inner, "reason", inner), urllib3.exceptions.NewConnectionError)
