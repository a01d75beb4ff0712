"""Migrations: the schema they build is exactly the models', and init is idempotent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from sourcewatch.records import utcnow
from sourcewatch.store import db
from sourcewatch.store.tables import ITEM, SOURCE, TRIAGE, metadata
from sourcewatch.workspace import Workspace


def _search_index_object(name: str | None, type_: str, parents: dict[str, str | None]) -> bool:
    """The word index of search is backend-specific and made by migration 0012 only:
    SQLite's FTS5 table (and its shadow tables), PostgreSQL's GIN expression index."""
    if type_ == "table" and (name or "").startswith("search_fts"):
        return False
    if type_ == "column" and name == "words" and parents.get("table_name") == "search_doc":
        return False
    return not (type_ == "index" and name == "ix_search_doc_words")


def test_migrated_schema_matches_the_models(workspace: Workspace) -> None:
    with workspace.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": False,
                "include_name": _search_index_object,
            },
        )
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_the_search_index_exists_on_each_backend(workspace: Workspace) -> None:
    inspector = sa.inspect(workspace.engine)
    if db.is_sqlite(workspace.engine):
        assert "search_fts" in inspector.get_table_names()
    else:
        names = {index["name"] for index in inspector.get_indexes("search_doc")}
        assert "ix_search_doc_words" in names


def test_migrate_is_idempotent(workspace: Workspace) -> None:
    assert db.current_revision(workspace.engine) == db.head_revision()
    assert db.migrate(workspace.engine) == []


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(workspace: Workspace) -> None:
    if not db.is_sqlite(workspace.engine):
        return
    with workspace.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def inspect_check_names(engine: sa.Engine, table: str) -> list[str]:
    return [c["name"] or "" for c in sa.inspect(engine).get_check_constraints(table)]


def test_the_check_constraints_are_in_the_migrated_database(workspace: Workspace) -> None:
    expected = {
        "source": {"ck_source_kind"},
        "triage": {"ck_triage_status"},
        "triage_facet": {"ck_triage_facet_facet", "ck_triage_facet_status"},
        "alert_delivery": {"ck_alert_delivery_status"},
    }
    for table, names in expected.items():
        assert names <= set(inspect_check_names(workspace.engine, table)), table


def test_an_update_to_an_unknown_triage_status_fails_loudly(workspace: Workspace) -> None:
    now = utcnow()
    with workspace.engine.begin() as conn:
        source_id = conn.execute(
            sa.insert(SOURCE).values(name="s", kind="feed", target="http://x/", created_at=now)
        ).inserted_primary_key[0]
        item_id = conn.execute(
            sa.insert(ITEM).values(
                source_id=source_id,
                external_id="1",
                collected_at=now,
                updated_at=now,
                content_hash="0" * 64,
            )
        ).inserted_primary_key[0]
        triage_id = conn.execute(
            sa.insert(TRIAGE).values(
                item_id=item_id,
                status="new",
                priority=1,
                queued_at=now,
                created_at=now,
                updated_at=now,
            )
        ).inserted_primary_key[0]
    with pytest.raises(sa.exc.IntegrityError), workspace.engine.begin() as conn:
        conn.execute(sa.update(TRIAGE).where(TRIAGE.c.id == triage_id).values(status="maybe"))


@pytest.mark.postgres
@pytest.mark.slow
def test_two_inits_at_once_on_a_fresh_postgresql_database_both_succeed(
    postgres_url: str, tmp_path: Path
) -> None:
    """Two replicas starting together: without the advisory lock one of them died with
    an IntegrityError (5 of 5 trials) while creating the tables the other was creating."""
    engine = sa.create_engine(postgres_url)
    try:
        for trial in range(3):
            with engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
            env = {
                **os.environ,
                "SOURCEWATCH_DATABASE_URL": postgres_url,
                "SOURCEWATCH_DATA_DIR": str(tmp_path / f"data{trial}"),
            }
            procs = [
                subprocess.Popen(
                    [sys.executable, "-m", "sourcewatch", "init", "--json"],
                    cwd=tmp_path,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for _ in range(2)
            ]
            results = [proc.communicate(timeout=120) for proc in procs]
            for proc, (_, err) in zip(procs, results, strict=True):
                assert proc.returncode == 0, err
            applied = sorted(len(json.loads(out)["migrations_applied"]) for out, _ in results)
            assert applied[0] == 0 and applied[1] > 0  # one migrated, the other waited
    finally:
        engine.dispose()
