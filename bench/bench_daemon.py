"""The daemon at scale: 1,000 feed sources over 50 loopback hosts, each answering after 100 ms.

Runs a real ``sourcewatch run`` process (SQLite in a temp dir) against an asyncio
HTTP server in another process listening on 127.0.0.1 ... 127.0.0.50, and measures:

- cycle 1: wall time from the first request until every source was polled and stored;
- the daemon's CPU time (user + system) over cycle 1 and over cycle 2, when the
  feeds are unchanged and every request is a conditional GET answered 304;
- the daemon's peak RSS (VmHWM).

Usage: python bench/bench_daemon.py [--sources 1000] [--hosts 50] [--delay 0.1]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

ITEMS_PER_FEED = 5
EPOCH = datetime(2026, 11, 1, tzinfo=UTC)


def feed_body(name: str) -> bytes:
    items = "".join(
        f"<item><title>{name} report {i}</title><link>http://example.invalid/{name}/{i}</link>"
        f'<guid isPermaLink="false">{name}-{i}</guid>'
        f"<description>Statement {i} of {name} about the situation in the region.</description>"
        f"<pubDate>{format_datetime(EPOCH + timedelta(hours=i), usegmt=True)}</pubDate></item>"
        for i in range(ITEMS_PER_FEED)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{name}</title>'
        f"{items}</channel></rss>"
    ).encode()


async def _serve(hosts: list[str], port: int, delay: float, answered: Any, not_modified: Any) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)
                }
                await asyncio.sleep(delay)
                name = path.rsplit("/", 1)[-1]
                etag = f'"{name}-v1"'
                if headers.get("if-none-match") == etag:
                    status, body = "304 Not Modified", b""
                    with not_modified.get_lock():
                        not_modified.value += 1
                else:
                    status, body = "200 OK", feed_body(name)
                writer.write(
                    f"HTTP/1.1 {status}\r\nContent-Type: application/rss+xml\r\n"
                    f"ETag: {etag}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
                with answered.get_lock():
                    answered.value += 1
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    servers = [await asyncio.start_server(handle, host, port, backlog=512) for host in hosts]
    await asyncio.gather(*(s.serve_forever() for s in servers))


def serve(hosts: list[str], port: int, delay: float, answered: Any, not_modified: Any) -> None:
    asyncio.run(_serve(hosts, port, delay, answered, not_modified))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def polled_since(db: Path, since: datetime) -> int:
    with sqlite3.connect(db, timeout=30) as conn:
        (count,) = conn.execute(
            "SELECT count(*) FROM source WHERE last_success_at >= ?",
            (since.replace(tzinfo=None).isoformat(sep=" "),),
        ).fetchone()
    return int(count)


def wait_cycle(db: Path, since: datetime, sources: int, pid: int, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while polled_since(db, since) < sources:
        if time.monotonic() > deadline:
            raise RuntimeError(f"cycle not complete after {timeout}s")
        time.sleep(0.02)
    return time.monotonic()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--delay", type=float, default=0.1)
    parser.add_argument("--interval", type=float, default=20.0)
    parser.add_argument("--max-concurrent", type=int, default=100)
    args = parser.parse_args()

    hosts = [f"127.0.0.{i}" for i in range(1, args.hosts + 1)]
    port = 18080 + os.getpid() % 1000
    answered, not_modified = mp.Value("i", 0), mp.Value("i", 0)
    server = mp.Process(
        target=serve, args=(hosts, port, args.delay, answered, not_modified), daemon=True
    )
    server.start()
    time.sleep(0.5)

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        blocks = []
        for i in range(args.sources):
            host = hosts[i % len(hosts)]
            blocks.append(
                f'[[sources]]\nname = "feed{i:04d}"\nkind = "feed"\n'
                f'target = "http://{host}:{port}/feed/feed{i:04d}"\n'
                f"interval = {args.interval}\n[sources.options]\nfetch_articles = false\n"
            )
        (work / "sources.toml").write_text("\n".join(blocks))
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SOURCEWATCH_")},
            "SOURCEWATCH_DATA_DIR": str(work / "data"),
            "SOURCEWATCH_SOURCES_FILE": str(work / "sources.toml"),
            "SOURCEWATCH_LOG_LEVEL": "WARNING",
            "SOURCEWATCH_NET__PER_HOST_CONCURRENCY": "2",
            "SOURCEWATCH_NET__PER_HOST_INTERVAL": "0",
            "SOURCEWATCH_SCHEDULER__MAX_CONCURRENT_POLLS": str(args.max_concurrent),
            "SOURCEWATCH_SCHEDULER__TICK_SECONDS": "0.2",
            "SOURCEWATCH_SCHEDULER__JITTER_FRACTION": "0",
        }
        subprocess.run(
            [sys.executable, "-m", "sourcewatch", "init"], env=env, cwd=work, check=True,
            capture_output=True,
        )
        db = work / "data" / "sourcewatch.db"
        daemon = subprocess.Popen(
            [sys.executable, "-m", "sourcewatch", "run"], env=env, cwd=work,
            stderr=open(work / "daemon.log", "w"),
        )
        try:
            while answered.value == 0:
                time.sleep(0.005)
            start1, cpu_start1 = time.monotonic(), cpu_seconds(daemon.pid)
            since1 = datetime.now(UTC) - timedelta(seconds=1)
            end1 = wait_cycle(db, since1, args.sources, daemon.pid, 120)
            cpu1 = cpu_seconds(daemon.pid) - cpu_start1
            first_answers = answered.value

            while answered.value <= first_answers:
                time.sleep(0.005)
            start2, cpu_start2 = time.monotonic(), cpu_seconds(daemon.pid)
            since2 = datetime.now(UTC) - timedelta(seconds=0.5)
            end2 = wait_cycle(db, since2, args.sources, daemon.pid, 120)
            cpu2 = cpu_seconds(daemon.pid) - cpu_start2
            rss = peak_rss_mb(daemon.pid)
        finally:
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(60)
            server.terminate()
        with sqlite3.connect(db) as conn:
            items = conn.execute("SELECT count(*) FROM item").fetchone()[0]

    print(f"sources            {args.sources} over {args.hosts} hosts, {args.delay * 1000:.0f} ms each")
    print(f"cycle 1 wall       {end1 - start1:.2f} s   (target < 5 s)")
    print(f"cycle 1 CPU        {cpu1:.2f} s")
    print(f"cycle 2 wall       {end2 - start2:.2f} s   ({not_modified.value} answers were 304)")
    print(f"cycle 2 CPU        {cpu2:.2f} s   ({cpu2 / cpu1:.0%} of cycle 1; target < 50%)")
    print(f"daemon peak RSS    {rss:.0f} MB   (target < 250 MB)")
    print(f"items stored       {items}  (expected {args.sources * ITEMS_PER_FEED})")
    print(f"daemon exit code   {code}")


if __name__ == "__main__":
    main()
