"""The docs (README.md and docs/) describe the CLI that ships: every command is
documented, every documented command and flag exists, the getting-started tour and the
offline examples are run and their output checked, and the site builds in strict mode."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from sourcewatch.cli import app

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
ROOT = typer.main.get_command(app)
ROOT_FLAGS = {"--version", "--install-completion", "--show-completion", "--help"}
# What the documented outputs show for the directories a test runs in.
DOC_CLONE = "/home/analyst/sourcewatch"
DOC_EMPTY = "/home/analyst/empty"
DOC_USER_CONFIG = "/home/analyst/.config/sourcewatch/sourcewatch.toml"

runner = CliRunner()


def _command_paths(group: Any, prefix: str = "sourcewatch") -> list[str]:
    paths = []
    for name, command in getattr(group, "commands", {}).items():
        path = f"{prefix} {name}"
        paths.append(path)
        paths.extend(_command_paths(command, path))
    return paths


def _code() -> Iterator[tuple[Path, str]]:
    """Every line of every code block, and every inline code span, of the docs."""
    for doc in DOCS:
        text = doc.read_text()
        for block in re.findall(r"^```[^\n]*\n(.*?)^```", text, re.M | re.S):
            for line in block.splitlines():
                yield doc, line
        prose = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
        for span in re.findall(r"`([^`\n]+)`", prose):
            yield doc, span


def _invocations() -> Iterator[tuple[Path, str]]:
    """`sourcewatch ...` as written in code: each up to a shell separator or comment."""
    for doc, line in _code():
        if re.search(r"\b(docker|podman)\b", line):  # a container named sourcewatch
            continue
        for match in re.finditer(r"(?:^|[\s($])sourcewatch((?: +[^\s&|;#`)]+)*)", line):
            yield doc, match.group(1).replace("\\|", "|")


# Groups that take arguments of their default subcommand: `evidence 12 --out F.wacz`.
DEFAULT_SUBCOMMAND = {("evidence",): "bundle"}


def _resolve(words: list[str]) -> tuple[Any, list[str], list[str]]:
    command: Any = ROOT
    path: list[str] = []
    for word in words:
        sub = getattr(command, "commands", {}).get(word)
        if sub is None:
            break
        command, path = sub, [*path, word]
    rest = words[len(path) :]
    default = DEFAULT_SUBCOMMAND.get(tuple(path))
    if default and rest and rest[0] not in getattr(command, "commands", {}):
        return command.commands[default], [*path, default], rest  # type: ignore[attr-defined]
    return command, path, rest


def _flags(command: Any) -> set[str]:
    names = {"--help"}
    for param in command.params:
        names.update(param.opts)
        names.update(param.secondary_opts)
    return names


def test_every_command_is_documented() -> None:
    text = "\n".join(doc.read_text() for doc in DOCS)
    paths = _command_paths(ROOT)
    assert paths, "no commands found"
    missing = [path for path in paths if f"`{path}" not in text and f"$ {path}" not in text]
    assert missing == [], f"commands missing from the docs: {missing}"


def test_every_documented_command_and_flag_exists() -> None:
    problems = []
    seen = 0
    for doc, invocation in _invocations():
        words = invocation.split()
        if not words:
            continue
        command, path, rest = _resolve(words)
        seen += 1
        group = hasattr(command, "commands")  # typer vendors click: no isinstance
        looks_like_a_command = bool(rest) and re.fullmatch(r"[a-z][a-z-]+", rest[0]) is not None
        if group and looks_like_a_command and command is not ROOT:
            problems.append(f"{doc.name}: sourcewatch {' '.join(words)}: no such subcommand")
        if command is ROOT and rest and re.fullmatch(r"[a-z][a-z-]+", rest[0]):
            problems.append(f"{doc.name}: sourcewatch {rest[0]}: no such command")
        known = _flags(command) | (ROOT_FLAGS if command is ROOT else set())
        for word in rest:
            flag = re.match(r"--[a-z][a-z0-9-]*", word)
            if flag and flag.group(0) not in known:
                name = " ".join(["sourcewatch", *path])
                problems.append(f"{doc.name}: {name} has no option {flag.group(0)}")
    assert seen > 100, f"only {seen} invocations found: the parser is broken"
    assert problems == [], "\n".join(sorted(set(problems)))


def test_the_readme_has_the_two_setup_commands_and_says_how_to_reach_the_cli() -> None:
    readme = (REPO / "README.md").read_text()
    for marker in ("<!-- daemon-command -->", "<!-- test-command -->"):
        block = readme.split(marker, 1)[1].split("```", 2)[1]
        assert "pip install" in block and "python3 -m venv" in block
    assert "source .venv/bin/activate" in readme and ".venv/bin/sourcewatch" in readme


def _blocks(doc: Path, marker: str) -> list[tuple[str, list[str]]]:
    """(command, documented output lines) of each code block after ``marker``."""
    text = doc.read_text()
    found = []
    for block in re.findall(re.escape(marker) + r"[^\n]*\n```\n(.*?)```", text, re.S):
        first, *output = block.rstrip("\n").split("\n")
        assert first.startswith("$ sourcewatch "), first
        found.append((first.removeprefix("$ sourcewatch "), output))
    return found


def _check_output(command: str, documented: list[str], actual: str) -> None:
    """Every documented line is in the output: a JSON line as a subset of the actual
    object on the same line, any other line verbatim (blank lines are layout)."""
    actual_lines = actual.splitlines()
    for number, line in enumerate(documented):
        if not line.strip():
            continue
        if line.startswith("{"):
            expected = json.loads(line)
            got = json.loads(actual_lines[number])
            assert {k: got.get(k) for k in expected} == expected, (command, got)
        else:
            assert line in actual_lines, f"{command}: {line!r} not in:\n{actual}"


def _normalize(text: str, replacements: dict[str, str]) -> str:
    for real, shown in replacements.items():
        text = text.replace(real, shown)
    return text


@pytest.mark.slow
def test_the_getting_started_tour_runs_as_documented(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh clone: only what ships (config, watchlists, examples) in a new directory."""
    clone = tmp_path / "clone"
    for name in ("config", "watchlists", "examples"):
        shutil.copytree(REPO / name, clone / name)
    monkeypatch.chdir(clone)
    steps = _blocks(REPO / "docs" / "getting-started.md", "<!-- tour -->")
    assert [command.split()[0] for command, _ in steps] == [
        "init", "import", "queue", "mark", "export", "cite",
    ]  # fmt: skip
    for command, documented in steps:
        result = runner.invoke(app, command_words(command))
        assert result.exit_code == 0, (command, result.output)
        _check_output(command, documented, _normalize(result.output, {str(clone): DOC_CLONE}))
    assert (
        "sourcewatch import examples/tg-rybar-saved.jsonl --source tg-rybar"
        in (REPO / "README.md").read_text()
    )


