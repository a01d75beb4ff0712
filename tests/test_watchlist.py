"""Watchlist files: loading, and every validation problem reported as file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from sourcewatch.matching import (
    WatchlistError,
    load_watchlists,
    read_watchlists,
    watchlists_version,
)

SHIPPED = Path(__file__).resolve().parents[1] / "watchlists"

SAHEL = """\
area = "sahel"

[[entities]]
id = "wagner"
name = "Wagner Group"
kind = "organization"
weight = 3
aliases = ["Wagner", "PMC Wagner", "Вагнер"]
exclude = ["Richard Wagner"]
areas = ["sahel", "libya"]

[[entities]]
id = "mali"
name = "Mali"
kind = "place"

[[rules]]
id = "wagner-in-mali"
query = 'wagner AND mali AND NOT "film"'
weight = 5
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_valid_file(tmp_path: Path) -> None:
    write(tmp_path, "sahel.toml", SAHEL)
    watchlists = load_watchlists(tmp_path)
    wagner = watchlists.entities["wagner"]
    assert wagner.aliases == (
        "Wagner Group",
        "Wagner",
        "PMC Wagner",
        "Вагнер",
    )  # the name is an alias
    assert wagner.exclude == ("Richard Wagner",)
    assert wagner.areas == ("sahel", "libya")
    assert wagner.origin == f"{tmp_path / 'sahel.toml'}:4"
    assert watchlists.entities["mali"].areas == ("sahel",)  # the file's area
    assert watchlists.entities["mali"].weight == 1
    (rule,) = watchlists.rules
    assert (rule.id, rule.weight, rule.areas) == ("wagner-in-mali", 5, ("sahel",))
    assert watchlists.problems == [] and watchlists.warnings == []


def problems_for(tmp_path: Path, *files: tuple[str, str]) -> list[str]:
    for name, text in files:
        write(tmp_path, name, text)
    with pytest.raises(WatchlistError) as caught:
        load_watchlists(tmp_path)
    return [p.replace(f"{tmp_path}/", "") for p in caught.value.problems]


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    other = '[[entities]]\nid = "mali"\nname = "Mali again"\n'
    problems = problems_for(tmp_path, ("a.toml", SAHEL), ("b.toml", other))
    assert problems == ["b.toml:2: duplicate entity id 'mali' (first at a.toml:13)"]


def test_unknown_id_in_rule(tmp_path: Path) -> None:
    text = SAHEL.replace("wagner AND mali", "wagner AND gao")
    assert problems_for(tmp_path, ("s.toml", text)) == [
        "s.toml:19: rule 'wagner-in-mali': unknown entity id 'gao'"
    ]


def test_bad_query_syntax(tmp_path: Path) -> None:
    text = SAHEL.replace("wagner AND mali AND", "wagner AND (mali OR")
    (problem,) = problems_for(tmp_path, ("s.toml", text))
    assert problem.startswith("s.toml:19: rule 'wagner-in-mali': bad query: expected ')'")
    assert "(column" in problem


@pytest.mark.parametrize(
    ("alias", "reason"),
    [
        ("IS", "has fewer than 3 letters"),
        ("the", "is a common word"),
        ("في", "has fewer than 3 letters"),
        ("что", "is a common word"),
        ("2023", "is only digits"),
        ("--", "is empty after normalization"),
    ],
)
def test_over_broad_alias(tmp_path: Path, alias: str, reason: str) -> None:
    text = SAHEL.replace('"PMC Wagner", ', f'"PMC Wagner", "{alias}", ')
    (problem,) = problems_for(tmp_path, ("s.toml", text))
    assert problem.startswith(f"s.toml:8: entity 'wagner': alias '{alias}' {reason}")


def test_wrong_keys_types_and_values(tmp_path: Path) -> None:
    text = SAHEL.replace('kind = "place"', 'kind = "country"\nalias = ["Malí"]\nweight = 9')
    problems = problems_for(tmp_path, ("s.toml", text))
    assert problems == [
        "s.toml:16: unknown key 'alias'",
        "s.toml:13: entity 'mali': kind must be one of person, organization, place, other, "
        "not 'country'",
        "s.toml:13: weight must be a whole number from 1 to 5, not 9",
    ]


def test_rule_problems(tmp_path: Path) -> None:
    text = SAHEL + '\n[[rules]]\nid = "mali"\nquery = "NOT wagner"\n'
    problems = problems_for(tmp_path, ("s.toml", text))
    assert problems == [
        "s.toml:23: duplicate id 'mali': a rule id must differ from every entity and rule id "
        "(first at s.toml:13)",
        "s.toml:24: rule 'mali': query is true for a text that mentions nothing "
        "(add a positive term)",
    ]


def test_broad_keyword_in_rule(tmp_path: Path) -> None:
    text = SAHEL.replace('"film"', '"of"')
    assert problems_for(tmp_path, ("s.toml", text)) == [
        "s.toml:19: rule 'wagner-in-mali': keyword 'of' has fewer than 3 letters and would "
        "match almost everything"
    ]


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    (problem,) = problems_for(tmp_path, ("s.toml", SAHEL.replace('name = "Mali"', "name = Mali")))
    assert problem.startswith("s.toml:14: invalid TOML")


def test_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "s.toml").write_bytes(b'area = "\xff"\n')
    (problem,) = problems_for(tmp_path)
    assert problem.startswith("s.toml:1: not UTF-8")


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(WatchlistError) as caught:
        load_watchlists(tmp_path / "nope")
    assert caught.value.problems == [f"{tmp_path / 'nope'}: watchlists directory does not exist"]


def test_warnings_do_not_fail(tmp_path: Path) -> None:
    text = SAHEL.replace('exclude = ["Richard Wagner"]', 'exclude = ["Cosima"]')
    text += '\n[[entities]]\nid = "pmc"\nname = "PMC Wagner"\n'
    write(tmp_path, "s.toml", text)
    watchlists = read_watchlists(tmp_path)
    assert watchlists.problems == []
    assert [w.replace(f"{tmp_path}/", "") for w in watchlists.warnings] == [
        "s.toml:4: exclude 'Cosima' of 'wagner' contains none of its aliases, so it never applies",
        "s.toml:23: alias 'pmc wagner' of 'pmc' is also an alias of 'wagner'",
    ]


def test_version_changes_with_content(tmp_path: Path) -> None:
    write(tmp_path, "s.toml", SAHEL)
    before = watchlists_version(tmp_path)
    assert watchlists_version(tmp_path) == before
    write(tmp_path, "s.toml", SAHEL.replace("weight = 5", "weight = 4"))
    assert watchlists_version(tmp_path) != before


def test_shipped_watchlists_are_valid() -> None:
    watchlists = read_watchlists(SHIPPED)
    assert watchlists.problems == []
    assert watchlists.warnings == []
    assert {p.stem for p in watchlists.files} >= {"iraq-syria", "sahel", "pakistan", "afghanistan"}


def test_empty_directory_is_valid_with_a_warning(tmp_path: Path) -> None:
    watchlists = load_watchlists(tmp_path)
    assert watchlists.entities == {} and watchlists.rules == []
    assert watchlists.warnings == [f"{tmp_path}: no *.toml watchlist files: nothing will match"]
