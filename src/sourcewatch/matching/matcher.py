"""One Aho-Corasick automaton over every alias, exclude phrase and rule keyword.

``Matcher.match(text)``: normalize, scan, keep the candidates whose
surroundings make them a word (see :mod:`forms`), then, only for texts that
matched, map spans back into the original text and filter, in this order:

1. mentions inside an exclude phrase of their entity (its negative contexts);
2. mentions and keywords inside a URL or @handle, unless the entity has
   ``in_urls`` (see :mod:`context`);
3. case-sensitive aliases whose surface differs in case (``HTS`` vs "hts");
4. overlaps: the leftmost-longest mention wins;
5. ambiguous aliases (``مالي``: Mali or "financial") without another mention
   of the same area within ``CONTEXT_WORDS`` words.

Rules are then evaluated on what is left. ``Matcher.explain(text)`` runs the
same steps and records why each candidate was kept or dropped and how each
rule's operands evaluated (see :mod:`explain`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import ahocorasick

from sourcewatch.matching.context import address_regions, close_quotes, inside
from sourcewatch.matching.explain import Explanation, KeywordHit, MentionTrace, RuleTrace
from sourcewatch.matching.forms import (
    EXACT_SCORE,
    INFLECTED_SCORE,
    MAX_PREFIX,
    MAX_SUFFIX,
    Form,
    alias_forms,
)
from sourcewatch.matching.normalize import (
    collapse,
    fold_parts,
    normalization_steps,
    normalize,
)
from sourcewatch.matching.offsets import OffsetMap, OneToOneMap, offset_map
from sourcewatch.matching.query import Term, evaluate, explain_node, positive_terms, triggers
from sourcewatch.matching.results import NO_MATCH, EntityMatch, MatchResult
from sourcewatch.matching.watchlist import Entity, Rule, Watchlists, load_watchlists

ENTITY, EXCLUDE, KEYWORD = 0, 1, 2
CONTEXT_WORDS = 20  # an ambiguous alias needs another mention of its area this close


@dataclass(frozen=True, slots=True)
class _Target:
    kind: int
    ref: str  # entity id, or the keyword as written in the query
    alias: str  # as written in the watchlist
    form: Form
    strict_case: bool = False
    ambiguous: bool = False


@dataclass(slots=True)  # not frozen: a frozen __init__ costs 3x, and hits are never changed
class _Hit:
    start: int  # in normalized text, whole words
    end: int
    target: _Target
    exact: bool
    prefix: str
    suffix: str


class _Trace:
    """What ``explain`` collects while ``_resolve`` filters: dropped hits and why."""

    def __init__(self) -> None:
        self.dropped: list[tuple[_Hit, str]] = []
        self.spans: dict[tuple[str, str], list[tuple[int, int]]] = {}

    def drop(self, hits: Iterable[_Hit], reason: str) -> None:
        self.dropped.extend((hit, reason) for hit in hits)


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
                flags = (alias in entity.case_sensitive, alias in entity.ambiguous)
                _add(targets, ENTITY, entity.id, alias, *flags)
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
        self._needs_offsets = any(e.case_sensitive or e.ambiguous for e in self._entities.values())

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
        # Kept: the offset map of a text that matched starts from them.
        folded, kept_length = fold_parts(text)
        normalized = collapse(folded)
        hits = self._scan(normalized)
        if not hits:
            return NO_MATCH
        return self._resolve(text, normalized, hits, None, folded=(folded, kept_length))

    def explain(self, text: str) -> Explanation:
        """``match`` with its reasons: every candidate mention (kept or dropped, and why),
        the affixes and normalization steps behind it, and every rule's operands."""
        offsets = OffsetMap(text)
        normalized = offsets.normalized
        trace = _Trace()
        hits = self._scan(normalized)
        result = self._resolve(text, normalized, hits, offsets, trace)
        kept = {(m.entity, m.start) for m in result.matches}
        mentions: dict[tuple[str, int, int, str], MentionTrace] = {}
        for hit, reason in [(h, "") for h in hits if h.target.kind == ENTITY] + trace.dropped:
            start, end = offsets.original_span(hit.start, hit.end)
            if not reason and (hit.target.ref, start) not in kept:
                continue  # reported by the trace with its reason, or a duplicate form
            key = (hit.target.ref, start, end, reason)
            mentions.setdefault(key, _mention_trace(text, hit, start, end, reason))
        ordered = sorted(mentions.values(), key=lambda m: (m.start, m.reason != ""))
        spans = trace.spans
        word_index = _word_index(normalized)
        rules = [
            RuleTrace(
                rule.id,
                " ".join(rule.query.split()),
                rule.id in result.rules,
                explain_node(
                    rule.node,
                    _spans_getter(spans),
                    word_index,
                    surface=lambda span: text[slice(*offsets.original_span(*span))],
                ),
                tuple((t.kind, t.value) for t in positive_terms(rule.node)),
            )
            for rule in self._rules
            if any(spans.get((t.kind, t.value)) for t in rule.node.terms())
        ]
        keywords = [
            KeywordHit(value, start, end, text[start:end])
            for (kind, value), found in spans.items()
            if kind == "keyword"
            for start, end in (offsets.original_span(*span) for span in found)
        ]
        keywords.sort(key=lambda k: (k.start, k.end))
        return Explanation(text, normalized, result, ordered, rules, keywords)

    def locate(self, text: str) -> tuple[MatchResult, dict[tuple[str, str], list[tuple[int, int]]]]:
        """``match`` plus where each rule term (("entity", id) or ("keyword", text)) was
        found, as spans of ``text``: what search highlights in its snippets."""
        offsets = OffsetMap(text)
        trace = _Trace()
        result = self._resolve(
            text, offsets.normalized, self._scan(offsets.normalized), offsets, trace
        )
        spans = {
            term: [offsets.original_span(*span) for span in found]
            for term, found in trace.spans.items()
        }
        return result, spans

    def _scan(self, normalized: str) -> list[_Hit]:
        if self.key_count == 0:
            return []
        hits: list[_Hit] = []
        length = len(normalized)
        for last, (key_length, targets) in self._automaton.iter(normalized):
            start, end = last - key_length + 1, last + 1
            word_start = start
            if start and normalized[start - 1] != " ":  # a prefix, or inside a longer word
                word_start = _word_tail.search(
                    normalized, max(0, start - MAX_PREFIX - 1), start
                ).start()  # type: ignore[union-attr]
                if start - word_start > MAX_PREFIX:
                    continue  # inside a longer word than any prefix allows
            word_end = end
            long_tail = False
            if end < length and normalized[end] != " ":  # an ending, or a longer word
                word_end = _word_run.match(normalized, end).end()  # type: ignore[union-attr]
                long_tail = word_end - end > MAX_SUFFIX
                # only a prefix alias ("вагнеров*") accepts any ending
                if long_tail and not any(t.form.open_end for t in targets):
                    continue
            prefix, suffix = normalized[word_start:start], normalized[end:word_end]
            for target in targets:
                form = target.form
                if (form.open_end or not long_tail) and form.accepts(prefix, suffix):
                    exact = not prefix and form.key + suffix == form.full
                    hits.append(_Hit(word_start, word_end, target, exact, prefix, suffix))
        return hits

    def _resolve(
        self,
        text: str,
        normalized: str,
        hits: list[_Hit],
        offsets: OffsetMap | OneToOneMap | None,
        trace: _Trace | None = None,
        folded: tuple[str, bool] | None = None,
    ) -> MatchResult:
        mentions = [h for h in hits if h.target.kind == ENTITY]
        keywords = [h for h in hits if h.target.kind == KEYWORD]
        excluded = [h for h in hits if h.target.kind == EXCLUDE]
        if excluded:
            mentions = _drop(
                mentions,
                lambda m: _inside_exclusion(m, excluded),
                trace,
                "inside an exclude phrase (negative context) of its entity",
            )
        regions = address_regions(text) if mentions or keywords else []
        if (mentions or (regions and keywords)) and offsets is None:
            folded_text, kept_length = fold_parts(text) if folded is None else folded
            offsets = offset_map(text, folded_text, normalized, kept_length)
            if offsets.normalized != normalized:  # rare: token-wise NFKC differs; rescan that
                return self._resolve(
                    text, offsets.normalized, self._scan(offsets.normalized), offsets, trace
                )
        if regions:
            assert offsets is not None
            in_address = _in_regions(offsets, regions)
            mentions = _drop(
                mentions,
                lambda m: in_address(m) and not self._entities[m.target.ref].in_urls,
                trace,
                "inside a URL or @handle (the entity does not set in_urls)",
            )
            keywords = [k for k in keywords if not in_address(k)]
        if self._needs_offsets and mentions:
            assert offsets is not None
            mentions = _drop(
                mentions,
                lambda m: not _case_agrees(text, m, offsets),
                trace,
                "case-sensitive alias written in another case",
            )
        mentions = _leftmost_longest(mentions, trace)
        if self._needs_offsets and mentions:
            mentions = self._with_context(mentions, normalized, trace)
        spans = self._spans(mentions, keywords)
        if trace is not None:
            trace.spans = spans
        fired = self._fired_rules(spans, normalized)
        matches = [self._entity_match(text, hit, offsets) for hit in mentions]
        if not matches and not fired:
            return NO_MATCH
        weights = [m.weight for m in matches] + [r.weight for r in fired]
        areas = {a for m in matches for a in m.areas} | {a for r in fired for a in r.areas}
        heaviest_first = sorted(fired, key=lambda r: -r.weight)
        return MatchResult(
            matches,
            [r.id for r in fired],
            max(weights),
            tuple(sorted(areas)),
            tuple(r.areas for r in heaviest_first),
        )

    def _with_context(
        self, mentions: list[_Hit], normalized: str, trace: _Trace | None
    ) -> list[_Hit]:
        """Ambiguous aliases count only near an unambiguous mention of a shared area."""
        if not any(m.target.ambiguous for m in mentions):
            return mentions
        word_index = _word_index(normalized)
        anchors = [m for m in mentions if not m.target.ambiguous]

        def has_context(hit: _Hit) -> bool:
            areas = set(self._entities[hit.target.ref].areas)
            position = word_index(hit.start)
            return any(
                a.target.ref != hit.target.ref
                and areas & set(self._entities[a.target.ref].areas)
                and abs(word_index(a.start) - position) <= CONTEXT_WORDS
                for a in anchors
            )

        return _drop(
            mentions,
            lambda m: m.target.ambiguous and not has_context(m),
            trace,
            f"ambiguous alias with no other term of its area within {CONTEXT_WORDS} words",
        )

    @staticmethod
    def _spans(
        mentions: list[_Hit], keywords: list[_Hit]
    ) -> dict[tuple[str, str], list[tuple[int, int]]]:
        spans: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for hit in mentions:
            spans.setdefault(("entity", hit.target.ref), []).append((hit.start, hit.end))
        for hit in keywords:
            spans.setdefault(("keyword", hit.target.ref), []).append((hit.start, hit.end))
        return spans

    def _fired_rules(
        self, spans: dict[tuple[str, str], list[tuple[int, int]]], normalized: str
    ) -> list[Rule]:
        # Only rules one of whose trigger terms occurs can fire (see query.triggers).
        candidates = sorted({p for term in spans for p in self._rules_by_term.get(term, ())})
        if not candidates:
            return []
        rules = [self._rules[p] for p in candidates]
        spans_of, word_index = _spans_getter(spans), _word_index(normalized)
        return [rule for rule in rules if evaluate(rule.node, spans_of, word_index)]

    def _entity_match(
        self, text: str, hit: _Hit, offsets: OffsetMap | OneToOneMap | None
    ) -> EntityMatch:
        assert offsets is not None
        start, end = offsets.original_span(hit.start, hit.end)
        end = close_quotes(text, start, end)
        entity = self._entities[hit.target.ref]
        score = EXACT_SCORE if hit.exact else INFLECTED_SCORE
        return EntityMatch(
            entity.id,
            hit.target.alias,
            start,
            end,
            text[start:end],
            score,
            entity.areas,
            entity.kind,
            entity.weight,
        )


