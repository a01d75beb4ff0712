"""`sourcewatch evidence` through the real CLI: bundle (both spellings), verify, exit codes."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evidence_support import ingest_deleted_telegram_post
from sourcewatch.cli import app
from sourcewatch.config import Settings
from sourcewatch.evidence import bundle
from sourcewatch.workspace import Workspace

runner = CliRunner()


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    return {
        "SOURCEWATCH_DATA_DIR": str(settings.data_dir),
        "SOURCEWATCH_DATABASE_URL": settings.resolved_database_url,
        "COLUMNS": "200",
    }


@pytest.fixture
def item_id(workspace: Workspace) -> int:
    return ingest_deleted_telegram_post(workspace)


def test_evidence_item_ids_writes_a_bundle_that_verify_accepts(
    item_id: int, env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "post.wacz"
    made = runner.invoke(app, ["evidence", str(item_id), "--out", str(out)], env=env)
    assert made.exit_code == 0, made.output
    assert "1 item(s), 1 capture(s)" in made.output
    checked = runner.invoke(app, ["evidence", "verify", str(out)], env=env)
    assert checked.exit_code == 0, checked.output
    assert "ok   capture log" in checked.output and checked.output.endswith("bundle verified\n")


def test_json_output_of_bundle_and_verify(
    item_id: int, env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "post.wacz"
    made = runner.invoke(
        app, ["evidence", "bundle", str(item_id), "--out", str(out), "--json"], env=env
    )
    assert made.exit_code == 0, made.output
    summary = json.loads(made.output)
    assert (summary["items"], summary["captures"], summary["path"]) == (1, 1, str(out))
    checked = runner.invoke(app, ["evidence", "verify", str(out), "--json"], env=env)
    result = json.loads(checked.output)
    assert checked.exit_code == 0 and result["ok"] is True
    assert {c["name"] for c in result["checks"]} >= {"capture log", bundle.ITEMS_PATH}


def test_a_tampered_bundle_exits_1_naming_the_file(
    item_id: int, env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "post.wacz"
    assert runner.invoke(app, ["evidence", str(item_id), "-o", str(out)], env=env).exit_code == 0
    with zipfile.ZipFile(out) as wacz:
        members = {info.filename: wacz.read(info) for info in wacz.infolist()}
    members[bundle.ITEMS_PATH] = members[bundle.ITEMS_PATH].replace("тоннели".encode(), b"TUNNELS")
    with zipfile.ZipFile(out, "w") as wacz:
        for name, data in members.items():
            wacz.writestr(name, data)
    checked = runner.invoke(app, ["evidence", "verify", str(out)], env=env)
    assert checked.exit_code == 1
    assert f"FAIL {bundle.ITEMS_PATH}: SHA-256 or size differs" in checked.output
    assert "bundle FAILED verification" in checked.output


def test_bad_requests_exit_2_with_a_clear_message(
    item_id: int, env: dict[str, str], tmp_path: Path
) -> None:
    unknown = runner.invoke(app, ["evidence", "4242", "--out", str(tmp_path / "x.wacz")], env=env)
    assert unknown.exit_code == 2 and "item 4242 does not exist" in unknown.output
    missing_out = runner.invoke(app, ["evidence", str(item_id)], env=env)
    assert missing_out.exit_code == 2 and "--out" in missing_out.output
    no_file = runner.invoke(app, ["evidence", "verify", str(tmp_path / "nope.wacz")], env=env)
    assert no_file.exit_code == 2


def test_a_manifest_alone_is_enough_and_options_may_come_first(
    item_id: int, env: dict[str, str], tmp_path: Path
) -> None:
    manifest = tmp_path / "week.manifest.json"
    manifest.write_text(json.dumps({"manifest": 1, "footnotes": [{"urls": [{"archive_id": 1}]}]}))
    out = tmp_path / "week.wacz"
    made = runner.invoke(
        app, ["evidence", "--manifest", str(manifest), "--out", str(out), "--json"], env=env
    )
    assert made.exit_code == 0, made.output
    assert json.loads(made.output)["captures"] == 1
    assert bundle.MANIFEST_PATH in json.loads(made.output)["files"]


def test_evidence_out_does_not_overwrite_without_force(
    item_id: int, env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "handed-over.wacz"
    out.write_bytes(b"a bundle already handed over")
    refused = runner.invoke(app, ["evidence", str(item_id), "--out", str(out)], env=env)
    assert refused.exit_code == 2
    assert "already exists; use --force" in refused.output
    assert out.read_bytes() == b"a bundle already handed over"
    assert not list(tmp_path.glob("*.partial"))
    forced = runner.invoke(app, ["evidence", str(item_id), "--out", str(out), "--force"], env=env)
    assert forced.exit_code == 0, forced.output
    checked = runner.invoke(app, ["evidence", "verify", str(out)], env=env)
    assert checked.exit_code == 0, checked.output
