"""Stored translations: one row per (item revision, target language, engine), beside the
original, which is never touched. These are the only functions that read or write the
``translation`` table; export, alerts, show and search call them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from sourcewatch.records import iso_utc
from sourcewatch.store.sql import chunked, insert_ignore
from sourcewatch.store.tables import ITEM, ITEM_REVISION, TRANSLATION


@dataclass(frozen=True)
class StoredTranslation:
    id: int
    item_id: int
    revision_id: int
    revision: int
    engine: str
    model: str | None
    source_language: str | None
    target_language: str
    title: str | None
    text: str
    truncated: bool
    translated_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "revision": self.revision,
            "engine": self.engine,
            "model": self.model,
            "source_language": self.source_language,
            "target_language": self.target_language,
            "title": self.title,
            "text": self.text,
            "truncated": self.truncated,
            "translated_at": iso_utc(self.translated_at),
        }


@dataclass(frozen=True)
class NewTranslation:
    """What to store for one revision."""

    item_id: int
    revision_id: int
    engine: str
    model: str | None
    source_language: str | None
    target_language: str
    title: str | None
    text: str
    truncated: bool


def save_translation(conn: sa.Connection, new: NewTranslation, now: datetime) -> bool:
    """Store ``new`` unless this revision already has a translation to that language by
    that engine (another replica, or an analyst, was first): returns whether it was stored."""
    result = conn.execute(
        insert_ignore(conn, TRANSLATION),
        [{**new.__dict__, "translated_at": now}],
    )
    return bool(result.rowcount)


def _select() -> sa.Select[Any]:
    return sa.select(TRANSLATION, ITEM_REVISION.c.revision).join(
        ITEM_REVISION, ITEM_REVISION.c.id == TRANSLATION.c.revision_id
    )


def _stored(row: sa.Row[Any]) -> StoredTranslation:
    return StoredTranslation(
        id=row.id,
        item_id=row.item_id,
        revision_id=row.revision_id,
        revision=row.revision,
        engine=row.engine,
        model=row.model,
        source_language=row.source_language,
        target_language=row.target_language,
        title=row.title,
        text=row.text,
        truncated=bool(row.truncated),
        translated_at=row.translated_at,
    )


def find_translation(
    conn: sa.Connection, revision_id: int, target: str, engine: str | None = None
) -> StoredTranslation | None:
    """This revision's translation to ``target`` (by ``engine``, or by any, newest)."""
    query = _select().where(
        TRANSLATION.c.revision_id == revision_id, TRANSLATION.c.target_language == target
    )
    if engine is not None:
        query = query.where(TRANSLATION.c.engine == engine)
    row = conn.execute(query.order_by(TRANSLATION.c.id.desc()).limit(1)).first()
    return _stored(row) if row is not None else None


def latest_translations(
    conn: sa.Connection, item_ids: Sequence[int], target: str | None = None
) -> dict[int, StoredTranslation]:
    """Item id -> the newest translation of the item's *current* revision (to ``target``,
    or to any language). An item edited since its translation has none until the new
    text is translated: a translation of words the post no longer says would mislead."""
    found: dict[int, StoredTranslation] = {}
    for chunk in chunked(list(item_ids), 500):
        query = (
            _select()
            .join(ITEM, ITEM.c.id == TRANSLATION.c.item_id)
            .where(TRANSLATION.c.item_id.in_(chunk), ITEM_REVISION.c.revision == ITEM.c.revision)
        )
        if target is not None:
            query = query.where(TRANSLATION.c.target_language == target)
        for row in conn.execute(query.order_by(TRANSLATION.c.id)):
            found[row.item_id] = _stored(row)  # ascending: the newest wins
    return found


def latest_translation(
    conn: sa.Connection, item_id: int, target: str | None = None
) -> StoredTranslation | None:
    """The newest translation of the item's current revision (see latest_translations)."""
    return latest_translations(conn, [item_id], target).get(item_id)


def revision_translation(
    conn: sa.Connection, item_id: int, revision: int, target: str | None = None
) -> StoredTranslation | None:
    """The newest translation of one given revision of an item (alerts name a revision)."""
    query = _select().where(TRANSLATION.c.item_id == item_id, ITEM_REVISION.c.revision == revision)
    if target is not None:
        query = query.where(TRANSLATION.c.target_language == target)
    row = conn.execute(query.order_by(TRANSLATION.c.id.desc()).limit(1)).first()
    return _stored(row) if row is not None else None


def iter_translation_texts(
    conn: sa.Connection, *, target: str | None = None, after_id: int = 0, batch: int = 1000
) -> Iterator[tuple[int, int, int, str]]:
    """Every stored translation as ``(translation id, item id, revision, title + text)``
    in id order, from ``after_id`` on, read ``batch`` rows at a time: what a search
    index of translations is built from (and kept up to date from, by ``after_id``)."""
    last = after_id
    while True:
        query = (
            sa.select(
                TRANSLATION.c.id,
                TRANSLATION.c.item_id,
                ITEM_REVISION.c.revision,
                TRANSLATION.c.title,
                TRANSLATION.c.text,
            )
            .join(ITEM_REVISION, ITEM_REVISION.c.id == TRANSLATION.c.revision_id)
            .where(TRANSLATION.c.id > last)
            .order_by(TRANSLATION.c.id)
            .limit(batch)
        )
        if target is not None:
            query = query.where(TRANSLATION.c.target_language == target)
        rows = conn.execute(query).all()
        for row in rows:
            text = f"{row.title}\n{row.text}" if row.title else row.text
            yield row.id, row.item_id, row.revision, text
        if len(rows) < batch:
            return
        last = rows[-1].id


def revision_translations(
    conn: sa.Connection, revisions: Sequence[tuple[int, int]], target: str | None = None
) -> dict[tuple[int, int], StoredTranslation]:
    """(item id, revision) -> the newest translation of that revision (to ``target``, or
    any): for messages that name a revision (alerts)."""
    wanted = set(revisions)
    found: dict[tuple[int, int], StoredTranslation] = {}
    for chunk in chunked(sorted({item_id for item_id, _ in wanted}), 500):
        query = _select().where(TRANSLATION.c.item_id.in_(chunk))
        if target is not None:
            query = query.where(TRANSLATION.c.target_language == target)
        for row in conn.execute(query.order_by(TRANSLATION.c.id)):
            if (row.item_id, row.revision) in wanted:
                found[(row.item_id, row.revision)] = _stored(row)  # the newest wins
    return found
