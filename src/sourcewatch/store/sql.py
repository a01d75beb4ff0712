"""Small SQL helpers that hide the SQLite / PostgreSQL differences."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeAlias, TypeVar

import sqlalchemy as sa

T = TypeVar("T")

# A result row / a query of any columns (``sa.Row[Any]`` would be a row of one column).
AnyRow: TypeAlias = sa.Row[*tuple[Any, ...]]
AnySelect: TypeAlias = sa.Select[*tuple[Any, ...]]

log = logging.getLogger(__name__)

# Errors of the connection or the lock (server restarting, "database is locked", a
# deadlock): nothing was written and asking again later can succeed. Integrity and
# programming errors cannot.
TRANSIENT_DB_ERRORS: tuple[type[Exception], ...] = (sa.exc.OperationalError, sa.exc.InterfaceError)


async def retry_transient(
    attempt: Callable[[], Awaitable[T]], retry_seconds: float, doing: str, source: str
) -> T:
    """``await attempt()``, again after transient database errors (connection lost,
    database locked, a deadlock) for up to ``retry_seconds``; then the error is raised.
    Only for attempts that write nothing when they fail (one transaction each)."""
    deadline = time.monotonic() + retry_seconds
    delay = 0.5
    while True:
        try:
            return await attempt()
        except TRANSIENT_DB_ERRORS as exc:
            if time.monotonic() + delay > deadline:
                raise
            log.warning(
                "database error while %s; retrying in %.1fs",
                doing,
                delay,
                extra={"source": source, "error": short_error(exc)},
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)


def short_error(exc: BaseException) -> str:
    """The first line of a database error (without the SQL and parameters)."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc)
    return text.strip().splitlines()[0][:300] if text.strip() else type(exc).__name__