# \w is str.isalnum() or "_", and folding turns "_" into a space: in normalized text
# these are the runs of alphanumerics the scan used to walk character by character.
_word_tail = re.compile(r"\w*\Z")
_word_run = re.compile(r"\w*")


def _add(
    targets: dict[str, dict[_Target, None]],
    kind: int,
    ref: str,
    alias: str,
    strict_case: bool = False,
    ambiguous: bool = False,
) -> None:
    for form in alias_forms(alias, normalize(alias)):
        found = targets.setdefault(form.key, {})
        if not any(t.kind == kind and t.ref == ref and t.form == form for t in found):
            found[_Target(kind, ref, alias, form, strict_case, ambiguous)] = None


def _drop(
    hits: list[_Hit], condition: Callable[[_Hit], bool], trace: _Trace | None, reason: str
) -> list[_Hit]:
    kept = [h for h in hits if not condition(h)]
    if trace is not None and len(kept) != len(hits):
        trace.drop([h for h in hits if condition(h)], reason)
    return kept


def _spans_getter(
    spans: dict[tuple[str, str], list[tuple[int, int]]],
) -> Callable[[Term], list[tuple[int, int]]]:
    def spans_of(term: Term) -> list[tuple[int, int]]:
        return spans.get((term.kind, term.value), [])

    return spans_of


