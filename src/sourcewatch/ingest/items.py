"""Items of one ingest transaction: new ones inserted, edits and deletions applied,
every item linked to the captures it was read from.

Works on several sources at once (the daemon stores the results of many polls in one
transaction), keyed by (source id, external id). Each item is counted on the
:class:`ItemCounts` of the poll it came from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from sourcewatch.ingest.matches import ItemContent
from sourcewatch.records import MediaRef, ParsedItem
from sourcewatch.store.sql import chunked, insert_rows, update_by_id
from sourcewatch.store.tables import ITEM, ITEM_CAPTURE, ITEM_REVISION
from sourcewatch.text.language import item_language
from sourcewatch.text.urls import canonical_url
from sourcewatch.triage.sourcechange import flag_deleted

# Items looked up per SELECT; the IN lists stay far below SQLite's variable limit.
_LOOKUP_CHUNK = 500


@dataclass
class ItemCounts:
    """What happened to one poll's items, and the contents to match."""

    new: int = 0
    edited: int = 0
    deleted: int = 0
    unchanged: int = 0
    changed: list[ItemContent] = field(default_factory=list)


@dataclass(frozen=True)
class SourceItems:
    """One poll's items, the ids of its captures (by sha256), and where its counts go."""

    source_id: int
    items: Sequence[ParsedItem]
    capture_ids: dict[str, list[int]]
    counts: ItemCounts


@dataclass(frozen=True)
class ItemEdit:
    """A stored item whose new content differs from what the database holds."""

    item_id: int
    revision: int  # the revision stored now; the edit becomes revision + 1
    poll: SourceItems
    item: ParsedItem
    content_hash: str


def store_items(conn: sa.Connection, polls: Sequence[SourceItems], now: datetime) -> None:
    """Insert, edit, delete and link the items of ``polls`` (one poll per source)."""
    pending = [(poll, item) for poll in polls for item in poll.items]
    for chunk in chunked(pending, _LOOKUP_CHUNK):
        existing = _existing_rows(conn, chunk)
        new_items: list[tuple[SourceItems, ParsedItem]] = []
        edits: list[ItemEdit] = []
        deletions: list[tuple[int, SourceItems]] = []
        for poll, item in chunk:
            row = existing.get((poll.source_id, item.external_id))
            if row is None:
                if not item.deleted:  # a tombstone for something never seen: nothing to keep
                    if item.lang_method is None:
                        item.lang, item.lang_method = item_language(
                            item.lang, None, item.title, item.text
                        )
                    new_items.append((poll, item))
            elif item.deleted:
                if row.deleted_at is None:
                    deletions.append((row.id, poll))
                else:
                    poll.counts.unchanged += 1
            else:
                if item.text_only:
                    if (item.title, item.text) == (row.title, row.text):
                        poll.counts.unchanged += 1
                        continue
                    item = _with_stored_media(item, row.media)
                content_hash = item.content_hash()
                if content_hash != row.content_hash:
                    edits.append(ItemEdit(row.id, row.revision, poll, item, content_hash))
                else:
                    poll.counts.unchanged += 1

        item_ids = {key: row.id for key, row in existing.items()}
        item_ids.update(_insert_items(conn, new_items, now))
        _apply_edits(conn, edits, now)
        if deletions:
            conn.execute(
                sa.update(ITEM)
                .where(ITEM.c.id.in_([item_id for item_id, _ in deletions]))
                .values(deleted_at=now)
            )
            for _, poll in deletions:
                poll.counts.deleted += 1
            deleted_ids = [item_id for item_id, _ in deletions]
            flag_deleted(conn, deleted_ids, now)
            # Imported here: it brings the alert settings (pydantic), which the parse
            # worker processes that import this module never need.
            from sourcewatch.alerts.deleted import record_deletions

            record_deletions(conn, deleted_ids, now)  # alert: a relevant or cited post is gone
        _link_captures(conn, chunk, item_ids)


def _existing_rows(
    conn: sa.Connection, chunk: Sequence[tuple[SourceItems, ParsedItem]]
) -> dict[tuple[int, str], Any]:
    keys = [(poll.source_id, item.external_id) for poll, item in chunk]
    rows = conn.execute(_select_items(chunk, keys))
    found = {(row.source_id, row.external_id): row for row in rows}
    return _with_rows_under_original_keys(conn, chunk, found)


def _select_items(
    chunk: Sequence[tuple[SourceItems, ParsedItem]], keys: list[tuple[int, str]]
) -> sa.Select[Any]:
    """The stored rows under ``keys`` (source id, external id), with what deciding
    new / unchanged / edited needs."""
    return sa.select(
        ITEM.c.id,
        ITEM.c.source_id,
        ITEM.c.external_id,
        ITEM.c.content_hash,
        ITEM.c.revision,
        ITEM.c.deleted_at,
        *_text_only_columns(chunk),
    ).where(_item_keys(keys))


def _with_rows_under_original_keys(
    conn: sa.Connection,
    chunk: Sequence[tuple[SourceItems, ParsedItem]],
    found: dict[tuple[int, str], Any],
) -> dict[tuple[int, str], Any]:
    """``found`` plus the rows stored before their id was made storable.

    SQLite stored a GUID over 500 characters (or with a NUL byte) as it was, before
    :mod:`sourcewatch.ingest.storable` mapped such ids to a stable key; looked up only
    by that key, the old row was missed and the item stored a second time. The old row
    is found by the original id and answers for the new key. The row is not rekeyed:
    its id stays what the capture log and earlier exports recorded.
    """
    originals: dict[tuple[int, str], tuple[int, str]] = {}
    for poll, item in chunk:
        original = item.extra.get("external_id_original")
        key = (poll.source_id, item.external_id)
        if isinstance(original, str) and original != item.external_id and key not in found:
            originals[(poll.source_id, original)] = key
    if not originals:
        return found
    rows = conn.execute(_select_items(chunk, list(originals)))
    for row in rows:
        found[originals[(row.source_id, row.external_id)]] = row
    return found


