"""search: documents carry their item's time; PostgreSQL indexes words without clitics

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05

A search for ``طالبان`` must find ``وطالبان``, ``بالطالبان`` and the other clitic forms
the matcher accepts (``matching.forms``): 23 prefix patterns for a 5-letter word, each
a partial match that GIN answers by reading the posting list of every matching word
before a filter can narrow anything (bench/results/search.md). PostgreSQL's ``words``
tsvector now also holds each word with any leading clitic stripped (``والجيش`` gives
``الجيش`` and ``جيش``), computed by the function ``search_clitic_stems``; a search then
asks for the bare word only (``search.prefilter.stemmed``). The tsvector has no
positions, so the extra words change no phrase; they only add candidates, which the
matcher drops as before.

SQLite's index is unchanged: FTS5 matches phrases by position, where an extra word
would break them, and it meets its targets with the prefix patterns.

Both backends: ``search_doc.at`` is the item's time (published, else collected),
backfilled here, so that PostgreSQL ranks the candidates (ties: newest first) and
applies a time filter without joining each one to its item; only the best are joined.
``verify`` reports a document whose time is not its item's, as for the facets.

The clitics are a frozen copy of ``search.prefilter.CLITICS``: change both together.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

CLITICS = [
    "فبال",
    "وبال",
    "وكال",
    "بال",
    "فال",
    "فلل",
    "كال",
    "وال",
    "ولل",
    "ال",
    "فب",
    "فك",
    "فل",
    "لل",
    "وب",
    "وك",
    "ول",
    "ب",
    "ف",
    "ك",
    "ل",
    "و",
]

_WORDS_BEFORE = (
    "array_to_tsvector(array_cat(string_to_array(tokens, ' '), string_to_array(facets, ' ')))"
)
_WORDS_AFTER = (
    "array_to_tsvector(array_cat(array_cat(string_to_array(tokens, ' '), "
    "search_clitic_stems(tokens)), string_to_array(facets, ' ')))"
)


def _stems_function() -> str:
    clitics = ",".join(CLITICS)
    firsts = ", ".join(f"'{c}'" for c in sorted({c[0] for c in CLITICS}))
    # IMMUTABLE: a generated column may only call immutable functions (this one reads
    # nothing but its argument).
    return f"""
CREATE FUNCTION search_clitic_stems(tokens text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT substr(w, length(p) + 1)), '{{}}')
  FROM unnest(string_to_array(tokens, ' ')) AS w,
       unnest('{{{clitics}}}'::text[]) AS p
  WHERE left(w, 1) IN ({firsts}) AND starts_with(w, p) AND length(w) > length(p)
$$"""


_ITEM_TIME = (
    "(SELECT coalesce(i.published_at, i.collected_at) FROM item i WHERE i.id = search_doc.item_id)"
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        # The index and the generated column go first: the backfill then updates narrow
        # rows without index upkeep, and adding the column rewrites the table once.
        op.execute("DROP INDEX ix_search_doc_words")
        op.execute("ALTER TABLE search_doc DROP COLUMN words")
    # naive UTC, as every time column (store.tables.UTCDateTime)
    op.add_column("search_doc", sa.Column("at", sa.DateTime(), nullable=True))
    if postgres:
        op.execute(
            "UPDATE search_doc SET at = coalesce(i.published_at, i.collected_at) "
            "FROM item i WHERE i.id = search_doc.item_id"
        )
        op.execute(_stems_function())
        _add_words(_WORDS_AFTER)
    else:
        op.execute(f"UPDATE search_doc SET at = {_ITEM_TIME}")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("DROP INDEX ix_search_doc_words")
        op.execute("ALTER TABLE search_doc DROP COLUMN words")
    op.drop_column("search_doc", "at")
    if postgres:
        _add_words(_WORDS_BEFORE)
        op.execute("DROP FUNCTION search_clitic_stems(text)")


def _add_words(expression: str) -> None:
    """The generated ``words`` column (one table rewrite) and its GIN index."""
    op.execute(
        f"ALTER TABLE search_doc ADD COLUMN words tsvector GENERATED ALWAYS AS ({expression}) "
        "STORED"
    )
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    op.execute("CREATE INDEX ix_search_doc_words ON search_doc USING gin (words)")
