"""``sourcewatch import``: ingest a saved capture as if it had just been polled.

The file is parsed completely by its format's parser (:mod:`sourcewatch.collectors.formats`)
before anything is stored, so a bad line anywhere stores nothing; the file itself is
archived as the capture its items came from. JSON lines are streamed, never held whole:
import memory follows the longest line (at most
:data:`~sourcewatch.collectors.formats.MAX_IMPORT_LINE_BYTES`), not the file; so is a
WordPress answer that is a JSON array of posts (the largest post).

Without ``--url`` the capture's URL is ``urn:sourcewatch:import:sha256:<hex>``, never
the file's path: a path names the analyst's machine, account and folders, and the
capture URL is hashed into the capture log and copied into every evidence bundle.

The items are then stored in chunks of :data:`CHUNK_ITEMS`, one transaction each: a
100,000-line import no longer holds the database's write lock for half a minute, so an
analyst's ``mark`` (or the daemon) gets its turn between two chunks. Each chunk is an
ordinary idempotent ingest (its capture is the same file, stored once): an import
interrupted half-way stores the rest when it is run again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import sqlalchemy as sa

from sourcewatch.collectors.formats import (
    MAX_IMPORT_LINE_BYTES,
    ImportContext,
    is_streamed,
    iter_import_items,
    parse_file,
)
from sourcewatch.ingest.writer import IngestReport, ingest
from sourcewatch.records import ParsedItem, PollResult, RawCapture, SourceState, StoredBytes
from sourcewatch.sources.config import SourceConfig
from sourcewatch.sources.sync import ensure_source
from sourcewatch.sources.sync import source_state as state_of_row
from sourcewatch.store.tables import SOURCE
from sourcewatch.workspace import Workspace

# Items per transaction: each chunk's write is short next to the 30 s another writer
# waits for SQLite's lock (sqlite_busy_timeout_ms).
CHUNK_ITEMS = 2000
# ... and at most this many characters of text (an item alone if it is longer): import
# memory follows the longest line, not the chunk. Storing an item holds ~11 times its
# text at peak (the item, its language detection, the matcher's normalized copies, the
# search index's words, the database's parameters): 2 MiB chunks held 4 half-megabyte
# posts at once, 28 times the line; past 512 KiB an item is stored alone.
CHUNK_CHARS = 512 * 1024


def import_file(
    ws: Workspace,
    path: Path,
    source: SourceConfig,
    fmt: str,
    *,
    url: str | None = None,
    chunk_items: int = CHUNK_ITEMS,
    max_line: int = MAX_IMPORT_LINE_BYTES,
) -> IngestReport:
    """Parse ``path`` and ingest it into ``source``; the file itself is archived too.

    JSON lines and JSON arrays of posts are streamed (memory follows the longest line or
    post, not the file): one pass checks every item and stores nothing, the file is
    copied into the object store a megabyte at a time, and a second pass over that copy
    stores the items chunk by chunk.
    """
    ctx = ImportContext(source=source, url=url, filename=path.name, state=source_state(ws, source))
    if not is_streamed(path, fmt):
        data, items = parse_file(path, fmt, ctx)
        capture = RawCapture(
            url=url or import_urn(data), body=data, kind="import", media_type=_media_type(fmt)
        )
        del data
        return _store_chunks(ws, source, capture, iter(items), ctx.skipped, chunk_items)
    for _ in iter_import_items(path, fmt, ctx, max_line=max_line):
        pass  # every line checked before anything is stored
    stored = ws.objects.put_file(path)
    capture = RawCapture(
        url=url or f"{_URN}{stored.sha256}",
        body=b"",
        kind="import",
        media_type=_media_type(fmt),
        stored=StoredBytes(stored.sha256, stored.size),
    )
    copy = ws.objects.path_for(stored.sha256)
    items_iter = iter_import_items(copy, fmt, replace(ctx, skipped=[]), max_line=max_line)
    report = _store_chunks(ws, source, capture, items_iter, ctx.skipped, chunk_items)
    report.objects_new += int(stored.created)
    return report


def _store_chunks(
    ws: Workspace,
    source: SourceConfig,
    capture: RawCapture,
    items: Iterator[ParsedItem],
    skipped: list[str],
    chunk_items: int,
) -> IngestReport:
    """Ingest ``items`` ``chunk_items`` at a time, each citing ``capture``; the report."""
    report = IngestReport(source=source.name)
    first = True
    for chunk in _chunks(items, chunk_items, CHUNK_CHARS):
        for item in chunk:
            if capture.sha256 not in item.capture_sha256s:
                item.capture_sha256s.append(capture.sha256)
        # the skipped entries are reported once, with the first chunk
        result = PollResult(captures=[capture], items=chunk, skipped=skipped if first else [])
        part = ingest(ws, source, result)
        part.changed.clear()  # the texts it matched: kept, they made memory follow the file
        report.add(part)
        del chunk, result, part
        first = False
    if first:  # no item at all: the file is still archived, and its skipped reported
        report.add(ingest(ws, source, PollResult(captures=[capture], skipped=skipped)))
    return report


def _chunks(items: Iterator[ParsedItem], most: int, chars: int) -> Iterator[list[ParsedItem]]:
    """``items`` in lists of at most ``most`` items and, past the first, ``chars``
    characters of text: a chunk of 2,000 one-megabyte posts held 2 GB at once."""
    chunk: list[ParsedItem] = []
    size = 0
    for item in items:
        length = len(item.text) + len(item.title or "")
        if chunk and (len(chunk) >= most or size + length > chars):
            yield chunk
            chunk, size = [], 0
        chunk.append(item)
        size += length
    if chunk:
        yield chunk


_URN = "urn:sourcewatch:import:sha256:"


def import_urn(data: bytes) -> str:
    """The URL of an imported file's capture: its content, not where it lay."""
    return f"{_URN}{hashlib.sha256(data).hexdigest()}"


def source_state(ws: Workspace, source: SourceConfig) -> SourceState:
    """What polling learned of ``source`` (e.g. a Telegram channel's numeric id)."""
    with ws.engine.begin() as conn:
        source_id = ensure_source(conn, source)
        row = conn.execute(sa.select(SOURCE).where(SOURCE.c.id == source_id)).one()
        return state_of_row(row)


def _media_type(fmt: str) -> str | None:
    return _FORMAT_MEDIA_TYPES.get(fmt)


_FORMAT_MEDIA_TYPES = {
    "jsonl": "application/x-ndjson",
    "rss": "application/rss+xml",
    "html": "text/html",
    "telegram-html": "text/html",
    "wp-json": "application/json",
    "x-json": "application/json",
    "telethon-json": "application/json",
}
