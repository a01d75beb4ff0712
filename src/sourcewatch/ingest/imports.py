"""``sourcewatch import``: ingest a saved capture as if it had just been polled.

The file is parsed completely by its format's parser (:mod:`sourcewatch.collectors.formats`)
before anything is stored, so a bad line anywhere stores nothing; the file itself is
archived as the capture its items came from.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from sourcewatch.collectors.base import SourceState
from sourcewatch.collectors.formats import ImportContext, parse_file
from sourcewatch.ingest.writer import IngestReport, ingest
from sourcewatch.records import PollResult, RawCapture
from sourcewatch.sources.config import SourceConfig
from sourcewatch.sources.sync import ensure_source
from sourcewatch.sources.sync import source_state as state_of_row
from sourcewatch.store.tables import SOURCE
from sourcewatch.workspace import Workspace


def import_file(
    ws: Workspace,
    path: Path,
    source: SourceConfig,
    fmt: str,
    *,
    url: str | None = None,
) -> IngestReport:
    """Parse ``path`` and ingest it into ``source``; the file itself is archived too."""
    ctx = ImportContext(source=source, url=url, filename=path.name, state=source_state(ws, source))
    data, items = parse_file(path, fmt, ctx)
    capture = RawCapture(
        url=url or path.resolve().as_uri(),
        body=data,
        kind="import",
        media_type=_FORMAT_MEDIA_TYPES.get(fmt),
    )
    for item in items:
        if capture.sha256 not in item.capture_sha256s:
            item.capture_sha256s.append(capture.sha256)
    return ingest(ws, source, PollResult(captures=[capture], items=items))


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
