"""Evidence costs: the WARC write each ingest now does, and bundle + offline verify times.

Usage: python bench/bench_evidence.py [--count 500] [--size 51200] [--pages 50]

1. WarcStore.append of one capture (response + request records, fsync, committed
   marker) next to ObjectStore.put of the same bytes (what ingest already did).
2. ingest of a t.me/s page with 20 posts, end to end on SQLite (WARC hook included).
3. `evidence` bundle of every item on --pages pages, and `evidence verify` of it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sourcewatch.config import load_settings
from sourcewatch.evidence.bundle import build_bundle
from sourcewatch.evidence.verify import verify_bundle
from sourcewatch.ingest.writer import ingest
from sourcewatch.records import ParsedItem, PollResult, RawCapture
from sourcewatch.sources.config import SourceConfig
from sourcewatch.store.objects import ObjectStore
from sourcewatch.store.warc import WarcStore
from sourcewatch.workspace import Workspace

SOURCE = SourceConfig(name="bench", kind="telegram", target="bench")


def page(n: int, size: int) -> RawCapture:
    body = f"<page {n}>".encode() + os.urandom(size // 2).hex().encode()[: size - 16]
    return RawCapture(
        url=f"https://t.me/s/bench?before={n}",
        body=body,
        status=200,
        headers={"content-type": "text/html; charset=utf-8", "content-encoding": "gzip"},
    )


def per_call_ms(calls: list[float]) -> str:
    ordered = sorted(calls)
    p95 = ordered[int(len(ordered) * 0.95)]
    return f"median {statistics.median(calls) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms"


def bench_appends(count: int, size: int, root: Path) -> None:
    captures = [page(n, size) for n in range(count)]
    warc, objects = WarcStore(root / "warc", max_file_bytes=1 << 30), ObjectStore(root / "obj")
    warc_calls, object_calls = [], []
    for capture in captures:
        start = time.perf_counter()
        objects.put(capture.body)
        object_calls.append(time.perf_counter() - start)
        start = time.perf_counter()
        warc.append([capture])
        warc_calls.append(time.perf_counter() - start)
    print(f"ObjectStore.put ({size} B): {per_call_ms(object_calls)}")
    print(f"WarcStore.append ({size} B): {per_call_ms(warc_calls)}")


def bench_ingest_and_bundle(pages: int, size: int, root: Path) -> None:
    settings = load_settings(data_dir=root / "data", sources_file=root / "sources.toml")
    with Workspace.open(settings) as ws:
        calls = []
        for n in range(pages):
            capture = page(n, size)
            items = [
                ParsedItem(
                    external_id=f"{n}-{k}", text=f"post {k} " * 40, capture_sha256s=[capture.sha256]
                )
                for k in range(20)
            ]
            start = time.perf_counter()
            ingest(ws, SOURCE, PollResult([capture], items))
            calls.append(time.perf_counter() - start)
        print(
            f"ingest of a {size} B page with 20 posts (SQLite, WARC included): {per_call_ms(calls)}"
        )
        item_ids = list(range(1, pages * 20 + 1))
        out = root / "bench.wacz"
        start = time.perf_counter()
        report = build_bundle(ws, item_ids, out)
        built = time.perf_counter() - start
    start = time.perf_counter()
    verified = verify_bundle(out)
    checked = time.perf_counter() - start
    assert verified.ok, [c for c in verified.checks if not c.ok][:3]
    size_mb = out.stat().st_size / 1e6
    print(
        f"bundle of {report.items} items / {report.captures} captures ({size_mb:.1f} MB): "
        f"{built:.2f} s; verify: {checked:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--size", type=int, default=50 * 1024)
    parser.add_argument("--pages", type=int, default=50)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(dir=".") as tmp:
        bench_appends(args.count, args.size, Path(tmp))
    with tempfile.TemporaryDirectory(dir=".") as tmp:
        bench_ingest_and_bundle(args.pages, args.size, Path(tmp))


if __name__ == "__main__":
    main()
