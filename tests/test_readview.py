"""What an analyst reads: highlights of every hit in real Arabic and Russian posts, URLs
that survive wrapping, paging on a terminal (through a real pty), UTF-8 JSON, readable
history, and marking an item that matched nothing (on SQLite and PostgreSQL)."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from readview_support import (
    TOPWAR_URL_IN_POST,
    arabic_lead,
    arabic_report,
    topwar_posts,
    with_readview_watchlists,
)
from sourcewatch.cli import app
from sourcewatch.config import Settings
from sourcewatch.matching import load_matcher
from sourcewatch.matching.highlights import item_highlights
from sourcewatch.triage.render import highlighted, isolate
from sourcewatch.workspace import Workspace
from triage_support import T0, Post, channel, ingest_posts

runner = CliRunner()
FSI, PDI = "\u2068", "\u2069"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return with_readview_watchlists(settings)


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    return {
        "SOURCEWATCH_DATA_DIR": str(settings.data_dir),
        "SOURCEWATCH_DATABASE_URL": settings.resolved_database_url,
        "SOURCEWATCH_WATCHLISTS_DIR": str(settings.watchlists_dir),
        "SOURCEWATCH_ANALYST": "amira",
        "COLUMNS": "100",
    }


@pytest.fixture
def ids(workspace: Workspace) -> dict[str, int]:
    posts = topwar_posts()
    found = ingest_posts(
        workspace,
        channel("topwar_official", weight=2, areas=("ukraine",)),
        [Post(key, posts[key]) for key in ("70996", "70990")],
    )
    found |= ingest_posts(
        workspace,
        channel("syrianarchive", weight=3, areas=("syria",)),
        [Post("incident-7", arabic_report(), author="الأرشيف السوري")],
        now=T0 + timedelta(hours=1),
    )
    return found


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_every_hit_is_a_span_of_the_original_script(settings: Settings) -> None:
    text = arabic_report()
    hits = item_highlights(load_matcher(settings.watchlists_dir), None, text)
    assert all(text[h.start : h.end] == h.surface for h in hits)
    by_kind = {(h.kind, h.entity or h.alias) for h in hits}
    assert ("entity", "idlib") in by_kind and ("entity", "russian-air-force") in by_kind
    assert ("keyword", "المستشفى") in by_kind  # the rule keyword, in Arabic script
    air_force = [h for h in hits if h.entity == "russian-air-force"]
    assert {h.alias for h in air_force} == {"الطائرات الروسية", "القوات الجوية الروسية"}
    assert {h.rules for h in air_force} == {("strike-on-hospital",)}
    idlib = next(h for h in hits if h.entity == "idlib")
    assert idlib.rules == ()  # no fired rule names Idlib: highlighted, not a rule hit


def test_keywords_of_rules_that_did_not_fire_are_not_reasons(settings: Settings) -> None:
    matcher = load_matcher(settings.watchlists_dir)
    # "hospital" alone (no Russian air force): the rule does not fire, nothing to show
    assert item_highlights(matcher, None, "The hospital in Idlib was hit.")[0].entity == "idlib"
    assert [h.kind for h in item_highlights(matcher, None, "The hospital was hit.")] == []


def test_russian_hits_with_title_field_offsets(settings: Settings) -> None:
    text = topwar_posts()["70996"]
    hits = item_highlights(load_matcher(settings.watchlists_dir), "Бахмут", text)
    title = [h for h in hits if h.field == "title"]
    assert [(h.entity, h.start, h.end) for h in title] == [("bakhmut", 0, 6)]
    wagner = next(h for h in hits if h.entity == "wagner")
    assert text[wagner.start : wagner.end] == "ЧВК «Вагнер»" and wagner.alias == "ЧВК Вагнер"
    assert wagner.rules == ("wagner-at-bakhmut",)


def test_highlighting_keeps_logical_order_and_isolates_only_rtl() -> None:
    text = arabic_lead()
    start = text.index("هادي")
    end = start + len("هادي العبد الله")
    rendered = highlighted(text, [_Span(start, end)])
    assert rendered.plain == text  # styles only: no mark, no reordering
    [styled] = [s for s in rendered.spans if s.style]
    assert (styled.start, styled.end) == (start, end)
    assert isolate("إدلب") == f"{FSI}إدلب{PDI}" and isolate("Idlib") == "Idlib"


class _Span:
    def __init__(self, start: int, end: int) -> None:
        self.start, self.end, self.field = start, end, "text"


def test_show_lists_each_hit_with_alias_entity_and_rule(env: dict, ids: dict) -> None:
    code, out = run(env, "show", str(ids["incident-7"]))
    assert code == 0
    assert arabic_lead().replace("\\.", "\\.") in out  # the text itself, unchanged
    assert "why it was queued" in out
    assert (
        f"{FSI}الطائرات الروسية{PDI}  entity russian-air-force, alias "
        f"\u201c{FSI}الطائرات الروسية{PDI}\u201d; rule strike-on-hospital"
    ) in out
    assert (
        f"{FSI}المستشفى{PDI}  keyword \u201c{FSI}المستشفى{PDI}\u201d; rule strike-on-hospital"
        in out
    )
    code, out = run(env, "show", str(ids["70996"]))
    assert (
        "ЧВК «Вагнер»  entity wagner, alias \u201cЧВК Вагнер\u201d; rule wagner-at-bakhmut" in out
    )


def test_show_json_has_highlights_and_utf8(env: dict, ids: dict) -> None:
    code, out = run(env, "show", str(ids["incident-7"]), "--json")
    assert code == 0
    assert "\\u06" not in out and "الطائرات الروسية" in out  # UTF-8, not \u escapes
    data = json.loads(out)
    hits = data["highlights"]
    assert {h["kind"] for h in hits} == {"entity", "keyword"}
    for hit in hits:
        assert data["text"][hit["start"] : hit["end"]] == hit["surface"]


def test_json_escapes_what_acts_on_a_terminal(env: dict, workspace: Workspace) -> None:
    hostile = "إدلب \x9b31m red \u202etxt.exe\u202c \u2028 end"
    found = ingest_posts(workspace, channel("hostile"), [Post("1", hostile)])
    code, out = run(env, "show", str(found["1"]), "--json")
    assert code == 0
    assert "\x9b" not in out and "\u202e" not in out and "\u2028" not in out
    assert "\\u009b" in out and "\\u202e" in out and "إدلب" in out
    assert json.loads(out)["text"] == hostile  # the data is unchanged for a JSON reader
    code, out = run(env, "queue", "--json", "--status", "any")
    assert "إدلب" in out and "\\u0625" not in out


def test_urls_are_never_broken_by_wrapping(env: dict, ids: dict) -> None:
    narrow = {**env, "COLUMNS": "40"}
    code, out = run(narrow, "show", str(ids["70996"]))
    assert code == 0
    assert TOPWAR_URL_IN_POST in out  # in the text
    assert "https://t.me/topwar_official/70996" in out  # the url fact
    code, out = run(narrow, "show", str(ids["incident-7"]))
    assert "https://www.youtube.com/watch?v=iCqA8uzVklg" in out


def test_history_reads_as_words_and_a_tag_only_mark_is_not_a_status_change(
    env: dict, ids: dict
) -> None:
    item = str(ids["70996"])
    code, out = run(env, "mark", item, "--tag", "bakhmut")
    assert code == 0 and "new -> new" not in out and "tags +bakhmut" in out
    code, out = run(env, "mark", item, "--status", "relevant", "--note", "وثقه الأرشيف السوري")
    assert "status new -> relevant" in out
    code, out = run(env, "history", item)
    assert code == 0
    assert "['" not in out and "None" not in out
    assert "status new -> relevant" in out and "tags +bakhmut" in out
    assert "entities wagner, bakhmut" in out and "rules wagner-at-bakhmut" in out


def test_an_item_that_matched_nothing_can_be_marked_and_exported(env: dict, ids: dict) -> None:
    quiet = ids["70990"]  # the Pulkovo post matches no watchlist entry
    assert run(env, "history", str(quiet))[0] == 1  # not queued
    code, out = run(env, "mark", str(quiet), "--status", "relevant", "--json")
    assert code == 0
    assert json.loads(out) == {
        "item_id": quiet,
        "status": "relevant",
        "previous_status": "new",
        "version": 2,
        "added": True,
    }
    events = [
        json.loads(line) for line in run(env, "history", str(quiet), "--json")[1].splitlines()
    ]
    assert [(e["analyst"], e["action"]) for e in events] == [
        ("amira", "added"),
        ("amira", "marked"),
    ]
    assert events[0]["detail"]["by"] == "hand"
    code, out = run(env, "history", str(quiet))
    assert "added to the queue by hand" in out
    code, out = run(env, "export", "--format", "jsonl")
    [row] = [json.loads(line) for line in out.splitlines()]
    assert row["item_id"] == quiet and row["primary_area"] == "ukraine"
    code, out = run(env, "queue", "--json", "--status", "relevant", "--source", "topwar_official")
    assert [json.loads(line)["item_id"] for line in out.splitlines()] == [quiet]
    assert run(env, "mark", "999999", "--status", "relevant")[0] == 1


def _run_in_pty(env: dict[str, str], args: list[str], rows: int = 24) -> str:
    """Run the CLI with stdout on a real pseudo-terminal of ``rows`` x 100."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, 100, 0, 0))
    full_env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    full_env |= {k: v for k, v in env.items() if k not in ("COLUMNS",)}
    full_env["TERM"] = "xterm-256color"
    with subprocess.Popen(
        [sys.executable, "-m", "sourcewatch", *args],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        env=full_env,
    ) as process:
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
    os.close(master)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.slow
