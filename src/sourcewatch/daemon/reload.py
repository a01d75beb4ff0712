"""What the daemon reloads on SIGHUP: the watch list (mirrored into the database)
and the watchlists (the matcher that ingest uses)."""

from __future__ import annotations

from dataclasses import dataclass

from sourcewatch.config import Settings
from sourcewatch.matching import Matcher
from sourcewatch.sources.config import SourceConfig, load_watch_list
from sourcewatch.sources.sync import SyncReport, sync_sources
from sourcewatch.workspace import Workspace


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
    return settings.sources_file != Settings.model_fields["sources_file"].default
