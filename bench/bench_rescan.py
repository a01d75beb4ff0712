"""Retro-hunt speed: ``rescan`` over 1,000,000 stored items (target: under 2 minutes).

Usage: python bench/bench_rescan.py [--items 1000000] [--database-url URL]
       python bench/bench_rescan.py --items 40000 --baseline DIR --rounds 3
Items (~300 characters, 5% mentioning a watched name) are bulk-loaded with SQL,
then ``sourcewatch.ingest.rescan.rescan`` re-matches all of them against the shipped
watchlists, stores their matches and queues the hits.

With ``--baseline DIR`` (a checkout or ``git archive`` of another commit), each round
runs the bench once with ``DIR/src`` and once with this checkout's ``src`` first on
``PYTHONPATH``, alternating which goes first, and prints the CPU ratio per round.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import string
import subprocess
import sys
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
        if len(batch) == 5_000:  # small batches: the loading must not set the peak RSS
            with ws.engine.begin() as conn:
                conn.execute(sa.insert(ITEM), batch)
            batch = []
    if batch:
        with ws.engine.begin() as conn:
            conn.execute(sa.insert(ITEM), batch)


def interleaved(items: int, baseline: Path, rounds: int) -> None:
    """Run the bench in child processes, baseline and this tree alternately."""
    trees = {"baseline": baseline / "src", "this": Path(__file__).resolve().parents[1] / "src"}
    cpu: dict[str, list[float]] = {name: [] for name in trees}
    for n in range(rounds):
        order = list(trees.items()) if n % 2 == 0 else list(reversed(trees.items()))
        for name, src in order:
            out = subprocess.run(
                [sys.executable, __file__, "--items", str(items), "--json"],
                env={**os.environ, "PYTHONPATH": str(src)},
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            result = json.loads(out.splitlines()[-1])
            cpu[name].append(result["cpu"])
            print(f"round {n + 1} {name:<8} {json.dumps(result)}", flush=True)
    ratios = [t / b for t, b in zip(cpu["this"], cpu["baseline"], strict=True)]
    mine = statistics.median(cpu["this"])
    print(
        f"{items} items, {rounds} rounds, load {os.getloadavg()[0]:.1f}: CPU this {mine:.2f} s "
        f"({mine / items * 1e6:.0f} us/item), baseline {statistics.median(cpu['baseline']):.2f}"
        f" s; this/baseline "
        f"per round {', '.join(f'{r:.2f}' for r in ratios)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--database-url")
    parser.add_argument("--baseline", type=Path, help="another checkout to run beside this one")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="one JSON line (for --baseline)")
    args = parser.parse_args()
    if args.baseline:
        interleaved(args.items, args.baseline, args.rounds)
        return
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
    if args.json:
        print(
            json.dumps(
                {
                    "wall": round(seconds, 2),
                    "cpu": round(cpu, 2),
                    "rss_mib": round(peak_mib),
                    **report.to_json(),
                }
            )
        )
        return
    print(
        f"rescan: {seconds:.1f} s wall, {cpu:.1f} s CPU, {args.items / seconds:,.0f} items/s; "
        f"peak RSS {peak_mib:.0f} MiB (loading included); {report.to_json()}"
    )


if __name__ == "__main__":
    main()
