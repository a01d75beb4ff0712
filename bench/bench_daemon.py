"""The daemon at scale: 1,000 feed sources over 50 loopback hosts, each answering after 100 ms.

Runs a real ``sourcewatch run`` process (SQLite in a temp dir) against an asyncio
HTTP server in another process listening on 127.0.0.1 ... 127.0.0.50, and measures:

- cycle 1: wall time from the first request until every source was polled and stored;
- the daemon's CPU time (user + system) over cycle 1 and over cycle 2, when the
  feeds are unchanged and every request is a conditional GET answered 304;
- the daemon's peak RSS (VmHWM), and that of its parse worker processes.

CPU counts the daemon and every process under it (parse workers, resource tracker).

Usage: python bench/bench_daemon.py [--sources 1000] [--hosts 50] [--delay 0.1] [--declare-language]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from scratch_db import scratch_postgres

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


async def _serve(
    hosts: list[str], port: int, delay: float, answered: Any, not_modified: Any
) -> None:
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


def process_tree(pid: int) -> list[int]:
    """The daemon and its descendants (parse workers, resource tracker)."""
    tree = [pid]
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        tree += process_tree(int(child))
    return tree


def cpu_seconds(pid: int, *, tree: bool = True) -> float:
    """User + system CPU of the daemon and (``tree``) every process under it."""
    total = 0
    for member in process_tree(pid) if tree else [pid]:
        fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def workers_rss_mb(pid: int) -> float:
    """Peak RSS summed over the daemon's helper processes (parse workers, resource tracker)."""
    return sum(peak_rss_mb(member) for member in process_tree(pid)[1:])


