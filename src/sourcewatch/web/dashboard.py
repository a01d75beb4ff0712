"""The dashboard's plots: finished days counted once per ten minutes, today once a
minute.

Counting 30 days of a busy desk (a quarter of a million items) takes seconds on
SQLite; the days before today no longer change (an item keeps the day it was
collected; a rescan that adds matches shows after ``PAST_TTL``). So the finished days
are counted at most once per ``PAST_TTL`` per process, and today (thousands of rows,
tens of milliseconds) at most once per ``TODAY_TTL``: the plots are at most a minute
behind. A view that finds a part stale recounts it; others wait rather than count the
same thing twice.
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
TODAY_TTL = timedelta(minutes=1)
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
class _Counted:
    span: daily.Window | None = None
    at: datetime | None = None
    series: dict[str, daily.Series] = field(default_factory=dict)

    def fresh(self, span: daily.Window, now: datetime, ttl: timedelta) -> bool:
        return self.span == span and self.at is not None and now - self.at < ttl


@dataclass
class DashboardCounts:
    ttl: timedelta = PAST_TTL
    today_ttl: timedelta = TODAY_TTL
    _past: _Counted = field(default_factory=_Counted)
    _today: _Counted = field(default_factory=_Counted)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def series(self, conn: sa.Connection, now: datetime) -> dict[str, daily.Series]:
        """The 30-day series of each chart, today included (as of ``today_ttl`` ago)."""
        whole = daily.window(now, DAYS)
        today = daily.Window(whole.end - timedelta(days=1), whole.end)
        past = daily.Window(whole.start, today.start)
        with self._lock:
            for part, span, ttl in (
                (self._past, past, self.ttl),
                (self._today, today, self.today_ttl),
            ):
                if not part.fresh(span, now, ttl):
                    part.series, part.span, part.at = count(conn, span), span, now
            finished, current = self._past.series, self._today.series
        return {name: daily.merge(finished[name], current[name]) for name in CHARTS}
