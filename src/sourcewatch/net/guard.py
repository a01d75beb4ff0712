"""Refuse URLs that point into our own network.

``snapshot`` and ``cite`` fetch URLs taken from documents and pages, which an
adversary can write: without this check a footnote could make us fetch
``http://169.254.169.254/`` or an admin panel on the LAN. The host is resolved
and every address it resolves to must be globally routable.

Known limit: the check resolves the name, then httpx resolves it again to
connect, so a DNS server that answers differently the second time (rebinding)
is not stopped here. Running behind a proxy that enforces the same rule closes it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from sourcewatch.net.errors import BlockedAddress, FetchError, name_not_resolved

ALLOWED_SCHEMES = ("http", "https")


def check_url(url: str) -> None:
    """Only absolute http(s) URLs with a host and a valid port; FetchError otherwise
    (BlockedAddress for another scheme)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError when out of range)
    except ValueError as exc:
        raise FetchError(url, f"invalid URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise BlockedAddress(url, f"scheme {scheme or '(none)'!r} is not http or https")
    if not parts.hostname:
        raise FetchError(url, "invalid URL: no host")


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or not ip.is_global
    )


async def check_public_host(url: str) -> None:
    """Raise BlockedAddress unless every address of the URL's host is public."""
    check_url(url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    try:
        ipaddress.ip_address(host)
        addresses = [host]
    except ValueError:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise name_not_resolved(url, host, exc) from exc
        except UnicodeError as exc:  # the IDNA codec refuses the name
            raise FetchError(url, f"invalid host name {host!r}: {exc}") from exc
        addresses = sorted({str(info[4][0]) for info in infos})
    blocked = [a for a in addresses if not is_public_address(a)]
    if blocked:
        raise BlockedAddress(
            url,
            f"host {host!r} resolves to non-public address {', '.join(blocked)} "
            "(set net.allow_private_addresses to allow)",
        )
