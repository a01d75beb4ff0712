"""``sourcewatch alerts``: the channels' state, a test message, replay, one delivery run,
against a real webhook on loopback and the config file's ``[[alerts]]``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from alerts_support import WATCHLISTS, poll, received
from conftest import empty_database
from sourcewatch.cli import app
from sourcewatch.config import Settings, load_settings
from sourcewatch.workspace import Workspace

runner = CliRunner()
TOKEN = "s3cr3t-hook-token"


@pytest.fixture
def config(settings: Settings, httpserver: HTTPServer, tmp_path: Path) -> Path:
    httpserver.expect_request(f"/hooks/{TOKEN}").respond_with_data("ok")
    path = tmp_path / "sw.toml"
    path.write_text(
        f"data_dir = {json.dumps(str(settings.data_dir))}\n"
        f"database_url = {json.dumps(settings.resolved_database_url)}\n"
        f"watchlists_dir = {json.dumps(str(WATCHLISTS))}\n"
        "[[alerts]]\n"
        'name = "desk"\n'
        f'url = "json://127.0.0.1:{httpserver.port}/hooks/${{SW_HOOK_TOKEN}}"\n'
        "[[alerts]]\n"
        'name = "down"\n'
        f'url = "json://127.0.0.1:{httpserver.port}/nowhere/${{SW_HOOK_TOKEN}}"\n'
        "min_priority = 1000\n"
    )
    with Workspace.open(load_settings(path)) as ws:
        poll(ws, "p1", ("1", "PMC Wagner column near Gao"), ("2", "Market day in Gao"))
    return path


def run(config: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(
        app, ["alerts", *args, "--config", str(config)], env={"SW_HOOK_TOKEN": TOKEN}
    )
    return result.exit_code, result.output


def lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def hook_messages(server: HTTPServer) -> list[str]:
    return [m["message"] for m in received(server, TOKEN)]


def test_deliver_then_list_the_channels(config: Path, httpserver: HTTPServer) -> None:
    code, output = run(config, "deliver")
    assert code == 0, output
    assert "desk: 2 message(s), 2 entries; ok" in output
    assert len(hook_messages(httpserver)) == 2

    code, output = run(config, "--json")
    desk, down = lines(output)
    assert code == 0
    assert desk["name"] == "desk" and desk["service"] == "json" and desk["sent_24h"] == 2
    assert desk["backlog"] == 0 and desk["last_sent_at"] is not None
    assert down["sent_24h"] == 0 and down["backlog"] == 0  # min_priority 1000: nothing
    assert TOKEN not in output

    code, output = run(config)
    assert code == 0 and "desk" in output and "json" in output and TOKEN not in output


def test_test_sends_a_message_and_fails_with_exit_1_when_refused(
    config: Path, httpserver: HTTPServer
) -> None:
    code, output = run(config, "test", "desk")
    assert code == 0 and "test message sent on desk" in output
    [message] = hook_messages(httpserver)
    assert "test message from sourcewatch" in message

    code, output = run(config, "test", "down")
    assert code == 1 and "delivery failed" in output and TOKEN not in output
    code, output = run(config, "test", "nope")
    assert code == 2 and "no alert channel named 'nope'" in output


def test_replay_delivers_again_what_was_sent(config: Path, httpserver: HTTPServer) -> None:
    assert run(config, "deliver")[0] == 0
    code, output = run(config, "replay", "--since", "1h", "--channel", "desk", "--json")
    assert code == 0 and lines(output) == [{"alert": "desk", "queued": 2}]
    assert run(config, "deliver")[0] == 0
    assert len(hook_messages(httpserver)) == 4

    code, output = run(config, "replay", "--since", "soon")
    assert code == 2 and "--since" in output


def test_a_failing_channel_makes_deliver_exit_1_and_shows_in_the_list(
    config: Path, tmp_path: Path
) -> None:
    text = config.read_text().replace("min_priority = 1000\n", "")
    config.write_text(text)
    code, output = run(config, "deliver")
    assert code == 1 and "down: 0 message(s)" in output and TOKEN not in output
    down = lines(run(config, "--json")[1])[1]
    # the first refusal stops the channel for this run: one entry waits for its retry
    assert down["failures"] == 1 and down["backlog"] == 2 and down["retrying"] == 1
    assert "error=500" in down["last_error"]


def test_an_uninitialised_database_and_repeated_names_are_usage_errors(
    settings: Settings, tmp_path: Path
) -> None:
    empty_database(settings.resolved_database_url)  # the fixture's database is a migrated copy
    path = tmp_path / "fresh.toml"
    path.write_text(
        f"data_dir = {json.dumps(str(settings.data_dir))}\n"
        f"database_url = {json.dumps(settings.resolved_database_url)}\n"
        '[[alerts]]\nname = "desk"\nurl = "json://127.0.0.1:9/x"\n'
    )
    code, output = run(path)
    assert code == 2 and "sourcewatch init" in output

    path.write_text(path.read_text() + '[[alerts]]\nname = "desk"\nurl = "json://h/y"\n')
    code, output = run(path, "test", "desk")
    assert code == 2 and "names must be unique; repeated: desk" in output


def test_deliver_says_how_many_entries_the_rate_limit_holds_and_until_when(
    config: Path, httpserver: HTTPServer
) -> None:
    limited = config.read_text().replace('name = "desk"\n', 'name = "desk"\nmax_per_minute = 1\n')
    config.write_text(limited)
    code, output = run(config, "deliver")
    assert code == 0, output
    assert "desk: 1 message(s), 1 entries; ok; 1 entries held by the rate limit until 20" in output
    assert len(hook_messages(httpserver)) == 1


def test_no_channels_names_the_config_table_literally(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "none.toml"
    path.write_text(
        f"data_dir = {json.dumps(str(settings.data_dir))}\n"
        f"database_url = {json.dumps(settings.resolved_database_url)}\n"
    )
    Workspace.open(load_settings(path)).close()
    code, output = run(path)
    assert code == 0
    assert "no alert channels configured ([[alerts]] in the config file)" in output
