"""Per-day counts kept as items are stored: items per source per day (``item_day``) and
items per entity per day (``entity_day``), by the UTC day an item was collected.

Why: the dashboard plots 30 days of a busy desk; counting a quarter of a million items
on each view took over a second. Ingest adds its counts in the transaction that stores
the items, so the rollup is never ahead of or behind what is committed.

Several daemon replicas ingest at once. Each adds with one upsert per row
(``total = total + excluded.total``), never a read-then-write, so no increment is lost;
the rows are written in key order, so two transactions that touch the same rows lock
them in the same order and wait for each other rather than deadlock. Ingest calls
:func:`record_ingest` just before the capture log's append, so a hot row (today, a busy
entity) is held only for the moment the chain's lock already serializes.

:func:`rebuild` recounts both from the items (``sourcewatch reindex``); :func:`differences`
is what ``verify`` reports.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from sourcewatch.store.sql import chunked, dialect_insert
from sourcewatch.store.tables import ENTITY_DAY, ITEM, ITEM_DAY, MATCH

# (entity id, day) -> items
EntityCounts = Counter[tuple[str, date]]

_CHUNK = 500


def day_of(conn: sa.Connection, column: Any) -> Any:
    """The UTC day of a stored timestamp, as the database computes it."""
    if conn.dialect.name == "sqlite":
        return sa.func.date(column)
    return sa.cast(column, sa.Date)


def as_date(value: Any) -> date:
    """A day as the database hands it back (SQLite: text)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def record_ingest(
    conn: sa.Connection,
    new_items: Mapping[int, int],
    matched: Sequence[tuple[int, int]],
    now: datetime,
) -> None:
    """Count one ingest transaction: ``new_items`` (source id -> items inserted, all
    collected ``now``) and the entities first matched by the revisions ``matched``
    ((item id, revision) stored now; pass none when nothing matched)."""
    day = now.date()
    add_items(conn, {(source_id, day): n for source_id, n in new_items.items() if n})
    add_entities(conn, _first_matched(conn, matched))


def _first_matched(conn: sa.Connection, matched: Sequence[tuple[int, int]]) -> EntityCounts:
    """(entity, collection day) of each item whose revision just stored is the first of
    its revisions to match that entity: ingest appends revisions, so an entity an older
    revision matched was counted then."""
    stored = dict(matched)
    found: EntityCounts = Counter()
    for chunk in chunked(sorted(stored), _CHUNK):
        rows = conn.execute(
            sa.select(
                MATCH.c.item_id,
                MATCH.c.entity_id,
                sa.func.min(MATCH.c.revision),
                ITEM.c.collected_at,
            )
            .select_from(MATCH.join(ITEM, ITEM.c.id == MATCH.c.item_id))
            .where(MATCH.c.item_id.in_(chunk), _is_entity())
            .group_by(MATCH.c.item_id, MATCH.c.entity_id, ITEM.c.collected_at)
        )
        for item_id, entity_id, first, collected_at in rows:
            if first == stored[item_id]:
                found[(entity_id, collected_at.date())] += 1
    return found


def _is_entity() -> sa.ColumnElement[bool]:
    return sa.func.coalesce(MATCH.c.entity_id, "") != ""


def entity_counts(conn: sa.Connection, item_ids: Iterable[int]) -> EntityCounts:
    """What ``entity_day`` holds for these items: (entity, collection day) -> items.
    A rescan replaces matches: it counts before and after and adds the difference."""
    found: EntityCounts = Counter()
    day = day_of(conn, ITEM.c.collected_at)
    for chunk in chunked(sorted(set(item_ids)), _CHUNK):
        rows = conn.execute(
            sa.select(MATCH.c.entity_id, day, sa.func.count(sa.distinct(MATCH.c.item_id)))
            .select_from(MATCH.join(ITEM, ITEM.c.id == MATCH.c.item_id))
            .where(MATCH.c.item_id.in_(chunk), _is_entity())
            .group_by(MATCH.c.entity_id, day)
        )
        for entity_id, on, n in rows:
            found[(entity_id, as_date(on))] += int(n)
    return found


