"""Transport failures of the shared HTTP client.

A non-2xx answer is not an error here (the caller gets it as a :class:`Fetched`);
these are the cases where no usable answer arrived at all. Every message names
the URL and the problem, so a collector can wrap it in a ``CollectorError``
without adding guesswork.
"""

from __future__ import annotations


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


class BadContentEncoding(FetchError):
    """The body claims gzip/deflate/br but does not decompress."""
