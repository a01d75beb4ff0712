"""Ingest: the only writer. Collector output -> objects -> items/revisions -> cursor.

Order matters for crash safety: every capture's bytes are written to the object
store (atomically, fsynced) *before* the database transaction that refers to
them, and that transaction is all-or-nothing. A crash at any point leaves at
worst an unreferenced object; the next poll re-ingests and converges, because
every step is an upsert keyed by (source, external_id) or (sha256, url).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from sourcewatch import capturelog
from sourcewatch.errors import SourcewatchError
from sourcewatch.evidence import warc
from sourcewatch.matchstore import ItemContent, match_and_queue
from sourcewatch.models import CAPTURE, ITEM, ITEM_CAPTURE, ITEM_REVISION, SOURCE
from sourcewatch.records import ParsedItem, PollResult, RawCapture, utcnow
from sourcewatch.sources import SourceConfig
from sourcewatch.sourcesync import ensure_source
from sourcewatch.sqlutil import chunked, copy_rows, insert_ignore
from sourcewatch.urls import canonical_url
from sourcewatch.workspace import Workspace


class IngestError(SourcewatchError):
    """The collector output is inconsistent; nothing was stored."""


@dataclass
class IngestReport:
    source: str
    new: int = 0
    edited: int = 0
    deleted: int = 0
    unchanged: int = 0
    captures_new: int = 0
    objects_new: int = 0
    matches: int = 0
    queued: int = 0
    changed: list[ItemContent] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "new": self.new,
            "edited": self.edited,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "captures_new": self.captures_new,
            "objects_new": self.objects_new,
            "matches": self.matches,
            "queued": self.queued,
        }


def ingest(
    ws: Workspace, source: SourceConfig, result: PollResult, *, now: datetime | None = None
) -> IngestReport:
    """Store one PollResult. Idempotent: ingesting the same result twice changes nothing.

    New items and edits are matched against the workspace's watchlists in the same
    transaction, and hits are queued for triage.
    """
    now = now or utcnow()
    items = _dedupe_items(result.items)
    _check_capture_refs(source, items, result.captures)
    report = IngestReport(source=source.name)
    matcher = ws.matcher()  # loaded (and validated) before anything is written

    for capture in result.captures:  # blobs first, outside the transaction
        if ws.objects.put(capture.body).created:
            report.objects_new += 1
    # HTTP exchanges as WARC records, durable before the transaction that indexes them.
    exchanges = warc.archive_exchanges(ws, result.captures)

    with ws.engine.begin() as conn:
        source_id = ensure_source(conn, source, now)
        capture_ids, log_entries = _store_captures(conn, source_id, result.captures, report)
        warc.index_exchanges(conn, exchanges)
        _store_items(conn, source_id, items, capture_ids, now, report)
        report.matches, report.queued = match_and_queue(conn, matcher, source, report.changed, now)
        _store_source_state(conn, source_id, result)
        # Last, so the chain's lock (serializing every writer's appends) is held only
        # for the moment between this and the commit.
        capturelog.append(conn, log_entries)
    return report


def _dedupe_items(items: Sequence[ParsedItem]) -> list[ParsedItem]:
    # Overlapping pages can list a post twice; the later reading wins.
    by_id: dict[str, ParsedItem] = {}
    for item in items:
        if not item.external_id or not str(item.external_id).strip():
            raise IngestError("an item has an empty external_id")
        by_id[item.external_id] = item
    return list(by_id.values())


def _check_capture_refs(
    source: SourceConfig, items: Iterable[ParsedItem], captures: Sequence[RawCapture]
) -> None:
    known = {c.sha256 for c in captures}
    for item in items:
        missing = [sha for sha in item.capture_sha256s if sha not in known]
        if missing:
            raise IngestError(
                f"{source.name}: item {item.external_id} cites capture {missing[0][:12]}… "
                "that is not in this result"
            )


def _store_captures(
    conn: sa.Connection, source_id: int, captures: Sequence[RawCapture], report: IngestReport
) -> tuple[dict[str, list[int]], list[capturelog.NewLogEntry]]:
    """Upsert Capture rows. Returns sha256 -> capture ids, and the log entries to append."""
    unique: dict[tuple[str, str], RawCapture] = {}
    for capture in captures:
        unique.setdefault((capture.sha256, capture.url), capture)
    if not unique:
        return {}, []
    rows = [
        {
            "sha256": sha,
            "size": cap.size,
            "media_type": cap.media_type,
            "url": url,
            "request_url": cap.request_url,
            "kind": cap.kind,
            "status": cap.status,
            "headers": dict(cap.headers),
            "source_id": source_id,
            "fetched_at": cap.fetched_at,
            "last_seen_at": cap.fetched_at,
        }
        for (sha, url), cap in unique.items()
    ]
    inserted = conn.execute(
        insert_ignore(conn, CAPTURE).returning(CAPTURE.c.id, CAPTURE.c.sha256, CAPTURE.c.url),
        rows,
    ).all()
    new_keys = {(row.sha256, row.url): row.id for row in inserted}
    report.captures_new += len(new_keys)
    log_entries = [
        capturelog.NewLogEntry(
            capture_id=capture_id,
            sha256=sha,
            url=url,
            fetched_at=unique[(sha, url)].fetched_at,
            status=unique[(sha, url)].status,
        )
        for (sha, url), capture_id in sorted(new_keys.items(), key=lambda kv: kv[1])
    ]
    ids: dict[str, list[int]] = {}
    for sha_chunk in chunked(sorted({sha for sha, _ in unique}), 500):
        existing = conn.execute(
            sa.select(CAPTURE.c.id, CAPTURE.c.sha256, CAPTURE.c.url, CAPTURE.c.last_seen_at).where(
                CAPTURE.c.sha256.in_(sha_chunk)
            )
        ).all()
        for row in existing:
            capture = unique.get((row.sha256, row.url))
            if capture is None:
                continue
            ids.setdefault(row.sha256, []).append(row.id)
            if (row.sha256, row.url) not in new_keys and capture.fetched_at > row.last_seen_at:
                conn.execute(
                    sa.update(CAPTURE)
                    .where(CAPTURE.c.id == row.id)
                    .values(last_seen_at=capture.fetched_at)
                )
    return ids, log_entries


def _store_items(
    conn: sa.Connection,
    source_id: int,
    items: list[ParsedItem],
    capture_ids: dict[str, list[int]],
    now: datetime,
    report: IngestReport,
) -> None:
    for batch in chunked(items, 500):
        existing = {
            row.external_id: row
            for row in conn.execute(
                sa.select(
                    ITEM.c.id,
                    ITEM.c.external_id,
                    ITEM.c.content_hash,
                    ITEM.c.revision,
                    ITEM.c.deleted_at,
                ).where(
                    ITEM.c.source_id == source_id,
                    ITEM.c.external_id.in_([item.external_id for item in batch]),
                )
            )
        }
        new_items: list[ParsedItem] = []
        edits: list[tuple[Any, ParsedItem, str]] = []
        deletions: list[int] = []
        for item in batch:
            row = existing.get(item.external_id)
            if row is None:
                if item.deleted:
                    continue  # a tombstone for something never seen: nothing to keep
                new_items.append(item)
            elif item.deleted:
                if row.deleted_at is None:
                    deletions.append(row.id)
                else:
                    report.unchanged += 1
            else:
                content_hash = item.content_hash()
                if content_hash != row.content_hash:
                    edits.append((row, item, content_hash))
                else:
                    report.unchanged += 1

        item_ids = {row.external_id: row.id for row in existing.values()}
        item_ids.update(_insert_items(conn, source_id, new_items, now, report))
        _apply_edits(conn, edits, now, report)
        if deletions:
            conn.execute(sa.update(ITEM).where(ITEM.c.id.in_(deletions)).values(deleted_at=now))
            report.deleted += len(deletions)
        _link_captures(conn, batch, item_ids, capture_ids)


def _item_values(item: ParsedItem, now: datetime) -> dict[str, Any]:
    return {
        "url": item.url,
        "canonical_url": _canonical(item.url),
        "author": item.author,
        "title": item.title,
        "text": item.text,
        "language": item.lang,
        "published_at": item.published_at,
        "updated_at": now,
        "edited_at": item.edited_at,
        "forwarded_from": item.forwarded_from,
        "reply_to": item.reply_to,
        "media": [m.to_dict() for m in item.media],
        "extra": item.extra,
    }


def _insert_items(
    conn: sa.Connection,
    source_id: int,
    new_items: list[ParsedItem],
    now: datetime,
    report: IngestReport,
) -> dict[str, int]:
    if not new_items:
        return {}
    rows = []
    for item in new_items:
        values = _item_values(item, now)
        values.update(
            source_id=source_id,
            external_id=item.external_id,
            collected_at=now,
            content_hash=item.content_hash(),
            revision=1,
        )
        rows.append(values)
    ids = _insert_returning_ids(conn, source_id, rows)
    _insert_rows(
        conn,
        ITEM_REVISION,
        [
            _revision_row(ids[item.external_id], 1, item, row["content_hash"], now)
            for item, row in zip(new_items, rows, strict=True)
        ],
    )
    report.new += len(new_items)
    report.changed.extend(
        ItemContent(ids[item.external_id], 1, item.title, item.text) for item in new_items
    )
    return ids


def _insert_returning_ids(
    conn: sa.Connection, source_id: int, rows: list[dict[str, Any]]
) -> dict[str, int]:
    """Insert new item rows; external_id -> id (unique within the batch, deduplicated)."""
    if conn.dialect.name != "postgresql":
        inserted = conn.execute(sa.insert(ITEM).returning(ITEM.c.id, ITEM.c.external_id), rows)
        return {row.external_id: row.id for row in inserted}
    copy_rows(conn, ITEM, rows)
    external_ids = [row["external_id"] for row in rows]
    selected = conn.execute(
        sa.select(ITEM.c.id, ITEM.c.external_id).where(
            ITEM.c.source_id == source_id, ITEM.c.external_id.in_(external_ids)
        )
    )
    return {row.external_id: row.id for row in selected}


def _insert_rows(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    if conn.dialect.name == "postgresql":
        copy_rows(conn, table, rows)  # COPY: wide rows, many of them
    else:
        conn.execute(sa.insert(table), rows)


def _apply_edits(
    conn: sa.Connection,
    edits: list[tuple[Any, ParsedItem, str]],
    now: datetime,
    report: IngestReport,
) -> None:
    if not edits:
        return
    updates, revision_rows = [], []
    for row, item, content_hash in edits:
        values = _item_values(item, now)
        values.update(_item_id=row.id, content_hash=content_hash, revision=row.revision + 1)
        if values["edited_at"] is None:
            values["edited_at"] = now  # we saw it change, even if the source did not say when
        updates.append(values)
        revision_rows.append(_revision_row(row.id, row.revision + 1, item, content_hash, now))
        report.changed.append(ItemContent(row.id, row.revision + 1, item.title, item.text))
    # One executemany (a pipeline on psycopg) instead of a round trip per edited item.
    columns = [key for key in updates[0] if key != "_item_id"]
    conn.execute(
        sa.update(ITEM)
        .where(ITEM.c.id == sa.bindparam("_item_id"))
        .values({key: sa.bindparam(key) for key in columns}),
        updates,
    )
    _insert_rows(conn, ITEM_REVISION, revision_rows)
    report.edited += len(edits)


def _revision_row(
    item_id: int, revision: int, item: ParsedItem, content_hash: str, now: datetime
) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "revision": revision,
        "content_hash": content_hash,
        "title": item.title,
        "text": item.text,
        "media": [m.to_dict() for m in item.media],
        "seen_at": now,
        "edited_at": item.edited_at,
    }


def _link_captures(
    conn: sa.Connection,
    batch: list[ParsedItem],
    item_ids: dict[str, int],
    capture_ids: dict[str, list[int]],
) -> None:
    links = {
        (item_ids[item.external_id], capture_id)
        for item in batch
        if item.external_id in item_ids
        for sha in item.capture_sha256s
        for capture_id in capture_ids.get(sha, [])
    }
    if links:
        conn.execute(
            insert_ignore(conn, ITEM_CAPTURE),
            [{"item_id": i, "capture_id": c} for i, c in sorted(links)],
        )


def _store_source_state(conn: sa.Connection, source_id: int, result: PollResult) -> None:
    table = SOURCE
    values: dict[str, Any] = {}
    if result.cursor is not None:
        values["cursor"] = result.cursor
    if result.etag is not None:
        values["etag"] = result.etag
    if result.last_modified is not None:
        values["last_modified"] = result.last_modified
    if values:
        conn.execute(sa.update(table).where(table.c.id == source_id).values(**values))


def _canonical(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return canonical_url(url)
    except ValueError:
        return None  # a malformed link on one item must not fail the whole poll
