"""Article extraction speed, and one poll cycle of 200 feed sources on loopback.

Usage: .venv/bin/python bench/bench_net_feeds.py [--seconds 5] [--sources 200]

1. Extraction: ``extract_article`` (trafilatura + our metadata) on the recorded
   Reuters page (383 KB) and on two small legacy-encoded pages (windows-1256
   Arabic, windows-1251 Russian, no charset declared), decoding included.
   One process, one thread.
2. Poll cycle: N feed sources, each on its own loopback address (127.0.0.x, so
   the per-host politeness of the shared client applies as it would to N sites),
   polled through ``poll_source`` (fetch + parse + ingest into SQLite) with the
   default net settings:
   a. the recorded Guardian RSS (151 KB, 55 items), articles not fetched:
      first cycle (everything new), then a second cycle (bytes unchanged);
   b. a 5-item feed per source whose links point at the Reuters page on the same
      host: 5 article fetches + extractions per source (spaced by the 1 s
      per-host interval).
All traffic stays on 127.0.0.0/8; the servers stop when the script ends.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sourcewatch.collectors.base import CollectorError
from sourcewatch.collectors.news.article import extract_article
from sourcewatch.config import NetSettings, Settings
from sourcewatch.net import Http, decode_body
from sourcewatch.polling.pipeline import poll_source
from sourcewatch.sources.config import SourceConfig
from sourcewatch.workspace import Workspace

NEWS = Path(__file__).resolve().parents[1] / "tests/fixtures/news"
REUTERS = (NEWS / "trafilatura__reuters.com.parasite.html").read_bytes()
GUARDIAN = (NEWS / "rss-parser__guardian.rss").read_bytes()
ARABIC = "أعلن تنظيم الدولة الإسلامية مسؤوليته عن الهجوم في دير الزور. " * 12
RUSSIAN = "Министерство обороны сообщило об ударе по позициям боевиков в Сирии. " * 12


def legacy_page(text: str, codec: str) -> bytes:
    paragraphs = "".join(f"<p>{text}</p>" for _ in range(6))
    return f"<html><body><article><h1>{text[:40]}</h1>{paragraphs}</article></body></html>".encode(
        codec
    )


def extraction_rate(label: str, page: bytes, seconds: float) -> None:
    url = "https://bench.example/article"
    extract_article(decode_body(page, "text/html").text, url)  # warm up
    runs = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        extract_article(decode_body(page, "text/html").text, url)
        runs += 1
    print(f"  {label:44s} {runs / elapsed:8.1f} pages/s  ({elapsed / runs * 1000:6.1f} ms/page)")


class FeedHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        host = self.headers.get("Host", "")
        if self.path == "/guardian":
            self._send(GUARDIAN, "application/rss+xml")
        elif self.path == "/small":
            items = "".join(
                f"<item><title>Story {n}</title><link>http://{host}/article/{n}</link>"
                f"<guid>http://{host}/article/{n}</guid><description>Teaser {n}</description>"
                "</item>"
                for n in range(5)
            )
            feed = f'<rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
            self._send(feed.encode(), "application/rss+xml")
        elif self.path.startswith("/article/"):
            self._send(REUTERS, "text/html; charset=utf-8")
        else:
            self._send(b"not found", "text/plain", status=404)

    def _send(self, body: bytes, content_type: str, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return None


@contextmanager
def loopback_servers(count: int) -> Iterator[list[str]]:
    """One HTTP server per address 127.0.0.2 .. 127.0.0.(count+1)."""
    servers = [ThreadingHTTPServer((f"127.0.0.{n + 2}", 0), FeedHandler) for n in range(count)]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    try:
        yield [f"http://127.0.0.{n + 2}:{s.server_address[1]}" for n, s in enumerate(servers)]
    finally:
        # shutdown() waits up to one poll interval per server: stop them all at once.
        stoppers = [threading.Thread(target=s.shutdown) for s in servers]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join()
        for server in servers:
            server.server_close()


async def cycle(ws: Workspace, sources: list[SourceConfig], parallel: int) -> tuple[float, Any]:
    gate = asyncio.Semaphore(parallel)
    totals = {"new": 0, "edited": 0, "unchanged": 0, "failed": 0}

    async def one(http: Http, source: SourceConfig) -> None:
        async with gate:
            try:
                report = await poll_source(ws, source, http)
            except CollectorError as exc:  # counted and shown, as the daemon would log it
                totals["failed"] += 1
                print(f"    failed: {exc}")
                return
            totals["new"] += report.new
            totals["edited"] += report.edited
            totals["unchanged"] += report.unchanged

    start = time.perf_counter()
    async with Http(ws.settings.net) as http:
        await asyncio.gather(*(one(http, s) for s in sources))
    return time.perf_counter() - start, totals


def run_cycles(bases: list[str], parallel: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        net = NetSettings(allow_private_addresses=True)  # article links are on loopback
        settings = Settings(data_dir=Path(tmp), net=net)
        with Workspace.open(settings) as ws:
            guardian = [
                SourceConfig(
                    name=f"guardian-{n}",
                    kind="feed",
                    target=f"{base}/guardian",
                    options={"fetch_articles": False},
                )
                for n, base in enumerate(bases)
            ]
            for label in ("a. Guardian RSS, first cycle", "a. Guardian RSS, unchanged"):
                cpu = time.process_time()
                wall, totals = asyncio.run(cycle(ws, guardian, parallel))
                cpu = time.process_time() - cpu
                print(f"  {label:34s} {wall:6.2f} s wall, {cpu:6.2f} s CPU  {totals}")
            articles = [
                SourceConfig(name=f"small-{n}", kind="feed", target=f"{base}/small")
                for n, base in enumerate(bases)
            ]
            cpu = time.process_time()
            wall, totals = asyncio.run(cycle(ws, articles, parallel))
            cpu = time.process_time() - cpu
            label = "b. 5 items + 5 articles per source"
            print(f"  {label:34s} {wall:6.2f} s wall, {cpu:6.2f} s CPU  {totals}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--parallel", type=int, default=32, help="sources polled at once")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs")
    print("1. article extraction (decode + extract_article), single thread:")
    extraction_rate(f"Reuters page ({len(REUTERS) // 1024} KB)", REUTERS, args.seconds)
    extraction_rate("windows-1256 Arabic page, no charset", legacy_page(ARABIC, "cp1256"), 2)
    extraction_rate("windows-1251 Russian page, no charset", legacy_page(RUSSIAN, "cp1251"), 2)
    print(f"2. poll cycle: {args.sources} feed sources, {args.parallel} at once, SQLite:")
    with loopback_servers(args.sources) as bases:
        run_cycles(bases, args.parallel)


if __name__ == "__main__":
    main()
