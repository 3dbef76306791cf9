"""bot.fetch: the safe GET, against the local test website (tests/fixtures/web.py).

No test here opens a connection to anything but 127.0.0.1: non-loopback addresses are checked by the
pure address guard, or reached through a redirect that the guard refuses before connecting.
"""

from __future__ import annotations

import gzip
import socket

import pytest
import requests
from pydantic import ValidationError

from bot.addresses import is_blocked, resolve_checked
from bot.config import Settings
from bot.errors import (
    BlockedAddress,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    InputError,
    TooLarge,
    UnsupportedContent,
)
from bot.fetch import fetch, make_session
from tests.fixtures import web_pages
from tests.fixtures.web import BENCH_HTML


@pytest.fixture
def no_loopback(settings: Settings) -> Settings:
    """Production-like settings: nothing private is allowed, not even the local test site."""
    return settings.model_copy(update={"fetch_allow_hosts": []})


@pytest.fixture
def impatient(settings: Settings) -> Settings:
    """Short timeouts, so the slow pages fail quickly."""
    return settings.model_copy(update={"fetch_timeout": 1.0, "fetch_deadline": 1.5})


def allowing(*entries: str) -> Settings:
    return Settings(_env_file=None, fetch_allow_hosts=list(entries))


# --- the address guard, as a pure function ---------------------------------------------------

BLOCKED_ADDRESSES = [
    "127.0.0.1", "127.255.255.254", "::1",  # loopback
    "0.0.0.0", "::",  # unspecified
    "10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.255", "192.168.1.1",  # private
    "100.64.0.1", "100.127.255.254",  # carrier-grade NAT
    "169.254.169.254", "169.254.0.1", "fe80::1",  # link-local, cloud metadata
    "fd00:ec2::254", "fd00::1", "fc00::1",  # unique local, AWS metadata over IPv6
    "224.0.0.1", "239.255.255.250", "ff02::1",  # multicast
    "240.0.0.1", "255.255.255.255", "192.0.0.1", "198.18.0.1",  # reserved, special purpose
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",  # IPv4-mapped IPv6
    "64:ff9b::a00:1", "2002:a00:1::",  # NAT64 and 6to4 wrappers around 10.0.0.1
    "fec0::1", "2001:db8::1", "3fff::1", "5f00::1",  # site-local, documentation, SRv6
]  # fmt: skip


@pytest.mark.parametrize("address", BLOCKED_ADDRESSES)
def test_non_public_addresses_are_blocked(address: str) -> None:
    assert is_blocked(address, allowing())


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "172.15.255.255", "172.32.0.1", "100.63.255.255", "2606:4700::1111"]
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert not is_blocked(address, allowing())


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0xa9fea9fe", "169.254.169.254"),
        ("3232235777", "192.168.1.1"),
        ("012.0.0.1", "10.0.0.1"),
    ],
)
def test_odd_ipv4_spellings_are_read_as_the_address_they_mean(host: str, address: str) -> None:
    with pytest.raises(BlockedAddress, match="private or internal address"):
        resolve_checked(host, 80, allowing())
    assert resolve_checked(host, 80, allowing(address)) == address


def test_an_allowed_network_opens_only_that_network() -> None:
    settings = allowing("10.0.0.0/8", "fd00:ec2::254")
    assert not is_blocked("10.1.2.3", settings)
    assert not is_blocked("::ffff:10.1.2.3", settings)
    assert not is_blocked("fd00:ec2::254", settings)
    assert is_blocked("192.168.0.1", settings)
    assert is_blocked("169.254.169.254", settings)


def test_an_allowed_host_name_is_trusted_whatever_it_resolves_to() -> None:
    assert resolve_checked("localhost", 80, allowing("localhost")) in ("127.0.0.1", "::1")
    with pytest.raises(BlockedAddress):
        resolve_checked("localhost", 80, allowing("intranet.example"))


@pytest.mark.parametrize(
    "entries",
    ["intranet.example, 10.0.0.0/8, fd00::/8", "wiki.internal:8080,10.0.0.5:8443,[fd00::1]:443,10.0.0.0/8:80",
     "Bücher.example:443", " localhost , ::1 "],
)  # fmt: skip
def test_readable_allow_list_entries_are_accepted(monkeypatch: pytest.MonkeyPatch, entries: str) -> None:
    monkeypatch.setenv("FETCH_ALLOW_HOSTS", entries)
    assert len(Settings(_env_file=None).allow_rules()) == len(entries.split(","))


