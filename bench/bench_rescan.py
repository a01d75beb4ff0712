"""Retro-hunt speed: ``rescan`` over 1,000,000 stored items (target: under 2 minutes).

Usage: python bench/bench_rescan.py [--items 1000000] [--database-url URL]
Items (~300 characters, 5% mentioning a watched name) are bulk-loaded with SQL,
then ``sourcewatch.ingest.rescan.rescan`` re-matches all of them against the shipped
watchlists, stores their matches and queues the hits.
"""

from __future__ import annotations

import argparse
import random
import resource
import string
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from sourcewatch.config import load_settings
from sourcewatch.ingest.rescan import rescan
from sourcewatch.store.tables import ITEM, SOURCE
from sourcewatch.workspace import Workspace

NAMES = ["Wagner", "ISIS", "Вагнера", "داعش", "Tehrik-e Taliban Pakistan", "Haqqani", "Gao"]


def load_items(ws: Workspace, total: int) -> None:
    rng = random.Random(7)
    now = datetime.now(UTC)
    with ws.engine.begin() as conn:
        source_id = conn.execute(
            sa.insert(SOURCE).returning(SOURCE.c.id),
            {"name": "bench", "kind": "feed", "target": "https://e.org", "areas": [],
             "cursor": {}, "created_at": now},
        ).scalar_one()  # fmt: skip
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9))) for _ in range(5000)]
    batch = []
    for n in range(total):
        text = " ".join(rng.choices(words, k=45))[:300]
        if n % 20 == 0:
            text = f"{text[:150]} {rng.choice(NAMES)} {text[150:]}"
        batch.append({"source_id": source_id, "external_id": str(n), "text": text,
                      "collected_at": now, "updated_at": now, "content_hash": "0" * 64,
                      "revision": 1, "media": [], "extra": {}})  # fmt: skip
        if len(batch) == 20_000:
            with ws.engine.begin() as conn:
                conn.execute(sa.insert(ITEM), batch)
            batch = []
    if batch:
        with ws.engine.begin() as conn:
            conn.execute(sa.insert(ITEM), batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        settings = load_settings(data_dir=Path(tmp), database_url=url)
        with Workspace.open(settings) as ws:
            start = time.perf_counter()
            load_items(ws, args.items)
            print(f"loaded {args.items} items in {time.perf_counter() - start:.1f} s")
            start, cpu = time.perf_counter(), time.process_time()
            report = rescan(ws)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"rescan: {seconds:.1f} s wall, {cpu:.1f} s CPU, {args.items / seconds:,.0f} items/s; "
        f"peak RSS {peak_mib:.0f} MiB (loading included); {report.to_json()}"
    )


if __name__ == "__main__":
    main()
