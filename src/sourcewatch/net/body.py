"""Reading a response body under the caps (on the wire, then decompressed) and, for the
daemon, within its memory budget for bodies (:class:`BodyClaim`)."""

from __future__ import annotations

from typing import Protocol

import httpx

from sourcewatch.net.content_coding import CappedDecoder, ContentDecodeError, DecodeLimitExceeded
from sourcewatch.net.errors import BadContentEncoding, BodyDeferred, ResponseTooLarge

# Room asked for a body that gives no Content-Length, before its first byte; doubled as
# the body outgrows it. Not the size cap: a slow answer without a length (slowloris, or
# just a chunked feed) would hold 20 MiB of the budget for minutes.
UNKNOWN_LENGTH_ROOM = 1024 * 1024


class BodyClaim(Protocol):
    """Room for one body in the caller's memory budget (collectors/bytebudget.Claim)."""

    async def grow_to(self, nbytes: int) -> bool:
        """Hold room for ``nbytes``; False when there was none in time."""
        ...

    def full_for(self) -> str:
        """Why there was no room, for the error."""
        ...


async def read_capped(
    url: str,
    response: httpx.Response,
    *,
    wire_cap: int,
    decoded_cap: int,
    claim: BodyClaim | None = None,
) -> bytes:
    """The decoded body; ResponseTooLarge past either cap, BadContentEncoding if corrupt.
    With a ``claim``, room is held before the first byte is read (the Content-Length, or
    :data:`UNKNOWN_LENGTH_ROOM`) and grown as the decoded body outgrows it;
    BodyDeferred when the budget has none in time."""
    declared = content_length(response.headers.get("content-length"))
    if declared is not None and declared > wire_cap:
        raise ResponseTooLarge(
            url,
            f"Content-Length {declared} bytes is over the {wire_cap}-byte cap",
            limit=wire_cap,
            declared_size=declared,
        )
    room = 0
    if claim is not None:
        room = await _room(url, claim, declared if declared is not None else UNKNOWN_LENGTH_ROOM)
    decoder = CappedDecoder(response.headers.get("content-encoding"), decoded_cap)
    received = 0
    try:
        async for chunk in response.aiter_raw():
            received += len(chunk)
            if received > wire_cap:
                raise ResponseTooLarge(
                    url,
                    f"body over the {wire_cap}-byte cap; download aborted",
                    limit=wire_cap,
                    declared_size=declared,
                )
            decoder.feed(chunk)
            if claim is not None and decoder.size > room:
                room = await _room(url, claim, min(decoded_cap, max(decoder.size, 2 * room)))
        return decoder.finish()
    except DecodeLimitExceeded:
        raise ResponseTooLarge(
            url,
            f"decompressed body over the {decoded_cap}-byte cap "
            f"({received} bytes on the wire; a compression bomb?)",
            limit=decoded_cap,
            declared_size=declared,
        ) from None
    except ContentDecodeError as exc:
        coding = response.headers.get("content-encoding")
        raise BadContentEncoding(url, f"body is not valid {coding}: {exc}") from exc


async def _room(url: str, claim: BodyClaim, nbytes: int) -> int:
    if not await claim.grow_to(nbytes):
        raise BodyDeferred(url, claim.full_for())
    return nbytes


def content_length(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())


def flatten_headers(headers: httpx.Headers) -> dict[str, str]:
    """Lower-cased names; repeated headers joined with ", " as HTTP allows."""
    flat: dict[str, str] = {}
    for name, value in headers.multi_items():
        key = name.lower()
        flat[key] = f"{flat[key]}, {value}" if key in flat else value
    return flat
