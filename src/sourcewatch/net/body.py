"""Reading a response body under the caps: on the wire, then decompressed."""

from __future__ import annotations

import httpx

from sourcewatch.net.content_coding import CappedDecoder, ContentDecodeError, DecodeLimitExceeded
from sourcewatch.net.errors import BadContentEncoding, ResponseTooLarge


async def read_capped(
    url: str, response: httpx.Response, *, wire_cap: int, decoded_cap: int
) -> bytes:
    """The decoded body; ResponseTooLarge past either cap, BadContentEncoding if corrupt."""
    declared = content_length(response.headers.get("content-length"))
    if declared is not None and declared > wire_cap:
        raise ResponseTooLarge(
            url,
            f"Content-Length {declared} bytes is over the {wire_cap}-byte cap",
            limit=wire_cap,
            declared_size=declared,
        )
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
