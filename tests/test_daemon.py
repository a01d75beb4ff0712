"""The daemon in-process: run --once, fault isolation, re-check, database errors.

Every source is a feed on a real HTTP server on loopback (tests/daemon_support.py).
Process-level behaviour (signals, the SQLite lock, replicas) is in test_daemon_process.py.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from daemon_support import FeedServer, daemon_settings, sqlite_base, write_watch_list
from sourcewatch.config import Settings, load_settings
from sourcewatch.daemon import leases
from sourcewatch.daemon.clock import Clock
from sourcewatch.daemon.loop import Daemon, RunSummary
from sourcewatch.daemon.worker import SourceWorker
from sourcewatch.records import utcnow
from sourcewatch.store.tables import DAEMON_HEARTBEAT, ITEM, SOURCE
from sourcewatch.workspace import Workspace


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no watchlists/ or config/ of the repo leak in


@pytest.fixture
def feeds() -> FeedServer:
    with FeedServer() as server:
        yield server


@pytest.fixture
def settings_on_postgres(tmp_path: Path, postgres_url: str) -> Settings:
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:  # an empty schema, as the `settings` fixture makes
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    return load_settings(data_dir=tmp_path / "data", database_url=postgres_url)


def run_daemon(
    settings: Settings,
    *,
    once: bool,
    seconds: float = 0.0,
    until: Callable[[RunSummary], bool] | None = None,
) -> RunSummary:
    """Run a Daemon on this thread's event loop; a daemon (not once) stops after ``seconds``,
    or, given ``until``, as soon as its summary meets it (at most a minute)."""

    async def go() -> RunSummary:
        with Workspace.open(settings) as ws:
            daemon = Daemon(ws, once=once)
            if until is not None:

                async def stop_when_done() -> None:
                    for _ in range(1200):
                        worker = daemon._worker
                        if worker is not None and until(worker.summary):
                            break
                        await asyncio.sleep(0.05)
                    daemon.request_stop()

                stopper = asyncio.ensure_future(stop_when_done())
                summary = await daemon.serve()
                await stopper
                return summary
            if not once:
                asyncio.get_running_loop().call_later(seconds, daemon.request_stop)
            return await daemon.serve()

    return asyncio.run(go())


def sources_by_name(settings: Settings) -> dict[str, sa.Row]:
    with Workspace.open(settings) as ws, ws.engine.connect() as conn:
        return {row.name: row for row in conn.execute(sa.select(SOURCE))}


def item_ids(settings: Settings, source: str) -> list[str]:
    with Workspace.open(settings) as ws, ws.engine.connect() as conn:
        return sorted(
            conn.execute(
                sa.select(ITEM.c.external_id)
                .join(SOURCE, SOURCE.c.id == ITEM.c.source_id)
                .where(SOURCE.c.name == source)
            ).scalars()
        )


def test_run_once_polls_every_due_source_once_and_stores_items(
    settings: Settings, feeds: FeedServer, tmp_path: Path
) -> None:
    feeds.items.update(alpha=3, beta=2)
    watch = write_watch_list(
        tmp_path / "sources.toml",
        {"alpha": feeds.url("/feed/alpha"), "beta": feeds.url("/feed/beta")},
        interval="1s",  # shorter than the run: still polled only once
    )
    config = daemon_settings(settings, watch)
    summary = run_daemon(config, once=True)
    assert (summary.polled, summary.failed) == (2, [])
    assert item_ids(config, "alpha") == ["alpha-0", "alpha-1", "alpha-2"]
    assert item_ids(config, "beta") == ["beta-0", "beta-1"]
    assert len(feeds.hits_for("/feed/alpha")) == 1
    rows = sources_by_name(config)
    assert all(r.lease_owner is None and r.next_poll_at is not None for r in rows.values())
    assert rows["alpha"].last_success_at is not None and rows["alpha"].last_error is None


def test_run_once_skips_sources_that_are_not_due(feeds: FeedServer, tmp_path: Path) -> None:
    watch = write_watch_list(tmp_path / "sources.toml", {"alpha": feeds.url("/feed/alpha")}, "1h")
    config = daemon_settings(sqlite_base(tmp_path), watch)
    assert run_daemon(config, once=True).polled == 1
    assert run_daemon(config, once=True).polled == 0
    assert len(feeds.hits_for("/feed/alpha")) == 1


def test_a_freed_slot_is_refilled_at_once_when_more_sources_wait(
    feeds: FeedServer, tmp_path: Path
) -> None:
    names = [f"feed{n}" for n in range(4)]
    watch = write_watch_list(
        tmp_path / "sources.toml", {name: feeds.url(f"/feed/{name}") for name in names}, "1h"
    )
    # One poll at a time and a tick far longer than run_daemon's one-minute bound: the
    # scheduled tick runs once, at the start, so only refills can poll the other three.
    # The run stops when the fourth poll ends (event-driven: no machine is too slow).
    config = daemon_settings(
        sqlite_base(tmp_path),
        watch,
        max_concurrent_polls=1,
        tick_seconds=3600.0,
        lease_seconds=10000.0,
        grace_seconds=60.0,
    )
    summary = run_daemon(config, once=False, until=lambda s: s.polled >= 4)
    assert (summary.polled, summary.failed) == (4, [])
    assert all(len(feeds.hits_for(f"/feed/{name}")) == 1 for name in names)


@pytest.mark.postgres
def test_a_poll_waiting_for_the_database_does_not_hold_a_fetch_slot(
    feeds: FeedServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    # PostgreSQL: the daemon's database threads claim while another stores. (On SQLite,
    # one thread does both: a claim waits for the store in progress, then goes first.)
    settings = request.getfixturevalue("settings_on_postgres")
    names = [f"feed{n}" for n in range(3)]
    watch = write_watch_list(
        tmp_path / "sources.toml", {name: feeds.url(f"/feed/{name}") for name in names}, "1h"
    )
    config = daemon_settings(
        settings, watch, max_concurrent_polls=1, tick_seconds=60.0, lease_seconds=150
    )
    slow_store = SourceWorker._ingest_many
    database_free = threading.Event()
    seen_while_busy: list[int] = []

    def busy_database(self: SourceWorker, polls: list) -> list:  # type: ignore[type-arg]
        if not database_free.is_set():
            # The first store: the database stays busy until the next fetch has been
            # answered, and a little longer, to see whether a third fetch starts.
            deadline = time.monotonic() + 30
            while len(feeds.hits) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.3)
            seen_while_busy.append(sum(feeds.seen(f"/feed/{name}") for name in names))
            database_free.set()
        return slow_store(self, polls)

    monkeypatch.setattr(SourceWorker, "_ingest_many", busy_database)
    summary = run_daemon(config, once=False, until=lambda s: s.polled >= 3)
    assert (summary.polled, summary.failed) == (3, [])
    # One fetch at a time, but the next one ran while the first result waited to be
    # stored (a slot held until the store ended would have allowed no second fetch);
    # and no more than one result waits: the third fetch waited for the first store.
    assert seen_while_busy == [2]
    assert sum(len(feeds.hits_for(f"/feed/{name}")) for name in names) == 3


def test_recording_a_poll_is_retried_after_a_transient_database_error(
    feeds: FeedServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    watch = write_watch_list(tmp_path / "sources.toml", {"alpha": feeds.url("/feed/alpha")}, "1h")
    config = daemon_settings(sqlite_base(tmp_path), watch)
    record = SourceWorker._finish_polls
    failures = iter([sa.exc.OperationalError("UPDATE source", {}, Exception("deadlock detected"))])

    def deadlocked_once(self: SourceWorker, finishes: list) -> list:  # type: ignore[type-arg]
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return record(self, finishes)

    monkeypatch.setattr(SourceWorker, "_finish_polls", deadlocked_once)
    with caplog.at_level(logging.WARNING, logger="sourcewatch"):
        summary = run_daemon(config, once=True)
    assert (summary.polled, summary.failed) == (1, [])
    assert any("while recording a poll" in r.getMessage() for r in caplog.records)
    alpha = sources_by_name(config)["alpha"]
    # Recorded, not left for its lease to expire: free, and due again in an hour.
    assert alpha.lease_owner is None and alpha.last_success_at is not None
    assert alpha.next_poll_at > utcnow() + timedelta(minutes=30)


def test_a_poll_longer_than_its_lease_keeps_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    renewals: list[int] = []
    renew = leases.renew_leases

    def counted(engine: sa.Engine, owner: str, ids: list[int], *args: object) -> int:
        if ids:
            renewals.append(len(ids))
        return renew(engine, owner, ids, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(leases, "renew_leases", counted)
    with FeedServer() as slow:
        slow.gate.clear()  # the feed answers only after its lease was renewed twice

        def answer_after_renewals() -> None:
            deadline = time.monotonic() + 60
            while len(renewals) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            slow.gate.set()

        opener = threading.Thread(target=answer_after_renewals)
        opener.start()
        watch = write_watch_list(tmp_path / "sources.toml", {"slow": slow.url("/feed/slow")}, "1h")
        config = daemon_settings(
            sqlite_base(tmp_path), watch, tick_seconds=0.05, lease_seconds=1.2, grace_seconds=0.3
        )
        with caplog.at_level(logging.WARNING, logger="sourcewatch"):
            summary = run_daemon(config, once=True)
        opener.join()
    assert (summary.polled, summary.failed) == (1, [])
    assert len(renewals) >= 2  # the poll outlived its lease twice over...
    assert not any("lease was lost" in r.getMessage() for r in caplog.records)  # ...and kept it


def test_leases_are_renewed_near_their_end_not_at_every_tick(workspace: Workspace) -> None:
    now = [1000.0]
    clock = Clock(monotonic=lambda: now[0])
    policy = workspace.settings.scheduler.model_copy(
        update={"lease_seconds": 60.0, "grace_seconds": 5.0, "tick_seconds": 2.0}
    )
    workspace = workspace.with_settings(workspace.settings.model_copy(update={"scheduler": policy}))
    daemon = Daemon(workspace, clock=clock)
    # Renewed when the lease would end within the grace period plus two ticks (9 s).
    for elapsed, due in [(0.0, False), (30.0, False), (50.9, False), (51.0, True), (59.0, True)]:
        now[0] = 1000.0 + elapsed
        assert daemon._renewal_due() is due, elapsed
    daemon._renewed_at = now[0]  # renewed at 59 s: the next renewal is due 51 s later
    now[0] += 50.0
    assert not daemon._renewal_due()
    now[0] += 1.0
    assert daemon._renewal_due()


FAULTS = {
    "hangs": "/hang",
    "error500": "/error500",
    "ratelimited": "/ratelimit",
    "loops": "/loop-a",
    "huge": "/big",
}


def test_faulty_sources_are_bounded_reported_and_backed_off(
    feeds: FeedServer, tmp_path: Path
) -> None:
    urls = {name: feeds.url(path) for name, path in FAULTS.items()}
    urls.update(good1=feeds.url("/feed/good1"), good2=feeds.url("/feed/good2"))
    watch = write_watch_list(tmp_path / "sources.toml", urls, interval="1s")
    # A generous grace: the polls running at the stop are recorded, not abandoned.
    config = daemon_settings(sqlite_base(tmp_path), watch, grace_seconds=60.0, lease_seconds=90)

    def done(s: RunSummary) -> bool:
        # Every fault met and reported, error500 twice (so its backoff has doubled),
        # and the healthy feeds polled again after their first poll.
        return (
            all(name in s.failed for name in FAULTS)
            and s.failed.count("error500") >= 2
            and all(len(feeds.hits_for(f"/feed/{g}")) >= 2 for g in ("good1", "good2"))
        )

    summary = run_daemon(config, once=False, until=done)
    assert done(summary)  # reached, not the one-minute bound
    rows = sources_by_name(config)
    for good in ("good1", "good2"):
        assert rows[good].last_error is None and rows[good].consecutive_failures == 0
    expected_errors = {
        "hangs": "Timeout",
        "error500": "HTTP 500",
        "ratelimited": "retry after 120s",
        "loops": "redirect loop",
        "huge": "cap",
    }
    for name, text in expected_errors.items():
        row = rows[name]
        assert row.last_error and text in row.last_error, (name, row.last_error)
        assert row.last_error.startswith(name), row.last_error  # names the source
        assert row.consecutive_failures >= 1

    def scheduled_after(row: sa.Row) -> float:
        """Seconds from the start of the source's last poll to its next one, as the
        daemon's own clock scheduled it (not compared with the test's clock)."""
        return float((row.next_poll_at - row.last_polled_at).total_seconds())

    # Backoff: after n failures in a row, a 1 s source waits 2^(n-1) s (no jitter here);
    # a healthy one waits its interval.
    failing = rows["error500"]
    assert failing.consecutive_failures >= 2
    assert scheduled_after(failing) >= 2.0 ** (failing.consecutive_failures - 1)
    # ...and the rate-limited one waits for the server's Retry-After (120 s), not for
    # its 1 s backoff; the poll itself (at most a minute) is all that may be added.
    assert 120 <= scheduled_after(rows["ratelimited"]) < 180
    assert len(feeds.hits_for("/ratelimit")) == 1
    assert all(r.lease_owner is None for r in rows.values())


def test_a_hanging_source_does_not_stall_the_others(feeds: FeedServer, tmp_path: Path) -> None:
    # /hang answers only when the server stops; the timeouts are bounds for hangs (a
    # minute), so the hang is in flight for the whole run, however slow the machine is.
    urls = {
        "hangs": feeds.url("/hang"),
        "good1": feeds.url("/feed/good1"),
        "good2": feeds.url("/feed/good2"),
    }
    watch = write_watch_list(tmp_path / "sources.toml", urls, interval="1s")
    # A long lease: it is renewed at ticks, and a tick late under load must not let the
    # hanging source's lease expire and be claimed a second time.
    base = daemon_settings(sqlite_base(tmp_path), watch, grace_seconds=0.5, lease_seconds=60)
    net = base.net.model_copy(update={"read_timeout": 60.0, "total_timeout": 60.0})
    config = base.model_copy(update={"net": net})

    def polled_during_hang(good: str) -> int:
        arrived = [t for path, t in list(feeds.started) if path == "/hang"]
        if not arrived:
            return 0
        return sum(1 for h in feeds.hits_for(f"/feed/{good}") if h.started > arrived[0])

    def done(_: RunSummary) -> bool:
        return all(polled_during_hang(g) >= 3 for g in ("good1", "good2"))

    summary = run_daemon(config, once=False, until=done)
    # A hang that held the others back would leave them unpolled until the one-minute
    # bound: the healthy feeds went on, on their schedule, while it was in flight.
    assert done(summary), {g: polled_during_hang(g) for g in ("good1", "good2")}
    assert feeds.seen("/hang") == 1 and feeds.hits_for("/hang") == []  # one hang, held
    assert "good1" not in summary.failed and "good2" not in summary.failed


def test_the_daemon_rereads_recent_items_and_records_deletions(
    settings: Settings, feeds: FeedServer, tmp_path: Path
) -> None:
    feeds.items["alpha"] = 3
    watch = write_watch_list(tmp_path / "sources.toml", {"alpha": feeds.url("/feed/alpha")}, "1h")
    config = daemon_settings(
        settings, watch, recheck_every_seconds=1.0, recheck_window_hours=24 * 365 * 10
    )
    assert run_daemon(config, once=True).polled == 1
    feeds.gone.add("/article/alpha/1")
    engine = sa.create_engine(config.resolved_database_url)

    def rechecked(_: RunSummary) -> bool:
        # The re-check records its time after it has recorded what it found.
        with engine.connect() as conn:
            when = conn.execute(
                sa.select(SOURCE.c.last_recheck_at).where(SOURCE.c.name == "alpha")
            ).scalar_one()
        return when is not None

    try:
        run_daemon(config, once=False, until=rechecked)
    finally:
        engine.dispose()
    with Workspace.open(config) as ws, ws.engine.connect() as conn:
        deleted = dict(conn.execute(sa.select(ITEM.c.external_id, ITEM.c.deleted_at)).all())
    assert deleted["alpha-1"] is not None
    assert deleted["alpha-0"] is None and deleted["alpha-2"] is None
    assert feeds.seen("/article/alpha/0") >= 1  # every recent item was looked at
    assert sources_by_name(config)["alpha"].last_recheck_at is not None


def test_a_heartbeat_is_written_while_running_and_removed_at_exit(
    settings: Settings, feeds: FeedServer, tmp_path: Path
) -> None:
    watch = write_watch_list(tmp_path / "sources.toml", {"alpha": feeds.url("/feed/alpha")})
    config = daemon_settings(settings, watch)
    seen: list[int] = []

    async def go() -> None:
        with Workspace.open(config) as ws:
            daemon = Daemon(ws)

            def polls_in_heartbeat() -> int | None:
                with ws.engine.connect() as conn:
                    return conn.execute(
                        sa.select(DAEMON_HEARTBEAT.c.polls).where(
                            DAEMON_HEARTBEAT.c.replica == daemon.replica
                        )
                    ).scalar_one_or_none()

            async def look() -> None:
                # Until the heartbeat shows the first poll (bounded: a daemon that never
                # writes one fails the test instead of hanging it).
                for _ in range(600):
                    polls = await asyncio.to_thread(polls_in_heartbeat)
                    if polls:
                        seen.append(polls)
                        break
                    await asyncio.sleep(0.1)
                daemon.request_stop()

            looking = asyncio.ensure_future(look())
            await daemon.serve()
            await looking
            with ws.engine.connect() as conn:
                left = conn.execute(sa.select(sa.func.count()).select_from(DAEMON_HEARTBEAT))
                assert left.scalar_one() == 0

    asyncio.run(go())
    assert seen and seen[0] >= 1


class _Retried(logging.Handler):
    """Sets ``event`` when the daemon logs that it retries storing a poll."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.event = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "while storing a poll; retrying" in record.getMessage():
            self.event.set()


