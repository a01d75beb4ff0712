"""Citation rows: the log of every snapshot, and how an earlier capture is found again.

Each snapshot writes one ``citation`` row per URL occurrence: by ``cite`` with
the report's path and footnote number, by ``snapshot`` with the report name
``SNAPSHOT_REPORT``. A capture of a canonical URL is found through these rows
(``canonical_url`` is indexed), so "captured within --max-age" and "an earlier
capture of a URL that is dead now" are one query on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from sourcewatch.records import RawCapture, utcnow
from sourcewatch.store.tables import CAPTURE, CITATION
from sourcewatch.workspace import Workspace

SNAPSHOT_REPORT = "(snapshot)"
RECHECK_REPORT = "(recheck)"


@dataclass(frozen=True)
class StoredCapture:
    capture_id: int
    sha256: str
    url: str
    fetched_at: datetime
    status: int | None


@dataclass(frozen=True)
class CitationRow:
    report: str
    footnote: int | None
    raw_text: str
    url: str | None
    canonical_url: str | None
    capture_id: int | None
    status: str


def latest_capture(
    ws: Workspace, canonical: str, *, since: datetime | None = None
) -> StoredCapture | None:
    """The newest capture cited as ``captured`` for ``canonical`` (fetched after ``since``)."""
    query = (
        sa.select(CAPTURE.c.id, CAPTURE.c.sha256, CAPTURE.c.url, CAPTURE.c.fetched_at)
        .add_columns(CAPTURE.c.status)
        .join(CITATION, CITATION.c.capture_id == CAPTURE.c.id)
        .where(CITATION.c.canonical_url == canonical, CITATION.c.status == "captured")
        .order_by(CAPTURE.c.fetched_at.desc(), CAPTURE.c.id.desc())
        .limit(1)
    )
    if since is not None:
        query = query.where(CAPTURE.c.fetched_at >= since)
    with ws.engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    return StoredCapture(row.id, row.sha256, row.url, row.fetched_at, row.status)


def capture_ids(ws: Workspace, captures: Sequence[RawCapture]) -> dict[tuple[str, str], int]:
    """(sha256, url) -> Capture id, for captures just ingested (the first row of each)."""
    wanted = {(c.sha256, c.url) for c in captures}
    if not wanted:
        return {}
    ids: dict[tuple[str, str], int] = {}
    with ws.engine.connect() as conn:
        rows = conn.execute(
            sa.select(CAPTURE.c.id, CAPTURE.c.sha256, CAPTURE.c.url)
            .where(CAPTURE.c.sha256.in_(sorted({sha for sha, _ in wanted})))
            .order_by(CAPTURE.c.id)
        )
        for row in rows:
            if (row.sha256, row.url) in wanted:
                ids.setdefault((row.sha256, row.url), row.id)
    return ids


def record_citations(ws: Workspace, rows: list[CitationRow]) -> None:
    if not rows:
        return
    now = utcnow()
    with ws.engine.begin() as conn:
        conn.execute(
            sa.insert(CITATION),
            [{**row.__dict__, "created_at": now} for row in rows],
        )


def cited_urls(ws: Workspace) -> list[str]:
    """Every canonical URL some report cites (with a capture), for the weekly re-check."""
    with ws.engine.connect() as conn:
        rows = conn.execute(
            sa.select(CITATION.c.canonical_url)
            .where(CITATION.c.canonical_url.is_not(None), CITATION.c.capture_id.is_not(None))
            .distinct()
            .order_by(CITATION.c.canonical_url)
        )
        return [row[0] for row in rows]
