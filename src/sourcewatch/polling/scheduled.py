"""One scheduled poll: collect, then store (retrying the database).

Like :func:`sourcewatch.polling.pipeline.poll_source`: the whole poll is bounded by
``poll_timeout_seconds`` (a server that trickles bytes forever cannot hold a slot),
and when the database is briefly away the collected result is stored again and
again for ``ingest_retry_seconds`` (its blobs are already on disk) instead of being
thrown away and re-fetched. Unlike it, the outcome is recorded by the caller
together with the lease release and the next poll time, in one transaction
(``leases.finish_polls``). Storing goes
through ``store``: the daemon's batcher, which writes the results of the polls
that finish together in one transaction (``ingest.ingest_many``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sourcewatch.collectors.base import CollectContext, CollectorError, SourceState
from sourcewatch.collectors.cpupool import CpuPool
from sourcewatch.collectors.registry import get_collector
from sourcewatch.config import SchedulerSettings
from sourcewatch.ingest.writer import IngestReport, store_blobs
from sourcewatch.net import FetchError, Http
from sourcewatch.records import PollResult
from sourcewatch.sources.config import SourceConfig
from sourcewatch.store.sql import TRANSIENT_DB_ERRORS, retry_transient, short_error
from sourcewatch.workspace import Workspace

log = logging.getLogger(__name__)


# Stores one poll's result (and returns what was stored); raises what ingest raises.
StoreResult = Callable[[tuple[SourceConfig, PollResult]], Awaitable[IngestReport]]


@dataclass(frozen=True)
class PollOutcome:
    source: str
    ok: bool
    seconds: float
    report: IngestReport | None = None
    error: str | None = None
    retry_after: float | None = None


async def run_poll(
    ws: Workspace,
    source: SourceConfig,
    state: SourceState,
    http: Http,
    policy: SchedulerSettings,
    store: StoreResult,
    cpu: CpuPool,
    fetched: Callable[[], None] = lambda: None,
) -> PollOutcome:
    """Poll ``source`` once and store the result. Never raises for the source's own
    failures: they come back in the outcome, which the caller records on the source
    (with its next poll time) in one transaction. ``fetched()`` is called when the
    collector is done, before the result is stored."""
    started = time.monotonic()
    try:
        return await _run_poll(ws, source, state, http, policy, store, cpu, fetched, started)
    except Exception as exc:
        # A collector or ingest bug (a parser tripping on hostile input, an IngestError)
        # costs this source this poll, with a traceback in the log, never the daemon.
        log.exception("poll crashed", extra={"source": source.name})
        message = f"{source.name}: unexpected {type(exc).__name__}: {exc}"
        return PollOutcome(source.name, False, time.monotonic() - started, None, message)


async def _run_poll(
    ws: Workspace,
    source: SourceConfig,
    state: SourceState,
    http: Http,
    policy: SchedulerSettings,
    store: StoreResult,
    cpu: CpuPool,
    fetched: Callable[[], None],
    started: float,
) -> PollOutcome:
    def failed(message: str, retry_after: float | None = None) -> PollOutcome:
        return PollOutcome(
            source.name, False, time.monotonic() - started, None, message, retry_after
        )

    try:
        collector = get_collector(source.kind)
        async with asyncio.timeout(policy.poll_timeout_seconds):
            result = await collector.poll(source, state, CollectContext(ws.settings, http, cpu))
    except CollectorError as exc:
        return failed(str(exc), exc.retry_after)
    except FetchError as exc:
        return failed(f"{source.name}: {exc}", exc.retry_after)
    except TimeoutError:
        return failed(f"{source.name}: poll did not finish within {policy.poll_timeout_seconds:g}s")

    fetched()
    # The bytes go to disk at once: whatever happens to the database, the capture is kept
    # (the daemon survives a database outage; a crash leaves them in the page cache). The
    # batch's ingest makes them durable, with one filesystem sync for dozens of polls.
    objects_new = await asyncio.to_thread(store_blobs, ws, result.captures, durable=False)
    try:
        # Retrying is safe: ingest is idempotent and all-or-nothing, so a failed attempt
        # stored no row.
        report = await retry_transient(
            lambda: store((source, result)),
            policy.ingest_retry_seconds,
            "storing a poll",
            source.name,
        )
    except TRANSIENT_DB_ERRORS as exc:
        return failed(f"{source.name}: database unavailable, result not stored: {short_error(exc)}")
    report.objects_new += objects_new  # ingest found them already stored
    return PollOutcome(source.name, True, time.monotonic() - started, report)
