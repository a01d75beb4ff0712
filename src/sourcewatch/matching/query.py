"""The rule query language: parse once when watchlists load, evaluate per text.

Grammar (operators are upper case; NOT binds tightest, then NEAR, AND, OR)::

    query   := and ("OR" and)*
    and     := not ("AND" not)*
    not     := "NOT" not | near
    near    := primary ("NEAR/" n primary)?
    primary := ENTITY_ID | "quoted keyword" | "(" query ")"

``a NEAR/n b`` is true when a mention of ``a`` and one of ``b`` have at most
``n`` words between them (NEAR/0: adjacent). Its operands are entity ids,
keywords, or parenthesised OR-groups of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from sourcewatch.errors import InvalidInput

Span = tuple[int, int]


class QuerySyntaxError(InvalidInput):
    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"{message} (column {column})")
        self.column = column


@dataclass(frozen=True, slots=True)
class Term:
    kind: str  # "entity" | "keyword"
    value: str  # entity id, or the keyword as written

    def terms(self) -> Iterator[Term]:
        yield self


@dataclass(frozen=True, slots=True)
class Not:
    child: Node

    def terms(self) -> Iterator[Term]:
        yield from self.child.terms()


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]

    def terms(self) -> Iterator[Term]:
        for child in self.children:
            yield from child.terms()


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]

    def terms(self) -> Iterator[Term]:
        for child in self.children:
            yield from child.terms()


@dataclass(frozen=True, slots=True)
class Near:
    left: Node
    right: Node
    distance: int

    def terms(self) -> Iterator[Term]:
        yield from self.left.terms()
        yield from self.right.terms()


Node = Term | Not | And | Or | Near

_TOKEN = re.compile(
    r'\s*(?:(?P<lparen>\()|(?P<rparen>\))|"(?P<keyword>[^"]*)"|(?P<near>NEAR/(?P<n>\d+))'
    r"|(?P<word>[A-Za-z0-9_][A-Za-z0-9_.\-]*)|(?P<bad>\S))"
)
_OPERATORS = {"AND", "OR", "NOT"}


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # lparen rparen keyword near word op end
    text: str
    column: int  # 1-based


def _tokenize(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    for m in _TOKEN.finditer(query):
        kind = m.lastgroup if m.lastgroup != "n" else "near"
        if kind is None:
            continue  # trailing whitespace
        column = m.start(kind) + (0 if kind == "keyword" else 1)  # a keyword starts at its quote
        if kind == "bad":
            if m.group("bad") == '"':
                raise QuerySyntaxError("unterminated quoted keyword", column)
            raise QuerySyntaxError(f"unexpected character {m.group('bad')!r}", column)
        text = m.group(kind)
        if kind == "word" and text in _OPERATORS:
            kind = "op"
        elif kind == "word" and text.upper() == "NEAR":
            raise QuerySyntaxError("NEAR needs a distance in words: NEAR/5", column)
        elif kind == "word" and text.upper() in _OPERATORS:
            raise QuerySyntaxError(f"operators are upper case: write {text.upper()}", column)
        tokens.append(_Token(kind, text, column))
    tokens.append(_Token("end", "", len(query) + 1))
    return tokens


class _Parser:
    def __init__(self, query: str) -> None:
        self.tokens = _tokenize(query)
        self.index = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at_op(self, name: str) -> bool:
        return self.current.kind == "op" and self.current.text == name

    def parse(self) -> Node:
        if self.current.kind == "end":
            raise QuerySyntaxError("empty query", 1)
        node = self.parse_or()
        if self.current.kind != "end":
            raise QuerySyntaxError(
                f"expected AND, OR or the end, got {self._describe()}", self.current.column
            )
        return node

    def parse_or(self) -> Node:
        children = [self.parse_and()]
        while self.at_op("OR"):
            self.take()
            children.append(self.parse_and())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def parse_and(self) -> Node:
        children = [self.parse_not()]
        while self.at_op("AND"):
            self.take()
            children.append(self.parse_not())
        return children[0] if len(children) == 1 else And(tuple(children))

    def parse_not(self) -> Node:
        if self.at_op("NOT"):
            self.take()
            return Not(self.parse_not())
        return self.parse_near()

    def parse_near(self) -> Node:
        start = self.current.column
        left = self.parse_primary()
        if self.current.kind != "near":
            return left
        near = self.take()
        right_column = self.current.column
        right = self.parse_primary()
        for operand, column in ((left, start), (right, right_column)):
            if not _spans_of_node(operand):
                raise QuerySyntaxError(
                    "NEAR/n joins entity ids, keywords or (a OR b) groups of them", column
                )
        if self.current.kind == "near":
            raise QuerySyntaxError(
                "chain NEAR with AND: (a NEAR/3 b) AND (b NEAR/3 c)", self.current.column
            )
        return Near(left, right, int(near.text.split("/", 1)[1]))

    def parse_primary(self) -> Node:
        token = self.current
        if token.kind == "lparen":
            self.take()
            node = self.parse_or()
            if self.current.kind != "rparen":
                raise QuerySyntaxError(f"expected ')', got {self._describe()}", self.current.column)
            self.take()
            return node
        if token.kind == "keyword":
            self.take()
            if not token.text.strip():
                raise QuerySyntaxError("empty quoted keyword", token.column)
            return Term("keyword", token.text)
        if token.kind == "word":
            self.take()
            return Term("entity", token.text)
        raise QuerySyntaxError(
            f"expected an entity id, a \"keyword\" or '(', got {self._describe()}", token.column
        )

    def _describe(self) -> str:
        token = self.current
        return "the end" if token.kind == "end" else repr(token.text)


def _spans_of_node(node: Node) -> bool:
    """Whether ``node`` denotes places in the text (needed by NEAR)."""
    if isinstance(node, Term):
        return True
    if isinstance(node, Or):
        return all(_spans_of_node(child) for child in node.children)
    return False


def parse(query: str) -> Node:
    """Parse a rule query; raises :class:`QuerySyntaxError` naming the column."""
    return _Parser(query).parse()


SpansOf = Callable[[Term], Sequence[Span]]
WordIndex = Callable[[int], int]


def evaluate(node: Node, spans_of: SpansOf, word_index: WordIndex) -> bool:
    """Whether ``node`` holds for a text whose mentions ``spans_of`` returns."""
    if isinstance(node, Term):
        return bool(spans_of(node))
    if isinstance(node, Not):
        return not evaluate(node.child, spans_of, word_index)
    if isinstance(node, And):
        return all(evaluate(child, spans_of, word_index) for child in node.children)
    if isinstance(node, Or):
        return any(evaluate(child, spans_of, word_index) for child in node.children)
    left, right = _collect(node.left, spans_of), _collect(node.right, spans_of)
    return any(_words_between(a, b, word_index) <= node.distance for a in left for b in right)


def _collect(node: Node, spans_of: SpansOf) -> list[Span]:
    if isinstance(node, Term):
        return list(spans_of(node))
    assert isinstance(node, Or)  # guaranteed by the parser
    return [span for child in node.children for span in _collect(child, spans_of)]


def _words_between(a: Span, b: Span, word_index: WordIndex) -> int:
    first, second = (a, b) if a[0] <= b[0] else (b, a)
    if second[0] < first[1]:
        return 0  # overlapping mentions
    return max(0, word_index(second[0]) - word_index(first[1] - 1) - 1)


def triggers(node: Node) -> frozenset[Term] | None:
    """Terms of which at least one must occur for ``node`` to hold (None: no such set,
    e.g. under NOT). Lets the matcher skip rules that cannot fire; for AND it picks the
    most selective child (entities before keywords, fewer terms first)."""
    if isinstance(node, Term):
        return frozenset({node})
    if isinstance(node, Not):
        return None
    if isinstance(node, Or):
        found = [triggers(child) for child in node.children]
        if any(f is None for f in found):
            return None
        return frozenset().union(*found)  # type: ignore[arg-type]
    children = node.children if isinstance(node, And) else (node.left, node.right)
    options = [f for f in map(triggers, children) if f is not None]
    if not options:
        return None
    return min(options, key=lambda f: (sum(t.kind == "keyword" for t in f), len(f)))


def describe(node: Node) -> str:
    """The query text of ``node`` (canonical spacing), for explanations."""
    if isinstance(node, Term):
        return node.value if node.kind == "entity" else f'"{node.value}"'
    if isinstance(node, Not):
        return f"NOT {describe(node.child)}"
    if isinstance(node, Near):
        return f"{describe(node.left)} NEAR/{node.distance} {describe(node.right)}"
    joiner = " AND " if isinstance(node, And) else " OR "
    return "(" + joiner.join(describe(child) for child in node.children) + ")"


def explain_node(
    node: Node,
    spans_of: SpansOf,
    word_index: WordIndex,
    depth: int = 0,
    surface: Callable[[Span], str] | None = None,
) -> list[str]:
    """One line per operand of ``node``: whether it held (with the surface forms found,
    when ``surface`` gives them), and for NEAR the closest distance found; nested
    operands are indented under their operator."""
    value = evaluate(node, spans_of, word_index)
    pad = "  " * depth
    if isinstance(node, Term):
        spans = spans_of(node)
        found = f"{len(spans)} mention(s)" if spans else "not in the text"
        if spans and surface is not None:
            found += ": " + ", ".join(dict.fromkeys(surface(span) for span in spans))
        return [f"{pad}{describe(node)}: {str(value).lower()} ({found})"]
    if isinstance(node, Near):
        left, right = _collect(node.left, spans_of), _collect(node.right, spans_of)
        if not left or not right:
            missing = " and ".join(
                describe(side)
                for side, spans in ((node.left, left), (node.right, right))
                if not spans
            )
            detail = f"{missing} not in the text"
        else:
            closest = min(_words_between(a, b, word_index) for a in left for b in right)
            detail = f"closest pair {closest} word(s) apart, at most {node.distance} allowed"
        return [f"{pad}{describe(node)}: {str(value).lower()} ({detail})"]
    lines = [f"{pad}{describe(node)}: {str(value).lower()}"]
    children = (node.child,) if isinstance(node, Not) else node.children
    for child in children:
        lines.extend(explain_node(child, spans_of, word_index, depth + 1, surface))
    return lines


def positive_terms(node: Node) -> frozenset[Term]:
    """Terms whose presence counts *for* ``node`` (every term not under NOT): the
    mentions that show why a fired rule fired."""
    if isinstance(node, Term):
        return frozenset({node})
    if isinstance(node, Not):
        return frozenset()
    children = node.children if isinstance(node, And | Or) else (node.left, node.right)
    return frozenset().union(*(positive_terms(child) for child in children))
