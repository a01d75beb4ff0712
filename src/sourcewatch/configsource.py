"""Where settings come from: the config file chosen (and why), its TOML with relative
paths resolved, the ``SOURCEWATCH_*`` environment, and which of them set a path.

No models here and no pydantic: ``sourcewatch.config`` validates everything with
pydantic, ``sourcewatch.coresettings`` reads the few settings that locate a workspace
without it (a command such as ``queue`` starts faster). Both layer the same sources
through these functions, so they agree on precedence.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from sourcewatch.errors import SourcewatchError

DEFAULT_CONFIG_FILE = Path("config/sourcewatch.toml")
USER_CONFIG_NAME = Path("sourcewatch") / "sourcewatch.toml"
ENV_PREFIX = "SOURCEWATCH_"
ENV_NESTED_DELIMITER = "__"
# Settings that are paths: relative ones in the file are relative to its workspace root.
PATH_SETTINGS = ("data_dir", "sources_file", "watchlists_dir")


class ConfigError(SourcewatchError):
    """A config or watch-list file is missing, unreadable or invalid."""


def user_config_file(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CONFIG_HOME/sourcewatch/sourcewatch.toml``, else ``~/.config/sourcewatch/...``."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / USER_CONFIG_NAME


def locate_config(explicit: Path | None) -> tuple[Path | None, str]:
    """The config file to read and why, in this order: ``--config``, ``$SOURCEWATCH_CONFIG``,
    ``./config/sourcewatch.toml``, the user config file; else none (built-in defaults).

    A file named explicitly (option or variable) must exist: a typo in its path would
    otherwise run on defaults against the wrong workspace.
    """
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config file {explicit} (from --config) does not exist")
        return explicit, "--config"
    from_env = os.environ.get("SOURCEWATCH_CONFIG")
    if from_env:
        path = Path(from_env)
        if not path.is_file():
            raise ConfigError(f"config file {path} (from SOURCEWATCH_CONFIG) does not exist")
        return path, "$SOURCEWATCH_CONFIG"
    if DEFAULT_CONFIG_FILE.is_file():
        return DEFAULT_CONFIG_FILE, f"{DEFAULT_CONFIG_FILE} in the current directory"
    user = user_config_file()
    if user.is_file():
        return user, "the user config file"
    searched = f"{DEFAULT_CONFIG_FILE} in {Path.cwd()}, {user}"
    return None, f"no config file found (searched {searched}): built-in defaults"


def workspace_root(config_file: Path) -> Path:
    """The directory a config file's relative paths are relative to: the parent of its
    ``config/`` directory in the repository layout (``config/sourcewatch.toml``, whose
    ``sources_file = "config/sources.toml"``), else the file's own directory. So
    ``--config /srv/sw/config/sourcewatch.toml`` works from any directory."""
    folder = config_file.resolve().parent
    return folder.parent if folder.name == "config" else folder


def read_config_file(path: Path) -> dict[str, Any]:
    """The file's settings as TOML gives them: not yet checked, paths not yet resolved
    (``resolve_paths``)."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    return data


def resolve_paths(data: Mapping[str, Any], root: Path) -> dict[str, Any]:
    """``data`` with its path settings absolute: relative ones under ``root``, ``~``
    expanded; a value that is not a non-empty string is left for validation to refuse."""
    resolved = dict(data)
    for key in PATH_SETTINGS:
        value = resolved.get(key)
        if isinstance(value, str) and value and not Path(value).expanduser().is_absolute():
            resolved[key] = str(root / value)
        elif isinstance(value, str) and value:
            resolved[key] = str(Path(value).expanduser())
    return resolved


def environment_entries(environ: Mapping[str, str]) -> Iterator[tuple[str, list[str], str]]:
    """(variable, lower-case setting path, raw text) of every ``SOURCEWATCH_*`` variable,
    in name order (of two spellings of one name, the later one wins):
    ``SOURCEWATCH_NET__RETRIES=1`` is ``("SOURCEWATCH_NET__RETRIES", ["net", "retries"],
    "1")``. Names are case-insensitive; which names are settings is the caller's to say."""
    for key, raw in sorted(environ.items()):
        if key.upper().startswith(ENV_PREFIX):
            yield key, key[len(ENV_PREFIX) :].lower().split(ENV_NESTED_DELIMITER), raw


def origins(
    file_data: Mapping[str, Any], env: Mapping[str, Any], path: Path | None
) -> dict[str, str]:
    """Where each path setting and ``database_url`` came from (``sourcewatch where``)."""
    found = {}
    for key in (*PATH_SETTINGS, "database_url"):
        if key in env:
            found[key] = f"${ENV_PREFIX}{key.upper()}"
        elif key in file_data:
            found[key] = f"set in {path}"
        else:
            found[key] = "built-in default"
    return found
