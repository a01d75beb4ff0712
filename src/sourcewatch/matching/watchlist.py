"""Watchlist files (``watchlists/*.toml``): load, validate, report problems by file:line.

Each file has a default ``area``, ``[[entities]]`` (id, name, kind, weight,
aliases, exclude, areas, case_sensitive, ambiguous, in_urls) and ``[[rules]]``
(id, query, weight, areas). ``case_sensitive`` and ``ambiguous`` list aliases
(added to ``aliases`` when missing) that match only in exactly that case, or
only with context (see :mod:`matcher`); ``in_urls = true`` lets the entity match
inside URLs and @handles, which are otherwise not text. ``known_common`` lists
aliases that ``watchlists check`` reports as common words but that a person
checked: frequent because the name itself is (Россия, العراق). Loading
never stops at the first problem: every problem is collected as
``"file:line: message"`` so ``watchlists check`` can list them all.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sourcewatch.errors import SourcewatchError
from sourcewatch.matching.aliascheck import (
    broad_alias_reason,
    common_word_warnings,
    overlap_warnings,
)
from sourcewatch.matching.normalize import normalize
from sourcewatch.matching.query import Node, QuerySyntaxError, evaluate, parse
from sourcewatch.matching.tomlsource import TomlSource

KINDS = ("person", "organization", "place", "other")
_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")
_ENTITY_KEYS = {
    "id",
    "name",
    "kind",
    "weight",
    "aliases",
    "exclude",
    "areas",
    "case_sensitive",
    "ambiguous",
    "in_urls",
    "known_common",
}
_RULE_KEYS = {"id", "query", "weight", "areas", "description"}
_FILE_KEYS = {"area", "entities", "rules"}


class WatchlistError(SourcewatchError):
    """Watchlists that cannot be loaded; ``problems`` are "file:line: message" strings."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid watchlists:\n" + "\n".join(problems))


@dataclass(frozen=True, slots=True)
class Entity:
    id: str
    name: str
    kind: str
    weight: int
    aliases: tuple[str, ...]  # the name first, then the listed aliases
    exclude: tuple[str, ...]
    areas: tuple[str, ...]
    origin: str  # "file:line"
    case_sensitive: frozenset[str] = frozenset()  # aliases matched only in exactly this case
    ambiguous: frozenset[str] = frozenset()  # aliases that need a nearby term of the area
    in_urls: bool = False  # also match inside URLs and @handles
    known_common: frozenset[str] = frozenset()  # frequent because the name is: checked


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    query: str
    node: Node
    weight: int
    areas: tuple[str, ...]
    origin: str


@dataclass
class Watchlists:
    directory: Path
    files: list[Path] = field(default_factory=list)
    entities: dict[str, Entity] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    version: str = ""

    @property
    def alias_count(self) -> int:
        return sum(len(entity.aliases) for entity in self.entities.values())


def watchlist_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.toml") if p.is_file())


def watchlists_version(directory: Path) -> str:
    """A hash of every watchlist file's name and bytes: changes when any file changes."""
    digest = hashlib.sha256()
    for path in watchlist_files(directory):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def load_watchlists(directory: Path) -> Watchlists:
    """Load every ``*.toml`` in ``directory``; raises :class:`WatchlistError` on any problem."""
    watchlists = read_watchlists(directory)
    if watchlists.problems:
        raise WatchlistError(watchlists.problems)
    return watchlists


def check_watchlists(directory: Path) -> Watchlists:
    """``read_watchlists`` plus the slower checks only ``watchlists check`` runs: aliases
    that are common words by a word-frequency list (loading it takes a second or two,
    which the daemon's rebuilds should not pay)."""
    watchlists = read_watchlists(directory)
    watchlists.warnings.extend(common_word_warnings(watchlists.entities))
    return watchlists


