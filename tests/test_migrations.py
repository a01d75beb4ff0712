"""Migrations: the schema they build is exactly the models', and init is idempotent."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from sourcewatch.records import utcnow
from sourcewatch.store import db
from sourcewatch.store.tables import ITEM, SOURCE, TRIAGE, metadata
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
