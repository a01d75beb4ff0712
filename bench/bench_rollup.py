"""What the dashboard's rollups cost ingest: the share of ingest's CPU spent in
``store.rollup.record_ingest``, on SQLite and PostgreSQL.

Usage: python bench/bench_rollup.py [--items 20000] [--batch 1000]
                                    [--postgres URL | --no-postgres]

bench_ingest's polls (``--batch`` items of ~500 random letters each), with one item in
five naming a watchlist entity (the triage test watchlist: JNIM, Wagner, TTP), then
10% of the items edited so that each edit names another entity (the edit path: an
entity first matched by revision 2). ``record_ingest`` is wrapped with a timer; ingest
is timed around each call. Both in this process's CPU time (``time.process_time``; the
PostgreSQL server's own CPU is not in it) and wall time, in the same run, so the
figure is a share of the same work, not of another run's.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_ingest import SOURCE, batches, make_text
from bench_triage import DEFAULT_PG
from scratch_db import scratch_postgres

from sourcewatch.config import load_settings
from sourcewatch.ingest.writer import ingest
from sourcewatch.store import rollup
from sourcewatch.workspace import Workspace

WATCHLISTS = Path(__file__).parents[1] / "tests" / "fixtures" / "triage" / "watchlists"
NAMES = ("JNIM", "Wagner", "TTP")


def run(url: str, data_dir: Path, total: int, batch: int) -> dict[str, float]:
    rng = random.Random(1)
    texts = [
        make_text(rng) + (f" {NAMES[n % 3]} claimed it." if n % 5 == 0 else "")
        for n in range(total)
    ]
    edited = [t + f" {NAMES[(n + 1) % 3]} too." if n % 10 == 0 else t for n, t in enumerate(texts)]
    clock = {"ingest_cpu": 0.0, "ingest_wall": 0.0, "rollup_cpu": 0.0, "rollup_wall": 0.0}
    original = rollup.record_ingest

    def timed_record(*args: Any, **kwargs: Any) -> None:
        cpu, wall = time.process_time(), time.perf_counter()
        original(*args, **kwargs)
        clock["rollup_cpu"] += time.process_time() - cpu
        clock["rollup_wall"] += time.perf_counter() - wall

    settings = load_settings(data_dir=data_dir, database_url=url, watchlists_dir=WATCHLISTS)
    rollup.record_ingest = timed_record  # type: ignore[assignment]
    try:
        with Workspace.open(settings) as ws:
            for result in batches(texts, batch, "v1") + batches(edited, batch, "v2"):
                cpu, wall = time.process_time(), time.perf_counter()
                ingest(ws, SOURCE, result)
                clock["ingest_cpu"] += time.process_time() - cpu
                clock["ingest_wall"] += time.perf_counter() - wall
            with ws.engine.connect() as conn:
                assert rollup.differences(conn) == []
    finally:
        rollup.record_ingest = original  # type: ignore[assignment]
    return {
        "rollup share of ingest CPU %": 100 * clock["rollup_cpu"] / clock["ingest_cpu"],
        "rollup share of ingest wall %": 100 * clock["rollup_wall"] / clock["ingest_wall"],
        "rollup us CPU per item": clock["rollup_cpu"] / total * 1e6,
        "ingest us CPU per item": clock["ingest_cpu"] / total * 1e6,
    }


def show(name: str, figures: dict[str, float]) -> None:
    print(f"{name}: " + ", ".join(f"{k} {v:.1f}" for k, v in figures.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--postgres", default=DEFAULT_PG, help="admin URL; a scratch DB is made")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        show("SQLite", run(f"sqlite:///{tmp}/bench.db", Path(tmp), args.items, args.batch))
    if args.no_postgres:
        return
    with scratch_postgres(args.postgres) as url, tempfile.TemporaryDirectory() as tmp:
        show("PostgreSQL", run(url, Path(tmp), args.items, args.batch))


if __name__ == "__main__":
    main()
