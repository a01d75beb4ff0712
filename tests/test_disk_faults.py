"""A full disk and a read-only data dir, under every command that writes (issue 19).

The data dir is a tiny tmpfs mounted for the test: filled to the last byte for the full
disk, remounted read-only for the read-only case. ``chmod`` would not do (the tests run
as root, which ignores permissions) and an ``os.open`` wrapper would test the wrapper,
not what the kernel answers. Mounting needs CAP_SYS_ADMIN: without it (an unprivileged
run) the module is skipped, and ``test_storage_errors.py`` (RLIMIT_FSIZE) still covers
the clean-error path portably.

Every command must end with a clean message (exit 74, or its own error code with an
``error:`` line), never a traceback; after the disk is freed or made writable again the
same workspace works and ``verify`` finds it intact.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer

from sourcewatch.cli.common import EXIT_STORAGE

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
FEED = FIXTURES / "news" / "rss-parser__guardian.rss"
SAVED = ROOT / "examples" / "tg-rybar-saved.jsonl"

pytestmark = pytest.mark.slow


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MB tmpfs of our own, unmounted at the end."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def env(tmp_path: Path, disk: Path, httpserver: HTTPServer) -> dict[str, str]:
    httpserver.expect_request("/feed").respond_with_data(
        FEED.read_bytes(), content_type="application/rss+xml"
    )
    httpserver.expect_request("/page").respond_with_data(
        "<html><body><p>Wagner left Gao.</p></body></html>", content_type="text/html"
    )
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[sources]]\nname = "tg-rybar"\nkind = "telegram"\ntarget = "rybar"\n'
        'areas = ["sahel"]\n'
        f'[[sources]]\nname = "news"\nkind = "feed"\ntarget = "{httpserver.url_for("/feed")}"\n'
        'areas = ["sahel"]\n'
    )
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("SOURCEWATCH_")},
        "SOURCEWATCH_DATA_DIR": str(disk / "data"),
        "SOURCEWATCH_SOURCES_FILE": str(sources),
        "SOURCEWATCH_WATCHLISTS_DIR": str(ROOT / "watchlists"),
        "SOURCEWATCH_NET__RETRIES": "0",
        "SOURCEWATCH_NET__PER_HOST_INTERVAL": "0",
    }


def sourcewatch(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sourcewatch", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
    )


def writing_commands(tmp_path: Path, disk: Path, httpserver: HTTPServer) -> dict[str, list[str]]:
    """Each command that writes, with arguments that make it write."""
    page = httpserver.url_for("/page")
    draft = tmp_path / "draft.md"
    draft.write_text(f"Wagner left Gao.[^1]\n\n[^1]: A post, {page}\n")
    more = tmp_path / "more.jsonl"
    more.write_text(
        '{"external_id": "9001", "text": "Колонна ЧВК Вагнер у Тимбукту."}\n'
        '{"external_id": "9002", "text": "Ещё одна колонна ЧВК Вагнер у Гао."}\n'
    )
    return {
        "init": ["init"],
        "import": ["import", str(more), "--source", "tg-rybar"],
        "poll": ["poll", "news"],
        "mark": ["mark", "1", "--status", "relevant", "--note", "disk test"],
        "snapshot": ["snapshot", page, "--allow-private", "--force"],
        "cite": ["cite", str(draft), "--allow-private", "--out", str(disk / "cite.json")],
        "evidence": ["evidence", "1", "--out", str(disk / "bundle.wacz")],
        "gc": ["gc", "--grace", "1s"],
    }


def assert_clean(name: str, done: subprocess.CompletedProcess[str]) -> None:
    """No traceback; a failure is a one-line error, exit 74 when the disk refused."""
    assert "Traceback" not in done.stderr, f"{name}: {done.stderr[-2000:]}"
    if done.returncode != 0:
        assert done.stderr.strip(), f"{name}: exit {done.returncode} without a message"
        assert "error" in done.stderr.lower() or "fail" in done.stderr.lower(), done.stderr


def prepare(env: dict[str, str], tmp_path: Path) -> None:
    assert sourcewatch(env, tmp_path, "init").returncode == 0
    imported = sourcewatch(env, tmp_path, "import", str(SAVED), "--source", "tg-rybar")
    assert imported.returncode == 0, imported.stderr


def fill(disk: Path) -> None:
    """Write until the file system says it is full, to the last block."""
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 1 << 16, 1 << 12, 1 << 9, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)


def test_a_full_disk_is_a_clean_error_in_every_command_and_the_workspace_recovers(
    tmp_path: Path, disk: Path, env: dict[str, str], httpserver: HTTPServer
) -> None:
    prepare(env, tmp_path)
    commands = writing_commands(tmp_path, disk, httpserver)
    fill(disk)
    outcomes = {}
    for name, args in commands.items():
        done = sourcewatch(env, tmp_path, *args)
        assert_clean(name, done)
        outcomes[name] = done.returncode
    # Each refused as a full disk (SQLite cannot even map its WAL index on a full disk:
    # before, init printed a traceback and the others "not initialised, run init").
    assert set(outcomes.values()) == {EXIT_STORAGE}, outcomes
    (disk / "filler").unlink()
    for name in ("import", "snapshot", "evidence", "mark"):
        done = sourcewatch(env, tmp_path, *commands[name])
        assert done.returncode == 0, f"{name} after freeing the disk: {done.stderr[-2000:]}"
    verified = sourcewatch(env, tmp_path, "verify")
    assert verified.returncode == 0, verified.stdout[-3000:]


def test_a_read_only_data_dir_is_a_clean_error_in_every_command(
    tmp_path: Path, disk: Path, env: dict[str, str], httpserver: HTTPServer
) -> None:
    prepare(env, tmp_path)
    commands = writing_commands(tmp_path, disk, httpserver)
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    try:
        outcomes = {}
        for name, args in commands.items():
            done = sourcewatch(env, tmp_path, *args)
            assert_clean(name, done)
            outcomes[name] = done.returncode
        assert set(outcomes.values()) == {EXIT_STORAGE}, outcomes
        verified = sourcewatch(env, tmp_path, "verify")  # reads a mounted backup
        assert verified.returncode == 0, verified.stdout[-3000:]
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
    done = sourcewatch(env, tmp_path, *commands["import"])
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_daemon_survives_a_full_disk_and_stores_what_it_missed(
    tmp_path: Path, disk: Path
) -> None:
    """The daemon polls on while the disk is full (its polls fail, it does not exit);
    once space is freed, the items published meanwhile are stored."""
    from daemon_support import Cli, FeedServer, daemon_settings, stop, wait_for, write_watch_list
    from sourcewatch.config import load_settings
    from sourcewatch.store.tables import ITEM

    with FeedServer() as feeds:
        watch = write_watch_list(
            tmp_path / "sources.toml", {"good": feeds.url("/feed/good")}, interval="1s"
        )
        base = load_settings(data_dir=disk / "data", sources_file=watch)
        cli = Cli(daemon_settings(base, watch), tmp_path)
        assert cli.run("init").returncode == 0

        def items() -> int:
            try:
                with cli.engine.connect() as conn:
                    return int(
                        conn.execute(sa.select(sa.func.count()).select_from(ITEM)).scalar_one()
                    )
            except sa.exc.SQLAlchemyError:
                return -1  # the disk refused even the read's shared memory

        daemon = cli.start("run")
        try:
            wait_for(lambda: items() == 3, what="the first poll stored")
            cli.engine.dispose()
            fill(disk)
            feeds.items["good"] = 6
            # It cannot even write its heartbeat: `health` turns unhealthy, the daemon
            # stays up (it claims no source while it cannot record the claim).
            wait_for(lambda: cli.run("health").returncode != 0, what="an unhealthy daemon")
            assert daemon.poll() is None, "the daemon exited on a full disk"
            (disk / "filler").unlink()
            wait_for(lambda: items() == 6, what="the missed items stored after space was freed")
            wait_for(lambda: cli.run("health").returncode == 0, what="a healthy daemon again")
            assert daemon.poll() is None
        finally:
            code, log = stop(daemon)
            cli.engine.dispose()
    assert code == 0, log[-3000:]
    running = log.split('"msg": "stopping')[0]  # (jobs cancelled at shutdown log theirs)
    assert "Traceback" not in running, running[-3000:]
    assert "database or disk is full" in running
