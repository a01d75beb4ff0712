"""Texts to match from files: one whole file, or JSON Lines of {"id": ..., "text": ...}.

``-`` reads standard input. Every problem names the file and, for JSON Lines,
the line; a bad line does not stop the lines after it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sourcewatch.errors import InvalidInput

MAX_TEXT_BYTES = 20 * 1024 * 1024  # one text to match; larger is certainly not a post


class MatchInputError(InvalidInput):
    """An input file that cannot be read as text to match."""


@dataclass(frozen=True, slots=True)
class JsonlText:
    line: int
    id: Any
    text: str


@dataclass(frozen=True, slots=True)
class JsonlProblem:
    line: int
    message: str  # "file:line: what is wrong"


def _read_bytes(path: Path) -> bytes:
    try:
        if str(path) == "-":
            return sys.stdin.buffer.read(MAX_TEXT_BYTES + 1)
        with path.open("rb") as handle:
            return handle.read(MAX_TEXT_BYTES + 1)
    except OSError as exc:
        raise MatchInputError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def read_text_file(path: Path) -> str:
    """The whole file as one text (UTF-8, BOM allowed)."""
    data = _read_bytes(path)
    if len(data) > MAX_TEXT_BYTES:
        raise MatchInputError(f"{path}: larger than {MAX_TEXT_BYTES // 2**20} MiB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MatchInputError(f"{path}: not UTF-8 (bad byte at offset {exc.start})") from exc


def iter_jsonl(path: Path) -> Iterator[JsonlText | JsonlProblem]:
    """Each line's id and text, or a problem naming the line."""
    try:
        handle = sys.stdin.buffer if str(path) == "-" else path.open("rb")
    except OSError as exc:
        raise MatchInputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        for number, raw in enumerate(handle, 1):
            if raw.strip():  # blank lines carry nothing to match
                yield _parse_line(path, number, raw)
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()


def _parse_line(path: Path, number: int, raw: bytes) -> JsonlText | JsonlProblem:
    where = f"{path}:{number}"
    if len(raw) > MAX_TEXT_BYTES:
        return JsonlProblem(number, f"{where}: line larger than {MAX_TEXT_BYTES // 2**20} MiB")
    try:
        line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        return JsonlProblem(number, f"{where}: not UTF-8 (bad byte at column {exc.start + 1})")
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return JsonlProblem(number, f"{where}: not JSON ({exc.msg} at column {exc.colno})")
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        return JsonlProblem(number, f'{where}: expected an object with a string "text"')
    record_id = record.get("id")
    if record_id is not None and not isinstance(record_id, str | int | float):
        return JsonlProblem(number, f'{where}: "id" must be a string or a number')
    return JsonlText(number, record_id, record["text"])
