"""Marking entries (status, note, tags, assignee) under an optimistic version check.

Each entry has a ``version``; a mark names the version it was decided on and the
UPDATE only applies ``WHERE version = expected``. Two analysts marking at once: the
first commit wins, the second matches no row and gets a ConflictError that says who
changed it to what, and when. Nothing is overwritten without being seen first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from sourcewatch.errors import InvalidInput, SourcewatchError
from sourcewatch.records import iso_utc
from sourcewatch.store.tables import TRIAGE, TRIAGE_EVENT, TRIAGE_STATUSES
from sourcewatch.triage.entries import add_event, entry_id_for_item, sync_sort_keys
from sourcewatch.triage.manual import add_by_hand

MAX_TAG_CHARS = 50
MAX_NOTE_CHARS = 10_000


class TriageError(SourcewatchError):
    """A queue operation could not be done; the message says why."""


class ItemNotFoundError(TriageError):
    def __init__(self, item_id: int) -> None:
        super().__init__(f"no item {item_id}")
        self.item_id = item_id


class NotQueuedError(TriageError):
    def __init__(self, item_id: int) -> None:
        super().__init__(f"item {item_id} is not in the triage queue")
        self.item_id = item_id


class ConflictError(TriageError):
    """Someone changed the entry since it was read."""

    def __init__(self, item_id: int, expected: int, current: sa.Row[Any], last: sa.Row[Any] | None):
        who = f" by {last.analyst} at {last.at:%Y-%m-%d %H:%M:%S}Z ({last.action})" if last else ""
        super().__init__(
            f"item {item_id} was changed{who}: it is now {current.status!r}, version "
            f"{current.version}, not the version {expected} you decided on. Nothing was "
            f"changed; look again (`sourcewatch show {item_id}`) and re-mark if still right."
        )
        self.item_id = item_id
        self.expected = expected
        self.current_version: int = current.version
        self.current_status: str = current.status


@dataclass(frozen=True)
class MarkChange:
    """What a mark changes. ``assignee=""`` unassigns; None leaves it."""

    status: str | None = None
    note: str | None = None
    tags: tuple[str, ...] = ()
    assignee: str | None = None

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in TRIAGE_STATUSES:
            raise InvalidInput(
                f"unknown status {self.status!r}; one of {', '.join(TRIAGE_STATUSES)}"
            )
        if self.status is None and self.note is None and not self.tags and self.assignee is None:
            raise InvalidInput("nothing to change: give a status, note, tag or assignee")
        for tag in self.tags:
            if not tag.strip() or len(tag) > MAX_TAG_CHARS:
                raise InvalidInput(f"tags must be 1-{MAX_TAG_CHARS} characters: {tag!r}")
        if self.note is not None and len(self.note) > MAX_NOTE_CHARS:
            raise InvalidInput(f"note longer than {MAX_NOTE_CHARS} characters")


@dataclass(frozen=True)
class MarkResult:
    item_id: int
    triage_id: int
    status: str
    version: int
    previous_status: str
    added: bool = False  # the item was not queued: this mark created its entry
    detail: dict[str, Any] = field(default_factory=dict)  # what the history event records

    def to_json(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "status": self.status,
            "previous_status": self.previous_status,
            "version": self.version,
            "added": self.added,
        }


@dataclass(frozen=True)
class HistoryEvent:
    at: datetime
    analyst: str
    action: str
    detail: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "at": iso_utc(self.at),
            "analyst": self.analyst,
            "action": self.action,
            "detail": self.detail,
        }


def mark(
    conn: sa.Connection,
    item_id: int,
    change: MarkChange,
    analyst: str,
    now: datetime,
    *,
    expected_version: int | None = None,
    add_unqueued: bool = True,
) -> MarkResult:
    """Apply ``change`` to the entry of ``item_id`` (any item of a group) if it is still at
    ``expected_version`` (default: the version read now, in this transaction).

    An item that is not queued (it matched nothing) gets an entry first, recorded as
    added by hand (``triage.manual``), unless ``add_unqueued`` is False."""
    triage_id = entry_id_for_item(conn, item_id)
    by_hand = False
    if triage_id is None:
        if not add_unqueued:
            raise NotQueuedError(item_id)
        triage_id = add_by_hand(conn, item_id, analyst, now)
        if triage_id is None:
            raise ItemNotFoundError(item_id)
        by_hand = True
    entry = conn.execute(sa.select(TRIAGE).where(TRIAGE.c.id == triage_id)).one()
    expected = entry.version if expected_version is None else expected_version
    values: dict[str, Any] = {"version": expected + 1, "updated_at": now}
    detail: dict[str, Any] = {"item_id": item_id, "version": expected + 1}
    if change.status is not None:
        values.update(status=change.status, claimed_by=None, claim_expires_at=None)
        detail["status"] = [entry.status, change.status]
    if change.note is not None:
        values["note"] = change.note
        detail["note"] = change.note
    if change.tags:
        added = [t.strip() for t in change.tags if t.strip() not in entry.tags]
        values["tags"] = [*entry.tags, *dict.fromkeys(added)]
        detail["tags_added"] = list(dict.fromkeys(added))
    if change.assignee is not None:
        values["assignee"] = change.assignee.strip()[:100] or None
        detail["assignee"] = [entry.assignee, values["assignee"]]
    updated = conn.execute(
        sa.update(TRIAGE)
        .where(TRIAGE.c.id == triage_id, TRIAGE.c.version == expected)
        .values(**values)
    )
    if updated.rowcount != 1:
        current = conn.execute(sa.select(TRIAGE).where(TRIAGE.c.id == triage_id)).one()
        raise ConflictError(item_id, expected, current, _last_event(conn, triage_id))
    if change.status is not None:
        sync_sort_keys(conn, triage_id, status=change.status)
    add_event(conn, triage_id, analyst, "marked", detail, now)
    return MarkResult(
        item_id=item_id,
        triage_id=triage_id,
        status=values.get("status", entry.status),
        version=expected + 1,
        previous_status=entry.status,
        added=by_hand,
        detail=detail,
    )


def history(conn: sa.Connection, item_id: int) -> list[HistoryEvent]:
    """Every change of the entry of ``item_id``, oldest first."""
    triage_id = entry_id_for_item(conn, item_id)
    if triage_id is None:
        raise NotQueuedError(item_id)
    rows = conn.execute(
        sa.select(TRIAGE_EVENT)
        .where(TRIAGE_EVENT.c.triage_id == triage_id)
        .order_by(TRIAGE_EVENT.c.at, TRIAGE_EVENT.c.id)
    )
    return [HistoryEvent(r.at, r.analyst, r.action, dict(r.detail)) for r in rows]


def _last_event(conn: sa.Connection, triage_id: int) -> sa.Row[Any] | None:
    return conn.execute(
        sa.select(TRIAGE_EVENT)
        .where(TRIAGE_EVENT.c.triage_id == triage_id)
        .order_by(TRIAGE_EVENT.c.id.desc())
        .limit(1)
    ).first()
