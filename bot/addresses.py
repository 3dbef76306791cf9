"""Which addresses may be fetched: the SSRF rule, in one place.

A link in Slack is untrusted input, and the worker that follows it sits inside someone's network.
Private, loopback, link-local and other non-global addresses are refused unless FETCH_ALLOW_HOSTS lists
them (by CIDR or host name). :mod:`bot.transport` applies this rule where each socket is opened, after
DNS, on every redirect hop; the tests call it directly to check every spelling of an internal address.

    resolve_checked("example.com", 443, settings)   # the IP to connect to, or BlockedAddress
    is_blocked("169.254.169.254", settings)         # True
"""

from __future__ import annotations

import ipaddress
import logging
import socket

from requests_hardened.ip_filter import EXTRA_BLOCKED_NET_RANGES

from bot.config import Settings
from bot.errors import BlockedAddress, FetchError

__all__ = ["IPAddress", "check_address", "is_blocked", "resolve_checked"]

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


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
