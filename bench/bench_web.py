"""Web view server time with 1,000,000 items: queue page, item page, dashboard.

Usage: python bench/bench_web.py [--items 1000000] [--queued 200000] [--runs 60]
                                 [--postgres URL | --no-postgres] [--no-sqlite]

The data is bench_triage's bulk load (200 sources, items every 10 s from 2026-01-01,
every fifth item queued, areas, entities, matches). The app runs in-process behind
Starlette's TestClient with a logged-in session and its clock at the newest item, so
the dashboard's 30-day window holds ~260,000 items (about 8,600 a day: a busy desk).
Each page figure is server time: from the ASGI call into the app until its last body
byte is sent (session lookup, queries, template, headers), measured by a wrapper
around the app (the test transport's thread hops are not counted).

The dashboard has no cache: every view reads the per-day rollups ingest keeps
(store.rollup; the bulk load bypasses ingest, so they are built once after it by
``rollup.rebuild``, which ``reindex`` runs and whose time is printed), and each plot is
its own SVG request (web/charts, pygal), measured separately. The peer of the
dashboard's reads, measured in the same run: counting the same 30 days from the items
as the dashboard did before the rollups (migration 0017).

Baselines, measured interleaved in the same run: the service call alone that the page
makes (``list_queue`` for the queue, ``item_detail`` for an item), so the ratio is
what the web layer adds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))
from bench_triage import DEFAULT_PG, load
from scratch_db import scratch_postgres

from sourcewatch.accounts.users import add_user
from sourcewatch.config import load_settings
from sourcewatch.store import rollup
from sourcewatch.store.rollup import day_of
from sourcewatch.store.tables import ITEM, MATCH
from sourcewatch.triage.detail import item_detail
from sourcewatch.triage.queue import QueueFilter, list_queue
from sourcewatch.web.app import create_app
from sourcewatch.workspace import Workspace

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

PASSWORD = "bench password, long enough"


class ServerTime:
    """ASGI wrapper: how long the app took for the last request, from the call until
    the last body byte was handed over (server time, without the test transport)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.last_ms = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        start = time.perf_counter()
        await self.app(scope, receive, send)
        self.last_ms = (time.perf_counter() - start) * 1000


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def timed(call: Callable[[], object]) -> float:
    """A page's server time (what ``get`` returns), or a service call's wall time."""
    start = time.perf_counter()
    result = call()
    elapsed = (time.perf_counter() - start) * 1000
    return result if isinstance(result, float) else elapsed


