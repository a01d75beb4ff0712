"""Poll one source now: run its collector, ingest the result, record its health."""

from __future__ import annotations

import asyncio
from datetime import datetime

import sqlalchemy as sa

from sourcewatch.collectors import get_collector
from sourcewatch.collectors.base import CollectContext, CollectorError, SourceState
from sourcewatch.ingest import IngestReport, ingest
from sourcewatch.models import Source
from sourcewatch.net import FetchError, Http
from sourcewatch.records import utcnow
from sourcewatch.sources import SourceConfig
from sourcewatch.sourcesync import ensure_source
from sourcewatch.workspace import Workspace

_SOURCE = Source.__table__


def load_state(ws: Workspace, source: SourceConfig) -> SourceState:
    with ws.engine.begin() as conn:
        source_id = ensure_source(conn, source)
        row = conn.execute(sa.select(_SOURCE).where(_SOURCE.c.id == source_id)).one()
    cursor = dict(row.cursor or {})
    return SourceState(
        cursor=cursor,
        etag=row.etag,
        last_modified=row.last_modified,
        body_sha256=cursor.get("body_sha256"),
    )


async def poll_source(ws: Workspace, source: SourceConfig, http: Http) -> IngestReport:
    """Poll ``source`` once. A failure is recorded on the source and raised as CollectorError."""
    started = utcnow()
    state = await asyncio.to_thread(load_state, ws, source)
    collector = get_collector(source.kind)
    try:
        result = await collector.poll(source, state, CollectContext(ws.settings, http))
    except CollectorError as exc:
        await asyncio.to_thread(record_failure, ws, source, str(exc), started)
        raise
    except FetchError as exc:
        await asyncio.to_thread(record_failure, ws, source, str(exc), started)
        raise CollectorError(source.name, str(exc)) from exc
    report = await asyncio.to_thread(ingest, ws, source, result)
    await asyncio.to_thread(record_success, ws, source, started)
    return report


def record_success(ws: Workspace, source: SourceConfig, when: datetime) -> None:
    with ws.engine.begin() as conn:
        conn.execute(
            sa.update(_SOURCE)
            .where(_SOURCE.c.name == source.name)
            .values(
                last_polled_at=when, last_success_at=when, last_error=None, consecutive_failures=0
            )
        )


def record_failure(ws: Workspace, source: SourceConfig, error: str, when: datetime) -> None:
    with ws.engine.begin() as conn:
        conn.execute(
            sa.update(_SOURCE)
            .where(_SOURCE.c.name == source.name)
            .values(
                last_polled_at=when,
                last_error=error[:2000],
                consecutive_failures=_SOURCE.c.consecutive_failures + 1,
            )
        )
