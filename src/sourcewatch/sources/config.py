"""The watch list: ``[[sources]]`` tables in ``config/sources.toml``.

Loading validates every entry and reports each problem with the file and the
line of the offending table or key, so ``sourcewatch sources check`` can name
them all at once rather than one per run.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sourcewatch.errors import InvalidInput, SourcewatchError
from sourcewatch.store.tables import SOURCE_KINDS

_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
# The longest interval accepted: beyond it, "next poll" times overflow (an interval of
# 1e12 s once crashed the daemon's outcome recording) and no analyst means it.
MAX_INTERVAL = 366 * 86400.0
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")


def parse_duration(text: str | int | float) -> float:
    """``"90s"``, ``"5m"``, ``"2h"``, ``"1d"`` or a number of seconds -> seconds."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        seconds = float(text)
    else:
        match = _INTERVAL.match(str(text))
        if not match:
            raise InvalidInput(f"not a duration: {text!r} (use e.g. 90s, 5m, 2h, 1d)")
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds <= 0:
        raise InvalidInput(f"duration must be positive: {text!r}")
    return seconds


class SourceConfig(BaseModel):
    """One watched source, as written in the watch list."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: str
    target: str
    interval: float = 300.0  # seconds; written "5m" in the file
    areas: tuple[str, ...] = ()
    backend: str | None = None  # e.g. telegram: "web" (default) or "telethon"
    base_url: str | None = None  # overrides the kind's default base URL (tests, mirrors)
    proxy: str | None = None  # e.g. socks5://127.0.0.1:9050 for Tor
    weight: int = Field(default=1, ge=1, le=5)  # feeds into triage priority
    queue_all: bool = False  # queue every item, matched or not
    enabled: bool = True
    language: str | None = None  # hint for matching and extraction
    # IANA zone of the source's local time (e.g. "Europe/Moscow"): exports give each
    # date in UTC and, when this is set, in the source's own time too
    timezone: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)  # kind-specific extras

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(
                "must start with a letter or digit and use only letters, digits, _ . -"
            )
        return value

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in SOURCE_KINDS:
            raise ValueError(f"unknown kind {value!r}; one of {', '.join(SOURCE_KINDS)}")
        return value

    @field_validator("target")
    @classmethod
    def _non_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    @field_validator("interval", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> float:
        seconds = parse_duration(value)
        if not seconds <= MAX_INTERVAL:  # also NaN
            raise ValueError(f"interval {value!r} is longer than a year (366d)")
        return seconds

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name: Asia/Damascus)") from None
        return value

    @field_validator("areas", mode="before")
    @classmethod
    def _areas(cls, value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        return tuple(str(a).strip().lower() for a in value)


@dataclass(frozen=True)
class SourceProblem:
    file: Path
    line: int
    source: str | None
    message: str

    def __str__(self) -> str:
        who = f" [{self.source}]" if self.source else ""
        return f"{self.file}:{self.line}:{who} {self.message}"


class SourcesFileError(SourcewatchError):
    def __init__(self, problems: list[SourceProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def load_sources(path: Path) -> list[SourceConfig]:
    """Load and validate the watch list; raise SourcesFileError naming every problem."""
    sources, problems = check_sources(path)
    if problems:
        raise SourcesFileError(problems)
    return sources


# More checks on a valid entry, by a layer that knows more (the collectors' options,
# targets, proxies): (key, message) for each problem.
ExtraCheck = Callable[[SourceConfig], list[tuple[str, str]]]


def check_sources(
    path: Path, *, extra_checks: ExtraCheck | None = None
) -> tuple[list[SourceConfig], list[SourceProblem]]:
    """Validate the watch list, returning the good entries and every problem found."""
    try:
        raw_text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [], [SourceProblem(path, 0, None, "file not found")]
    except UnicodeDecodeError as exc:
        return [], [SourceProblem(path, 0, None, f"not valid UTF-8: {exc}")]
    try:
        document = tomllib.loads(raw_text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", 0) or _line_from_message(str(exc))
        return [], [SourceProblem(path, line, None, f"TOML syntax: {exc}")]

    lines = raw_text.splitlines()
    table_lines = [i + 1 for i, text in enumerate(lines) if text.strip() == "[[sources]]"]
    unknown_top = sorted(set(document) - {"sources"})
    problems = [
        SourceProblem(path, _key_line(lines, key, 0, len(lines)), None, f"unknown key {key!r}")
        for key in unknown_top
    ]
    entries = document.get("sources", [])
    if not isinstance(entries, list):
        return [], [SourceProblem(path, 1, None, "`sources` must be [[sources]] tables")]

    sources: list[SourceConfig] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        start = table_lines[index] if index < len(table_lines) else 0
        end = table_lines[index + 1] if index + 1 < len(table_lines) else len(lines) + 1
        if not isinstance(entry, dict):
            problems.append(SourceProblem(path, start, None, "each source must be a table"))
            continue
        name = entry.get("name") if isinstance(entry.get("name"), str) else None
        if name is not None and name in seen:
            problems.append(
                SourceProblem(
                    path,
                    _key_line(lines, "name", start, end),
                    name,
                    f"duplicate name (first defined at line {seen[name]})",
                )
            )
            continue
        if name is not None:
            seen[name] = start
        try:
            source = SourceConfig(**entry)
        except ValidationError as exc:
            for error in exc.errors():
                key = str(error["loc"][0]) if error["loc"] else ""
                line = _key_line(lines, key, start, end) if key else start
                message = error["msg"].removeprefix("Value error, ")
                problems.append(SourceProblem(path, line, name, f"{key}: {message}"))
            continue
        extra = extra_checks(source) if extra_checks is not None else []
        for key, message in extra:
            line = _key_line(lines, key, start, end)
            problems.append(SourceProblem(path, line, name, f"{key}: {message}"))
        if not extra:
            sources.append(source)
    return sources, problems


def _key_line(lines: list[str], key: str, start: int, end: int) -> int:
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for number in range(max(start, 1), min(end, len(lines) + 1)):
        if pattern.match(lines[number - 1]):
            return number
    return start


def _line_from_message(message: str) -> int:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else 0


def load_watch_list(sources_file: Path, *, required: bool = False) -> list[SourceConfig]:
    """The configured sources; an absent file means an empty watch list unless ``required``."""
    if not sources_file.exists() and not required:
        return []
    return load_sources(sources_file)


def find_source(sources: list[SourceConfig], name: str) -> SourceConfig:
    for source in sources:
        if source.name == name:
            return source
    known = ", ".join(s.name for s in sources[:10]) or "none"
    raise LookupError(f"no source named {name!r} in the watch list (known: {known})")