def test_long_output_on_a_terminal_goes_through_the_pager(
    env: dict, ids: dict, tmp_path: Path, settings: Settings
) -> None:
    paged = tmp_path / "paged.txt"
    pager_env = {**env, "PAGER": f"sh -c 'cat > {paged}'"}
    if not settings.resolved_database_url.startswith("sqlite"):
        pytest.skip("one backend is enough for the terminal behaviour")
    screen = _run_in_pty(pager_env, ["show", str(ids["incident-7"])])
    text = paged.read_text(encoding="utf-8")
    assert "\x1b[" in text  # styles kept for less -R
    assert "why it was queued" in text and "https://www.youtube.com/watch?v=iCqA8uzVklg" in text
    assert "why it was queued" not in screen  # it went to the pager, not the terminal
    paged.unlink()
    screen = _run_in_pty(pager_env, ["show", str(ids["70990"])], rows=60)
    assert not paged.exists()  # short: printed on the terminal
    assert "Пулково" in screen


@pytest.mark.slow
def test_the_triage_loop_pages_a_long_item_then_prompts(
    env: dict, ids: dict, tmp_path: Path, settings: Settings
) -> None:
    paged = tmp_path / "paged.txt"
    pager_env = {**env, "PAGER": f"sh -c 'cat > {paged}'"}
    if not settings.resolved_database_url.startswith("sqlite"):
        pytest.skip("one backend is enough for the terminal behaviour")
    # stdin is not a terminal: the loop reads no key, gives the item back and stops
    screen = _run_in_pty(pager_env, ["triage", "--source", "syrianarchive"])
    text = paged.read_text(encoding="utf-8")
    assert "https://www.youtube.com/watch?v=iCqA8uzVklg" in text  # the whole item, paged
    assert "why it was queued" not in screen  # it went to the pager, not the terminal
    assert "[r]elevant" in screen  # the prompt stays on the terminal


