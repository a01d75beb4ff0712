"""verify and gc through the real CLI, and verify of a read-only copy as another user."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sourcewatch.cli import app
from sourcewatch.config import Settings

runner = CliRunner()


@pytest.fixture
def env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    sources = tmp_path / "sources.toml"
    sources.write_text('[[sources]]\nname = "amaq"\nkind = "telegram"\ntarget = "amaq_news"\n')
    env = {
        "SOURCEWATCH_DATA_DIR": str(settings.data_dir),
        "SOURCEWATCH_DATABASE_URL": settings.resolved_database_url,
        "SOURCEWATCH_SOURCES_FILE": str(sources),
    }
    saved = tmp_path / "saved.jsonl"
    saved.write_text('{"external_id": "1", "text": "claim"}\n{"external_id": "2", "text": "b"}\n')
    assert run(env, "import", str(saved), "--source", "amaq")[0] == 0
    return env


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_verify_says_which_checks_ran(env: dict[str, str]) -> None:
    code, out = run(env, "verify")
    assert code == 0 and out.rstrip().endswith("intact")
    assert "check head anchor: entry " in out
    sqlite = env["SOURCEWATCH_DATABASE_URL"].startswith("sqlite")
    assert ("check SQLite PRAGMA integrity_check: ok" in out) is sqlite
    code, out = run(env, "verify", "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] and report["anchor"]["entries_after"] == 0


def test_verify_of_an_uninitialised_sqlite_path_exits_2(tmp_path: Path) -> None:
    env = {
        "SOURCEWATCH_DATA_DIR": str(tmp_path / "nothing"),
        "SOURCEWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'nothing' / 'db.sqlite'}",
    }
    code, out = run(env, "verify")
    assert code == 2 and "no database at" in out and "sourcewatch init" in out
    assert not (tmp_path / "nothing").exists()  # verify creates nothing


def test_gc_removes_old_orphans(env: dict[str, str], settings: Settings) -> None:
    from sourcewatch.store.objects import ObjectStore

    store = ObjectStore(settings.objects_dir)
    old, young = store.put(b"old orphan").sha256, store.put(b"young orphan").sha256
    past = (datetime.now(UTC) - timedelta(days=3)).timestamp()
    os.utime(store.path_for(old), (past, past))
    code, out = run(env, "gc", "--dry-run", "--json")
    assert code == 0 and json.loads(out)["removed"] == [old] and store.exists(old)
    code, out = run(env, "gc", "--grace", "1d")
    assert code == 0 and "removed 1 orphan file(s), 10 bytes; 1 younger than 1d kept" in out
    assert not store.exists(old) and store.exists(young)
    code, out = run(env, "gc", "--grace", "soon")
    assert code == 2 and "not a duration" in out


@pytest.fixture
def public_tmp() -> Iterator[Path]:
    """A directory another user can reach (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="sw-ro-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        for p in [path, *path.rglob("*")]:
            if p.is_dir() and not p.is_symlink():
                p.chmod(0o755)
        shutil.rmtree(path)


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root")
def test_verify_works_on_a_read_only_copy(
    env: dict[str, str], settings: Settings, public_tmp: Path
) -> None:
    """A backup mounted read-only: verified as an unprivileged user who can write nothing
    there (root would ignore the permissions)."""
    if not settings.resolved_database_url.startswith("sqlite"):
        pytest.skip("a read-only copy of the SQLite file")
    db = Path(settings.resolved_database_url.removeprefix("sqlite:///"))
    copy = public_tmp / "copy"
    shutil.copytree(settings.data_dir, copy / "data")
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{db}{suffix}").exists():
            shutil.copy(f"{db}{suffix}", copy / f"db.sqlite{suffix}")
    for p in sorted([copy, *copy.rglob("*")], key=lambda p: -len(p.parts)):
        p.chmod(0o555 if p.is_dir() else 0o444)
    ro_env = {
        "PATH": os.environ["PATH"],
        "SOURCEWATCH_DATA_DIR": str(copy / "data"),
        "SOURCEWATCH_DATABASE_URL": f"sqlite:///{copy / 'db.sqlite'}",
    }
    result = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
         sys.executable, "-m", "sourcewatch", "verify", "--json"],
        env=ro_env, capture_output=True, text=True, timeout=120, cwd=public_tmp,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr + result.stdout
    report = json.loads(result.stdout)
    assert report["ok"] and report["log_entries"] == 3 and report["revisions"] == 2
