"""search: facet tokens (source, month, language) in the word index

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-05

``search_doc.facets`` holds a few tokens of the document's item (``search/facets``):
its source, the month and year of its time and its language, each starting with U+E000. They
are indexed with the words, so that a search filtered by source, kind, language or
time gets only the documents the filter can keep from the index (ranking and row reads
are then paid for those alone). SQLite: the FTS5 table gets a second column,
``facets`` (rebuilt from the documents); PostgreSQL: the generated ``words`` tsvector
holds the facet tokens too (recomputed, and its GIN index rebuilt).

Existing documents are backfilled from their items by SQL that computes what
``search.facets.document_facets`` computes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

MARK = "\ue000"  # search.facets.MARK, frozen here

_SQLITE_FACETS = (
    "(SELECT :mark || 's' || i.source_id || ' ' || :mark || 'm' "
    "|| strftime('%Y%m', coalesce(i.published_at, i.collected_at)) "
    "|| ' ' || :mark || 'y' || strftime('%Y', coalesce(i.published_at, i.collected_at)) "
    "|| CASE WHEN i.language IS NOT NULL AND i.language <> '' "
    "AND i.language NOT GLOB '*[^ -~]*' "
    "THEN ' ' || :mark || 'l' || lower(hex(lower(i.language))) ELSE '' END "
    "FROM item i WHERE i.id = search_doc.item_id)"
)
_POSTGRES_FACETS = (
    ":mark || 's' || i.source_id || ' ' || :mark || 'm' "
    "|| to_char(coalesce(i.published_at, i.collected_at), 'YYYYMM') "
    "|| ' ' || :mark || 'y' || to_char(coalesce(i.published_at, i.collected_at), 'YYYY') "
    "|| CASE WHEN i.language IS NOT NULL AND i.language <> '' "
    "AND i.language ~ '^[ -~]+$' "
    "THEN ' ' || :mark || 'l' || encode(convert_to(lower(i.language), 'UTF8'), 'hex') "
    "ELSE '' END"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _upgrade_sqlite()
    else:
        _upgrade_postgres()


def _upgrade_sqlite() -> None:
    op.add_column("search_doc", sa.Column("facets", sa.Text(), nullable=False, server_default=""))
    op.execute(sa.text(f"UPDATE search_doc SET facets = {_SQLITE_FACETS}").bindparams(mark=MARK))
    op.execute("DROP TABLE search_fts")
    op.execute(
        "CREATE VIRTUAL TABLE search_fts USING fts5("
        "tokens, facets, content='search_doc', content_rowid='id', tokenize='ascii')"
    )
    op.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")


def _upgrade_postgres() -> None:
    # The index and the generated column go first: the backfill then updates narrow
    # rows without index upkeep, and adding the column rewrites the table once.
    op.execute("DROP INDEX ix_search_doc_words")
    op.execute("ALTER TABLE search_doc DROP COLUMN words")
    op.add_column("search_doc", sa.Column("facets", sa.Text(), nullable=False, server_default=""))
    op.execute(
        sa.text(
            f"UPDATE search_doc SET facets = {_POSTGRES_FACETS} FROM item i "
            "WHERE i.id = search_doc.item_id"
        ).bindparams(mark=MARK)
    )
    op.execute(
        "ALTER TABLE search_doc ADD COLUMN words tsvector GENERATED ALWAYS AS "
        "(array_to_tsvector(array_cat(string_to_array(tokens, ' '), "
        "string_to_array(facets, ' ')))) STORED"
    )
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    op.execute("CREATE INDEX ix_search_doc_words ON search_doc USING gin (words)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE search_fts")
        op.drop_column("search_doc", "facets")
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5("
            "tokens, content='search_doc', content_rowid='id', tokenize='ascii')"
        )
        op.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
        return
    op.execute("DROP INDEX ix_search_doc_words")
    op.execute("ALTER TABLE search_doc DROP COLUMN words")
    op.drop_column("search_doc", "facets")
    op.execute(
        "ALTER TABLE search_doc ADD COLUMN words tsvector GENERATED ALWAYS AS "
        "(array_to_tsvector(string_to_array(tokens, ' '))) STORED"
    )
    op.execute("CREATE INDEX ix_search_doc_words ON search_doc USING gin (words)")
