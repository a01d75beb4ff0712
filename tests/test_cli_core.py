"""The core commands through the real CLI: init, import, verify, sources."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import empty_database
from sourcewatch.cli import app
from sourcewatch.config import Settings
from sourcewatch.store import db

runner = CliRunner()


@pytest.fixture
def env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[sources]]\nname = "amaq"\nkind = "telegram"\ntarget = "amaq_news"\n'
        'interval = "5m"\nareas = ["iraq-syria"]\n'
    )
    return {
        "SOURCEWATCH_DATA_DIR": str(settings.data_dir),
        "SOURCEWATCH_DATABASE_URL": settings.resolved_database_url,
        "SOURCEWATCH_SOURCES_FILE": str(sources),
    }


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_init_is_idempotent_and_loads_the_watch_list(env: dict[str, str]) -> None:
    empty_database(env["SOURCEWATCH_DATABASE_URL"])  # the fixture's database is a migrated copy
    code, out = run(env, "init", "--json")
    first = json.loads(out)
    assert code == 0 and first["sources_added"] == ["amaq"]
    assert first["migrations_applied"][0] == "0001"
    assert first["migrations_applied"][-1] == first["schema"] == db.head_revision()
    code, out = run(env, "init", "--json")
    again = json.loads(out)
    assert code == 0 and again["migrations_applied"] == [] and again["sources_added"] == []


def test_import_then_verify(env: dict[str, str], tmp_path: Path) -> None:
    saved = tmp_path / "saved.jsonl"
    saved.write_text('{"external_id": "1", "text": "\\u001b[2Jclaim of attack"}\n')
    code, out = run(env, "import", str(saved), "--source", "amaq", "--json")
    assert code == 0 and json.loads(out)["new"] == 1
    code, out = run(env, "verify", "--json")
    assert code == 0 and json.loads(out)["ok"] is True
    code, out = run(env, "verify", "--quick")
    assert code == 0 and "intact" in out


def test_dry_run_prints_items_and_stores_nothing(env: dict[str, str], tmp_path: Path) -> None:
    saved = tmp_path / "saved.jsonl"
    saved.write_text('{"external_id": "1", "text": "\\u001b]0;pwned\\u0007hello"}\n')
    code, out = run(env, "import", str(saved), "--source", "amaq", "--dry-run")
    assert code == 0 and "hello" in out and "\x1b" not in out
    code, out = run(env, "import", str(saved), "--source", "amaq", "--dry-run", "--json")
    assert json.loads(out.splitlines()[0])["external_id"] == "1"
    assert run(env, "init")[0] == 0
    code, out = run(env, "sources", "--json")
    assert json.loads(out)["items"] == 0


def test_a_malformed_import_exits_2_with_the_line(env: dict[str, str], tmp_path: Path) -> None:
    saved = tmp_path / "bad.jsonl"
    saved.write_text('{"external_id": "1"}\n{"text": "no id"}\n')
    code, out = run(env, "import", str(saved), "--source", "amaq")
    assert code == 2 and "bad.jsonl: line 2: missing external_id" in out


def test_import_into_an_unknown_source_exits_2(env: dict[str, str], tmp_path: Path) -> None:
    saved = tmp_path / "a.jsonl"
    saved.write_text('{"external_id": "1"}\n')
    code, out = run(env, "import", str(saved), "--source", "nope")
    assert code == 2 and "no source named 'nope'" in out


def test_verify_exits_1_and_names_a_missing_object(
    env: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    saved = tmp_path / "saved.jsonl"
    saved.write_text('{"external_id": "1", "text": "x"}\n')
    run(env, "import", str(saved), "--source", "amaq")
    for path in (settings.data_dir / "objects").rglob("*"):
        if path.is_file():
            path.unlink()
    code, out = run(env, "verify")
    assert code == 1 and "missing" in out and "FAIL" in out


def test_sources_lists_health_and_check_names_lines(env: dict[str, str], tmp_path: Path) -> None:
    assert run(env, "init")[0] == 0
    code, out = run(env, "sources", "--json")
    status = json.loads(out)
    assert code == 0 and status["name"] == "amaq" and status["health"] == "never polled"
    bad = tmp_path / "bad.toml"
    bad.write_text('[[sources]]\nname = "x"\nkind = "fax"\ntarget = "y"\n')
    code, out = run(env, "sources", "check", str(bad))
    assert code == 1 and f"{bad}:3: [x] kind: unknown kind 'fax'" in out
    code, out = run(env, "sources", "check", "--json")
    assert code == 0 and json.loads(out)["problems"] == []


def test_bad_config_file_exits_2(env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "sw.toml"
    config.write_text("not_a_setting = 1\n")
    code, out = run(env, "sources", "--config", str(config))
    assert code == 2 and "not_a_setting" in out


@pytest.mark.parametrize(
    "command", [[], ["init"], ["verify"], ["import"], ["sources"], ["sources", "check"], ["poll"]]
)
def test_every_command_explains_itself(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output and len(result.output) > 200
