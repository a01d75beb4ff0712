"""Deletion notices: a post an analyst marked relevant, or a report cites, is gone.

An analyst must hear of it before publishing. Ingest calls :func:`record_deletions` in
the transaction that records a deletion (beside the triage history event and tag of
``triage.sourcechange``): a post gets a notice when an entry holding it is
``relevant``/``escalated`` or a report's footnote cites its canonical URL (or a capture
of it). One notice per post: the same post collected by the daemon and snapshotted by
``cite`` is two items, and its second deletion adds nothing. The notice keeps our newest
capture of the post as it was (SHA-256, capture time), so the message can say what the
citation now stands on.

The delivery job (:mod:`.delivery`) fans each notice out, once per channel, to the
channels that heard of the post (a match alert about it was delivered to them) or whose
triggers want it (its source, areas, entities or rules; the priority threshold does not
apply, the analyst's decision made the post matter). A cited post with no queue entry
goes to the channels whose triggers are its source only, or none. Each notice is its own
message, never folded into a digest, and is marked sent once the channel accepts it;
a failed send is retried with the same backoff as match alerts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from sourcewatch.alerts.channels import Candidate, wants
from sourcewatch.alerts.message import DeletionView, deletion_message
from sourcewatch.alerts.send import AlertSendError, Sender
from sourcewatch.config import AlertSettings
from sourcewatch.store.sql import chunked
from sourcewatch.store.tables import (
    ALERT_CHANNEL,
    ALERT_DELETION,
    ALERT_DELETION_DELIVERY,
    ALERT_DELIVERY,
    ALERT_OUTBOX,
    CAPTURE,
    CITATION,
    CITATION_PSEUDO_REPORTS,
    ITEM,
    ITEM_CAPTURE,
    SOURCE,
    TRIAGE,
    TRIAGE_ITEM,
)

log = logging.getLogger(__name__)

NOTICE = ALERT_DELETION
NOTICE_DELIVERY = ALERT_DELETION_DELIVERY
DECIDED = ("relevant", "escalated")
NEW_CHANNEL_LOOKBACK = timedelta(hours=24)
_MAX_CITING = 5  # reports named in one notice; the rest are counted


@dataclass(frozen=True)
class _Deleted:
    item_id: int
    canonical_url: str | None
    source: str


def record_deletions(conn: sa.Connection, item_ids: Sequence[int], now: datetime) -> int:
    """Write a notice for each of ``item_ids`` (just deleted at the source) that an analyst
    decided on or a report cites; returns how many were written."""
    written = 0
    for chunk in chunked(list(item_ids), 500):
        for item in _items(conn, chunk):
            reasons, triage_id = _why_it_matters(conn, item)
            if not reasons or _already_noticed(conn, item):
                continue
            capture = _newest_capture(conn, item)
            conn.execute(
                sa.insert(NOTICE).values(
                    item_id=item.item_id,
                    canonical_url=item.canonical_url,
                    source=item.source,
                    triage_id=triage_id,
                    reasons=reasons,
                    capture_id=capture[0] if capture else None,
                    capture_sha256=capture[1] if capture else None,
                    captured_at=capture[2] if capture else None,
                    deleted_at=now,
                    created_at=now,
                )
            )
            written += 1
    return written


def _items(conn: sa.Connection, item_ids: Sequence[int]) -> list[_Deleted]:
    rows = conn.execute(
        sa.select(ITEM.c.id, ITEM.c.canonical_url, SOURCE.c.name)
        .join(SOURCE, SOURCE.c.id == ITEM.c.source_id)
        .where(ITEM.c.id.in_(item_ids))
        .order_by(ITEM.c.id)
    )
    return [_Deleted(row.id, row.canonical_url, row.name) for row in rows]


def _why_it_matters(conn: sa.Connection, item: _Deleted) -> tuple[list[str], int | None]:
    """The reasons in words ("marked relevant (entry 3)", "cited in draft.md [4]") and the
    decided entry's id, if any."""
    reasons: list[str] = []
    entry = conn.execute(
        sa.select(TRIAGE.c.id, TRIAGE.c.status)
        .join(TRIAGE_ITEM, TRIAGE_ITEM.c.triage_id == TRIAGE.c.id)
        .where(TRIAGE_ITEM.c.item_id == item.item_id, TRIAGE.c.status.in_(DECIDED))
        .limit(1)
    ).first()
    if entry is not None:
        reasons.append(f"marked {entry.status} (entry {entry.id})")
    citing = _citing_reports(conn, item)
    for report, footnote in citing[:_MAX_CITING]:
        reasons.append(f"cited in {report}" + (f" [{footnote}]" if footnote is not None else ""))
    if len(citing) > _MAX_CITING:
        reasons.append(f"and {len(citing) - _MAX_CITING} more citations")
    return reasons, entry.id if entry is not None else None


