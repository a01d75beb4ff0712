"""Low-level writes shared by enqueue and the queue operations.

Every change to a triage entry's status, priority or queue time must reach its
TriageArea rows too (they carry copies of those sort keys); these helpers are the
one place that keeps them in step, and the one place that writes history.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from sourcewatch.models import Triage, TriageArea, TriageEvent, TriageItem

TRIAGE = Triage.__table__
TRIAGE_ITEM = TriageItem.__table__
TRIAGE_AREA = TriageArea.__table__
TRIAGE_EVENT = TriageEvent.__table__

SYSTEM_ANALYST = "sourcewatch"  # history entries written by ingest, not by a person


def add_event(
    conn: sa.Connection,
    triage_id: int,
    analyst: str,
    action: str,
    detail: dict[str, Any],
    now: datetime,
) -> None:
    conn.execute(
        sa.insert(TRIAGE_EVENT).values(
            triage_id=triage_id, at=now, analyst=analyst, action=action, detail=detail
        )
    )


def set_areas(
    conn: sa.Connection,
    triage_id: int,
    areas: Iterable[str],
    *,
    status: str,
    priority: int,
    queued_at: datetime,
) -> None:
    """Replace the entry's TriageArea rows (areas change rarely; this keeps it simple)."""
    conn.execute(sa.delete(TRIAGE_AREA).where(TRIAGE_AREA.c.triage_id == triage_id))
    rows = [
        {
            "triage_id": triage_id,
            "area": area,
            "status": status,
            "priority": priority,
            "queued_at": queued_at,
        }
        for area in sorted(set(areas))
    ]
    if rows:
        conn.execute(sa.insert(TRIAGE_AREA), rows)


def sync_sort_keys(conn: sa.Connection, triage_id: int, **values: Any) -> None:
    """Copy a new status / priority / queued_at of an entry onto its area rows."""
    keys = {k: v for k, v in values.items() if k in ("status", "priority", "queued_at")}
    if keys:
        conn.execute(
            sa.update(TRIAGE_AREA).where(TRIAGE_AREA.c.triage_id == triage_id).values(**keys)
        )


def entry_id_for_item(conn: sa.Connection, item_id: int) -> int | None:
    """The triage entry an item belongs to (as first item or as a near-duplicate)."""
    return conn.execute(
        sa.select(TRIAGE_ITEM.c.triage_id).where(TRIAGE_ITEM.c.item_id == item_id)
    ).scalar()
