"""Transport failures of the shared HTTP client.

A non-2xx answer is not an error here (the caller gets it as a :class:`Fetched`);
these are the cases where no usable answer arrived at all. Every message names
the URL and the problem, so a collector can wrap it in a ``CollectorError``
without adding guesswork.
"""

from __future__ import annotations

import socket
import ssl

# getaddrinfo codes that mean "the resolver answered: no such name" (NXDOMAIN, or a
# name without addresses). Every other resolver failure (EAI_AGAIN: SERVFAIL, timeout,
# no resolver reachable) says nothing about the name at all.
_NO_SUCH_NAME = frozenset(
    code
    for code in (
        getattr(socket, "EAI_NONAME", None),
        getattr(socket, "EAI_NODATA", None),
        getattr(socket, "EAI_ADDRFAMILY", None),
    )
    if code is not None
)


class FetchError(Exception):
    """No usable response for ``url``. ``retry_after`` (seconds) is set when the
    server said when to come back (a Retry-After longer than the client waits)."""

    def __init__(self, url: str, problem: str, *, retry_after: float | None = None):
        self.url = url
        self.problem = problem
        self.retry_after = retry_after
        super().__init__(f"{url}: {problem}")


class FetchTimeout(FetchError):
    """Connect, read or whole-exchange timeout."""


class ConnectFailed(FetchError):
    """DNS failure, refused or reset connection, TLS failure (after retries)."""


class NameNotResolved(ConnectFailed):
    """The host name did not resolve (DNS of any kind). Not retried inside one fetch:
    the system resolver already retried, and with no network every retry only waits.

    ``no_such_name`` is True when the resolver answered that the name does not exist
    (NXDOMAIN), False when it failed to answer (SERVFAIL, timeout, no resolver). Neither
    proves that a site is gone: a registrar, a resolver or the analyst's network can
    all be down for a day, so callers treat both as *unreachable*.
    """

    def __init__(self, url: str, problem: str, *, no_such_name: bool) -> None:
        super().__init__(url, problem)
        self.no_such_name = no_such_name


class ResponseTooLarge(FetchError):
    """The body (on the wire or decompressed) passed its cap; the stream was aborted.

    ``declared_size`` is the Content-Length the server announced, when it did.
    """

    def __init__(
        self, url: str, problem: str, *, limit: int, declared_size: int | None = None
    ) -> None:
        super().__init__(url, problem)
        self.limit = limit
        self.declared_size = declared_size


class TooManyRedirects(FetchError):
    """More redirects than allowed, a loop, or a redirect without a usable Location."""


class BlockedAddress(FetchError):
    """The host resolves to a loopback, private, link-local or reserved address, or the
    URL scheme is not http(s)."""


class RetryLater(FetchError):
    """The server asked (429/503 Retry-After) for a pause longer than the client waits."""


class BodyDeferred(FetchError):
    """No room for the body in the daemon's memory budget in time: not read, and the
    poll is retried (collectors/bytebudget.py)."""


class BadContentEncoding(FetchError):
    """The body claims gzip/deflate/br but does not decompress."""


def resolver_failure(exc: BaseException) -> socket.gaierror | None:
    """The ``socket.gaierror`` behind ``exc`` (walking causes and contexts), if any.

    httpx/httpcore wrap the resolver's error in ``ConnectError``; only the chain says
    whether a failed connection was a DNS failure or a refused/reset one.
    """
    seen: BaseException | None = exc
    hops = 0
    while seen is not None and hops < 20:
        if isinstance(seen, socket.gaierror):
            return seen
        seen = seen.__cause__ or seen.__context__
        hops += 1
    return None


def tls_failure(exc: BaseException) -> bool:
    """True when an ``ssl.SSLError`` (handshake, certificate) is behind ``exc``."""
    seen: BaseException | None = exc
    hops = 0
    while seen is not None and hops < 20:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
        hops += 1
    return False


def name_not_resolved(url: str, host: str, error: socket.gaierror) -> NameNotResolved:
    """The NameNotResolved for ``error``, with the resolver's own words kept."""
    no_such_name = error.errno in _NO_SUCH_NAME
    what = "no such host" if no_such_name else "resolver failed"
    return NameNotResolved(
        url, f"cannot resolve host {host!r} ({what}): {error}", no_such_name=no_such_name
    )
