"""Three daemon replicas on one PostgreSQL database, one killed with SIGKILL mid-run.

A recording HTTP server on loopback serves feeds that grow while the replicas
run. Afterwards: no feed was ever fetched by two replicas at once, every source
kept being polled after the kill (the dead replica's leases expired and were
taken over), and every item any feed ever listed is stored exactly once.
"""

from __future__ import annotations

import itertools
import json
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from daemon_support import Cli, FeedServer, daemon_settings, stop, wait_for, write_watch_list
from sourcewatch.config import Settings
from sourcewatch.daemon.identity import lock_path
from sourcewatch.store.tables import DAEMON_HEARTBEAT, ITEM, ITEM_REVISION, SOURCE
from sourcewatch.store.verify import verify_archive
from sourcewatch.workspace import Workspace

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SOURCES = 12
# Long enough that a renewal late by a loaded machine's scheduling (a replica's tick
# can lag a second at load 10+ on 2 cores) does not let a lease lapse mid-poll: a
# lease is time-based, so a lapse is an overlap by design, not the bug this looks for.
LEASE_SECONDS = 4.0


def grow(feeds: FeedServer, stop_growing: threading.Event) -> None:
    """Add an item to one feed after another, every 50 ms, until told to stop (at most
    a few hundred items in all: feeds stay small)."""
    turn = 0
    while not stop_growing.wait(0.05) and turn < 40 * SOURCES:
        name = f"feed{turn % SOURCES:02d}"
        feeds.items[name] = feeds.items.get(name, 1) + 1
        turn += 1


def growth_rounds(feeds: FeedServer) -> int:
    """How many items every feed has gained at least."""
    return min(feeds.items.get(f"feed{i:02d}", 1) for i in range(SOURCES)) - 1


def polled_after(feeds: FeedServer, name: str, moment: float) -> bool:
    """Whether a fetch of ``name``'s feed began after ``moment`` and was answered."""
    return any(h.started > moment for h in feeds.hits_for(f"/feed/{name}"))


def working_replicas(cli: Cli) -> int:
    """Replicas whose heartbeat shows at least one poll."""
    with cli.engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count()).where(DAEMON_HEARTBEAT.c.polls > 0)
        ).scalar_one()


def lease_holder_pids(cli: Cli) -> list[int]:
    """PIDs of the replicas holding a lease now (owners are replica names, ``host#2``;
    each name's lock file in the data dir holds its replica's pid)."""
    source = SOURCE
    with cli.engine.connect() as conn:
        owners = conn.execute(
            sa.select(source.c.lease_owner).where(source.c.lease_owner.is_not(None))
        ).scalars()
        pids = [lock_path(cli.settings.data_dir, owner).read_text().strip() for owner in owners]
        return [int(pid) for pid in pids if pid]


def test_three_replicas_one_killed_share_the_work_without_overlap_or_loss(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:  # an empty schema of our own in the session database
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    monkeypatch.chdir(tmp_path)
    base = Settings(data_dir=tmp_path / "data", database_url=postgres_url)
    names = [f"feed{i:02d}" for i in range(SOURCES)]

    with FeedServer(delay=0.1) as feeds:
        for name in names:
            feeds.items[name] = 1
        watch = write_watch_list(
            tmp_path / "sources.toml", {n: feeds.url(f"/feed/{n}") for n in names}, interval="1s"
        )
        settings = daemon_settings(
            base, watch, lease_seconds=LEASE_SECONDS, grace_seconds=1.0, max_concurrent_polls=4
        )
        cli = Cli(settings, tmp_path)
        assert cli.run("init").returncode == 0  # migrate once, not three times at once
        replicas = [cli.start("run") for _ in range(3)]
        stop_growing = threading.Event()
        grower = threading.Thread(target=grow, args=(feeds, stop_growing))
        try:
            # Every step waits for what it needs (bounded), not for a number of seconds:
            # replicas start slowly on a loaded machine.
            wait_for(lambda: working_replicas(cli) == 3, 90, "three replicas polling")
            grower.start()
            wait_for(lambda: growth_rounds(feeds) >= 2, 60, "the feeds to grow")
            # Kill a replica while it holds a lease, so that a poll dies half-way.
            by_pid = {p.pid: p for p in replicas}
            holders: list[int] = []
            wait_for(lambda: bool(holders.extend(lease_holder_pids(cli)) or holders), 30, "a lease")
            victim = by_pid[holders[0]]
            victim.send_signal(signal.SIGKILL)
            killed_at = time.monotonic()
            victim.wait(5)
            # The dead replica's leases expire; the survivors take its sources over.
            wait_for(
                lambda: all(polled_after(feeds, n, killed_at + LEASE_SECONDS + 1) for n in names),
                90,
                "every source polled after the kill",
            )
            stop_growing.set()
            grower.join()
            grown_until = time.monotonic()
            # Each source polled once more after the last growth: everything is stored.
            wait_for(
                lambda: all(polled_after(feeds, n, grown_until) for n in names),
                90,
                "every source polled after the feeds stopped growing",
            )
        finally:
            stop_growing.set()
            if grower.is_alive():
                grower.join()
            survivors = [p for p in replicas if p.poll() is None]
            results = [stop(p) for p in survivors]
        final_counts = dict(feeds.items)
        hits = list(feeds.hits)

    assert len(results) == 2
    for code, log in results:
        assert code == 0, log[-2000:]
        polls = [json.loads(line) for line in log.splitlines() if '"poll ok"' in line]
        assert polls, "a surviving replica did no work"

    # No feed fetched by two replicas at once.
    by_path: dict[str, list] = {}
    for hit in hits:
        by_path.setdefault(hit.path, []).append(hit)
    for path, path_hits in by_path.items():
        path_hits.sort(key=lambda h: h.started)
        for before, after in itertools.pairwise(path_hits):
            assert after.started >= before.ended, f"{path} fetched concurrently"

    # No source starved: each was polled again once the killed replica's leases expired
    # (waited for above; checked again on the final record of requests).
    for name in names:
        late = [h for h in by_path[f"/feed/{name}"] if h.started > killed_at + LEASE_SECONDS + 1]
        assert late, f"{name} was not polled after the kill"

    # Every item a feed ever listed is stored exactly once, with one revision.
    item, revision, source = ITEM, ITEM_REVISION, SOURCE
    with Workspace.open(settings) as ws:
        with ws.engine.connect() as conn:
            stored = conn.execute(
                sa.select(source.c.name, item.c.external_id).join(
                    source, source.c.id == item.c.source_id
                )
            ).all()
            revisions = conn.execute(sa.select(sa.func.count()).select_from(revision)).scalar_one()
            leased = conn.execute(
                sa.select(sa.func.count()).where(source.c.lease_owner.is_not(None))
            ).scalar_one()
        report = verify_archive(ws, quick=False)
    expected = {(n, f"{n}-{i}") for n in names for i in range(final_counts[n])}
    assert Counter(stored) == Counter(expected)
    assert revisions == len(expected)
    assert report.ok, report.problems
    assert leased == 0  # the survivors released theirs; the dead one's were taken over
