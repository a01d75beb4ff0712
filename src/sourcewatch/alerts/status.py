"""What ``sourcewatch alerts`` reports, and its ``test`` and ``replay`` actions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from sourcewatch.alerts import fanout
from sourcewatch.alerts.channels import find_alert, service_of
from sourcewatch.alerts.deleted import NOTICE_DELIVERY
from sourcewatch.alerts.fanout import CHANNEL, DELIVERY
from sourcewatch.alerts.message import test_message
from sourcewatch.alerts.outbox import OUTBOX
from sourcewatch.alerts.send import Sender, send_apprise
from sourcewatch.config import AlertSettings

_DAY = timedelta(days=1)


@dataclass(frozen=True)
class ChannelStatus:
    name: str
    service: str  # the URL scheme only: the URL itself may hold secrets
    mode: str
    last_sent_at: datetime | None
    failures: int  # consecutive failed sends
    last_failure_at: datetime | None
    last_error: str | None  # redacted when stored
    backlog: int  # deliveries waiting (due now or retrying later), deletion notices included
    retrying: int  # of those, waiting for a backoff to end
    unread: int  # outbox rows the channel has not looked at yet
    sent_24h: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def channel_status(
    engine: sa.Engine, alerts: Sequence[AlertSettings], now: datetime
) -> list[ChannelStatus]:
    out = []
    with engine.connect() as conn:
        for alert in alerts:
            channel = conn.execute(sa.select(CHANNEL).where(CHANNEL.c.name == alert.name)).first()
            counts = [
                sum(pair)
                for pair in zip(
                    _counts(conn, DELIVERY, alert.name, now),
                    _counts(conn, NOTICE_DELIVERY, alert.name, now),
                    strict=True,
                )
            ]
            cursor = channel.cursor if channel else 0
            unread = conn.execute(
                sa.select(sa.func.count()).select_from(OUTBOX).where(OUTBOX.c.id > cursor)
            ).scalar_one()
            out.append(
                ChannelStatus(
                    name=alert.name,
                    service=service_of(alert),
                    mode=alert.mode,
                    last_sent_at=channel.last_sent_at if channel else None,
                    failures=channel.failures if channel else 0,
                    last_failure_at=channel.last_failure_at if channel else None,
                    last_error=channel.last_error if channel else None,
                    backlog=counts[0],
                    retrying=counts[1],
                    unread=unread if channel else 0,
                    sent_24h=counts[2],
                )
            )
    return out


def _counts(conn: sa.Connection, table: sa.Table, name: str, now: datetime) -> tuple[int, int, int]:
    """(pending, pending and retrying later, sent in the last day) of one delivery table."""
    pending, retrying, sent = conn.execute(
        sa.select(
            sa.func.count().filter(table.c.status == "pending"),
            sa.func.count().filter(table.c.status == "pending", table.c.next_attempt_at > now),
            sa.func.count().filter(table.c.status == "sent", table.c.sent_at >= now - _DAY),
        ).where(table.c.alert == name)
    ).one()
    return int(pending), int(retrying), int(sent)


def send_test(
    alerts: Sequence[AlertSettings], name: str, now: datetime, send: Sender = send_apprise
) -> None:
    """Send a test message on channel ``name``; raises AlertSendError or AlertConfigError."""
    alert = find_alert(alerts, name)
    send(alert, test_message(alert.name, now))


def replay(
    engine: sa.Engine,
    alerts: Sequence[AlertSettings],
    since: datetime,
    now: datetime,
    only: str | None = None,
) -> dict[str, int]:
    """Mark every entry since ``since`` for delivery again; channel -> entries queued.
    The daemon (or ``alerts deliver``) sends them."""
    chosen = [find_alert(alerts, only)] if only else list(alerts)
    queued = {}
    for alert in chosen:
        fanout.ensure_channel(engine, alert, now)
        queued[alert.name] = fanout.replay(engine, alert, since, now)
    return queued
