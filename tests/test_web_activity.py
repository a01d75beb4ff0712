"""The dashboard's per-day counts (activity/daily) on SQLite and PostgreSQL, read from
the rollups ingest keeps: a post ingested now shows on the next view (no cache)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sourcewatch.activity import daily
from sourcewatch.config import Settings
from sourcewatch.triage.counts import status_counts
from sourcewatch.web.dashboard import all_series, chart_series
from sourcewatch.workspace import Workspace
from triage_support import T0, Post, channel, ingest_posts, with_test_watchlists

DAY = timedelta(days=1)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return with_test_watchlists(settings)


def test_items_per_day_by_source_area_entity_and_queue_flow(workspace: Workspace) -> None:
    sahel = channel("sahel_watch", areas=("sahel",))
    pak = channel("pak_news", areas=("af-pak", "sahel"))
    ingest_posts(workspace, sahel, [Post("1", "JNIM claimed the attack near Boni.")], now=T0 - DAY)
    ingest_posts(workspace, sahel, [Post("2", "Wagner convoy near Gao.")], now=T0)
    ingest_posts(workspace, pak, [Post("9", "TTP fighters attacked a checkpoint.")], now=T0)
    span = daily.window(T0, 3)
    with workspace.engine.connect() as conn:
        by_source = daily.items_by_source(conn, span)
        by_area = daily.items_by_area(conn, by_source)
        by_entity = daily.items_by_entity(conn, span)
        jnim = daily.items_by_entity(conn, span, entity="jnim")
        flow = daily.queue_flow(conn, span)
        counts = status_counts(conn)
    assert by_source.days == [(T0 - 2 * DAY).date(), (T0 - DAY).date(), T0.date()]
    assert by_source.lines == {"sahel_watch": [0, 1, 1], "pak_news": [0, 0, 1]}
    assert by_area.lines == {"sahel": [0, 1, 2], "af-pak": [0, 0, 1]}
    assert by_entity.lines == {"jnim": [0, 1, 0], "wagner": [0, 0, 1], "ttp": [0, 0, 1]}
    assert jnim.lines == {"jnim": [0, 1, 0]}
    assert flow.lines == {"in": [0, 1, 2], "out": [0, 0, 0]}
    assert counts["new"] == 3 and counts["relevant"] == 0


def test_the_dashboard_shows_each_ingest_on_its_next_view(workspace: Workspace) -> None:
    sahel = channel("sahel_watch")
    ingest_posts(workspace, sahel, [Post("1", "JNIM claimed the attack.")], now=T0 - DAY)
    with workspace.engine.connect() as conn:
        first = chart_series(conn, "by source", T0).lines["sahel_watch"]
    assert first[-2:] == [1, 0] and len(first) == 30
    ingest_posts(workspace, sahel, [Post("2", "Wagner convoy.")], now=T0)
    with workspace.engine.connect() as conn:
        found = all_series(conn, T0 + timedelta(seconds=1))
    assert found["by source"].lines["sahel_watch"][-2:] == [1, 1]
    assert found["by entity"].lines == {
        "jnim": [0] * 28 + [1, 0],
        "wagner": [0] * 29 + [1],
    }
    assert found["queue"].lines["in"][-2:] == [1, 1]
