"""The rule query language: parsing, errors with columns, evaluation."""

from __future__ import annotations

import pytest

from sourcewatch.matching.query import (
    And,
    Near,
    Not,
    Or,
    QuerySyntaxError,
    Term,
    evaluate,
    parse,
    triggers,
)

WAGNER, MALI, GAO = Term("entity", "wagner"), Term("entity", "mali"), Term("entity", "gao")
FILM = Term("keyword", "film")


def test_precedence_not_and_or() -> None:
    node = parse('wagner AND (mali OR gao) AND NOT "film"')
    assert node == And((WAGNER, Or((MALI, GAO)), Not(FILM)))
    assert parse("wagner OR mali AND gao") == Or((WAGNER, And((MALI, GAO))))


def test_near() -> None:
    assert parse("wagner NEAR/5 (mali OR gao)") == Near(WAGNER, Or((MALI, GAO)), 5)
    assert set(parse('wagner NEAR/0 "film"').terms()) == {WAGNER, FILM}


@pytest.mark.parametrize(
    ("query", "message", "column"),
    [
        ("", "empty query", 1),
        ("wagner AND", "expected an entity id", 11),
        ("wagner and mali", "operators are upper case: write AND", 8),
        ("(wagner OR mali", "expected ')'", 16),
        ('wagner AND "film', "unterminated quoted keyword", 12),
        ("wagner mali", "expected AND, OR or the end", 8),
        ("wagner NEAR mali", "NEAR needs a distance", 8),
        ("(wagner AND mali) NEAR/3 gao", "NEAR/n joins", 1),
        ("wagner NEAR/3 mali NEAR/2 gao", "chain NEAR with AND", 20),
        ("wagner & mali", "unexpected character '&'", 8),
        ('wagner AND ""', "empty quoted keyword", 12),
    ],
)
def test_syntax_errors_name_the_column(query: str, message: str, column: int) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(query)
    assert message in str(caught.value)
    assert caught.value.column == column


def _spans(found: dict[Term, list[tuple[int, int]]]):
    return lambda term: found.get(term, [])


def test_evaluate() -> None:
    node = parse('wagner AND (mali OR gao) AND NOT "film"')
    word = lambda position: position // 10  # noqa: E731  (each word 10 characters wide)
    assert evaluate(node, _spans({WAGNER: [(0, 6)], GAO: [(20, 23)]}), word)
    assert not evaluate(node, _spans({WAGNER: [(0, 6)], GAO: [(20, 23)], FILM: [(30, 34)]}), word)
    assert not evaluate(node, _spans({WAGNER: [(0, 6)]}), word)


def test_near_counts_words_between() -> None:
    node = parse("wagner NEAR/2 mali")
    word = lambda position: position // 10  # noqa: E731
    assert evaluate(node, _spans({WAGNER: [(0, 6)], MALI: [(30, 34)]}), word)  # 2 between
    assert not evaluate(node, _spans({WAGNER: [(0, 6)], MALI: [(40, 44)]}), word)  # 3 between
    assert evaluate(node, _spans({WAGNER: [(40, 46)], MALI: [(10, 14)]}), word)  # either order


def test_triggers_pick_the_selective_side() -> None:
    assert triggers(parse('wagner AND ("film" OR mali)')) == {WAGNER}
    assert triggers(parse("wagner OR mali")) == {WAGNER, MALI}
    assert triggers(parse("NOT wagner")) is None