def entities_changed(conn: sa.Connection, before: EntityCounts, after: EntityCounts) -> None:
    """Add ``after - before`` (either way) to ``entity_day``."""
    delta: EntityCounts = Counter()
    for key in before.keys() | after.keys():
        delta[key] = after[key] - before[key]
    add_entities(conn, delta)


def add_items(conn: sa.Connection, counts: Mapping[tuple[int, date], int]) -> None:
    rows = [
        {"source_id": source_id, "day": day, "total": n}
        for (source_id, day), n in sorted(counts.items(), key=lambda kv: (kv[0][1], kv[0][0]))
        if n
    ]
    _upsert(conn, ITEM_DAY, ("day", "source_id"), rows)


def add_entities(conn: sa.Connection, counts: Mapping[tuple[str, date], int]) -> None:
    rows = [
        {"entity_id": entity_id, "day": day, "total": n}
        for (entity_id, day), n in sorted(counts.items(), key=lambda kv: (kv[0][1], kv[0][0]))
        if n
    ]
    _upsert(conn, ENTITY_DAY, ("day", "entity_id"), rows)


def _upsert(
    conn: sa.Connection, table: sa.Table, key: tuple[str, str], rows: list[dict[str, Any]]
) -> None:
    """``total = total + excluded.total`` per row, in the order given (key order)."""
    if not rows:
        return
    statement = dialect_insert(conn, table)
    statement = statement.on_conflict_do_update(
        index_elements=list(key), set_={"total": table.c.total + statement.excluded.total}
    )
    conn.execute(statement, rows)


def _recount_items(conn: sa.Connection) -> sa.Select[Any]:
    day = day_of(conn, ITEM.c.collected_at)
    return sa.select(day, ITEM.c.source_id, sa.func.count()).group_by(day, ITEM.c.source_id)


def _recount_entities(conn: sa.Connection) -> sa.Select[Any]:
    day = day_of(conn, ITEM.c.collected_at)
    return (
        sa.select(day, MATCH.c.entity_id, sa.func.count(sa.distinct(MATCH.c.item_id)))
        .select_from(MATCH.join(ITEM, ITEM.c.id == MATCH.c.item_id))
        .where(_is_entity())
        .group_by(day, MATCH.c.entity_id)
    )


def rebuild(conn: sa.Connection) -> int:
    """Recount both rollups from the items, in the caller's transaction; rows written.
    Takes the tables' locks on PostgreSQL so no ingest adds to a half-built count."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE item_day, entity_day IN EXCLUSIVE MODE")
    conn.execute(sa.delete(ITEM_DAY))
    conn.execute(sa.delete(ENTITY_DAY))
    conn.execute(
        sa.insert(ITEM_DAY).from_select(["day", "source_id", "total"], _recount_items(conn))
    )
    conn.execute(
        sa.insert(ENTITY_DAY).from_select(["day", "entity_id", "total"], _recount_entities(conn))
    )
    total = conn.execute(sa.select(sa.func.count()).select_from(ITEM_DAY)).scalar_one()
    return int(total) + int(
        conn.execute(sa.select(sa.func.count()).select_from(ENTITY_DAY)).scalar_one()
    )


def differences(conn: sa.Connection, limit: int = 5) -> list[str]:
    """Where the rollups differ from a recount of the items (at most ``limit`` of each)."""
    problems: list[str] = []
    for name, table, key, recount in (
        ("item_day", ITEM_DAY, ITEM_DAY.c.source_id, _recount_items(conn)),
        ("entity_day", ENTITY_DAY, ENTITY_DAY.c.entity_id, _recount_entities(conn)),
    ):
        kept = {
            (as_date(day), k): int(n)
            for day, k, n in conn.execute(sa.select(table.c.day, key, table.c.total))
            if n
        }
        counted = {(as_date(day), k): int(n) for day, k, n in conn.execute(recount)}
        wrong = sorted(
            key for key in kept.keys() | counted.keys() if kept.get(key, 0) != counted.get(key, 0)
        )
        problems += [
            f"{name}: {k} on {day}: {kept.get((day, k), 0)} kept, "
            f"{counted.get((day, k), 0)} counted from the items"
            for day, k in wrong[:limit]
        ]
        if len(wrong) > limit:
            problems.append(f"{name}: {len(wrong) - limit} more day(s) differ")
    return problems
