"""The settings that locate a workspace (data dir, database, watch list, watchlists) and
name the analyst, read without pydantic.

``sourcewatch.config`` builds every setting with pydantic: importing it and building
its twelve models costs about 60 ms, a fifth of a cold ``sourcewatch queue``, which
needs none of them (bench/results/speed-ii.md §10). ``load_core_settings`` reads the same
file and environment through ``sourcewatch.configsource`` and takes a value as is only
when its type leaves pydantic nothing to decide (a string for a path or a string, an
int or a string of digits for an int); anything else, a key no setting has, or a section
key under one of these, is handed to ``config.load_settings``, whose answer or error is
then the answer. So both agree (tests/test_coresettings.py checks a matrix of files and
variables), and the built-in defaults are these fields' defaults, which ``Settings``
takes from ``CORE_DEFAULTS``.

What this does not check: the sections (``[net]``, ``[scheduler]``, ...) and the other
top-level values (``log_level``, ``max_item_text_chars``). A command that reads only
these settings does not use them; every command that does loads ``Settings``, which
refuses a bad one.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sourcewatch.configsource import (
    PATH_SETTINGS,
    environment_entries,
    locate_config,
    origins,
    read_config_file,
    resolve_paths,
    workspace_root,
)

if TYPE_CHECKING:
    from sourcewatch.config import Settings


@dataclass(frozen=True)
class CoreSettings:
    """The settings a workspace is opened with; ``Settings.core`` gives the same."""

    data_dir: Path = Path("storage")
    database_url: str | None = None  # None: sqlite:///<data_dir>/sourcewatch.db
    sources_file: Path = Path("config/sources.toml")
    watchlists_dir: Path = Path("watchlists")
    analyst: str | None = None  # who marks triage entries; else the OS user
    sqlite_busy_timeout_ms: int = 30_000

    # Where they came from (``sourcewatch where``), not settings of their own.
    config_file: Path | None = field(default=None, compare=False)
    config_reason: str = field(default="built-in defaults", compare=False)
    origins: dict[str, str] = field(default_factory=dict, compare=False)
    # The --config given (None: searched), to load the full Settings from the same file.
    requested_config: Path | None = field(default=None, compare=False)

    @property
    def objects_dir(self) -> Path:
        return self.data_dir / "objects"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'sourcewatch.db'}"

    def full(self) -> Settings:
        """Every setting, validated: the same file and environment through pydantic."""
        from sourcewatch.config import load_settings

        return load_settings(self.requested_config)


CORE_DEFAULTS = CoreSettings()
CORE_SETTINGS = tuple(f.name for f in fields(CoreSettings) if f.compare)
# The rest of Settings' top-level names (tests/test_coresettings.py checks the two lists
# against Settings): a file key in neither is a misspelling, for load_settings to name.
OTHER_SETTINGS = (
    "log_level",
    "max_item_text_chars",
    "net",
    "media",
    "telegram",
    "x",
    "scheduler",
    "evidence",
    "alerts",
    "translate",
)
_INTS = ("sqlite_busy_timeout_ms",)
_DIGITS = re.compile(r"[0-9]{1,18}")


class _NeedsValidation(Exception):
    """A value or key that only the full ``Settings`` can judge."""


def load_core_settings(config_file: Path | None = None) -> CoreSettings:
    """The core settings from built-in defaults, the config file, then ``SOURCEWATCH_*``,
    as ``config.load_settings(config_file).core`` would give them (and the same
    ``ConfigError`` for a bad one), without building the full ``Settings`` when every
    value given is plainly of its type."""
    path, reason = locate_config(config_file)
    file_data: dict[str, Any] = {} if path is None else read_config_file(path)
    try:
        values, env = _layered(file_data, path)
    except _NeedsValidation:
        from sourcewatch.config import load_settings

        return replace(load_settings(config_file).core, requested_config=config_file)
    return CoreSettings(
        **values,
        config_file=path,
        config_reason=reason,
        origins=origins(file_data, env, path),
        requested_config=config_file,
    )


def _layered(file_data: dict[str, Any], path: Path | None) -> tuple[dict[str, Any], dict[str, str]]:
    """(the core values of the file overridden by the environment, the environment's)."""
    for key in file_data:
        if key not in CORE_SETTINGS and key not in OTHER_SETTINGS:
            raise _NeedsValidation(key)
    if path is not None:
        file_data = resolve_paths(file_data, workspace_root(path))
    env: dict[str, str] = {}
    for _variable, names, raw in environment_entries(os.environ):
        if names[0] in CORE_SETTINGS:
            if len(names) > 1:  # SOURCEWATCH_DATA_DIR__X: an error load_settings words
                raise _NeedsValidation(names)
            env[names[0]] = raw
    values = {}
    for key in CORE_SETTINGS:
        if key in env:
            values[key] = _plain(key, env[key])
        elif key in file_data:
            values[key] = _plain(key, file_data[key])
    return values, env


def _plain(key: str, value: object) -> object:
    """``value`` as pydantic would make it, if its type leaves nothing to decide."""
    if key in _INTS:
        if type(value) is int:
            return value
        if isinstance(value, str) and _DIGITS.fullmatch(value):
            return int(value)
    elif key in PATH_SETTINGS:
        if isinstance(value, str) and value:
            return Path(value)
    elif isinstance(value, str):
        return value
    raise _NeedsValidation(key)
