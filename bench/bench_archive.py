"""Object store throughput: 10,000 captures of 50 KB, with and without fsync.

Usage: python bench/bench_archive.py [--count 10000] [--size 51200]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from sourcewatch.store.objects import ObjectStore


def run(count: int, size: int, fsync: bool) -> dict[str, float]:
    payloads = [os.urandom(size) for _ in range(count)]
    with tempfile.TemporaryDirectory(dir=".") as tmp:
        store = ObjectStore(Path(tmp), fsync=fsync)
        start = time.perf_counter()
        for payload in payloads:
            store.put(payload)
        seconds = time.perf_counter() - start
        start = time.perf_counter()
        for payload in payloads[:1000]:
            store.put(payload)  # already stored: only a hash and a stat
        dedupe_seconds = time.perf_counter() - start
    return {
        "captures_per_s": count / seconds,
        "mb_per_s": count * size / seconds / 1e6,
        "ms_per_capture": seconds / count * 1000,
        "dedupe_hit_us": dedupe_seconds / 1000 * 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=50 * 1024)
    args = parser.parse_args()
    with_fsync = run(args.count, args.size, fsync=True)
    without = run(args.count, args.size, fsync=False)
    print("fsync on ", with_fsync)
    print("fsync off", without)
    cost = with_fsync["ms_per_capture"] - without["ms_per_capture"]
    print(f"fsync cost: {cost:.3f} ms per capture (file + directory fsync)")


if __name__ == "__main__":
    main()
