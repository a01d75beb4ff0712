"""Per-day counts, computed by the database (GROUP BY day) over a bounded window.

Each function reads one span of whole days through an indexed time column, so
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


@dataclass(frozen=True)
class Window:
    """Whole UTC days: ``start`` (inclusive) to ``end`` (exclusive)."""

    start: datetime
    end: datetime

    @property
    def days(self) -> list[date]:
        count = (self.end - self.start).days
        return [self.start.date() + timedelta(days=i) for i in range(count)]


def window(now: datetime, days: int) -> Window:
    """The ``days`` days ending with today (today included, so far)."""
    first = (now - timedelta(days=days - 1)).date()
    start = datetime(first.year, first.month, first.day, tzinfo=now.tzinfo)
    return Window(start, start + timedelta(days=days))


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


def _in(column: Any, span: Window) -> Any:
    return sa.and_(column >= span.start, column < span.end)


def items_by_source(conn: sa.Connection, span: Window) -> Series:
    """Items collected per day, one line per source (grouped by id, named after: the
    join per item cost more than the count)."""
    day = day_of(conn, ITEM.c.collected_at)
    rows = conn.execute(
        sa.select(ITEM.c.source_id, day, sa.func.count())
        .where(_in(ITEM.c.collected_at, span))
        .group_by(day, ITEM.c.source_id)
    ).all()
    names = dict(conn.execute(sa.select(SOURCE.c.id, SOURCE.c.name)).all())
    return _series(span.days, [(names.get(sid, f"#{sid}"), d, c) for sid, d, c in rows])


def items_by_area(conn: sa.Connection, by_source: Series) -> Series:
    """Items collected per day, one line per area of their source (a source in two
    areas counts in both), from ``items_by_source``."""
    areas = dict(conn.execute(sa.select(SOURCE.c.name, SOURCE.c.areas)).all())
    lines: dict[str, list[int]] = defaultdict(lambda: [0] * len(by_source.days))
    for source, counts in by_source.lines.items():
        for area in areas.get(source) or ["(no area)"]:
            lines[area] = [a + b for a, b in zip(lines[area], counts, strict=True)]
    return Series(by_source.days, dict(lines))


def items_by_entity(conn: sa.Connection, span: Window, entity: str | None = None) -> Series:
    """Items per day that matched each entity (in any revision), by collection day;
    with ``entity``, that entity's timeline alone.

    The item's time range drives the query (then its matches by item id): the entity
    index would otherwise walk every match ever stored. ``coalesce`` keeps the
    planner off it for the all-entities chart."""
    day = day_of(conn, ITEM.c.collected_at)
    query = (
        sa.select(MATCH.c.entity_id, day, sa.func.count(sa.distinct(ITEM.c.id)))
        .select_from(ITEM.join(MATCH, MATCH.c.item_id == ITEM.c.id))
        .where(_in(ITEM.c.collected_at, span))
        .group_by(day, MATCH.c.entity_id)
    )
    if entity is not None:
        query = query.where(MATCH.c.entity_id == entity)
    else:
        query = query.where(sa.func.coalesce(MATCH.c.entity_id, "") != "")
    series = _series(span.days, conn.execute(query).all())
    if entity is not None and entity not in series.lines:
        series.lines[entity] = [0] * len(span.days)
    return series


def queue_flow(conn: sa.Connection, span: Window) -> Series:
    """Per day: entries queued ("in"), and entries decided ("out": no longer ``new``,
    by the day of their last change)."""
    queued_day = day_of(conn, TRIAGE.c.queued_at)
    changed_day = day_of(conn, TRIAGE.c.updated_at)
    rows = [
        ("in", d, c)
        for d, c in conn.execute(
            sa.select(queued_day, sa.func.count())
            .where(_in(TRIAGE.c.queued_at, span))
            .group_by(queued_day)
        )
    ]
    rows += [
        ("out", d, c)
        for d, c in conn.execute(
            sa.select(changed_day, sa.func.count())
            .where(_in(TRIAGE.c.updated_at, span), TRIAGE.c.status != "new")
            .group_by(changed_day)
        )
    ]
    series = _series(span.days, rows)
    for name in ("in", "out"):
        series.lines.setdefault(name, [0] * len(span.days))
    return series


def merge(earlier: Series, later: Series) -> Series:
    """Two adjacent spans' series as one (lines missing from one count 0 there)."""
    names = list(dict.fromkeys([*earlier.lines, *later.lines]))
    zeros_a, zeros_b = [0] * len(earlier.days), [0] * len(later.days)
    return Series(
        earlier.days + later.days,
        {n: earlier.lines.get(n, zeros_a) + later.lines.get(n, zeros_b) for n in names},
    )


def source_captures(conn: sa.Connection, source: str, span: Window) -> Series:
    """A source's health over time: captures archived per day ("fetched") and items
    collected per day ("items"); a day at zero in both is a day it was silent or down."""
    day_list, days = span.days, len(span.days)
    source_id = conn.execute(sa.select(SOURCE.c.id).where(SOURCE.c.name == source)).scalar()
    if source_id is None:
        return Series(day_list, {"captures": [0] * days, "items": [0] * days})
    capture_day = day_of(conn, CAPTURE.c.fetched_at)
    item_day = day_of(conn, ITEM.c.collected_at)
    rows = [
        ("captures", d, c)
        for d, c in conn.execute(
            sa.select(capture_day, sa.func.count())
            .where(CAPTURE.c.source_id == source_id, _in(CAPTURE.c.fetched_at, span))
            .group_by(capture_day)
        )
    ]
    rows += [
        ("items", d, c)
        for d, c in conn.execute(
            sa.select(item_day, sa.func.count())
            .where(ITEM.c.source_id == source_id, _in(ITEM.c.collected_at, span))
            .group_by(item_day)
        )
    ]
    series = _series(day_list, rows)
    for name in ("captures", "items"):
        series.lines.setdefault(name, [0] * len(day_list))
    return series
