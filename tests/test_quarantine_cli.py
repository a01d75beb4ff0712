"""``sourcewatch quarantine``: list, show, retry and drop the items the database refused
(issue 19: the quarantine table had no command), on both backends."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from sourcewatch.cli import app
from sourcewatch.config import Settings
from sourcewatch.ingest.writer import ingest
from sourcewatch.records import ParsedItem, PollResult, RawCapture
from sourcewatch.sources.config import SourceConfig
from sourcewatch.store.tables import ITEM, ITEM_CAPTURE, QUARANTINE
from sourcewatch.workspace import Workspace

runner = CliRunner()
SOURCE = SourceConfig(name="jihadology", kind="wordpress", target="https://example.org")
WHEN = datetime(2023, 9, 20, 14, 2, tzinfo=UTC)


@pytest.fixture
def env(settings: Settings, workspace: Workspace, tmp_path: Path) -> dict[str, str]:
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[sources]]\nname = "jihadology"\nkind = "wordpress"\n'
        'target = "https://example.org"\ninterval = "1h"\nareas = ["sahel"]\n'
    )
    return {
        "SOURCEWATCH_DATA_DIR": str(settings.data_dir),
        "SOURCEWATCH_DATABASE_URL": settings.resolved_database_url,
        "SOURCEWATCH_SOURCES_FILE": str(sources),
    }


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def quarantine_one(workspace: Workspace) -> None:
    """A poll whose middle item the database refuses (a collector bug: a datetime in
    ``extra``, which no boundary rule makes storable)."""
    capture = RawCapture(url="https://example.org/feed", body=b"<feed>3 posts</feed>", status=200)
    items = [
        ParsedItem("ok-1", text="first"),
        ParsedItem("bad\x1b[31m", text="refused \x1b]0;pwned\x07", extra={"when": WHEN}),
        ParsedItem("ok-2", text="second"),
    ]
    for item in items:
        item.capture_sha256s = [capture.sha256]
    report = ingest(workspace, SOURCE, PollResult(captures=[capture], items=items))
    assert report.new == 2 and len(report.quarantined) == 1


def test_list_show_retry(env: dict[str, str], workspace: Workspace) -> None:
    code, out = run(env, "quarantine")
    assert (code, out.strip()) == (0, "no quarantined items")
    quarantine_one(workspace)
    code, out = run(env, "quarantine", "--json")
    [listed] = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and listed["source"] == "jihadology" and "datetime" in listed["reason"]
    code, out = run(env, "quarantine")
    assert code == 0 and "\x1b" not in out and "datetime" in out  # hostile id made safe
    code, out = run(env, "quarantine", "show", str(listed["id"]), "--json")
    shown = json.loads(out)
    assert code == 0 and shown["item"]["text"] == "refused \x1b]0;pwned\x07"
    code, out = run(env, "quarantine", "show", str(listed["id"]))
    assert code == 0 and "\x1b" not in out and "\x07" not in out
    # Retried: the kept copy (its datetime written as text) is stored, linked to the
    # capture it was read from, and the row is gone.
    code, out = run(env, "quarantine", "retry", str(listed["id"]), "--json")
    assert (code, json.loads(out)) == (0, {"id": listed["id"], "stored": True, "reason": None})
    with workspace.engine.connect() as conn:
        item = conn.execute(sa.select(ITEM).where(ITEM.c.external_id == "bad\x1b[31m")).one()
        links = conn.execute(
            sa.select(sa.func.count()).where(ITEM_CAPTURE.c.item_id == item.id)
        ).scalar()
        left = conn.execute(sa.select(sa.func.count()).select_from(QUARANTINE)).scalar()
    assert item.text == "refused \x1b]0;pwned\x07" and links == 1 and left == 0
    code, out = run(env, "quarantine", "--json")
    assert (code, out) == (0, "")


def test_drop_and_unknown_ids(env: dict[str, str], workspace: Workspace) -> None:
    quarantine_one(workspace)
    code, out = run(env, "quarantine", "--json", "--source", "other")
    assert (code, out) == (0, "")
    [listed] = [json.loads(line) for line in run(env, "quarantine", "--json")[1].splitlines()]
    code, out = run(env, "quarantine", "drop", str(listed["id"]), "--json")
    assert code == 0 and json.loads(out)["dropped"]["id"] == listed["id"]
    with workspace.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(QUARANTINE)).scalar() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(ITEM)).scalar() == 2
    for command in ("show", "retry", "drop"):
        code, out = run(env, "quarantine", command, str(listed["id"]))
        assert code == 2 and f"no quarantined item {listed['id']}" in out


def test_retry_of_a_source_no_longer_watched_says_so(
    env: dict[str, str], workspace: Workspace, tmp_path: Path
) -> None:
    quarantine_one(workspace)
    [listed] = [json.loads(line) for line in run(env, "quarantine", "--json")[1].splitlines()]
    (tmp_path / "sources.toml").write_text("")
    code, out = run(env, "quarantine", "retry", str(listed["id"]))
    assert code == 2 and "not in the watch list any more" in out
    with workspace.engine.connect() as conn:  # kept for later
        assert conn.execute(sa.select(sa.func.count()).select_from(QUARANTINE)).scalar() == 1
