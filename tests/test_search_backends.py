"""The same data on SQLite and on PostgreSQL gives the same hits for every query (the
index only proposes candidates; the matcher decides, on both)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from conftest import PG_ADMIN_URL
from search_support import T0, WATCHLISTS, fill
from sourcewatch.config import load_settings
from sourcewatch.search.engine import SearchFilter
from sourcewatch.search.service import SearchRequest, search
from sourcewatch.store.db import read_connection
from sourcewatch.workspace import Workspace

QUERIES = [
    "Кидаль",
    "Петербург OR Адыгея",
    '"الجيش المالي"',
    "الجيش AND NOT المالي",
    "بدخشان",
    "عدليې",
    "attaque AND revendiquee",
    '"State of the Union" NOT Trump',
    "Mosul NEAR/3 residents",
    "@wagner",
    "@jnim OR @isis",
    "Trump NEAR/10 (Russia OR FBI)",
]


@pytest.fixture
def both(
    tmp_path: Path, sqlite_template: Path, postgres_template: str
) -> Iterator[dict[str, Workspace]]:
    shutil.copyfile(sqlite_template, tmp_path / "s.db")
    name = f"sourcewatch_test_both_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"'))
    urls = {
        "sqlite": f"sqlite:///{tmp_path / 's.db'}",
        "postgresql": admin.url.set(database=name).render_as_string(hide_password=False),
    }
    workspaces = {
        backend: Workspace.open(
            load_settings(data_dir=tmp_path / backend, database_url=url, watchlists_dir=WATCHLISTS)
        )
        for backend, url in urls.items()
    }
    try:
        yield workspaces
    finally:
        for ws in workspaces.values():
            ws.close()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def external_ids(
    ws: Workspace, item_ids: dict[str, int], query: str, where: SearchFilter, newest: bool
) -> list[str]:
    """Each hit as (external id, revision, offsets): ranked hits as a set (the two
    databases score differently), newest first in order."""
    ids = {v: k for k, v in item_ids.items()}
    with read_connection(ws.engine) as conn:
        hits = search(conn, SearchRequest(query, where, 500, newest), ws.matcher().entities).hits
    found = [(ids[h.item_id], h.revision, h.offsets) for h in hits]
    return [repr(x) for x in (found if newest else sorted(found))]


@pytest.mark.postgres
def test_sqlite_and_postgresql_return_the_same_hits(both: dict[str, Workspace]) -> None:
    loaded = {backend: fill(ws) for backend, ws in both.items()}
    filters = [
        SearchFilter(),
        SearchFilter(since=T0 + timedelta(days=1), kinds=("telegram", "x")),
        # narrowed in the index by facet tokens (source, language, months)
        SearchFilter(sources=("sahel-posts", "tg-topwar"), langs=("ru", "ar")),
        SearchFilter(since=T0 - timedelta(days=40), until=T0 + timedelta(days=5)),
        # an area: its sources' documents, or the items queued under it
        SearchFilter(areas=("iraq-syria", "ukraine"), since=T0 - timedelta(days=40)),
    ]
    for query in QUERIES:
        for where in filters:
            for newest in (False, True):
                results = [
                    external_ids(ws, loaded[backend], query, where, newest)
                    for backend, ws in both.items()
                ]
                assert results[0] == results[1], (query, where, newest)
    assert external_ids(both["sqlite"], loaded["sqlite"], "Кидаль", SearchFilter(), False)
