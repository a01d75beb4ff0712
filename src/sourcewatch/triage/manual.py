"""Adding an item to the queue by hand: what matched nothing can still be written up.

Ingest queues only items that matched (or whose source queues everything). An analyst
who finds a relevant post the watchlists missed marks it like any other;
:func:`add_by_hand` then creates its triage entry first: status ``new``, priority 0
(a person chose it, no watchlist weighed it), the source's areas (the first one
primary), entities from whatever is stored as matched, and a history event ``added``
saying it was added by hand and by whom. The item's later edits then re-open it like
any queued item's.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from sourcewatch.store.tables import ITEM, MATCH, SOURCE
from sourcewatch.triage.entries import Facets, add_event, entry_id_for_item, insert_entry
from sourcewatch.triage.fingerprint import text_fingerprint

ADDED_ACTION = "added"


def add_by_hand(conn: sa.Connection, item_id: int, analyst: str, now: datetime) -> int | None:
    """Create the triage entry of an unqueued item; returns its id, or None when there
    is no such item. An item already queued (perhaps by someone else a moment ago)
    returns its existing entry."""
    item = conn.execute(
        sa.select(ITEM.c.id, ITEM.c.title, ITEM.c.text, ITEM.c.revision)
        .add_columns(SOURCE.c.name, SOURCE.c.areas)
        .join(SOURCE, SOURCE.c.id == ITEM.c.source_id)
        .where(ITEM.c.id == item_id)
    ).first()
    if item is None:
        return None
    try:
        with conn.begin_nested():  # PostgreSQL: a lost race must not abort the transaction
            return _create(conn, item, analyst, now)
    except sa.exc.IntegrityError:  # another analyst added it first: mark that entry
        return entry_id_for_item(conn, item_id)


def _create(conn: sa.Connection, item: sa.Row[object], analyst: str, now: datetime) -> int:
    areas = [str(a).lower() for a in (item.areas or [])]
    entities = set(
        conn.execute(
            sa.select(MATCH.c.entity_id).where(
                MATCH.c.item_id == item.id,
                MATCH.c.revision == item.revision,
                MATCH.c.entity_id.is_not(None),
            )
        ).scalars()
    )
    facets: Facets = {"area": set(areas), "entity": entities, "source": {item.name}}
    triage_id = insert_entry(
        conn,
        item_id=item.id,
        revision=item.revision,
        fingerprint=text_fingerprint(item.title, item.text),
        areas=list(dict.fromkeys(areas)),
        priority=0,
        facets=facets,
        now=now,
    )
    detail = {"item_id": item.id, "revision": item.revision, "source": item.name, "by": "hand"}
    add_event(conn, triage_id, analyst, ADDED_ACTION, detail, now)
    return triage_id