def read_watchlists(directory: Path) -> Watchlists:
    """Load and validate, collecting problems instead of raising (for ``watchlists check``)."""
    result = Watchlists(directory=directory)
    if not directory.is_dir():
        result.problems.append(f"{directory}: watchlists directory does not exist")
        return result
    result.files = watchlist_files(directory)
    if not result.files:
        result.warnings.append(f"{directory}: no *.toml watchlist files: nothing will match")
    result.version = watchlists_version(directory)
    pending_rules: list[tuple[dict[str, Any], TomlSource, int, str]] = []
    for path in result.files:
        source = TomlSource.read(path, result.problems)
        if source is None:
            continue
        area = source.data.get("area", path.stem)
        for key in source.data.keys() - _FILE_KEYS:
            result.problems.append(f"{source.at(source.line_of_key(key))}: unknown key {key!r}")
        if not isinstance(area, str) or not area.strip():
            result.problems.append(f"{source.at(source.line_of_key('area'))}: 'area' must be text")
            area = path.stem
        for index, table in enumerate(_tables(source, "entities", result.problems)):
            entity = _entity(table, source, index, area, result.problems)
            if entity is None:
                continue
            if entity.id in result.entities:
                first = result.entities[entity.id].origin
                result.problems.append(
                    f"{entity.origin}: duplicate entity id {entity.id!r} (first at {first})"
                )
                continue
            result.entities[entity.id] = entity
        for index, table in enumerate(_tables(source, "rules", result.problems)):
            pending_rules.append((table, source, index, area))
    # Rules are checked after every file's entities are known (a rule may name any entity).
    rule_origins: dict[str, str] = {}
    for table, source, index, area in pending_rules:
        rule = _rule(table, source, index, area, result, rule_origins)
        if rule is not None:
            rule_origins[rule.id] = rule.origin
            result.rules.append(rule)
    result.warnings.extend(overlap_warnings(result.entities))
    return result


