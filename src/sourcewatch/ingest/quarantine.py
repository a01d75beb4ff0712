"""``sourcewatch quarantine``: the items the database refused, listed, retried, dropped.

Ingest keeps an item that no boundary rule made storable in the ``quarantine`` table
with its reason (:mod:`sourcewatch.ingest.writer`), and stores the rest of the poll.
Here an analyst sees what was kept, and once the cause is fixed (an upgrade, a repaired
value) retries it: the kept item is ingested again under its source, exactly as a poll
would store it, and linked to the captures it was read from; only then is the row
removed. Dropping removes the row and nothing else: the captures stay archived.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from sourcewatch.errors import SourcewatchError
from sourcewatch.ingest.writer import ingest
from sourcewatch.records import MediaRef, ParsedItem, PollResult, iso_utc
from sourcewatch.sources.config import SourceConfig
from sourcewatch.store.sql import insert_ignore
from sourcewatch.store.tables import CAPTURE, ITEM, ITEM_CAPTURE, QUARANTINE, SOURCE
from sourcewatch.workspace import Workspace


class QuarantineError(SourcewatchError):
    """No such quarantined item, or its source is no longer in the watch list."""


@dataclass(frozen=True)
class Quarantined:
    """One kept item: where it came from, why it was refused, and the item itself."""

    id: int
    source: str
    external_id: str
    reason: str
    quarantined_at: datetime
    item: dict[str, Any]

    def to_json(self, *, with_item: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "source": self.source,
            "external_id": self.external_id,
            "reason": self.reason,
            "quarantined_at": iso_utc(self.quarantined_at),
        }
        if with_item:
            out["item"] = self.item
        return out


@dataclass(frozen=True)
class RetryOutcome:
    """What a retry did: stored (the row is gone) or refused again (with the reason)."""

    id: int
    stored: bool
    reason: str | None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "stored": self.stored, "reason": self.reason}


def _select() -> sa.Select[Any]:
    return sa.select(QUARANTINE, SOURCE.c.name.label("source_name")).join(
        SOURCE, SOURCE.c.id == QUARANTINE.c.source_id
    )


def _record(row: Any) -> Quarantined:
    try:
        item = json.loads(row.item)
    except ValueError:  # kept as written; a hand-edited row may not parse
        item = {"unparsed": row.item}
    return Quarantined(
        row.id, row.source_name, row.external_id, row.reason, row.quarantined_at, item
    )


def list_quarantined(ws: Workspace, source: str | None = None) -> list[Quarantined]:
    """Every kept item, oldest first (optionally of one source)."""
    query = _select().order_by(QUARANTINE.c.id)
    if source is not None:
        query = query.where(SOURCE.c.name == source)
    with ws.engine.connect() as conn:
        return [_record(row) for row in conn.execute(query)]


def get_quarantined(ws: Workspace, quarantine_id: int) -> Quarantined:
    """One kept item, or QuarantineError naming the id."""
    with ws.engine.connect() as conn:
        row = conn.execute(_select().where(QUARANTINE.c.id == quarantine_id)).one_or_none()
    if row is None:
        raise QuarantineError(f"no quarantined item {quarantine_id}")
    return _record(row)


def drop_quarantined(ws: Workspace, quarantine_id: int) -> Quarantined:
    """Remove one kept item (its captures stay archived); what was removed."""
    kept = get_quarantined(ws, quarantine_id)
    with ws.engine.begin() as conn:
        conn.execute(sa.delete(QUARANTINE).where(QUARANTINE.c.id == quarantine_id))
    return kept


def retry_quarantined(
    ws: Workspace, quarantine_id: int, sources: list[SourceConfig]
) -> RetryOutcome:
    """Ingest the kept item again under its source; remove the row once it is stored."""
    kept = get_quarantined(ws, quarantine_id)
    source = next((s for s in sources if s.name == kept.source), None)
    if source is None:
        raise QuarantineError(
            f"quarantined item {quarantine_id}: source {kept.source!r} is not in the watch "
            "list any more; add it back to retry, or drop the item"
        )
    item = item_from_json(kept.item)
    report = ingest(ws, source, PollResult(items=[item]))
    if report.quarantined:  # refused again: the row stays (insert_ignore kept the old one)
        reason = report.quarantined[0].partition(": ")[2] or report.quarantined[0]
        return RetryOutcome(quarantine_id, stored=False, reason=reason)
    with ws.engine.begin() as conn:
        _link_captures(conn, kept, item.external_id)
        conn.execute(sa.delete(QUARANTINE).where(QUARANTINE.c.id == quarantine_id))
    return RetryOutcome(quarantine_id, stored=True, reason=None)


def _link_captures(conn: sa.Connection, kept: Quarantined, external_id: str) -> None:
    """Link the stored item to the captures of its source it was read from."""
    shas = [s for s in kept.item.get("capture_sha256s") or [] if isinstance(s, str)]
    if not shas:
        return
    source_id = sa.select(SOURCE.c.id).where(SOURCE.c.name == kept.source).scalar_subquery()
    item_id = conn.execute(
        sa.select(ITEM.c.id).where(ITEM.c.source_id == source_id, ITEM.c.external_id == external_id)
    ).scalar_one_or_none()
    if item_id is None:  # e.g. a tombstone for an item never stored: nothing to link
        return
    capture_ids = conn.execute(
        sa.select(CAPTURE.c.id).where(CAPTURE.c.sha256.in_(shas), CAPTURE.c.source_id == source_id)
    ).scalars()
    rows = [{"item_id": item_id, "capture_id": capture_id} for capture_id in capture_ids]
    if rows:
        conn.execute(insert_ignore(conn, ITEM_CAPTURE), rows)


def item_from_json(document: dict[str, Any]) -> ParsedItem:
    """A ParsedItem from what :meth:`ParsedItem.to_json` wrote (the quarantine's copy)."""
    if not isinstance(document.get("external_id"), str):
        raise QuarantineError("the kept item has no external_id: it cannot be retried")
    return ParsedItem(
        external_id=document["external_id"],
        url=document.get("url"),
        author=document.get("author"),
        published_at=_time(document.get("published_at")),
        text=document.get("text") or "",
        title=document.get("title"),
        lang=document.get("lang"),
        media=[_media(m) for m in document.get("media") or [] if isinstance(m, dict)],
        forwarded_from=document.get("forwarded_from"),
        reply_to=document.get("reply_to"),
        edited=bool(document.get("edited")),
        edited_at=_time(document.get("edited_at")),
        deleted=bool(document.get("deleted")),
        extra=document.get("extra") or {},
    )


_MEDIA_FIELDS = frozenset(f.name for f in dataclasses.fields(MediaRef))


def _media(value: dict[str, Any]) -> MediaRef:
    return MediaRef(**{k: v for k, v in value.items() if k in _MEDIA_FIELDS})


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise QuarantineError(f"the kept item's time {value[:40]!r} is not ISO 8601") from None
