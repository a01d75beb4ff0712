"""The one shared HTTP client. No other module creates an httpx client.

Usage::

    async with Http(settings.net) as http:
        fetched = await http.fetch(url, etag=state.etag, source=source.name)
        if fetched.not_modified: ...
        archive(fetched.capture); text = fetched.text()
"""

from sourcewatch.net.body import BodyClaim
from sourcewatch.net.client import Http
from sourcewatch.net.decoding import DecodedText, decode_body
from sourcewatch.net.errors import (
    BadContentEncoding,
    BlockedAddress,
    BodyDeferred,
    ConnectFailed,
    FetchError,
    FetchTimeout,
    NameNotResolved,
    ResponseTooLarge,
    RetryLater,
    TooManyRedirects,
)
from sourcewatch.net.response import Fetched, Redirect

__all__ = [
    "BadContentEncoding",
    "BlockedAddress",
    "BodyClaim",
    "BodyDeferred",
    "ConnectFailed",
    "DecodedText",
    "FetchError",
    "FetchTimeout",
    "Fetched",
    "Http",
    "NameNotResolved",
    "Redirect",
    "ResponseTooLarge",
    "RetryLater",
    "TooManyRedirects",
    "decode_body",
]
