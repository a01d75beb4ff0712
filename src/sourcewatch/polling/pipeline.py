"""The one poll pipeline: collect, write the bytes, store (retrying the database).

``sourcewatch poll`` (:func:`poll_source`) and the daemon (:func:`run_poll`) run the
same steps:

1. the collector polls, bounded as a whole by ``poll_timeout_seconds`` (a server that
   trickles bytes forever cannot hold a command or a daemon slot);
2. the captures' bytes go to the object store at once, from the poll's own thread:
   whatever happens to the database then, the capture is kept;
3. the result is stored through ``PollContext.store`` (``ingest`` for the CLI, the
   daemon's group-commit batcher), retried for ``ingest_retry_seconds`` when the
   database is briefly away. Retrying is safe: ingest is idempotent and
   all-or-nothing, so a failed attempt stored no row.

They differ only in what follows: the CLI writes the source's health at once and
raises a failure; the daemon gets a :class:`PollOutcome` back and records it with the
lease release and the next poll time, in one transaction (``daemon.leases``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import sqlalchemy as sa

from sourcewatch.collectors.base import CollectContext, CollectorError
from sourcewatch.collectors.cpupool import CpuPool
from sourcewatch.collectors.registry import get_collector
from sourcewatch.ingest.writer import IngestReport, ingest, store_blobs
from sourcewatch.net import FetchError, Http
from sourcewatch.polling.health import PollRecord, outcome_values
from sourcewatch.records import PollResult, SourceState, utcnow
from sourcewatch.sources.config import SourceConfig
from sourcewatch.sources.sync import ensure_source, source_state
from sourcewatch.store.sql import TRANSIENT_DB_ERRORS, retry_transient, short_error
from sourcewatch.store.tables import SOURCE
from sourcewatch.workspace import Workspace

log = logging.getLogger(__name__)

# Stores one poll's result (and returns what was stored); raises what ingest raises.
StoreResult = Callable[[tuple[SourceConfig, PollResult]], Awaitable[IngestReport]]


@dataclass(frozen=True)
class PollContext:
    """What every poll of one run works with: gathered once, passed as one."""

    ws: Workspace
    http: Http
    cpu: CpuPool
    store: StoreResult  # how a result reaches the database


@dataclass(frozen=True)
class PollOutcome:
    source: str
    ok: bool
    seconds: float
    report: IngestReport | None = None
    error: str | None = None
    retry_after: float | None = None


def _noop() -> None:
    pass


async def run_poll(
    ctx: PollContext,
    source: SourceConfig,
    state: SourceState,
    fetched: Callable[[], None] = _noop,
) -> PollOutcome:
    """Poll ``source`` once and store the result (the daemon's entry). Never raises for
    the source's own failures, nor for a bug that one source's input trips: they come
    back in the outcome. ``fetched()`` is called when the collector is done, before the
    result is stored (the daemon frees the poll's fetch slot)."""
    started = time.monotonic()
    try:
        return await _collect_and_store(ctx, source, state, fetched, started)
    except Exception as exc:
        # A collector or ingest bug (a parser tripping on hostile input, an IngestError)
        # costs this source this poll, with a traceback in the log, never the daemon.
        log.exception("poll crashed", extra={"source": source.name})
        message = f"{source.name}: unexpected {type(exc).__name__}: {exc}"
        return PollOutcome(source.name, False, time.monotonic() - started, None, message)


async def _collect_and_store(
    ctx: PollContext,
    source: SourceConfig,
    state: SourceState,
    fetched: Callable[[], None],
    started: float,
) -> PollOutcome:
    policy = ctx.ws.settings.scheduler

    def failed(message: str, retry_after: float | None = None) -> PollOutcome:
        return PollOutcome(
            source.name, False, time.monotonic() - started, None, message, retry_after
        )

    try:
        collector = get_collector(source.kind)
        async with asyncio.timeout(policy.poll_timeout_seconds):
            result = await collector.poll(
                source, state, CollectContext(ctx.ws.settings, ctx.http, ctx.cpu)
            )
    except CollectorError as exc:
        return failed(str(exc), exc.retry_after)
    except FetchError as exc:
        return failed(f"{source.name}: {exc}", exc.retry_after)
    except TimeoutError:
        return failed(f"{source.name}: poll did not finish within {policy.poll_timeout_seconds:g}s")

    fetched()
    # The bytes go to disk at once: whatever happens to the database, the capture is kept
    # (a crash leaves them in the page cache). Ingest makes them durable, with one
    # filesystem sync for a whole batch of polls.
    objects_new = await asyncio.to_thread(store_blobs, ctx.ws, result.captures, durable=False)
    try:
        report = await retry_transient(
            lambda: ctx.store((source, result)),
            policy.ingest_retry_seconds,
            "storing a poll",
            source.name,
        )
    except TRANSIENT_DB_ERRORS as exc:
        return failed(f"{source.name}: database unavailable, result not stored: {short_error(exc)}")
    report.objects_new += objects_new  # ingest found them already stored
    return PollOutcome(source.name, True, time.monotonic() - started, report)


# --- sourcewatch poll ------------------------------------------------------------------


async def poll_source(ws: Workspace, source: SourceConfig, http: Http) -> IngestReport:
    """Poll ``source`` once now (``sourcewatch poll``). Its health is written on its row;
    a failure is raised as CollectorError. Parsing runs on threads, not worker processes:
    one poll gains nothing from starting a process."""

    async def store(poll: tuple[SourceConfig, PollResult]) -> IngestReport:
        return await asyncio.to_thread(ingest, ws, *poll)

    started_at = utcnow()
    state = await asyncio.to_thread(load_state, ws, source)
    cpu = CpuPool(0)
    try:
        outcome = await _collect_and_store(
            PollContext(ws, http, cpu, store), source, state, _noop, time.monotonic()
        )
    finally:
        cpu.close()
    await retry_transient(
        lambda: asyncio.to_thread(
            record_outcome, ws, source, PollRecord(started_at, outcome.ok, outcome.error)
        ),
        ws.settings.scheduler.ingest_retry_seconds,
        "recording a poll",
        source.name,
    )
    if not outcome.ok:
        problem = (outcome.error or "failed").removeprefix(f"{source.name}: ")
        raise CollectorError(source.name, problem, retry_after=outcome.retry_after)
    assert outcome.report is not None
    return outcome.report


def load_state(ws: Workspace, source: SourceConfig) -> SourceState:
    with ws.engine.begin() as conn:
        source_id = ensure_source(conn, source)
        return source_state(conn.execute(sa.select(SOURCE).where(SOURCE.c.id == source_id)).one())


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
