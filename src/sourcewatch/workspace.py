"""A Workspace is what every service function works on: settings, database, archive."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sqlalchemy as sa

from sourcewatch.config import Settings, secret_values
from sourcewatch.store.db import make_engine, migrate
from sourcewatch.store.objects import ObjectStore
from sourcewatch.text import redact

if TYPE_CHECKING:
    from sourcewatch.matching import Matcher


@dataclass
class Workspace:
    settings: Settings
    engine: sa.Engine
    objects: ObjectStore
    _matcher: Matcher | None = field(default=None, repr=False)

    @classmethod
    def open(cls, settings: Settings, *, migrate_schema: bool = True) -> Workspace:
        """Create the data dir if needed, connect, and bring the schema up to date."""
        redact.register(secret_values(settings))  # settings built in code, not loaded
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(
            settings.resolved_database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
        )
        if migrate_schema:
            migrate(engine)
        return cls(settings=settings, engine=engine, objects=ObjectStore(settings.objects_dir))

    def matcher(self) -> Matcher:
        """The watchlist matcher, loaded on first use; raises WatchlistError if invalid.

        A watchlists dir that is absent at its default path gives an empty matcher
        (nothing matches; ``queue_all`` sources still queue); one named explicitly
        must exist.
        """
        if self._matcher is None:
            self._matcher = self.load_matcher()
        return self._matcher

    def load_matcher(self) -> Matcher:
        """(Re)load the watchlists, e.g. after they changed on disk."""
        from sourcewatch.matching import Matcher, Watchlists, load_matcher

        directory = self.settings.watchlists_dir
        default = Settings.model_fields["watchlists_dir"].default
        if not directory.is_dir() and directory == default:
            matcher = Matcher(Watchlists(directory=directory))
        else:
            matcher = load_matcher(directory)
        self._matcher = matcher
        return matcher

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
