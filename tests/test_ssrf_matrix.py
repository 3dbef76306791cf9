"""The SSRF matrix: every internal address, in every spelling, refused by default; allowed only by FETCH_ALLOW_HOSTS.

Each target row is tried four ways (address check, real fetch, through a redirect, through a DNS
name that resolves to it) and shown to pass once listed. No test here opens a connection to a
non-loopback address:

- in this process, only loopback targets are fetched, against the local test site;
- every fetch that could reach further runs in a child process inside a private network and mount
  namespace (``unshare -nm``): only ``lo`` exists there, so nothing can leave the machine even if
  the guard failed, and a private ``/etc/hosts`` maps test names (``internal-10.test`` ...) to the
  blocked addresses. The local test site runs inside the namespace too, reached as ``site.test``,
  which the settings allow by name only, so it may redirect to any other loopback spelling.

The namespace (tests/fixtures/isolation.py) needs root (CI has it). Elsewhere those rows are skipped
with the reason, except under ``CI=true``, where being unable to build the namespace fails the run.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import pytest

from bot.addresses import SPECIAL_PURPOSE, is_blocked, resolve_checked
from bot.config import Settings
from bot.errors import BlockedAddress, BotError, InputError
from bot.fetch import fetch
from tests.fixtures.isolation import run_isolated


@dataclass(frozen=True)
class Target:
    """An internal address as a link may spell it; ``name`` maps to it in the namespace's /etc/hosts."""

    host: str  # as written in a URL
    address: str  # the address it means
    name: str | None = None
    port: int | None = None  # a non-default port, asked for on purpose

    @property
    def loopback(self) -> bool:
        """Reachable on this machine: the in-process tests may aim real fetches at it."""
        ip = ipaddress.ip_address(self.address)
        ip = getattr(ip, "ipv4_mapped", None) or ip
        return ip.is_loopback or ip.is_unspecified

    @property
    def ipv6(self) -> bool:
        return ":" in self.address and not self.address.startswith("::ffff:")

    def url(self, port: int | None = None, path: str = "/") -> str:
        return f"http://{self.host}:{self.port or port or 80}{path}"


NAT64 = ipaddress.ip_network("64:ff9b::/96")


