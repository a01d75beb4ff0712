"""Retro-hunt: re-match stored items after the watchlists changed.

Analysts add a name and want every past mention. Items are read in id order in
batches (keyset paging, so memory stays flat), their current revision is matched
again, its stored matches replaced, and items that now match are queued.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from sourcewatch.ingest.matches import ItemContent, match_and_queue
from sourcewatch.records import Progress, utcnow
from sourcewatch.sources.config import SourceConfig
from sourcewatch.store import rollup
from sourcewatch.store.sql import AnyRow, AnySelect
from sourcewatch.store.tables import ITEM, MATCH, SOURCE
from sourcewatch.workspace import Workspace


@dataclass
class RescanReport:
    items: int = 0
    matched: int = 0  # items whose current revision has at least one match now
    matches: int = 0
    queued: int = 0

    def to_json(self) -> dict[str, int]:
        return asdict(self)


def rescan(
    ws: Workspace,
    *,
    since: timedelta | None = None,
    batch_size: int = 2000,
    progress: Progress | None = None,
) -> RescanReport:
    matcher = ws.load_matcher()  # always the files as they are now
    report = RescanReport()
    now = utcnow()
    cutoff = now - since if since else None
    with ws.engine.connect() as conn:
        sources = {row.id: _source_config(row) for row in conn.execute(sa.select(SOURCE))}
        total = conn.execute(_count_query(cutoff)).scalar_one()
    last_id = 0
    while True:
        with ws.engine.begin() as conn:
            rows = conn.execute(_batch_query(cutoff, last_id, batch_size)).all()
            if not rows:
                break
            last_id = rows[-1].id
            by_source: dict[int, list[ItemContent]] = {}
            for row in rows:
                by_source.setdefault(row.source_id, []).append(
                    ItemContent(row.id, row.revision, row.title, row.text)
                )
            before = rollup.entity_counts(conn, [row.id for row in rows])
            for source_id, contents in by_source.items():
                stored, queued = match_and_queue(
                    conn, matcher, sources[source_id], contents, now, replace=True
                )
                report.matches += stored
                report.queued += queued
            after = rollup.entity_counts(conn, [row.id for row in rows])
            rollup.entities_changed(conn, before, after)  # the matches were replaced
            report.items += len(rows)
        if progress:
            progress(report.items, total)
    with ws.engine.connect() as conn:
        report.matched = conn.execute(_matched_query(cutoff)).scalar_one()
    return report


def _in_window(cutoff: datetime | None) -> list[sa.ColumnElement[bool]]:
    if cutoff is None:
        return []
    return [sa.func.coalesce(ITEM.c.published_at, ITEM.c.collected_at) >= cutoff]


def _count_query(cutoff: datetime | None) -> sa.Select[int]:
    return sa.select(sa.func.count()).select_from(ITEM).where(*_in_window(cutoff))


def _batch_query(cutoff: datetime | None, after_id: int, limit: int) -> AnySelect:
    return (
        sa.select(ITEM.c.id, ITEM.c.source_id, ITEM.c.revision, ITEM.c.title, ITEM.c.text)
        .where(ITEM.c.id > after_id, *_in_window(cutoff))
        .order_by(ITEM.c.id)
        .limit(limit)
    )


def _matched_query(cutoff: datetime | None) -> sa.Select[int]:
    current = sa.and_(MATCH.c.item_id == ITEM.c.id, MATCH.c.revision == ITEM.c.revision)
    return (
        sa.select(sa.func.count())
        .select_from(ITEM)
        .where(sa.exists().where(current), *_in_window(cutoff))
    )


def _source_config(row: AnyRow) -> SourceConfig:
    # The Source row mirrors the watch list, so it serves for removed sources too.
    return SourceConfig(
        name=row.name,
        kind=row.kind,
        target=row.target,
        interval=row.interval_seconds,
        areas=tuple(row.areas or ()),
        weight=row.weight,
        queue_all=row.queue_all,
        enabled=row.enabled,
    )
