"""Which addresses may be fetched: the SSRF rule, in one place.

A link in Slack is untrusted input, and the worker that follows it sits inside someone's network.
Every special-purpose address (private, loopback, link-local, the IANA registries' other ranges, and
IPv6 forms that carry one of them) is refused unless FETCH_ALLOW_HOSTS lists it (by address, CIDR or
host name, on any port or one). :mod:`bot.transport` applies this rule where each socket is opened,
after DNS, on every redirect hop; the tests call it directly to check every spelling of an internal address.

    resolve_checked("example.com", 443, settings)   # the IP to connect to, or BlockedAddress
    is_blocked("169.254.169.254", settings)         # True
"""

from __future__ import annotations

import ipaddress
import logging
import socket

from bot.config import Settings
from bot.errors import BlockedAddress, FetchError

__all__ = ["SPECIAL_PURPOSE", "IPAddress", "check_address", "is_blocked", "resolve_checked"]

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Every range of the IANA special-purpose address registries (iana-ipv4-special-registry and
# iana-ipv6-special-registry, as of 2025), with the RFC that assigns it, plus the multicast and deprecated
# site-local blocks. All are refused, even those the registry marks globally reachable (anycast relays,
# AS112, AMT): no article lives there, and Python's ``is_global`` misses several (fec0::/10, 3fff::/20,
# 5f00::/16, 192.0.0.0/24 ...). IPv6 outside 2000::/3 is refused as a whole besides (see _V6_UNICAST).
SPECIAL_PURPOSE: tuple[tuple[str, str, str], ...] = (
    ("0.0.0.0/8", "this network", "RFC 791"),
    ("10.0.0.0/8", "private use", "RFC 1918"),
    ("100.64.0.0/10", "shared address space (carrier-grade NAT)", "RFC 6598"),
    ("127.0.0.0/8", "loopback", "RFC 1122"),
    ("169.254.0.0/16", "link local (cloud metadata)", "RFC 3927"),
    ("172.16.0.0/12", "private use", "RFC 1918"),
    ("192.0.0.0/24", "IETF protocol assignments (incl. PCP/TURN anycast, NAT64 discovery)", "RFC 6890"),
    ("192.0.2.0/24", "documentation (TEST-NET-1)", "RFC 5737"),
    ("192.31.196.0/24", "AS112-v4", "RFC 7535"),
    ("192.52.193.0/24", "AMT", "RFC 7450"),
    ("192.88.99.0/24", "6to4 relay anycast (deprecated)", "RFC 7526"),
    ("192.168.0.0/16", "private use", "RFC 1918"),
    ("192.175.48.0/24", "direct delegation AS112 service", "RFC 7534"),
    ("198.18.0.0/15", "benchmarking", "RFC 2544"),
    ("198.51.100.0/24", "documentation (TEST-NET-2)", "RFC 5737"),
    ("203.0.113.0/24", "documentation (TEST-NET-3)", "RFC 5737"),
    ("224.0.0.0/4", "multicast", "RFC 5771"),
    ("240.0.0.0/4", "reserved", "RFC 1112"),
    ("255.255.255.255/32", "limited broadcast", "RFC 919"),
    ("::/128", "unspecified", "RFC 4291"),
    ("::1/128", "loopback", "RFC 4291"),
    ("::/96", "IPv4-compatible (deprecated)", "RFC 4291"),
    ("::ffff:0:0:0/96", "IPv4-translated (SIIT)", "RFC 2765"),
    ("64:ff9b:1::/48", "local-use IPv4/IPv6 translation", "RFC 8215"),
    ("100::/64", "discard-only", "RFC 6666"),
    ("100:0:0:1::/64", "dummy IPv6 prefix", "RFC 9780"),
    ("2001::/23", "IETF protocol assignments", "RFC 2928"),
    ("2001::/32", "Teredo", "RFC 4380"),
    ("2001:2::/48", "benchmarking", "RFC 5180"),
    ("2001:3::/32", "AMT", "RFC 7450"),
    ("2001:4:112::/48", "AS112-v6", "RFC 7535"),
    ("2001:10::/28", "ORCHID (deprecated)", "RFC 4843"),
    ("2001:20::/28", "ORCHIDv2", "RFC 7343"),
    ("2001:30::/28", "drone remote ID entity tags", "RFC 9374"),
    ("2001:db8::/32", "documentation", "RFC 3849"),
    ("2002::/16", "6to4", "RFC 3056"),
    ("2620:4f:8000::/48", "direct delegation AS112 service", "RFC 7534"),
    ("3fff::/20", "documentation", "RFC 9637"),
    ("5f00::/16", "segment routing (SRv6) SIDs", "RFC 9602"),
    ("fc00::/7", "unique local (incl. fd00:ec2::254, cloud metadata)", "RFC 4193"),
    ("fe80::/10", "link-local unicast", "RFC 4291"),
    ("fec0::/10", "site-local (deprecated, still routed in some networks)", "RFC 3879"),
    ("ff00::/8", "multicast", "RFC 4291"),
)
_SPECIAL = tuple(ipaddress.ip_network(cidr) for cidr, _what, _rfc in SPECIAL_PURPOSE)
_V6_UNICAST = ipaddress.IPv6Network("2000::/3")  # global unicast (RFC 4291 2.4); the rest is unassigned or special
# Forms whose connection really goes to the IPv4 address they carry: judged as that address.
_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")  # IPv4-mapped (RFC 4291 2.5.5.2)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # well-known NAT64 prefix (RFC 6052): DNS64 hands these out


def is_blocked(ip: IPAddress | str, settings: Settings, port: int | None = None) -> bool:
    """True when ``ip`` is in a special-purpose range and FETCH_ALLOW_HOSTS does not open it (on ``port``).

    IPv4-mapped (``::ffff:127.0.0.1``) and NAT64 (``64:ff9b::7f00:1``) addresses are judged as the IPv4
    address they carry, and an allow-list entry for either spelling opens them. 6to4 and Teredo
    addresses are refused whatever they carry (their relays reach the embedded IPv4 address, and both
    are deprecated), as are IPv4-compatible ones; only listing the IPv6 address itself opens them.
    """
    ip = ipaddress.ip_address(ip)
    carried = _carried_ipv4(ip)
    rules = settings.allow_rules()
    if any(rule.opens(address, port) for rule in rules for address in (ip, carried) if address is not None):
        return False
    return _special(carried if carried is not None else ip)


def _carried_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip in _MAPPED:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _special(ip: IPAddress) -> bool:
    """In the table, outside IPv6 global unicast, or not global by Python's own (older, shorter) list."""
    if isinstance(ip, ipaddress.IPv6Address) and ip not in _V6_UNICAST:
        return True
    return any(ip in network for network in _SPECIAL if network.version == ip.version) or not ip.is_global


def check_address(ip: IPAddress | str, settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Raise :class:`BlockedAddress` unless ``ip`` may be fetched (``host`` only names it in the message)."""
    if is_blocked(ip, settings, port):
        logger.info("refused to fetch from %s (%s) port %s: not a public address", host or ip, ip, port)
        raise BlockedAddress(
            f"That link points to a private or internal address ({host or ip}), which this app is not allowed to fetch."
        )


def resolve_checked(host: str, port: int, settings: Settings) -> str:
    """The address to connect to for ``host``, after the guard has passed it.

    IP literals, including odd spellings such as ``2130706433`` or ``0x7f.1``, are read without DNS.
    A host name listed in FETCH_ALLOW_HOSTS (on this port, if the entry names one) is trusted whatever
    it resolves to.
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
    name = host.lower().rstrip(".")
    if not any(rule.opens_name(name, port) for rule in settings.allow_rules()):
        check_address(ip, settings, host, port)
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
