"""Re-check a source's recent items for edits and deletions.

Posts are edited and deleted after we first see them, and the deletion is often
the news. For items younger than the window this asks the source's collector
to look at them again (:meth:`Collector.reread`) and ingests what it says:
changed text becomes a new revision, a tombstone sets ``deleted_at``.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import sqlalchemy as sa

from sourcewatch.collectors.base import CollectContext, ItemRef
from sourcewatch.collectors.registry import get_collector
from sourcewatch.ingest.writer import IngestReport, ingest
from sourcewatch.net import Http
from sourcewatch.records import utcnow
from sourcewatch.sources.config import SourceConfig
from sourcewatch.store.tables import ITEM, SOURCE
from sourcewatch.workspace import Workspace


def recent_item_refs(
    ws: Workspace, source_name: str, window: timedelta, now: datetime | None = None
) -> list[ItemRef]:
    """The source's items not known to be deleted, published (or, lacking a date,
    collected) within ``window`` of ``now``, newest first."""
    cutoff = (now or utcnow()) - window
    when = sa.func.coalesce(ITEM.c.published_at, ITEM.c.collected_at)
    query = (
        sa.select(ITEM.c.external_id, ITEM.c.url, ITEM.c.content_hash, ITEM.c.published_at)
        .join(SOURCE, SOURCE.c.id == ITEM.c.source_id)
        .where(SOURCE.c.name == source_name, ITEM.c.deleted_at.is_(None), when >= cutoff)
        .order_by(when.desc(), ITEM.c.id.desc())
    )
    with ws.engine.connect() as conn:
        return [
            ItemRef(
                external_id=row.external_id,
                url=row.url,
                content_hash=row.content_hash,
                published_at=row.published_at,
            )
            for row in conn.execute(query)
        ]


async def reread_source(
    ws: Workspace, source: SourceConfig, http: Http, window: timedelta
) -> IngestReport:
    """Re-check one source's recent items and store what changed.

    Raises the collector's ``CollectorError``/``FetchError`` like a poll does.
    """
    refs = await asyncio.to_thread(recent_item_refs, ws, source.name, window)
    if not refs:
        return IngestReport(source=source.name)
    collector = get_collector(source.kind)
    result = await collector.reread(source, refs, CollectContext(ws.settings, http))
    return await asyncio.to_thread(ingest, ws, source, result)
