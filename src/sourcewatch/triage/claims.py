"""Leases for the interactive ``triage`` loop: two analysts never get the same item.

``claim_next`` picks the first entry of the queue that nobody else holds and takes it
with a conditional UPDATE (``WHERE claimed_by IS NULL OR expired OR mine``). Under
PostgreSQL's READ COMMITTED a second claimer's UPDATE waits for the first to commit,
re-reads the row, no longer matches and moves on to the next entry; SQLite runs
writers one at a time (BEGIN IMMEDIATE). The caller commits right after claiming.
A lease runs out after ``LEASE`` so an analyst who walks away does not hide items.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime, timedelta

import sqlalchemy as sa

from sourcewatch.store.tables import TRIAGE
from sourcewatch.triage.queue import QueueFilter, QueueRow, list_queue

LEASE = timedelta(minutes=5)
_CANDIDATES = 20  # entries tried per claim before re-reading the queue
_ROUNDS = 50  # re-reads before giving up (only under a storm of competing claimers)


def claim_next(
    conn: sa.Connection,
    analyst: str,
    where: QueueFilter,
    now: datetime,
    *,
    lease: timedelta = LEASE,
    skip: Collection[int] = (),
) -> QueueRow | None:
    """Lease the first unclaimed ``new`` entry matching ``where``; None when none is left."""
    where = replace(where, statuses=("new",), limit=_CANDIDATES)
    for _round in range(_ROUNDS):
        candidates = list_queue(conn, where, claimable_by=analyst, now=now, exclude=skip)
        if not candidates:
            return None
        for row in candidates:
            taken = conn.execute(
                sa.update(TRIAGE)
                .where(
                    TRIAGE.c.id == row.triage_id,
                    TRIAGE.c.status == "new",
                    sa.or_(
                        TRIAGE.c.claimed_by.is_(None),
                        TRIAGE.c.claimed_by == analyst,
                        TRIAGE.c.claim_expires_at < now,
                    ),
                )
                .values(claimed_by=analyst, claim_expires_at=now + lease)
            )
            if taken.rowcount == 1:
                row.claimed_by, row.claim_expires_at = analyst, now + lease
                return row
        # Every candidate was taken under us: the next read sees them claimed.
    return None


def release(conn: sa.Connection, triage_id: int, analyst: str) -> None:
    """Give back a lease (skip, quit) so others can take the entry at once."""
    conn.execute(
        sa.update(TRIAGE)
        .where(TRIAGE.c.id == triage_id, TRIAGE.c.claimed_by == analyst)
        .values(claimed_by=None, claim_expires_at=None)
    )
