"""Saved searches: a query and its filters kept by name, when it last ran, and its
promotion to a watchlist rule (so that new items matching it are queued and alerted).

``--since last`` on a saved search means "since the previous run of this saved
search": the time of that run is stored when the search runs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from sourcewatch.errors import InvalidInput, SourcewatchError
from sourcewatch.matching.watchlist import WatchlistError, load_watchlists
from sourcewatch.search.query import parse_search
from sourcewatch.store.tables import SAVED_SEARCH

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")


class SavedSearchNotFound(SourcewatchError):
    exit_code = 1


@dataclass(frozen=True)
class SavedSearch:
    name: str
    query: str
    filters: dict[str, Any]  # the command-line filters as given (re-parsed on each run)
    created_at: datetime
    last_run_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "query": self.query,
            "filters": self.filters,
            "created_at": self.created_at.isoformat(),
            "last_run_at": self.last_run_at.isoformat() if self.last_run_at else None,
        }


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidInput(
            f"saved search name {name!r}: lower-case letters, digits, - or _ "
            "(it becomes the rule id when promoted)"
        )
    return name


def save(
    conn: sa.Connection, name: str, query: str, filters: dict[str, Any], now: datetime
) -> SavedSearch:
    """Keep (or replace) the search ``name``."""
    check_name(name)
    parse_search(query)  # a query that cannot run is not kept
    conn.execute(sa.delete(SAVED_SEARCH).where(SAVED_SEARCH.c.name == name))
    conn.execute(
        sa.insert(SAVED_SEARCH).values(
            name=name, query=query, filters=filters, created_at=now, last_run_at=None
        )
    )
    return SavedSearch(name, query, filters, now, None)


def load(conn: sa.Connection, name: str) -> SavedSearch:
    row = conn.execute(sa.select(SAVED_SEARCH).where(SAVED_SEARCH.c.name == name)).first()
    if row is None:
        known = ", ".join(all_names(conn)) or "none yet"
        raise SavedSearchNotFound(f"no saved search {name!r}; saved: {known}")
    return SavedSearch(row.name, row.query, dict(row.filters), row.created_at, row.last_run_at)


def all_saved(conn: sa.Connection) -> list[SavedSearch]:
    rows = conn.execute(sa.select(SAVED_SEARCH).order_by(SAVED_SEARCH.c.name)).all()
    return [
        SavedSearch(r.name, r.query, dict(r.filters), r.created_at, r.last_run_at) for r in rows
    ]


def all_names(conn: sa.Connection) -> list[str]:
    return list(
        conn.execute(sa.select(SAVED_SEARCH.c.name).order_by(SAVED_SEARCH.c.name)).scalars()
    )


def mark_run(conn: sa.Connection, name: str, now: datetime) -> None:
    conn.execute(sa.update(SAVED_SEARCH).where(SAVED_SEARCH.c.name == name).values(last_run_at=now))


def delete(conn: sa.Connection, name: str) -> None:
    load(conn, name)
    conn.execute(sa.delete(SAVED_SEARCH).where(SAVED_SEARCH.c.name == name))


def rule_toml(saved: SavedSearch, weight: int = 3) -> str:
    """The saved search as a ``[[rules]]`` table (its query in the rule language)."""
    rule = parse_search(saved.query).rule
    return (
        "\n[[rules]]\n"
        f"id = {json.dumps(saved.name, ensure_ascii=False)}\n"
        f"query = {json.dumps(rule, ensure_ascii=False)}\n"
        f"weight = {weight}\n"
    )


def promote(saved: SavedSearch, path: Path, weight: int = 3) -> str:
    """Append the saved search to watchlist file ``path`` as a rule; the rule text.

    The file's directory is loaded afterwards as the daemon would; if the rule breaks
    it (an id already used, a keyword too broad), the file is put back as it was.
    """
    if path.suffix != ".toml":
        raise InvalidInput(f"--to-watchlist: a watchlist file ends in .toml, not {path.name!r}")
    before = path.read_text(encoding="utf-8") if path.exists() else None
    text = rule_toml(saved, weight)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)
    try:
        load_watchlists(path.parent)
    except WatchlistError as exc:
        if before is None:
            path.unlink()
        else:
            path.write_text(before, encoding="utf-8")
        raise InvalidInput(f"the rule was not added to {path}: {exc}") from None
    return text
