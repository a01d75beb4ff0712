"""The daemon's alert job: per channel, fan out the outbox, then send what is due.

* immediate channels: one message per entry, highest priority first, at most
  ``max_per_minute`` messages a minute; more than ``flood_threshold`` entries
  waiting at once (a flood, or a backlog after an outage) become one digest;
* digest channels: every ``digest_every_hours``, one message with everything new;
* a failed send puts its entries back with exponential backoff (``RETRY_BASE``
  doubling up to ``RETRY_CAP``) and stops the channel for this run. Entries are
  never dropped: a channel down for an hour gets them all once it answers again.

Deletion notices (a relevant or cited post deleted at its source, :mod:`.deleted`) go
first, one message each, whatever the channel's mode.

A delivery is marked sent right after its message is accepted; only a crash between
those two steps can repeat a message (the body names alert, item and revision so a
receiver can tell). A lease keeps other replicas off the channel meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeAlias

import sqlalchemy as sa

from sourcewatch.alerts import deleted, fanout
from sourcewatch.alerts.fanout import CHANNEL, DELIVERY
from sourcewatch.alerts.message import Message, digest_message, entry_message
from sourcewatch.alerts.outbox import OUTBOX
from sourcewatch.alerts.send import AlertSendError, Sender, send_apprise
from sourcewatch.alerts.views import entry_views
from sourcewatch.config import AlertSettings
from sourcewatch.store.tables import TRIAGE, TRIAGE_ITEM

log = logging.getLogger(__name__)

RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(minutes=10)
RATE_WINDOW = timedelta(minutes=1)
MAX_DIGEST_ROWS = 5000  # one digest message; the rest go in the next

# A pending delivery that is due: DELIVERY.c.id, .outbox_id, .attempts.
DueRow: TypeAlias = sa.Row[int, int, int]


@dataclass
class ChannelRun:
    name: str
    fanned_out: int = 0
    messages: int = 0
    entries: int = 0
    failed: bool = False
    error: str | None = None
    busy: bool = False  # another replica holds the channel
    # Entries due now but not sent by this run: the rate limit or the digest period holds
    # them until held_until. A report of "0 messages, ok" must not hide them.
    held: int = 0
    held_until: datetime | None = None
    held_by: str | None = None  # "rate limit" or "digest period"
    deletions: int = 0  # deletion notices sent (one message each)


@dataclass
class DeliveryReport:
    channels: list[ChannelRun] = field(default_factory=list)

    @property
    def messages(self) -> int:
        return sum(c.messages for c in self.channels)

    @property
    def failures(self) -> int:
        return sum(c.failed for c in self.channels)


def retry_delay(attempts: int) -> timedelta:
    factor: int = 2 ** max(attempts - 1, 0)
    return min(RETRY_BASE * factor, RETRY_CAP)


def deliver(
    engine: sa.Engine,
    alerts: Sequence[AlertSettings],
    now: datetime,
    *,
    owner: str,
    send: Sender = send_apprise,
) -> DeliveryReport:
    """One delivery run over every configured channel."""
    report = DeliveryReport()
    for alert in alerts:
        run = ChannelRun(alert.name)
        report.channels.append(run)
        fanout.ensure_channel(engine, alert, now)
        if not fanout.claim(engine, alert.name, owner, now):
            run.busy = True
            continue
        try:
            _send_deletions(engine, alert, now, send, run)
            run.fanned_out += fanout.fan_out(engine, alert, now)
            if not run.failed:
                _send_due(engine, alert, now, send, run)
        finally:
            fanout.release(engine, alert.name, owner)
    return report


def _send_deletions(
    engine: sa.Engine, alert: AlertSettings, now: datetime, send: Sender, run: ChannelRun
) -> None:
    """Deletion notices first, one message each (see :mod:`.deleted`): rare and urgent,
    never held by the rate limit or folded into a digest."""
    run.fanned_out += deleted.fan_out(engine, alert, now)
    sent, error = deleted.send_due(engine, alert, now, send)
    run.messages += sent
    run.deletions += sent
    run.entries += sent
    if error is not None:
        run.failed, run.error = True, error


def _ready(conn: sa.Connection, name: str, now: datetime) -> Sequence[DueRow]:
    return conn.execute(
        sa.select(DELIVERY.c.id, DELIVERY.c.outbox_id, DELIVERY.c.attempts)
        .join(OUTBOX, OUTBOX.c.id == DELIVERY.c.outbox_id)
        .where(
            DELIVERY.c.alert == name,
            DELIVERY.c.status == "pending",
            DELIVERY.c.next_attempt_at <= now,
        )
        .order_by(OUTBOX.c.priority.desc(), DELIVERY.c.id)
        .limit(MAX_DIGEST_ROWS)
    ).all()


def drop_irrelevant(engine: sa.Engine, name: str) -> int:
    """Pending deliveries of entries an analyst already marked irrelevant are never sent
    (status ``dropped``): a digest built an hour later must not resurface them."""
    irrelevant = (
        sa.select(TRIAGE_ITEM.c.item_id)
        .join(TRIAGE, TRIAGE.c.id == TRIAGE_ITEM.c.triage_id)
        .where(TRIAGE.c.status == "irrelevant")
    )
    with engine.begin() as conn:
        dropped = conn.execute(
            sa.update(DELIVERY)
            .where(
                DELIVERY.c.alert == name,
                DELIVERY.c.status == "pending",
                DELIVERY.c.item_id.in_(irrelevant),
            )
            .values(status="dropped", last_error="marked irrelevant before it was sent")
        )
    return dropped.rowcount or 0


def _send_due(
    engine: sa.Engine, alert: AlertSettings, now: datetime, send: Sender, run: ChannelRun
) -> None:
    drop_irrelevant(engine, alert.name)
    with engine.connect() as conn:
        channel = conn.execute(sa.select(CHANNEL).where(CHANNEL.c.name == alert.name)).one()
        ready = _ready(conn, alert.name, now)
        pending_later = conn.execute(
            sa.select(sa.func.count())
            .select_from(DELIVERY)
            .where(
                DELIVERY.c.alert == alert.name,
                DELIVERY.c.status == "pending",
                DELIVERY.c.next_attempt_at > now,
            )
        ).scalar_one()
    window_fresh = channel.window_start is None or now - channel.window_start >= RATE_WINDOW
    budget = alert.max_per_minute - (0 if window_fresh else channel.window_count)
    window_ends = now + RATE_WINDOW if window_fresh else channel.window_start + RATE_WINDOW
    if alert.mode == "digest":
        last = channel.last_digest_at or channel.created_at
        next_digest = last + timedelta(hours=alert.digest_every_hours)
        if now < next_digest or budget <= 0:
            if ready:
                run.held = _due_count(engine, alert.name, now)
                if now < next_digest:
                    run.held_until, run.held_by = next_digest, "digest period"
                else:
                    run.held_until, run.held_by = window_ends, "rate limit"
            return
        if not ready:
            if not pending_later:  # nothing new: the period starts again, no empty message
                _mark_channel(engine, alert.name, now, digest=True, sent=False)
            return
        _send(engine, alert, now, send, run, ready, digest=f"every {alert.digest_every_hours:g} h")
        return
    if len(ready) > alert.flood_threshold and budget > 0:
        reason = f"flood: {len(ready)} entries at once, more than {alert.flood_threshold}"
        _send(engine, alert, now, send, run, ready, digest=reason)
        return
    for row in ready[: max(budget, 0)]:
        if not _send(engine, alert, now, send, run, [row], digest=None):
            return
    if len(ready) > max(budget, 0):
        run.held = _due_count(engine, alert.name, now)
        run.held_until, run.held_by = window_ends, "rate limit"


def _due_count(engine: sa.Engine, name: str, now: datetime) -> int:
    """Pending entries of a channel that are due now (all of them, not one batch)."""
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count())
                .select_from(DELIVERY)
                .where(
                    DELIVERY.c.alert == name,
                    DELIVERY.c.status == "pending",
                    DELIVERY.c.next_attempt_at <= now,
                )
            ).scalar_one()
        )


def _send(
    engine: sa.Engine,
    alert: AlertSettings,
    now: datetime,
    send: Sender,
    run: ChannelRun,
    rows: Sequence[DueRow],
    *,
    digest: str | None,
) -> bool:
    with engine.connect() as conn:
        views = entry_views(conn, [row.outbox_id for row in rows])
    if digest is None:
        message: Message = entry_message(views[rows[0].outbox_id], alert.name)
    else:
        message = digest_message([views[r.outbox_id] for r in rows], alert.name, reason=digest)
    ids = [row.id for row in rows]
    try:
        send(alert, message)
    except AlertSendError as exc:
        _failed(engine, alert.name, rows, now, str(exc))
        run.failed, run.error = True, str(exc)
        log.warning(
            "alert delivery failed; will retry",
            extra={"alert": alert.name, "entries": len(ids), "error": str(exc)},
        )
        return False
    with engine.begin() as conn:
        for chunk in _chunks(ids):
            conn.execute(
                sa.update(DELIVERY)
                .where(DELIVERY.c.id.in_(chunk), DELIVERY.c.status == "pending")
                .values(status="sent", sent_at=now, last_error=None)
            )
    _mark_channel(engine, alert.name, now, digest=digest is not None, sent=True)
    run.messages += 1
    run.entries += len(ids)
    log.info("alert sent", extra={"alert": alert.name, "entries": len(ids), "digest": bool(digest)})
    return True


def _failed(
    engine: sa.Engine, name: str, rows: Sequence[DueRow], now: datetime, error: str
) -> None:
    with engine.begin() as conn:
        for row in rows:
            conn.execute(
                sa.update(DELIVERY)
                .where(DELIVERY.c.id == row.id)
                .values(
                    attempts=row.attempts + 1,
                    next_attempt_at=now + retry_delay(row.attempts + 1),
                    last_error=error,
                )
            )
        conn.execute(
            sa.update(CHANNEL)
            .where(CHANNEL.c.name == name)
            .values(last_failure_at=now, last_error=error, failures=CHANNEL.c.failures + 1)
        )


def _mark_channel(engine: sa.Engine, name: str, now: datetime, *, digest: bool, sent: bool) -> None:
    with engine.begin() as conn:
        channel = conn.execute(sa.select(CHANNEL).where(CHANNEL.c.name == name)).one()
        values: dict[str, object] = {}
        if digest:
            values["last_digest_at"] = now
        if sent:
            fresh = channel.window_start is None or now - channel.window_start >= RATE_WINDOW
            values.update(
                window_start=now if fresh else channel.window_start,
                window_count=1 if fresh else channel.window_count + 1,
                last_sent_at=now,
                failures=0,
            )
        conn.execute(sa.update(CHANNEL).where(CHANNEL.c.name == name).values(**values))


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + 500] for i in range(0, len(ids), 500)]
