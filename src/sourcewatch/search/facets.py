"""Filter values indexed as words, so a filter narrows the candidates inside the index.

Each search document carries, besides its words, a few facet tokens of its item: its
source (``s`` + source id), the month of its time (``m`` + ``YYYYMM``) and its
language (``l`` + the hex of the lowercased code, when it is printable ASCII). A
search with ``--source``/``--kind``, ``--lang`` or ``--since``/``--until`` adds them to
the index query (FTS5: ``facets : (...)``; PostgreSQL: ``& (...)`` in the tsquery), so
the index hands over only the documents the filter can keep: ranking (BM25, ts_rank)
and the row reads are paid for those alone (bench/results/search.md).

The tokens only narrow: the filter itself is still applied to the item row, so a facet
never decides on its own. A time range is written as months and whole years
(``month_range``), within the times stored, and only when it narrows by half. Every
token starts with a private-use letter, which the normalized words of a text never do
in practice; on SQLite the facets are a column of
their own (a text cannot pose as a facet), and on PostgreSQL a text that did would
only add a candidate the item filter then drops.

The same values are computed by SQL in migration 0018 (backfill) and in
``store/verify`` (stale facets): change all three together.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

MARK = "\ue000"  # a private-use letter: the start of every facet token


# All groups must match; within a group, any token.
Constraint = tuple[tuple[str, ...], ...]


def source_token(source_id: int) -> str:
    return f"{MARK}s{source_id}"


def month_token(at: datetime) -> str:
    year, month = _year_month(at)
    return f"{MARK}m{year:04d}{month:02d}"


def year_token(at: datetime) -> str:
    return f"{MARK}y{_year_month(at)[0]:04d}"


def language_token(language: str | None) -> str | None:
    """The token of a language code; None when the code is empty or not printable
    ASCII (then no document carries one, and a filter on it is not narrowed)."""
    if not language or not all(" " <= ch <= "~" for ch in language):
        return None
    return f"{MARK}l{language.lower().encode().hex()}"


def document_facets(source_id: int, at: datetime, language: str | None) -> str:
    """The facet tokens of one document, space-separated, as stored and indexed."""
    tokens = [source_token(source_id), month_token(at), year_token(at)]
    lang = language_token(language)
    if lang is not None:
        tokens.append(lang)
    return " ".join(tokens)


def constraint(
    source_ids: Sequence[int] | None,
    langs: Sequence[str],
    since: datetime | None,
    until: datetime | None,
    stored: tuple[datetime, datetime] | None,
) -> Constraint:
    """The index constraint for these filter values (``source_ids`` None: any source;
    empty: none at all); ``stored``: the earliest and latest item time there is (None:
    no item). Only ever a superset of what the item filter keeps."""
    groups: list[tuple[str, ...]] = []
    if source_ids is not None:
        groups.append(tuple(source_token(i) for i in sorted(set(source_ids))))
    lang_tokens = [language_token(lang) for lang in langs]
    if langs and all(t is not None for t in lang_tokens):
        groups.append(tuple(t for t in dict.fromkeys(lang_tokens) if t is not None))
    months = time_tokens(since, until, stored)
    if months is not None:
        groups.append(months)
    return tuple(groups)


def time_tokens(
    since: datetime | None, until: datetime | None, stored: tuple[datetime, datetime] | None
) -> tuple[str, ...] | None:
    """strs for the months from ``since`` to ``until`` within the stored times; None
    when that would not narrow by half (reading the doclists of most months costs more
    than it saves: measured)."""
    if (since is None and until is None) or stored is None:
        return None
    first, last = _year_month(stored[0]), _year_month(stored[1])
    low = max(first, _year_month(since)) if since is not None else first
    high = min(last, _year_month(until)) if until is not None else last
    if low > high:
        return ()
    if 2 * _month_count(low, high) > _month_count(first, last):
        return None
    return month_range(low, high)


def _month_count(low: tuple[int, int], high: tuple[int, int]) -> int:
    return (high[0] - low[0]) * 12 + high[1] - low[1] + 1


def month_range(low: tuple[int, int], high: tuple[int, int]) -> tuple[str, ...]:
    """strs covering every month from ``low`` to ``high`` (year, month), inclusive:
    the months of the first and last year one by one, the whole years between by
    year."""
    if low[0] == high[0]:
        return _months(low[0], low[1], high[1])
    tokens = list(_months(low[0], low[1], 12))
    tokens += [f"{MARK}y{year:04d}" for year in range(low[0] + 1, high[0])]
    tokens += _months(high[0], 1, high[1])
    return tuple(tokens)


def _year_month(at: datetime) -> tuple[int, int]:
    at = at.astimezone(UTC) if at.tzinfo else at
    return at.year, at.month


def _months(year: int, first: int, last: int) -> tuple[str, ...]:
    if (first, last) == (1, 12):
        return (f"{MARK}y{year:04d}",)
    return tuple(f"{MARK}m{year:04d}{month:02d}" for month in range(first, last + 1))


def fts5(groups: Constraint) -> str:
    """FTS5 query syntax restricted to the facets column ('' when unconstrained)."""
    if not groups:
        return ""
    parts = ["(" + " OR ".join(f'"{t}"' for t in group) + ")" for group in groups]
    return "facets : (" + " AND ".join(parts) + ")"


def tsquery(groups: Constraint) -> str:
    """tsquery syntax ('' when unconstrained); the tokens need no quoting (ASCII letters
    and digits after the mark)."""
    if not groups:
        return ""
    parts = ["(" + " | ".join(f"'{t}'" for t in group) + ")" for group in groups]
    return " & ".join(parts)