def _citing_reports(conn: sa.Connection, item: _Deleted) -> list[tuple[str, int | None]]:
    captures = sa.select(ITEM_CAPTURE.c.capture_id).where(ITEM_CAPTURE.c.item_id == item.item_id)
    cites: sa.ColumnElement[bool] = CITATION.c.capture_id.in_(captures)
    if item.canonical_url:
        cites = sa.or_(cites, CITATION.c.canonical_url == item.canonical_url)
    rows = conn.execute(
        sa.select(CITATION.c.report, CITATION.c.footnote)
        .where(cites, CITATION.c.report.not_in(CITATION_PSEUDO_REPORTS))
        .distinct()
        .order_by(CITATION.c.report, CITATION.c.footnote)
    )
    return [(row.report, row.footnote) for row in rows]


def _already_noticed(conn: sa.Connection, item: _Deleted) -> bool:
    same = NOTICE.c.item_id == item.item_id
    if item.canonical_url:
        same = sa.or_(same, NOTICE.c.canonical_url == item.canonical_url)
    return conn.execute(sa.select(NOTICE.c.id).where(same).limit(1)).first() is not None


def _newest_capture(conn: sa.Connection, item: _Deleted) -> tuple[int, str, datetime] | None:
    """Our newest answered capture of the post (this item, or another of the same URL)."""
    same_post = ITEM_CAPTURE.c.item_id == item.item_id
    if item.canonical_url:
        others = sa.select(ITEM.c.id).where(ITEM.c.canonical_url == item.canonical_url)
        same_post = sa.or_(same_post, ITEM_CAPTURE.c.item_id.in_(others))
    row = conn.execute(
        sa.select(CAPTURE.c.id, CAPTURE.c.sha256, CAPTURE.c.fetched_at)
        .join(ITEM_CAPTURE, ITEM_CAPTURE.c.capture_id == CAPTURE.c.id)
        .where(
            same_post,
            sa.or_(CAPTURE.c.status.is_(None), CAPTURE.c.status.between(200, 299)),
            CAPTURE.c.kind.not_in(("media", "attachment")),
        )
        .order_by(CAPTURE.c.fetched_at.desc(), CAPTURE.c.id.desc())
        .limit(1)
    ).first()
    return (row.id, row.sha256, row.fetched_at) if row is not None else None


# --- delivery ------------------------------------------------------------------------------


