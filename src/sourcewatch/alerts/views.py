"""Read what a message shows about outbox rows: the revision's text, the item's URL
and time, and the newest archived capture it was read from."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from sourcewatch.alerts.message import EntryView
from sourcewatch.alerts.outbox import OUTBOX
from sourcewatch.store.sql import chunked
from sourcewatch.store.tables import CAPTURE, ITEM, ITEM_CAPTURE, ITEM_REVISION
from sourcewatch.translate.store import StoredTranslation, revision_translations


def entry_views(conn: sa.Connection, outbox_ids: Sequence[int]) -> dict[int, EntryView]:
    """Outbox id -> what an alert says about it."""
    views: dict[int, EntryView] = {}
    for chunk in chunked(list(outbox_ids), 500):
        rows = conn.execute(
            sa.select(
                OUTBOX,
                ITEM_REVISION.c.title.label("rev_title"),
                ITEM_REVISION.c.text.label("rev_text"),
                ITEM_REVISION.c.seen_at,
                ITEM.c.url,
                ITEM.c.canonical_url,
                ITEM.c.published_at,
            )
            .join(ITEM, ITEM.c.id == OUTBOX.c.item_id)
            .outerjoin(
                ITEM_REVISION,
                sa.and_(
                    ITEM_REVISION.c.item_id == OUTBOX.c.item_id,
                    ITEM_REVISION.c.revision == OUTBOX.c.revision,
                ),
            )
            .where(OUTBOX.c.id.in_(chunk))
        ).all()
        hashes = _newest_capture(conn, [row.item_id for row in rows])
        translated = revision_translations(conn, [(row.item_id, row.revision) for row in rows])
        for row in rows:
            views[row.id] = EntryView(
                item_id=row.item_id,
                revision=row.revision,
                source=row.source,
                priority=row.priority,
                areas=row.areas,
                names=row.names,
                entities=row.entities,
                rules=row.rules,
                at=row.published_at or row.seen_at,
                title=row.rev_title,
                text=row.rev_text or "",
                url=row.canonical_url or row.url,
                sha256=hashes.get(row.item_id),
                translation=_translation(translated.get((row.item_id, row.revision))),
            )
    return views


def _translation(found: StoredTranslation | None) -> tuple[str, str | None, str] | None:
    if found is None:
        return None
    label = f"{found.engine}, {found.source_language or '?'} to {found.target_language}"
    return label, found.title, found.text


def _newest_capture(conn: sa.Connection, item_ids: list[int]) -> dict[int, str]:
    newest: dict[int, str] = {}
    rows = conn.execute(
        sa.select(ITEM_CAPTURE.c.item_id, CAPTURE.c.sha256)
        .join(CAPTURE, CAPTURE.c.id == ITEM_CAPTURE.c.capture_id)
        .where(ITEM_CAPTURE.c.item_id.in_(item_ids))
        .order_by(CAPTURE.c.fetched_at, CAPTURE.c.id)
    )
    for row in rows:
        newest[row.item_id] = row.sha256  # ascending: the last one wins
    return newest