def _take_database_away(
    config: Settings, feeds: FeedServer, retried: threading.Event
) -> threading.Thread:
    """Once the feed request arrives (the poll has loaded its state), make the database
    refuse work until the daemon has retried storing: SQLite is locked exclusively; on
    PostgreSQL the database stops accepting connections and the daemon's are
    terminated. The feed answers only once the database is away, so the store is sure
    to meet it, and it comes back only once the store has met it, however slow the
    machine (the bounds, a minute, only end a test whose daemon never gets there)."""
    feeds.gate.clear()

    def away() -> None:
        deadline = time.monotonic() + 60
        while feeds.seen("/feed/alpha") == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        url = sa.engine.make_url(config.resolved_database_url)
        if url.get_backend_name() == "sqlite":
            conn = sqlite3.connect(url.database, isolation_level=None)
            conn.execute("BEGIN EXCLUSIVE")
            feeds.gate.set()
            retried.wait(60)
            conn.execute("COMMIT")
            conn.close()
            return
        admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        name = url.database
        with admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            feeds.gate.set()
            retried.wait(60)
            conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()

    thread = threading.Thread(target=away)
    thread.start()
    return thread


def test_a_poll_survives_the_database_going_away_during_ingest(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with FeedServer() as feeds:
        feeds.items["alpha"] = 4
        watch = write_watch_list(tmp_path / "sources.toml", {"alpha": feeds.url("/feed/alpha")})
        # The daemon retries for longer than the test keeps the database away.
        config = daemon_settings(settings, watch, ingest_retry_seconds=90.0).model_copy(
            update={"sqlite_busy_timeout_ms": 200}
        )
        retried = _Retried()
        away = _take_database_away(config, feeds, retried.event)
        daemon_log = logging.getLogger("sourcewatch")
        daemon_log.addHandler(retried)
        try:
            with caplog.at_level(logging.WARNING, logger="sourcewatch"):
                summary = run_daemon(config, once=True)
        finally:
            daemon_log.removeHandler(retried)
            retried.event.set()  # a daemon that never retried must not leave the thread
            away.join()
    assert (summary.polled, summary.failed) == (1, [])
    assert any("while storing a poll; retrying" in r.getMessage() for r in caplog.records)
    assert item_ids(config, "alpha") == ["alpha-0", "alpha-1", "alpha-2", "alpha-3"]
    assert len(feeds.hits_for("/feed/alpha")) == 1  # stored from the capture, not re-fetched
