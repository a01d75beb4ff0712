"""Searching stored machine translations (``search --in translation`` or ``--in any``).

Translations exist only for what someone asked for or the background job made (queued
items in the configured languages): a small part of the archive. They are therefore
scanned, newest first, not indexed; each is checked by the query's own one-rule matcher,
as an original is, with the same filters, so a hit in a translation is what ``match``
would call a hit in that text. A hit says it matched the translation, and which
engine made it: an analyst must never quote a machine's words as the source's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from sourcewatch.search.engine import (
    RULE_ID,
    Hit,
    Searcher,
    SearchFilter,
    filter_clauses,
    hit_columns,
    hit_from_row,
    item_time,
)
from sourcewatch.store.tables import ITEM, ITEM_REVISION, SOURCE, TRANSLATION

WITHIN = ("original", "translation", "any")
_BATCH = 500


def translation_hits(
    conn: sa.Connection, searcher: Searcher, where: SearchFilter, *, limit: int
) -> list[Hit]:
    """The newest ``limit`` items whose stored translation the query matches, one hit
    per item (its newest matching translation), each with a snippet of the translation."""
    found: dict[int, Hit] = {}
    for row, text in _matching(conn, searcher, where):
        if row.item_id in found:
            continue
        hit = hit_from_row(row)
        hit.matched_in = f"translation ({row.engine}, {row.target_language})"
        searcher.add_snippet(hit, text)
        found[row.item_id] = hit
        if len(found) >= limit:
            break
    return list(found.values())


def translated_items(conn: sa.Connection, searcher: Searcher, where: SearchFilter) -> list[Any]:
    """Every item whose translation matches: rows with item_id, source, areas and at,
    as ``Searcher.matching_items`` gives for originals (for --count and --by)."""
    seen: dict[int, Any] = {}
    for row, _ in _matching(conn, searcher, where):
        seen.setdefault(row.item_id, row)
    return list(seen.values())


def merged(originals: list[Hit], translated: list[Hit], limit: int) -> list[Hit]:
    """``--in any``: the ranked hits in originals first, then items found only through
    their translation (newest first), ``limit`` in all."""
    seen = {hit.item_id for hit in originals}
    extra = [hit for hit in translated if hit.item_id not in seen]
    return (originals + extra)[:limit]


def _matching(
    conn: sa.Connection, searcher: Searcher, where: SearchFilter
) -> Iterator[tuple[Any, str]]:
    at = item_time()
    query = (
        sa.select(
            TRANSLATION.c.item_id,
            ITEM_REVISION.c.revision,
            TRANSLATION.c.title.label("translated_title"),
            TRANSLATION.c.text.label("translated_text"),
            TRANSLATION.c.engine,
            TRANSLATION.c.target_language,
            *hit_columns(),
            sa.literal(0.0).label("score"),  # not ranked: translations are scanned newest first
        )
        .join(ITEM_REVISION, ITEM_REVISION.c.id == TRANSLATION.c.revision_id)
        .join(ITEM, ITEM.c.id == TRANSLATION.c.item_id)
        .join(SOURCE, SOURCE.c.id == ITEM.c.source_id)
        .where(*filter_clauses(conn, where))
        .order_by(at.desc(), TRANSLATION.c.item_id.desc(), TRANSLATION.c.id.desc())
    )
    result = conn.execution_options(stream_results=True, yield_per=_BATCH).execute(query)
    try:
        for row in result:
            text = translated_text(row.translated_title, row.translated_text)
            if RULE_ID in searcher.matcher.match(text).rules:
                yield row, text
    finally:
        result.close()


def translated_text(title: str | None, text: str) -> str:
    """What a translation is searched as: its title, then its text."""
    return f"{title}\n{text}" if title else text
