"""Queue rules: which new or edited items enter the triage queue, and how high.

``enqueue`` runs inside the ingest transaction, after the Match rows are stored:

* an item with at least one match (entity or rule), or any item of a source with
  ``queue_all = true``, enters with status ``new``;
* its areas come from ``matching.areas.item_areas``: the source's areas, fired rules'
  areas and areas two matched entities share with a place (every matched area when
  the source is area-neutral); the primary area (the source's first) is stored first
  in ``areas`` and stays first when the entry later widens: digests file it there;
* priority = 10 x (heaviest matched weight, 1-5) x (source weight, 1-5)
  + breadth (distinct entities and rules beyond the first, at most 9).
  A heavy entity from a minor source ties with a light one from a trusted source;
  among equals, mentioning more of the watchlist ranks higher. Unmatched items of a
  ``queue_all`` source get 0, below every match;
* an edit of an item already in the queue puts its entry back to ``new`` (when an
  analyst had decided it) and on top of the newest, keeps the higher priority, and
  records the revision in the history, so the analyst sees what changed. That happens
  even when the edit removed every match: a deleted name is news too;
* a new item whose normalized text (see ``fingerprint``) equals that of an item
  queued in the last ``DUPLICATE_WINDOW`` joins that entry instead of making its
  own: one entry, every source listed. The entry keeps its status;
* matching a revision that was already queued again (``rescan`` after a watchlist
  change) is not an edit: it may raise the priority and add areas, never re-opens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from sourcewatch.store.sql import chunked
from sourcewatch.store.tables import SOURCE, TRIAGE, TRIAGE_ITEM
from sourcewatch.triage.entries import (
    SYSTEM_ANALYST,
    Facets,
    add_event,
    facets_of,
    insert_entry,
    merged,
    set_facets,
)
from sourcewatch.triage.fingerprint import text_fingerprint

if TYPE_CHECKING:
    # matching and the watch list's models are imported for types only: the triage
    # commands import this package and must start fast
    from sourcewatch.matching.results import MatchResult
    from sourcewatch.sources.config import SourceConfig

DUPLICATE_WINDOW = timedelta(days=14)  # an older identical text is queued again
MAX_BREADTH = 9


@dataclass(frozen=True)
class ItemHit:
    """One new or edited item revision with what matching found in it (maybe nothing)."""

    item_id: int
    revision: int
    is_edit: bool
    title: str | None
    text: str
    result: MatchResult


def priority_for(result: MatchResult, source_weight: int) -> int:
    """The queue priority of a match result from a source of ``source_weight``."""
    if not result:
        return 0
    breadth = min(len(result.entity_ids) + len(result.rules) - 1, MAX_BREADTH)
    return 10 * result.priority * source_weight + breadth


def enqueue(conn: sa.Connection, source: SourceConfig, hits: list[ItemHit], now: datetime) -> int:
    """Apply the queue rules to ``hits``; return how many entries were created or re-opened.

    Pass every changed item: unmatched new items are skipped here (unless the source
    queues all), unmatched edits still re-open an entry they belong to.
    """
    if not hits:
        return 0
    source_id = conn.execute(sa.select(SOURCE.c.id).where(SOURCE.c.name == source.name)).scalar()
    if source_id is None:
        raise LookupError(f"source {source.name!r} is not in the database; ingest it first")
    existing: dict[int, tuple[int, int]] = {}  # item id -> (triage id, revision queued)
    for chunk in chunked([hit.item_id for hit in hits], 500):
        rows = conn.execute(
            sa.select(TRIAGE_ITEM.c.item_id, TRIAGE_ITEM.c.triage_id, TRIAGE_ITEM.c.revision).where(
                TRIAGE_ITEM.c.item_id.in_(chunk)
            )
        )
        existing.update({row.item_id: (row.triage_id, row.revision) for row in rows})

    changed = 0
    for hit in hits:
        p = Placement.of(hit, source, now)
        known = existing.get(hit.item_id)
        if known is not None and hit.revision > known[1]:
            changed += _revise(conn, known[0], p)
        elif known is not None:
            _rematch(conn, known[0], p)
        elif hit.result or source.queue_all:
            group = _duplicate_entry(conn, p.fingerprint, now)
            if group is not None:
                _join(conn, group, p)
            else:
                existing[hit.item_id] = (_create(conn, p), hit.revision)
                changed += 1
    return changed


@dataclass(frozen=True)
class Placement:
    """One hit on its way into the queue: everything the queue rules write about it."""

    hit: ItemHit
    source: SourceConfig
    priority: int
    facets: Facets  # what the entry can be filtered by: queue --area/--entity/--source
    fingerprint: str | None  # near-duplicate key of the text
    now: datetime

    @classmethod
    def of(cls, hit: ItemHit, source: SourceConfig, now: datetime) -> Placement:
        from sourcewatch.matching import areas as areas_module  # matching loads on first use

        facets: Facets = {
            "area": set(areas_module.item_areas(source.areas, hit.result)),
            "entity": set(hit.result.entity_ids),
            "source": {source.name},
        }
        priority = priority_for(hit.result, source.weight)
        return cls(hit, source, priority, facets, text_fingerprint(hit.title, hit.text), now)

    def detail(self) -> dict[str, Any]:
        """What the history event of this placement records."""
        return _hit_detail(self.hit, self.source, self.priority)


def _create(conn: sa.Connection, p: Placement) -> int:
    hit, source, now = p.hit, p.source, p.now
    triage_id = insert_entry(
        conn,
        item_id=hit.item_id,
        revision=hit.revision,
        fingerprint=p.fingerprint,
        areas=ordered_areas(p.facets["area"], _primary(None, source, hit)),
        priority=p.priority,
        facets=p.facets,
        now=now,
    )
    add_event(conn, triage_id, SYSTEM_ANALYST, "queued", p.detail(), now)
    return triage_id


def _revise(conn: sa.Connection, triage_id: int, p: Placement) -> int:
    """A new revision of an item already queued; returns 1 if that re-opened the entry."""
    hit, source, priority, facets, now = p.hit, p.source, p.priority, p.facets, p.now
    entry = conn.execute(sa.select(TRIAGE).where(TRIAGE.c.id == triage_id)).one()
    conn.execute(
        sa.update(TRIAGE_ITEM)
        .where(TRIAGE_ITEM.c.item_id == hit.item_id)
        .values(fingerprint=p.fingerprint, revision=hit.revision)
    )
    reopened = entry.status != "new"
    all_facets = merged(facets_of(conn, triage_id), facets)
    new_priority = max(entry.priority, priority)
    conn.execute(
        sa.update(TRIAGE)
        .where(TRIAGE.c.id == triage_id)
        .values(
            status="new",
            priority=new_priority,
            areas=ordered_areas(all_facets["area"], _primary(entry.areas, source, hit)),
            version=TRIAGE.c.version + 1,  # an analyst holding the old text must re-read
            updated_at=now,
            queued_at=now,
            claimed_by=None,
            claim_expires_at=None,
        )
    )
    set_facets(conn, triage_id, all_facets, status="new", priority=new_priority, queued_at=now)
    detail = p.detail()
    if reopened:
        detail["previous_status"] = entry.status
    add_event(conn, triage_id, SYSTEM_ANALYST, "reopened" if reopened else "edited", detail, now)
    return int(reopened)


def _rematch(conn: sa.Connection, triage_id: int, p: Placement) -> None:
    """The same revision matched again (a rescan): only ever raise priority, add
    areas, entities."""
    if _widen(conn, triage_id, p.priority, p.facets):
        add_event(conn, triage_id, SYSTEM_ANALYST, "rematched", p.detail(), p.now)


def _widen(conn: sa.Connection, triage_id: int, priority: int, facets: Facets) -> bool:
    """Raise an entry's priority to ``priority`` and add ``facets`` to it; never lowers
    or removes anything. False when the entry already had them all."""
    entry = conn.execute(sa.select(TRIAGE).where(TRIAGE.c.id == triage_id)).one()
    current = facets_of(conn, triage_id)
    all_facets = merged(current, facets)
    new_priority = max(entry.priority, priority)
    if new_priority == entry.priority and all_facets == current:
        return False
    conn.execute(
        sa.update(TRIAGE)
        .where(TRIAGE.c.id == triage_id)
        .values(
            priority=new_priority,
            areas=ordered_areas(all_facets["area"], entry.areas[0] if entry.areas else None),
        )
    )
    set_facets(
        conn,
        triage_id,
        all_facets,
        status=entry.status,
        priority=new_priority,
        queued_at=entry.queued_at,
    )
    return True


def _duplicate_entry(conn: sa.Connection, fingerprint: str | None, now: datetime) -> int | None:
    if fingerprint is None:
        return None
    return conn.execute(
        _DUPLICATE_ENTRY, {"fingerprint": fingerprint, "since": now - DUPLICATE_WINDOW}
    ).scalar()


# Built once (run for every queued hit); see entries.py on statements built per call.
_DUPLICATE_ENTRY = (
    sa.select(TRIAGE_ITEM.c.triage_id)
    .where(
        TRIAGE_ITEM.c.fingerprint == sa.bindparam("fingerprint"),
        TRIAGE_ITEM.c.added_at >= sa.bindparam("since", type_=TRIAGE_ITEM.c.added_at.type),
    )
    .order_by(TRIAGE_ITEM.c.added_at)
    .limit(1)
)


def _join(conn: sa.Connection, triage_id: int, p: Placement) -> None:
    conn.execute(
        sa.insert(TRIAGE_ITEM).values(
            item_id=p.hit.item_id,
            triage_id=triage_id,
            fingerprint=p.fingerprint,
            revision=p.hit.revision,
            added_at=p.now,
        )
    )
    _widen(conn, triage_id, p.priority, p.facets)
    add_event(conn, triage_id, SYSTEM_ANALYST, "duplicate", p.detail(), p.now)


def ordered_areas(areas: set[str], primary: str | None) -> list[str]:
    """``areas`` with ``primary`` first (when it is one of them), the rest sorted."""
    if primary is None or primary not in areas:
        return sorted(areas)
    return [primary, *sorted(areas - {primary})]


def _primary(current: list[str] | None, source: SourceConfig, hit: ItemHit) -> str | None:
    """An entry keeps the primary area it was queued under; a new one takes the hit's."""
    from sourcewatch.matching.areas import primary_area

    return current[0] if current else primary_area(source.areas, hit.result)


def _hit_detail(hit: ItemHit, source: SourceConfig, priority: int) -> dict[str, Any]:
    return {
        "item_id": hit.item_id,
        "revision": hit.revision,
        "source": source.name,
        "priority": priority,
        "entities": hit.result.entity_ids,
        "rules": list(hit.result.rules),
    }
