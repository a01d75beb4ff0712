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
from sourcewatch.store.sql import chunked, copy_rows
from sourcewatch.store.tables import ITEM, ITEM_REVISION, SEARCH_DOC

_CHUNK = 500
Progress = Callable[[int, int], None]


def index_revisions(conn: sa.Connection, keys: Sequence[tuple[int, int]]) -> int:
    """Index these (item id, revision) pairs, skipping those already indexed; how many
    documents were added."""
    added = 0
    for chunk in chunked(sorted(set(keys)), _CHUNK):
        texts = revision_texts(conn, chunk)
        existing = _indexed(conn, chunk)
        docs = [
            {"item_id": item_id, "revision": revision, "tokens": index_words(text)}
            for (item_id, revision), text in texts.items()
            if (item_id, revision) not in existing
        ]
        _insert_documents(conn, docs)
        added += len(docs)
    return added


def revision_texts(
    conn: sa.Connection, keys: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], str]:
    """The searchable text of each (item id, revision): what is indexed, and what a
    search candidate is read back as for the matcher to confirm."""
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
        )
        .join(ITEM, ITEM.c.id == rev.c.item_id)
        .where(rev.c.item_id.in_({item_id for item_id, _ in keys}))
    )
    return {
        (row.item_id, row.revision): searchable_text(
            row.title, row.text, row.author, row.forwarded_from, row.media, row.extra
        )
        for row in rows
        if (row.item_id, row.revision) in wanted
    }


def _indexed(conn: sa.Connection, keys: Sequence[tuple[int, int]]) -> set[tuple[int, int]]:
    query = sa.select(SEARCH_DOC.c.item_id, SEARCH_DOC.c.revision).where(
        SEARCH_DOC.c.item_id.in_({item_id for item_id, _ in keys})
    )
    return {(row.item_id, row.revision) for row in conn.execute(query)}


def _insert_documents(conn: sa.Connection, docs: list[dict[str, Any]]) -> None:
    """Insert documents; on SQLite also into the FTS5 table (external content: it is
    told every row explicitly); on PostgreSQL the GIN index follows by itself."""
    if not docs:
        return
    if conn.dialect.name == "postgresql":
        copy_rows(conn, SEARCH_DOC, docs)
        return
    inserted = conn.execute(
        sa.insert(SEARCH_DOC).returning(SEARCH_DOC.c.id, SEARCH_DOC.c.tokens), docs
    ).all()
    conn.exec_driver_sql(
        "INSERT INTO search_fts(rowid, tokens) VALUES (?, ?)",
        [(row.id, row.tokens) for row in inserted],
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
