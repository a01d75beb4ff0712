"""The write-up exports on real Arabic and Russian posts: Markdown grouped by area and
day with whole headings and a citation line (UTC and the source's local time), Word
and Excel files read back with python-docx and openpyxl, CSV with a byte-order mark."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook
from typer.testing import CliRunner

from readview_support import arabic_report, topwar_posts, with_readview_watchlists
from sourcewatch.cli import app
from sourcewatch.config import Settings
from sourcewatch.triage.export import TRANSLATION, render
from sourcewatch.triage.writeup import by_area_and_day, citation, heading
from sourcewatch.workspace import Workspace
from triage_support import T0, Post, channel, ingest_posts

runner = CliRunner()
WATCH_LIST = """
[[sources]]
name = "topwar_official"
kind = "telegram"
target = "topwar_official"
areas = ["ukraine"]
timezone = "Europe/Moscow"

[[sources]]
name = "syrianarchive"
kind = "web"
target = "https://syrianarchive.org"
areas = ["syria"]
"""
HOSTILE_NOTE = '=HYPERLINK("http://evil.example")'


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return with_readview_watchlists(settings)


@pytest.fixture
def env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    sources = tmp_path / "sources.toml"
    sources.write_text(WATCH_LIST, encoding="utf-8")
    return {
        "SOURCEWATCH_DATA_DIR": str(settings.data_dir),
        "SOURCEWATCH_DATABASE_URL": settings.resolved_database_url,
        "SOURCEWATCH_WATCHLISTS_DIR": str(settings.watchlists_dir),
        "SOURCEWATCH_SOURCES_FILE": str(sources),
        "SOURCEWATCH_ANALYST": "amira",
        "COLUMNS": "100",
    }


@pytest.fixture
def ids(workspace: Workspace, env: dict[str, str]) -> dict[str, int]:
    posts = topwar_posts()
    found = ingest_posts(
        workspace,
        channel("topwar_official", weight=2, areas=("ukraine",)),
        [Post("70996", posts["70996"])],
    )
    found |= ingest_posts(
        workspace,
        channel("syrianarchive", weight=3, areas=("syria",)),
        [Post("incident-7", arabic_report(), author="الأرشيف السوري")],
        now=T0 + timedelta(days=1),
    )
    for item in found.values():
        assert run(env, "mark", str(item), "--status", "relevant")[0] == 0
    assert run(env, "mark", str(found["70996"]), "--note", HOSTILE_NOTE)[0] == 0
    return found


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_markdown_groups_by_area_and_day_with_a_citation_line(env: dict, ids: dict) -> None:
    code, out = run(env, "export", "--format", "md")
    assert code == 0
    order = [line for line in out.splitlines() if line.startswith(("## ", "### "))]
    assert order == ["## syria", "### 2026-11-21", "## ukraine", "### 2026-11-20"]
    first_line = arabic_report().splitlines()[0]  # no title: the text's first line, whole
    assert f"#### \\_{first_line[1:]}" in out
    assert (
        "- **Cite:** topwar\\_official; published 2026-11-20 07:55 UTC "
        "(2026-11-20 10:55 Europe/Moscow, UTC+0300); <https://t.me/topwar_official/70996>; "
        "archived SHA-256 "
    ) in out
    assert "(captured 2026-11-20 08:00 UTC)." in out
    assert "syrianarchive; الأرشيف السوري; published 2026-11-21 07:55 UTC; " in out
    assert "> وقع الهجوم السابع على المشافي" in out


def test_a_translation_is_shown_where_the_row_has_one(env: dict, ids: dict) -> None:
    code, out = run(env, "export", "--format", "jsonl")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows[0][TRANSLATION] is None  # nothing translated yet: the column is empty
    # what export_rows gives once a translation is stored (translate.store, tested there)
    rows[0].update(
        translation="The seventh attack",
        translation_language="ar -> en",
        translation_engine="libretranslate",
    )
    markdown = "".join(render(rows, "md"))
    assert "*Translation (libretranslate, ar -\\> en):*\n\n> The seventh attack" in markdown
    header = "".join(render(rows, "csv")).splitlines()[0]
    assert header.endswith(",translation,translation_language,translation_engine")


def test_docx_reads_back_with_arabic_marked_right_to_left(
    env: dict, ids: dict, tmp_path: Path
) -> None:
    target = tmp_path / "week.docx"
    code, out = run(env, "export", "--format", "docx", "--output", str(target))
    assert code == 0 and "2 items written" in out
    document = Document(str(target))
    texts = [p.text for p in document.paragraphs]
    lead = next(p for p in document.paragraphs if p.text.startswith("وقع الهجوم السابع"))
    assert lead.text in arabic_report()
    assert lead._p.pPr.find(qn("w:bidi")) is not None  # a right-to-left paragraph
    [run_] = lead.runs
    assert run_.font.rtl and run_._r.rPr.rFonts.get(qn("w:cs")) == "Arial"
    assert run_._r.rPr.find(qn("w:lang")).get(qn("w:bidi")) == "ar-SA"
    russian = next(p for p in document.paragraphs if "ЧВК «Вагнер»" in p.text)
    assert russian._p.pPr is None or russian._p.pPr.find(qn("w:bidi")) is None
    assert "syria" in texts and "ukraine" in texts  # the area headings
    assert any(t.startswith("Cite: topwar_official; published") for t in texts)
    assert any(t == f"Note: {HOSTILE_NOTE}" for t in texts)


def test_xlsx_reads_back_with_plain_cells_and_rtl_alignment(
    env: dict, ids: dict, tmp_path: Path
) -> None:
    target = tmp_path / "week.xlsx"
    assert run(env, "export", "--format", "xlsx", "--output", str(target))[0] == 0
    sheet = load_workbook(target)["items"]
    header = [cell.value for cell in sheet[1]]
    rows = [dict(zip(header, (c for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    arabic = next(r for r in rows if r["source"].value == "syrianarchive")
    assert arabic["text"].value == arabic_report()  # UTF-8 text, whole
    assert arabic["text"].alignment.horizontal == "right"
    assert arabic["text"].alignment.readingOrder == 2
    assert arabic["author"].value == "الأرشيف السوري"
    russian = next(r for r in rows if r["source"].value == "topwar_official")
    assert russian["text"].value == topwar_posts()["70996"]
    assert russian["text"].alignment.horizontal != "right"
    assert russian["note"].value == HOSTILE_NOTE and russian["note"].data_type == "s"
    assert russian["published_local"].value == "2026-11-20T10:55:00+03:00"


def test_csv_has_a_byte_order_mark_for_excel(env: dict, ids: dict, tmp_path: Path) -> None:
    target = tmp_path / "week.csv"
    assert run(env, "export", "--format", "csv", "--output", str(target))[0] == 0
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\xef\xbb\xbf") == 1
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    arabic = next(r for r in rows if r["source"] == "syrianarchive")
    assert arabic["text"] == arabic_report() and arabic["author"] == "الأرشيف السوري"
    russian = next(r for r in rows if r["source"] == "topwar_official")
    assert russian["note"] == "'" + HOSTILE_NOTE  # not a live formula


def test_an_unknown_format_is_bad_usage(env: dict, ids: dict) -> None:
    assert run(env, "export", "--format", "pdf")[0] == 2


def test_writeup_parts_unit() -> None:
    rows = [
        {
            "primary_area": None,
            "published_at": None,
            "archived_at": None,
            "priority": 1,
            "title": None,
            "text": "",
            "source": "s",
            "sources": ["s"],
        },
        {
            "primary_area": "sahel",
            "published_at": "2026-11-20T08:00:00Z",
            "priority": 5,
            "title": "A title that is long " * 8,
            "text": "x",
            "source": "t",
            "sources": ["t"],
            "canonical_url": None,
        },
    ]
    groups = by_area_and_day(rows)
    assert [area for area, _ in groups] == ["sahel", "no area"]
    assert groups[1][1][0][0] == "date unknown"
    assert heading(rows[1]) == ("A title that is long " * 8).strip()  # whole
    assert heading(rows[0]) == "(no text)"
    assert citation(rows[1]) == "t; published 2026-11-20 08:00 UTC; no URL; not archived."


def test_a_source_timezone_must_be_a_known_zone() -> None:
    from sourcewatch.sources.config import SourceConfig

    source = SourceConfig(name="a", kind="telegram", target="a", timezone="Asia/Damascus")
    assert source.timezone == "Asia/Damascus"
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        SourceConfig(name="a", kind="telegram", target="a", timezone="Mars/Olympus")