def command_words(command: str) -> list[str]:
    import shlex

    return shlex.split(command)


def test_the_configuration_examples_run_as_documented(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    user_config = tmp_path / "user-config" / "sourcewatch" / "sourcewatch.toml"
    examples = _blocks(REPO / "docs" / "configuration.md", "<!-- example:")
    assert [command for command, _ in examples] == ["where", "stats"]
    for command, documented in examples:
        result = runner.invoke(app, command_words(command))
        assert result.exit_code == {"where": 0, "stats": 2}[command], result.output
        shown = _normalize(
            result.output, {str(user_config): DOC_USER_CONFIG, str(empty): DOC_EMPTY}
        )
        _check_output(command, documented, shown)
    assert list(empty.iterdir()) == []


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("mkdocs", path=str(Path(sys.executable).parent)) is None,
                    reason="mkdocs is not installed (pip install -e '.[dev]')")  # fmt: skip
def test_the_site_builds_in_strict_mode_and_fails_on_a_broken_link(tmp_path: Path) -> None:
    mkdocs = str(Path(sys.executable).parent / "mkdocs")
    env = {"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"}
    built = subprocess.run(
        [mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=REPO, capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-3000:]
    copy = tmp_path / "copy"
    shutil.copytree(REPO / "docs", copy / "docs")
    shutil.copy(REPO / "mkdocs.yml", copy)
    page = copy / "docs" / "index.md"
    page.write_text(page.read_text() + "\n[gone](no-such-page.md)\n")
    broken = subprocess.run(
        [mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site2")],
        cwd=copy, capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert broken.returncode != 0 and "no-such-page.md" in broken.stderr
