"""Shared fixtures: settings in a temp dir, and a Workspace on SQLite and on PostgreSQL.

PostgreSQL tests use a throwaway database on 127.0.0.1:5432 (override with
SOURCEWATCH_TEST_PG_URL). Locally they are skipped when no server answers; with
CI=true a missing server fails the run instead.
"""

from __future__ import annotations

import compileall
import contextlib
import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from sourcewatch.config import Settings, load_settings
from sourcewatch.store.db import make_engine, migrate
from sourcewatch.workspace import Workspace

FIXTURES = Path(__file__).parent / "fixtures"

# The CLI's Rich consoles read COLUMNS once, when sourcewatch.cli is first imported: under
# pytest-xdist that import may happen while a CliRunner had set COLUMNS for another test.
# Without it the consoles read the width afresh for every command, as each test sets it.
os.environ.pop("COLUMNS", None)
os.environ.pop("LINES", None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first: pytest-xdist hands tests out in collection order, and a
    one-minute test that starts last keeps the whole run waiting for it."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_configure(config: pytest.Config) -> None:
    """Compile the package once, so the many `sourcewatch` subprocesses of the suite do
    not each compile it from source (PYTHONDONTWRITEBYTECODE is set on these machines)."""
    if not hasattr(config, "workerinput"):  # the xdist controller, or a plain run
        compileall.compile_dir(Path(__file__).parents[1] / "src", quiet=1)


PG_ADMIN_URL = os.environ.get(
    "SOURCEWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's SOURCEWATCH_* variables or user config file."""
    for name in list(os.environ):
        if name.startswith("SOURCEWATCH_") and not name.startswith("SOURCEWATCH_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "user-config"))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        message = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.orig}"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    name = f"sourcewatch_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def empty_database(url: str) -> None:
    """Make the test's database (a copy of a migrated one) empty, for tests of what
    happens before ``init``."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink()
        return
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated once per test process (by the real migrations), that
    each test's database is a copy of: migrating afresh for every test cost a third of
    a second of CPU each, a large share of the whole suite's."""
    path = tmp_path_factory.mktemp("template") / "sourcewatch.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    with contextlib.closing(sqlite3.connect(path)) as conn:  # all of it in the main file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "sourcewatch.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    # A database of its own, created from one migrated once per test process.
    template: str = request.getfixturevalue("postgres_template")
    name = f"sourcewatch_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    request.addfinalizer(drop)
    return admin.url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_template(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL database migrated once per test process (by the real migrations),
    that each test's database is created from (CREATE DATABASE ... TEMPLATE): cheaper
    than dropping the schema and migrating it again for every test."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"{sa.engine.make_url(postgres_url).database}_template"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(admin.url.set(database=name).render_as_string(hide_password=False))
    migrate(engine)
    engine.dispose()  # a template must have no connection when it is copied
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.chdir(tmp_path)  # no config/ from the repo leaks in
    return load_settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        sources_file=tmp_path / "sources.toml",
    )


@pytest.fixture
def workspace(settings: Settings) -> Iterator[Workspace]:
    ws = Workspace.open(settings)
    try:
        yield ws
    finally:
        ws.close()
