"""store.sql.insert_rows: the driver-level bulk INSERT stores what SQLAlchemy's would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from sourcewatch.store.sql import insert_rows
from sourcewatch.store.tables import UTCDateTime
from sourcewatch.workspace import Workspace

ROWS = sa.Table(
    "test_insert_rows",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(20), nullable=False, unique=True),
    sa.Column("at", UTCDateTime(), nullable=True),
    sa.Column("doc", sa.JSON(), nullable=False),
)
NOW = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)


def stored(ws: Workspace) -> dict[str, tuple[datetime | None, object]]:
    with ws.engine.connect() as conn:
        return {row.key: (row.at, row.doc) for row in conn.execute(sa.select(ROWS))}


def test_values_are_bound_as_an_insert_would_bind_them(workspace: Workspace) -> None:
    ROWS.create(workspace.engine)
    plus_two = timezone(timedelta(hours=2))
    rows = [
        {"key": "a", "at": NOW, "doc": []},
        {"key": "b", "at": NOW.astimezone(plus_two), "doc": {}},  # the same instant
        {"key": "c", "at": NOW + timedelta(seconds=1), "doc": [1.5, -0.0]},
        {"key": "d", "at": None, "doc": {"n": True, "m": 1}},
        {"key": "e", "at": NOW, "doc": []},  # the same values again (remembered)
    ]
    with workspace.engine.begin() as conn:
        insert_rows(conn, ROWS, rows)
    assert stored(workspace) == {
        "a": (NOW, []),
        "b": (NOW, {}),
        "c": (NOW + timedelta(seconds=1), [1.5, -0.0]),
        "d": (None, {"n": True, "m": 1}),
        "e": (NOW, []),
    }


def test_rows_on_a_unique_key_are_skipped_only_when_asked(workspace: Workspace) -> None:
    ROWS.create(workspace.engine)
    with workspace.engine.begin() as conn:
        insert_rows(conn, ROWS, [{"key": "a", "doc": [1]}])
    with workspace.engine.begin() as conn:
        insert_rows(
            conn, ROWS, [{"key": "a", "doc": [2]}, {"key": "b", "doc": [3]}], skip_conflicts=True
        )
    assert stored(workspace) == {"a": (None, [1]), "b": (None, [3])}
    with pytest.raises(sa.exc.IntegrityError), workspace.engine.begin() as conn:
        insert_rows(conn, ROWS, [{"key": "a", "doc": [4]}])


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"key": "x", "at": datetime(2026, 1, 1), "doc": []}, "naive datetime"),
        ({"key": "x", "at": NOW, "doc": {"when": NOW}}, "datetime"),  # not JSON
    ],
)
def test_a_value_the_column_refuses_is_a_statement_error(
    workspace: Workspace, row: dict[str, object], reason: str
) -> None:
    """What ingest's quarantine catches (psycopg serializes JSON in COPY itself: its
    TypeError), the same as from SQLAlchemy's own INSERT."""
    ROWS.create(workspace.engine)
    with (
        pytest.raises((sa.exc.StatementError, TypeError), match=reason),
        workspace.engine.begin() as conn,
    ):
        insert_rows(conn, ROWS, [{"key": "ok", "at": NOW, "doc": []}, row])
    assert stored(workspace) == {}
