"""The SSRF guard: webhook requests go only to public addresses.

A URL is checked after DNS resolution, and *every* address the name resolves to must be
public (global unicast); the request then goes to the checked address itself, so a second
lookup (DNS rebinding) cannot swap in an internal one. Loopback, private, link-local (the
cloud metadata address 169.254.169.254), shared, multicast, reserved and unspecified
addresses are refused in every notation the resolver accepts — decimal (2130706433), octal
(0177.0.0.1), short (127.1) and IPv4-mapped IPv6 (::ffff:127.0.0.1). Redirects are never
followed, so a public URL cannot bounce the request inward either.

`KUNDE_WEBHOOK_ALLOWED_NETWORKS` (CIDR list) opens exceptions, e.g. an internal ERP, and lets
the tests deliver to a receiver on loopback.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeURL(ValueError):
    """The URL may not receive webhooks; the message says why."""


@dataclass(frozen=True)
class Target:
    """Where a checked URL's request goes: the pinned address plus what the request needs."""

    scheme: str
    host: str
    port: int
    address: str
    path: str  # with the query string


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(cidr, strict=False)
            for cidr in getattr(settings, "KUNDE_WEBHOOK_ALLOWED_NETWORKS", [])]


def _unmapped(address: Address) -> Address:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def address_allowed(address: Address) -> bool:
    address = _unmapped(address)
    if any(address in network for network in _allowed_networks()):
        return True
    return address.is_global and not address.is_multicast


def check_url(url: str) -> Target:
    """Return where `url` may be delivered to, or raise UnsafeURL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise UnsafeURL(_("This is not a valid URL.")) from error
    if parts.scheme not in {"http", "https"}:
        raise UnsafeURL(_("Only http and https URLs can receive webhooks."))
    if parts.username or parts.password:
        raise UnsafeURL(_("Credentials in the URL are not allowed; the request is signed instead."))
    host = parts.hostname
    if not host:
        raise UnsafeURL(_("The URL has no host."))
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeURL(_("The host %(host)s cannot be resolved.") % {"host": host}) from error
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    refused = sorted({str(_unmapped(a)) for a in addresses if not address_allowed(a)})
    if refused or not addresses:
        raise UnsafeURL(_("The host %(host)s resolves to an internal address (%(addresses)s); webhooks go only to "
                          "public addresses.") % {"host": host, "addresses": ", ".join(refused)})
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme=parts.scheme, host=host, port=port, address=str(_unmapped(addresses[0])), path=path)
