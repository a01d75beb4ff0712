"""Collect from the database everything an evidence bundle proves, as JSON-ready records.

For a set of items: their records (text, every revision, deletion time), every capture
they were read from, where each capture's exchange sits in the rolling WARC files,
the capture-log segment that proves the captures (from the first needed entry to the
last, extended to the newest timestamped head that covers them), and the tokens.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from sourcewatch.errors import SourcewatchError
from sourcewatch.store import capturelog
from sourcewatch.store.capturelog import format_time
from sourcewatch.store.sql import chunked
from sourcewatch.store.tables import (
    CAPTURE,
    CAPTURE_LOG,
    ITEM,
    ITEM_CAPTURE,
    ITEM_REVISION,
    SOURCE,
    TIMESTAMP_TOKEN,
    WARC_RECORD,
)

HEAD_SUBJECT = "capture-log-head"
MANIFEST_SUBJECT = "cite-manifest"


class EvidenceError(SourcewatchError):
    """The bundle cannot be made: an unknown item, an unreadable manifest, no captures."""


@dataclass
class EvidenceSet:
    items: list[dict[str, Any]] = field(default_factory=list)
    captures: list[dict[str, Any]] = field(default_factory=list)  # with a "warc" locator or None
    log_segment: list[dict[str, Any]] = field(default_factory=list)
    tokens: list[dict[str, Any]] = field(default_factory=list)


def manifest_capture_ids(manifest: bytes, name: str) -> list[int]:
    """The capture ids (``archive_id``) a `cite` manifest cites, earlier captures included."""
    try:
        data = json.loads(manifest)
        notes = data["footnotes"]
        ids: list[int] = []
        for note in notes:
            for url in note.get("urls", []):
                for ref in (url, url.get("cited_instead") or {}):
                    if isinstance(ref.get("archive_id"), int):
                        ids.append(ref["archive_id"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise EvidenceError(f"{name}: not a sourcewatch cite manifest ({exc})") from None
    return sorted(set(ids))


def gather(
    conn: sa.Connection,
    item_ids: Sequence[int],
    *,
    capture_ids: Sequence[int] = (),
    manifest_digest: str | None = None,
) -> EvidenceSet:
    evidence = EvidenceSet()
    linked = _linked_items(conn, capture_ids)
    wanted = sorted(set(item_ids) | linked)
    evidence.items = _items(conn, wanted)
    found = {item["id"] for item in evidence.items}
    missing = [i for i in item_ids if i not in found]
    if missing:
        raise EvidenceError(f"item {missing[0]} does not exist")
    all_captures = set(capture_ids) | {c for item in evidence.items for c in item["captures"]}
    evidence.captures = _captures(conn, sorted(all_captures))
    if len(evidence.captures) < len(all_captures):
        absent = sorted(all_captures - {c["id"] for c in evidence.captures})
        raise EvidenceError(f"capture {absent[0]} does not exist")
    if not evidence.captures:
        raise EvidenceError("the items have no captures: there is nothing to prove")
    evidence.log_segment, head_tokens = _log_segment(conn, [c["id"] for c in evidence.captures])
    evidence.tokens = head_tokens + _manifest_tokens(conn, manifest_digest)
    return evidence


def _linked_items(conn: sa.Connection, capture_ids: Sequence[int]) -> set[int]:
    found: set[int] = set()
    for chunk in chunked(list(capture_ids), 500):
        found.update(
            conn.execute(
                sa.select(ITEM_CAPTURE.c.item_id).where(ITEM_CAPTURE.c.capture_id.in_(chunk))
            ).scalars()
        )
    return found


def _items(conn: sa.Connection, item_ids: list[int]) -> list[dict[str, Any]]:
    items = []
    for chunk in chunked(item_ids, 500):
        rows = conn.execute(
            sa.select(ITEM, SOURCE.c.name.label("source_name"), SOURCE.c.kind.label("kind"))
            .join(SOURCE, SOURCE.c.id == ITEM.c.source_id)
            .where(ITEM.c.id.in_(chunk))
            .order_by(ITEM.c.id)
        ).all()
        for row in rows:
            revisions = conn.execute(
                sa.select(ITEM_REVISION)
                .where(ITEM_REVISION.c.item_id == row.id)
                .order_by(ITEM_REVISION.c.revision)
            ).all()
            captures = conn.execute(
                sa.select(ITEM_CAPTURE.c.capture_id)
                .where(ITEM_CAPTURE.c.item_id == row.id)
                .order_by(ITEM_CAPTURE.c.capture_id)
            ).scalars()
            items.append(
                {
                    "id": row.id,
                    "source": row.source_name,
                    "source_kind": row.kind,
                    "external_id": row.external_id,
                    "url": row.url,
                    "author": row.author,
                    "title": row.title,
                    "text": row.text,
                    "language": row.language,
                    "published_at": _time(row.published_at),
                    "collected_at": _time(row.collected_at),
                    "edited_at": _time(row.edited_at),
                    "deleted_at": _time(row.deleted_at),
                    "forwarded_from": row.forwarded_from,
                    "reply_to": row.reply_to,
                    "media": row.media,
                    "content_hash": row.content_hash,
                    "revisions": [
                        {
                            "revision": rev.revision,
                            "title": rev.title,
                            "text": rev.text,
                            "media": rev.media,
                            "seen_at": _time(rev.seen_at),
                            "edited_at": _time(rev.edited_at),
                            "content_hash": rev.content_hash,
                        }
                        for rev in revisions
                    ],
                    "captures": list(captures),
                }
            )
    return items


def _captures(conn: sa.Connection, capture_ids: list[int]) -> list[dict[str, Any]]:
    captures = []
    for chunk in chunked(capture_ids, 500):
        rows = conn.execute(
            sa.select(
                CAPTURE,
                WARC_RECORD.c.warc_file,
                WARC_RECORD.c.offset,
                WARC_RECORD.c.length,
                WARC_RECORD.c.request_length,
            )
            .outerjoin(WARC_RECORD, WARC_RECORD.c.capture_id == CAPTURE.c.id)
            .where(CAPTURE.c.id.in_(chunk))
            .order_by(CAPTURE.c.id)
        ).all()
        for row in rows:
            warc = None
            if row.warc_file is not None:
                warc = {
                    "file": row.warc_file,
                    "offset": row.offset,
                    "length": row.length + row.request_length,
                }
            captures.append(
                {
                    "id": row.id,
                    "sha256": row.sha256,
                    "size": row.size,
                    "url": row.url,
                    "request_url": row.request_url,
                    "kind": row.kind,
                    "media_type": row.media_type,
                    "status": row.status,
                    "fetched_at": format_time(row.fetched_at),
                    "last_seen_at": _time(row.last_seen_at),
                    "warc": warc,
                }
            )
    return captures


def _log_segment(
    conn: sa.Connection, capture_ids: Iterable[int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    seqs: list[int] = []
    for chunk in chunked(list(capture_ids), 500):
        seqs.extend(
            conn.execute(
                sa.select(CAPTURE_LOG.c.seq).where(CAPTURE_LOG.c.capture_id.in_(chunk))
            ).scalars()
        )
    if not seqs:
        return [], []
    first, last = min(seqs), max(seqs)
    # The oldest head timestamp at or after the last needed entry proves them all existed
    # by its time; the segment runs up to it so the verifier can walk there.
    covering = conn.execute(
        sa.select(TIMESTAMP_TOKEN)
        .where(TIMESTAMP_TOKEN.c.subject == HEAD_SUBJECT)
        .order_by(TIMESTAMP_TOKEN.c.created_at, TIMESTAMP_TOKEN.c.id)
    ).all()
    tokens = [t for t in covering if first <= int(t.ref)]
    after = [t for t in tokens if int(t.ref) >= last]
    if after:
        last = min(int(t.ref) for t in after)
    tokens = [t for t in tokens if int(t.ref) <= last]
    rows = conn.execute(
        sa.select(CAPTURE_LOG)
        .where(CAPTURE_LOG.c.seq.between(first, last))
        .order_by(CAPTURE_LOG.c.seq)
    ).all()
    segment = [
        {
            "seq": row.seq,
            "capture_id": row.capture_id,
            "sha256": row.sha256,
            "url": row.url,
            "fetched_at": row.fetched_at,
            "status": row.status,
            "prev_hash": row.prev_hash,
            "entry_hash": row.entry_hash,
            # revision entries (schema 0010) hash their kind in; capture entries do not
            **({"kind": row.kind} if row.kind not in (None, capturelog.CAPTURE) else {}),
        }
        for row in rows
    ]
    return segment, [token_json(t) for t in tokens]


def _manifest_tokens(conn: sa.Connection, digest: str | None) -> list[dict[str, Any]]:
    if digest is None:
        return []
    rows = conn.execute(
        sa.select(TIMESTAMP_TOKEN).where(
            TIMESTAMP_TOKEN.c.subject == MANIFEST_SUBJECT, TIMESTAMP_TOKEN.c.digest == digest
        )
    ).all()
    return [token_json(row) for row in rows]


def token_json(row: Any) -> dict[str, Any]:
    return {
        "subject": row.subject,
        "ref": row.ref,
        "digest": row.digest,
        "tsa_url": row.tsa_url,
        "gen_time": _time(row.gen_time),
        "token": base64.b64encode(row.token).decode("ascii"),
    }


def _time(value: datetime | None) -> str | None:
    return None if value is None else format_time(value)
