"""Multilingual watchlist matching.

``load_matcher(dir)`` reads ``watchlists/*.toml`` and compiles one automaton;
``Matcher.match(text)`` returns the entities and rules a text mentions, with
spans into the original text. ``Matcher.version`` changes whenever a file does
(compare with ``watchlists_version(dir)`` to know when to rebuild).
"""

from sourcewatch.matching.matcher import Matcher, load_matcher
from sourcewatch.matching.normalize import normalize
from sourcewatch.matching.results import EntityMatch, MatchResult
from sourcewatch.matching.watchlist import (
    Entity,
    Rule,
    WatchlistError,
    Watchlists,
    load_watchlists,
    read_watchlists,
    watchlists_version,
)

__all__ = [
    "Entity",
    "EntityMatch",
    "MatchResult",
    "Matcher",
    "Rule",
    "WatchlistError",
    "Watchlists",
    "load_matcher",
    "load_watchlists",
    "normalize",
    "read_watchlists",
    "watchlists_version",
]
