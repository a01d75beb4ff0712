"""The dashboard's plots, counted once per few minutes for the finished days.

Counting 30 days of a busy desk (a quarter of a million items) takes seconds on
SQLite; the days before today no longer change (an item keeps the day it was
collected; a rescan that adds matches shows after ``PAST_TTL``). So the finished days
are counted at most once per ``PAST_TTL`` per process, and today is counted on every
view and appended. A view that finds the finished days stale recounts them (the only
slow view); others wait for it rather than count the same thing twice.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from sourcewatch.activity import daily

DAYS = 30
TOP_LINES = 6
PAST_TTL = timedelta(minutes=10)
CHARTS = ("by source", "by area", "by entity", "queue")


def count(conn: sa.Connection, span: daily.Window) -> dict[str, daily.Series]:
    by_source = daily.items_by_source(conn, span)
    return {
        "by source": by_source,
        "by area": daily.items_by_area(conn, by_source),
        "by entity": daily.items_by_entity(conn, span),
        "queue": daily.queue_flow(conn, span),
    }


@dataclass
class DashboardCounts:
    ttl: timedelta = PAST_TTL
    _past: dict[str, daily.Series] = field(default_factory=dict)
    _past_span: daily.Window | None = None
    _counted_at: datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def series(self, conn: sa.Connection, now: datetime) -> dict[str, daily.Series]:
        """The 30-day series of each chart, today included as of ``now``."""
        whole = daily.window(now, DAYS)
        today = daily.Window(whole.end - timedelta(days=1), whole.end)
        past = daily.Window(whole.start, today.start)
        with self._lock:
            stale = (
                self._past_span != past
                or self._counted_at is None
                or now - self._counted_at >= self.ttl
            )
            if stale:
                self._past = count(conn, past)
                self._past_span, self._counted_at = past, now
            finished = self._past
        current = count(conn, today)
        return {name: daily.merge(finished[name], current[name]) for name in CHARTS}
