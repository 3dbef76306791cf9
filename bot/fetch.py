"""A safe GET: SSRF guard on every hop, timeouts, size cap, content type and charset.

A link in Slack is untrusted input, and the worker that follows it sits inside someone's network.
So the address is checked where the socket is opened, after DNS, on every redirect hop: the connection
is pinned to the very address that passed the check (requests-hardened's technique), which closes the
DNS-rebinding gap that a check-then-connect guard leaves open. Private, loopback, link-local and other
non-global addresses are refused unless FETCH_ALLOW_HOSTS lists them (by CIDR or host name).

    page = fetch("https://example.com/news/1", settings)
    page.text, page.content_type, page.encoding

Every failure leaves as a :class:`~bot.errors.FetchError` (or :class:`~bot.errors.InputError` for a
link that is not a web address at all) carrying words a Slack user can read. What the body is (media
type, charset) is decided in :mod:`bot.content`, which local files share.
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import brotli
import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests_hardened import Config, HTTPSession
from requests_hardened.ip_filter import EXTRA_BLOCKED_NET_RANGES
from requests_hardened.ip_filter_adapter import IPFilterAdapter

from bot import __version__
from bot.config import Settings
from bot.content import (
    TEXT_TYPES,
    UNINFORMATIVE_TYPES,
    decode_body,
    media_type,
    sniff_type,
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

__all__ = [
    "USER_AGENT",
    "Page",
    "check_address",
    "decode_body",
    "fetch",
    "is_blocked",
    "make_session",
    "resolve_checked",
    "sniff_type",
]

logger = logging.getLogger(__name__)

USER_AGENT = f"slack-summarizer/{__version__} (+https://github.com/slack-summarizer)"
ACCEPT = "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1"
ACCEPT_ENCODING = "gzip, deflate, br"  # exactly what _inflater undoes
_CHUNK = 64 * 1024

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Page:
    """What came back from the web (or a local file): decoded text plus where it really came from."""

    url: str  # final URL after redirects (or the file path / "-" for local input)
    text: str  # decoded body
    content_type: str  # "text/html", "application/xhtml+xml" or "text/plain"
    status: int = 200
    encoding: str | None = None
    requested_url: str | None = None

    @property
    def is_html(self) -> bool:
        return self.content_type != "text/plain"


def fetch(url: str, settings: Settings, session: requests.Session | None = None) -> Page:
    """GET ``url`` within the limits in ``settings``; ``session`` must come from :func:`make_session`.

    Pass a session to reuse connections across fetches; without one a session is made and closed.
    """
    owned = session is None
    session = session or make_session(settings)
    if not isinstance(session.get_adapter("http://"), _GuardedAdapter):
        raise TypeError("fetch() needs a session from bot.fetch.make_session(), which carries the SSRF guard")
    deadline = _Deadline(time.monotonic() + settings.fetch_deadline)
    try:
        response, final_url = _follow_redirects(session, url, settings, deadline)
        with response, _plain_errors(final_url):
            _check_status(response)
            header = response.headers.get("Content-Type")
            declared = media_type(header)
            if declared and declared not in UNINFORMATIVE_TYPES and declared not in TEXT_TYPES:
                raise UnsupportedContent(unsupported_message(declared))
            raw = _read_body(response, settings.fetch_max_bytes, deadline)
    finally:
        if owned:
            session.close()
    media = declared if declared in TEXT_TYPES else sniff_type(raw)
    if media not in TEXT_TYPES:
        raise UnsupportedContent(unsupported_message(media))
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
    session.mount("http://", _GuardedAdapter(settings, is_https=False))
    session.mount("https://", _GuardedAdapter(settings, is_https=True))
    return session


class _Session(HTTPSession):
    def resolve_redirects(self, *args, **kwargs) -> Iterator:
        """None: ``fetch`` walks redirects itself, hop by hop; requests would otherwise parse the next
        hop's address inside ``get`` (for ``Response.next``), where a malformed one looks like our link's fault."""
        return iter(())


# --- the address guard -------------------------------------------------------------------------


def is_blocked(ip: IPAddress | str, settings: Settings) -> bool:
    """True when ``ip`` is not a public unicast address and FETCH_ALLOW_HOSTS does not list it.

    IPv4-mapped IPv6 (``::ffff:127.0.0.1``) is judged as the IPv4 address it carries; an allow-list
    entry in either spelling opens it.
    """
    ip = ipaddress.ip_address(ip)
    allowed = settings.allowed_networks()
    if any(ip in network for network in allowed):
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in network for network in allowed):
        return False
    return (
        not ip.is_global
        or ip.is_multicast
        or ip.is_reserved
        or any(ip in network for network in EXTRA_BLOCKED_NET_RANGES)
    )


def check_address(ip: IPAddress | str, settings: Settings, host: str | None = None) -> None:
    """Raise :class:`BlockedAddress` unless ``ip`` may be fetched (``host`` only names it in the message)."""
    if is_blocked(ip, settings):
        logger.info("refused to fetch from %s (%s): not a public address", host or ip, ip)
        raise BlockedAddress(
            f"That link points to a private or internal address ({host or ip}), which this app is not allowed to fetch."
        )


def resolve_checked(host: str, port: int, settings: Settings) -> str:
    """The address to connect to for ``host``, after the guard has passed it.

    IP literals, including odd spellings such as ``2130706433`` or ``0x7f.1``, are read without DNS.
    A host name listed in FETCH_ALLOW_HOSTS is trusted whatever it resolves to.
    """
    ip = _literal_ip(host)
    if ip is None:
        try:
            sockaddr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][4]
        except (socket.gaierror, UnicodeError) as exc:
            if getattr(exc, "errno", None) == socket.EAI_AGAIN:  # the resolver failed, not the name
                message = f"Couldn't look up the site {host} just now; try again later."
                raise FetchError(message, transient=True) from exc
            raise FetchError(f"Couldn't find the site {host}: its name does not resolve.") from exc
        ip = ipaddress.ip_address(sockaddr[0])
    if host.lower().rstrip(".") not in settings.allowed_hostnames():
        check_address(ip, settings, host)
    return str(ip)


def _literal_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:  # inet_aton reads the legacy forms (decimal, hex, octal, short) that resolvers also accept
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


class _GuardedAdapter(IPFilterAdapter):
    """requests-hardened's adapter with our guard: the checked address is the one connected to.

    We replace its filter because it knows only "allow loopback or not", while FETCH_ALLOW_HOSTS
    names networks and hosts. Host header and TLS name (SNI, certificate) stay the URL's host name.
    """

    def __init__(self, settings: Settings, *, is_https: bool) -> None:
        super().__init__(is_https_proto=is_https)
        self._settings = settings

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = HTTPAdapter.build_connection_pool_key_attributes(self, request, verify, cert)
        host, port = host_params["host"], host_params["port"]
        request.headers = CaseInsensitiveDict(request.headers or {})
        request.headers["Host"] = (f"[{host}]" if ":" in host else host) + (f":{port}" if port else "")
        if self._is_https_proto:
            pool_kwargs["assert_hostname"] = host
            pool_kwargs["server_hostname"] = host
        default_port = 443 if self._is_https_proto else 80
        host_params["host"] = resolve_checked(host, port or default_port, self._settings)
        return host_params, pool_kwargs

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


# The deadline of the fetch running in this thread, for the connections below (set by _head_within).
_HEAD_DEADLINE: ContextVar[float | None] = ContextVar("_HEAD_DEADLINE", default=None)


class _HeadWithinDeadline:
    """A connection that hangs up if the fetch's deadline passes while the status line and headers arrive.

    Socket timeouts count each read on its own, so a server that trickles its headers a byte at a time
    passes every one of them and could hold a worker for hours. (The body has its own checks.)
    """

    sock: socket.socket | None

    def getresponse(self):
        at = _HEAD_DEADLINE.get()
        if at is None or self.sock is None:
            return super().getresponse()
        timer = threading.Timer(max(0.0, at - time.monotonic()), _hang_up, (self.sock,))
        timer.daemon = True
        timer.start()
        try:
            return super().getresponse()
        finally:
            timer.cancel()


def _hang_up(sock: socket.socket) -> None:
    with suppress(OSError):  # already closed
        socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain socket's: TLS state is left alone


class _HTTPConnection(_HeadWithinDeadline, urllib3.connection.HTTPConnection):
    pass


class _HTTPSConnection(_HeadWithinDeadline, urllib3.connection.HTTPSConnection):
    pass


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


# --- hops, status, body -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Deadline:
    """One clock for the whole fetch, so no hop or slow body can hold a worker past it."""

    at: float

    def remaining(self) -> float:
        """Seconds left; :class:`FetchTimeout` once there are none."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise FetchTimeout(_TOO_SLOW)
        return left

    def passed(self) -> bool:
        return time.monotonic() >= self.at

    def timeout(self, per_step: float) -> tuple[float, float]:
        """(connect, read) timeouts for one step, never reaching past the deadline."""
        step = min(per_step, self.remaining())
        return (step, step)