def test_the_queue_at_100_columns_shows_enough_to_decide(env: dict, ids: dict) -> None:
    code, out = run(env, "queue")
    assert code == 0
    lines = out.splitlines()
    assert all(len(line) <= 100 for line in lines)
    facts = next(line for line in lines if line.lstrip().startswith(str(ids["incident-7"])))
    assert "syrianarchive | syria | idlib,russian-air-force" in facts
    below = "\n".join(lines[lines.index(facts) + 1 : lines.index(facts) + 4])
    words = arabic_report().split()[:12]  # the start of the text, wrapped under the facts
    assert all(word in below for word in words)
    russian = next(line for line in lines if line.lstrip().startswith(str(ids["70996"])))
    assert "topwar_official | ukraine | wagner,bakhmut" in russian
    assert "Информация о том, что подразделения ЧВК «Вагнер»" in out


def test_adding_by_hand_twice_returns_the_same_entry(workspace: Workspace) -> None:
    # The second add hits the unique entry per item (a concurrent analyst's add looks the
    # same): it is rolled back to its savepoint and the first entry is returned.
    from sourcewatch.triage.manual import add_by_hand

    found = ingest_posts(workspace, channel("quiet"), [Post("1", "Nothing to see here at all.")])
    with workspace.engine.begin() as conn:
        first = add_by_hand(conn, found["1"], "amira", T0)
        again = add_by_hand(conn, found["1"], "bashir", T0)
        assert add_by_hand(conn, 999_999, "amira", T0) is None
    assert first is not None and again == first


def test_the_triage_loop_lists_why_each_item_was_queued(env: dict, ids: dict) -> None:
    result = runner.invoke(app, ["triage", "--area", "ukraine"], env=env, input="q\n")
    assert result.exit_code == 0
    assert "why it was queued" in result.output
    assert "ЧВК «Вагнер»  entity wagner" in result.output


def test_the_same_hit_again_is_counted_not_repeated(env: dict, ids: dict) -> None:
    code, out = run(env, "show", str(ids["incident-7"]))
    assert code == 0
    keyword = f"{FSI}المستشفى{PDI}"
    line = f"  {keyword}  keyword \u201c{keyword}\u201d; rule strike-on-hospital (x18)"
    assert line in out.splitlines()
    assert sum(1 for row in out.splitlines() if row.startswith(f"  {keyword}  ")) == 1


def test_broken_watchlists_fall_back_to_the_stored_matches(
    env: dict, ids: dict, tmp_path: Path
) -> None:
    broken = tmp_path / "broken-watchlists"
    broken.mkdir()
    (broken / "bad.toml").write_text("[[entities]]\nid = \n", encoding="utf-8")
    result = runner.invoke(
        app, ["show", str(ids["70996"])], env={**env, "SOURCEWATCH_WATCHLISTS_DIR": str(broken)}
    )
    assert result.exit_code == 0
    assert "watchlists not loaded, stored matches shown" in result.output
    assert "ЧВК «Вагнер»" in result.output and "why it was queued" not in result.output
    explain = runner.invoke(
        app,
        ["show", str(ids["70996"]), "--explain"],
        env={**env, "SOURCEWATCH_WATCHLISTS_DIR": str(broken)},
    )
    assert explain.exit_code == 1 and "cannot explain" in explain.output
