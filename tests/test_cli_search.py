"""search, searches and reindex through the real CLI (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from search_support import KIDAL_RU, WATCHLISTS, fill
from sourcewatch.cli import app
from sourcewatch.config import Settings
from sourcewatch.workspace import Workspace

runner = CliRunner()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"watchlists_dir": WATCHLISTS})


@pytest.fixture
def ids(workspace: Workspace) -> dict[str, int]:
    return fill(workspace)


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    return {
        "SOURCEWATCH_DATA_DIR": str(settings.data_dir),
        "SOURCEWATCH_DATABASE_URL": settings.resolved_database_url,
        "SOURCEWATCH_WATCHLISTS_DIR": str(settings.watchlists_dir),
        "COLUMNS": "200",
    }


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_search_prints_hits_with_snippet_and_json_offsets(env: dict, ids: dict) -> None:
    code, out = run(env, "search", "Кидаль")
    assert code == 0
    assert f"{ids['kidal-ru']}  sahel-posts  2023-09-23" in out
    assert "https://t.me/sahel/kidal-ru" in out and "бои идут у Кидале" in out
    code, out = run(env, "search", "Кидаль", "--json")
    [hit] = lines(out)
    assert hit["item_id"] == ids["kidal-ru"]
    assert [KIDAL_RU[a:b] for a, b in hit["match_offsets"]] == ["Кидаль", "Кидале"]
    assert hit["revision"] == 1 and hit["edited_away"] is False


def test_repeated_filters_mean_any_of_them(env: dict, ids: dict) -> None:
    query = "بدخشان OR Петербург OR Mosul"
    _, out = run(env, "search", query, "--json", "--limit", "100")
    everything = {h["item_id"] for h in lines(out)}
    parts = []
    for source in ("tg-topwar", "guardian-us", "afpak-posts"):
        _, out = run(env, "search", query, "--json", "--limit", "100", "--source", source)
        parts.append({h["item_id"] for h in lines(out)})
    assert all(parts) and set().union(*parts) == everything
    _, out = run(
        env,
        "search",
        query,
        "--json",
        "--limit",
        "100",
        "--source",
        "tg-topwar",
        "--source",
        "guardian-us",
    )
    assert {h["item_id"] for h in lines(out)} == parts[0] | parts[1]
    _, out = run(
        env, "search", query, "--json", "--limit", "100", "--area", "ukraine", "--area", "US"
    )
    assert {h["item_id"] for h in lines(out)} == parts[0] | parts[1]


@pytest.mark.parametrize(
    ("option", "value", "names"),
    [
        ("--source", "nope", "tg-topwar"),
        ("--area", "mars", "af-pak"),
        ("--entity", "nobody", "wagner"),
        ("--tag", "nothing", "none yet"),
        ("--status", "maybe", "relevant"),
        ("--kind", "radio", "wordpress"),
    ],
)
def test_an_unknown_filter_value_is_an_error_naming_the_known_ones(
    env: dict, ids: dict, option: str, value: str, names: str
) -> None:
    code, out = run(env, "search", "Кидаль", option, value)
    assert code == 2
    assert f"{option}: unknown value '{value}'" in out and names in out


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        ("2023-09-23", None, True),
        ("2023-09-23T13:00+02:00", None, True),  # 11:00 UTC, before the 12:00 post
        ("2023-09-23T13:00Z", None, False),
        (None, "2023-09-23", True),  # a bare date as --until includes that day
        (None, "2023-09-22", False),
    ],
)
def test_since_and_until_take_dates_and_times_with_zone(
    env: dict, ids: dict, since: str | None, until: str | None, expected: bool
) -> None:
    args = ["search", "Кидаль", "--json"]
    args += ["--since", since] if since else []
    args += ["--until", until] if until else []
    code, out = run(env, *args)
    assert code == 0 and bool(lines(out)) is expected


def test_bad_times_and_queries_are_usage_errors(env: dict, ids: dict) -> None:
    code, out = run(env, "search", "Кидаль", "--since", "2023-09-23T10:00")
    assert code == 2 and "no time zone" in out
    code, out = run(env, "search", "Кидаль", "--since", "yesterday")
    assert code == 2 and "neither a duration" in out
    code, out = run(env, "search", "(Кидаль")
    assert code == 2 and "expected ')'" in out
    code, out = run(env, "search", "NOT Кидаль")
    assert code == 2


def test_count_and_by(env: dict, ids: dict) -> None:
    code, out = run(env, "search", "Петербург", "--count", "--json")
    assert code == 0 and lines(out) == [{"count": 3, "by": None, "buckets": []}]
    code, out = run(env, "search", "Петербург OR بدخشان", "--by", "source")
    assert code == 0 and "tg-topwar" in out and "afpak-posts" in out


def test_saved_search_since_last_and_promotion(env: dict, ids: dict, tmp_path: Path) -> None:
    code, out = run(env, "search", "Кидаль", "--save", "kidal", "--json")
    assert code == 0 and len(lines(out)) == 1
    code, out = run(env, "search", "--saved", "kidal", "--since", "last", "--json")
    assert code == 0 and len(lines(out)) == 1  # never run as a saved search yet
    code, out = run(env, "search", "--saved", "kidal", "--since", "last", "--json")
    assert code == 0 and lines(out) == []  # nothing new since the last run
    code, out = run(env, "searches", "--json")
    [kept] = lines(out)
    assert kept["name"] == "kidal" and kept["last_run_at"]
    code, out = run(env, "search", "--saved", "nothing")
    assert code == 1 and "saved: kidal" in out
    watchlists = tmp_path / "wl"
    watchlists.mkdir()
    for source in WATCHLISTS.glob("*.toml"):
        (watchlists / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    target = watchlists / "sahel.toml"
    code, out = run(env, "search", "--saved", "kidal", "--to-watchlist", str(target))
    assert code == 0, out
    assert 'id = "kidal"' in target.read_text(encoding="utf-8")
    assert 'query = "\\"Кидаль\\""' in target.read_text(encoding="utf-8")
    before = target.read_text(encoding="utf-8")
    code, out = run(env, "search", "--saved", "kidal", "--to-watchlist", str(target))
    assert code == 2 and "duplicate id" in out
    assert target.read_text(encoding="utf-8") == before  # put back as it was


def test_reindex_and_terminal_safety(env: dict, ids: dict) -> None:
    code, out = run(env, "reindex", "--json")
    assert code == 0 and lines(out)[0]["indexed"] >= len(ids)
    code, out = run(env, "search", "Кидаль")
    assert "\x1b" not in out


def test_search_in_translation_says_it_matched_a_machine_translation(
    env: dict, ids: dict, workspace: Workspace
) -> None:
    from test_search import _translate

    _translate(workspace, ids["army-ar"], "The Malian army lost a checkpoint.")
    code, out = run(env, "search", '"malian army"')
    assert code == 0 and "nothing matches" in out
    code, out = run(env, "search", '"malian army"', "--in", "translation")
    assert code == 0
    assert "matched the machine translation (libretranslate, en), not the source's words" in out
    code, out = run(env, "search", "army", "--in", "everywhere")
    assert code == 2 and "--in: one of original, translation, any" in out
