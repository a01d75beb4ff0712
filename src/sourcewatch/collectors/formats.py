"""Import formats: the parsers of saved captures (``sourcewatch import --format``).

Parsers are looked up by format name in :data:`sourcewatch.collectors.registry.FORMATS`;
each takes the file's bytes and an :class:`ImportContext` and returns ParsedItems or
raises :class:`ImportFileError`. They are the collectors' own parsers: a saved page
reads exactly as a polled one. Storing the result is :mod:`sourcewatch.ingest.imports`.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from sourcewatch.collectors.registry import get_format, get_streamed_format
from sourcewatch.collectors.sniff import sniff
from sourcewatch.errors import SourcewatchError
from sourcewatch.records import ParsedItem

if TYPE_CHECKING:
    from sourcewatch.records import SourceState
    from sourcewatch.sources.config import SourceConfig

MAX_IMPORT_BYTES = 512 * 1024 * 1024
# The largest file of a format that is parsed whole (one HTML page, one feed, a Telethon
# dump, X answers; a WordPress answer that is one post). Parsing holds several times the
# file (the document, its tree or objects, the items): at 512 MB that was gigabytes.
# Over this, the import is refused up front with the file, format and limit. JSON lines,
# and WordPress answers that are a JSON array of posts, are streamed: no limit but
# MAX_IMPORT_BYTES.
MAX_WHOLE_IMPORT_BYTES = 64 * 1024 * 1024
# The longest JSON line an import reads (a post's text is rarely 100 KB): import memory
# stays a small multiple of this, whatever the file's size.
MAX_IMPORT_LINE_BYTES = 4 * 1024 * 1024
# How much of a streamed file is examined to tell its format.
_SNIFF_BYTES = 1024 * 1024
# How much of a file is looked at to tell a JSON array (past this many blanks: parsed whole).
_HEAD_BYTES = 4096


class ImportFileError(SourcewatchError):
    """An import file cannot be parsed. The message names the file, line and problem."""


@dataclass(frozen=True)
class ImportContext:
    source: SourceConfig | None
    url: str | None
    filename: str
    # A parser appends here what the file holds that did not become an item, with the
    # reason ("entry #3: ..."); the import reports it instead of dropping it in silence.
    skipped: list[str] = field(default_factory=list)
    # What the database remembers of the source (its cursor), when the import has a
    # workspace: lets a parser check the file against what polling already learned.
    state: SourceState | None = None


ImportParser = Callable[[bytes, ImportContext], list[ParsedItem]]


def iter_import_items(
    path: Path, fmt: str, ctx: ImportContext, *, max_line: int = MAX_IMPORT_LINE_BYTES
) -> Iterator[ParsedItem]:
    """The items of one import file, raising ImportFileError naming what is wrong.

    JSON lines are read one line at a time, so memory follows the longest line, not the
    file (a line over ``max_line`` bytes is refused by number, before it is read whole);
    a JSON array of a format with a streamed parser (``STREAMED_FORMATS``), one element
    at a time. The other files are one document each and are parsed whole, up to
    :data:`MAX_WHOLE_IMPORT_BYTES`.
    """
    if not is_streamed(path, fmt):
        yield from parse_file(path, fmt, ctx)[1]
        return
    _check_size(path)
    get_format(fmt)
    streamed = get_streamed_format(fmt)
    try:
        with open(path, "rb") as stream:
            check_format(stream.read(_SNIFF_BYTES), fmt, path.name)
            stream.seek(0)
            if streamed is None:
                yield from iter_jsonl(stream, ctx, max_line=max_line)
            else:
                yield from streamed(stream, ctx)
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read: {exc.strerror}") from exc


def is_streamed(path: Path, fmt: str) -> bool:
    """Whether ``path`` is read one item at a time: JSON lines always; a format with a
    streamed parser when the file is a JSON array in UTF-8 (its first non-blank byte
    ``[``, no BOM, not UTF-16); anything else is parsed whole."""
    if fmt == "jsonl":
        return True
    if get_streamed_format(fmt) is None:
        return False
    try:
        with open(path, "rb") as stream:
            head = stream.read(_HEAD_BYTES)
    except OSError:
        return False  # parse_file says why
    return head.lstrip(b" \t\r\n")[:1] == b"[" and b"\x00" not in head[:4]


def _check_size(path: Path) -> int:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read: {exc.strerror}") from exc
    if size > MAX_IMPORT_BYTES:
        raise ImportFileError(f"{path}: {size} bytes is over the {MAX_IMPORT_BYTES} byte limit")
    return size


def parse_file(
    path: Path, fmt: str, ctx: ImportContext, *, max_bytes: int = MAX_WHOLE_IMPORT_BYTES
) -> tuple[bytes, list[ParsedItem]]:
    """Read and parse one import file whole; raise ImportFileError naming what is wrong
    (a file over ``max_bytes`` is refused before it is read)."""
    size = _check_size(path)
    if size > max_bytes:
        raise ImportFileError(
            f"{path}: {size:,} bytes is over the {max_bytes:,}-byte limit for a {fmt} file, "
            "which is read and parsed whole in memory; split it, or convert it to JSON "
            "lines (--format jsonl), which are read one line at a time (so is a "
            "wp-json file that is a JSON array of posts)"
        )
    data = path.read_bytes()
    parser: ImportParser = get_format(fmt)
    check_format(data, fmt, path.name)
    items = parser(data, ctx)
    return data, items


def check_format(data: bytes, fmt: str, name: str) -> None:
    """Refuse a file that looks like another import format than ``fmt`` (each parser
    is lenient in its own way: a wrong format was stored as something else, or as
    nothing). A file that looks like no known format is left to the parser to judge."""
    looks = sniff(data)
    if looks.format is not None and looks.format != fmt:
        raise ImportFileError(
            f"{name}: not a {fmt} file: it looks like {looks.description}; "
            f"import it with --format {looks.format}"
        )


_JSONL_FIELDS = ("external_id", "url", "author", "published_at", "text", "title")


def parse_jsonl(data: bytes, ctx: ImportContext) -> list[ParsedItem]:
    """One item per line: ``external_id`` (required), url, author, published_at
    (ISO 8601), text, title, and optionally lang. Blank lines are skipped."""
    return list(iter_jsonl(io.BytesIO(data), ctx, max_line=max(len(data), 1)))


def iter_jsonl(
    stream: BinaryIO, ctx: ImportContext, *, max_line: int = MAX_IMPORT_LINE_BYTES
) -> Iterator[ParsedItem]:
    """:func:`parse_jsonl` one line at a time: at most one line is held (as bytes, then
    as text, never both at once) besides the item made of it."""
    seen: dict[str, int] = {}
    number = 0
    while raw_line := stream.readline(max_line + 1):
        number += 1
        where = f"{ctx.filename}: line {number}"
        if len(raw_line) > max_line and not raw_line.endswith(b"\n"):
            raise ImportFileError(
                f"{where}: longer than the {max_line} byte limit for one line "
                "(split the item, or import it in another format)"
            )
        if not raw_line.strip():
            continue
        try:
            line = raw_line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ImportFileError(f"{where}: not valid UTF-8 (byte {exc.start})") from exc
        del raw_line  # the bytes go before the JSON is parsed: two copies at most, not three
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ImportFileError(f"{where}: bad JSON: {exc.msg} (column {exc.colno})") from exc
        except RecursionError:  # hostile nesting: [[[[... a hundred thousand deep
            raise ImportFileError(f"{where}: JSON nested too deeply") from None
        del line
        if not isinstance(record, dict):
            raise ImportFileError(f"{where}: expected a JSON object, got {type(record).__name__}")
        item = _jsonl_item(record, where)
        del record
        if item.external_id in seen:
            raise ImportFileError(
                f"{where}: external_id {item.external_id[:200]!r} already on line "
                f"{seen[item.external_id]}"
            )
        seen[item.external_id] = number
        yield item


def _jsonl_item(record: dict[str, Any], where: str) -> ParsedItem:
    external_id = record.get("external_id")
    if external_id is None or (isinstance(external_id, str) and not external_id.strip()):
        raise ImportFileError(f"{where}: missing external_id")
    if not isinstance(external_id, str | int) or isinstance(external_id, bool):
        raise ImportFileError(f"{where}: external_id must be a string or integer")
    for key in ("url", "author", "text", "title", "lang"):
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            raise ImportFileError(f"{where}: {key} must be a string")
    unknown = set(record) - {*_JSONL_FIELDS, "lang"}
    if unknown:
        raise ImportFileError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    return ParsedItem(
        external_id=str(external_id).strip(),
        url=record.get("url"),
        author=record.get("author"),
        published_at=_parse_time(record.get("published_at"), where),
        text=record.get("text") or "",
        title=record.get("title"),
        lang=record.get("lang"),
    )


def _parse_time(value: Any, where: str) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ImportFileError(f"{where}: published_at must be an ISO 8601 string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ImportFileError(f"{where}: published_at {value!r} is not ISO 8601") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:  # an offset can push a date at the calendar's edge beyond it (9999-12-31-23:59)
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ImportFileError(f"{where}: published_at {value!r} is out of range in UTC") from None
