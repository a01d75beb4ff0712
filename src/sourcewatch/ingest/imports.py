"""``sourcewatch import``: ingest a saved capture as if it had just been polled.

The file is parsed completely by its format's parser (:mod:`sourcewatch.collectors.formats`)
before anything is stored, so a bad line anywhere stores nothing; the file itself is
archived as the capture its items came from.

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
from pathlib import Path

import sqlalchemy as sa

from sourcewatch.collectors.formats import ImportContext, parse_file
from sourcewatch.ingest.writer import IngestReport, ingest
from sourcewatch.records import PollResult, RawCapture, SourceState
from sourcewatch.sources.config import SourceConfig
from sourcewatch.sources.sync import ensure_source
from sourcewatch.sources.sync import source_state as state_of_row
from sourcewatch.store.tables import SOURCE
from sourcewatch.workspace import Workspace

# Items per transaction: each chunk's write is short next to the 30 s another writer
# waits for SQLite's lock (sqlite_busy_timeout_ms).
CHUNK_ITEMS = 2000


def import_file(
    ws: Workspace,
    path: Path,
    source: SourceConfig,
    fmt: str,
    *,
    url: str | None = None,
    chunk_items: int = CHUNK_ITEMS,
) -> IngestReport:
    """Parse ``path`` and ingest it into ``source``; the file itself is archived too."""
    ctx = ImportContext(source=source, url=url, filename=path.name, state=source_state(ws, source))
    data, items = parse_file(path, fmt, ctx)
    capture = RawCapture(
        url=url or import_urn(data),
        body=data,
        kind="import",
        media_type=_FORMAT_MEDIA_TYPES.get(fmt),
    )
    for item in items:
        if capture.sha256 not in item.capture_sha256s:
            item.capture_sha256s.append(capture.sha256)
    report = IngestReport(source=source.name)
    for start in range(0, max(len(items), 1), chunk_items):
        chunk = items[start : start + chunk_items]
        skipped = ctx.skipped if start == 0 else []  # reported once, with the first chunk
        report.add(ingest(ws, source, PollResult(captures=[capture], items=chunk, skipped=skipped)))
    return report


def import_urn(data: bytes) -> str:
    """The URL of an imported file's capture: its content, not where it lay."""
    return f"urn:sourcewatch:import:sha256:{hashlib.sha256(data).hexdigest()}"


def source_state(ws: Workspace, source: SourceConfig) -> SourceState:
    """What polling learned of ``source`` (e.g. a Telegram channel's numeric id)."""
    with ws.engine.begin() as conn:
        source_id = ensure_source(conn, source)
        row = conn.execute(sa.select(SOURCE).where(SOURCE.c.id == source_id)).one()
        return state_of_row(row)


_FORMAT_MEDIA_TYPES = {
    "jsonl": "application/x-ndjson",
    "rss": "application/rss+xml",
    "html": "text/html",
    "telegram-html": "text/html",
    "wp-json": "application/json",
    "x-json": "application/json",
    "telethon-json": "application/json",
}