_TOO_SLOW = "The site took too long to send the page; try again later."


@contextmanager
def _head_within(deadline: _Deadline) -> Iterator[None]:
    """Arm the hang-up of :class:`_HeadWithinDeadline`; whatever fails once the deadline is past is a timeout."""
    token = _HEAD_DEADLINE.set(deadline.at)
    try:
        yield
    except BotError:
        raise
    except Exception as exc:
        if deadline.passed():
            raise FetchTimeout(_TOO_SLOW) from exc
        raise
    finally:
        _HEAD_DEADLINE.reset(token)


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
    session: requests.Session, url: str, settings: Settings, deadline: _Deadline
) -> tuple[requests.Response, str]:
    seen: list[str] = []
    for _ in range(settings.fetch_max_redirects + 1):
        _check_url(url, redirected=bool(seen))
        with _plain_errors(url, redirected=bool(seen)), _head_within(deadline):
            timeout = deadline.timeout(settings.fetch_timeout)
            response = session.get(url, stream=True, allow_redirects=False, timeout=timeout)
        if deadline.passed():  # a head cut off at the deadline can look complete
            response.close()
            raise FetchTimeout(_TOO_SLOW)
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


def _read_body(response: requests.Response, limit: int, deadline: _Deadline) -> bytes:
    """Stream the body, stopping at ``limit`` bytes (sent or decompressed) or at the deadline.

    ``read1`` returns whatever has arrived, so a body trickling in a byte at a time still meets the
    deadline check between reads instead of filling a large buffer forever.
    """
    announced = response.headers.get("Content-Length", "").strip()
    if announced.isdigit() and int(announced) > limit:
        raise TooLarge(_too_large_message(limit))
    inflate = _inflater(response.headers.get("Content-Encoding", ""))
    chunks, received, size = [], 0, 0
    while True:
        data = response.raw.read1(_CHUNK, decode_content=False)
        received += len(data)
        chunk = inflate(data, limit - size)
        size += len(chunk)
        if received > limit or size > limit:
            raise TooLarge(_too_large_message(limit))
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


def _too_large_message(limit: int) -> str:
    return f"That page is too large to summarize (over {limit / 1_000_000:g} MB)."


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
