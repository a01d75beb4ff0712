"""The work a replica does on one leased source: poll or re-check it, account for
the outcome (logs, counters, metrics), and hand the lease back with the next due time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sourcewatch.collectors.cpupool import CpuPool
from sourcewatch.daemon import leases
from sourcewatch.daemon.backoff import next_poll_time
from sourcewatch.daemon.batching import Batcher
from sourcewatch.daemon.dbexec import DbExecutor
from sourcewatch.daemon.heartbeat import Counters
from sourcewatch.daemon.metrics import DaemonMetrics
from sourcewatch.ingest.writer import IngestReport, ingest_many
from sourcewatch.net import Http
from sourcewatch.polling.health import PollRecord
from sourcewatch.polling.pipeline import PollContext, PollOutcome, run_poll
from sourcewatch.polling.reread import reread_source
from sourcewatch.records import PollResult, utcnow
from sourcewatch.sources.config import SourceConfig
from sourcewatch.store.sql import TRANSIENT_DB_ERRORS, retry_transient, short_error
from sourcewatch.workspace import Workspace

log = logging.getLogger(__name__)

# Most polls per transaction: bounds a transaction's length (and the lock it holds).
STORE_BATCH = 50
FINISH_BATCH = 200


@dataclass
class RunSummary:
    polled: int = 0
    failed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


class SourceWorker:
    def __init__(
        self,
        ws: Workspace,
        http: Http,
        replica: str,
        sources: Callable[[], dict[str, SourceConfig]],
        metrics: DaemonMetrics | None,
        db: DbExecutor,
        cpu: CpuPool,
    ) -> None:
        self.ws = ws
        self.http = http
        self.policy = ws.settings.scheduler
        self.replica = replica
        self.sources = sources  # the current watch list (it changes on SIGHUP)
        self.metrics = metrics
        self.db = db
        self.cpu = cpu
        self.counters = Counters()
        self.summary = RunSummary()
        # Group commit: the results (and then the outcomes) of the polls that finish
        # while the database is busy are written together (see scheduler.batching).
        self.store: Batcher[tuple[SourceConfig, PollResult], IngestReport] = Batcher(
            db, self._ingest_many, max_batch=STORE_BATCH
        )
        self.finish: Batcher[leases.PollFinish, bool] = Batcher(
            db, self._finish_polls, max_batch=FINISH_BATCH
        )
        self.context = PollContext(ws, http, cpu, self.store)

    def _ingest_many(
        self, polls: list[tuple[SourceConfig, PollResult]]
    ) -> list[IngestReport | Exception]:
        return ingest_many(self.ws, polls)

    def _finish_polls(self, finishes: list[leases.PollFinish]) -> list[bool]:
        return leases.finish_polls(self.ws.engine, self.replica, finishes)

    async def poll(self, claim: leases.Claim, fetched: Callable[[], None] = lambda: None) -> None:
        """Poll the claimed source, store the result, record the outcome. ``fetched`` is
        called once the network part is over (the daemon frees the poll's slot)."""
        source = self.sources().get(claim.name)
        if source is None:
            # Listed by another replica's watch list, not ours: leave it to them for a while.
            log.warning(
                "claimed a source missing from this replica's watch list",
                extra={"source": claim.name},
            )
            await self._finish(claim, None, None)
            return
        started_at = utcnow()
        outcome = await run_poll(self.context, source, claim.state, fetched)
        self._account(claim, outcome)
        await self._finish(claim, outcome, PollRecord(started_at, outcome.ok, outcome.error))

    def _account(self, claim: leases.Claim, outcome: PollOutcome) -> None:
        self.counters.polls += 1
        self.summary.polled += 1
        fields: dict[str, object] = {
            "source": claim.name,
            "kind": claim.kind,
            "seconds": round(outcome.seconds, 3),
        }
        if self.metrics is not None:
            self.metrics.observe(claim.kind, outcome)
        if outcome.ok and outcome.report is not None:
            report = outcome.report
            self.counters.items_new += report.new
            self.counters.items_edited += report.edited
            log.info(
                "poll ok",
                extra={
                    **fields,
                    "new": report.new,
                    "edited": report.edited,
                    "deleted": report.deleted,
                    "captures_new": report.captures_new,
                },
            )
            if report.skipped:  # entries the source listed that did not become items
                log.warning(
                    "entries skipped",
                    extra={**fields, "skipped": len(report.skipped), "why": report.skipped[:20]},
                )
        else:
            self.counters.failures += 1
            self.summary.failed.append(claim.name)
            log.warning(
                "poll failed",
                extra={**fields, "error": outcome.error, "retry_after": outcome.retry_after},
            )

    async def _finish(
        self, claim: leases.Claim, outcome: PollOutcome | None, record: PollRecord | None
    ) -> None:
        """Record the outcome, schedule the next poll (backoff on failure), free the lease."""
        now = utcnow()

        def when(failures: int) -> datetime:
            return next_poll_time(
                now,
                claim.interval_seconds,
                failures,
                jitter_fraction=self.policy.jitter_fraction,
                backoff_cap=self.policy.backoff_cap_seconds,
                retry_after=outcome.retry_after if outcome else None,
            )

        finish = leases.PollFinish(claim.source_id, record, when)
        try:
            # Retried like a store: given up, the source would wait for its lease to expire.
            kept = await retry_transient(
                lambda: self.finish(finish),
                self.policy.ingest_retry_seconds,
                "recording a poll",
                claim.name,
            )
        except TRANSIENT_DB_ERRORS as exc:
            log.error(
                "could not record the poll: database unavailable; the lease will expire",
                extra={"source": claim.name, "error": short_error(exc)},
            )
            return
        if not kept:
            log.warning("lease was lost before the poll finished", extra={"source": claim.name})

    async def reread(self, claim: leases.Claim) -> None:
        source = self.sources().get(claim.name)
        window = timedelta(hours=self.policy.recheck_window_hours)
        if source is not None:
            try:
                async with asyncio.timeout(self.policy.poll_timeout_seconds):
                    report = await reread_source(self.ws, source, self.http, window)
            except Exception as exc:  # one source's re-check failing must not stop the rest
                log.warning("re-check failed", extra={"source": claim.name, "error": str(exc)})
            else:
                log.info(
                    "re-check ok",
                    extra={
                        "source": claim.name,
                        "edited": report.edited,
                        "deleted": report.deleted,
                    },
                )
        try:
            await self.db(
                leases.release_lease,
                self.ws.engine,
                self.replica,
                claim.source_id,
                last_recheck_at=utcnow(),
            )
        except TRANSIENT_DB_ERRORS as exc:
            log.error(
                "could not release a re-check lease",
                extra={"source": claim.name, "error": short_error(exc)},
            )
