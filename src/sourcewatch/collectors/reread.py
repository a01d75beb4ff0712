"""Re-check of stored news items and WordPress posts: has the page been taken down?"""

from __future__ import annotations

import logging

from sourcewatch.collectors.base import CollectContext, CollectorError, ItemRef
from sourcewatch.collectors.webfetch import fetch_for
from sourcewatch.records import ParsedItem, PollResult
from sourcewatch.sources.config import SourceConfig

log = logging.getLogger(__name__)

_MAX_RECHECKS = 50  # pages per call; the scheduler calls again for the rest


async def reread_articles(
    source: SourceConfig, items: list[ItemRef], ctx: CollectContext
) -> PollResult:
    """Look again at stored articles: a 404/410 page becomes a deletion.

    Text edits are found by :func:`poll_feed` when the feed entry changes; the page
    alone lacks the feed's title and media, so it cannot rebuild the same item. Each
    page is read within a claim on the daemon's byte budget, like a polled one: a page
    that finds no room in time is left for the next re-check, with a warning.
    """
    result = PollResult()
    for ref in [r for r in items if r.url][:_MAX_RECHECKS]:
        assert ref.url is not None
        try:
            async with ctx.cpu.claim() as claim:
                fetched = await fetch_for(
                    source, ctx, ref.url, what="re-read", from_content=True, claim=claim
                )
        except CollectorError as exc:  # one unreachable page must not stop the others
            log.warning("%s", exc)
            continue
        if fetched.status in (404, 410):
            result.captures.append(fetched.capture)
            result.items.append(
                ParsedItem(
                    external_id=ref.external_id,
                    url=ref.url,
                    deleted=True,
                    capture_sha256s=[fetched.capture.sha256],
                )
            )
    return result
