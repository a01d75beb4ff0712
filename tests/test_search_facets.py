"""Facet tokens: the filter values indexed with the words (search/facets). They only
narrow what the index proposes; the item filter still decides (tests/test_search.py
checks the hits, here the tokens and the index queries)."""

from __future__ import annotations

from datetime import UTC, datetime

from sourcewatch.search import facets
from sourcewatch.search.facets import MARK

STORED = (datetime(2025, 12, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))


def names(tokens: tuple[str, ...] | None) -> list[str] | None:
    return None if tokens is None else [t.removeprefix(MARK) for t in tokens]


def test_a_document_carries_its_source_month_year_and_language() -> None:
    at = datetime(2026, 9, 2, 23, 30, tzinfo=UTC)
    assert facets.document_facets(7, at, "RU").split(" ") == [
        f"{MARK}s7",
        f"{MARK}m202609",
        f"{MARK}y2026",
        f"{MARK}l7275",  # "ru", lowercased, as hex
    ]
    # a code that is not printable ASCII has no token (and a filter on it is not narrowed)
    assert facets.document_facets(7, at, "рус").split(" ")[3:] == []
    assert facets.constraint(None, ["рус"], None, None, STORED) == ()


def test_a_time_range_is_its_months_and_whole_years() -> None:
    assert names(facets.month_range((2024, 11), (2026, 2))) == [
        "m202411",
        "m202412",
        "y2025",
        "m202601",
        "m202602",
    ]
    assert names(facets.month_range((2026, 1), (2026, 12))) == ["y2026"]


def test_time_narrows_only_within_the_stored_times_and_by_half_or_more() -> None:
    since = datetime(2026, 9, 3, tzinfo=UTC)
    assert names(facets.time_tokens(since, None, STORED)) == [
        "m202609",
        "m202610",
        "m202611",
        "m202612",
    ]
    # 7 of the 13 stored months would be kept: not worth reading their doclists
    assert facets.time_tokens(datetime(2026, 6, 1, tzinfo=UTC), None, STORED) is None
    # nothing stored in the range: no document can pass
    assert facets.time_tokens(datetime(2027, 1, 1, tzinfo=UTC), None, STORED) == ()
    assert facets.time_tokens(since, None, None) is None


def test_index_queries_need_every_group_and_any_token_of_one() -> None:
    groups = facets.constraint([3, 1], ["fa"], datetime(2026, 11, 5, tzinfo=UTC), None, STORED)
    assert facets.fts5(groups) == (
        f'facets : (("{MARK}s1" OR "{MARK}s3") AND ("{MARK}l6661") AND '
        f'("{MARK}m202611" OR "{MARK}m202612"))'
    )
    assert facets.tsquery(groups) == (
        f"('{MARK}s1' | '{MARK}s3') & ('{MARK}l6661') & ('{MARK}m202611' | '{MARK}m202612')"
    )
    assert facets.fts5(()) == facets.tsquery(()) == ""
    # no source of the wanted kind: an empty group, nothing can match
    assert facets.constraint([], [], None, None, STORED) == ((),)
