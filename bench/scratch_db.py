"""A scratch PostgreSQL database for one benchmark run: created empty, its URL yielded,
dropped afterwards even if the run fails. The name carries the process id and a random
part, so two runs at once never drop each other's database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa


@contextmanager
def scratch_postgres(admin_url: str) -> Iterator[str]:
    """Yield the URL of a new database on the server of ``admin_url``; drop it after."""
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"sourcewatch_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
