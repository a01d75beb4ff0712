"""Helpers for the daemon tests (not a test module): a recording feed server on loopback,
watch-list files and settings sized for fast tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from sourcewatch.config import Settings, load_settings
from sourcewatch.store.tables import DAEMON_HEARTBEAT, SOURCE

SECRET = "AAAA-bearer-never-logged"  # set as the X token of daemon processes; never logged

EPOCH = datetime(2026, 11, 1, tzinfo=UTC)
BIG_BODY_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Hit:
    """One request the server saw: which path, when it began and when it was answered."""

    path: str
    started: float
    ended: float
    conditional: bool


def feed_xml(name: str, count: int, link_base: str = "http://example.invalid") -> bytes:
    """An RSS feed of ``count`` items, newest first; item ``i`` never changes."""
    items = "".join(
        f"<item><title>{name} item {i}</title><link>{link_base}/article/{name}/{i}</link>"
        f'<guid isPermaLink="false">{name}-{i}</guid>'
        f"<description>Report {i} from {name}</description>"
        f"<pubDate>{format_datetime(EPOCH + timedelta(minutes=i), usegmt=True)}</pubDate></item>"
        for i in reversed(range(count))
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{name}</title>{items}</channel></rss>"
    ).encode()


class FeedServer:
    """A threaded HTTP server on 127.0.0.1 that records every request.

    Paths: ``/feed/<name>`` (an RSS feed whose item count comes from ``items_for``,
    with an ETag so unchanged feeds answer 304), ``/hang`` (never answers until the
    server stops), ``/error500``, ``/ratelimit`` (429 with Retry-After),
    ``/loop-a`` <-> ``/loop-b`` (a redirect loop) and ``/big`` (a 50 MB body).
    """

    def __init__(self, *, delay: float = 0.0, host: str = "127.0.0.1") -> None:
        self.delay = delay
        self.hits: list[Hit] = []
        self.items: dict[str, int] = {}  # name -> number of items its feed lists
        self.gone: set[str] = set()  # article paths that answer 410 Gone
        self.started: list[tuple[str, float]] = []  # (path, time) as each request arrives
        self.retry_after = 120
        # Answers wait while the gate is closed: a test holds a poll mid-fetch until what
        # it waits for has happened, instead of hoping a delay is long enough.
        self.gate = threading.Event()
        self.gate.set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                started = time.monotonic()
                with server._lock:
                    server.started.append((urlsplit(self.path).path, started))
                try:
                    server._answer(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a cap or a timeout): that is the point
                finally:
                    with server._lock:
                        server.hits.append(
                            Hit(
                                urlsplit(self.path).path,
                                started,
                                time.monotonic(),
                                "If-None-Match" in self.headers,
                            )
                        )

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.host = host
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def start(self) -> FeedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def seen(self, path: str) -> int:
        """How many requests for ``path`` have arrived (answered or not)."""
        with self._lock:
            return sum(1 for p, _ in self.started if p == path)

    def since_last_request(self, path: str) -> float:
        """Seconds since the latest request for ``path`` arrived (inf if none did)."""
        with self._lock:
            times = [t for p, t in self.started if p == path]
        return time.monotonic() - max(times) if times else float("inf")

    def hits_for(self, path: str) -> list[Hit]:
        with self._lock:
            return [h for h in self.hits if h.path == path]

    def _answer(self, request: BaseHTTPRequestHandler) -> None:
        path = urlsplit(request.path).path
        self.gate.wait(60)
        if self.delay:
            time.sleep(self.delay)
        if path.startswith("/feed/"):
            name = path.removeprefix("/feed/")
            count = self.items.get(name, 3)
            etag = f'"{name}-{count}"'
            if request.headers.get("If-None-Match") == etag:
                self._send(request, 304, b"", {"ETag": etag})
            else:
                body = feed_xml(name, count, f"http://{self.host}:{self.port}")
                self._send(
                    request, 200, body, {"ETag": etag, "Content-Type": "application/rss+xml"}
                )
        elif path.startswith("/article/"):
            if path in self.gone:
                self._send(request, 410, b"gone", {})
            else:
                page = f"<html><body><article><p>{path}</p></article></body></html>"
                self._send(request, 200, page.encode(), {"Content-Type": "text/html"})
        elif path == "/hang":
            self._stop.wait(60)
        elif path == "/error500":
            self._send(request, 500, b"internal error", {})
        elif path == "/ratelimit":
            self._send(request, 429, b"slow down", {"Retry-After": str(self.retry_after)})
        elif path in ("/loop-a", "/loop-b"):
            other = "/loop-b" if path == "/loop-a" else "/loop-a"
            self._send(request, 302, b"", {"Location": other})
        elif path == "/big":
            request.send_response(200)
            request.send_header("Content-Type", "application/rss+xml")
            request.send_header("Content-Length", str(BIG_BODY_BYTES))
            request.end_headers()
            chunk = b"x" * 65536
            for _ in range(BIG_BODY_BYTES // len(chunk)):
                request.wfile.write(chunk)
        else:
            self._send(request, 404, b"not found", {})

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict) -> None:
        request.send_response(status)
        for name, value in headers.items():
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)


def write_watch_list(path: Path, sources: dict[str, str], interval: str = "2s") -> Path:
    """A sources.toml of feed sources (name -> URL) that read only the feed itself."""
    blocks = [
        f'[[sources]]\nname = "{name}"\nkind = "feed"\ntarget = "{url}"\n'
        f'interval = "{interval}"\nareas = ["test"]\n[sources.options]\nfetch_articles = false\n'
        for name, url in sources.items()
    ]
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


FAST_SCHEDULER: dict[str, Any] = {
    "tick_seconds": 0.2,
    "lease_seconds": 3.0,
    "grace_seconds": 2.0,
    # A bound for hangs, not a speed target: generous, so that a loaded test machine
    # (the first parse also starts a worker process) never turns into a failed poll.
    "poll_timeout_seconds": 60.0,
    "heartbeat_seconds": 0.5,
    "heartbeat_stale_seconds": 5.0,
    "jitter_fraction": 0.0,
    "ingest_retry_seconds": 20.0,
}
FAST_NET: dict[str, Any] = {
    "retries": 0,
    "per_host_interval": 0.0,
    "per_host_concurrency": 8,
    "connect_timeout": 2.0,
    "read_timeout": 2.0,
    "total_timeout": 3.0,
    "max_body_bytes": 1024 * 1024,
    "max_decompressed_bytes": 1024 * 1024,
    "max_retry_after": 5.0,
    "allow_private_addresses": True,  # article links point at the loopback server
}


def sqlite_base(tmp_path: Path) -> Settings:
    """Settings on SQLite in ``tmp_path``, for tests whose subject is not the database."""
    return load_settings(data_dir=tmp_path / "data", sources_file=tmp_path / "sources.toml")


def daemon_settings(base: Settings, sources_file: Path, **scheduler: Any) -> Settings:
    """``base`` (the conftest settings: temp data dir, SQLite or PostgreSQL) for fast daemons."""
    return load_settings(
        data_dir=base.data_dir,
        database_url=base.database_url,
        sources_file=sources_file,
        scheduler={**FAST_SCHEDULER, **scheduler},
        net=FAST_NET,
    )


def daemon_env(settings: Settings) -> dict[str, str]:
    """The same settings as SOURCEWATCH_* variables, for daemons run as processes."""
    env = {
        "SOURCEWATCH_DATA_DIR": str(settings.data_dir),
        "SOURCEWATCH_DATABASE_URL": settings.resolved_database_url,
        "SOURCEWATCH_SOURCES_FILE": str(settings.sources_file),
    }
    for key, value in settings.scheduler.model_dump().items():
        if value is not None:
            env[f"SOURCEWATCH_SCHEDULER__{key.upper()}"] = str(value)
    for key, value in settings.net.model_dump().items():
        if value is not None:
            env[f"SOURCEWATCH_NET__{key.upper()}"] = str(value)
    return env


def wait_for(check: Callable[[], bool], timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Cli:
    """Runs ``python -m sourcewatch`` in ``cwd`` with the daemon settings as environment."""

    def __init__(self, settings: Settings, cwd: Path) -> None:
        self.settings = settings
        self.cwd = cwd
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SOURCEWATCH_")},
            **daemon_env(settings),
            "SOURCEWATCH_X__BEARER_TOKEN": SECRET,
        }
        self.engine = sa.create_engine(settings.resolved_database_url)

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "sourcewatch", *args],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sourcewatch", *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def heartbeats(self) -> int:
        try:
            with self.engine.connect() as conn:
                return conn.execute(
                    sa.select(sa.func.count()).select_from(DAEMON_HEARTBEAT)
                ).scalar_one()
        except sa.exc.SQLAlchemyError:
            return 0  # not migrated yet

    def leased(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    sa.select(SOURCE.c.name).where(SOURCE.c.lease_owner.is_not(None))
                ).scalars()
            )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop(process: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=timeout)
    return process.returncode, err