@pytest.mark.parametrize(
    "entry",
    ["wiki.internal:http", "wiki.internal:0", "10.0.0.5:70000", "http://wiki.internal/", "10.0.0.0/33",
     "300.1.1.1", "*.example.com", "intranet example", "[wiki.internal]:80", "fd00::1]:80", "10.0.0.5:"],
)  # fmt: skip
def test_an_unreadable_allow_list_entry_stops_startup_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, entry: str
) -> None:
    monkeypatch.setenv("FETCH_ALLOW_HOSTS", f"intranet.example,{entry}")
    with pytest.raises(ValidationError, match=r"FETCH_ALLOW_HOSTS entry .* cannot be read"):
        Settings(_env_file=None)


# --- the guard on a real fetch -------------------------------------------------------------------

LOOPBACK_HOSTS = [
    "127.0.0.1", "localhost", "[::1]", "0.0.0.0", "[::ffff:127.0.0.1]",
    "2130706433", "0177.0.0.1", "0x7f000001", "0x7f.1", "127.1",
]  # fmt: skip


@pytest.mark.parametrize("host", LOOPBACK_HOSTS)
def test_loopback_in_any_spelling_is_refused(web_site, no_loopback: Settings, host: str) -> None:
    with pytest.raises(BlockedAddress):
        fetch(f"http://{host}:{web_site.port}/news/plain-article", no_loopback)


@pytest.mark.parametrize("url", ["http://127.0.0.1:22/", "http://127.0.0.1:6379/", "https://localhost:8443/"])
def test_blocked_hosts_are_refused_on_any_port(no_loopback: Settings, url: str) -> None:
    with pytest.raises(BlockedAddress):
        fetch(url, no_loopback)


def test_the_guard_lives_in_the_session_not_just_in_fetch(web_site, no_loopback: Settings) -> None:
    with make_session(no_loopback) as session, pytest.raises(BlockedAddress):
        session.get(web_site.url("/news/plain-article"))


def test_fetch_refuses_a_session_without_the_guard(web_site, settings: Settings) -> None:
    with requests.Session() as session, pytest.raises(TypeError):
        fetch(web_site.url("/news/plain-article"), settings, session=session)


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/admin",
        "http://172.16.0.1:8080/",
        "http://192.168.0.1/",
        "http://100.64.0.1/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[::ffff:10.0.0.1]/",
        "http://0xa9fea9fe/",
        "https://[fe80::1]/",
    ],
)
def test_a_redirect_to_a_private_address_is_refused_before_connecting(
    web_site, settings: Settings, location: str
) -> None:
    with pytest.raises(BlockedAddress):
        fetch(web_site.url(f"/redirect/to?url={location}"), settings)


@pytest.mark.parametrize("path", ["/redirect/metadata", "/redirect/private"])
def test_the_named_metadata_and_private_redirects_are_refused(web_site, settings: Settings, path: str) -> None:
    with pytest.raises(BlockedAddress):
        fetch(web_site.url(path), settings)


@pytest.mark.parametrize(
    "location", ["file:///etc/passwd", "ftp://127.0.0.1/", "gopher://127.0.0.1:70/", "http://user:pw@127.0.0.1/"]
)
def test_a_redirect_to_another_scheme_or_to_credentials_is_refused(web_site, settings: Settings, location: str) -> None:
    with pytest.raises(BlockedAddress, match="redirect"):
        fetch(web_site.url(f"/redirect/to?url={location}"), settings)


def test_loopback_is_allowed_when_listed_by_cidr(web_site) -> None:
    page = fetch(web_site.url("/news/plain-article"), allowing("127.0.0.0/8"))
    assert web_pages.PLAIN_ARTICLE.paragraphs[0] in page.text


def test_a_host_listed_by_name_is_pinned_to_its_address_but_keeps_its_name(web_site) -> None:
    if socket.getaddrinfo("localhost", web_site.port, type=socket.SOCK_STREAM)[0][4][0] != "127.0.0.1":
        pytest.skip("localhost does not resolve to 127.0.0.1 first here")
    page = fetch(f"http://localhost:{web_site.port}/echo/headers", allowing("localhost"))
    assert f"Host: localhost:{web_site.port}" in page.text.splitlines()


