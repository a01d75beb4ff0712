"""Looking up archived captures: by id, by the URL they were fetched from, by hash.

The web view serves archived pages and media from these rows and the object store,
never from the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from sourcewatch.store.tables import CAPTURE


@dataclass(frozen=True)
class CaptureRow:
    id: int
    sha256: str
    url: str
    media_type: str | None
    kind: str
    status: int | None
    size: int
    fetched_at: datetime


def _row(row: sa.Row[tuple[object, ...]]) -> CaptureRow:
    return CaptureRow(
        id=row.id,
        sha256=row.sha256,
        url=row.url,
        media_type=row.media_type,
        kind=row.kind,
        status=row.status,
        size=row.size,
        fetched_at=row.fetched_at,
    )


def capture_by_id(conn: sa.Connection, capture_id: int) -> CaptureRow | None:
    row = conn.execute(sa.select(CAPTURE).where(CAPTURE.c.id == capture_id)).first()
    return _row(row) if row else None


def latest_for_url(conn: sa.Connection, urls: list[str]) -> CaptureRow | None:
    """The newest successful capture fetched from one of ``urls`` (as fetched, then as
    canonical), or None: the caller shows it missing, it never fetches it."""
    for url in urls:
        row = conn.execute(
            sa.select(CAPTURE)
            .where(CAPTURE.c.url == url, sa.or_(CAPTURE.c.status.is_(None), CAPTURE.c.status < 400))
            .order_by(CAPTURE.c.fetched_at.desc(), CAPTURE.c.id.desc())
            .limit(1)
        ).first()
        if row is not None:
            return _row(row)
    return None


def capture_by_sha256(conn: sa.Connection, sha256: str) -> CaptureRow | None:
    """One capture of these bytes (the first), for their declared media type."""
    row = conn.execute(
        sa.select(CAPTURE).where(CAPTURE.c.sha256 == sha256).order_by(CAPTURE.c.id).limit(1)
    ).first()
    return _row(row) if row else None


def captures_for(
    conn: sa.Connection, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], CaptureRow]:
    """(sha256, url) -> its capture row (a capture is one body from one URL), in one
    query: an item page lists every capture of the item."""
    if not keys:
        return {}
    wanted = set(keys)
    rows = conn.execute(
        sa.select(CAPTURE).where(CAPTURE.c.sha256.in_(sorted({sha for sha, _ in keys})))
    )
    return {(r.sha256, r.url): _row(r) for r in rows if (r.sha256, r.url) in wanted}