def chunked(values: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Slices of at most ``size`` (keeps IN lists under SQLite's variable limit)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def dialect_insert(conn: sa.Connection, table: sa.Table) -> Any:
    """The database's own INSERT for ``table``: the one with ``on_conflict_do_nothing``
    and ``on_conflict_do_update`` (PostgreSQL's and SQLite's take the same arguments)."""
    # Each dialect's insert is imported here, on first use: importing the PostgreSQL
    # dialect costs ~30 ms of start-up that SQLite users and read-only commands skip.
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table)
    raise NotImplementedError(f"unsupported database {conn.dialect.name}")


def insert_ignore(conn: sa.Connection, table: sa.Table) -> sa.Insert:
    """INSERT that skips rows violating a unique constraint (ON CONFLICT DO NOTHING)."""
    statement: sa.Insert = dialect_insert(conn, table).on_conflict_do_nothing()
    return statement


def copy_rows(conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk-insert ``rows`` with PostgreSQL's COPY, inside the caller's transaction.

    Several times faster than multi-row INSERTs for wide rows (every value of an
    INSERT is a bound parameter the server parses and plans). Values go through each
    column type's bind processing (UTC times, JSON) exactly as an INSERT would.
    """
    if not rows:
        return
    columns = list(rows[0])
    quote = conn.dialect.identifier_preparer.quote
    statement = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    driver_connection = conn.connection.driver_connection
    dbapi_error = conn.dialect.loaded_dbapi.Error
    try:
        with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
            for values in _bound_values(conn, table, columns, rows, statement):
                copy.write_row(values)
    except dbapi_error as exc:  # as SQLAlchemy wraps it: IntegrityError, OperationalError ...
        raise sa.exc.DBAPIError.instance(
            statement, None, exc, dbapi_error, dialect=conn.dialect
        ) from exc


def insert_rows(
    conn: sa.Connection,
    table: sa.Table,
    rows: Sequence[dict[str, Any]],
    *,
    skip_conflicts: bool = False,
) -> None:
    """Insert ``rows`` (dicts with the same keys) in one DBAPI call, inside the caller's
    transaction; with ``skip_conflicts``, rows violating a unique constraint are skipped.

    Ingest writes thousands of rows per poll: SQLAlchemy's ``execute(insert(table),
    rows)`` builds and processes a parameter set per row (most of ingest's SQL cost on
    SQLite). Here each value goes through its column type's bind processing (UTC times,
    JSON) exactly as an INSERT would, and the driver gets plain tuples: one
    ``executemany``, or COPY on PostgreSQL. Column defaults are not applied: a row names
    every column it sets. A value a processor refuses raises ``StatementError``, as
    SQLAlchemy's own INSERT would.
    """
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        if skip_conflicts:  # COPY cannot skip: SQLAlchemy's multi-row INSERT instead
            conn.execute(insert_ignore(conn, table), rows)
        else:
            copy_rows(conn, table, rows)
        return
    columns = list(rows[0])
    quote = conn.dialect.identifier_preparer.quote
    statement = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join('?' * len(columns))})"
        + (" ON CONFLICT DO NOTHING" if skip_conflicts else "")
    )
    conn.exec_driver_sql(statement, list(_bound_values(conn, table, columns, rows, statement)))


def _bound_values(
    conn: sa.Connection,
    table: sa.Table,
    columns: list[str],
    rows: Sequence[dict[str, Any]],
    statement: str,
) -> Iterator[tuple[Any, ...]]:
    """Each row's values in ``columns`` order, through the columns' bind processing."""
    processors = [table.c[name].type._cached_bind_processor(conn.dialect) for name in columns]
    if not any(processors):
        for row in rows:
            yield tuple(row[name] for name in columns)
        return
    pairs = [
        (name, _memoized(process) if process else None)
        for name, process in zip(columns, processors, strict=True)
    ]
    for row in rows:
        try:
            values = tuple(process(row[name]) if process else row[name] for name, process in pairs)
        except (TypeError, ValueError) as exc:  # as SQLAlchemy reports a bad bind value
            raise sa.exc.StatementError(str(exc), statement, row, exc) from exc
        yield values


_EMPTY_JSON: dict[type, Any] = {list: [], dict: {}}


def _memoized(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``process`` computed once per distinct value within one call of
    :func:`insert_rows`: a batch's rows share their times (``now``) and mostly empty
    JSON (``[]``, ``{}``), and each UTC-time or JSON conversion costs microseconds.

    Only values whose equality means the same stored value are remembered: aware times
    (equal instants are stored as the same UTC time; a naive one is refused every time)
    and empty lists and dicts. Anything else (``0.0 == -0.0``, ``True == 1`` would
    collide) is processed every time."""
    memo: dict[Any, Any] = {}

    def run(value: Any) -> Any:
        kind = value.__class__
        if kind is datetime and value.tzinfo is not None:
            key: Any = value
        elif kind in _EMPTY_JSON and not value:
            key = kind
        else:
            return process(value)
        try:
            return memo[key]
        except KeyError:
            result = memo[key] = process(value)
            return result

    return run


def lock_in_id_order(conn: sa.Connection, table: sa.Table, ids: Sequence[int]) -> None:
    """On PostgreSQL, lock these rows of ``table`` in ascending id order (SQLite locks the
    whole database for a writer: nothing to do).

    Two transactions that update overlapping rows in different orders can each hold a
    row the other waits for: PostgreSQL then aborts one ("deadlock detected"). The
    daemon's concurrent writers (a batch's results, a batch's outcomes, lease renewals)
    all update ``source`` rows; taking the locks in one global order first means they
    queue instead.
    """
    if ids and conn.dialect.name == "postgresql":
        conn.execute(
            sa.select(table.c.id)
            .where(table.c.id.in_(sorted(set(ids))))
            .order_by(table.c.id)
            .with_for_update()
        ).all()


def update_by_id(
    conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]], *, id_key: str = "_id"
) -> None:
    """UPDATE, for each of ``rows``, the other columns it names on the row whose ``id`` is
    ``row[id_key]``. Rows that set the same columns share one executemany (a pipeline on
    psycopg) instead of a round trip each; the rows are locked in id order first (see
    :func:`lock_in_id_order`)."""
    lock_in_id_order(conn, table, [row[id_key] for row in rows])
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(k for k in row if k != id_key)), []).append(row)
    for columns, group in groups.items():
        conn.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam(id_key))
            .values({column: sa.bindparam(column) for column in columns}),
            group,
        )
