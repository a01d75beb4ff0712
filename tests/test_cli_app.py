"""The root command group loads command modules lazily: ``COMMANDS`` must name every
command, the module that registers it and the summary ``--help`` shows for it."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import typer.main
from typer.core import TyperCommand
from typer.testing import CliRunner

from sourcewatch.cli import app
from sourcewatch.cli.app import COMMANDS, load_all_commands


def _registered() -> dict[str, str]:
    """Every command registered on ``app`` and the module it is in."""
    load_all_commands()
    found: dict[str, str] = {}
    for info in app.registered_commands:
        assert info.callback is not None
        name = info.name or typer.main.get_command_name(info.callback.__name__)
        found[name] = info.callback.__module__
    for group in app.registered_groups:
        instance: Any = group.typer_instance
        callbacks = [c.callback for c in instance.registered_commands]
        if instance.registered_callback:
            callbacks.append(instance.registered_callback.callback)
        modules = {callback.__module__ for callback in callbacks}
        assert len(modules) == 1, (group.name, modules)
        found[str(group.name)] = modules.pop()
    return found


def test_the_table_names_every_command_with_its_module() -> None:
    # Order is the table's own (--help lists it): registration order depends on which
    # module a process happened to import first.
    registered = _registered()
    assert sorted(COMMANDS) == sorted(registered)
    for name, (module, _) in COMMANDS.items():
        assert registered[name] == f"sourcewatch.cli.{module}", name


def test_each_summary_is_what_click_would_show_at_any_width() -> None:
    root: Any = typer.main.get_command(app)
    for name, (_, summary) in COMMANDS.items():
        command = root.commands[name]
        static = TyperCommand(name, help=summary)
        for limit in (30, 45, 60, 80, 120, 10_000):
            assert static.get_short_help_str(limit) == command.get_short_help_str(limit), (
                name,
                limit,
            )


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(app, ["--help"], terminal_width=100)
    assert result.exit_code == 0
    listed = result.output.split("Commands:")[1].split()
    for name in COMMANDS:
        assert name in listed


def _modules_loaded_by(args: list[str]) -> set[str]:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from sourcewatch.cli import app\n"
        f"result = CliRunner().invoke(app, {args!r})\n"
        "assert result.exit_code == 0, result.output\n"
        "print(' '.join(m for m in sys.modules if m.startswith('sourcewatch.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_a_command_imports_only_its_own_module() -> None:
    help_modules = _modules_loaded_by(["--help"])
    assert not {m for m in help_modules if m.startswith("sourcewatch.cli.")} - {
        "sourcewatch.cli.app",
        "sourcewatch.cli.common",
    }
    queue_modules = _modules_loaded_by(["queue", "--help"])
    assert "sourcewatch.cli.triage" in queue_modules
    assert "sourcewatch.cli.core" not in queue_modules
    assert "sourcewatch.matching" not in queue_modules  # ~50 ms of tables at import


def test_an_unknown_command_suggests_a_close_one() -> None:
    result = CliRunner().invoke(app, ["queu"])
    assert result.exit_code == 2
    assert "Did you mean 'queue'?" in result.output
