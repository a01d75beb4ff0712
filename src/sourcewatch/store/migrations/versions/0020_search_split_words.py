"""search: index words split where word characters meet emoji and other symbols

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05

Index words were the normalized text split at spaces, so a word glued to an emoji or a
flag that normalization keeps (``🇷🇺гао``, ``👍🏽гао``) was one index word: a search for
Гао missed the post while the matcher, whose word boundaries are wherever a word
character meets anything else, flagged it. ``search.document.split_at_symbols`` now splits
there too, for documents and query patterns alike. This migration splits the words of
the documents already stored the same way (a frozen copy of it: change both together,
with a migration), updating only the documents that change; SQLite's FTS5 table is told
each one, PostgreSQL's generated ``words`` and its GIN index follow by themselves.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_INDEX_WORD = re.compile(r"\w+|[^\w\s]+")
_SYMBOL = re.compile(r"[^\w\s]")
_MAX_INDEXED_CHARS = 300_000  # search.document.MAX_INDEXED_CHARS
_BATCH = 5_000


def _split(tokens: str) -> str:
    if _SYMBOL.search(tokens) is None:
        return tokens
    joined = " ".join(_INDEX_WORD.findall(tokens))
    if len(joined) > _MAX_INDEXED_CHARS:
        joined = joined[:_MAX_INDEXED_CHARS].rsplit(" ", 1)[0]
    return joined


def upgrade() -> None:
    conn = op.get_bind()
    sqlite = conn.dialect.name == "sqlite"
    last = 0
    while True:
        rows = conn.execute(
            sa.text(
                "SELECT id, tokens, facets FROM search_doc WHERE id > :last ORDER BY id LIMIT :n"
            ),
            {"last": last, "n": _BATCH},
        ).all()
        if not rows:
            return
        last = rows[-1].id
        changed = [
            (row.id, row.tokens, row.facets, split)
            for row in rows
            if (split := _split(row.tokens)) != row.tokens
        ]
        if not changed:
            continue
        if sqlite:
            conn.exec_driver_sql(
                "INSERT INTO search_fts(search_fts, rowid, tokens, facets) "
                "VALUES ('delete', ?, ?, ?)",
                [(id_, old, facets) for id_, old, facets, _ in changed],
            )
        conn.execute(
            sa.text("UPDATE search_doc SET tokens = :tokens WHERE id = :id"),
            [{"id": id_, "tokens": new} for id_, _, _, new in changed],
        )
        if sqlite:
            conn.exec_driver_sql(
                "INSERT INTO search_fts(rowid, tokens, facets) VALUES (?, ?, ?)",
                [(id_, new, facets) for id_, _, facets, new in changed],
            )


def downgrade() -> None:
    # The split words stay: 0019's queries, split at spaces only, find in them every
    # document they found before except one whose query word was glued to a symbol.
    pass
