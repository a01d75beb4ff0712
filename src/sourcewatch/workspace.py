"""A Workspace is what every service function works on: settings, database, archive."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from sourcewatch.coresettings import CORE_DEFAULTS, CoreSettings
from sourcewatch.errors import MissingExtra, SourcewatchError
from sourcewatch.store.db import make_engine, migrate
from sourcewatch.store.objects import ObjectStore
from sourcewatch.text import redact

if TYPE_CHECKING:
    from sourcewatch.config import Settings
    from sourcewatch.matching import Matcher


@dataclass
class Workspace:
    """``core`` locates it; ``settings`` is every setting, the ones it was opened with,
    or (opened with ``CoreSettings`` only) loaded from the same file on first use."""

    core: CoreSettings
    engine: sa.Engine
    objects: ObjectStore
    _settings: Settings | None = field(default=None, repr=False)
    _matcher: Matcher | None = field(default=None, repr=False)

    @classmethod
    def open(
        cls,
        settings: Settings | CoreSettings,
        *,
        migrate_schema: bool = True,
        create: bool = True,
    ) -> Workspace:
        """Create the data dir if needed, connect, and bring the schema up to date.

        ``create=False`` is for commands that only read: a SQLite database that does not
        exist is an error saying where it was looked for, not a new empty workspace
        created in whatever directory the command happened to run in. A data dir created
        here is private (0700): it holds captures of hostile sources and analysts' triage
        notes. An existing one keeps the mode its owner gave it. ``CoreSettings`` (no
        pydantic) are enough for a command that needs no other setting.
        """
        if isinstance(settings, CoreSettings):
            core, full = settings, None  # no secrets among them
        else:
            core, full = settings.core, _register_secrets(settings)
        require_driver(core.resolved_database_url)
        if not create:
            require_existing(core)
        core.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        engine = make_engine(
            core.resolved_database_url, sqlite_busy_timeout_ms=core.sqlite_busy_timeout_ms
        )
        if migrate_schema:
            migrate(engine)
        return cls(core, engine, ObjectStore(core.objects_dir), _settings=full)

    @classmethod
    def open_read_only(cls, settings: Settings) -> Workspace:
        """A Workspace that cannot write: no data dir created, no migration run, so that
        ``verify`` runs on a read-only copy of the archive (a mounted backup)."""
        from sourcewatch.store.db import make_read_only_engine
        from sourcewatch.store.verify import VerifyUnavailable, require_current_schema

        core = settings.core
        require_driver(core.resolved_database_url)
        require_existing(core)
        try:
            engine = make_read_only_engine(core.resolved_database_url)
        except FileNotFoundError as exc:
            raise VerifyUnavailable(f"{exc}: nothing to verify (run `sourcewatch init`?)") from None
        ws = cls(core, engine, ObjectStore(core.objects_dir), _settings=settings)
        try:
            require_current_schema(ws.engine)
        except BaseException:
            ws.close()
            raise
        return ws

    @property
    def settings(self) -> Settings:
        """Every setting, validated (loaded now if the workspace was opened with core
        settings only: a bad value anywhere in the file is a ConfigError here)."""
        if self._settings is None:
            self._settings = self.core.full()  # load_settings registers its secrets
        return self._settings

    def with_settings(self, settings: Settings) -> Workspace:
        """The same workspace (database, archive) under other settings that locate it
        alike: a daemon's policy changed in code, a test's local network settings.
        Settings that point at another data dir or database are refused, not half used."""
        if settings.core != self.core:
            raise ValueError(
                f"these settings locate another workspace ({settings.core.data_dir}, "
                f"{settings.core.resolved_database_url}), not this one"
            )
        return replace(self, _settings=_register_secrets(settings), _matcher=None)

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

        directory = self.core.watchlists_dir
        if not directory.is_dir() and directory == CORE_DEFAULTS.watchlists_dir:
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


class WorkspaceNotFound(SourcewatchError):
    """A command that only reads found no database where the settings point."""


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL; None for PostgreSQL or an in-memory database."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def require_driver(url: str) -> None:
    """A PostgreSQL URL needs psycopg, which only the ``postgres`` extra installs: say so,
    instead of a ModuleNotFoundError traceback from deep inside SQLAlchemy."""
    backend = make_url(url).get_backend_name()
    if backend == "postgresql" and importlib.util.find_spec("psycopg") is None:
        raise MissingExtra("postgres", "the database URL is PostgreSQL but psycopg is missing")


def _register_secrets(settings: Settings) -> Settings:
    """Redact the secrets of settings built in code (``load_settings`` registers its own)."""
    from sourcewatch.config import secret_values

    redact.register(secret_values(settings))
    return settings


def require_existing(settings: Settings | CoreSettings) -> None:
    path = sqlite_path(settings.resolved_database_url)
    if path is None or path.is_file():
        return
    origin = settings.origins.get("database_url", "built-in default")
    if origin == "built-in default":
        origin = f"data_dir {settings.origins.get('data_dir', 'built-in default')}"
    raise WorkspaceNotFound(
        f"no database at {path.resolve()} ({origin}; config: {settings.config_reason}). "
        "Run `sourcewatch init` to create a workspace there, or point at an existing one: "
        "run from its directory, or give --config FILE or $SOURCEWATCH_CONFIG. "
        "`sourcewatch where` shows what is in use and why."
    )


@dataclass(frozen=True)
class WhereEntry:
    """One thing a command uses (config, data dir, database, ...), where, and why there."""

    what: str
    path: str
    why: str
    exists: bool | None  # None: not a local path (a PostgreSQL URL)

    def to_json(self) -> dict[str, object]:
        return {"what": self.what, "path": self.path, "why": self.why, "exists": self.exists}


def describe_workspace(settings: Settings) -> list[WhereEntry]:
    """What ``sourcewatch where`` prints: each path a command would use, and why.

    Touches nothing: a newcomer runs it to find out why ``stats`` sees no database.
    """
    origins = settings.origins
    config = settings.config_file
    entries = [
        WhereEntry(
            "config",
            str(config.resolve()) if config else "-",
            settings.config_reason,
            config.is_file() if config else None,
        ),
        _path_entry("data dir", settings.data_dir, origins.get("data_dir")),
    ]
    url = settings.resolved_database_url
    db_file = sqlite_path(url)
    db_why = origins.get("database_url", "built-in default")
    if db_file is not None:
        if db_why == "built-in default":
            db_why = "SQLite in the data dir (database_url unset)"
        entries.append(_path_entry("database", db_file, db_why))
    else:
        shown = make_url(url).render_as_string(hide_password=True)
        entries.append(WhereEntry("database", shown, db_why, None))
    entries.append(_path_entry("sources file", settings.sources_file, origins.get("sources_file")))
    entries.append(
        _path_entry("watchlists", settings.watchlists_dir, origins.get("watchlists_dir"))
    )
    return entries


def _path_entry(what: str, path: Path, why: str | None) -> WhereEntry:
    why = why or "built-in default"
    if why == "built-in default" and not path.is_absolute():
        why += ", relative to the current directory"
    return WhereEntry(what, str(path.resolve()), why, path.exists())


def watchlist_files(settings: Settings) -> list[Path]:
    """The watchlist files (one per area) in the configured directory; none if absent."""
    directory = settings.watchlists_dir
    return sorted(directory.glob("*.toml")) if directory.is_dir() else []


def readiness_warnings(settings: Settings, source_count: int) -> list[str]:
    """What makes a daemon started on these settings useless, said before it starts: a
    daemon with no sources or no watchlists runs quietly and finds nothing, typically
    because it was started from the wrong directory."""
    warnings = []
    if source_count == 0:
        warnings.append(
            f"no sources: the watch list {settings.sources_file.resolve()} is "
            f"{'empty' if settings.sources_file.is_file() else 'missing'}, so nothing "
            "will be polled. Wrong directory? `sourcewatch where` shows what is in use."
        )
    if not watchlist_files(settings):
        warnings.append(
            f"no watchlists in {settings.watchlists_dir.resolve()}: nothing will match, and "
            "only sources with queue_all = true will queue items for triage."
        )
    return warnings
