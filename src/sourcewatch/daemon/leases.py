"""Row leases on ``source``: how replicas divide the work without ever double-polling.

A replica *claims* a due source by writing its name and an expiry into
``lease_owner``/``lease_expires_at``; nobody else claims it until the lease is
released or has expired. On PostgreSQL the candidate rows are selected with
``FOR UPDATE SKIP LOCKED``, so concurrent claimers never wait on nor take each
other's rows; on SQLite the engine's ``BEGIN IMMEDIATE`` makes the
select-then-update a single writer's transaction. A replica renews the leases
of its running polls before they end, so a lease only expires when its holder is
gone (killed, hung, partitioned) and the source then goes to the others.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import sqlalchemy as sa

from sourcewatch.polling.health import PollRecord, outcome_values
from sourcewatch.records import SourceState
from sourcewatch.sources.sync import source_state
from sourcewatch.store.db import is_sqlite, read_connection
from sourcewatch.store.sql import lock_in_id_order, update_by_id
from sourcewatch.store.tables import SOURCE

Purpose = Literal["poll", "reread"]


@dataclass(frozen=True)
class Claim:
    """A source this replica now holds the lease of, with its polling state as of the claim
    (nobody else writes that state while the lease is held)."""

    source_id: int
    name: str
    kind: str
    interval_seconds: float
    next_poll_at: datetime | None
    state: SourceState


def _free(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(SOURCE.c.lease_owner.is_(None), SOURCE.c.lease_expires_at < now)


def _due(purpose: Purpose, now: datetime, recheck_every: float) -> sa.ColumnElement[bool]:
    if purpose == "poll":
        return sa.or_(SOURCE.c.next_poll_at.is_(None), SOURCE.c.next_poll_at <= now)
    cutoff = now - timedelta(seconds=recheck_every)
    return sa.and_(
        SOURCE.c.last_success_at.is_not(None),  # never polled: nothing to re-check yet
        sa.or_(SOURCE.c.last_recheck_at.is_(None), SOURCE.c.last_recheck_at <= cutoff),
    )


def claim_due_sources(
    engine: sa.Engine,
    owner: str,
    now: datetime,
    limit: int,
    lease_seconds: float,
    *,
    purpose: Purpose = "poll",
    recheck_every: float = 3600.0,
    exclude: Collection[int] = (),
) -> list[Claim]:
    """Lease up to ``limit`` enabled, configured sources that are due, most overdue first.

    ``exclude``: source ids not to claim (``run --once`` polls each source only once).
    """
    if limit <= 0:
        return []
    query = (
        sa.select(
            SOURCE.c.id,
            SOURCE.c.name,
            SOURCE.c.kind,
            SOURCE.c.interval_seconds,
            SOURCE.c.next_poll_at,
            SOURCE.c.cursor,
            SOURCE.c.etag,
            SOURCE.c.last_modified,
        )
        .where(
            SOURCE.c.enabled.is_(True),
            SOURCE.c.in_config.is_(True),
            _free(now),
            _due(purpose, now, recheck_every),
        )
        # Never-polled sources first (NULL), then the most overdue.
        .where(SOURCE.c.id.not_in(list(exclude)) if exclude else sa.true())
        .order_by(SOURCE.c.next_poll_at.is_not(None), SOURCE.c.next_poll_at, SOURCE.c.id)
        .limit(limit)
    )
    with engine.begin() as conn:
        if not is_sqlite(engine):
            query = query.with_for_update(skip_locked=True)
        rows = conn.execute(query).all()
        if not rows:
            return []
        conn.execute(
            sa.update(SOURCE)
            .where(SOURCE.c.id.in_([row.id for row in rows]))
            .values(lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_seconds))
        )
    return [
        Claim(row.id, row.name, row.kind, row.interval_seconds, row.next_poll_at, source_state(row))
        for row in rows
    ]


def renew_leases(
    engine: sa.Engine, owner: str, source_ids: list[int], now: datetime, lease_seconds: float
) -> int:
    """Push out the expiry of the leases ``owner`` still holds; returns how many it holds."""
    if not source_ids:
        return 0
    with engine.begin() as conn:
        lock_in_id_order(conn, SOURCE, source_ids)
        result = conn.execute(
            sa.update(SOURCE)
            .where(SOURCE.c.id.in_(source_ids), SOURCE.c.lease_owner == owner)
            .values(lease_expires_at=now + timedelta(seconds=lease_seconds))
        )
    return result.rowcount


def release_lease(
    engine: sa.Engine,
    owner: str,
    source_id: int,
    *,
    next_poll_at: datetime | None = None,
    last_recheck_at: datetime | None = None,
) -> bool:
    """Give the source back, setting when it is next due. False if the lease was lost
    (it expired and another replica took it): then nothing is changed."""
    values: dict[str, object] = {"lease_owner": None, "lease_expires_at": None}
    if next_poll_at is not None:
        values["next_poll_at"] = next_poll_at
    if last_recheck_at is not None:
        values["last_recheck_at"] = last_recheck_at
    with engine.begin() as conn:
        result = conn.execute(
            sa.update(SOURCE)
            .where(SOURCE.c.id == source_id, SOURCE.c.lease_owner == owner)
            .values(**values)
        )
    return result.rowcount == 1


def release_all(engine: sa.Engine, owner: str) -> int:
    """Drop every lease ``owner`` holds (shutdown); those sources stay due for the others."""
    with engine.begin() as conn:
        result = conn.execute(
            sa.update(SOURCE)
            .where(SOURCE.c.lease_owner == owner)
            .values(lease_owner=None, lease_expires_at=None)
        )
    return result.rowcount


def lease_counts(engine: sa.Engine, now: datetime) -> dict[str, int]:
    """Live leases per owner (expired ones are not counted)."""
    with read_connection(engine) as conn:
        rows = conn.execute(
            sa.select(SOURCE.c.lease_owner, sa.func.count())
            .where(SOURCE.c.lease_owner.is_not(None), SOURCE.c.lease_expires_at >= now)
            .group_by(SOURCE.c.lease_owner)
        ).all()
    return {owner: count for owner, count in rows}


@dataclass(frozen=True)
class PollFinish:
    """A finished poll to record: its outcome (None: nothing to record, e.g. a source
    this replica does not know) and how to compute the next poll time from the source's
    failure count after it."""

    source_id: int
    record: PollRecord | None
    next_poll_at: Callable[[int], datetime]


def finish_poll(
    engine: sa.Engine,
    owner: str,
    source_id: int,
    record: PollRecord | None,
    next_poll_at: Callable[[int], datetime],
) -> bool:
    """Record the poll's outcome, set the next poll time and release the lease, in one
    transaction. ``next_poll_at(consecutive_failures)`` computes the time from the
    source's failure count after this poll. False (nothing changed) if the lease was lost.
    """
    return finish_polls(engine, owner, [PollFinish(source_id, record, next_poll_at)])[0]


def finish_polls(engine: sa.Engine, owner: str, finishes: Sequence[PollFinish]) -> list[bool]:
    """:func:`finish_poll` for several polls in one transaction (the daemon batches the
    polls that end together); per poll, False if its lease was lost."""
    ids = [finish.source_id for finish in finishes]
    with engine.begin() as conn:
        failures_before = {
            row.id: row.consecutive_failures
            for row in conn.execute(
                sa.select(SOURCE.c.id, SOURCE.c.consecutive_failures).where(
                    SOURCE.c.id.in_(ids), SOURCE.c.lease_owner == owner
                )
            )
        }
        updates = []
        for finish in finishes:
            failures = failures_before.get(finish.source_id)
            if failures is None:
                continue
            values: dict[str, object] = {"lease_owner": None, "lease_expires_at": None}
            if finish.record is not None:
                health = outcome_values(finish.record, failures)
                values.update(health)
                failures = health["consecutive_failures"]
            values["next_poll_at"] = finish.next_poll_at(failures)
            updates.append({"_id": finish.source_id, **values})
        update_by_id(conn, SOURCE, updates)
    return [finish.source_id in failures_before for finish in finishes]
