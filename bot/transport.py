"""How a connection is made and bounded: the guarded requests adapter and the fetch's one clock.

Checking a URL's host and then letting requests connect leaves a gap: DNS may answer differently the
second time (DNS rebinding). So :class:`GuardedAdapter` resolves and checks the host where the
connection pool is chosen and pins the connection to the very address that passed
:func:`bot.addresses.resolve_checked` (requests-hardened's technique), on every redirect hop.

Socket timeouts count each read on its own, so a slow site could still hold a worker for hours.
:class:`Deadline` is one clock for the whole fetch, and :func:`head_within` makes the connection hang
up if it passes while the status line and headers trickle in:

    deadline = Deadline(time.monotonic() + settings.fetch_deadline)
    with head_within(deadline):
        response = session.get(url, stream=True, timeout=deadline.timeout(settings.fetch_timeout))
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass

import urllib3
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests_hardened.ip_filter_adapter import IPFilterAdapter

from bot.addresses import resolve_checked
from bot.config import Settings
from bot.errors import BotError, FetchTimeout

__all__ = ["TOO_SLOW", "Deadline", "GuardedAdapter", "head_within"]

TOO_SLOW = "The site took too long to send the page; try again later."


class GuardedAdapter(IPFilterAdapter):
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


@dataclass(frozen=True)
class Deadline:
    """One clock for the whole fetch, so no hop or slow body can hold a worker past it."""

    at: float

    def remaining(self) -> float:
        """Seconds left; :class:`FetchTimeout` once there are none."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise FetchTimeout(TOO_SLOW)
        return left

    def passed(self) -> bool:
        return time.monotonic() >= self.at

    def timeout(self, per_step: float) -> tuple[float, float]:
        """(connect, read) timeouts for one step, never reaching past the deadline."""
        step = min(per_step, self.remaining())
        return (step, step)


# The deadline of the fetch running in this thread, for the connections below (set by head_within).
_HEAD_DEADLINE: ContextVar[float | None] = ContextVar("_HEAD_DEADLINE", default=None)


@contextmanager
def head_within(deadline: Deadline) -> Iterator[None]:
    """Arm the hang-up of :class:`_HeadWithinDeadline`; whatever fails once the deadline is past is a timeout."""
    token = _HEAD_DEADLINE.set(deadline.at)
    try:
        yield
    except BotError:
        raise
    except Exception as exc:
        if deadline.passed():
            raise FetchTimeout(TOO_SLOW) from exc
        raise
    finally:
        _HEAD_DEADLINE.reset(token)


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
