"""From the outbox to per-channel deliveries: channel rows, leases, fan-out, replay.

Each channel keeps a cursor (the last outbox id it has looked at). Fan-out inserts a
delivery for every newer outbox row the channel's triggers want and moves the cursor,
in one transaction; the unique (alert, item, revision) key makes a repeat harmless.
A channel seen for the first time starts ``NEW_CHANNEL_LOOKBACK`` back, so adding an
alert does not replay the whole history (``alerts replay`` does that on purpose).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa

from sourcewatch.alerts.channels import Candidate, wants
from sourcewatch.alerts.outbox import OUTBOX
from sourcewatch.config import AlertSettings
from sourcewatch.store.sql import AnyRow, chunked
from sourcewatch.store.tables import ALERT_CHANNEL, ALERT_DELIVERY

CHANNEL = ALERT_CHANNEL
DELIVERY = ALERT_DELIVERY
NEW_CHANNEL_LOOKBACK = timedelta(hours=24)
LEASE = timedelta(minutes=5)
FANOUT_BATCH = 2000


def ensure_channel(engine: sa.Engine, alert: AlertSettings, now: datetime) -> None:
    with engine.begin() as conn:
        if conn.execute(sa.select(CHANNEL.c.name).where(CHANNEL.c.name == alert.name)).first():
            return
        start = conn.execute(
            sa.select(sa.func.max(OUTBOX.c.id)).where(
                OUTBOX.c.created_at < now - NEW_CHANNEL_LOOKBACK
            )
        ).scalar()
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.insert(CHANNEL).values(
                    name=alert.name, cursor=start or 0, created_at=now, window_count=0, failures=0
                )
            )
    except sa.exc.IntegrityError:
        pass  # another replica created it first: same row


def claim(engine: sa.Engine, name: str, owner: str, now: datetime) -> bool:
    """Take the channel's lease, so one replica at a time sends on it."""
    with engine.begin() as conn:
        taken = conn.execute(
            sa.update(CHANNEL)
            .where(
                CHANNEL.c.name == name,
                sa.or_(
                    CHANNEL.c.lease_owner.is_(None),
                    CHANNEL.c.lease_owner == owner,
                    CHANNEL.c.lease_expires_at < now,
                ),
            )
            .values(lease_owner=owner, lease_expires_at=now + LEASE)
        )
    return taken.rowcount == 1


def release(engine: sa.Engine, name: str, owner: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.update(CHANNEL)
            .where(CHANNEL.c.name == name, CHANNEL.c.lease_owner == owner)
            .values(lease_owner=None, lease_expires_at=None)
        )


def _candidate(row: AnyRow) -> Candidate:
    return Candidate(row.source, row.priority, row.areas, row.entities, row.rules)


def _insert_missing(
    conn: sa.Connection, alert: AlertSettings, rows: Iterable[AnyRow], now: datetime
) -> int:
    wanted = [row for row in rows if wants(alert, _candidate(row))]
    if not wanted:
        return 0
    known: set[int] = set()
    for chunk in chunked([row.id for row in wanted], 500):
        known.update(
            conn.execute(
                sa.select(DELIVERY.c.outbox_id).where(
                    DELIVERY.c.alert == alert.name, DELIVERY.c.outbox_id.in_(chunk)
                )
            ).scalars()
        )
    new = [
        {
            "alert": alert.name,
            "outbox_id": row.id,
            "item_id": row.item_id,
            "revision": row.revision,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for row in wanted
        if row.id not in known
    ]
    if new:
        conn.execute(sa.insert(DELIVERY), new)
    return len(new)


def fan_out(engine: sa.Engine, alert: AlertSettings, now: datetime) -> int:
    """Create the channel's deliveries for outbox rows past its cursor; returns how many."""
    created = 0
    while True:
        with engine.begin() as conn:
            cursor = conn.execute(
                sa.select(CHANNEL.c.cursor).where(CHANNEL.c.name == alert.name)
            ).scalar_one()
            rows = conn.execute(
                sa.select(OUTBOX)
                .where(OUTBOX.c.id > cursor)
                .order_by(OUTBOX.c.id)
                .limit(FANOUT_BATCH)
            ).all()
            if not rows:
                return created
            created += _insert_missing(conn, alert, rows, now)
            conn.execute(
                sa.update(CHANNEL).where(CHANNEL.c.name == alert.name).values(cursor=rows[-1].id)
            )
        if len(rows) < FANOUT_BATCH:
            return created


def replay(engine: sa.Engine, alert: AlertSettings, since: datetime, now: datetime) -> int:
    """Queue again, for sending now, every outbox row since ``since`` that the channel
    wants - already sent or not. Returns how many deliveries are pending because of it."""
    with engine.begin() as conn:
        rows = conn.execute(
            sa.select(OUTBOX).where(OUTBOX.c.created_at >= since).order_by(OUTBOX.c.id)
        ).all()
        wanted = [row for row in rows if wants(alert, _candidate(row))]
        if not wanted:
            return 0
        for chunk in chunked([row.id for row in wanted], 500):
            conn.execute(
                sa.update(DELIVERY)
                .where(DELIVERY.c.alert == alert.name, DELIVERY.c.outbox_id.in_(chunk))
                .values(status="pending", attempts=0, next_attempt_at=now, sent_at=None)
            )
        _insert_missing(conn, alert, wanted, now)
    return len(wanted)