# --- what counts as a link ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/file.txt",
        "gopher://example.com/",
        "javascript:alert(1)",
        "data:text/html,<h1>hi</h1>",
        "example.com/news",
        "http:///no-host",
        "http://example.com:99999/",
    ],
)
def test_anything_but_a_web_address_is_an_input_error(settings: Settings, url: str) -> None:
    with pytest.raises(InputError):
        fetch(url, settings)


@pytest.mark.parametrize("userinfo", ["user:pass@", "user@", ":secret@"])
def test_a_link_with_credentials_is_refused(web_site, settings: Settings, userinfo: str) -> None:
    with pytest.raises(InputError, match="user name or password"):
        fetch(f"http://{userinfo}127.0.0.1:{web_site.port}/news/plain-article", settings)


# --- redirects ----------------------------------------------------------------------------------


def test_redirects_are_followed_up_to_the_limit(web_site, settings: Settings) -> None:
    requested = web_site.url("/redirect/chain/5")
    page = fetch(requested, settings)
    assert page.url == web_site.url("/news/plain-article")
    assert page.requested_url == requested


def test_one_redirect_more_than_the_limit_fails(web_site, settings: Settings) -> None:
    with pytest.raises(FetchError, match="more than 5 times"):
        fetch(web_site.url("/redirect/chain/6"), settings)


def test_the_redirect_limit_comes_from_settings(web_site, settings: Settings) -> None:
    with pytest.raises(FetchError, match="more than 0 times"):
        fetch(web_site.url("/redirect/chain/1"), settings.model_copy(update={"fetch_max_redirects": 0}))


@pytest.mark.parametrize("path", ["/redirect/loop-a", "/redirect/self"])
def test_a_redirect_loop_is_named_as_such(web_site, settings: Settings, path: str) -> None:
    with pytest.raises(FetchError, match="loop"):
        fetch(web_site.url(path), settings)


def test_a_redirect_without_a_location_is_a_status_error(web_site, settings: Settings) -> None:
    with pytest.raises(HTTPStatusError) as caught:
        fetch(web_site.url("/redirect/no-location"), settings)
    assert caught.value.status == 302


# --- time and size limits -----------------------------------------------------------------------


def test_a_body_trickling_in_forever_meets_the_deadline(web_site, impatient: Settings) -> None:
    with pytest.raises(FetchTimeout):
        fetch(web_site.url("/slow/drip?interval=0.2"), impatient)


def test_a_silent_server_meets_the_read_timeout(web_site, impatient: Settings) -> None:
    with pytest.raises(FetchTimeout) as caught:
        fetch(web_site.url("/slow/wait?seconds=3"), impatient)
    assert caught.value.transient


@pytest.mark.parametrize("path", ["/big/announced", "/big/chunked", "/big/endless"])
def test_a_body_over_the_size_cap_is_too_large(web_site, settings: Settings, path: str) -> None:
    with pytest.raises(TooLarge, match="too large"):
        fetch(web_site.url(path), settings)


@pytest.mark.parametrize("path", ["/encoded/bomb", "/encoded/empty-forever"])
def test_a_compressed_body_cannot_outgrow_or_outlast_the_cap(web_site, settings: Settings, path: str) -> None:
    with pytest.raises(TooLarge):
        fetch(web_site.url(path), settings)


@pytest.mark.parametrize("path", ["/news/plain-article", "/encoded/br"])
def test_the_size_cap_counts_decoded_bytes(web_site, settings: Settings, path: str) -> None:
    with pytest.raises(TooLarge):
        fetch(web_site.url(path), settings.model_copy(update={"fetch_max_bytes": 2048}))


# --- content types and encodings ----------------------------------------------------------------


def test_a_real_bench_page_is_fetched_and_decoded(web_site, settings: Settings, shared_dir) -> None:
    for page_id in web_site.article_ids[::25]:
        page = fetch(web_site.url(f"/article/{page_id}"), settings)
        expected = gzip.decompress((BENCH_HTML / f"{page_id}.html.gz").read_bytes()).decode("utf-8")
        assert (page.text, page.content_type, page.encoding) == (expected, "text/html", "utf-8")


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/news/plain-article", "text/html"),
        ("/news/xhtml-article", "application/xhtml+xml"),
        ("/news/plain-text", "text/plain"),
        ("/sniff/html", "text/html"),
    ],
)
def test_html_xhtml_and_plain_text_are_accepted(web_site, settings: Settings, path: str, content_type) -> None:
    page = fetch(web_site.url(path), settings)
    assert page.content_type == content_type
    assert page.is_html == (content_type != "text/plain")


