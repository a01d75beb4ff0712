"""Waiting, not failing: long imports commit in chunks, and a busy database is reported
as busy (exit 75), not as "not initialised, run `sourcewatch init`" (exit 2)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from sourcewatch.cli import app
from sourcewatch.cli.common import EXIT_BUSY
from sourcewatch.ingest.imports import import_file
from sourcewatch.sources.config import SourceConfig
from sourcewatch.store.busy import is_busy
from sourcewatch.workspace import Workspace

runner = CliRunner()
SOURCE = SourceConfig(name="amaq", kind="telegram", target="amaq_news")


def jsonl(path: Path, count: int) -> Path:
    lines = (json.dumps({"external_id": str(n), "text": f"post {n}"}) for n in range(count))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_write_while_another_holds_sqlite_is_reported_busy(tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text('[[sources]]\nname = "amaq"\nkind = "telegram"\ntarget = "amaq_news"\n')
    database = tmp_path / "sw.db"
    env = {
        "SOURCEWATCH_DATA_DIR": str(tmp_path / "data"),
        "SOURCEWATCH_DATABASE_URL": f"sqlite:///{database}",
        "SOURCEWATCH_SOURCES_FILE": str(sources),
        "SOURCEWATCH_SQLITE_BUSY_TIMEOUT_MS": "200",
    }
    assert runner.invoke(app, ["init"], env=env).exit_code == 0
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer (an import, the daemon) holds it
    try:
        saved = jsonl(tmp_path / "saved.jsonl", 3)
        result = runner.invoke(app, ["import", str(saved), "--source", "amaq"], env=env)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == EXIT_BUSY, result.output
    assert "database is busy" in result.output and "sourcewatch init" not in result.output
    again = runner.invoke(app, ["import", str(saved), "--source", "amaq", "--json"], env=env)
    assert again.exit_code == 0 and json.loads(again.output)["new"] == 3


@pytest.mark.postgres
def test_a_postgresql_lock_timeout_is_busy(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url)
    try:
        with engine.connect() as holder, engine.connect() as waiter:
            holder.execute(sa.text("CREATE TABLE IF NOT EXISTS busy_probe (id int)"))
            holder.commit()
            holder.execute(sa.text("LOCK TABLE busy_probe IN ACCESS EXCLUSIVE MODE"))
            waiter.execute(sa.text("SET lock_timeout = '100ms'"))
            with pytest.raises(sa.exc.OperationalError) as refused:
                waiter.execute(sa.text("SELECT * FROM busy_probe"))
            assert is_busy(refused.value)
            holder.rollback()
    finally:
        engine.dispose()


def test_a_missing_database_is_not_busy(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'absent' / 'x.db'}")
    with pytest.raises(sa.exc.OperationalError) as refused:
        engine.connect()
    assert not is_busy(refused.value)


def test_long_imports_commit_in_chunks(workspace: Workspace, tmp_path: Path) -> None:
    commits: list[int] = []
    sa.event.listen(workspace.engine, "commit", lambda conn: commits.append(1))
    saved = jsonl(tmp_path / "big.jsonl", 2500)
    report = import_file(workspace, saved, SOURCE, "jsonl", chunk_items=1000)
    assert report.new == 2500 and report.captures_new == 1
    assert len(commits) >= 3  # one transaction per chunk: others' writes interleave
    again = import_file(workspace, saved, SOURCE, "jsonl", chunk_items=1000)
    assert (again.new, again.unchanged) == (0, 2500)
    with workspace.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM capture")).scalar() == 1
