"""Fetching on behalf of a source: every failure becomes a CollectorError naming it.

Shared by the feed, web and wordpress collectors. URLs that come from fetched
content (article links, discovered feeds, attachments) are fetched with the
private-address guard on: a hostile feed must not steer us into the LAN.
"""

from __future__ import annotations

from sourcewatch.collectors.base import CollectContext, CollectorError
from sourcewatch.collectors.bytebudget import Claim
from sourcewatch.net import Fetched, FetchError
from sourcewatch.sources.config import SourceConfig


async def fetch_for(
    source: SourceConfig,
    ctx: CollectContext,
    url: str,
    *,
    what: str,
    kind: str = "page",
    etag: str | None = None,
    last_modified: str | None = None,
    max_bytes: int | None = None,
    from_content: bool = False,
    claim: Claim | None = None,
) -> Fetched:
    """Fetch ``url`` for ``source``; transport failures raise CollectorError. With a
    ``claim`` (``ctx.cpu.claim()``), the body is read within the daemon's byte budget."""
    try:
        return await ctx.http.fetch(
            url,
            kind=kind,
            proxy=source.proxy,
            etag=etag,
            last_modified=last_modified,
            max_bytes=max_bytes,
            guard_private=from_content,
            source=source.name,
            claim=claim,
        )
    except FetchError as exc:
        raise CollectorError(source.name, f"{what}: {exc}", retry_after=exc.retry_after) from exc


def require_ok(source: SourceConfig, fetched: Fetched, what: str) -> None:
    """CollectorError unless the answer is 2xx; 429/503 carry the server's Retry-After."""
    if fetched.ok:
        return
    retry_after = fetched.retry_after if fetched.status in (429, 503) else None
    raise CollectorError(
        source.name, f"{what} {fetched.url} answered HTTP {fetched.status}", retry_after=retry_after
    )
