"""Poll one source now: run its collector, ingest the result, record its health."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from sourcewatch.collectors.base import CollectContext, CollectorError, SourceState
from sourcewatch.collectors.registry import get_collector
from sourcewatch.daemon.leases import PollRecord, outcome_values
from sourcewatch.ingest.writer import IngestReport, ingest
from sourcewatch.net import FetchError, Http
from sourcewatch.records import utcnow
from sourcewatch.sources.config import SourceConfig
from sourcewatch.sources.sync import ensure_source, source_state
from sourcewatch.store.sql import retry_transient
from sourcewatch.store.tables import SOURCE
from sourcewatch.workspace import Workspace


def load_state(ws: Workspace, source: SourceConfig) -> SourceState:
    with ws.engine.begin() as conn:
        source_id = ensure_source(conn, source)
        return source_state(conn.execute(sa.select(SOURCE).where(SOURCE.c.id == source_id)).one())


async def poll_source(ws: Workspace, source: SourceConfig, http: Http) -> IngestReport:
    """Poll ``source`` once. A failure is recorded on the source and raised as CollectorError.

    Bounded like a daemon poll by ``[scheduler] poll_timeout_seconds``: a server that
    trickles bytes forever cannot hold the command either.
    """
    started = utcnow()
    state = await asyncio.to_thread(load_state, ws, source)
    collector = get_collector(source.kind)
    limit = ws.settings.scheduler.poll_timeout_seconds

    async def record_failure(error: Exception) -> None:
        await asyncio.to_thread(record_outcome, ws, source, PollRecord(started, False, str(error)))

    try:
        async with asyncio.timeout(limit):
            result = await collector.poll(source, state, CollectContext(ws.settings, http))
    except TimeoutError as exc:
        error = CollectorError(source.name, f"poll did not finish within {limit:g}s")
        await record_failure(error)
        raise error from exc
    except CollectorError as exc:
        await record_failure(exc)
        raise
    except FetchError as exc:
        await record_failure(exc)
        raise CollectorError(source.name, str(exc)) from exc
    # As in the daemon: a database that is briefly away (restarting, locked by a busy
    # daemon) does not cost the capture; the store is tried again for a while.
    retry_seconds = ws.settings.scheduler.ingest_retry_seconds
    report = await retry_transient(
        lambda: asyncio.to_thread(ingest, ws, source, result),
        retry_seconds,
        "storing a poll",
        source.name,
    )
    await retry_transient(
        lambda: asyncio.to_thread(record_outcome, ws, source, PollRecord(started, True)),
        retry_seconds,
        "recording a poll",
        source.name,
    )
    return report


def record_outcome(ws: Workspace, source: SourceConfig, record: PollRecord) -> None:
    """Write the poll's health on the source row, as the daemon does (no lease here)."""
    with ws.engine.begin() as conn:
        failures = conn.execute(
            sa.select(SOURCE.c.consecutive_failures).where(SOURCE.c.name == source.name)
        ).scalar_one()
        conn.execute(
            sa.update(SOURCE)
            .where(SOURCE.c.name == source.name)
            .values(**outcome_values(record, failures))
        )
