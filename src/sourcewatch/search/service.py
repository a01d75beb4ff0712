"""``sourcewatch search``: a request checked against what exists, then run.

Every name a filter gives (source, area, entity, tag, status, kind) must exist; an
unknown one is an error naming the known ones (exit 2), as in every listing command.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from sourcewatch.errors import InvalidInput
from sourcewatch.matching.watchlist import Entity
from sourcewatch.search.engine import Hit, Searcher, SearchFilter
from sourcewatch.search.filters import (
    KINDS,
    check_kinds,
    check_names,
    check_statuses,
    distinct,
    time_range,
)
from sourcewatch.search.query import SearchQuery, parse_search
from sourcewatch.search.translations import (
    WITHIN,
    merged,
    translated_items,
    translation_hits,
)

BY = ("day", "source", "area")


@dataclass(frozen=True)
class SearchRequest:
    query: str
    where: SearchFilter = field(default_factory=SearchFilter)
    limit: int = 20
    newest: bool = False
    within: str = "original"  # or "translation", "any" (search/translations)


@dataclass
class SearchResult:
    query: SearchQuery
    hits: list[Hit]


def check_filter(conn: sa.Connection, where: SearchFilter, entities: dict[str, Entity]) -> None:
    """Raise InvalidInput naming the known values when a filter names an unknown one."""
    check_names(
        conn,
        entities,
        sources=where.sources,
        areas=where.areas,
        entity_ids=where.entities,
        tags=where.tags,
    )
    check_statuses(where.statuses)


def filter_from(given: Mapping[str, Any], now: datetime) -> SearchFilter:
    """The filters as given by a user (``sourcewatch search`` options, the web form):
    repeats are "any of", names lower-cased where they are case-free, times parsed.
    One place, so the CLI and the web view accept and refuse the same things."""
    start, end = time_range(given.get("since"), given.get("until"), now)
    where = SearchFilter(
        sources=distinct(given.get("source")),
        areas=distinct(given.get("area"), lower=True),
        entities=distinct(given.get("entity")),
        langs=distinct(given.get("lang"), lower=True),
        tags=distinct(given.get("tag")),
        statuses=distinct(given.get("status"), lower=True),
        since=start,
        until=end,
        deleted=bool(given.get("deleted")),
        edited=bool(given.get("edited")),
    )
    return with_kinds(where, distinct(given.get("kind"), lower=True))


def with_kinds(where: SearchFilter, kinds: tuple[str, ...]) -> SearchFilter:
    """``--kind news`` as the source kinds it stands for."""
    check_kinds(kinds)
    return replace(where, kinds=tuple(k for kind in kinds for k in KINDS[kind]))


def prepared(
    conn: sa.Connection, text: str, where: SearchFilter, entities: dict[str, Entity]
) -> Searcher:
    query = parse_search(text)
    unknown = sorted(query.entities - set(entities))
    if unknown:
        raise InvalidInput(
            f"search query: unknown entity @{unknown[0]}; known: "
            + ", ".join(f"@{e}" for e in sorted(entities))
        )
    check_filter(conn, where, entities)
    return Searcher(conn, query, entities)


def search(
    conn: sa.Connection, request: SearchRequest, entities: dict[str, Entity]
) -> SearchResult:
    searcher = prepared(conn, request.query, request.where, entities)
    _check_within(request.within)
    hits: list[Hit] = []
    if request.within != "translation":
        hits = searcher.hits(request.where, limit=request.limit, newest=request.newest)
    if request.within != "original":
        translated = translation_hits(conn, searcher, request.where, limit=request.limit)
        hits = merged(hits, translated, request.limit)
    return SearchResult(searcher.query, hits)


def _check_within(within: str) -> None:
    if within not in WITHIN:
        raise InvalidInput(f"--in: one of {', '.join(WITHIN)}, not {within!r}")


def count(
    conn: sa.Connection, request: SearchRequest, entities: dict[str, Entity], by: str | None
) -> tuple[int, list[tuple[str, int]]]:
    """How many items match, and per day, source or area when ``by`` is given."""
    if by is not None and by not in BY:
        raise InvalidInput(f"--by: one of {', '.join(BY)}, not {by!r}")
    searcher = prepared(conn, request.query, request.where, entities)
    _check_within(request.within)
    rows = [] if request.within == "translation" else searcher.matching_items(request.where)
    if request.within != "original":
        known = {row.item_id for row in rows}
        rows += [
            row
            for row in translated_items(conn, searcher, request.where)
            if row.item_id not in known
        ]
    if by is None:
        return len(rows), []
    buckets: Counter[str] = Counter()
    for row in rows:
        for key in _bucket(row, by):
            buckets[key] += 1
    ordered = sorted(buckets.items()) if by == "day" else buckets.most_common()
    return len(rows), ordered


def _bucket(row: Any, by: str) -> list[str]:
    if by == "day":
        at: datetime = row.at
        return [at.date().isoformat()]
    if by == "source":
        return [row.source]
    return [a.lower() for a in row.areas or ()] or ["(none)"]
