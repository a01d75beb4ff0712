"""Keeping the word index in step with the item revisions.

``index_revisions`` runs inside the ingest transaction (one call from
``ingest/writer``), so a committed revision always has its document: a crash loses
both or neither. ``missing_documents`` lists revisions without one (``verify`` reports
them); ``reindex`` rebuilds everything from the revisions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from sourcewatch.search.document import index_words, searchable_text
from sourcewatch.search.facets import document_facets
from sourcewatch.store.sql import chunked, copy_rows, update_by_id
from sourcewatch.store.tables import ITEM, ITEM_REVISION, SEARCH_DOC

_CHUNK = 500
Progress = Callable[[int, int], None]


def index_revisions(conn: sa.Connection, keys: Sequence[tuple[int, int]]) -> int:
    """Index these (item id, revision) pairs, skipping those already indexed; how many
    documents were added. The item's other documents get its facets and time again if
    they changed (an edit can change an item's time or language)."""
    added = 0
    for chunk in chunked(sorted(set(keys)), _CHUNK):
        rows = _revision_rows(conn, chunk)
        items = {row.item_id: _item_fields(row) for row in rows.values()}
        existing = _indexed(conn, chunk)
        docs = [
            {
                "item_id": item_id,
                "revision": revision,
                "tokens": index_words(_text(row)),
                **items[item_id],
            }
            for (item_id, revision), row in rows.items()
            if (item_id, revision) not in existing
        ]
        _insert_documents(conn, docs)
        _refresh_item_fields(
            conn,
            [doc for doc in existing.values() if _stale(doc, items.get(doc.item_id))],
            items,
        )
        added += len(docs)
    return added


def revision_texts(
    conn: sa.Connection, keys: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], str]:
    """The searchable text of each (item id, revision): what is indexed, and what a
    search candidate is read back as for the matcher to confirm."""
    return {key: _text(row) for key, row in _revision_rows(conn, keys).items()}


def _revision_rows(
    conn: sa.Connection, keys: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], Any]:
    if not keys:
        return {}
    rev = ITEM_REVISION
    wanted = set(keys)
    rows = conn.execute(
        sa.select(
            rev.c.item_id,
            rev.c.revision,
            rev.c.title,
            rev.c.text,
            rev.c.media,
            ITEM.c.author,
            ITEM.c.forwarded_from,
            ITEM.c.extra,
            ITEM.c.source_id,
            ITEM.c.published_at,
            ITEM.c.collected_at,
            ITEM.c.language,
        )
        .join(ITEM, ITEM.c.id == rev.c.item_id)
        .where(rev.c.item_id.in_({item_id for item_id, _ in keys}))
    )
    return {
        (row.item_id, row.revision): row for row in rows if (row.item_id, row.revision) in wanted
    }


def _text(row: Any) -> str:
    return searchable_text(
        row.title, row.text, row.author, row.forwarded_from, row.media, row.extra
    )


def _item_fields(row: Any) -> dict[str, Any]:
    """What a document copies from its item: facet tokens and time."""
    at = row.published_at or row.collected_at
    return {"facets": document_facets(row.source_id, at, row.language), "at": at}


def _stale(doc: Any, item: dict[str, Any] | None) -> bool:
    return item is not None and (doc.facets != item["facets"] or doc.at != item["at"])


def _indexed(conn: sa.Connection, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], Any]:
    """The documents of these keys' items (any revision), by (item id, revision)."""
    doc = SEARCH_DOC
    query = sa.select(
        doc.c.id, doc.c.item_id, doc.c.revision, doc.c.tokens, doc.c.facets, doc.c.at
    ).where(doc.c.item_id.in_({item_id for item_id, _ in keys}))
    return {(row.item_id, row.revision): row for row in conn.execute(query)}


def _insert_documents(conn: sa.Connection, docs: list[dict[str, Any]]) -> None:
    """Insert documents; on SQLite also into the FTS5 table (external content: it is
    told every row explicitly); on PostgreSQL the GIN index follows by itself."""
    if not docs:
        return
    if conn.dialect.name == "postgresql":
        copy_rows(conn, SEARCH_DOC, docs)
        return
    inserted = conn.execute(
        sa.insert(SEARCH_DOC).returning(SEARCH_DOC.c.id, SEARCH_DOC.c.tokens, SEARCH_DOC.c.facets),
        docs,
    ).all()
    conn.exec_driver_sql(
        "INSERT INTO search_fts(rowid, tokens, facets) VALUES (?, ?, ?)",
        [(row.id, row.tokens, row.facets) for row in inserted],
    )


def _refresh_item_fields(
    conn: sa.Connection, stale: list[Any], items: dict[int, dict[str, Any]]
) -> None:
    """Give these documents their item's facets and time (SQLite: the FTS5 table forgets
    the old row and learns the new one; PostgreSQL recomputes the generated words)."""
    if not stale:
        return
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            "INSERT INTO search_fts(search_fts, rowid, tokens, facets) VALUES ('delete', ?, ?, ?)",
            [(doc.id, doc.tokens, doc.facets) for doc in stale],
        )
    update_by_id(conn, SEARCH_DOC, [{"_id": doc.id, **items[doc.item_id]} for doc in stale])
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            "INSERT INTO search_fts(rowid, tokens, facets) VALUES (?, ?, ?)",
            [(doc.id, doc.tokens, items[doc.item_id]["facets"]) for doc in stale],
        )


def missing_documents(conn: sa.Connection, limit: int = 20) -> tuple[int, list[tuple[int, int]]]:
    """How many revisions have no search document, and the first ``limit`` of them."""
    rev, doc = ITEM_REVISION, SEARCH_DOC
    missing = (
        sa.select(rev.c.item_id, rev.c.revision)
        .outerjoin(doc, sa.and_(doc.c.item_id == rev.c.item_id, doc.c.revision == rev.c.revision))
        .where(doc.c.id.is_(None))
    )
    count = conn.execute(sa.select(sa.func.count()).select_from(missing.subquery())).scalar_one()
    first = conn.execute(missing.order_by(rev.c.item_id, rev.c.revision).limit(limit)).all()
    return count, [(row.item_id, row.revision) for row in first]


def reindex(conn: sa.Connection, progress: Progress | None = None) -> int:
    """Drop every document and index every revision again; how many were indexed."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("INSERT INTO search_fts(search_fts) VALUES ('delete-all')")
        conn.execute(sa.delete(SEARCH_DOC))
    else:
        conn.exec_driver_sql("TRUNCATE search_doc")
    rev = ITEM_REVISION
    total = conn.execute(sa.select(sa.func.count()).select_from(rev)).scalar_one()
    done = 0
    last = (0, 0)
    while True:
        keys = conn.execute(
            sa.select(rev.c.item_id, rev.c.revision)
            .where(sa.tuple_(rev.c.item_id, rev.c.revision) > sa.tuple_(*last))
            .order_by(rev.c.item_id, rev.c.revision)
            .limit(_CHUNK * 4)
        ).all()
        if not keys:
            break
        done += index_revisions(conn, [(k.item_id, k.revision) for k in keys])
        last = (keys[-1].item_id, keys[-1].revision)
        if progress is not None:
            progress(done, total)
    return done
