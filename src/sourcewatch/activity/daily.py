"""Per-day counts, computed by the database (GROUP BY day) over a bounded window.

Each function reads one window (``since`` to now) through an indexed time column, so
a dashboard over a million items reads only the last weeks' rows. Days are UTC.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from sourcewatch.store.tables import CAPTURE, ITEM, MATCH, SOURCE, TRIAGE


@dataclass
class Series:
    """Named per-day counts; ``days`` is the whole window, zero days included."""

    days: list[date]
    lines: dict[str, list[int]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"days": [d.isoformat() for d in self.days], "lines": self.lines}

    def top(self, count: int) -> Series:
        """The ``count`` busiest lines, the rest summed into "other"."""
        ranked = sorted(self.lines, key=lambda name: (-sum(self.lines[name]), name))
        kept = {name: self.lines[name] for name in ranked[:count]}
        rest = ranked[count:]
        if rest:
            kept["other"] = [sum(self.lines[n][i] for n in rest) for i in range(len(self.days))]
        return Series(self.days, kept)


def window(now: datetime, days: int) -> tuple[datetime, list[date]]:
    """The start of a ``days``-day window ending today, and its days."""
    first = (now - timedelta(days=days - 1)).date()
    start = datetime(first.year, first.month, first.day, tzinfo=now.tzinfo)
    return start, [first + timedelta(days=i) for i in range(days)]


def day_of(conn: sa.Connection, column: Any) -> Any:
    """The UTC day of a timestamp column, as the database computes it."""
    if conn.dialect.name == "sqlite":
        return sa.func.date(column)
    return sa.cast(column, sa.Date)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _series(days: list[date], rows: Any) -> Series:
    """(name, day, count) rows into a Series over ``days``."""
    index = {day: i for i, day in enumerate(days)}
    lines: dict[str, list[int]] = defaultdict(lambda: [0] * len(days))
    for name, day, count in rows:
        position = index.get(_as_date(day))
        if position is not None:
            lines[str(name)][position] += int(count)
    return Series(days, dict(lines))


def items_by_source(conn: sa.Connection, now: datetime, days: int = 30) -> Series:
    """Items collected per day, one line per source."""
    start, day_list = window(now, days)
    day = day_of(conn, ITEM.c.collected_at)
    rows = conn.execute(
        sa.select(SOURCE.c.name, day, sa.func.count())
        .select_from(ITEM.join(SOURCE, SOURCE.c.id == ITEM.c.source_id))
        .where(ITEM.c.collected_at >= start)
        .group_by(SOURCE.c.name, day)
    ).all()
    return _series(day_list, rows)


def items_by_area(conn: sa.Connection, now: datetime, days: int = 30) -> Series:
    """Items collected per day, one line per area of their source (a source in two
    areas counts in both)."""
    by_source = items_by_source(conn, now, days)
    areas = dict(conn.execute(sa.select(SOURCE.c.name, SOURCE.c.areas)).all())
    lines: dict[str, list[int]] = defaultdict(lambda: [0] * len(by_source.days))
    for source, counts in by_source.lines.items():
        for area in areas.get(source) or ["(no area)"]:
            lines[area] = [a + b for a, b in zip(lines[area], counts, strict=True)]
    return Series(by_source.days, dict(lines))


def items_by_entity(
    conn: sa.Connection, now: datetime, days: int = 30, entity: str | None = None
) -> Series:
    """Items per day that matched each entity (in any revision), by collection day;
    with ``entity``, that entity's timeline alone."""
    start, day_list = window(now, days)
    day = day_of(conn, ITEM.c.collected_at)
    query = (
        sa.select(MATCH.c.entity_id, day, sa.func.count(sa.distinct(ITEM.c.id)))
        .select_from(MATCH.join(ITEM, ITEM.c.id == MATCH.c.item_id))
        .where(ITEM.c.collected_at >= start, MATCH.c.entity_id.is_not(None))
        .group_by(MATCH.c.entity_id, day)
    )
    if entity is not None:
        query = query.where(MATCH.c.entity_id == entity)
    series = _series(day_list, conn.execute(query).all())
    if entity is not None and entity not in series.lines:
        series.lines[entity] = [0] * len(day_list)
    return series


def queue_flow(conn: sa.Connection, now: datetime, days: int = 30) -> Series:
    """Per day: entries queued ("in"), and entries decided ("out": no longer ``new``,
    by the day of their last change)."""
    start, day_list = window(now, days)
    queued_day = day_of(conn, TRIAGE.c.queued_at)
    changed_day = day_of(conn, TRIAGE.c.updated_at)
    rows = [
        ("in", d, c)
        for d, c in conn.execute(
            sa.select(queued_day, sa.func.count())
            .where(TRIAGE.c.queued_at >= start)
            .group_by(queued_day)
        )
    ]
    rows += [
        ("out", d, c)
        for d, c in conn.execute(
            sa.select(changed_day, sa.func.count())
            .where(TRIAGE.c.updated_at >= start, TRIAGE.c.status != "new")
            .group_by(changed_day)
        )
    ]
    series = _series(day_list, rows)
    for name in ("in", "out"):
        series.lines.setdefault(name, [0] * len(day_list))
    return series


def source_captures(conn: sa.Connection, source: str, now: datetime, days: int = 30) -> Series:
    """A source's health over time: captures archived per day ("fetched") and items
    collected per day ("items"); a day at zero in both is a day it was silent or down."""
    start, day_list = window(now, days)
    source_id = conn.execute(sa.select(SOURCE.c.id).where(SOURCE.c.name == source)).scalar()
    if source_id is None:
        return Series(day_list, {"captures": [0] * days, "items": [0] * days})
    capture_day = day_of(conn, CAPTURE.c.fetched_at)
    item_day = day_of(conn, ITEM.c.collected_at)
    rows = [
        ("captures", d, c)
        for d, c in conn.execute(
            sa.select(capture_day, sa.func.count())
            .where(CAPTURE.c.source_id == source_id, CAPTURE.c.fetched_at >= start)
            .group_by(capture_day)
        )
    ]
    rows += [
        ("items", d, c)
        for d, c in conn.execute(
            sa.select(item_day, sa.func.count())
            .where(ITEM.c.source_id == source_id, ITEM.c.collected_at >= start)
            .group_by(item_day)
        )
    ]
    series = _series(day_list, rows)
    for name in ("captures", "items"):
        series.lines.setdefault(name, [0] * len(day_list))
    return series
