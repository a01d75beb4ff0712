"""The alert outbox: written in the ingest transaction, right after the queue rules ran.

A row is written for a queue entry's own item (not for near-duplicates that joined
another item's entry: the analyst already heard about that text) when the revision's
matched set - entity and rule ids - is one this item has not been alerted for. So an
edit that only fixes a typo alerts nobody; an edit that adds a name alerts again. An
edit that removes every match re-opens the queue entry but is not alerted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from sourcewatch.sources.config import SourceConfig
from sourcewatch.store.sql import chunked
from sourcewatch.store.tables import ALERT_OUTBOX, TRIAGE, TRIAGE_ITEM

if TYPE_CHECKING:
    # matching is imported for types only: the triage commands must start fast
    from sourcewatch.matching.results import MatchResult

OUTBOX = ALERT_OUTBOX


def match_key(entities: Sequence[str], rules: Sequence[str]) -> str:
    """What matched, as one comparable value: the sorted entity and rule ids, hashed."""
    parts = [f"e:{e}" for e in sorted(set(entities))] + [f"r:{r}" for r in sorted(set(rules))]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def record(
    conn: sa.Connection,
    source: SourceConfig,
    hits: Sequence[tuple[int, int, MatchResult]],
    now: datetime,
) -> int:
    """Write outbox rows for ``hits`` (item id, revision, match result) that the queue
    rules just queued; returns how many were written."""
    if not hits:
        return 0
    item_ids = [item_id for item_id, _, _ in hits]
    queued: dict[int, tuple[int, int, int, list[str]]] = {}  # item -> entry, revision, prio, areas
    last_key: dict[int, tuple[int, str]] = {}  # item -> (revision, match_key) last outboxed
    for chunk in chunked(item_ids, 500):
        rows = conn.execute(
            sa.select(
                TRIAGE_ITEM.c.item_id,
                TRIAGE_ITEM.c.revision,
                TRIAGE.c.id,
                TRIAGE.c.priority,
                TRIAGE.c.areas,
            )
            .join(TRIAGE, TRIAGE.c.id == TRIAGE_ITEM.c.triage_id)
            .where(TRIAGE_ITEM.c.item_id.in_(chunk), TRIAGE.c.item_id == TRIAGE_ITEM.c.item_id)
        )
        for row in rows:
            queued[row.item_id] = (row.id, row.revision, row.priority, list(row.areas))
        for sent in conn.execute(
            sa.select(OUTBOX.c.item_id, OUTBOX.c.revision, OUTBOX.c.match_key).where(
                OUTBOX.c.item_id.in_(chunk)
            )
        ):
            if sent.item_id not in last_key or sent.revision > last_key[sent.item_id][0]:
                last_key[sent.item_id] = (sent.revision, sent.match_key)

    rows_out = []
    for item_id, revision, result in hits:
        entry = queued.get(item_id)
        if entry is None or entry[1] != revision:
            continue  # not queued, joined another entry, or an older revision
        if revision > 1 and not result:
            continue
        key = match_key(result.entity_ids, result.rules)
        previous = last_key.get(item_id)
        if previous is not None and (previous[0] >= revision or previous[1] == key):
            continue  # already alerted for this revision, or for this same matched set
        triage_id, _, priority, areas = entry
        rows_out.append(
            {
                "item_id": item_id,
                "revision": revision,
                "triage_id": triage_id,
                "source": source.name,
                "priority": priority,
                "areas": areas,
                "entities": result.entity_ids,
                "rules": list(result.rules),
                "names": list(dict.fromkeys(m.text for m in result.matches)),
                "match_key": key,
                "created_at": now,
            }
        )
        last_key[item_id] = (revision, key)
    if rows_out:
        conn.execute(sa.insert(OUTBOX), rows_out)
    return len(rows_out)
