"""What the daemon reloads: on SIGHUP the watch list (mirrored into the database) and
the watchlists; and the watchlists alone whenever one of their files changes."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sourcewatch.config import Settings
from sourcewatch.matching import Matcher, WatchlistError, watchlists_version
from sourcewatch.sources.config import SourceConfig, load_watch_list
from sourcewatch.sources.sync import SyncReport, sync_sources
from sourcewatch.workspace import Workspace

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WatchConfig:
    sources: dict[str, SourceConfig]
    sync: SyncReport
    matcher: Matcher


def load_watch_config(ws: Workspace) -> WatchConfig:
    """Read sources.toml and the watchlists, and sync the Source table.

    Raises the loaders' errors (SourcesFileError, ConfigError, ...) with nothing
    changed in the database, so a bad edit followed by SIGHUP keeps the old config.
    """
    settings = ws.settings
    sources = load_watch_list(settings.sources_file, required=_explicit_sources_file(settings))
    matcher = ws.load_matcher()  # replaces the workspace's matcher only if valid
    sync = sync_sources(ws.engine, sources)
    return WatchConfig({s.name: s for s in sources}, sync, matcher)


def _explicit_sources_file(settings: Settings) -> bool:
    # A watch list named explicitly must exist; the default one may be absent (as in the CLI).
    default: Path = Settings.model_fields["sources_file"].default
    return settings.sources_file != default


# How often the daemon looks at the watchlist files (a hash of their bytes).
WATCHLISTS_CHECK_SECONDS = 5.0


@dataclass
class WatchlistsWatcher:
    """Rebuilds the workspace's matcher when a watchlist file changed, so analysts edit
    watchlists without a restart or a SIGHUP. A broken edit never stops matching: the
    last valid matcher stays in use, and the problems are kept in ``error`` and logged,
    until the files are fixed (``sourcewatch watchlists check`` says what is wrong)."""

    ws: Workspace
    seen: str | None = None  # the files' version last looked at
    error: WatchlistError | None = None

    def start(self) -> None:
        """Remember the files' version as of the matcher in use."""
        self.seen = self._version()

    def check(self) -> bool:
        """Rebuild the matcher if the files changed since last seen; whether it was.
        Blocking (reads and compiles the files): the daemon runs it on a thread."""
        version = self._version()
        if version is None or version == self.seen:
            return False
        self.seen = version
        try:
            matcher = self.ws.load_matcher()  # replaces the workspace's matcher only if valid
        except WatchlistError as exc:
            self.error = exc
            log.error(
                "watchlists are invalid; still matching with the previous version",
                extra={"problems": exc.problems[:20], "directory": str(self._directory)},
            )
            return False
        self.error = None
        log.info("watchlists reloaded", extra={"version": matcher.version})
        return True

    @property
    def _directory(self) -> Path:
        return self.ws.settings.watchlists_dir

    def _version(self) -> str | None:
        try:
            return watchlists_version(self._directory)
        except OSError as exc:
            log.warning("cannot read the watchlists", extra={"error": str(exc)})
            return None
