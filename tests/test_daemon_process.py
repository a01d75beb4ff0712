"""`sourcewatch run` as a real process: signals, health, metrics, logs, the SQLite lock."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from daemon_support import (
    SECRET,
    Cli,
    FeedServer,
    daemon_settings,
    free_port,
    sqlite_base,
    stop,
    wait_for,
    write_watch_list,
)
from sourcewatch.config import Settings, load_settings

pytestmark = pytest.mark.slow  # daemons as processes: start them first under xdist


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def test_sigterm_stops_cleanly_with_health_metrics_and_json_logs(
    settings: Settings, feeds: FeedServer, tmp_path: Path
) -> None:
    watch = write_watch_list(
        tmp_path / "sources.toml",
        {"good": feeds.url("/feed/good"), "hangs": feeds.url("/hang")},
        interval="1s",
    )
    # A grace period shorter than the read timeout (2 s): the hung poll gets abandoned.
    cli = Cli(daemon_settings(settings, watch, grace_seconds=0.5), tmp_path)
    assert cli.run("health").returncode == 1  # no daemon yet
    port = free_port()
    daemon = cli.start("run", "--metrics-port", str(port))
    try:
        wait_for(lambda: cli.heartbeats() == 1, what="a heartbeat")
        wait_for(lambda: len(feeds.hits_for("/feed/good")) >= 2 and feeds.seen("/hang") >= 1)
        health = cli.run("health", "--json")
        assert health.returncode == 0, health.stdout + health.stderr
        assert json.loads(health.stdout)["ok"] is True

        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        assert 'sourcewatch_polls_total{kind="feed",outcome="ok"}' in metrics
        assert "sourcewatch_queue_depth" in metrics and "sourcewatch_leases_held" in metrics
        assert "sourcewatch_poll_seconds_bucket" in metrics

        stats = json.loads(cli.run("stats", "--json").stdout)
        assert stats["sources"] == 2 and len(stats["replicas"]) == 1
        assert stats["replicas"][0]["fresh"] is True
    finally:
        # SIGTERM while the hang's poll is in flight (its read timeout is 2 s).
        wait_for(
            lambda: "hangs" in cli.leased() and feeds.since_last_request("/hang") < 1.0,
            what="a hung poll in flight",
        )
        sigterm_at = time.monotonic()
        code, log = stop(daemon)
    # The hung poll was abandoned after the grace period; nothing else was waited for.
    assert code == 0, log
    assert time.monotonic() - sigterm_at < 5
    assert cli.leased() == [] and cli.heartbeats() == 0
    assert cli.run("health").returncode == 1

    records = [json.loads(line) for line in log.splitlines() if line.strip()]
    polls = [r for r in records if r["msg"] == "poll ok"]
    assert polls and {"source", "seconds", "new", "edited"} <= polls[0].keys()
    assert any(r["msg"] == "abandoned running polls at shutdown" for r in records)
    assert SECRET not in log


def test_a_second_daemon_on_sqlite_is_refused(feeds: FeedServer, tmp_path: Path) -> None:
    base = load_settings(data_dir=tmp_path / "data", sources_file=tmp_path / "sources.toml")
    watch = write_watch_list(tmp_path / "sources.toml", {"good": feeds.url("/feed/good")})
    cli = Cli(daemon_settings(base, watch), tmp_path)
    first = cli.start("run")
    try:
        wait_for(lambda: cli.heartbeats() == 1, what="the first daemon")
        second = cli.run("run")
        assert second.returncode == 2
        assert "already running" in second.stderr and "PostgreSQL" in second.stderr
        assert str(first.pid) in second.stderr
    finally:
        code, log = stop(first)
    assert code == 0, log
    # The lock went with the first daemon.
    assert cli.run("run", "--once").returncode == 0


def test_sighup_reloads_the_watch_list(feeds: FeedServer, tmp_path: Path) -> None:
    watch = write_watch_list(tmp_path / "sources.toml", {"alpha": feeds.url("/feed/alpha")})
    cli = Cli(daemon_settings(sqlite_base(tmp_path), watch), tmp_path)
    daemon = cli.start("run")
    try:
        wait_for(lambda: len(feeds.hits_for("/feed/alpha")) >= 1, what="the first poll")
        write_watch_list(
            watch, {"alpha": feeds.url("/feed/alpha"), "beta": feeds.url("/feed/beta")}
        )
        daemon.send_signal(signal.SIGHUP)
        wait_for(lambda: len(feeds.hits_for("/feed/beta")) >= 1, what="the new source's poll")
        watch.write_text("[[sources]]\nname = 'broken'\n")  # a bad edit keeps the old config
        daemon.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        assert daemon.poll() is None
    finally:
        code, log = stop(daemon)
    assert code == 0, log
    assert "reload failed; keeping the previous config" in log


def test_run_once_exits_1_when_a_source_fails(feeds: FeedServer, tmp_path: Path) -> None:
    watch = write_watch_list(
        tmp_path / "sources.toml",
        {"good": feeds.url("/feed/good"), "broken": feeds.url("/error500")},
    )
    cli = Cli(daemon_settings(sqlite_base(tmp_path), watch), tmp_path)
    result = cli.run("run", "--once", "--json")
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout) == {"polled": 2, "failed": ["broken"], "ok": False}
    listing = [json.loads(line) for line in cli.run("sources", "--json").stdout.splitlines()]
    broken = next(s for s in listing if s["name"] == "broken")
    assert "HTTP 500" in broken["last_error"] and broken["next_poll_at"]


def descendants(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [p for child in children for p in (int(child), *descendants(int(child)))]


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_parse_workers_do_not_outlive_a_killed_daemon(feeds: FeedServer, tmp_path: Path) -> None:
    watch = write_watch_list(tmp_path / "sources.toml", {"alpha": feeds.url("/feed/alpha")})
    cli = Cli(daemon_settings(sqlite_base(tmp_path), watch, parse_processes=1), tmp_path)
    daemon = cli.start("run")
    try:
        wait_for(lambda: len(feeds.hits_for("/feed/alpha")) >= 2, what="polls parsed")
        helpers = descendants(daemon.pid)
        assert helpers, "no parse worker was started"
    finally:
        daemon.kill()  # SIGKILL: no shutdown code runs
        daemon.communicate(timeout=60)
    wait_for(lambda: not any(alive(pid) for pid in helpers), what="workers gone")
