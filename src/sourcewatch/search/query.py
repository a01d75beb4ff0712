"""A search query: the watchlist rule language, with words written as they are.

``Кидаль AND (Гао OR @jnim) NEAR/5 "الجيش المالي"``: a bare word (any script) or a
"quoted phrase" is a keyword; ``@id`` is a watchlist entity (all its aliases, as the
matcher finds them); AND, OR, NOT, parentheses and NEAR/n are the rules' operators.
Two operands side by side mean AND. The query is rewritten into the rule language and
parsed by the rules' own parser (``matching.query.parse``), so the two cannot drift.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sourcewatch.errors import InvalidInput
from sourcewatch.matching.query import Node, Not, QuerySyntaxError, describe, parse, triggers

_TOKEN = re.compile(
    r'\s*(?:(?P<paren>[()])|"(?P<phrase>[^"]*)"|(?P<near>NEAR/\d+)|(?P<op>AND|OR|NOT)(?=[\s()"]|$)'
    r'|@(?P<entity>[A-Za-z0-9_][A-Za-z0-9_.\-]*)|(?P<word>[^\s()"]+)|(?P<quote>"))'
)


@dataclass(frozen=True)
class SearchQuery:
    text: str  # as the analyst wrote it
    rule: str  # the same query in the rule language (what a watchlist rule would say)
    node: Node

    @property
    def entities(self) -> set[str]:
        return {term.value for term in self.node.terms() if term.kind == "entity"}


def parse_search(text: str) -> SearchQuery:
    """Parse a search query; InvalidInput (exit 2) says what is wrong and where."""
    rule = _as_rule(text)
    try:
        node = parse(rule)
    except QuerySyntaxError as exc:
        raise InvalidInput(f"search query: {exc} in the rule form {rule!r}") from None
    if triggers(node) is None and isinstance(node, Not):
        raise InvalidInput("search query: needs at least one word to look for, not only NOT")
    return SearchQuery(text, describe(node), node)


def _as_rule(text: str) -> str:
    """The rule-language form: words quoted, @ dropped, AND between adjacent operands."""
    out: list[str] = []
    previous_operand = False
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind is None:
            continue
        if kind == "quote":
            raise InvalidInput(f"search query: unterminated quote (column {m.start(kind) + 1})")
        starts_operand = kind in ("phrase", "entity", "word") or m.group().strip() == "("
        starts_operand = starts_operand or (kind == "op" and m.group(kind) == "NOT")
        if previous_operand and starts_operand:
            out.append("AND")
        if kind == "phrase" or kind == "word":
            out.append(f'"{m.group(kind)}"')
        elif kind == "entity":
            out.append(m.group(kind))
        else:
            out.append(m.group(kind))
        previous_operand = kind in ("phrase", "entity", "word") or m.group().strip() == ")"
    return " ".join(out)
