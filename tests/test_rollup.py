"""The per-day rollups (store.rollup) on SQLite and PostgreSQL: ingest keeps them in
step with the items, a rescan's replaced matches move them, ``reindex``'s rebuild and
the migration's backfill agree with a recount, ``verify`` reports a wrong count, and
two transactions adding to the same rows wait for each other instead of deadlocking."""

from __future__ import annotations

import shutil
import threading
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from sourcewatch.config import Settings
from sourcewatch.ingest.rescan import rescan
from sourcewatch.store import db, rollup
from sourcewatch.store.tables import ENTITY_DAY, ITEM_DAY, SOURCE
from sourcewatch.store.verify import verify_archive
from sourcewatch.workspace import Workspace
from triage_support import T0, WATCHLISTS, Post, channel, ingest_posts

DAY = timedelta(days=1)


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    watchlists = tmp_path / "watchlists"
    shutil.copytree(WATCHLISTS, watchlists)
    return settings.model_copy(update={"watchlists_dir": watchlists})


def by_source(ws: Workspace) -> dict[tuple[str, date], int]:
    with ws.engine.connect() as conn:
        rows = conn.execute(
            sa.select(SOURCE.c.name, ITEM_DAY.c.day, ITEM_DAY.c.total).join(
                SOURCE, SOURCE.c.id == ITEM_DAY.c.source_id
            )
        )
        return {(name, rollup.as_date(day)): total for name, day, total in rows}


def by_entity(ws: Workspace) -> dict[tuple[str, date], int]:
    with ws.engine.connect() as conn:
        rows = conn.execute(sa.select(ENTITY_DAY.c.entity_id, ENTITY_DAY.c.day, ENTITY_DAY.c.total))
        return {(entity, rollup.as_date(day)): total for entity, day, total in rows if total}


def differences(ws: Workspace) -> list[str]:
    with ws.engine.connect() as conn:
        return rollup.differences(conn)


def test_ingest_counts_items_per_source_and_an_entity_on_the_items_collection_day(
    workspace: Workspace,
) -> None:
    sahel, pak = channel("sahel_watch"), channel("pak_news")
    yesterday, today = (T0 - DAY).date(), T0.date()
    ingest_posts(workspace, sahel, [Post("1", "JNIM claimed the attack.")], now=T0 - DAY)
    ingest_posts(workspace, sahel, [Post("2", "Rain in Gao."), Post("3", "TTP.")], now=T0)
    ingest_posts(workspace, pak, [Post("9", "TTP fighters attacked.")], now=T0)
    # An edit that names Wagner counts it on the day the item was collected, once; the
    # entity its first revision matched is not counted again; the same poll again adds
    # nothing.
    ingest_posts(workspace, sahel, [Post("1", "JNIM and Wagner claimed it.")], now=T0)
    ingest_posts(workspace, sahel, [Post("1", "JNIM and Wagner claimed it.")], now=T0)
    ingest_posts(workspace, sahel, [Post("1", "Wagner and JNIM, again.")], now=T0)
    assert by_source(workspace) == {
        ("sahel_watch", yesterday): 1,
        ("sahel_watch", today): 2,
        ("pak_news", today): 1,
    }
    assert by_entity(workspace) == {
        ("jnim", yesterday): 1,
        ("wagner", yesterday): 1,
        ("ttp", today): 2,
    }
    assert differences(workspace) == []


def test_a_rescan_moves_the_entity_counts_with_the_matches_it_replaces(
    workspace: Workspace, settings: Settings
) -> None:
    sahel = channel("sahel_watch")
    ingest_posts(workspace, sahel, [Post("1", "JNIM in Kidal."), Post("2", "Kidal")], now=T0)
    assert by_entity(workspace) == {("jnim", T0.date()): 1}
    with (settings.watchlists_dir / "test.toml").open("a") as fh:
        fh.write('\n[[entities]]\nid = "kidal"\nname = "Kidal"\nkind = "place"\n')
    rescan(workspace)
    assert by_entity(workspace) == {("jnim", T0.date()): 1, ("kidal", T0.date()): 2}
    text = (settings.watchlists_dir / "test.toml").read_text()
    (settings.watchlists_dir / "test.toml").write_text(text.replace('"JNIM", ', ""))
    rescan(workspace)  # JNIM no longer an alias: its count goes
    assert by_entity(workspace) == {("kidal", T0.date()): 2}
    assert differences(workspace) == []


def test_verify_reports_a_wrong_count_and_reindex_rebuilds_it(workspace: Workspace) -> None:
    ingest_posts(workspace, channel("sahel_watch"), [Post("1", "JNIM claimed it.")], now=T0)
    with workspace.engine.begin() as conn:
        conn.execute(sa.update(ITEM_DAY).values(total=ITEM_DAY.c.total + 5))
        conn.execute(sa.delete(ENTITY_DAY))
    problems = [p for p in verify_archive(workspace).problems if p.startswith("daily counts")]
    assert len(problems) == 2
    assert "6 kept, 1 counted from the items" in problems[0]
    assert "jnim" in problems[1] and "run `sourcewatch reindex`" in problems[1]
    with workspace.engine.begin() as conn:
        assert rollup.rebuild(conn) == 2
    assert differences(workspace) == []
    assert "daily counts" in verify_archive(workspace).checks


def test_the_migration_fills_the_rollups_from_the_items_already_stored(
    workspace: Workspace,
) -> None:
    sahel = channel("sahel_watch")
    ingest_posts(workspace, sahel, [Post("1", "JNIM claimed it.")], now=T0 - DAY)
    ingest_posts(workspace, sahel, [Post("2", "Wagner and JNIM.")], now=T0)
    expected = by_source(workspace), by_entity(workspace)
    config = db.alembic_config(workspace.engine)
    command.downgrade(config, "0016")
    command.upgrade(config, "head")
    assert (by_source(workspace), by_entity(workspace)) == expected
    assert expected[1] == {
        ("jnim", (T0 - DAY).date()): 1,
        ("jnim", T0.date()): 1,
        ("wagner", T0.date()): 1,
    }


def test_replicas_adding_to_the_same_rows_wait_instead_of_deadlocking(
    workspace: Workspace,
) -> None:
    """Two transactions add to the same two rows, given in opposite orders: the second
    waits for the first's commit (rows are written in key order) and both counts land."""
    if workspace.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    day = T0.date()
    first = Counter({("jnim", day): 1, ("wagner", day): 1})
    second = Counter({("wagner", day): 2, ("jnim", day): 2})
    errors: list[BaseException] = []
    with workspace.engine.connect() as a:
        a.begin()
        rollup.add_entities(a, first)
        pid_a = a.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()

        def other() -> None:
            try:
                with workspace.engine.begin() as b:
                    b.exec_driver_sql("SET LOCAL deadlock_timeout = '100ms'")
                    rollup.add_entities(b, second)
            except BaseException as exc:  # shown by the assertion below
                errors.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        with workspace.engine.connect() as watch:  # until the other waits on a's rows
            for _ in range(500):
                waiting = watch.execute(
                    sa.text(
                        "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid != :a"
                        " AND pid IN (SELECT pid FROM pg_stat_activity WHERE datname ="
                        " current_database())"
                    ),
                    {"a": pid_a},
                ).scalar_one()
                if waiting:
                    break
                thread.join(0.01)
        a.commit()
        thread.join(10)
    assert errors == []
    assert by_entity(workspace) == {("jnim", day): 3, ("wagner", day): 3}