def _word_index(normalized: str) -> Callable[[int], int]:
    def word_index(position: int) -> int:
        return normalized.count(" ", 0, position)

    return word_index


def _in_regions(
    offsets: OffsetMap | OneToOneMap, regions: list[tuple[int, int]]
) -> Callable[[_Hit], bool]:
    def in_address(hit: _Hit) -> bool:
        return inside(offsets.original_span(hit.start, hit.end), regions)

    return in_address


def _case_agrees(text: str, hit: _Hit, offsets: OffsetMap | OneToOneMap) -> bool:
    if not hit.target.strict_case:
        return True
    start, end = offsets.original_span(hit.start, hit.end)
    return hit.target.alias.rstrip("*").strip() in text[start:end]


def _mention_trace(text: str, hit: _Hit, start: int, end: int, reason: str) -> MentionTrace:
    end = close_quotes(text, start, end)
    surface = text[start:end]
    return MentionTrace(
        entity=hit.target.ref,
        alias=hit.target.alias,
        surface=surface,
        start=start,
        end=end,
        key=hit.target.form.key,
        prefix=hit.prefix,
        suffix=hit.suffix,
        affixes=hit.target.form.affix_kind(hit.prefix, hit.suffix),
        steps=normalization_steps(surface),
        kept=not reason,
        reason=reason,
    )


def _inside_exclusion(mention: _Hit, exclusions: Iterable[_Hit]) -> bool:
    return any(
        x.target.ref == mention.target.ref and x.start <= mention.start and mention.end <= x.end
        for x in exclusions
    )


def _leftmost_longest(mentions: list[_Hit], trace: _Trace | None = None) -> list[_Hit]:
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
        elif trace is not None and hit.target.ref != kept[-1].target.ref:
            trace.drop([hit], f"overlaps a longer or earlier mention of {kept[-1].target.ref}")
    return kept


def load_matcher(watchlists_dir: Path) -> Matcher:
    """Load, validate and compile ``watchlists_dir``; raises ``WatchlistError``."""
    return Matcher(load_watchlists(watchlists_dir))