def fan_out(engine: sa.Engine, alert: AlertSettings, now: datetime) -> int:
    """Create this channel's deliveries of notices it has none of yet; returns how many.
    A channel sees notices written since it was created (less a day), not older ones."""
    with engine.begin() as conn:
        created = conn.execute(
            sa.select(ALERT_CHANNEL.c.created_at).where(ALERT_CHANNEL.c.name == alert.name)
        ).scalar_one()
        known = sa.select(NOTICE_DELIVERY.c.deletion_id).where(
            NOTICE_DELIVERY.c.alert == alert.name
        )
        notices = conn.execute(
            sa.select(NOTICE).where(
                NOTICE.c.id.not_in(known), NOTICE.c.created_at >= created - NEW_CHANNEL_LOOKBACK
            )
        ).all()
        wanted = [row.id for row in notices if _wants(conn, alert, row)]
        if wanted:
            conn.execute(
                sa.insert(NOTICE_DELIVERY),
                [
                    {
                        "alert": alert.name,
                        "deletion_id": notice_id,
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                    for notice_id in wanted
                ],
            )
    return len(wanted)


def _wants(conn: sa.Connection, alert: AlertSettings, notice: sa.Row[tuple[object, ...]]) -> bool:
    """Whether ``alert`` heard of the post, or its triggers (priority aside) want it."""
    heard = conn.execute(
        sa.select(ALERT_DELIVERY.c.id)
        .where(ALERT_DELIVERY.c.alert == alert.name, ALERT_DELIVERY.c.item_id == notice.item_id)
        .limit(1)
    ).first()
    if heard is not None:
        return True
    matched = conn.execute(
        sa.select(ALERT_OUTBOX.c.entities, ALERT_OUTBOX.c.rules)
        .where(ALERT_OUTBOX.c.item_id == notice.item_id)
        .order_by(ALERT_OUTBOX.c.revision.desc())
        .limit(1)
    ).first()
    areas: list[str] = []
    if notice.triage_id is not None:
        areas = list(
            conn.execute(
                sa.select(TRIAGE.c.areas).where(TRIAGE.c.id == notice.triage_id)
            ).scalar_one()
            or []
        )
    candidate = Candidate(
        source=str(notice.source),
        priority=alert.min_priority,  # the threshold does not apply to a deletion
        areas=areas,
        entities=list(matched.entities) if matched else [],
        rules=list(matched.rules) if matched else [],
    )
    return wants(alert, candidate)


def send_due(
    engine: sa.Engine, alert: AlertSettings, now: datetime, send: Sender
) -> tuple[int, str | None]:
    """Send this channel's due notices, one message each; returns (messages sent, the
    error that stopped the run or None)."""
    with engine.connect() as conn:
        due = conn.execute(
            sa.select(NOTICE_DELIVERY.c.id, NOTICE_DELIVERY.c.attempts)
            .add_columns(NOTICE_DELIVERY.c.deletion_id)
            .where(
                NOTICE_DELIVERY.c.alert == alert.name,
                NOTICE_DELIVERY.c.status == "pending",
                NOTICE_DELIVERY.c.next_attempt_at <= now,
            )
            .order_by(NOTICE_DELIVERY.c.id)
        ).all()
    sent = 0
    for row in due:
        with engine.connect() as conn:
            view = deletion_view(conn, row.deletion_id)
        try:
            send(alert, deletion_message(view, alert.name))
        except AlertSendError as exc:
            _failed(engine, alert.name, row.id, row.attempts, now, str(exc))
            log.warning(
                "deletion alert failed; will retry",
                extra={"alert": alert.name, "item": view.item_id, "error": str(exc)},
            )
            return sent, str(exc)
        with engine.begin() as conn:
            conn.execute(
                sa.update(NOTICE_DELIVERY)
                .where(NOTICE_DELIVERY.c.id == row.id, NOTICE_DELIVERY.c.status == "pending")
                .values(status="sent", sent_at=now, last_error=None)
            )
        sent += 1
        log.info("deletion alert sent", extra={"alert": alert.name, "item": view.item_id})
    return sent, None


def _failed(
    engine: sa.Engine, name: str, delivery_id: int, attempts: int, now: datetime, error: str
) -> None:
    """Back off this delivery; the channel's failure shows in ``sourcewatch alerts``."""
    from sourcewatch.alerts.delivery import retry_delay  # the one backoff of every alert

    with engine.begin() as conn:
        conn.execute(
            sa.update(ALERT_CHANNEL)
            .where(ALERT_CHANNEL.c.name == name)
            .values(last_failure_at=now, last_error=error, failures=ALERT_CHANNEL.c.failures + 1)
        )
        conn.execute(
            sa.update(NOTICE_DELIVERY)
            .where(NOTICE_DELIVERY.c.id == delivery_id)
            .values(
                attempts=attempts + 1,
                next_attempt_at=now + retry_delay(attempts + 1),
                last_error=error,
            )
        )


def deletion_view(conn: sa.Connection, deletion_id: int) -> DeletionView:
    """What a deletion message shows: the notice, and the post's text as we archived it."""
    row = conn.execute(
        sa.select(NOTICE, ITEM.c.url, ITEM.c.title, ITEM.c.text)
        .join(ITEM, ITEM.c.id == NOTICE.c.item_id)
        .where(NOTICE.c.id == deletion_id)
    ).one()
    return DeletionView(
        item_id=row.item_id,
        source=row.source,
        url=row.canonical_url or row.url,
        reasons=list(row.reasons),
        capture_sha256=row.capture_sha256,
        captured_at=row.captured_at,
        deleted_at=row.deleted_at,
        title=row.title,
        text=row.text or "",
    )
