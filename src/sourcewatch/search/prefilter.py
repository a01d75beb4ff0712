"""From a parsed query to a word-index query that finds every possible hit.

Each keyword or entity alias becomes the written forms the matcher accepts
(``matching.forms.alias_forms``): one index word per allowed prefix (Arabic clitics:
للجيش for الجيش), the last word open-ended (``кидал*`` covers Кидаль, Кидале,
Кидалю), phrase words in order. NOT constrains nothing; NEAR needs both sides. The
result may find more than the query means (``gao*`` finds Gaoua); the matcher's own
evaluator then decides, so the index only has to never miss.
"""

from __future__ import annotations

from dataclasses import dataclass

from sourcewatch.matching.forms import alias_forms
from sourcewatch.matching.normalize import normalize
from sourcewatch.matching.query import Near, Node, Not, Or, Term
from sourcewatch.matching.watchlist import Entity
from sourcewatch.search.document import split_at_symbols


@dataclass(frozen=True)
class Pattern:
    words: tuple[str, ...]  # the last one open-ended
    clitic: str = ""  # the Arabic-script clitic the first word starts with, if any


@dataclass(frozen=True)
class Any_:
    patterns: tuple[Pattern, ...]  # at least one of these occurs


@dataclass(frozen=True)
class All:
    parts: tuple[Filter, ...]


@dataclass(frozen=True)
class Either:
    parts: tuple[Filter, ...]


Filter = Any_ | All | Either
NEVER = Any_(())  # a term nothing can match (it normalizes to no word)

# The Arabic-script clitics (``matching.forms``: conjunctions, prepositions, the article
# and their combinations) that PostgreSQL's index also strips from every word, as the
# function ``search_clitic_stems`` of migration 0019 does (a frozen copy: change both
# together, with a migration). Not the imperfect-verb prefixes (ي ت ن ...): most words
# would then get a second entry, for the rare defective-verb aliases only.
CLITICS = frozenset(
    [
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
)


def term_patterns(term: Term, entities: dict[str, Entity]) -> tuple[Pattern, ...]:
    """Every index pattern under which ``term`` can occur."""
    surfaces = entities[term.value].aliases if term.kind == "entity" else (term.value,)
    found: dict[Pattern, None] = {}
    for surface in surfaces:
        normalized = normalize(surface)
        for form in alias_forms(surface, normalized):
            words = split_at_symbols(form.key).split()
            if not words:
                continue
            # Not the form of ل + ال written لل (للهجوم for الهجوم): without its clitic
            # it leaves هجوم, a word of its own, far more frequent than the alias.
            strippable = normalized.startswith(form.key)
            for prefix in sorted(form.prefixes):
                clitic = prefix if strippable else ""
                found[Pattern((prefix + words[0], *words[1:]), clitic)] = None
    return tuple(found)


def build(node: Node, entities: dict[str, Entity]) -> Filter:
    """The index filter for ``node``: never None (an unconstrained query needs one of
    its terms, as the matcher considers a rule only when one of its terms occurs)."""
    built = _build(node, entities)
    if built is not None:
        return built
    terms = dict.fromkeys(node.terms())
    return _either([Any_(term_patterns(t, entities)) for t in terms])


def _build(node: Node, entities: dict[str, Entity]) -> Filter | None:
    if isinstance(node, Term):
        return Any_(term_patterns(node, entities))
    if isinstance(node, Not):
        return None
    if isinstance(node, Near):
        children: tuple[Node, ...] = (node.left, node.right)
    else:
        children = node.children
    parts = [_build(child, entities) for child in children]
    if isinstance(node, Or):
        if any(part is None for part in parts):
            return None
        return _either([p for p in parts if p is not None])
    kept = [p for p in parts if p is not None]
    if not kept:
        return None
    if any(p == NEVER for p in kept):
        return NEVER
    return kept[0] if len(kept) == 1 else All(tuple(kept))


def _either(parts: list[Filter]) -> Filter:
    parts = [p for p in parts if p != NEVER]
    if not parts:
        return NEVER
    return parts[0] if len(parts) == 1 else Either(tuple(parts))


def stemmed(spec: Filter) -> Filter:
    """The same filter for an index that also holds every word without its clitic
    (PostgreSQL, migration 0019: ``والجيش`` is indexed as ``الجيش`` too): a pattern
    with a clitic in :data:`CLITICS` becomes the bare one, so ``طالبان`` needs one index
    lookup instead of 23. Finds the same documents or more, never fewer."""
    if isinstance(spec, Any_):
        bare = {_bare(p): None for p in spec.patterns}
        return Any_(tuple(bare))
    parts = tuple(stemmed(part) for part in spec.parts)
    return All(parts) if isinstance(spec, All) else Either(parts)


def _bare(pattern: Pattern) -> Pattern:
    if pattern.clitic not in CLITICS:
        return pattern
    return Pattern((pattern.words[0][len(pattern.clitic) :], *pattern.words[1:]))


def pruned(spec: Filter) -> Filter:
    """The same filter without the patterns another one already covers: a one-word
    pattern ``w*`` finds every document that a pattern with a word starting with ``w``
    finds (``wagner*`` covers ``wagner group*``, ``вагнер*`` covers ``вагнеров*``). For
    matching only: a ranking function scores every pattern, so it gets the full one."""
    if isinstance(spec, Any_):
        singles = [p.words[0] for p in spec.patterns if len(p.words) == 1]
        kept = tuple(p for p in spec.patterns if not _covered(p, singles))
        return Any_(kept)
    parts = tuple(pruned(part) for part in spec.parts)
    return All(parts) if isinstance(spec, All) else Either(parts)


def _covered(pattern: Pattern, singles: list[str]) -> bool:
    return any(
        pattern.words != (w,) and any(word.startswith(w) for word in pattern.words) for w in singles
    )


def fts5(spec: Filter) -> str:
    """SQLite FTS5 query syntax (phrases as ``"a" + "b"*``)."""
    if isinstance(spec, Any_):
        return "(" + " OR ".join(_fts_phrase(p) for p in spec.patterns) + ")"
    joiner = " AND " if isinstance(spec, All) else " OR "
    return "(" + joiner.join(fts5(part) for part in spec.parts) + ")"


def _fts_phrase(pattern: Pattern) -> str:
    quoted = ['"' + word.replace('"', '""') + '"' for word in pattern.words]
    quoted[-1] += "*"
    return " + ".join(quoted)


def tsquery(spec: Filter) -> str:
    """PostgreSQL tsquery syntax over the verbatim words (a phrase: all of its words)."""
    if isinstance(spec, Any_):
        return "(" + " | ".join(_ts_words(p) for p in spec.patterns) + ")"
    joiner = " & " if isinstance(spec, All) else " | "
    return "(" + joiner.join(tsquery(part) for part in spec.parts) + ")"


def _ts_words(pattern: Pattern) -> str:
    quoted = ["'" + word.replace("\\", "\\\\").replace("'", "''") + "'" for word in pattern.words]
    quoted[-1] += ":*"
    return "(" + " & ".join(quoted) + ")"
