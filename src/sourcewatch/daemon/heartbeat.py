"""Per-replica heartbeats in the ``daemon_heartbeat`` table.

A running daemon upserts its row every ``heartbeat_seconds``; ``sourcewatch
health`` is healthy only if such a row (of a daemon on this host, by default)
is younger than ``heartbeat_stale_seconds`` and the database answered the
query, so one check covers both "the daemon loop is alive" and "it can reach
its database". A replica that stops cleanly deletes its row.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from sourcewatch.store.tables import DAEMON_HEARTBEAT


def new_replica_id() -> str:
    """host:pid:random — unique even when PIDs repeat across container restarts."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class Counters:
    """What a replica has done since it started."""

    polls: int = 0
    failures: int = 0
    items_new: int = 0
    items_edited: int = 0
    in_flight: int = 0


def beat(
    engine: sa.Engine, replica: str, started_at: datetime, now: datetime, counters: Counters
) -> None:
    values = {
        "beat_at": now,
        "polls": counters.polls,
        "failures": counters.failures,
        "items_new": counters.items_new,
        "items_edited": counters.items_edited,
        "in_flight": counters.in_flight,
    }
    with engine.begin() as conn:
        updated = conn.execute(
            sa.update(DAEMON_HEARTBEAT)
            .where(DAEMON_HEARTBEAT.c.replica == replica)
            .values(**values)
        )
        if updated.rowcount == 0:
            conn.execute(
                sa.insert(DAEMON_HEARTBEAT).values(
                    replica=replica,
                    hostname=socket.gethostname(),
                    pid=os.getpid(),
                    started_at=started_at,
                    **values,
                )
            )


def remove(engine: sa.Engine, replica: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.delete(DAEMON_HEARTBEAT).where(DAEMON_HEARTBEAT.c.replica == replica))


@dataclass(frozen=True)
class Replica:
    replica: str
    hostname: str
    pid: int
    started_at: datetime
    beat_at: datetime
    polls: int
    failures: int
    items_new: int
    items_edited: int
    in_flight: int

    def age(self, now: datetime) -> float:
        return (now - self.beat_at).total_seconds()


def replicas(conn: sa.Connection) -> list[Replica]:
    rows = conn.execute(sa.select(DAEMON_HEARTBEAT).order_by(DAEMON_HEARTBEAT.c.started_at)).all()
    return [Replica(**row._asdict()) for row in rows]


def prune(engine: sa.Engine, now: datetime, older_than: timedelta) -> int:
    """Forget replicas that stopped beating long ago (killed ones never remove their row)."""
    with engine.begin() as conn:
        return conn.execute(
            sa.delete(DAEMON_HEARTBEAT).where(DAEMON_HEARTBEAT.c.beat_at < now - older_than)
        ).rowcount
