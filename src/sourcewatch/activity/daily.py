"""Per-day counts over a bounded window of whole UTC days.

Items per source and per entity come from the rollups ingest keeps (store.rollup): a
row per source (or entity) per day, however many items a day holds. The queue's flow
is counted from the triage table through covering indexes: "out" is by an entry's
last change, a state rather than an event, and the queue holds a fraction of the
items. Captures per day (one source's health) are counted through their
(source, time) index.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from sourcewatch.store.rollup import as_date, day_of
from sourcewatch.store.tables import CAPTURE, ENTITY_DAY, ITEM_DAY, SOURCE, TRIAGE


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


def _series(days: list[date], rows: Any) -> Series:
    """(name, day, count) rows into a Series over ``days`` (a day as a date, or as the
    ISO text SQLite hands back through :func:`_raw_day`)."""
    index: dict[object, int] = {day: i for i, day in enumerate(days)}
    index.update({day.isoformat(): i for i, day in enumerate(days)})
    lines: dict[str, list[int]] = defaultdict(lambda: [0] * len(days))
    for name, day, count in rows:
        position = index.get(day if isinstance(day, str | date) else as_date(day))
        if position is not None:
            lines[str(name)][position] += int(count)
    return Series(days, dict(lines))


def _raw_day(column: Any) -> Any:
    """A Date column read as the driver gives it: SQLAlchemy's conversion of SQLite's
    text into dates cost more than the query over a 30-day window."""
    return sa.type_coerce(column, sa.String())


def _in(column: Any, span: Window) -> Any:
    return sa.and_(column >= span.start, column < span.end)


def _days(column: Any, span: Window) -> Any:
    return sa.and_(column >= span.start.date(), column < span.end.date())


def items_by_source(conn: sa.Connection, span: Window) -> Series:
    """Items collected per day, one line per source (from ``item_day``)."""
    rows = conn.execute(
        sa.select(ITEM_DAY.c.source_id, _raw_day(ITEM_DAY.c.day), ITEM_DAY.c.total).where(
            _days(ITEM_DAY.c.day, span)
        )
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


def items_by_entity(
    conn: sa.Connection, span: Window, entity: str | None = None, *, top: int | None = None
) -> Series:
    """Items per day that matched each entity (in any revision), by collection day
    (from ``entity_day``); with ``entity``, that entity's timeline alone; with ``top``,
    the ``top`` busiest entities and the rest summed into "other" (ranked by the
    database: a busy desk names hundreds of entities a day)."""
    in_span = sa.and_(_days(ENTITY_DAY.c.day, span), ENTITY_DAY.c.total != 0)
    query = sa.select(ENTITY_DAY.c.entity_id, _raw_day(ENTITY_DAY.c.day), ENTITY_DAY.c.total)
    if entity is not None:
        query = query.where(ENTITY_DAY.c.entity_id == entity)
    if top is None:
        series = _series(span.days, conn.execute(query.where(in_span)).all())
        if entity is not None and entity not in series.lines:
            series.lines[entity] = [0] * len(span.days)
        return series
    total = sa.func.sum(ENTITY_DAY.c.total)
    busiest = [
        name
        for (name,) in conn.execute(
            sa.select(ENTITY_DAY.c.entity_id)
            .where(in_span)
            .group_by(ENTITY_DAY.c.entity_id)
            .order_by(total.desc(), ENTITY_DAY.c.entity_id)
            .limit(top + 1)
        )
    ]
    if len(busiest) <= top:
        return _series(span.days, conn.execute(query.where(in_span)).all())
    kept = busiest[:top]
    rows: list[Any] = list(conn.execute(query.where(in_span, ENTITY_DAY.c.entity_id.in_(kept))))
    rows += [
        ("other", day, n)
        for day, n in conn.execute(
            sa.select(_raw_day(ENTITY_DAY.c.day), total)
            .where(in_span, ENTITY_DAY.c.entity_id.not_in(kept))
            .group_by(ENTITY_DAY.c.day)
        )
    ]
    series = _series(span.days, rows)
    return Series(span.days, {name: series.lines[name] for name in [*kept, "other"]})


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


def source_captures(conn: sa.Connection, source: str, span: Window) -> Series:
    """A source's health over time: captures archived per day ("fetched") and items
    collected per day ("items"); a day at zero in both is a day it was silent or down."""
    day_list, days = span.days, len(span.days)
    source_id = conn.execute(sa.select(SOURCE.c.id).where(SOURCE.c.name == source)).scalar()
    if source_id is None:
        return Series(day_list, {"captures": [0] * days, "items": [0] * days})
    capture_day = day_of(conn, CAPTURE.c.fetched_at)
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
            sa.select(ITEM_DAY.c.day, ITEM_DAY.c.total).where(
                ITEM_DAY.c.source_id == source_id, _days(ITEM_DAY.c.day, span)
            )
        )
    ]
    series = _series(day_list, rows)
    for name in ("captures", "items"):
        series.lines.setdefault(name, [0] * len(day_list))
    return series
