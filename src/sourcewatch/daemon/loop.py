"""``sourcewatch run``: the daemon loop, its jobs and its lifecycle.

An APScheduler ``AsyncIOScheduler`` drives short jobs on one event loop:

- *tick* (every ``tick_seconds``): renew the leases of running polls (when they
  near the end of their term), claim as
  many due sources as there are free slots, start a poll task for each;
- *recheck*: claim sources whose recent items are due for a re-check (under the
  same leases, so a source is never polled and re-checked at once);
- *heartbeat*: write this replica's row and counters, refresh the gauges;
- *verify* (daily) and *citations* (weekly) maintenance;
- *citation-retries* (every minute): unreachable cited URLs that are due, tried again;
- *alerts* (every ``alerts_every_seconds``, when ``[[alerts]]`` are configured):
  deliver the alert outbox;
- *translate* (every ``[translate] every_seconds``, when engines and background
  languages are configured): translate queued items (``translate.background``); a task
  of its own, cancelled at shutdown, so a hung translation server never holds anything up.

Signals: SIGTERM/SIGINT stop claiming, give running polls ``grace_seconds``,
abandon the rest, release every lease and exit 0 (a second signal abandons at
once). SIGHUP reloads the watch list and the watchlists.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from sourcewatch.citations.retry import RETRY_TICK_SECONDS
from sourcewatch.collectors.cpupool import CpuPool
from sourcewatch.daemon import heartbeat, leases, maintenance
from sourcewatch.daemon.clock import SYSTEM_CLOCK, Clock
from sourcewatch.daemon.dbexec import DbExecutor
from sourcewatch.daemon.metrics import DaemonMetrics
from sourcewatch.daemon.reload import (
    WATCHLISTS_CHECK_SECONDS,
    WatchConfig,
    WatchlistsWatcher,
    load_watch_config,
)
from sourcewatch.daemon.stats import gather_stats
from sourcewatch.daemon.worker import RunSummary, SourceWorker
from sourcewatch.net import Http
from sourcewatch.store.sql import TRANSIENT_DB_ERRORS, short_error
from sourcewatch.text import language
from sourcewatch.translate.background import BackgroundTranslator
from sourcewatch.workspace import Workspace

log = logging.getLogger(__name__)

_HEARTBEAT_FORGET = timedelta(days=1)  # rows of replicas gone this long are pruned
# After a poll ends while more sources are due, claim again this soon rather than at the
# next tick: long enough to gather the slots that free up together into one claim.
_REFILL_DELAY = 0.05


class Daemon:
    def __init__(
        self,
        ws: Workspace,
        *,
        once: bool = False,
        metrics: DaemonMetrics | None = None,
        replica: str | None = None,
        clock: Clock = SYSTEM_CLOCK,
        reclaim_own_leases: bool = False,
    ) -> None:
        self.ws = ws
        self.clock = clock
        # Set only when ``replica`` is held exclusively (daemon/identity.py): its leases in
        # the database then belong to a dead previous run and are released at start.
        self.reclaim_own_leases = reclaim_own_leases
        self.policy = ws.settings.scheduler
        self.once = once
        self.replica = replica or heartbeat.new_replica_id()
        self.metrics = metrics
        self.started_at = clock.now()
        self.watch: WatchConfig | None = None
        self.watchlists = WatchlistsWatcher(ws)  # rebuilds the matcher when a file changes
        self.inflight: dict[int, asyncio.Task[None]] = {}  # every poll holding a lease
        self.fetching: set[int] = set()  # those still fetching (max_concurrent_polls of them)
        self.done: set[int] = set()  # sources finished in this run (--once polls each once)
        self.stopping = asyncio.Event()
        self._more_due = False  # the last claim filled every free slot: more may be due
        self._refill = asyncio.Event()
        self._claiming = asyncio.Lock()
        self._signals = 0
        self._renewed_at = clock.monotonic()  # leases held now all end after this + lease_seconds
        self._worker: SourceWorker | None = None
        self.db = DbExecutor(ws.engine)
        self.translator = BackgroundTranslator(ws.settings, ws.engine, clock.monotonic)
        self._translating: asyncio.Task[object] | None = None

    # --- lifecycle -------------------------------------------------------------------------

    async def serve(self) -> RunSummary:
        self.watch = await self.db(load_watch_config, self.ws)
        self._log_sync("watch list loaded")
        if self.reclaim_own_leases:
            reclaimed = await self.db(leases.release_all, self.ws.engine, self.replica)
            if reclaimed:
                log.info(
                    "took back the leases of this replica's previous run",
                    extra={"replica": self.replica, "sources": reclaimed},
                )
        await asyncio.to_thread(self.watchlists.start)
        # The language detector's models load before any poll's deadline starts.
        await asyncio.to_thread(language.warm_up)
        self._install_signal_handlers()
        cpu = CpuPool(
            self.policy.parse_processes,
            budget_bytes=self.policy.parse_budget_bytes,
            budget_wait_seconds=self.policy.parse_budget_wait_seconds,
            recycle_after_bytes=self.policy.parse_recycle_bytes,
            mmap_threshold_bytes=self.policy.malloc_mmap_threshold_bytes,
        )
        async with Http(self.ws.settings.net) as http:
            self._worker = SourceWorker(
                self.ws,
                http,
                self.replica,
                lambda: self.watch.sources if self.watch else {},
                self.metrics,
                self.db,
                cpu,
            )
            try:
                if self.once:
                    await self._run_once()
                else:
                    await self._run_forever()
            finally:
                await self._drain()
                await self._release_everything()
                await asyncio.to_thread(self.db.shutdown)
                cpu.close()
        log.info(
            "daemon stopped",
            extra={"replica": self.replica, "polls": self._worker.counters.polls},
        )
        return self._worker.summary

    def request_stop(self, signum: int | None = None) -> None:
        self._signals += 1
        if self._signals == 1:
            log.info("stopping: no new polls; waiting for running ones", extra={"signal": signum})
            self.stopping.set()
        else:  # asked twice: do not wait for the grace period
            log.warning("stopping now: abandoning running polls", extra={"signal": signum})
            for task in self.inflight.values():
                task.cancel()

    async def check_watchlists(self) -> None:
        """Rebuild the matcher if a watchlist file changed (see ``reload.WatchlistsWatcher``)."""
        await asyncio.to_thread(self.watchlists.check)

    async def reload(self) -> None:
        """SIGHUP: re-read sources.toml and the watchlists. A bad file keeps the old config."""
        try:
            self.watch = await self.db(load_watch_config, self.ws)
        except TRANSIENT_DB_ERRORS as exc:
            log.error("reload failed: database unavailable", extra={"error": short_error(exc)})
            return
        except Exception as exc:  # any loader error: keep running on the old config, loudly
            log.error("reload failed; keeping the previous config", extra={"error": str(exc)})
            return
        await asyncio.to_thread(self.watchlists.start)  # the matcher is as of now
        self._log_sync("watch list reloaded")

    def _log_sync(self, message: str) -> None:
        assert self.watch is not None
        sync = self.watch.sync
        log.info(
            message,
            extra={
                "sources": len(self.watch.sources),
                "added": len(sync.added),
                "updated": len(sync.updated),
                "removed": len(sync.removed),
                "watchlists_dir": str(self.ws.settings.watchlists_dir),
            },
        )

    def _install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self.request_stop, signal.SIGTERM)
        loop.add_signal_handler(signal.SIGINT, self.request_stop, signal.SIGINT)
        loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(self.reload()))

    async def _run_forever(self) -> None:
        p = self.policy
        scheduler = AsyncIOScheduler(timezone="UTC")
        now = self.clock.now()
        common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
        scheduler.add_job(
            self.tick, "interval", seconds=p.tick_seconds, next_run_time=now, id="tick", **common
        )
        scheduler.add_job(
            self.beat,
            "interval",
            seconds=p.heartbeat_seconds,
            next_run_time=now,
            id="heartbeat",
            **common,
        )
        scheduler.add_job(
            self.reread_tick,
            "interval",
            seconds=min(p.recheck_every_seconds, 60),
            id="recheck",
            **common,
        )
        scheduler.add_job(
            self.check_watchlists,
            "interval",
            seconds=WATCHLISTS_CHECK_SECONDS,
            id="watchlists",
            **common,
        )
        scheduler.add_job(
            self.verify, "interval", hours=p.verify_every_hours, id="verify", **common
        )
        scheduler.add_job(
            self.citations, "interval", hours=p.citations_every_hours, id="citations", **common
        )
        scheduler.add_job(
            self.retry_citations,
            "interval",
            seconds=RETRY_TICK_SECONDS,
            id="citation-retries",
            **common,
        )
        if self.ws.settings.evidence.tsa_url:  # opt-in: nothing is sent anywhere otherwise
            every = self.ws.settings.evidence.timestamp_every_hours
            scheduler.add_job(self.timestamp, "interval", hours=every, id="timestamp", **common)
        if self.ws.settings.alerts:
            scheduler.add_job(
                self.alerts,
                "interval",
                seconds=p.alerts_every_seconds,
                next_run_time=now,
                id="alerts",
                **common,
            )
        if self.translator.enabled():  # opt-in: no text leaves the machine otherwise
            every = self.ws.settings.translate.every_seconds
            scheduler.add_job(
                self.translate,
                "interval",
                seconds=every,
                next_run_time=now,
                id="translate",
                **common,
            )
        scheduler.start()
        refill = asyncio.create_task(self._refill_slots())
        log.info(
            "daemon started",
            extra={"replica": self.replica, "database": self.ws.engine.dialect.name},
        )
        try:
            await self.stopping.wait()
        finally:
            refill.cancel()
            scheduler.shutdown(wait=False)
            if self._translating is not None:
                self._translating.cancel()

    async def _refill_slots(self) -> None:
        """Claim again as soon as polls end while sources are waiting, instead of leaving
        their slots empty until the next tick."""
        while True:
            await self._refill.wait()
            await asyncio.sleep(_REFILL_DELAY)
            self._refill.clear()
            await self.tick()

    async def _run_once(self) -> None:
        """Poll every due source once (claiming as slots free up), then return."""
        while not self.stopping.is_set():
            await self.tick()
            if not self.inflight:
                return
            waiter = asyncio.ensure_future(self.stopping.wait())
            await asyncio.wait(
                [*self.inflight.values(), waiter],
                timeout=self.policy.tick_seconds,
                return_when=asyncio.FIRST_COMPLETED,
            )
            waiter.cancel()

    async def _drain(self) -> None:
        tasks = list(self.inflight.values())
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=self.policy.grace_seconds)
        for task in pending:
            task.cancel()
        if pending:
            log.warning("abandoned running polls at shutdown", extra={"abandoned": len(pending)})
            await asyncio.gather(*pending, return_exceptions=True)

    async def _release_everything(self) -> None:
        try:
            released = await self.db(leases.release_all, self.ws.engine, self.replica)
            if not self.once:
                await self.db(heartbeat.remove, self.ws.engine, self.replica)
        except TRANSIENT_DB_ERRORS as exc:
            # The leases expire by themselves after lease_seconds.
            log.error(
                "could not release leases: database unavailable", extra={"error": short_error(exc)}
            )
            return
        log.info("leases released", extra={"released": released})

    # --- jobs ------------------------------------------------------------------------------

    async def tick(self) -> None:
        async with self._claiming:  # the scheduled tick and a refill never claim at once
            await self._claim_and_start()

    async def _claim_and_start(self) -> None:
        if self.stopping.is_set():
            return
        now = self.clock.now()
        engine, p = self.ws.engine, self.policy
        free_slots = self._free_slots()
        try:
            if self._renewal_due():
                renewing = self.clock.monotonic()
                await self.db(
                    leases.renew_leases,
                    engine,
                    self.replica,
                    list(self.inflight),
                    now,
                    p.lease_seconds,
                )
                self._renewed_at = renewing
            claims = await self.db(
                leases.claim_due_sources,
                engine,
                self.replica,
                now,
                free_slots,
                p.lease_seconds,
                exclude=self.done if self.once else (),
            )
        except TRANSIENT_DB_ERRORS as exc:
            log.error(
                "database unavailable; not claiming this tick", extra={"error": short_error(exc)}
            )
            return
        # Every free slot taken (or none free): more sources may be waiting for one.
        self._more_due = len(claims) >= free_slots
        for claim in claims:
            self._start(claim, self.worker.poll(claim, self._fetched_callback(claim.source_id)))

    def _renewal_due(self) -> bool:
        """Whether the running polls' leases must be renewed at this tick: when the oldest
        of them would end within the shutdown grace period plus two ticks. So a lease
        outlives the grace period (leases are not renewed while stopping), and is not
        rewritten, with a commit, at every tick."""
        p = self.policy
        margin = p.grace_seconds + 2 * p.tick_seconds
        return self.clock.monotonic() + margin >= self._renewed_at + p.lease_seconds

    def _free_slots(self) -> int:
        """How many more sources to claim now.

        ``max_concurrent_polls`` bounds the polls that are fetching: the network work,
        and what the per-host limits are about. A poll that has fetched waits for the
        database without holding a slot (a slot held while its result waited for a
        group commit left hosts idle), but at most as many again may wait, so a slow
        database cannot make results pile up in memory.
        """
        p = self.policy
        fetching = p.max_concurrent_polls - len(self.fetching)
        waiting = 2 * p.max_concurrent_polls - len(self.inflight)
        return max(0, min(fetching, waiting))

    def _fetched_callback(self, source_id: int) -> Callable[[], None]:
        def fetched() -> None:
            self.fetching.discard(source_id)
            if self._more_due:
                self._refill.set()

        return fetched

    async def reread_tick(self) -> None:
        if self.stopping.is_set():
            return
        p = self.policy
        try:
            claims = await self.db(
                leases.claim_due_sources,
                self.ws.engine,
                self.replica,
                self.clock.now(),
                min(self._free_slots(), 10),
                p.lease_seconds,
                purpose="reread",
                recheck_every=p.recheck_every_seconds,
            )
        except TRANSIENT_DB_ERRORS as exc:
            log.error("database unavailable; re-check skipped", extra={"error": short_error(exc)})
            return
        for claim in claims:
            self._start(claim, self.worker.reread(claim))

    async def beat(self) -> None:
        now = self.clock.now()
        counters = self.worker.counters
        counters.in_flight = len(self.inflight)
        try:
            await self.db(
                heartbeat.beat, self.ws.engine, self.replica, self.started_at, now, counters
            )
            await self.db(heartbeat.prune, self.ws.engine, now, _HEARTBEAT_FORGET)
            if self.metrics is not None:
                stats = await self.db(
                    gather_stats, self.ws.engine, now, self.policy.heartbeat_stale_seconds
                )
                self.metrics.update_from(stats)
                self.metrics.in_flight.set(len(self.inflight))
        except TRANSIENT_DB_ERRORS as exc:
            log.error("heartbeat failed: database unavailable", extra={"error": short_error(exc)})

    async def verify(self) -> None:
        # Not on the database thread: a long walk of the log must not queue the polls' writes.
        await asyncio.to_thread(maintenance.verify_quick, self.ws)

    async def alerts(self) -> None:
        # Its own thread: a slow channel must not hold up the polls' database writes.
        try:
            await asyncio.to_thread(maintenance.deliver_alerts, self.ws, self.replica)
        except TRANSIENT_DB_ERRORS as exc:
            log.error(
                "alerts not delivered: database unavailable", extra={"error": short_error(exc)}
            )

    async def translate(self) -> None:
        """One background translation run, as a task the shutdown can cancel: a request
        to a translation server that hangs is abandoned, not waited for."""
        if self.stopping.is_set():
            return
        self._translating = asyncio.ensure_future(self.translator.run_once())
        try:
            await self._translating
        except asyncio.CancelledError:
            if not self.stopping.is_set():
                raise
        except TRANSIENT_DB_ERRORS as exc:
            log.error(
                "translation skipped: database unavailable", extra={"error": short_error(exc)}
            )
        finally:
            self._translating = None

    async def timestamp(self) -> None:
        await asyncio.to_thread(maintenance.timestamp_log_head, self.ws)

    async def citations(self) -> None:
        await maintenance.recheck_citations(self.ws, self.worker.http)

    async def retry_citations(self) -> None:
        """Unreachable cited URLs that are due, tried again (citations/retry)."""
        if self.stopping.is_set():
            return
        try:
            await maintenance.retry_citations(
                self.ws, self.worker.http, self.replica, self.clock.now()
            )
        except TRANSIENT_DB_ERRORS as exc:
            log.error(
                "citation retries skipped: database unavailable", extra={"error": short_error(exc)}
            )

    @property
    def worker(self) -> SourceWorker:
        assert self._worker is not None, "serve() has not started"
        return self._worker

    # --- one source ------------------------------------------------------------------------

    def _start(self, claim: leases.Claim, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self.inflight[claim.source_id] = task
        self.fetching.add(claim.source_id)

        def finished(_: asyncio.Task[None]) -> None:
            self.inflight.pop(claim.source_id, None)
            self.fetching.discard(claim.source_id)
            self.done.add(claim.source_id)
            if self._more_due:
                self._refill.set()

        task.add_done_callback(finished)