@pytest.mark.parametrize("path", ["/binary/pdf", "/binary/pdf-unlabelled"])
def test_a_pdf_comes_back_as_its_bytes(web_site, settings: Settings, path: str) -> None:
    page = fetch(web_site.url(path), settings)
    assert page.content_type == "application/pdf" and page.raw.startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/binary/png", "That link points to an image (image/png), not a web page."),
    ],
)
def test_other_content_is_unsupported_and_named(web_site, settings: Settings, path: str, message: str) -> None:
    with pytest.raises(UnsupportedContent) as caught:
        fetch(web_site.url(path), settings)
    assert caught.value.message == message


@pytest.mark.parametrize("path", ["/encoded/gzip", "/encoded/br", "/encoded/deflate"])
def test_compressed_pages_are_decompressed(web_site, settings: Settings, path: str) -> None:
    page = fetch(web_site.url(path), settings)
    assert web_pages.PLAIN_ARTICLE.paragraphs[-1] in page.text


def test_an_unknown_content_encoding_is_a_fetch_error(web_site, settings: Settings) -> None:
    with pytest.raises(FetchError, match="compressed in a way"):
        fetch(web_site.url("/encoded/unknown"), settings)


def test_requests_name_the_app_and_accept_brotli(web_site, settings: Settings) -> None:
    headers = fetch(web_site.url("/echo/headers"), settings).text
    assert "User-Agent: slack-summarizer/" in headers
    assert "+https://github.com/slack-summarizer" in headers
    assert "br" in next(line for line in headers.splitlines() if line.startswith("Accept-Encoding"))


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/charset/latin1-labelled-utf8", web_pages.WESTERN_TEXT),
        ("/charset/utf8-labelled-latin1", web_pages.WESTERN_TEXT),
        ("/charset/latin1-unlabelled", web_pages.WESTERN_TEXT),
        ("/charset/cp1251-meta", web_pages.RUSSIAN_TEXT),
    ],
)
def test_wrong_or_missing_charset_labels_still_decode_right(web_site, settings: Settings, path, expected) -> None:
    assert expected in fetch(web_site.url(path), settings).text


def test_an_empty_body_is_an_empty_page(web_site, settings: Settings) -> None:
    assert fetch(web_site.url("/empty"), settings).text == ""


def test_a_changing_page_is_fetched_afresh_each_time(web_site, settings: Settings) -> None:
    before = web_site.hits("/news/changing")
    with make_session(settings) as session:
        first = fetch(web_site.url("/news/changing"), settings, session=session)
        second = fetch(web_site.url("/news/changing"), settings, session=session)
    assert first.text != second.text
    assert web_site.hits("/news/changing") == before + 2


# --- HTTP and transport errors, in plain words --------------------------------------------------


@pytest.mark.parametrize(
    ("status", "words", "transient"),
    [
        (401, "paywall or a login", False),
        (402, "paywall or a login", False),
        (403, "paywall or a login", False),
        (404, "not found", False),
        (410, "gone", False),
        (451, "legal reasons", False),
        (429, "try again", True),
        (500, "try again later", True),
        (502, "try again later", True),
        (503, "try again later", True),
        (504, "try again later", True),
        (400, "refused the request", False),
    ],
)
def test_http_errors_say_what_happened(web_site, settings: Settings, status: int, words: str, transient) -> None:
    with pytest.raises(HTTPStatusError, match=words) as caught:
        fetch(web_site.url(f"/status/{status}"), settings)
    assert (caught.value.status, caught.value.transient) == (status, transient)


def test_a_garbage_response_is_a_fetch_error(web_site, settings: Settings) -> None:
    with pytest.raises(FetchError, match="broken or incomplete response"):
        fetch(web_site.url("/garbage"), settings)


def test_a_refused_connection_is_a_fetch_error(settings: Settings) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError, match="Couldn't connect"):
        fetch(f"http://127.0.0.1:{port}/", settings)


def test_a_tls_failure_is_a_fetch_error(web_site, settings: Settings) -> None:
    with pytest.raises(FetchError, match="secure connection"):
        fetch(f"https://127.0.0.1:{web_site.port}/news/plain-article", settings)


def test_a_missing_page_is_a_status_error(web_site, settings: Settings) -> None:
    with pytest.raises(HTTPStatusError) as caught:
        fetch(web_site.url("/no/such/page"), settings)
    assert caught.value.status == 404
