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

# The statements every queued hit runs, built once: a statement built per call with
# ``.values(...)`` cost SQLAlchemy ~0.5 ms of CPU each (coercing every value, a new cache
# key), two thirds of a rescan that queues one item in twenty.
_INSERT_EVENT = sa.insert(TRIAGE_EVENT)
_INSERT_ENTRY = sa.insert(TRIAGE).returning(TRIAGE.c.id)
_INSERT_ITEM_LINK = sa.insert(TRIAGE_ITEM)
_INSERT_FACETS = sa.insert(TRIAGE_FACET)
_DELETE_FACETS = sa.delete(TRIAGE_FACET).where(TRIAGE_FACET.c.triage_id == sa.bindparam("tid"))


def add_event(
    conn: sa.Connection,
    triage_id: int,
    analyst: str,
    action: str,
    detail: dict[str, Any],
    now: datetime,
) -> None:
    conn.execute(
        _INSERT_EVENT,
        {"triage_id": triage_id, "at": now, "analyst": analyst, "action": action, "detail": detail},
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
    conn.execute(_DELETE_FACETS, {"tid": triage_id})
    _insert_facets(conn, triage_id, facets, status=status, priority=priority, queued_at=queued_at)


def _insert_facets(
    conn: sa.Connection,
    triage_id: int,
    facets: Facets,
    *,
    status: str,
    priority: int,
    queued_at: datetime,
) -> None:
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
        conn.execute(_INSERT_FACETS, rows)


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
        _INSERT_ENTRY,
        {
            "item_id": item_id,
            "status": "new",
            "priority": priority,
            "areas": areas,
            "tags": [],
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "queued_at": now,
        },
    ).scalar_one()
    conn.execute(
        _INSERT_ITEM_LINK,
        {
            "item_id": item_id,
            "triage_id": triage_id,
            "fingerprint": fingerprint,
            "revision": revision,
            "added_at": now,
        },
    )
    # A new entry has no facet rows to delete.
    _insert_facets(conn, triage_id, facets, status="new", priority=priority, queued_at=now)
    return triage_id