def bench(name: str, url: str, data_dir: Path, items: int, queued: int, runs: int) -> None:
    settings = load_settings(data_dir=data_dir, database_url=url)
    with Workspace.open(settings) as ws:
        seconds = load(ws, items, queued)
        print(f"\n## {name}: {items:,} items, {queued:,} queued, loaded in {seconds:.0f} s")
        start = time.perf_counter()
        with ws.engine.begin() as conn:
            rows = rollup.rebuild(conn)
        print(f"rollups rebuilt ({rows:,} rows) in {time.perf_counter() - start:.1f} s")
        if ws.engine.dialect.name == "postgresql":  # what autovacuum does after a bulk load:
            with ws.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")  # index-only scans need the map
        with ws.engine.begin() as conn:
            add_user(conn, "bench", "analyst", PASSWORD, datetime.now(UTC))
            newest = conn.execute(sa.text("SELECT max(collected_at) FROM item")).scalar_one()
        if isinstance(newest, str):
            newest = datetime.fromisoformat(newest)
        now = newest.replace(tzinfo=UTC) + timedelta(minutes=1)
        app = create_app(ws, clock=lambda: now)
        server = ServerTime(app)
        client = TestClient(server, follow_redirects=False)
        page = client.get("/login").text
        token = page.split('name="csrf" value="')[1].split('"')[0]
        response = client.post(
            "/login", data={"csrf": token, "name": "bench", "password": PASSWORD}
        )
        assert response.status_code == 303, response.text
        step = items // queued
        rng = random.Random(7)
        item_ids = [rng.randrange(1, queued) * step for _ in range(runs)]

        def get(path: str) -> Callable[[], float]:
            def call() -> float:
                result = client.get(path)
                assert result.status_code == 200, (path, result.status_code)
                return server.last_ms

            return call

        def service_queue(where: QueueFilter) -> Callable[[], object]:
            def call() -> object:
                with ws.engine.connect() as conn:
                    return list_queue(conn, where)

            return call

        def service_item(item_id: int) -> Callable[[], object]:
            def call() -> object:
                with ws.engine.connect() as conn:
                    return item_detail(conn, item_id)

            return call

        timings: dict[str, list[float]] = {}
        cases: list[tuple[str, Callable[[int], Callable[[], object]]]] = [
            ("GET /queue", lambda i: get("/queue")),
            ("  baseline: list_queue", lambda i: service_queue(QueueFilter())),
            ("GET /queue?area=sahel", lambda i: get("/queue?area=sahel")),
            (
                "  baseline: list_queue(area=sahel)",
                lambda i: service_queue(QueueFilter(area="sahel")),
            ),
            ("GET /items/ID (random queued item)", lambda i: get(f"/items/{item_ids[i]}")),
            ("  baseline: item_detail", lambda i: service_item(item_ids[i])),
            ("GET /dashboard (4 plots' tables, 30 days, no cache)", lambda i: get("/dashboard")),
            ("GET /charts/by-source.svg", lambda i: get("/charts/by-source.svg")),
            ("GET /charts/by-area.svg", lambda i: get("/charts/by-area.svg")),
            ("GET /charts/by-entity.svg", lambda i: get("/charts/by-entity.svg")),
            ("GET /charts/queue.svg", lambda i: get("/charts/queue.svg")),
        ]
        for _label, make in cases:  # warm-up: caches, the matcher, templates
            make(0)()
        for run in range(runs):  # interleaved: every case once per round
            for label, make in cases:
                timings.setdefault(label, []).append(timed(make(run)))
                if run % 10 == 0 and label.startswith("GET /dashboard"):
                    peer = "  peer: the same 30 days counted from the items (before 0017)"
                    timings.setdefault(peer, []).append(timed(count_items(ws, now)))
        print("| request | median ms | p95 ms | worst ms |")
        print("|---|---:|---:|---:|")
        for label, values in timings.items():
            print(
                f"| {label} | {statistics.median(values):.1f} | {p95(values):.1f} |"
                f" {max(values):.1f} |"
            )


def count_items(ws: Workspace, now: datetime) -> Callable[[], object]:
    """The dashboard's item counts as they were read before the rollups: by source and
    by entity, grouped by day over the window's items."""
    start = (now - timedelta(days=29)).replace(hour=0, minute=0, second=0, microsecond=0)

    def call() -> object:
        with ws.engine.connect() as conn:
            day = day_of(conn, ITEM.c.collected_at)
            in_span = sa.and_(ITEM.c.collected_at >= start, ITEM.c.collected_at < now)
            by_source = conn.execute(
                sa.select(ITEM.c.source_id, day, sa.func.count())
                .where(in_span)
                .group_by(day, ITEM.c.source_id)
            ).all()
            by_entity = conn.execute(
                sa.select(MATCH.c.entity_id, day, sa.func.count(sa.distinct(ITEM.c.id)))
                .select_from(ITEM.join(MATCH, MATCH.c.item_id == ITEM.c.id))
                .where(in_span, sa.func.coalesce(MATCH.c.entity_id, "") != "")
                .group_by(day, MATCH.c.entity_id)
            ).all()
            return by_source, by_entity

    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--queued", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--postgres", default=DEFAULT_PG, help="admin URL; a scratch DB is made")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            bench("SQLite", url, Path(tmp), args.items, args.queued, args.runs)
    if args.no_postgres:
        return
    with scratch_postgres(args.postgres) as url, tempfile.TemporaryDirectory() as tmp:
        bench("PostgreSQL", url, Path(tmp), args.items, args.queued, args.runs)


if __name__ == "__main__":
    main()
