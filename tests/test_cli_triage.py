"""The triage commands through the real CLI: queue, show, mark, history, triage, export."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

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
HOSTILE = (
    "\x1b]0;You have been pwned\x07"  # retitle the terminal window
    "\x1b[2J\x1b[H"  # clear the screen and move the cursor home
    "\x1b]52;c;cm0gLXJmIH4=\x07"  # write to the clipboard
    "[bold red]not markup[/] JNIM claimed \u202etxt.exe\u202c the Boni attack"
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return with_test_watchlists(settings)


@pytest.fixture
def ids(workspace: Workspace) -> dict[str, int]:
    sahel = channel("sahel_watch", weight=2, areas=("mali",))
    found = ingest_posts(workspace, sahel, [Post("1", CLAIM, author="Sahel Watch")])
    found |= ingest_posts(workspace, sahel, [Post("2", WAGNER)], now=T0 + timedelta(hours=1))
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


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env, input=stdin)
    return result.exit_code, result.output


def lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_queue_json_lists_highest_priority_first(env: dict, ids: dict) -> None:
    code, out = run(env, "queue", "--json")
    rows = lines(out)
    assert code == 0
    assert [r["item_id"] for r in rows] == [ids["ttp"], ids["1"], ids["2"]]
    first = rows[1]
    assert {k: first[k] for k in ("source", "external_id", "status", "priority")} == {
        "source": "sahel_watch",
        "external_id": "1",
        "status": "new",
        "priority": 102,
    }
    assert first["areas"] == ["mali", "sahel"] and first["entities"] == ["jnim", "mali"]
    code, out = run(env, "queue", "--json", "--area", "af-pak", "--limit", "5")
    assert [r["item_id"] for r in lines(out)] == [ids["ttp"]]
    code, out = run(env, "queue", "--json", "--source", "sahel_watch", "--min-priority", "100")
    assert [r["item_id"] for r in lines(out)] == [ids["1"]]


def test_queue_table_and_usage_errors(env: dict, ids: dict) -> None:
    code, out = run(env, "queue")
    assert code == 0 and "sahel_watch" in out and "pak_news" in out
    assert run(env, "queue", "--status", "done")[0] == 2
    assert run(env, "queue", "--since", "yesterday")[0] == 2
    assert run(env, "queue", "--limit", "0")[0] == 2


def test_queue_mark_and_history_refuse_a_bad_setting_they_use(env: dict, ids: dict) -> None:
    bad = {**env, "SOURCEWATCH_SQLITE_BUSY_TIMEOUT_MS": "soon"}
    for args in (["queue"], ["mark", str(ids["1"]), "--status", "relevant"], ["history", "1"]):
        code, out = run(bad, *args)
        assert code == 2, args
        assert "invalid settings" in out and "sqlite_busy_timeout_ms" in out, args


def test_listing_the_queue_loads_no_settings_models_and_no_http_client(
    env: dict, ids: dict
) -> None:
    # `queue` starts often: the full Settings (pydantic models) and the translation
    # service's HTTP client (httpx) cost a third of its start-up (speed-ii.md §10).
    code = (
        "import sys\n"
        "from sourcewatch.launch import main\n"
        "sys.argv[:] = ['sourcewatch', 'queue']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "print(' '.join(sys.modules), file=sys.stderr)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert "sahel_watch" in out.stdout  # the table was rendered
    loaded = set(out.stderr.split())
    assert not loaded & {"sourcewatch.config", "sourcewatch.net", "httpx"}


def test_mark_then_history_records_the_analyst(env: dict, ids: dict) -> None:
    code, out = run(
        env,
        "mark",
        str(ids["1"]),
        str(ids["2"]),
        "--status",
        "relevant",
        "--note",
        "confirmed by ACLED",
        "--tag",
        "claim",
        "--json",
    )
    assert code == 0
    assert [r["status"] for r in lines(out)] == ["relevant", "relevant"]
    code, out = run(env, "mark", str(ids["1"]), "--status", "escalated", "--analyst", "bashir")
    assert code == 0 and "relevant -> escalated" in out
    code, out = run(env, "history", str(ids["1"]), "--json")
    events = lines(out)
    assert [(e["analyst"], e["action"]) for e in events] == [
        ("sourcewatch", "queued"),
        ("amira", "marked"),
        ("bashir", "marked"),
    ]
    assert events[1]["detail"]["note"] == "confirmed by ACLED"
    code, out = run(env, "queue", "--json", "--status", "escalated")
    assert [r["item_id"] for r in lines(out)] == [ids["1"]]
    assert run(env, "history", str(ids["1"]))[0] == 0


def test_a_stale_mark_is_a_conflict_exit_1(env: dict, ids: dict) -> None:
    assert run(env, "mark", str(ids["2"]), "--status", "relevant", "--expect-version", "1")[0] == 0
    code, out = run(env, "mark", str(ids["2"]), "--status", "irrelevant", "--expect-version", "1")
    assert code == 1
    assert "was changed by amira" in out and "Nothing was changed" in out
    code, out = run(env, "queue", "--json", "--status", "relevant")
    assert [r["item_id"] for r in lines(out)] == [ids["2"]]


def test_mark_errors(env: dict, ids: dict) -> None:
    assert run(env, "mark", "99999", "--status", "relevant")[0] == 1
    assert run(env, "mark", str(ids["1"]), "--status", "maybe")[0] == 2
    assert run(env, "mark", str(ids["1"]))[0] == 2  # nothing to change
    assert run(env, "show", "99999")[0] == 1
    assert run(env, "history", "99999")[0] == 1


def test_show_strips_escape_sequences_and_shows_bidi(env: dict, workspace: Workspace) -> None:
    found = ingest_posts(workspace, channel("hostile"), [Post("1", HOSTILE, author="\x1b[31mx")])
    code, out = run(env, "show", str(found["1"]))
    assert code == 0
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "pwned" not in out and "cm0gLXJmIH4" not in out  # the OSC payloads are gone too
    assert "[bold red]not markup[/] JNIM claimed <U+202E>txt.exe<U+202C> the Boni attack" in out
    assert "https://t.me/hostile/1" in out
    code, out = run(env, "show", str(found["1"]), "--json")
    assert json.loads(out)["text"] == HOSTILE  # JSON keeps the data, escaped
    assert "\x1b" not in out


def test_show_lists_revisions_and_captures(env: dict, ids: dict, workspace: Workspace) -> None:
    ingest_posts(
        workspace,
        channel("sahel_watch", weight=2, areas=("mali",)),
        [Post("1", CLAIM + " Update: 12 soldiers killed.", author="Sahel Watch")],
        now=T0 + timedelta(hours=3),
    )
    code, out = run(env, "show", str(ids["1"]))
    assert code == 0
    assert "changes in revision 2" in out and "+" + CLAIM + " Update" in out
    data = json.loads(run(env, "show", str(ids["1"]), "--json")[1])
    assert len(data["captures"]) == 2
    for capture in data["captures"]:
        assert capture["sha256"] in out


def test_interactive_triage_with_piped_keys(env: dict, ids: dict) -> None:
    # ttp (120) first: relevant; then item 1: a note, then escalate; then quit.
    code, out = run(env, "triage", stdin="r\nn\nsource is reliable\ne\nq\n")
    assert code == 0
    assert "2 more after this" in out and "note saved" in out and "Stopped. Marked 2." in out
    statuses = {
        r["item_id"]: r["status"] for r in lines(run(env, "queue", "--json", "--status", "any")[1])
    }
    assert statuses == {ids["ttp"]: "relevant", ids["1"]: "escalated", ids["2"]: "new"}
    history = lines(run(env, "history", str(ids["1"]), "--json")[1])
    assert [e["detail"].get("note") for e in history[1:]] == ["source is reliable", None]


def test_triage_skip_and_end_of_queue(env: dict, ids: dict) -> None:
    # Both items' primary area is their source's (mali); the Wagner post alone names no
    # place of the watchlist, so Wagner's "sahel" is not added to it (issue 21).
    code, out = run(env, "triage", "--area", "mali", stdin="s x i\n")
    assert code == 0
    assert "unknown key 'x'" in out and "Nothing left to triage. Marked 1." in out


def test_export_formats(env: dict, ids: dict, tmp_path: Path) -> None:
    run(env, "mark", str(ids["1"]), "--status", "relevant")
    code, out = run(env, "export", "--format", "jsonl", "--since", "7d")
    [row] = lines(out)
    assert code == 0 and row["item_id"] == ids["1"]
    assert row["canonical_url"] == "https://t.me/sahel_watch/1"
    assert row["primary_area"] == "mali" and row["areas"][0] == "mali"  # the source's area
    assert len(row["archived_sha256"]) == 64 and row["archived_at"] == "2026-11-20T08:00:00Z"
    target = tmp_path / "week.csv"
    assert run(env, "export", "--format", "csv", "--output", str(target))[0] == 0
    assert row["archived_sha256"] in target.read_text()
    code, out = run(env, "export", "--format", "md")
    assert code == 0 and "# Triage export (1 items)" in out and row["archived_sha256"] in out
    assert run(env, "export", "--format", "pdf")[0] == 2


def test_show_explain(env: dict, workspace: Workspace) -> None:
    found = ingest_posts(workspace, channel("explain"), [Post("1", CLAIM)])
    code, out = run(env, "show", str(found["1"]), "--explain")
    assert code == 0
    assert "why it matches (current watchlists):" in out
    assert "match jnim: alias" in out
    code, out = run(env, "show", str(found["1"]), "--json", "--explain")
    explain = json.loads(out)["explain"]
    assert any(m["entity"] == "jnim" and m["kept"] for m in explain["mentions"])
    code, out = run(env, "show", str(found["1"]))
    assert "why it matches" not in out
