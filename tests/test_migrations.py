"""Migrations: the schema they build is exactly the models', and init is idempotent."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from sourcewatch.store import db
from sourcewatch.store.tables import metadata
from sourcewatch.workspace import Workspace


def test_migrated_schema_matches_the_models(workspace: Workspace) -> None:
    with workspace.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = compare_metadata(context, metadata)
    assert differences == []


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
