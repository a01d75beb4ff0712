"""Filters without traps in every listing command (queue, export, alerts replay):
repeated --area/--source/--entity mean any of them, unknown names are errors naming the
known ones (exit 2), --since/--until take dates and times with zones (issue 22)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from sourcewatch.cli import app
from sourcewatch.config import Settings
from sourcewatch.workspace import Workspace
from triage_support import T0, Post, channel, ingest_posts, with_test_watchlists

runner = CliRunner()
CLAIM = "JNIM claimed the attack on the army post near Boni in central Mali on Sunday."
WAGNER = "Wagner convoy seen moving north from Bamako towards Gao, locals report."
TTP = "TTP fighters attacked a checkpoint in North Waziristan overnight, police said."


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return with_test_watchlists(settings)


@pytest.fixture
def ids(workspace: Workspace) -> dict[str, int]:
    sahel = channel("sahel_watch", weight=2, areas=("mali",))
    found = ingest_posts(workspace, sahel, [Post("1", CLAIM)])
    found |= ingest_posts(workspace, sahel, [Post("2", WAGNER)], now=T0 + timedelta(days=2))
    found["ttp"] = ingest_posts(workspace, channel("pak_news", weight=3), [Post("9", TTP)])["9"]
    return found


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    return {
        "SOURCEWATCH_DATA_DIR": str(settings.data_dir),
        "SOURCEWATCH_DATABASE_URL": settings.resolved_database_url,
        "SOURCEWATCH_WATCHLISTS_DIR": str(settings.watchlists_dir),
        "SOURCEWATCH_ANALYST": "amira",
        "COLUMNS": "160",
    }


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def item_ids(output: str) -> set[int]:
    return {json.loads(line)["item_id"] for line in output.splitlines() if line.startswith("{")}


def test_queue_repeated_filters_mean_any_of_them(env: dict, ids: dict) -> None:
    _, out = run(env, "queue", "--json", "--source", "sahel_watch", "--source", "pak_news")
    assert item_ids(out) == {ids["1"], ids["2"], ids["ttp"]}
    _, out = run(env, "queue", "--json", "--area", "af-pak", "--area", "MALI")
    assert item_ids(out) == {ids["1"], ids["2"], ids["ttp"]}
    _, out = run(env, "queue", "--json", "--entity", "ttp", "--entity", "wagner")
    assert item_ids(out) == {ids["2"], ids["ttp"]}
    # one filter of each kind still narrows: any of the entities AND the source
    _, out = run(
        env, "queue", "--json", "--entity", "ttp", "--entity", "jnim", "--source", "pak_news"
    )
    assert item_ids(out) == {ids["ttp"]}


@pytest.mark.parametrize("command", ["queue", "export"])
@pytest.mark.parametrize(
    ("option", "value", "known"),
    [
        ("--source", "nope", "pak_news, sahel_watch"),
        ("--area", "mars", "af-pak"),
        ("--entity", "x", "jnim"),
    ],
)
def test_an_unknown_name_is_an_error_naming_the_known_ones(
    env: dict, ids: dict, command: str, option: str, value: str, known: str
) -> None:
    code, out = run(env, command, option, value)
    assert code == 2
    assert f"{option}: unknown value '{value}'" in out and known in out


def test_queue_since_takes_a_date_or_a_time_with_its_zone(env: dict, ids: dict) -> None:
    day = (T0 + timedelta(days=1)).date().isoformat()
    _, out = run(env, "queue", "--json", "--since", day)
    assert item_ids(out) == {ids["2"]}
    _, out = run(env, "queue", "--json", "--since", (T0 + timedelta(days=1)).isoformat())
    assert item_ids(out) == {ids["2"]}
    code, out = run(env, "queue", "--since", "2026-11-21T10:00")
    assert code == 2 and "no time zone" in out


def test_export_takes_the_data_cutoff(env: dict, ids: dict) -> None:
    for item in ids.values():
        assert run(env, "mark", str(item), "--status", "relevant")[0] == 0
    _, out = run(env, "export", "--format", "jsonl", "--cutoff", T0.date().isoformat())
    assert item_ids(out) == {ids["1"], ids["ttp"]}  # published on the cutoff day
    _, out = run(
        env, "export", "--format", "jsonl", "--until", (T0 + timedelta(hours=1)).isoformat()
    )
    assert item_ids(out) == {ids["1"], ids["ttp"]}
    _, out = run(env, "export", "--format", "jsonl", "--cutoff", "2026-11-19")
    assert item_ids(out) == set()
    _, out = run(env, "export", "--format", "jsonl", "--area", "af-pak", "--area", "mali")
    assert item_ids(out) == set(ids.values())


def test_alerts_replay_since_takes_a_date(env: dict, ids: dict) -> None:
    code, out = run(env, "alerts", "replay", "--since", "2026-11-19", "--json")
    assert code == 0
    code, out = run(env, "alerts", "replay", "--since", "someday")
    assert code == 2 and "neither a duration" in out
