"""SIGKILL in the middle of ingest: re-running converges, nothing lost or duplicated."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from sourcewatch.config import Settings
from sourcewatch.store.tables import CAPTURE, ITEM, ITEM_CAPTURE
from sourcewatch.store.verify import verify_archive
from sourcewatch.workspace import Workspace

pytestmark = pytest.mark.slow
HERE = Path(__file__).parent
TOTAL = 10_000


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "SOURCEWATCH_DATA_DIR": str(settings.data_dir),
        "SOURCEWATCH_DATABASE_URL": settings.resolved_database_url,
    }


def _item_count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(ITEM)).scalar_one()


def _kill_when(process: subprocess.Popen[bytes], ready: callable, timeout: float = 60) -> None:  # type: ignore[valid-type]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the worker finished before it could be killed"
        if ready():
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            return
        time.sleep(0.01)
    process.kill()
    pytest.fail("the worker made no progress")


def _assert_converged(ws: Workspace) -> None:
    item, link, capture = ITEM, ITEM_CAPTURE, CAPTURE
    with ws.engine.connect() as conn:
        assert _item_count(ws.engine) == TOTAL
        distinct = conn.execute(
            sa.select(sa.func.count(sa.distinct(item.c.external_id)))
        ).scalar_one()
        assert distinct == TOTAL
        unlinked = conn.execute(
            sa.select(sa.func.count())
            .select_from(item.outerjoin(link, link.c.item_id == item.c.id))
            .where(link.c.item_id.is_(None))
        ).scalar_one()
        assert unlinked == 0
        for (sha,) in conn.execute(sa.select(capture.c.sha256).distinct()):
            assert ws.objects.exists(sha), f"item points at missing object {sha}"
    assert verify_archive(ws).ok


def test_killed_poller_resumes_without_loss_or_duplicates(
    workspace: Workspace, settings: Settings
) -> None:
    command = [sys.executable, str(HERE / "crash_worker.py"), str(TOTAL), "100"]
    worker = subprocess.Popen(command, env=_env(settings))
    _kill_when(worker, lambda: _item_count(workspace.engine) >= 3000)
    killed_at = _item_count(workspace.engine)
    assert 3000 <= killed_at < TOTAL
    assert verify_archive(workspace).ok  # a kill leaves a consistent archive
    subprocess.run(command, env=_env(settings), check=True, timeout=300)
    _assert_converged(workspace)
    subprocess.run(command, env=_env(settings), check=True, timeout=300)  # and again: no change
    _assert_converged(workspace)


def test_killed_import_stores_all_or_nothing_and_reimport_converges(
    workspace: Workspace, settings: Settings, tmp_path: Path
) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[sources]]\nname = "saved"\nkind = "feed"\ntarget = "https://example.org/f"\n'
        'language = "en"\n'  # crash safety is the subject, not language detection
    )
    big = tmp_path / "big.jsonl"
    big.write_text(
        "".join(f'{{"external_id": "{n}", "text": "post {n} {"y" * 400}"}}\n' for n in range(TOTAL))
    )
    env = {**_env(settings), "SOURCEWATCH_SOURCES_FILE": str(sources)}
    command = [sys.executable, "-m", "sourcewatch", "import", str(big), "--source", "saved"]
    worker = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    # Kill once the import has started writing (its object is in the store) but before commit.
    _kill_when(worker, lambda: any(workspace.objects.iter_hashes()))
    assert _item_count(workspace.engine) in (0, TOTAL)
    assert verify_archive(workspace).ok
    subprocess.run(command, env=env, check=True, timeout=300, stdout=subprocess.DEVNULL)
    _assert_converged(workspace)
