"""Ingest throughput: 100,000 items (~500 bytes of text each), then 10% of them edited.

Usage: python bench/bench_ingest.py [--items 100000] [--batch 1000] [--postgres URL]
Items arrive in PollResults of --batch items, each with its page capture, as a
collector would deliver them. Reports items/s for the first pass and for the
edit pass, on SQLite (a temp dir) and, with --postgres, on PostgreSQL.
"""

from __future__ import annotations

import argparse
import random
import string
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from sourcewatch.config import load_settings
from sourcewatch.ingest.writer import ingest
from sourcewatch.records import ParsedItem, PollResult, RawCapture
from sourcewatch.sources.config import SourceConfig
from sourcewatch.workspace import Workspace

SOURCE = SourceConfig(name="bench", kind="feed", target="https://example.org/feed")


def make_text(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_letters + " " * 10, k=500))


def batches(texts: list[str], batch: int, tag: str) -> list[PollResult]:
    results = []
    for first in range(0, len(texts), batch):
        chunk = range(first, min(first + batch, len(texts)))
        body = f"{tag} page {first}".encode() + "".join(texts[n][:50] for n in chunk).encode()
        capture = RawCapture(url=f"https://example.org/feed?p={first}", body=body, status=200)
        items = [
            ParsedItem(
                external_id=str(n),
                url=f"https://example.org/a/{n}",
                title=f"item {n}",
                text=texts[n],
                capture_sha256s=[capture.sha256],
            )
            for n in chunk
        ]
        results.append(PollResult([capture], items, cursor={"page": first}))
    return results


def run(database_url: str, data_dir: Path, total: int, batch: int) -> dict[str, float]:
    rng = random.Random(1)
    texts = [make_text(rng) for _ in range(total)]
    edited = [t + " (edited)" if n % 10 == 0 else t for n, t in enumerate(texts)]
    first_pass, second_pass = batches(texts, batch, "v1"), batches(edited, batch, "v2")
    settings = load_settings(data_dir=data_dir, database_url=database_url)
    with Workspace.open(settings) as ws:
        start = time.perf_counter()
        for result in first_pass:
            ingest(ws, SOURCE, result)
        insert_seconds = time.perf_counter() - start
        start = time.perf_counter()
        edits = sum(ingest(ws, SOURCE, result).edited for result in second_pass)
        edit_seconds = time.perf_counter() - start
        with ws.engine.connect() as conn:
            items = conn.execute(sa.text("SELECT count(*) FROM item")).scalar_one()
    assert items == total and edits == total // 10, (items, edits)
    return {
        "insert_items_per_s": total / insert_seconds,
        "insert_seconds": insert_seconds,
        "edit_pass_items_per_s": total / edit_seconds,
        "edit_pass_seconds": edit_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--postgres", help="admin URL; a throwaway database is created")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        print("sqlite", run(url, Path(tmp), args.items, args.batch))
    if args.postgres:
        admin = sa.create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("DROP DATABASE IF EXISTS sourcewatch_bench WITH (FORCE)"))
            conn.execute(sa.text("CREATE DATABASE sourcewatch_bench"))
        url = admin.url.set(database="sourcewatch_bench").render_as_string(hide_password=False)
        try:
            with tempfile.TemporaryDirectory() as tmp:
                print("postgresql", run(url, Path(tmp), args.items, args.batch))
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text("DROP DATABASE IF EXISTS sourcewatch_bench WITH (FORCE)"))


if __name__ == "__main__":
    main()
