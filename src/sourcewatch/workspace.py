"""A Workspace is what every service function works on: settings, database, archive."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from sourcewatch.archive import ObjectStore
from sourcewatch.config import Settings
from sourcewatch.db import make_engine, migrate


@dataclass
class Workspace:
    settings: Settings
    engine: sa.Engine
    objects: ObjectStore

    @classmethod
    def open(cls, settings: Settings, *, migrate_schema: bool = True) -> Workspace:
        """Create the data dir if needed, connect, and bring the schema up to date."""
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(
            settings.resolved_database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
        )
        if migrate_schema:
            migrate(engine)
        return cls(settings=settings, engine=engine, objects=ObjectStore(settings.objects_dir))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
