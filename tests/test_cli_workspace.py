"""Finding the workspace: read-only commands never create one, `where` says what is in
use and why, init says what it found, run warns when it would poll or match nothing; and
the conventions (--version, completion, errors as messages, NO_COLOR, narrow terminals)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from sourcewatch.cli import app
from sourcewatch.cli.core import sources_table
from sourcewatch.sources.status import SourceStatus

runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory with no workspace in it (and no user config file)."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.mark.parametrize(
    "command",
    [["stats"], ["sources"], ["queue"], ["verify"], ["alerts"], ["export", "--format", "csv"]],
)
def test_read_only_commands_create_no_database_and_say_where_they_looked(
    elsewhere: Path, command: list[str]
) -> None:
    result = runner.invoke(app, command)
    assert result.exit_code == 2, result.output
    assert f"no database at {elsewhere / 'storage' / 'sourcewatch.db'}" in result.output
    assert "sourcewatch init" in result.output and "--config" in result.output
    assert "sourcewatch where" in result.output
    assert list(elsewhere.iterdir()) == []


def test_health_without_a_database_is_unhealthy_and_creates_nothing(elsewhere: Path) -> None:
    result = runner.invoke(app, ["health"])
    assert result.exit_code == 1 and "no database at" in result.output
    assert list(elsewhere.iterdir()) == []


def test_where_names_each_path_and_why(elsewhere: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["where"])
    assert result.exit_code == 0, result.output
    assert "no config file found (searched config/sourcewatch.toml in" in result.output
    assert f"data dir     {elsewhere / 'storage'}  (does not exist)" in result.output
    assert "built-in default, relative to the current directory" in result.output

    config = tmp_path / "ws" / "config" / "sourcewatch.toml"
    config.parent.mkdir(parents=True)
    config.write_text('data_dir = "storage"\nwatchlists_dir = "lists"\n')
    result = runner.invoke(app, ["where", "--json"], env={"SOURCEWATCH_CONFIG": str(config)})
    rows = {row["what"]: row for row in map(json.loads, result.output.splitlines())}
    assert rows["config"]["why"] == "$SOURCEWATCH_CONFIG"
    assert rows["data dir"]["path"] == str(tmp_path / "ws" / "storage")
    assert rows["data dir"]["why"] == f"set in {config}"
    assert rows["watchlists"]["path"] == str(tmp_path / "ws" / "lists")
    assert list(elsewhere.iterdir()) == []


def test_the_repository_config_works_from_another_directory(elsewhere: Path) -> None:
    result = runner.invoke(app, ["where", "--config", str(REPO / "config" / "sourcewatch.toml")])
    assert result.exit_code == 0
    assert f"sources file {REPO / 'config' / 'sources.toml'}\n" in result.output
    assert f"watchlists   {REPO / 'watchlists'}\n" in result.output


def test_init_says_what_it_found_and_run_warns_with_nothing_to_do(elsewhere: Path) -> None:
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert "config     none (no config file found" in result.output
    assert "sources    0 in watch list config/sources.toml" in result.output
    assert "watchlists 0 in watchlists (none)" in result.output
    assert "WARNING: no sources: the watch list" in result.output
    assert "WARNING: no watchlists in" in result.output

    result = runner.invoke(app, ["run", "--once"])
    assert result.exit_code == 0, result.output
    # Not a terminal: the warnings are records of the daemon's log (JSON lines stay JSON).
    assert "no sources" in result.output and "nothing will be polled" in result.output
    assert "no watchlists" in result.output and "nothing will match" in result.output
    assert "0 source(s) polled" in result.output


def test_init_in_the_repository_layout_finds_sources_and_watchlists(
    elsewhere: Path, tmp_path: Path
) -> None:
    config = REPO / "config" / "sourcewatch.toml"
    data = tmp_path / "data"
    result = runner.invoke(
        app, ["init", "--json", "--config", str(config)], env={"SOURCEWATCH_DATA_DIR": str(data)}
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["sources"] > 0 and report["watchlist_files"] and report["warnings"] == []


def test_a_postgresql_url_without_psycopg_says_which_extra_to_install(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if the extra were not installed
    env = {"SOURCEWATCH_DATABASE_URL": "postgresql+psycopg://sw@127.0.0.1:5432/sw"}
    for command in (["init"], ["stats"], ["queue"], ["run", "--once"]):
        result = runner.invoke(app, command, env=env)
        assert result.exit_code == 2, (command, result.output)
        assert "install the 'postgres' extra" in result.output
        assert "sourcewatch[postgres]" in result.output
        assert "Traceback" not in result.output and result.exception is not None
    health = runner.invoke(app, ["health"], env=env)
    assert health.exit_code == 1 and "sourcewatch[postgres]" in health.output


def test_sources_check_on_a_missing_file_is_bad_input(elsewhere: Path) -> None:
    result = runner.invoke(app, ["sources", "check", "nope.toml"])
    assert result.exit_code == 2
    assert "nope.toml: no such file" in result.output


def test_polling_a_disabled_source_says_it_is_disabled(elsewhere: Path) -> None:
    sources = elsewhere / "sources.toml"
    sources.write_text(
        '[[sources]]\nname = "x-acct"\nkind = "x"\ntarget = "someone"\nenabled = false\n'
    )
    result = runner.invoke(app, ["poll", "x-acct"], env={"SOURCEWATCH_SOURCES_FILE": str(sources)})
    assert result.exit_code == 2
    assert "source 'x-acct' is disabled (enabled = false in" in result.output
    assert "disable this source" not in result.output


def test_a_user_error_is_a_message_and_a_bug_is_a_traceback() -> None:
    """The root group maps SourcewatchError; a ValueError is not "bad usage"."""
    import typer

    from sourcewatch.cli.app import SourcewatchGroup
    from sourcewatch.errors import InvalidInput

    root = typer.Typer(cls=SourcewatchGroup)

    @root.command()
    def user() -> None:
        raise InvalidInput("limit must be at least 1")

    @root.command()
    def bug() -> None:
        raise ValueError("a bug")

    result = runner.invoke(root, ["user"])
    assert result.exit_code == 2 and result.output == "error: limit must be at least 1\n"
    result = runner.invoke(root, ["bug"])
    assert isinstance(result.exception, ValueError)


def test_version_and_completion() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("sourcewatch 0.")
    completion = subprocess.run(
        [sys.executable, "-m", "sourcewatch", "--show-completion", "bash"],
        capture_output=True,
        text=True,
        env={**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"},
        timeout=60,
    )
    assert completion.returncode == 0, completion.stderr
    assert "complete" in completion.stdout and "sourcewatch" in completion.stdout


@pytest.mark.parametrize("variable", [{"NO_COLOR": "1"}, {"TERM": "dumb"}])
def test_no_color_and_dumb_terminals_get_no_escape_sequences(
    elsewhere: Path, variable: dict[str, str]
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    env.update(variable, FORCE_COLOR="", TTY_COMPATIBLE="1", COLUMNS="100")
    done = subprocess.run(
        [sys.executable, "-m", "sourcewatch", "init"],
        capture_output=True,
        text=True,
        env=env,
        cwd=elsewhere,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "WARNING: no sources" in done.stderr
    output = done.stdout + done.stderr
    if "TERM" in variable:  # a dumb terminal gets no escape sequence at all
        assert "\x1b[" not in output
    else:  # NO_COLOR: no colour (bold is not a colour: https://no-color.org)
        assert "\x1b[1m" in output  # the terminal was taken for one: the check is real
        assert not re.search(r"\x1b\[[0-9;]*(3[0-9]|4[0-9]|9[0-7])[;m]", output)


def _status(name: str, error: str | None) -> SourceStatus:
    when = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    return SourceStatus(
        name=name,
        kind="telegram",
        target=f"https://t.me/s/{name}",
        interval_seconds=300,
        areas=("iraq-syria", "sahel"),
        enabled=True,
        in_config=True,
        items=1234,
        last_polled_at=when,
        last_success_at=when,
        next_poll_at=when,
        consecutive_failures=1 if error else 0,
        last_error=error,
    )


@pytest.mark.parametrize("width", [80, 100, 120, 200])
def test_the_sources_table_fits_the_terminal_and_marks_a_cut_error(width: int) -> None:
    error = "unreachable: " + "connect timeout to t.me after 3 retries; " * 5 + "END"
    never = replace(_status("tg-amaq-news-agency", None), last_polled_at=None, items=0)
    statuses = [_status("tg-rybar", error), never]
    # As the CLI's console: soft_wrap, so nothing but the table's own layout keeps it narrow.
    console = Console(width=width, record=True, markup=False, color_system=None, soft_wrap=True)
    console.print(sources_table(statuses, width))
    lines = [line for line in console.export_text().splitlines() if line.strip()]
    assert all(len(line) <= width for line in lines), "\n".join(lines)
    assert "last error" in lines[0] and "health" in lines[0]
    text = "\n".join(lines)
    rybar = next(line for line in lines if "tg-rybar" in line)
    assert "failing" in rybar and "unreachable:" in rybar
    assert "…" in text and "END" not in text  # the error is cut at 200 characters, marked
    assert ("target" in lines[0]) == (width >= 180)
    assert ("kind" in lines[0]) == (width >= 100)  # readable at 100 columns (issue 23)


def test_no_message_or_table_cell_is_read_as_rich_markup() -> None:
    """ "([[alerts]] in the config file)" printed as "([] in the config file)", and a
    source's "[label]" vanished: the CLI's consoles take every string literally."""
    from rich.table import Table

    from sourcewatch.cli.common import console, err_console

    for target in (console, err_console):
        with target.capture() as captured:
            target.print("no alert channels ([[alerts]] in the config file) [bold]x[/bold]")
            table = Table("title")
            table.add_row("[label] [red]hostile[/red]")
            target.print(table)
        text = captured.get()
        assert "([[alerts]] in the config file) [bold]x[/bold]" in text
        assert "[label] [red]hostile[/red]" in text