def _text_only_columns(chunk: Sequence[tuple[SourceItems, ParsedItem]]) -> list[Any]:
    """Title, text and media, read only when an item seen in passing needs comparing."""
    if any(item.text_only for _, item in chunk):
        return [ITEM.c.title, ITEM.c.text, ITEM.c.media]
    return [sa.null().label("title"), sa.null().label("text"), sa.null().label("media")]


def _with_stored_media(item: ParsedItem, media: list[dict[str, Any]] | None) -> ParsedItem:
    """The item with the media already stored for it (its own were not downloaded), and
    its language decided if the writer left that until it proved to be an edit."""
    stored = [MediaRef(**{k: v for k, v in m.items() if k in _MEDIA_FIELDS}) for m in media or []]
    edited = dataclasses.replace(item, media=stored, text_only=False)
    if edited.lang_method is None:
        edited.lang, edited.lang_method = item_language(edited.lang, None, item.title, item.text)
    return edited


_MEDIA_FIELDS = frozenset(f.name for f in dataclasses.fields(MediaRef))


def _item_keys(keys: Sequence[tuple[int, str]]) -> sa.ColumnElement[bool]:
    """Items with these (source_id, external_id) keys.

    One ``source_id = ? AND external_id IN (...)`` term per source: SQLite and PostgreSQL
    both probe the (source_id, external_id) unique index for each, where a row-value IN
    would make SQLite scan the whole index.
    """
    by_source: dict[int, list[str]] = {}
    for source_id, external_id in keys:
        by_source.setdefault(source_id, []).append(external_id)
    return sa.or_(
        *(
            sa.and_(ITEM.c.source_id == source_id, ITEM.c.external_id.in_(external_ids))
            for source_id, external_ids in by_source.items()
        )
    )


def _item_values(item: ParsedItem, now: datetime) -> dict[str, Any]:
    return {
        "url": item.url,
        "canonical_url": _canonical(item.url),
        "author": item.author,
        "title": item.title,
        "text": item.text,
        "language": item.lang,
        "language_method": item.lang_method,
        "published_at": item.published_at,
        "updated_at": now,
        "edited_at": item.edited_at,
        "forwarded_from": item.forwarded_from,
        "reply_to": item.reply_to,
        "media": [m.to_dict() for m in item.media],
        "extra": item.extra,
    }


def _insert_items(
    conn: sa.Connection, new_items: list[tuple[SourceItems, ParsedItem]], now: datetime
) -> dict[tuple[int, str], int]:
    if not new_items:
        return {}
    rows = []
    for poll, item in new_items:
        values = _item_values(item, now)
        values.update(
            source_id=poll.source_id,
            external_id=item.external_id,
            collected_at=now,
            content_hash=item.content_hash(),
            revision=1,
        )
        rows.append(values)
    ids = _insert_returning_ids(conn, rows)
    revisions = []
    for (poll, item), row in zip(new_items, rows, strict=True):
        item_id = ids[(poll.source_id, item.external_id)]
        revisions.append(_revision_row(item_id, 1, item, row["content_hash"], now))
        poll.counts.new += 1
        poll.counts.changed.append(ItemContent(item_id, 1, item.title, item.text))
    insert_rows(conn, ITEM_REVISION, revisions)
    return ids


def _insert_returning_ids(
    conn: sa.Connection, rows: list[dict[str, Any]]
) -> dict[tuple[int, str], int]:
    """Insert new item rows; (source_id, external_id) -> id.

    One executemany (COPY on PostgreSQL), then the ids read back by key: neither COPY
    nor the DBAPI's executemany returns rows, and per-row RETURNING costs more than the
    one indexed SELECT."""
    insert_rows(conn, ITEM, rows)
    keys = [(row["source_id"], row["external_id"]) for row in rows]
    selected = conn.execute(
        sa.select(ITEM.c.id, ITEM.c.source_id, ITEM.c.external_id).where(_item_keys(keys))
    )
    return {(row.source_id, row.external_id): row.id for row in selected}


def _apply_edits(conn: sa.Connection, edits: list[ItemEdit], now: datetime) -> None:
    if not edits:
        return
    updates, revision_rows = [], []
    for edit in edits:
        item, revision = edit.item, edit.revision + 1
        values = _item_values(item, now)
        values.update(_id=edit.item_id, content_hash=edit.content_hash, revision=revision)
        if values["edited_at"] is None:
            values["edited_at"] = now  # we saw it change, even if the source did not say when
        updates.append(values)
        revision_rows.append(_revision_row(edit.item_id, revision, item, edit.content_hash, now))
        edit.poll.counts.edited += 1
        edit.poll.counts.changed.append(ItemContent(edit.item_id, revision, item.title, item.text))
    update_by_id(conn, ITEM, updates)
    insert_rows(conn, ITEM_REVISION, revision_rows)


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
    chunk: Sequence[tuple[SourceItems, ParsedItem]],
    item_ids: dict[tuple[int, str], int],
) -> None:
    links = {
        (item_ids[key], capture_id)
        for poll, item in chunk
        if (key := (poll.source_id, item.external_id)) in item_ids
        for sha in item.capture_sha256s
        for capture_id in poll.capture_ids.get(sha, [])
    }
    if links:
        insert_rows(
            conn,
            ITEM_CAPTURE,
            [{"item_id": i, "capture_id": c} for i, c in sorted(links)],
            skip_conflicts=True,
        )


def _canonical(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return canonical_url(url)
    except ValueError:
        return None  # a malformed link on one item must not fail the whole poll
