"""``cite`` of a report with 100 footnote URLs, each answering after 200 ms.

The server runs in its own process on 100 loopback addresses (127.0.0.2 ...
127.0.0.101, one URL each), so the client keeps the default per-host policy
(``net.per_host_concurrency=2``, ``net.per_host_interval=1s``): 100 URLs on one
host would be paced by that policy, on purpose, and measure it rather than cite.
Each URL serves a ~6 KB news article (so article extraction runs too). The
database is SQLite in a temp dir; the address guard is off (``--allow-private``).

Usage: python bench/bench_cite.py [--urls 100] [--delay 0.2] [--sequential]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sourcewatch.citations.cite import cite_report
from sourcewatch.config import load_settings
from sourcewatch.net import Http
from sourcewatch.workspace import Workspace

PORT = 18431
# Neutral news prose by default; --watchlist-names uses a paragraph dense with names the
# default watchlists match (every page then gets dozens of matches and a triage entry).
PARAGRAPH = (
    "The regional council met on Tuesday to discuss the harvest, road repairs and the price "
    "of fuel, which has doubled since spring, local officials said after the session. "
)
MATCHING_PARAGRAPH = (
    "Tribal forces attacked positions of the Syrian Democratic Forces in eastern Deir ez Zor "
    "on Tuesday, local sources said, the third such attack in a week. "
)


def page(number: int, paragraph: str) -> bytes:
    body = "".join(f"<p>{paragraph} Report {number}, paragraph {i}.</p>" for i in range(30))
    html = (
        f"<html><head><title>Report {number}</title></head><body><article>"
        f"<h1>Report {number}</h1>{body}</article></body></html>"
    )
    return html.encode()


def serve(count: int, delay: float, paragraph: str, ready: multiprocessing.Event) -> None:  # type: ignore[valid-type]
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            time.sleep(delay)
            data = page(int(self.path.strip("/").split("/")[-1] or 0), paragraph)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    for host in range(count):
        httpd = ThreadingHTTPServer((f"127.0.0.{host + 2}", PORT), Handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
    ready.set()
    threading.Event().wait()


def run_cite(report: Path, data_dir: Path, concurrency: int) -> tuple[float, dict]:
    settings = load_settings(data_dir=data_dir)
    settings = settings.model_copy(
        update={"net": settings.net.model_copy(update={"allow_private_addresses": True})}
    )

    async def go() -> dict:
        async with Http(settings.net) as http:
            with Workspace.open(settings) as ws:
                start, cpu = time.perf_counter(), time.process_time()
                manifest = await cite_report(
                    ws, http, settings, report, concurrency=concurrency, force=True
                )
                manifest["_seconds"] = time.perf_counter() - start
                manifest["_cpu"] = time.process_time() - cpu  # threads included
                return manifest

    manifest = asyncio.run(go())
    return manifest["_seconds"], {**manifest["summary"], "cpu": manifest["_cpu"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--urls", type=int, default=100)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--sequential", action="store_true", help="also run with concurrency 1")
    parser.add_argument("--watchlist-names", action="store_true", help="match-dense pages")
    args = parser.parse_args()
    ready = multiprocessing.Event()
    server = multiprocessing.Process(
        target=serve,
        args=(
            args.urls,
            args.delay,
            MATCHING_PARAGRAPH if args.watchlist_names else PARAGRAPH,
            ready,
        ),
        daemon=True,
    )
    server.start()
    ready.wait(30)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            report = Path(tmp) / "report.txt"
            report.write_text(
                "".join(
                    f"[{n + 1}] Source: http://127.0.0.{n + 2}:{PORT}/news/{n + 1}\n"
                    for n in range(args.urls)
                )
            )
            runs = [("concurrent", args.concurrency)] + (
                [("sequential", 1)] if args.sequential else []
            )
            for label, concurrency in runs:
                seconds, summary = run_cite(report, Path(tmp) / label, concurrency)
                print(
                    f"{label:<10} concurrency={concurrency:<3} urls={summary['urls']} "
                    f"live={summary.get('live', 0)} seconds={seconds:.2f} cpu={summary['cpu']:.2f}"
                )
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
