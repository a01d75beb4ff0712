"""Low-level writes shared by enqueue and the queue operations.

Every change to a triage entry's status, priority or queue time must reach its
TriageFacet rows too (they carry copies of those sort keys); these helpers are the
one place that keeps them in step, and the one place that writes history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from sourcewatch.store.tables import (
    TRIAGE,
    TRIAGE_EVENT,
    TRIAGE_FACET,
    TRIAGE_FACETS,
    TRIAGE_ITEM,
)

SYSTEM_ANALYST = "sourcewatch"  # history entries written by ingest, not by a person
FACETS = TRIAGE_FACETS
Facets = dict[str, set[str]]  # facet -> values, e.g. {"area": {"sahel"}, "entity": {...}}


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


def facets_of(conn: sa.Connection, triage_id: int) -> Facets:
    facets: Facets = {facet: set() for facet in FACETS}
    rows = conn.execute(
        sa.select(TRIAGE_FACET.c.facet, TRIAGE_FACET.c.value).where(
            TRIAGE_FACET.c.triage_id == triage_id
        )
    )
    for facet, value in rows:
        facets.setdefault(facet, set()).add(value)
    return facets


def merged(*many: Facets) -> Facets:
    result: Facets = {facet: set() for facet in FACETS}
    for facets in many:
        for facet, values in facets.items():
            result.setdefault(facet, set()).update(values)
    return result


def set_facets(
    conn: sa.Connection,
    triage_id: int,
    facets: Facets,
    *,
    status: str,
    priority: int,
    queued_at: datetime,
) -> None:
    """Replace the entry's facet rows (they change rarely; this keeps it simple)."""
    conn.execute(sa.delete(TRIAGE_FACET).where(TRIAGE_FACET.c.triage_id == triage_id))
    rows = [
        {
            "triage_id": triage_id,
            "facet": facet,
            "value": value[:200],
            "status": status,
            "priority": priority,
            "queued_at": queued_at,
        }
        for facet, values in sorted(facets.items())
        for value in sorted({v[:200] for v in values if v})
    ]
    if rows:
        conn.execute(sa.insert(TRIAGE_FACET), rows)


def sync_sort_keys(conn: sa.Connection, triage_id: int, **values: Any) -> None:
    """Copy a new status / priority / queued_at of an entry onto its facet rows."""
    keys = {k: v for k, v in values.items() if k in ("status", "priority", "queued_at")}
    if keys:
        conn.execute(
            sa.update(TRIAGE_FACET).where(TRIAGE_FACET.c.triage_id == triage_id).values(**keys)
        )


def entry_id_for_item(conn: sa.Connection, item_id: int) -> int | None:
    """The triage entry an item belongs to (as first item or as a near-duplicate)."""
    return conn.execute(
        sa.select(TRIAGE_ITEM.c.triage_id).where(TRIAGE_ITEM.c.item_id == item_id)
    ).scalar()


def insert_entry(
    conn: sa.Connection,
    *,
    item_id: int,
    revision: int,
    fingerprint: str | None,
    areas: list[str],
    priority: int,
    facets: Facets,
    now: datetime,
) -> int:
    """A new ``new`` entry holding one item (its row, its item link and its facets), by
    whichever way it came: the queue rules (enqueue) or an analyst's hand (manual)."""
    triage_id: int = conn.execute(
        sa.insert(TRIAGE)
        .values(
            item_id=item_id,
            status="new",
            priority=priority,
            areas=areas,
            tags=[],
            version=1,
            created_at=now,
            updated_at=now,
            queued_at=now,
        )
        .returning(TRIAGE.c.id)
    ).scalar_one()
    conn.execute(
        sa.insert(TRIAGE_ITEM).values(
            item_id=item_id,
            triage_id=triage_id,
            fingerprint=fingerprint,
            revision=revision,
            added_at=now,
        )
    )
    set_facets(conn, triage_id, facets, status="new", priority=priority, queued_at=now)
    return triage_id
