"""A watchlist file's parsed data plus its lines, to report problems as file:line."""

from __future__ import annotations

import bisect
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_HEADER = re.compile(r"\s*\[\[?\s*[A-Za-z0-9_.\-\"' ]+\]\]?\s*(?:#.*)?$")
_ARRAY_HEADER = re.compile(r"\s*\[\[\s*(entities|rules)\s*\]\]")


@dataclass
class TomlSource:
    """A parsed TOML file that can tell on which line a key, a value or a table is."""

    path: Path
    data: dict[str, Any]
    lines: list[str]
    headers: dict[str, list[int]]  # "entities"/"rules" -> 1-based line of each [[table]]
    all_headers: list[int]  # 1-based line of every table header, in order

    @classmethod
    def read(cls, path: Path, problems: list[str]) -> TomlSource | None:
        try:
            text = path.read_bytes().decode("utf-8")
            data = tomllib.loads(text)
        except UnicodeDecodeError as exc:
            problems.append(f"{path}:1: not UTF-8 ({exc.reason} at byte {exc.start})")
            return None
        except tomllib.TOMLDecodeError as exc:
            where = re.search(r"line (\d+)", str(exc))
            problems.append(f"{path}:{where.group(1) if where else 1}: invalid TOML: {exc}")
            return None
        lines = text.splitlines()
        headers: dict[str, list[int]] = {"entities": [], "rules": []}
        all_headers: list[int] = []
        for number, line in enumerate(lines, 1):
            if _HEADER.match(line):
                all_headers.append(number)
            m = _ARRAY_HEADER.match(line)
            if m:
                headers[m.group(1)].append(number)
        return cls(path, data, lines, headers, all_headers)

    def at(self, line: int) -> str:
        return f"{self.path}:{line}"

    def line_of_key(self, key: str, start: int = 1, end: int | None = None) -> int:
        pattern = re.compile(rf"\s*{re.escape(key)}\s*=")
        for number in range(start, (end or len(self.lines)) + 1):
            if number <= len(self.lines) and pattern.match(self.lines[number - 1]):
                return number
        return start

    def table_range(self, kind: str, index: int) -> tuple[int, int]:
        starts = self.headers[kind]
        if index >= len(starts):  # an inline array of tables: no headers to go by
            return 1, len(self.lines)
        # Any table header (also [section] ones) ends the table.
        following = bisect.bisect_right(self.all_headers, starts[index])
        if following < len(self.all_headers):
            return starts[index], self.all_headers[following] - 1
        return starts[index], len(self.lines)

    def line_of_text(self, kind: str, index: int, needle: str, key: str | None = None) -> int:
        start, end = self.table_range(kind, index)
        for number in range(start, end + 1):
            if needle and needle in self.lines[number - 1]:
                return number
        return self.line_of_key(key, start, end) if key else start
