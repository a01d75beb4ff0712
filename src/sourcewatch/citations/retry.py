"""The retry queue of unreachable citations: tried again soon, with backoff, until they answer.

``unreachable`` says nothing about the post (DNS, timeout, 5xx may all pass), so waiting a
week for the next re-check leaves a footnote in doubt for no reason. Every snapshot run
(``snapshot``, ``cite``, ``recheck``: see :func:`.batch.snapshot_all`) calls
:func:`track`: an unreachable URL enters the queue (one row per canonical URL), an answer
of any other kind resolves its row. The daemon (every ``RETRY_TICK_SECONDS``) and
``sourcewatch recheck --retry-unreachable`` call :func:`retry_unreachable`, which tries the
due URLs again after 5 min, 30 min, 2 h, then every 12 h (``RETRY_DELAYS``, the last one
repeating) until an answer comes.

A retry is a forced snapshot, archived and logged as a ``citation`` row of the report
``(retry)``. Still unreachable: the attempt is counted and the next one scheduled, and
nothing else is said (never a change). An answer resolves the row with the word a
re-check would use: ``live``, ``edited`` (the content differs from our newest live
capture), ``deleted`` or ``blocked``. Rows are leased while tried, so two daemon replicas
never fetch one URL at once. Every time is the caller's ``now`` (an injectable clock).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from sourcewatch.citations.status import UNREACHABLE
from sourcewatch.records import iso_utc
from sourcewatch.store.tables import CITATION_RETRY

if TYPE_CHECKING:
    from sourcewatch.citations.snapshot import Snapshot
    from sourcewatch.config import Settings
    from sourcewatch.net import Http
    from sourcewatch.workspace import Workspace

RETRY = CITATION_RETRY
RETRY_DELAYS = (
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
RETRY_TICK_SECONDS = 60  # how often the daemon looks for due retries
LEASE = timedelta(minutes=10)
BATCH = 50  # URLs tried per run


def retry_delay(failures: int) -> timedelta:
    """How long after its ``failures``-th unreachable answer a URL is tried again."""
    return RETRY_DELAYS[min(max(failures, 1), len(RETRY_DELAYS)) - 1]


def track(ws: Workspace, snaps: Iterable[Snapshot], now: datetime) -> None:
    """Queue every unreachable snapshot; resolve the queued rows of those that answered."""
    with ws.engine.begin() as conn:
        for snap in snaps:
            row = conn.execute(
                sa.select(RETRY.c.id, RETRY.c.status).where(RETRY.c.canonical_url == snap.canonical)
            ).first()
            if snap.status == UNREACHABLE:
                _queue(conn, row, snap, now)
            elif row is not None and row.status == "pending":
                conn.execute(
                    sa.update(RETRY)
                    .where(RETRY.c.id == row.id)
                    .values(status="resolved", resolved_status=snap.status, resolved_at=now)
                )


def _queue(conn: sa.Connection, row: Any, snap: Snapshot, now: datetime) -> None:
    """A new row, or a resolved one opened again; a pending row keeps its schedule."""
    fresh = {
        "url": snap.url,
        "status": "pending",
        "attempts": 1,
        "first_failed_at": now,
        "next_attempt_at": now + retry_delay(1),
        "last_attempt_at": now,
        "last_reason": snap.reason,
        "resolved_status": None,
        "resolved_at": None,
    }
    if row is None:
        conn.execute(sa.insert(RETRY).values(canonical_url=snap.canonical, **fresh))
    elif row.status != "pending":
        conn.execute(sa.update(RETRY).where(RETRY.c.id == row.id).values(**fresh))


@dataclass(frozen=True)
class RetryOutcome:
    canonical: str
    attempts: int
    status: str  # unreachable (still), or what it resolved to
    reason: str | None
    next_attempt_at: datetime | None  # when still unreachable

    def to_json(self) -> dict[str, Any]:
        return {
            "canonical": self.canonical,
            "attempts": self.attempts,
            "status": self.status,
            "reason": self.reason,
            "next_attempt_at": iso_utc(self.next_attempt_at),
        }


@dataclass
class RetryReport:
    outcomes: list[RetryOutcome] = field(default_factory=list)
    waiting: int = 0  # pending rows not due yet (or leased by another replica)

    def counts(self) -> dict[str, int]:
        counts = {"tried": len(self.outcomes), "still_unreachable": 0, "waiting": self.waiting}
        for outcome in self.outcomes:
            key = "still_unreachable" if outcome.status == UNREACHABLE else outcome.status
            counts[key] = counts.get(key, 0) + 1
        return counts

    def to_json(self) -> dict[str, Any]:
        return {"summary": self.counts(), "urls": [o.to_json() for o in self.outcomes]}


async def retry_unreachable(
    ws: Workspace,
    http: Http,
    settings: Settings,
    now: datetime,
    *,
    owner: str,
    due_only: bool = True,
    limit: int = BATCH,
) -> RetryReport:
    """Try the queued URLs that are due (all pending ones with ``due_only=False``) once."""
    from sourcewatch.citations import store
    from sourcewatch.citations.batch import snapshot_all
    from sourcewatch.citations.cite import snapshot_row
    from sourcewatch.citations.recheck import compare, then_from_archive

    claimed = claim(ws.engine, owner, now, due_only=due_only, limit=limit)
    report = RetryReport(waiting=_pending(ws.engine) - len(claimed))
    if not claimed:
        return report
    then = {canonical: then_from_archive(ws, canonical) for canonical, _, _ in claimed}
    snaps = await snapshot_all(
        ws,
        http,
        settings,
        [(url, canonical) for canonical, url, _ in claimed],
        max_age=None,
        force=True,
        now=now,
    )
    store.record_citations(
        ws, [snapshot_row(store.RETRY_REPORT, None, s.url, s) for s in snaps.values()]
    )
    with ws.engine.begin() as conn:
        for canonical, _, attempts in claimed:
            snap = snaps[canonical]
            outcome = _settle(conn, snap, compare(then[canonical], snap), attempts, now)
            report.outcomes.append(outcome)
    return report


def _settle(
    conn: sa.Connection, snap: Snapshot, word: str, attempts: int, now: datetime
) -> RetryOutcome:
    """Record one attempt: schedule the next, or resolve the row with ``word``."""
    done = {"lease_owner": None, "lease_expires_at": None, "last_attempt_at": now}
    row = RETRY.c.canonical_url == snap.canonical
    if snap.status == UNREACHABLE:
        tried = attempts + 1
        later = now + retry_delay(tried)
        conn.execute(
            sa.update(RETRY)
            .where(row)
            .values(attempts=tried, next_attempt_at=later, last_reason=snap.reason, **done)
        )
        return RetryOutcome(snap.canonical, tried, UNREACHABLE, snap.reason, later)
    conn.execute(
        sa.update(RETRY)
        .where(row)
        .values(
            status="resolved", resolved_status=word, resolved_at=now, attempts=attempts + 1, **done
        )
    )
    return RetryOutcome(snap.canonical, attempts + 1, word, snap.reason, None)


def claim(
    engine: sa.Engine, owner: str, now: datetime, *, due_only: bool, limit: int
) -> list[tuple[str, str, int]]:
    """Lease up to ``limit`` pending rows (due ones, or all); (canonical, url, attempts)."""
    free = sa.or_(RETRY.c.lease_owner.is_(None), RETRY.c.lease_expires_at < now)
    wanted = sa.and_(RETRY.c.status == "pending", free)
    if due_only:
        wanted = sa.and_(wanted, RETRY.c.next_attempt_at <= now)
    claimed: list[tuple[str, str, int]] = []
    with engine.begin() as conn:
        rows = conn.execute(
            sa.select(RETRY.c.id, RETRY.c.canonical_url, RETRY.c.url, RETRY.c.attempts)
            .where(wanted)
            .order_by(RETRY.c.next_attempt_at, RETRY.c.id)
            .limit(limit)
        ).all()
        for row in rows:
            taken = conn.execute(
                sa.update(RETRY)
                .where(RETRY.c.id == row.id, wanted)
                .values(lease_owner=owner, lease_expires_at=now + LEASE)
            )
            if taken.rowcount == 1:
                claimed.append((row.canonical_url, row.url, row.attempts))
    return claimed


def _pending(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count()).select_from(RETRY).where(RETRY.c.status == "pending")
            ).scalar_one()
        )


def pending(ws: Workspace) -> list[dict[str, Any]]:
    """The queue as ``recheck --retry-unreachable --list`` shows it, soonest first."""
    with ws.engine.connect() as conn:
        rows = conn.execute(
            sa.select(RETRY).where(RETRY.c.status == "pending").order_by(RETRY.c.next_attempt_at)
        ).all()
    return [
        {
            "canonical": row.canonical_url,
            "attempts": row.attempts,
            "first_failed_at": iso_utc(row.first_failed_at),
            "next_attempt_at": iso_utc(row.next_attempt_at),
            "reason": row.last_reason,
        }
        for row in rows
    ]
