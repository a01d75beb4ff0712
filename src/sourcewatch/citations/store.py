"""Citation rows: the log of every snapshot, and how an earlier capture is found again.

Each snapshot writes one ``citation`` row per URL occurrence: by ``cite`` with
the report's path and footnote number, by ``snapshot`` with the report name
``SNAPSHOT_REPORT``. A capture of a canonical URL is found through these rows
(``canonical_url`` is indexed), so "captured within --max-age" is one query on
SQLite and PostgreSQL alike.

The monitor and the citations are one archive: :func:`own_capture` also looks
among the items the daemon collected (by their canonical URL; an X post by its
id, whatever handle or ``/i/web/status/`` spelling the footnote used; a
``t.me/c/<channel id>/<n>`` link by the channel's internal id), so a post
collected and then deleted at the source is cited from our own capture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from sourcewatch.citations import privatelinks
from sourcewatch.citations.privatelinks import item_match, private_post
from sourcewatch.records import RawCapture, utcnow
from sourcewatch.store.tables import (
    CAPTURE,
    CITATION,
    CITATION_PSEUDO_REPORTS,
    ITEM,
    ITEM_CAPTURE,
)
from sourcewatch.text.urls import x_status_id
from sourcewatch.workspace import Workspace

SNAPSHOT_REPORT, RECHECK_REPORT, RETRY_REPORT = CITATION_PSEUDO_REPORTS  # rows of no report


LIVE_ROW_STATUSES = ("live", "captured")  # "captured": rows written before the vocabulary


@dataclass(frozen=True)
class StoredCapture:
    capture_id: int
    sha256: str
    url: str
    fetched_at: datetime
    status: int | None
    item_id: int | None = None  # the collected item this capture was read for
    revision: int | None = None  # that item's revision (its newest one)
    content_sha256: str | None = None  # that item's content hash


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
        .where(CITATION.c.canonical_url == canonical, CITATION.c.status.in_(LIVE_ROW_STATUSES))
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


def own_capture(ws: Workspace, canonical: str) -> StoredCapture | None:
    """The newest capture in our archive that shows ``canonical`` live: a citation's
    snapshot or the page an item was collected from, whichever is newer."""
    found = [
        c
        for c in (latest_capture(ws, canonical), collected_capture(ws, canonical))
        if c is not None
    ]
    return max(found, key=lambda c: (c.fetched_at, c.capture_id)) if found else None


def collected_capture(ws: Workspace, canonical: str) -> StoredCapture | None:
    """The newest 2xx (or status-less, imported) capture of an item whose canonical URL
    is ``canonical``: the post as we archived it, whatever it became since. An X post is
    found by its id; a ``t.me/c/<id>/<n>`` link by its channel's id (:mod:`.privatelinks`)."""
    with ws.engine.connect() as conn:
        return _collected_capture(conn, canonical)


def _collected_capture(conn: sa.Connection, canonical: str) -> StoredCapture | None:
    match: sa.ColumnElement[bool] = ITEM.c.canonical_url == canonical
    post_id = x_status_id(canonical)
    if post_id is not None:
        match = sa.or_(match, ITEM.c.canonical_url.like(f"https://x.com/%/status/{post_id}"))
    private = private_post(canonical)
    if private is not None:
        match = sa.or_(match, item_match(conn, *private))
    answered = sa.or_(CAPTURE.c.status.is_(None), CAPTURE.c.status.between(200, 299))
    query = (
        sa.select(CAPTURE.c.id, CAPTURE.c.sha256, CAPTURE.c.url, CAPTURE.c.fetched_at)
        .add_columns(CAPTURE.c.status, ITEM.c.id.label("item_id"), ITEM.c.revision)
        .add_columns(ITEM.c.content_hash)
        .join(ITEM_CAPTURE, ITEM_CAPTURE.c.capture_id == CAPTURE.c.id)
        .join(ITEM, ITEM.c.id == ITEM_CAPTURE.c.item_id)
        .where(match, answered, CAPTURE.c.kind != "media", CAPTURE.c.kind != "attachment")
        .order_by(CAPTURE.c.fetched_at.desc(), CAPTURE.c.id.desc())
        .limit(1)
    )
    row = conn.execute(query).first()
    if row is None:
        return None
    return StoredCapture(
        row.id,
        row.sha256,
        row.url,
        row.fetched_at,
        row.status,
        item_id=row.item_id,
        revision=row.revision,
        content_sha256=row.content_hash,
    )


def public_post_url(ws: Workspace, canonical: str) -> str | None:
    """``t.me/<name>/<n>`` for a ``t.me/c/<id>/<n>`` link whose channel we know by name."""
    with ws.engine.connect() as conn:
        return privatelinks.public_post_url(conn, canonical)


def latest_status(ws: Workspace, canonical: str) -> str | None:
    """The status of the newest citation row of ``canonical`` (as written, maybe legacy)."""
    with ws.engine.connect() as conn:
        return conn.execute(
            sa.select(CITATION.c.status)
            .where(CITATION.c.canonical_url == canonical)
            .order_by(CITATION.c.id.desc())
            .limit(1)
        ).scalar()


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