def make_all_due(engine: sa.Engine, at: datetime | None = None) -> datetime:
    """Start a cycle: every source due now (as if its interval had just passed)."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE source SET next_poll_at = :t"), {"t": (at or now).replace(tzinfo=None)}
        )
    return now


def replicas_up(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM daemon_heartbeat")).scalar_one())


def polled_since(engine: sa.Engine, since: datetime) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.text("SELECT count(*) FROM source WHERE last_success_at >= :t"),
                {"t": since.replace(tzinfo=None)},
            ).scalar_one()
        )


def cycle(engine: sa.Engine, sources: int, pids: list[int]) -> tuple[float, float, float]:
    """Make every source due, wait until all were polled; (wall seconds, CPU seconds of
    the daemons and their workers, CPU seconds of the daemon processes alone)."""
    cpu_before = sum(cpu_seconds(pid) for pid in pids)
    main_before = sum(cpu_seconds(pid, tree=False) for pid in pids)
    started = time.monotonic()
    since = make_all_due(engine)
    deadline = started + 300
    while polled_since(engine, since) < sources:
        if time.monotonic() > deadline:
            raise RuntimeError("cycle not complete after 300 s")
        time.sleep(0.02)
    wall = time.monotonic() - started
    main = sum(cpu_seconds(pid, tree=False) for pid in pids) - main_before
    return wall, sum(cpu_seconds(pid) for pid in pids) - cpu_before, main


@contextmanager
def database(postgres: str | None, work: Path) -> Iterator[str]:
    if postgres is None:
        yield f"sqlite:///{work / 'data' / 'sourcewatch.db'}"
        return
    with scratch_postgres(postgres) as url:
        yield url


def profiler(pid: int, out: str) -> subprocess.Popen[bytes]:
    """py-spy sampling the daemon (and its parse workers) until SIGINT."""
    spy = subprocess.Popen(
        [
            "py-spy",
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--output",
            out,
            "--rate",
            "250",
            "--gil",
            "--threads",
            "--subprocesses",
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)  # py-spy attaches
    return spy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--delay", type=float, default=0.1)
    parser.add_argument("--max-concurrent", type=int, default=100)
    parser.add_argument(
        "--declare-language", action="store_true", help="sources declare their language"
    )
    parser.add_argument("--replicas", type=int, default=1, help="daemons (PostgreSQL only if > 1)")
    parser.add_argument(
        "--postgres", metavar="ADMIN_URL", help="use a scratch database on this server"
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="record cycle 1 of the first daemon with py-spy (collapsed stacks, GIL holders)",
    )
    args = parser.parse_args()
    if args.replicas > 1 and not args.postgres:
        parser.error("several replicas need --postgres")

    hosts = [f"127.0.0.{i}" for i in range(1, args.hosts + 1)]
    port = 18080 + os.getpid() % 1000
    answered, not_modified = mp.Value("i", 0), mp.Value("i", 0)
    server = mp.Process(
        target=serve, args=(hosts, port, args.delay, answered, not_modified), daemon=True
    )
    server.start()
    time.sleep(0.5)

    with tempfile.TemporaryDirectory() as tmp, database(args.postgres, Path(tmp)) as url:
        work = Path(tmp)
        # --declare-language: lingua's detection of every item's language (~23% of cycle 1
        # CPU in the #24 profile) is left out, as a source that declares one has it.
        declared = 'language = "en"\n' if args.declare_language else ""
        blocks = [
            f'[[sources]]\nname = "feed{i:04d}"\nkind = "feed"\n'
            f'target = "http://{hosts[i % len(hosts)]}:{port}/feed/feed{i:04d}"\n'
            f'interval = "1d"\n{declared}[sources.options]\nfetch_articles = false\n'
            for i in range(args.sources)
        ]
        (work / "sources.toml").write_text("\n".join(blocks))
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SOURCEWATCH_")},
            "SOURCEWATCH_DATA_DIR": str(work / "data"),
            "SOURCEWATCH_DATABASE_URL": url,
            "SOURCEWATCH_SOURCES_FILE": str(work / "sources.toml"),
            "SOURCEWATCH_LOG_LEVEL": "WARNING",
            "SOURCEWATCH_NET__PER_HOST_CONCURRENCY": "2",
            "SOURCEWATCH_NET__PER_HOST_INTERVAL": "0",
            "SOURCEWATCH_SCHEDULER__MAX_CONCURRENT_POLLS": str(args.max_concurrent),
            "SOURCEWATCH_SCHEDULER__TICK_SECONDS": "0.2",
        }
        command = [sys.executable, "-m", "sourcewatch"]
        subprocess.run([*command, "init"], env=env, cwd=work, check=True, capture_output=True)
        engine = sa.create_engine(url)
        make_all_due(engine, datetime(2100, 1, 1, tzinfo=UTC))  # nothing due until we say so
        with open(work / "daemon.log", "w") as log:
            daemons = [
                subprocess.Popen([*command, "run"], env=env, cwd=work, stderr=log)
                for _ in range(args.replicas)
            ]
            pids = [d.pid for d in daemons]
            try:
                while replicas_up(engine) < args.replicas:  # started, idle
                    time.sleep(0.05)
                spy = profiler(pids[0], args.profile) if args.profile else None
                wall1, cpu1, main1 = cycle(engine, args.sources, pids)
                if spy is not None:
                    spy.send_signal(signal.SIGINT)
                    spy.wait(30)
                before = not_modified.value
                wall2, cpu2, _ = cycle(engine, args.sources, pids)
                conditional = not_modified.value - before
                rss = max(peak_rss_mb(pid) for pid in pids)
                helpers_rss = max(workers_rss_mb(pid) for pid in pids)
            finally:
                for daemon in daemons:
                    daemon.send_signal(signal.SIGTERM)
                codes = [daemon.wait(60) for daemon in daemons]
                server.terminate()
        with engine.connect() as conn:
            items = conn.execute(sa.text("SELECT count(*) FROM item")).scalar_one()
        engine.dispose()

    store = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"setup              {args.sources} feeds over {args.hosts} hosts, "
        f"{args.delay * 1000:.0f} ms each; {args.replicas} daemon(s) on {store}"
    )
    print(f"cycle 1 wall       {wall1:.2f} s   (every source due; target < 5 s)")
    print(f"cycle 1 CPU        {cpu1:.2f} s   ({cpu1 / args.sources * 1000:.1f} ms per poll)")
    print(f"  daemon alone     {main1:.2f} s   (without its parse workers)")
    print(f"cycle 2 wall       {wall2:.2f} s   (feeds unchanged: {conditional} answers were 304)")
    print(f"cycle 2 CPU        {cpu2:.2f} s   ({cpu2 / cpu1:.0%} of cycle 1; target < 50%)")
    print(f"daemon peak RSS    {rss:.0f} MB   (target < 250 MB)")
    print(f"helper processes   {helpers_rss:.0f} MB   (parse workers + resource tracker, peak RSS)")
    print(f"items stored       {items}  (expected {args.sources * ITEMS_PER_FEED})")
    print(f"daemon exit codes  {codes}")


if __name__ == "__main__":
    main()
