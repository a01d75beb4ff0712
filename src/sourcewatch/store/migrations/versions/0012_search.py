"""search: one indexed document per item revision, and saved searches

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

``search_doc.tokens`` is the revision's searchable text normalized as the matcher
normalizes it (see ``search/document``). SQLite indexes it with an FTS5 table
(external content, the ``ascii`` tokenizer: every non-ASCII character is a word
character, so a token is exactly a space-separated word of the normalized text);
PostgreSQL with a generated ``words`` tsvector column of the same words (no parser, no
stemming) and a GIN index on it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_doc",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("tokens", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "revision", name="uq_search_doc_item_rev"),
        comment="One searchable document per item revision (normalized words).",
    )
    op.create_table(
        "saved_search",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("query", sa.String(), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_run_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
        comment="A search kept by name; last_run_at serves --since last.",
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5("
            "tokens, content='search_doc', content_rowid='id', tokenize='ascii')"
        )
    else:
        # The words as a tsvector, computed by PostgreSQL on insert (ranking reads it
        # instead of rebuilding it from the text for every candidate).
        op.execute(
            "ALTER TABLE search_doc ADD COLUMN words tsvector GENERATED ALWAYS AS "
            "(array_to_tsvector(string_to_array(tokens, ' '))) STORED"
        )
        op.execute("CREATE INDEX ix_search_doc_words ON search_doc USING gin (words)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE search_fts")
    op.drop_table("saved_search")
    op.drop_table("search_doc")