def reached(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address a connection really goes to: IPv4-mapped and NAT64 forms reach the IPv4 they carry."""
    ip = ipaddress.ip_address(address)
    if ip.version == 6 and ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return getattr(ip, "ipv4_mapped", None) or ip


TARGETS = [
    # loopback, unspecified and their odd spellings
    Target("127.0.0.1", "127.0.0.1", "loopback.test"),
    Target("127.45.6.7", "127.45.6.7", "loopback-range.test"),
    Target("localhost", "127.0.0.1"),
    Target("LOCALHOST", "127.0.0.1"),
    Target("[::1]", "::1", "loopback6.test"),
    Target("[0:0:0:0:0:0:0:1]", "::1"),
    Target("0.0.0.0", "0.0.0.0", "unspecified.test"),
    Target("0", "0.0.0.0"),
    Target("[::]", "::"),
    Target("[::ffff:127.0.0.1]", "::ffff:127.0.0.1", "mapped.test"),
    Target("[::ffff:7f00:1]", "::ffff:127.0.0.1"),
    Target("2130706433", "127.0.0.1"),
    Target("0177.0.0.1", "127.0.0.1"),
    Target("0x7f000001", "127.0.0.1"),
    Target("0x7f.1", "127.0.0.1"),
    Target("127.1", "127.0.0.1"),
    Target("127.000.000.001", "127.0.0.1"),
    # private networks, carrier-grade NAT, cloud metadata
    Target("10.0.0.1", "10.0.0.1", "internal-10.test"),
    Target("10.255.255.254", "10.255.255.254"),
    Target("172.16.0.1", "172.16.0.1", "internal-172.test"),
    Target("172.31.255.254", "172.31.255.254"),
    Target("192.168.1.1", "192.168.1.1", "internal-192.test"),
    Target("100.64.0.1", "100.64.0.1", "cgnat.test"),
    Target("100.127.255.254", "100.127.255.254"),
    Target("169.254.169.254", "169.254.169.254", "metadata.test"),
    Target("0xa9fea9fe", "169.254.169.254"),
    Target("[::ffff:169.254.169.254]", "::ffff:169.254.169.254"),
    Target("[fd00:ec2::254]", "fd00:ec2::254", "metadata6.test"),
    # IPv6 site-local (deprecated, still routed in some networks) and IPv6 forms that carry an IPv4 address
    Target("[fec0::1]", "fec0::1", "sitelocal6.test"),
    Target("[64:ff9b::7f00:1]", "64:ff9b::7f00:1", "nat64-loopback.test"),
    Target("[64:ff9b::169.254.169.254]", "64:ff9b::a9fe:a9fe", "nat64-metadata.test"),
    Target("[64:ff9b:1::a00:1]", "64:ff9b:1::a00:1"),
    Target("[2002:a9fe:a9fe::1]", "2002:a9fe:a9fe::1", "6to4-metadata.test"),
    Target("[2002:7f00:1::]", "2002:7f00:1::"),
    Target("[2001:0:a9fe:a9fe:0:0:f5ff:fffe]", "2001:0:a9fe:a9fe::f5ff:fffe", "teredo.test"),
    Target("[::127.0.0.1]", "::7f00:1"),
    Target("[::a00:1]", "::a00:1"),
    # non-default ports on blocked hosts
    Target("127.0.0.1", "127.0.0.1", port=6379),
    Target("10.0.0.1", "10.0.0.1", port=8080),
    Target("192.168.1.1", "192.168.1.1", port=8443),
    Target("169.254.169.254", "169.254.169.254", port=80),
    Target("[fd00:ec2::254]", "fd00:ec2::254", port=8080),
]
LOOPBACK = [t for t in TARGETS if t.loopback]
NAMED = [t for t in TARGETS if t.name]


def target_id(target: Target) -> str:
    return target.host + (f":{target.port}" if target.port else "")


# Links that are not web addresses, or carry credentials: refused as given, and as a redirect's target.
NOT_WEB = [
    "file:///etc/passwd",
    "ftp://127.0.0.1/",
    "gopher://127.0.0.1:70/_GET",
    "dict://127.0.0.1:11211/stats",
    "javascript:alert(1)",
    "data:text/html,<h1>hi</h1>",
]
WITH_CREDENTIALS = ["http://user:pw@127.0.0.1:{port}/", "http://admin@localhost:{port}/", "http://:secret@127.0.0.1/"]


def allowing(*entries: str) -> Settings:
    return Settings(_env_file=None, fetch_allow_hosts=list(entries), fetch_timeout=5, fetch_deadline=10)


def allow_entry(target: Target) -> str:
    """What an operator would list to open this target: its address, or the name it was written as."""
    return target.host.lower() if target.host.lower() == "localhost" else target.address


DEFAULT = allowing()


# --- address check, every row --------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS, ids=target_id)
def test_every_target_is_blocked_by_the_address_check(target: Target) -> None:
    assert is_blocked(target.address, DEFAULT)
    with pytest.raises(BlockedAddress, match="private or internal address"):
        resolve_checked(target.host.strip("[]"), target.port or 80, DEFAULT)


@pytest.mark.parametrize("target", TARGETS, ids=target_id)
def test_every_target_passes_the_address_check_once_listed(target: Target) -> None:
    settings = allowing(allow_entry(target))
    assert not is_blocked(target.address, settings) or target.host.lower() == "localhost"
    resolved = resolve_checked(target.host.strip("[]"), target.port or 80, settings)
    if target.host.lower() != "localhost":
        assert ipaddress.ip_address(resolved) == ipaddress.ip_address(target.address)


@pytest.mark.parametrize("entry", ["127.0.0.0/8", "::1", "10.0.0.0/8", "169.254.169.254"])
def test_listing_one_network_opens_no_other_target(entry: str) -> None:
    network = ipaddress.ip_network(entry, strict=False)
    settings = allowing(entry)
    for target in TARGETS:
        ip = reached(target.address)
        assert is_blocked(target.address, settings) == (ip.version != network.version or ip not in network)


# --- the IANA special-purpose registries, range by range ---------------------------------------------


@pytest.mark.parametrize(("cidr", "what", "rfc"), SPECIAL_PURPOSE, ids=[row[0] for row in SPECIAL_PURPOSE])
def test_every_special_purpose_range_is_blocked_from_first_to_last_address(cidr: str, what: str, rfc: str) -> None:
    network = ipaddress.ip_network(cidr)
    assert rfc.startswith("RFC ") and what
    assert is_blocked(network[0], DEFAULT) and is_blocked(network[-1], DEFAULT)


@pytest.mark.parametrize(
    "address",
    ["fec0::1", "3fff::1", "5f00::1", "2001:3::1", "2001:30::1", "2620:4f:8000::1", "192.0.0.9", "192.31.196.1",
     "192.52.193.1", "192.175.48.1", "2002:808:808::1", "2001:0:808:808::1", "::808:808", "4000::1", "100:0:0:1::1"],
)  # fmt: skip
def test_ranges_python_calls_global_are_blocked_too(address: str) -> None:
    assert is_blocked(address, DEFAULT)


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700::1111", "2a00:1450:4001::200e", "::ffff:8.8.8.8"])
def test_public_addresses_in_any_form_are_not_blocked(address: str) -> None:
    assert not is_blocked(address, DEFAULT)


def test_a_nat64_address_is_judged_by_the_ipv4_address_it_reaches() -> None:
    """DNS64 networks hand out 64:ff9b::/96 for every IPv4-only site: public ones stay reachable."""
    assert not is_blocked("64:ff9b::8.8.8.8", DEFAULT)
    assert is_blocked("64:ff9b::10.0.0.1", DEFAULT)
    assert not is_blocked("64:ff9b::10.0.0.1", allowing("10.0.0.0/8"))


# --- FETCH_ALLOW_HOSTS entries with a port -----------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "host"),
    [("10.0.0.5:8080", "10.0.0.5"), ("10.0.0.0/8:8080", "10.9.9.9"), ("[fd00::1]:8080", "fd00::1"),
     ("[fec0::/10]:8080", "fec0::9"), ("64:ff9b::a00:5", "64:ff9b::a00:5")],
)  # fmt: skip
def test_an_entry_with_a_port_opens_that_port_only(entry: str, host: str) -> None:
    settings = allowing(entry)
    if ":8080" in entry:
        assert resolve_checked(host, 8080, settings) == str(ipaddress.ip_address(host))
        for port in (80, 443, 8081):
            with pytest.raises(BlockedAddress):
                resolve_checked(host, port, settings)
    else:
        assert resolve_checked(host, 80, settings)


def test_a_host_name_with_a_port_is_trusted_on_that_port_only() -> None:
    settings = allowing("LocalHost.:8080")
    assert resolve_checked("localhost", 8080, settings) in ("127.0.0.1", "::1")
    with pytest.raises(BlockedAddress):
        resolve_checked("localhost", 80, settings)


# --- real fetches of the loopback rows, in this process ---------------------------------------------


class _PlainPage(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = b"<html><body><p>The IPv6 loopback site.</p></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _V6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True


@pytest.fixture(scope="module")
def v6_site_port() -> Iterator[int]:
    """A page on [::1], for the IPv6 loopback rows (the shared test site listens on 127.0.0.1 only)."""
    try:
        server = _V6Server(("::1", 0), _PlainPage)
    except OSError as exc:
        pytest.skip(f"no IPv6 loopback here: {exc}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def port_for(target: Target, request: pytest.FixtureRequest) -> int:
    if target.port:
        return target.port
    if target.ipv6:
        return request.getfixturevalue("v6_site_port")
    return request.getfixturevalue("web_site").port


@pytest.mark.parametrize("target", LOOPBACK, ids=target_id)
def test_a_loopback_target_is_refused_on_a_real_fetch(target: Target, web_site, request) -> None:
    before = web_site.hits("/ssrf/probe")
    with pytest.raises(BlockedAddress):
        fetch(target.url(port_for(target, request), "/ssrf/probe"), DEFAULT)
    assert web_site.hits("/ssrf/probe") == before


SERVED = {"127.0.0.1", "::1", "0.0.0.0", "::", "::ffff:127.0.0.1"}  # where the local sites answer


@pytest.mark.parametrize("target", [t for t in LOOPBACK if t.address in SERVED and not t.port], ids=target_id)
def test_a_loopback_target_is_fetched_once_listed(target: Target, request) -> None:
    page = fetch(target.url(port_for(target, request), "/news/short-article"), allowing(allow_entry(target)))
    assert page.status == 200 and "<p>" in page.text


def test_an_allowed_port_is_fetched_and_another_port_on_the_same_host_is_not(web_site) -> None:
    settings = allowing(f"127.0.0.1:{web_site.port}")
    assert fetch(web_site.url("/news/short-article"), settings).status == 200
    with pytest.raises(BlockedAddress):
        fetch(web_site.url("/redirect/to?url=http://127.0.0.1:6379/"), settings)


@pytest.mark.parametrize("url", NOT_WEB + WITH_CREDENTIALS)
def test_a_link_that_is_not_a_plain_web_address_is_refused_as_given(url: str, web_site) -> None:
    with pytest.raises(InputError):
        fetch(url.format(port=web_site.port), allowing("127.0.0.0/8", "::1", "localhost"))


# --- the namespace: DNS names, redirects, and non-loopback targets --------------------------------

SITE_NAME = "site.test"


def hosts_file() -> str:
    lines = ["127.0.0.1 localhost", "::1 localhost", f"127.0.0.1 {SITE_NAME}"]
    lines += [f"{t.address} {t.name}" for t in NAMED]
    return "\n".join(lines) + "\n"


def fetch_each(payload: dict) -> dict:
    """Inside the namespace: fetch every case with the real bot.fetch; the outcome's class name each.

    ``{site}`` in a URL is the local test site started here, reached by its allowed name.
    """
    from tests.fixtures.web import WebSite, _Server

    server = _Server()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site = WebSite(server).base_url.replace("127.0.0.1", SITE_NAME)
    settings = Settings(_env_file=None, fetch_allow_hosts=[SITE_NAME], fetch_timeout=3, fetch_deadline=6)
    outcomes = {}
    for case, url in payload["fetch"].items():
        try:
            page = fetch(url.replace("{site}", site), settings)
            outcomes[case] = f"fetched {page.url}"
        except BotError as exc:
            outcomes[case] = type(exc).__name__
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
            outcomes[case] = f"foreign {exc!r}"
    for case, (name, entry) in payload["resolve"].items():
        try:
            outcomes[case] = resolve_checked(name, 80, allowing(entry))
        except BotError as exc:
            outcomes[case] = type(exc).__name__
    server.shutdown()
    return outcomes


def redirect_to(location: str) -> str:
    return "{site}/redirect/to?url=" + quote(location, safe="")


def isolated_cases() -> dict:
    fetches, resolves = {}, {}
    for target in TARGETS:
        fetches[f"direct {target_id(target)}"] = target.url(8000)
        fetches[f"redirect {target_id(target)}"] = redirect_to(target.url(8000, "/latest/meta-data/"))
    for target in NAMED:
        named = Target(target.name, target.address, port=target.port)
        fetches[f"name {target.name}"] = named.url()
        fetches[f"name-redirect {target.name}"] = redirect_to(named.url(path="/admin"))
        resolves[f"listed-name {target.name}"] = (target.name, target.name)
        resolves[f"listed-address {target.name}"] = (target.name, target.address)
    for url in [*NOT_WEB, *WITH_CREDENTIALS, "http://admin:admin@169.254.169.254/"]:
        fetches[f"redirect {url}"] = redirect_to(url.format(port=8000))
    fetches["the site itself, allowed by name"] = "{site}/news/short-article"
    return {"fetch": fetches, "resolve": resolves}


@pytest.fixture(scope="module")
def isolated(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Every namespace case, run once in one child process."""
    hosts = tmp_path_factory.mktemp("ssrf") / "hosts"
    hosts.write_text(hosts_file(), encoding="utf-8")
    return run_isolated("tests.test_ssrf_matrix:fetch_each", isolated_cases(), {"/etc/hosts": hosts})


@pytest.mark.parametrize("target", TARGETS, ids=target_id)
def test_every_target_is_refused_on_a_real_fetch_in_isolation(isolated: dict, target: Target) -> None:
    assert isolated[f"direct {target_id(target)}"] == "BlockedAddress"


@pytest.mark.parametrize("target", TARGETS, ids=target_id)
def test_every_target_is_refused_when_a_redirect_leads_to_it(isolated: dict, target: Target) -> None:
    assert isolated[f"redirect {target_id(target)}"] == "BlockedAddress"


@pytest.mark.parametrize("target", NAMED, ids=lambda t: t.name)
def test_a_dns_name_for_a_target_is_refused(isolated: dict, target: Target) -> None:
    assert isolated[f"name {target.name}"] == "BlockedAddress"


@pytest.mark.parametrize("target", NAMED, ids=lambda t: t.name)
def test_a_redirect_to_a_dns_name_for_a_target_is_refused(isolated: dict, target: Target) -> None:
    assert isolated[f"name-redirect {target.name}"] == "BlockedAddress"


@pytest.mark.parametrize("target", NAMED, ids=lambda t: t.name)
def test_a_dns_name_for_a_target_passes_once_its_name_or_address_is_listed(isolated: dict, target: Target) -> None:
    for how in ("listed-name", "listed-address"):
        assert ipaddress.ip_address(isolated[f"{how} {target.name}"]) == ipaddress.ip_address(target.address)


@pytest.mark.parametrize("url", [*NOT_WEB, *WITH_CREDENTIALS, "http://admin:admin@169.254.169.254/"])
def test_a_redirect_to_a_link_that_is_not_a_plain_web_address_is_refused(isolated: dict, url: str) -> None:
    assert isolated[f"redirect {url}"] == "BlockedAddress"


def test_the_site_allowed_by_name_is_fetched_in_isolation(isolated: dict) -> None:
    """The control: the redirecting site itself works, so the refusals above are the guard's doing."""
    assert isolated["the site itself, allowed by name"].startswith(f"fetched http://{SITE_NAME}:")
