"""Parse speed of t.me/s channel pages, in posts per second on one core.

Usage: .venv/bin/python bench/bench_telegram.py [--seconds 5]

Parses the recorded t.me/s/topwar_official page (12 posts, 99 KB) with
sourcewatch's parser (lxml), and for comparison times BeautifulSoup+lxml doing
only the parse and the post selection (the least a bs4-based parser would do).
Single process, single thread.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

from bs4 import BeautifulSoup

from sourcewatch.collectors.telegram.webpage import parse_page

PAGE = Path(__file__).resolve().parents[1] / "tests/fixtures/telegram"
PAGE_FILE = PAGE / "any2feed_topwar_official_channel_page.html"


def rate(label: str, parse: Callable[[bytes], int], data: bytes, seconds: float) -> float:
    parse(data)  # warm up
    posts = runs = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        posts += parse(data)
        runs += 1
    per_second = posts / elapsed
    print(f"{label:48s} {per_second:10,.0f} posts/s  ({elapsed / runs * 1000:.2f} ms/page)")
    return per_second


def sourcewatch_parser(data: bytes) -> int:
    return len(parse_page(data).posts)


def bs4_select_only(data: bytes) -> int:
    soup = BeautifulSoup(data, "lxml")
    return len(soup.select(".tgme_widget_message[data-post]"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    data = PAGE_FILE.read_bytes()
    print(f"python {platform.python_version()}, page {len(data):,} bytes, 12 posts")
    rate("sourcewatch parse_page (lxml, full parse)", sourcewatch_parser, data, args.seconds)
    rate("BeautifulSoup+lxml (parse + select only)", bs4_select_only, data, args.seconds)


if __name__ == "__main__":
    main()
