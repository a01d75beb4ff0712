"""Alerts: what the outbox costs ingest, and how fast the delivery job sends.

SQLite in a temp dir, the alert tests' watchlist, a JSON webhook (pytest-httpserver)
on loopback reached through Apprise. Measures:

- ingest of N matched posts in one poll, with the outbox write and without it
  (``record_alerts`` replaced by a no-op), best of 3;
- one delivery run sending ``immediate`` messages one by one (per-message latency);
- one delivery run turning a flood of N entries into one digest.

Usage: python bench/bench_alerts.py [--posts 500] [--messages 20]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from pytest_httpserver import HTTPServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import sourcewatch.ingest.matches as matchstore
from alerts_support import alert_settings, poll, run_delivery, webhook_alert
from sourcewatch.config import load_settings
from sourcewatch.records import utcnow
from sourcewatch.workspace import Workspace


def posts(n: int, tag: str) -> list[tuple[str, str]]:
    return [
        (f"{tag}-{i}", f"Report {tag} {i}: shelling near Gao, sector {i * 7}") for i in range(n)
    ]


def fresh_workspace(tmp: Path, name: str, server: HTTPServer, **alert: object) -> Workspace:
    base = load_settings(data_dir=tmp / name, sources_file=tmp / "none.toml")
    return Workspace.open(alert_settings(base, webhook_alert(server, **alert)))


def time_ingest(tmp: Path, server: HTTPServer, n: int, *, outbox: bool) -> float:
    best = float("inf")
    real = matchstore.record_alerts
    for attempt in range(3):
        if not outbox:
            matchstore.record_alerts = lambda *args: 0  # type: ignore[assignment]
        try:
            with fresh_workspace(tmp, f"ingest-{outbox}-{attempt}", server) as ws:
                start = time.perf_counter()
                poll(ws, "page", *posts(n, "i"))
                best = min(best, time.perf_counter() - start)
        finally:
            matchstore.record_alerts = real
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--messages", type=int, default=20)
    args = parser.parse_args()
    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request("/hooks/webhook").respond_with_data("ok")
    server.start()
    try:
        with tempfile.TemporaryDirectory() as tmpdir:
            tmp = Path(tmpdir)
            with_outbox = time_ingest(tmp, server, args.posts, outbox=True)
            without = time_ingest(tmp, server, args.posts, outbox=False)
            print(
                f"ingest {args.posts} matched posts: {with_outbox * 1000:.0f} ms with outbox, "
                f"{without * 1000:.0f} ms without ({(with_outbox / without - 1) * 100:+.1f}%)"
            )

            m = args.messages
            with fresh_workspace(
                tmp, "immediate", server, max_per_minute=m, flood_threshold=m
            ) as ws:
                poll(ws, "page", *posts(m, "m"))
                start = time.perf_counter()
                report = run_delivery(ws, utcnow())
                took = time.perf_counter() - start
            print(
                f"immediate: {report.messages} messages in {took * 1000:.0f} ms "
                f"({took / max(report.messages, 1) * 1000:.1f} ms per message)"
            )

            with fresh_workspace(tmp, "flood", server) as ws:
                poll(ws, "page", *posts(args.posts, "f"))
                start = time.perf_counter()
                report = run_delivery(ws, utcnow())
                took = time.perf_counter() - start
            print(
                f"flood: {report.channels[0].entries} entries -> {report.messages} digest "
                f"message in {took * 1000:.0f} ms"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
