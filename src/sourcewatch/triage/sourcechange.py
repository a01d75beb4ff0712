"""When a post an analyst decided on disappears at the source, the entry says so.

An entry marked ``relevant`` or ``escalated`` is what ends up in a report. If the
platform deletes one of its items, the analyst must hear of it before publishing:
ingest calls :func:`flag_deleted` in the same transaction that records the
deletion, which writes a ``source-deleted`` history event and adds the tag
``source-deleted`` (the entry's version moves on, so a concurrent mark notices).
Entries still ``new`` or already ``irrelevant``/``duplicate`` are left alone:
the item's own ``deleted_at`` already shows in ``show``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from sourcewatch.store.sql import chunked
from sourcewatch.store.tables import TRIAGE, TRIAGE_ITEM
from sourcewatch.triage.entries import SYSTEM_ANALYST, add_event

DELETED_TAG = "source-deleted"
DECIDED = ("relevant", "escalated")


def flag_deleted(conn: sa.Connection, item_ids: Sequence[int], now: datetime) -> list[int]:
    """Flag the decided entries holding any of ``item_ids`` (just deleted at the source);
    returns the flagged entries' ids."""
    flagged: list[int] = []
    for chunk in chunked(list(item_ids), 500):
        rows = conn.execute(
            sa.select(TRIAGE_ITEM.c.item_id, TRIAGE.c.id, TRIAGE.c.tags, TRIAGE.c.version)
            .join(TRIAGE, TRIAGE.c.id == TRIAGE_ITEM.c.triage_id)
            .where(TRIAGE_ITEM.c.item_id.in_(chunk), TRIAGE.c.status.in_(DECIDED))
        ).all()
        for row in rows:
            tags = list(row.tags or [])
            if DELETED_TAG not in tags:
                tags.append(DELETED_TAG)
            conn.execute(
                sa.update(TRIAGE)
                .where(TRIAGE.c.id == row.id)
                .values(tags=tags, version=TRIAGE.c.version + 1, updated_at=now)
            )
            add_event(conn, row.id, SYSTEM_ANALYST, DELETED_TAG, {"item_id": row.item_id}, now)
            flagged.append(row.id)
    return flagged
