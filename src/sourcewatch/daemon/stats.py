"""What ``sourcewatch stats`` and ``sourcewatch health`` report, read from the database.

Both work from any process (a person's shell, the container HEALTHCHECK), not
only from inside the daemon: the replicas write their counters and heartbeats
to ``daemon_heartbeat`` and their leases to ``source``.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from sourcewatch.daemon.heartbeat import Replica, replicas
from sourcewatch.store.db import read_connection
from sourcewatch.store.tables import ITEM, SOURCE, TRIAGE


@dataclass(frozen=True)
class DaemonStats:
    at: datetime
    sources: int  # in the watch list and enabled
    due: int
    failing: int
    leased: int
    leases_by_replica: dict[str, int]
    items: int
    queue_depth: int  # triage entries with status "new"
    replicas: list[Replica] = field(default_factory=list)
    stale_seconds: float = 60.0

    @property
    def polls(self) -> int:
        return sum(r.polls for r in self.replicas)

    @property
    def failures(self) -> int:
        return sum(r.failures for r in self.replicas)

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "sources": self.sources,
            "due": self.due,
            "failing": self.failing,
            "leased": self.leased,
            "leases_by_replica": self.leases_by_replica,
            "items": self.items,
            "queue_depth": self.queue_depth,
            "polls": self.polls,
            "failures": self.failures,
            "replicas": [
                {
                    "replica": r.replica,
                    "hostname": r.hostname,
                    "pid": r.pid,
                    "started_at": r.started_at.isoformat(),
                    "beat_at": r.beat_at.isoformat(),
                    "fresh": r.age(self.at) <= self.stale_seconds,
                    "polls": r.polls,
                    "failures": r.failures,
                    "items_new": r.items_new,
                    "items_edited": r.items_edited,
                    "in_flight": r.in_flight,
                }
                for r in self.replicas
            ],
        }


def gather_stats(engine: sa.Engine, now: datetime, stale_seconds: float) -> DaemonStats:
    active = sa.and_(SOURCE.c.enabled.is_(True), SOURCE.c.in_config.is_(True))
    live_lease = sa.and_(SOURCE.c.lease_owner.is_not(None), SOURCE.c.lease_expires_at >= now)
    due = sa.or_(SOURCE.c.next_poll_at.is_(None), SOURCE.c.next_poll_at <= now)

    def count(where: sa.ColumnElement[bool]) -> sa.ScalarSelect[int]:
        return sa.select(sa.func.count()).select_from(SOURCE).where(where).scalar_subquery()

    with read_connection(engine) as conn:
        row = conn.execute(
            sa.select(
                count(active).label("sources"),
                count(sa.and_(active, due)).label("due"),
                count(sa.and_(active, SOURCE.c.consecutive_failures > 0)).label("failing"),
                count(live_lease).label("leased"),
                sa.select(sa.func.count()).select_from(ITEM).scalar_subquery().label("items"),
                sa.select(sa.func.count())
                .select_from(TRIAGE)
                .where(TRIAGE.c.status == "new")
                .scalar_subquery()
                .label("queue"),
            )
        ).one()
        by_owner: dict[str, int] = dict(
            conn.execute(
                sa.select(SOURCE.c.lease_owner, sa.func.count())
                .where(live_lease)
                .group_by(SOURCE.c.lease_owner)
            ).all()
        )
        known = replicas(conn)
    return DaemonStats(
        at=now,
        sources=row.sources,
        due=row.due,
        failing=row.failing,
        leased=row.leased,
        leases_by_replica=by_owner,
        items=row.items,
        queue_depth=row.queue,
        replicas=known,
        stale_seconds=stale_seconds,
    )


@dataclass(frozen=True)
class Health:
    ok: bool
    reason: str
    replicas: list[Replica]


def check_health(
    engine: sa.Engine, now: datetime, stale_seconds: float, *, any_host: bool = False
) -> Health:
    """Healthy when the database answers and a daemon (on this host, unless ``any_host``)
    has beaten within ``stale_seconds``. Database errors propagate to the caller."""
    with read_connection(engine) as conn:
        conn.execute(sa.text("SELECT 1"))
        known = replicas(conn)
    host = socket.gethostname()
    mine = known if any_host else [r for r in known if r.hostname == host]
    where = "" if any_host else f" on host {host}"
    if not mine:
        return Health(False, f"no daemon heartbeat{where}", mine)
    freshest = max(mine, key=lambda r: r.beat_at)
    age = freshest.age(now)
    if age > stale_seconds:
        return Health(
            False,
            f"daemon heartbeat{where} is {age:.0f}s old (stale after {stale_seconds:g}s)",
            mine,
        )
    return Health(True, f"daemon {freshest.replica} beat {age:.0f}s ago", mine)
