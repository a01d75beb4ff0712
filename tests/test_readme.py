"""The README documents every command, and its set-up commands are the ones CI runs."""

from __future__ import annotations

from pathlib import Path

import typer.main

from sourcewatch.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _command_paths(group: object, prefix: str = "sourcewatch") -> list[str]:
    paths = []
    for name, command in getattr(group, "commands", {}).items():
        path = f"{prefix} {name}"
        paths.append(path)
        paths.extend(_command_paths(command, path))
    return paths


def test_every_command_has_a_line_in_the_readme() -> None:
    paths = _command_paths(typer.main.get_command(app))
    assert paths, "no commands found"
    missing = [path for path in paths if f"`{path}" not in README]
    assert missing == [], f"commands missing from README.md: {missing}"


def test_readme_has_the_two_setup_commands() -> None:
    for marker in ("<!-- daemon-command -->", "<!-- test-command -->"):
        block = README.split(marker, 1)[1].split("```", 2)[1]
        assert "pip install" in block and "python3 -m venv" in block