def _tables(source: TomlSource, kind: str, problems: list[str]) -> list[dict[str, Any]]:
    tables = source.data.get(kind, [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        problems.append(
            f"{source.at(source.line_of_key(kind))}: '{kind}' must be [[{kind}]] tables"
        )
        return []
    return tables


def _texts(value: Any) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _weight(table: dict[str, Any], default: int, where: str, problems: list[str]) -> int:
    weight = table.get("weight", default)
    if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 5:
        problems.append(f"{where}: weight must be a whole number from 1 to 5, not {weight!r}")
        return default
    return weight


def _areas(table: dict[str, Any], area: str, where: str, problems: list[str]) -> tuple[str, ...]:
    areas = table.get("areas", [area])
    if _texts(areas) is None or not areas:
        problems.append(f"{where}: areas must be a non-empty list of text")
        return (area,)
    return tuple(areas)


def _entity(
    table: dict[str, Any], source: TomlSource, index: int, area: str, problems: list[str]
) -> Entity | None:
    header = source.table_range("entities", index)[0]
    entity_id = table.get("id")
    where = source.at(
        source.line_of_text("entities", index, f"{entity_id}", "id") if entity_id else header
    )
    for key in sorted(table.keys() - _ENTITY_KEYS):
        problems.append(
            f"{source.at(source.line_of_text('entities', index, key))}: unknown key {key!r}"
        )
    if not isinstance(entity_id, str) or not _ID.match(entity_id):
        problems.append(
            f"{where}: entity id must be lower-case letters, digits, - or _, not {entity_id!r}"
        )
        return None
    name = table.get("name", entity_id)
    kind = table.get("kind", "other")
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{where}: entity {entity_id!r}: name must be text")
    if kind not in KINDS:
        problems.append(
            f"{where}: entity {entity_id!r}: kind must be one of {', '.join(KINDS)}, not {kind!r}"
        )
    aliases, exclude = _texts(table.get("aliases", [])), _texts(table.get("exclude", []))
    strict, ambiguous = _texts(table.get("case_sensitive", [])), _texts(table.get("ambiguous", []))
    known_common = _texts(table.get("known_common", []))
    if (
        aliases is None
        or exclude is None
        or strict is None
        or ambiguous is None
        or known_common is None
    ):
        problems.append(
            f"{where}: entity {entity_id!r}: aliases, exclude, case_sensitive, ambiguous and "
            "known_common must be lists of text"
        )
        return None
    in_urls = table.get("in_urls", False)
    if not isinstance(in_urls, bool):
        problems.append(f"{where}: entity {entity_id!r}: in_urls must be true or false")
        in_urls = False
    named = [name] if isinstance(name, str) else []
    all_aliases = list(dict.fromkeys([*named, *aliases, *strict, *ambiguous]))
    for alias in all_aliases:
        reason = broad_alias_reason(alias)
        if reason:
            line = source.line_of_text("entities", index, alias, "aliases")
            problems.append(f"{source.at(line)}: entity {entity_id!r}: alias {alias!r} {reason}")
    for phrase in exclude:
        if not normalize(phrase):
            line = source.line_of_text("entities", index, phrase, "exclude")
            problems.append(f"{source.at(line)}: entity {entity_id!r}: exclude {phrase!r} is empty")
    weight = _weight(table, 1, where, problems)
    areas = _areas(table, area, where, problems)
    # Kept even with problems (loading fails anyway), so rules naming it do not cascade.
    return Entity(
        entity_id,
        name,
        kind,
        weight,
        tuple(all_aliases),
        tuple(exclude),
        areas,
        where,
        frozenset(strict),
        frozenset(ambiguous),
        in_urls,
        frozenset(known_common),
    )


def _rule(
    table: dict[str, Any],
    source: TomlSource,
    index: int,
    area: str,
    watchlists: Watchlists,
    rule_origins: dict[str, str],
) -> Rule | None:
    problems = watchlists.problems
    rule_id, query = table.get("id"), table.get("query")
    start, end = source.table_range("rules", index)
    where = source.at(source.line_of_text("rules", index, f"{rule_id}", "id") if rule_id else start)
    before = len(problems)
    for key in sorted(table.keys() - _RULE_KEYS):
        problems.append(
            f"{source.at(source.line_of_text('rules', index, key))}: unknown key {key!r}"
        )
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        problems.append(
            f"{where}: rule id must be lower-case letters, digits, - or _, not {rule_id!r}"
        )
        return None
    if rule_id in rule_origins or rule_id in watchlists.entities:
        first = rule_origins.get(rule_id) or watchlists.entities[rule_id].origin
        problems.append(
            f"{where}: duplicate id {rule_id!r}: a rule id must differ from every entity "
            f"and rule id (first at {first})"
        )
    query_at = source.at(source.line_of_key("query", start, end))
    node = None
    if not isinstance(query, str):
        problems.append(f"{query_at}: rule {rule_id!r}: query must be text")
    else:
        try:
            node = parse(query)
        except QuerySyntaxError as exc:
            problems.append(f"{query_at}: rule {rule_id!r}: bad query: {exc}")
    if node is not None:
        for term in node.terms():
            if term.kind == "entity" and term.value not in watchlists.entities:
                problems.append(f"{query_at}: rule {rule_id!r}: unknown entity id {term.value!r}")
            elif term.kind == "keyword" and (reason := broad_alias_reason(term.value)):
                problems.append(f"{query_at}: rule {rule_id!r}: keyword {term.value!r} {reason}")
        if evaluate(node, lambda term: (), lambda position: 0):
            problems.append(
                f"{query_at}: rule {rule_id!r}: query is true for a text that mentions nothing "
                "(add a positive term)"
            )
    weight = _weight(table, 3, where, problems)
    areas = _areas(table, area, where, problems)
    if len(problems) > before or node is None or not isinstance(query, str):
        return None
    return Rule(rule_id, query, node, weight, areas, where)
