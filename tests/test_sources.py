"""The watch list: validation with line numbers, durations, and the shipped file."""

from __future__ import annotations

from pathlib import Path

import pytest

from sourcewatch.sources.config import SourcesFileError, check_sources, load_sources, parse_duration

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("5m", 300), ("2h", 7200), ("1d", 86400), (45, 45), ("1.5m", 90)],
)
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["5 minutes", "-5m", "0s", "m"])
def test_bad_durations(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_a_valid_watch_list_loads(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        '[[sources]]\nname = "rybar"\nkind = "telegram"\ntarget = "rybar"\n'
        'interval = "2m"\nareas = ["Sahel"]\nweight = 3\n'
    )
    (source,) = load_sources(path)
    assert source.interval == 120 and source.areas == ("sahel",) and source.weight == 3
    assert source.enabled and not source.queue_all


def test_every_problem_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        "[[sources]]\n"  # 1
        'name = "a"\n'  # 2
        'kind = "myspace"\n'  # 3
        'target = "x"\n'  # 4
        "\n"  # 5
        "[[sources]]\n"  # 6
        'name = "b"\n'  # 7
        'kind = "feed"\n'  # 8
        'target = "https://example.org/rss"\n'  # 9
        'interval = "often"\n'  # 10
        "weight = 9\n"  # 11
        "\n"
        "[[sources]]\n"  # 13
        'name = "b"\n'  # 14
        'kind = "x"\n'  # 15
        'target = "@user"\n'  # 16
        "\n"
        "[[sources]]\n"  # 18
        'kind = "x"\n'  # 19
        'target = "@user"\n'  # 20
        'colour = "blue"\n'  # 21
    )
    sources, problems = check_sources(path)
    assert sources == []
    found = {(p.line, p.message.split(":")[0]) for p in problems}
    assert (3, "kind") in found
    assert (10, "interval") in found
    assert (11, "weight") in found
    assert (14, "duplicate name (first defined at line 6)") in found
    assert (18, "name") in found
    assert (21, "colour") in found
    with pytest.raises(SourcesFileError) as excinfo:
        load_sources(path)
    assert f"{path}:3: [a] kind: unknown kind 'myspace'" in str(excinfo.value)


def test_toml_syntax_errors_have_a_line(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text('[[sources]]\nname = "a"\nkind = \n')
    _, problems = check_sources(path)
    assert problems[0].line == 3 and "TOML syntax" in problems[0].message


def test_the_shipped_watch_list_is_valid() -> None:
    sources, problems = check_sources(REPO / "config" / "sources.toml")
    assert problems == []
    assert len(sources) >= 5
    assert len({s.name for s in sources}) == len(sources)
