"""One Aho-Corasick automaton over every alias, exclude phrase and rule keyword.

``Matcher.match(text)``: normalize, scan, keep the candidates whose
surroundings make them a word (see :mod:`forms`), drop those inside an
exclude phrase of their entity, keep the leftmost-longest of overlapping
mentions, evaluate the rules that name something found, and only then, for
texts that matched, map spans back into the original text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import ahocorasick

from sourcewatch.matching.forms import (
    EXACT_SCORE,
    INFLECTED_SCORE,
    MAX_PREFIX,
    MAX_SUFFIX,
    Form,
    alias_forms,
)
from sourcewatch.matching.normalize import normalize
from sourcewatch.matching.offsets import OffsetMap
from sourcewatch.matching.query import Term, evaluate, triggers
from sourcewatch.matching.results import NO_MATCH, EntityMatch, MatchResult
from sourcewatch.matching.watchlist import Entity, Rule, Watchlists, load_watchlists

ENTITY, EXCLUDE, KEYWORD = 0, 1, 2


@dataclass(frozen=True, slots=True)
class _Target:
    kind: int
    ref: str  # entity id, or the keyword as written in the query
    alias: str  # as written in the watchlist
    form: Form


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int  # in normalized text, whole words
    end: int
    target: _Target
    exact: bool


class Matcher:
    """Built once per watchlist version; ``match`` is safe to call from many threads."""

    def __init__(self, watchlists: Watchlists) -> None:
        self.version = watchlists.version
        self._entities = dict(watchlists.entities)
        self._rules = list(watchlists.rules)
        self._rules_by_term: dict[tuple[str, str], list[int]] = {}
        targets: dict[str, dict[_Target, None]] = {}
        for entity in self._entities.values():
            for alias in entity.aliases:
                _add(targets, ENTITY, entity.id, alias)
            for phrase in entity.exclude:
                _add(targets, EXCLUDE, entity.id, phrase)
        for position, rule in enumerate(self._rules):
            for term in set(rule.node.terms()):
                if term.kind == "keyword":
                    _add(targets, KEYWORD, term.value, term.value)
            for term in triggers(rule.node) or set(rule.node.terms()):
                self._rules_by_term.setdefault((term.kind, term.value), []).append(position)
        self._automaton = ahocorasick.Automaton()
        for key, found in targets.items():
            self._automaton.add_word(key, (len(key), tuple(found)))
        if targets:
            self._automaton.make_automaton()
        self.key_count = len(targets)

    @property
    def entities(self) -> dict[str, Entity]:
        return dict(self._entities)

    @property
    def rules(self) -> list[Rule]:
        return list(self._rules)

    def entity(self, entity_id: str) -> Entity:
        """The entity with this id (name, weight, areas ...); KeyError when unknown."""
        return self._entities[entity_id]

    def match(self, text: str) -> MatchResult:
        normalized = normalize(text)
        hits = self._scan(normalized)
        if not hits:
            return NO_MATCH
        return self._resolve(text, normalized, hits, None)

    def _scan(self, normalized: str) -> list[_Hit]:
        if self.key_count == 0:
            return []
        hits: list[_Hit] = []
        length = len(normalized)
        for last, (key_length, targets) in self._automaton.iter(normalized):
            start, end = last - key_length + 1, last + 1
            word_start = start
            limit = max(0, start - MAX_PREFIX)
            while word_start > limit and normalized[word_start - 1].isalnum():
                word_start -= 1
            if word_start > 0 and normalized[word_start - 1].isalnum():
                continue  # inside a longer word than any prefix allows
            word_end = end
            limit = min(length, end + MAX_SUFFIX)
            while word_end < limit and normalized[word_end].isalnum():
                word_end += 1
            if word_end < length and normalized[word_end].isalnum():
                continue
            prefix, suffix = normalized[word_start:start], normalized[end:word_end]
            for target in targets:
                form = target.form
                if prefix in form.prefixes and suffix in form.suffixes:
                    exact = form.exact and not prefix and not suffix
                    hits.append(_Hit(word_start, word_end, target, exact))
        return hits

    def _resolve(
        self, text: str, normalized: str, hits: list[_Hit], offsets: OffsetMap | None
    ) -> MatchResult:
        mentions = [h for h in hits if h.target.kind == ENTITY]
        excluded = [h for h in hits if h.target.kind == EXCLUDE]
        if excluded:
            mentions = [m for m in mentions if not _inside_exclusion(m, excluded)]
        mentions = _leftmost_longest(mentions)
        if mentions and offsets is None:
            offsets = OffsetMap(text)
            if offsets.normalized != normalized:  # rare: token-wise NFKC differs; rescan that
                return self._resolve(
                    text, offsets.normalized, self._scan(offsets.normalized), offsets
                )
        spans: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for hit in mentions:
            spans.setdefault(("entity", hit.target.ref), []).append((hit.start, hit.end))
        for hit in hits:
            if hit.target.kind == KEYWORD:
                spans.setdefault(("keyword", hit.target.ref), []).append((hit.start, hit.end))
        fired = self._fired_rules(spans, normalized)
        matches = [self._entity_match(text, hit, offsets) for hit in mentions]
        if not matches and not fired:
            return NO_MATCH
        weights = [self._entities[m.entity].weight for m in matches] + [r.weight for r in fired]
        areas = {a for m in matches for a in m.areas} | {a for r in fired for a in r.areas}
        return MatchResult(matches, [r.id for r in fired], max(weights), tuple(sorted(areas)))

    def _fired_rules(
        self, spans: dict[tuple[str, str], list[tuple[int, int]]], normalized: str
    ) -> list[Rule]:
        # Only rules one of whose trigger terms occurs can fire (see query.triggers).
        candidates = sorted({p for term in spans for p in self._rules_by_term.get(term, ())})
        if not candidates:
            return []

        def spans_of(term: Term) -> list[tuple[int, int]]:
            return spans.get((term.kind, term.value), [])

        def word_index(position: int) -> int:
            return normalized.count(" ", 0, position)

        rules = [self._rules[p] for p in candidates]
        return [rule for rule in rules if evaluate(rule.node, spans_of, word_index)]

    def _entity_match(self, text: str, hit: _Hit, offsets: OffsetMap | None) -> EntityMatch:
        assert offsets is not None
        start, end = offsets.original_span(hit.start, hit.end)
        entity = self._entities[hit.target.ref]
        score = EXACT_SCORE if hit.exact else INFLECTED_SCORE
        return EntityMatch(
            entity.id, hit.target.alias, start, end, text[start:end], score, entity.areas
        )


def _add(targets: dict[str, dict[_Target, None]], kind: int, ref: str, alias: str) -> None:
    for form in alias_forms(alias, normalize(alias)):
        found = targets.setdefault(form.key, {})
        if not any(t.kind == kind and t.ref == ref and t.form == form for t in found):
            found[_Target(kind, ref, alias, form)] = None


def _inside_exclusion(mention: _Hit, exclusions: Iterable[_Hit]) -> bool:
    return any(
        x.target.ref == mention.target.ref and x.start <= mention.start and mention.end <= x.end
        for x in exclusions
    )


def _leftmost_longest(mentions: list[_Hit]) -> list[_Hit]:
    """Overlapping mentions: keep the one that starts first, then the longest; several
    entities sharing exactly the same span are all kept."""
    mentions.sort(key=lambda h: (h.start, -h.end, not h.exact))
    kept: list[_Hit] = []
    for hit in mentions:
        if kept and (hit.start, hit.end) == (kept[-1].start, kept[-1].end):
            same_span = [k for k in kept if (k.start, k.end) == (hit.start, hit.end)]
            if all(k.target.ref != hit.target.ref for k in same_span):
                kept.append(hit)
        elif not kept or hit.start >= kept[-1].end:
            kept.append(hit)
    return kept


def load_matcher(watchlists_dir: Path) -> Matcher:
    """Load, validate and compile ``watchlists_dir``; raises ``WatchlistError``."""
    return Matcher(load_watchlists(watchlists_dir))
