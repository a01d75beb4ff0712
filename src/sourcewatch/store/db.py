"""Database engine and migrations.

SQLite runs in WAL mode with a busy timeout and full fsync; PostgreSQL is used
through psycopg 3 (``postgresql+psycopg://``). ``migrate`` runs the packaged
Alembic migrations and is safe to call on every start.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import sqlalchemy as sa

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

# alembic is imported where it is used: read-only commands never need it.

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
READ_ONLY = "sourcewatch_read_only"


def read_connection(engine: sa.Engine) -> sa.Connection:
    """A connection for reading only: on SQLite it does not take the write lock."""
    return engine.connect().execution_options(**{READ_ONLY: True})


def is_sqlite(engine: sa.Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, *, sqlite_busy_timeout_ms: int = 30_000) -> sa.Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url,
            connect_args={"timeout": sqlite_busy_timeout_ms / 1000, "check_same_thread": False},
        )
        _configure_sqlite(engine, sqlite_busy_timeout_ms)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # No server-side prepared statements: psycopg would switch to them after five runs,
    # and a generic plan for "external_id IN (<1000 parameters>)" filters every row of a
    # source linearly instead of probing the (source_id, external_id) index.
    return sa.create_engine(url, pool_pre_ping=True, connect_args={"prepare_threshold": None})


def make_read_only_engine(url: str) -> sa.Engine:
    """An engine that cannot write, for ``verify`` of an archive that may be a read-only
    copy (a mounted backup).

    SQLite is opened with ``mode=ro`` and no pragma that writes (``journal_mode=WAL``
    needs write access). When the file or its directory is not writable, SQLite cannot
    create the WAL index it needs even to read, so the file is opened ``immutable``: a
    read-only copy has no writer whose changes could be missed. PostgreSQL sessions are
    read-only (``default_transaction_read_only``).
    """
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        if not path.is_file():
            raise FileNotFoundError(f"no database at {path}")
        writable = os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
        query = "mode=ro" if writable else "mode=ro&immutable=1"
        uri = f"file:{quote(str(path.resolve()))}?{query}"
        engine = sa.create_engine(
            "sqlite://",
            creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False),
        )

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @sa.event.listens_for(engine, "begin")
        def _on_begin(connection: sa.Connection) -> None:
            connection.exec_driver_sql("BEGIN")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return sa.create_engine(
        url,
        pool_pre_ping=True,
        connect_args={
            "prepare_threshold": None,
            "options": "-c default_transaction_read_only=on",
        },
    )


def _configure_sqlite(engine: sa.Engine, busy_timeout_ms: int) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's BEGIN below own transactions (pysqlite's implicit ones are odd).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # FULL: a committed capture survives power loss, not only a process crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            # Readers (verify, queue, show) must never hold the write lock: in WAL
            # mode a deferred transaction reads a snapshot while ingest writes.
            connection.exec_driver_sql("BEGIN")
        else:
            # IMMEDIATE takes the write lock up front, so two writers queue on the busy
            # timeout instead of failing half-way with "database is locked".
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config(engine: sa.Engine) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


# pg_advisory_lock key that serializes migrations across processes ("sw-migr").
MIGRATION_LOCK_KEY = 0x73772D6D69677200


def migrate(engine: sa.Engine) -> list[str]:
    """Upgrade the schema to the newest migration; return the revisions applied.

    On PostgreSQL an advisory lock serializes concurrent callers (two replicas running
    ``init`` on a fresh database): the second waits, then finds the schema at head,
    instead of failing on the first one's half-created tables. SQLite's write lock
    already serializes them.
    """
    if engine.dialect.name != "postgresql":
        return _upgrade(engine)
    with engine.connect() as lock:
        lock.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        try:
            return _upgrade(engine)
        finally:
            lock.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            lock.commit()


def _upgrade(engine: sa.Engine) -> list[str]:
    from alembic import command
    from alembic.script import ScriptDirectory

    before = current_revision(engine)
    command.upgrade(alembic_config(engine), "head")
    after = current_revision(engine)
    if before == after:
        return []
    script = ScriptDirectory.from_config(alembic_config(engine))
    applied = [rev.revision for rev in script.iterate_revisions(after, before)]
    return list(reversed(applied))


def current_revision(engine: sa.Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()
