"""The ``snapshot``, ``cite`` and ``recheck`` commands: output, files and exit codes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from citations_support import SEED_REPORT, server
from sourcewatch.citations.wayback import WaybackSubmission, submit_to_wayback
from sourcewatch.cli import app
from sourcewatch.config import Settings
from sourcewatch.net import Http

__all__ = ["server"]
runner = CliRunner()


@pytest.fixture
def env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    return {
        "SOURCEWATCH_DATA_DIR": str(settings.data_dir),
        "SOURCEWATCH_DATABASE_URL": settings.resolved_database_url,
        "SOURCEWATCH_SOURCES_FILE": str(tmp_path / "sources.toml"),
        "SOURCEWATCH_NET__RETRIES": "0",
        "SOURCEWATCH_NET__PER_HOST_INTERVAL": "0",
    }


def invoke(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.stdout


def test_cite_dry_run_json_is_the_stable_format(env: dict[str, str]) -> None:
    code, out = invoke(env, "cite", str(SEED_REPORT), "--dry-run", "--json")
    assert code == 0
    document = json.loads(out)
    notes = {note["number"]: note for note in document["footnotes"]}
    assert len(notes) == 80 and 41 not in notes
    assert notes[2] == {
        "number": 2,
        "text": notes[2]["text"],
        "urls": [
            {
                "raw": notes[2]["text"],
                "url": "https://shaam.org/news/syria-news/wst-tjdd-alashtbakat-bdyralzwr-alhfl-"
                "ydaw-lmwaslh-alantfadhh-alashaeryh-dhd-qsd",
                "canonical": "https://shaam.org/news/syria-news/wst-tjdd-alashtbakat-bdyralzwr-"
                "alhfl-ydaw-lmwaslh-alantfadhh-alashaeryh-dhd-qsd",
                "kind": "web",
            }
        ],
    }
    assert notes[1]["urls"] == []
    assert sum(len(note["urls"]) for note in notes.values()) == 125


def test_cite_dry_run_markdown_to_a_file(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "appendix.md"
    code, _ = invoke(env, "cite", str(SEED_REPORT), "--dry-run", "--out", str(out))
    assert code == 0
    text = out.read_text(encoding="utf-8")
    assert "[20] https://t.me/rybar/51411 — not captured (dry run)" in text
    assert "[56] Author’s research. (no URL)" in text


def test_cite_snapshot_and_recheck_end_to_end(
    env: dict[str, str], server: HTTPServer, tmp_path: Path
) -> None:
    server.expect_request("/a").respond_with_data(b"%PDF a", content_type="application/pdf")
    server.expect_request("/b").respond_with_data(b"", status=404)
    report = tmp_path / "r.txt"
    report.write_text(f"[1] {server.url_for('/a')}; {server.url_for('/b')}\n", encoding="utf-8")
    manifest = tmp_path / "m.json"

    code, out = invoke(env, "cite", str(report), "--out", str(manifest))
    assert code == 1  # blocked: loopback without --allow-private
    assert "2 blocked" in out
    assert json.loads(manifest.read_text(encoding="utf-8"))["summary"]["blocked"] == 2

    code, out = invoke(
        env, "cite", str(report), "--allow-private", "--out", str(manifest), "--json"
    )
    assert code == 1  # /b is dead
    assert json.loads(out)["live"] == 1
    written = json.loads(manifest.read_text(encoding="utf-8"))
    assert [u["status"] for u in written["footnotes"][0]["urls"]] == ["live", "deleted"]

    code, out = invoke(env, "snapshot", server.url_for("/a"), "--allow-private", "--json")
    assert code == 0
    line = json.loads(out)
    assert (line["status"], line["reused"]) == ("live", True)
    first = written["footnotes"][0]["urls"][0]
    assert line["captured_at"] == first["captured_at"]  # when that capture was made
    code, out = invoke(env, "snapshot", server.url_for("/a"), "--allow-private")
    when = first["captured_at"][:19].replace("T", " ")
    assert code == 0 and f"(reused: our capture of {when} UTC, within --max-age)" in out

    code, out = invoke(env, "snapshot", server.url_for("/a"), "--allow-private", "--force")
    assert code == 0
    assert "live" in out and "archive id" in out and "warc" in out

    server.clear()
    server.expect_request("/a").respond_with_data(b"%PDF a, edited", content_type="application/pdf")
    server.expect_request("/b").respond_with_data(b"", status=404)
    code, out = invoke(env, "recheck", str(manifest), "--allow-private", "--json")
    assert code == 1  # an edit
    assert json.loads(out)["summary"]["edited"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["snapshot", "https://a.example/", "--max-age", "soon"], "--max-age"),
        (["snapshot", "https://"], "no host"),
        (["cite", "missing.docx"], "cannot read"),
        (["recheck", "missing.json"], "cannot read the manifest"),
    ],
)
def test_usage_errors_exit_2(env: dict[str, str], args: list[str], message: str) -> None:
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.parametrize("command", ["snapshot", "cite", "recheck"])
def test_every_command_has_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "--config" in result.stdout and "--json" in result.stdout


def test_wayback_submission_only_when_asked_per_url(
    env: dict[str, str], server: HTTPServer
) -> None:
    server.expect_request("/post").respond_with_data(b"<html><p>claim</p></html>")
    saved = server.url_for("/post")
    server.expect_request(f"/save/{saved}").respond_with_data(
        b"saved", headers={"Content-Location": f"/web/20260101000000/{saved}"}
    )
    env = {**env, "SOURCEWATCH_EVIDENCE__WAYBACK_SAVE_URL": server.url_for("/save/")}

    code, _ = invoke(env, "snapshot", saved, "--allow-private", "--force")
    assert code == 0
    assert not [r for r, _ in server.log if r.path.startswith("/save/")]  # private by default

    code, out = invoke(
        env, "snapshot", saved, "--allow-private", "--force", "--submit-wayback", "--json"
    )
    assert code == 1  # a loopback URL is never submitted, even with --allow-private
    wayback = json.loads(out)["wayback"]
    assert not wayback["ok"] and "non-public address 127.0.0.1" in wayback["error"]
    assert not [r for r, _ in server.log if r.path.startswith("/save/")]


def test_a_public_url_is_submitted_and_a_refusal_reported(
    settings: Settings, server: HTTPServer
) -> None:
    public = "http://93.184.215.14/post"  # an IP literal: judged without DNS
    server.expect_request(f"/save/{public}").respond_with_data(
        b"saved", headers={"Content-Location": f"/web/20260101000000/{public}"}
    )
    server.expect_request("/save/http://93.184.215.15/post").respond_with_data(b"", status=523)
    evidence = settings.evidence.model_copy(update={"wayback_save_url": server.url_for("/save/")})
    settings = settings.model_copy(update={"evidence": evidence})

    async def submit(url: str) -> WaybackSubmission:
        async with Http(settings.net) as http:
            return await submit_to_wayback(http, settings, url)

    saved = asyncio.run(submit(public))
    assert saved.ok and saved.archived_url == server.url_for(f"/web/20260101000000/{public}")
    refused = asyncio.run(submit("http://93.184.215.15/post"))
    assert (refused.ok, refused.error) == (False, "HTTP 523")
    for private in ("http://127.0.0.1/x", "http://10.1.2.3/x", "http://[::1]/x"):
        assert not asyncio.run(submit(private)).ok
    assert len(server.log) == 2
