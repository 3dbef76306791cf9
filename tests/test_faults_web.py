"""Failing neighbours on the web side: each fault gives the right typed error, in plain words, within the deadline.

tests/test_fetch.py already proves refused connections, slow and endless bodies, redirect loops and
limits, the HTTP status codes and a page that changes between fetches, against the local test site.
This file adds what that site cannot do, from a raw TCP server on 127.0.0.1 that misbehaves below
HTTP (TLS garbage, trickled status lines and headers, cut and malformed responses, broken redirects),
and name resolution failures, which run in a private network namespace with a fake resolver on its
loopback: a lookup of even a ``.invalid`` name would otherwise reach the machine's real DNS server.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.errors import BlockedAddress, BotError, FetchError, FetchTimeout, InputError
from bot.fetch import Page, fetch
from tests.fixtures.isolation import run_isolated

GRACE = 5.0  # a hang guard, not a speed target: a fetch must end within its deadline plus this
JARGON = ("Traceback", "Errno", "errno", "urllib3", "HTTPConnectionPool", "Max retries", "object at 0x", "Error(")

Behaviour = Callable[[socket.socket], None]


@pytest.fixture
def impatient(settings: Settings) -> Settings:
    return settings.model_copy(update={"fetch_timeout": 1.0, "fetch_deadline": 2.0})


@pytest.fixture
def raw_site() -> Iterator[Callable[[Behaviour], int]]:
    """``raw_site(behaviour)`` listens on 127.0.0.1 and runs ``behaviour(connection)`` for each client;
    returns the port. Whatever the behaviour does, it ends when the client hangs up."""
    listeners: list[socket.socket] = []

    def start(behaviour: Behaviour) -> int:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)
        threading.Thread(target=_accept, args=(listener, behaviour), daemon=True).start()
        return listener.getsockname()[1]

    yield start
    for listener in listeners:
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()


def _accept(listener: socket.socket, behaviour: Behaviour) -> None:
    while True:
        try:
            connection, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=_serve, args=(connection, behaviour), daemon=True).start()


def _serve(connection: socket.socket, behaviour: Behaviour) -> None:
    with connection, contextlib.suppress(OSError):  # OSError: the client gave up, as it should
        behaviour(connection)


def read_request(connection: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(4096)
        if not chunk:
            return
        data += chunk


def answer(raw: bytes) -> Behaviour:
    """Read the request, send ``raw`` as the whole response, hang up."""

    def behave(connection: socket.socket) -> None:
        read_request(connection)
        connection.sendall(raw)

    return behave


def trickle(head: bytes, then: bytes, interval: float = 0.1) -> Behaviour:
    """Send ``head``, then ``then`` one byte per ``interval``, over and over, for as long as the client listens."""

    def behave(connection: socket.socket) -> None:
        read_request(connection)
        connection.sendall(head)
        while True:
            for byte in then:
                connection.sendall(bytes([byte]))
                time.sleep(interval)

    return behave


def outcome(url: str, settings: Settings) -> Page | BotError:
    """What fetch gives, checked to come within the deadline (plus a grace for a loaded machine)."""
    result: list[Page | BaseException] = []

    def run() -> None:
        try:
            result.append(fetch(url, settings))
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            result.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(settings.fetch_deadline + GRACE)
    assert not thread.is_alive(), f"the fetch of {url} outlived its {settings.fetch_deadline:g} s deadline"
    [got] = result
    assert isinstance(got, Page | BotError), f"a foreign exception escaped: {got!r}"
    return got


def failure(url: str, settings: Settings, kind: type[BotError], words: str) -> BotError:
    """The fetch fails as ``kind``, in plain words containing ``words``."""
    got = outcome(url, settings)
    assert isinstance(got, kind), f"expected {kind.__name__}, got {got!r}"
    assert words in got.message
    assert got.message.endswith(".") and "\n" not in got.message
    assert not any(jargon in got.message for jargon in JARGON), got.message
    return got


# --- TLS ----------------------------------------------------------------------------------------


def test_https_to_a_server_that_sends_garbage_is_a_secure_connection_error(raw_site, impatient) -> None:
    port = raw_site(lambda connection: connection.sendall(b"\x00\x01 this is no TLS at all\r\n" * 20))
    failure(f"https://127.0.0.1:{port}/", impatient, FetchError, "secure connection (HTTPS)")


def test_https_to_a_server_that_never_answers_the_handshake_times_out(raw_site, impatient) -> None:
    port = raw_site(lambda connection: time.sleep(30))
    assert failure(f"https://127.0.0.1:{port}/", impatient, FetchTimeout, "too long").transient


def test_a_tls_handshake_trickled_a_byte_at_a_time_meets_the_deadline(raw_site, impatient) -> None:
    def behave(connection: socket.socket) -> None:
        connection.sendall(b"\x16\x03\x03\x40\x00")  # a TLS record header promising 16 KB of handshake
        while True:
            connection.sendall(b"\x02")
            time.sleep(0.1)

    port = raw_site(behave)
    failure(f"https://127.0.0.1:{port}/", impatient, FetchTimeout, "too long")


# --- slowloris, before the body ------------------------------------------------------------------


def test_a_status_line_trickled_a_byte_at_a_time_meets_the_deadline(raw_site, impatient) -> None:
    port = raw_site(trickle(b"", b"HTTP/1.1 200 OK\r\n"))
    assert failure(f"http://127.0.0.1:{port}/", impatient, FetchTimeout, "too long").transient


def test_headers_trickled_a_byte_at_a_time_meet_the_deadline(raw_site, impatient) -> None:
    port = raw_site(trickle(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: ", b"a"))
    failure(f"http://127.0.0.1:{port}/", impatient, FetchTimeout, "too long")


def test_endless_interim_responses_meet_the_deadline(raw_site, impatient) -> None:
    def behave(connection: socket.socket) -> None:
        read_request(connection)
        while True:
            connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n" * 100)

    failure(f"http://127.0.0.1:{raw_site(behave)}/", impatient, FetchTimeout, "too long")


def test_a_body_that_stalls_halfway_times_out(raw_site, impatient) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5000\r\n\r\n<html><p>half"
    port = raw_site(lambda connection: (read_request(connection), connection.sendall(head), time.sleep(30)))
    failure(f"http://127.0.0.1:{port}/", impatient, FetchTimeout, "too long")


# --- broken and malformed responses -------------------------------------------------------------

OK, HTML = b"HTTP/1.1 200 OK\r\n", b"Content-Type: text/html\r\n"
BROKEN = {
    "closed without a reply": b"",
    "body shorter than announced": OK + HTML + b"Content-Length: 1000\r\n\r\n<p>short",
    "status line that is not one": b"HTTP/1.1 abc OK\r\n\r\n",
    "no status line (HTTP/0.9)": b"<html><p>Just a body.</p></html>",
    "two different lengths": OK + HTML + b"Content-Length: 5\r\nContent-Length: 9\r\n\r\n<p>x</p>",
    "200 headers": OK + b"X-A: b\r\n" * 200 + b"\r\n",
    "a 70 KB header line": b"HTTP/1.1 200 OK\r\nX-A: " + b"b" * 70_000 + b"\r\n\r\n",
    "bad chunk size": OK + HTML + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    "corrupt gzip": OK + HTML + b"Content-Encoding: gzip\r\nContent-Length: 12\r\n\r\n\x1f\x8bgarbage!!!",
}


@pytest.mark.parametrize("raw", BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_response_is_a_transient_fetch_error(raw_site, impatient, raw: bytes) -> None:
    port = raw_site(answer(raw))
    error = failure(f"http://127.0.0.1:{port}/", impatient, FetchError, "broken or incomplete response")
    assert error.transient and type(error) is FetchError


@pytest.mark.parametrize("label", ["punycode", "undefined", "idna", "base64", "rot13", "x-made-up"])
def test_a_page_labelled_with_a_codec_that_is_no_charset_still_reads(raw_site, impatient, label: str) -> None:
    body = "<html><body><p>Caf\u00e9 prices rose again.</p></body></html>".encode()
    header = f"Content-Type: text/html; charset={label}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    got = outcome(f"http://127.0.0.1:{raw_site(answer(OK + header + body))}/", impatient)
    assert isinstance(got, Page) and "Caf\u00e9 prices rose again." in got.text, repr(got)


# --- broken redirects ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "location",
    [b"http://[::1", b"http://[zz]/", b"http://exa mple.com/", b"https://%00/", b"http://a\xffb/", b"http:///x"],
)
def test_a_malformed_redirect_is_refused_as_the_sites_fault(raw_site, impatient, location: bytes) -> None:
    port = raw_site(answer(b"HTTP/1.1 302 Found\r\nLocation: " + location + b"\r\nContent-Length: 0\r\n\r\n"))
    got = outcome(f"http://127.0.0.1:{port}/", impatient)
    assert isinstance(got, BlockedAddress | FetchError) and not isinstance(got, InputError), repr(got)
    assert "redirect" in got.message


@pytest.mark.parametrize("url", ["http://[::1/", "http://[zz]/", "http://a]b/", "http://exa mple.com/"])
def test_a_malformed_link_is_an_input_error(impatient, url: str) -> None:
    failure(url, impatient, InputError, "not a valid web address")


# --- name resolution, in a private network with a fake resolver -----------------------------------


def fake_resolver(rcode_for: Callable[[str], int]) -> socket.socket:
    """A DNS server on 127.0.0.1:53 answering every query with ``rcode_for(name)`` and no records."""
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 53))

    def serve() -> None:
        while True:
            query, client = server.recvfrom(2048)
            end, labels = 12, []
            while query[end]:
                labels.append(query[end + 1 : end + 1 + query[end]].decode("ascii", "replace"))
                end += query[end] + 1
            flags = 0x8180 | (query[2] & 0x01) << 8 | rcode_for(".".join(labels))  # response, RD copied, RA
            header = query[:2] + flags.to_bytes(2, "big") + b"\x00\x01\x00\x00\x00\x00\x00\x00"
            server.sendto(header + query[12 : end + 5], client)

    threading.Thread(target=serve, daemon=True).start()
    return server


NXDOMAIN, SERVFAIL = 3, 2


def fetch_with_fake_dns(payload: dict) -> dict:
    """Inside the namespace: fetch each URL with resolution answered by the fake resolver (if asked for)."""
    if payload["resolver"]:
        fake_resolver(lambda name: SERVFAIL if name.endswith(".servfail.test") else NXDOMAIN)
    settings = Settings(_env_file=None, fetch_timeout=2, fetch_deadline=4)
    outcomes = {}
    for url in payload["urls"]:
        try:
            fetch(url, settings)
            outcomes[url] = ["fetched", "", False]
        except BotError as exc:
            outcomes[url] = [type(exc).__name__, exc.message, exc.transient]
    return outcomes


@pytest.fixture(scope="module")
def resolv_conf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dns") / "resolv.conf"
    path.write_text("nameserver 127.0.0.1\noptions attempts:1 timeout:1\n", encoding="ascii")
    return path


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dns") / "hosts"
    path.write_text("127.0.0.1 localhost\n", encoding="ascii")
    return path


def resolve_in_isolation(urls: list[str], *, resolver: bool, hosts: Path, resolv_conf: Path) -> dict:
    files = {"/etc/hosts": hosts, "/etc/resolv.conf": resolv_conf}
    return run_isolated("tests.test_faults_web:fetch_with_fake_dns", {"urls": urls, "resolver": resolver}, files)


def test_a_name_that_does_not_exist_is_a_permanent_plain_error(hosts, resolv_conf) -> None:
    urls = ["http://no-such-site.invalid/", "https://news.nonexistent.test/story"]
    got = resolve_in_isolation(urls, resolver=True, hosts=hosts, resolv_conf=resolv_conf)
    for url in urls:
        kind, message, transient = got[url]
        assert (kind, transient) == ("FetchError", False)
        assert message.startswith("Couldn't find the site ") and "does not resolve" in message


def test_a_resolver_that_fails_is_a_transient_error(hosts, resolv_conf) -> None:
    url = "http://www.servfail.test/"
    kind, message, transient = resolve_in_isolation([url], resolver=True, hosts=hosts, resolv_conf=resolv_conf)[url]
    assert (kind, transient) == ("FetchError", True)
    assert "try again later" in message


def test_an_unreachable_resolver_is_a_transient_error(hosts, resolv_conf) -> None:
    url = "http://news.example.test/"
    kind, message, transient = resolve_in_isolation([url], resolver=False, hosts=hosts, resolv_conf=resolv_conf)[url]
    assert (kind, transient) == ("FetchError", True)
    assert "try again later" in message
