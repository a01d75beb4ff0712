"""The dashboard's plots: 30 days of items by source, area and entity, and the queue's
flow, read afresh on every view (no cache: the per-day rollups ingest keeps make it a
few hundred rows; see store.rollup and bench/results/web.md)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from sourcewatch.activity import daily

DAYS = 30
TOP_LINES = 6
CHARTS = ("by source", "by area", "by entity", "queue")
TITLES = {
    "by source": "Items per day, by source",
    "by area": "Items per day, by area",
    "by entity": "Items per day, by entity",
    "queue": "Queue in and out per day",
}


def chart_series(conn: sa.Connection, name: str, now: datetime) -> daily.Series:
    """One dashboard chart's 30 days (today so far included), busiest lines first."""
    span = daily.window(now, DAYS)
    if name == "queue":
        return daily.queue_flow(conn, span)
    if name == "by entity":
        return daily.items_by_entity(conn, span, top=TOP_LINES)
    by_source = daily.items_by_source(conn, span)
    if name == "by area":
        return daily.items_by_area(conn, by_source).top(TOP_LINES)
    return by_source.top(TOP_LINES)


def all_series(conn: sa.Connection, now: datetime) -> dict[str, daily.Series]:
    """Every chart's series, as :func:`chart_series` gives each."""
    span = daily.window(now, DAYS)
    by_source = daily.items_by_source(conn, span)
    return {
        "by source": by_source.top(TOP_LINES),
        "by area": daily.items_by_area(conn, by_source).top(TOP_LINES),
        "by entity": daily.items_by_entity(conn, span, top=TOP_LINES),
        "queue": daily.queue_flow(conn, span),
    }
