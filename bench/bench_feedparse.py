"""CPU cost of ``parse_feed`` per feed, one thread (issue #8: feed parsing in the daemon).

Usage: .venv/bin/python bench/bench_feedparse.py [--repeat 2000] [--rounds 5] [--profile]

Inputs:
- ``bench``: the 5-item RSS body that ``bench/bench_daemon.py`` serves (titles, links,
  non-permalink GUIDs, plain-text descriptions, pubDate), parsed ``--repeat`` times;
- the recorded feeds under ``tests/fixtures/news`` (Guardian RSS, 55 items with
  HTML-escaped descriptions and media; WordPress RSS, 10 items with full
  ``content:encoded``), parsed ``--repeat / 20`` times each (at least 20).

Reports ms per feed (best of ``--rounds`` rounds, ``time.process_time``: CPU of this
process; the best round is the one least disturbed by other jobs on the machine).
``--profile`` prints the top cProfile entries for the bench feed.
"""

from __future__ import annotations

import argparse
import cProfile
import platform
import pstats
import sys
import time
from pathlib import Path

import feedparser
import lxml.etree

from sourcewatch.collectors.news.feedparse import parse_feed

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_daemon import feed_body

NEWS = Path(__file__).resolve().parents[1] / "tests/fixtures/news"
INPUTS = {
    "bench_daemon feed (5 items, 0.9 KB)": (feed_body("source-0042"), 1),
    "Guardian RSS (55 items, 151 KB)": ((NEWS / "rss-parser__guardian.rss").read_bytes(), 20),
    "WordPress RSS (10 items, 131 KB)": (
        (NEWS / "wordpress__wordpress-org-news.xml").read_bytes(),
        20,
    ),
}


def ms_per_feed(body: bytes, runs: int, rounds: int) -> float:
    parse_feed(body, url="http://bench.example/feed", content_type="application/rss+xml")
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(runs):
            parse_feed(body, url="http://bench.example/feed", content_type="application/rss+xml")
        best = min(best, (time.process_time() - start) / runs * 1000)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    print(
        f"Python {platform.python_version()}, feedparser {feedparser.__version__}, "
        f"lxml {'.'.join(map(str, lxml.etree.LXML_VERSION))}"
    )
    print("| input | runs | ms/feed |\n|---|---:|---:|")
    for label, (body, divisor) in INPUTS.items():
        runs = max(20, args.repeat // divisor)
        print(f"| {label} | {runs} | {ms_per_feed(body, runs, args.rounds):.3f} |", flush=True)
    if args.profile:
        body = INPUTS["bench_daemon feed (5 items, 0.9 KB)"][0]
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.repeat):
            parse_feed(body, url="http://bench.example/feed", content_type="application/rss+xml")
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
