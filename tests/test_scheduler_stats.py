"""`health` and `stats` as service functions: heartbeats, staleness, counts."""

from __future__ import annotations

import socket
from datetime import timedelta

import sqlalchemy as sa

from sourcewatch.daemon import heartbeat, leases
from sourcewatch.daemon.heartbeat import Counters
from sourcewatch.daemon.stats import check_health, gather_stats
from sourcewatch.records import utcnow
from sourcewatch.sources.config import SourceConfig
from sourcewatch.sources.sync import sync_sources
from sourcewatch.store.tables import DAEMON_HEARTBEAT, SOURCE
from sourcewatch.workspace import Workspace


def test_health_needs_a_fresh_heartbeat_from_this_host(workspace: Workspace) -> None:
    engine, now = workspace.engine, utcnow()
    assert check_health(engine, now, 60).reason.startswith("no daemon heartbeat on host")
    heartbeat.beat(engine, "r1", now, now, Counters(polls=3))
    assert check_health(engine, now + timedelta(seconds=30), 60).ok
    stale = check_health(engine, now + timedelta(seconds=90), 60)
    assert not stale.ok and "90s old" in stale.reason
    heartbeat.remove(engine, "r1")
    assert not check_health(engine, now, 60).ok


def test_a_heartbeat_from_another_host_counts_only_with_any_host(workspace: Workspace) -> None:
    now = utcnow()
    with workspace.engine.begin() as conn:
        conn.execute(
            sa.insert(DAEMON_HEARTBEAT).values(
                replica="elsewhere:1:abc",
                hostname=f"not-{socket.gethostname()}",
                pid=1,
                started_at=now,
                beat_at=now,
                polls=0,
                failures=0,
                items_new=0,
                items_edited=0,
                in_flight=0,
            )
        )
    assert not check_health(workspace.engine, now, 60).ok
    assert check_health(workspace.engine, now, 60, any_host=True).ok


def test_a_second_beat_updates_the_same_row(workspace: Workspace) -> None:
    engine, now = workspace.engine, utcnow()
    heartbeat.beat(engine, "r1", now, now, Counters(polls=1))
    heartbeat.beat(engine, "r1", now, now + timedelta(seconds=5), Counters(polls=4, failures=1))
    with engine.connect() as conn:
        (replica,) = heartbeat.replicas(conn)
    assert (replica.polls, replica.failures) == (4, 1)
    assert replica.beat_at == now + timedelta(seconds=5)
    assert heartbeat.prune(engine, now + timedelta(days=2), timedelta(days=1)) == 1


def test_stats_count_due_failing_leased_and_replicas(workspace: Workspace) -> None:
    engine, now = workspace.engine, utcnow()
    sync_sources(
        engine, [SourceConfig(name=f"s{i}", kind="feed", target=f"http://x/{i}") for i in range(4)]
    )
    table = SOURCE
    with engine.begin() as conn:
        conn.execute(
            sa.update(table)
            .where(table.c.name == "s0")
            .values(next_poll_at=now + timedelta(hours=1), consecutive_failures=2)
        )
    leases.claim_due_sources(engine, "r1", now, 1, 60)
    heartbeat.beat(engine, "r1", now, now, Counters(polls=7, failures=2, items_new=5))
    stats = gather_stats(engine, now, 60)
    assert (stats.sources, stats.due, stats.failing, stats.leased) == (4, 3, 1, 1)
    assert stats.leases_by_replica == {"r1": 1}
    assert (stats.polls, stats.failures, stats.queue_depth, stats.items) == (7, 2, 0, 0)
    data = stats.to_json()
    assert data["replicas"][0]["fresh"] is True and data["replicas"][0]["items_new"] == 5
