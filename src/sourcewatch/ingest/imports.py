"""``sourcewatch import``: ingest a saved capture as if it had just been polled.

The file is parsed completely by its format's parser (:mod:`sourcewatch.collectors.formats`)
before anything is stored, so a bad line anywhere stores nothing; the file itself is
archived as the capture its items came from.

Without ``--url`` the capture's URL is ``urn:sourcewatch:import:sha256:<hex>``, never
the file's path: a path names the analyst's machine, account and folders, and the
capture URL is hashed into the capture log and copied into every evidence bundle.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sourcewatch.collectors.formats import ImportContext, parse_file
from sourcewatch.ingest.writer import IngestReport, ingest
from sourcewatch.records import PollResult, RawCapture
from sourcewatch.sources.config import SourceConfig
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
    ctx = ImportContext(source=source, url=url, filename=path.name)
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
    return ingest(ws, source, PollResult(captures=[capture], items=items, skipped=ctx.skipped))


def import_urn(data: bytes) -> str:
    """The URL of an imported file's capture: its content, not where it lay."""
    return f"urn:sourcewatch:import:sha256:{hashlib.sha256(data).hexdigest()}"


_FORMAT_MEDIA_TYPES = {
    "jsonl": "application/x-ndjson",
    "rss": "application/rss+xml",
    "html": "text/html",
    "telegram-html": "text/html",
    "wp-json": "application/json",
    "x-json": "application/json",
    "telethon-json": "application/json",
}
