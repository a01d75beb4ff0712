"""Small SQL helpers that hide the SQLite / PostgreSQL differences."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

T = TypeVar("T")


def chunked(values: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Slices of at most ``size`` (keeps IN lists under SQLite's variable limit)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def insert_ignore(conn: sa.Connection, table: sa.Table) -> sa.Insert:
    """INSERT that skips rows violating a unique constraint (ON CONFLICT DO NOTHING)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    raise NotImplementedError(f"unsupported database {conn.dialect.name}")
