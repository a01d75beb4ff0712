"""Hostile values: both backends store the same data, one refused item is quarantined.

Issue 19: on PostgreSQL a GUID over 500 characters or a NUL byte made every poll of the
source fail (0 of 3 valid entries stored) while SQLite stored them. The same matrix runs
on both backends (the ``workspace`` fixture is parametrized by database).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from sourcewatch.ingest.storable import MAX_EXTERNAL_ID, storable_key, storable_text
from sourcewatch.ingest.writer import ingest
from sourcewatch.records import MediaRef, ParsedItem, PollResult, RawCapture
from sourcewatch.sources.config import SourceConfig
from sourcewatch.store.tables import ITEM, ITEM_REVISION, QUARANTINE
from sourcewatch.store.tables import SOURCE as SOURCE_TABLE
from sourcewatch.workspace import Workspace

SOURCE = SourceConfig(name="jihadology", kind="wordpress", target="https://example.org")
WHEN = datetime(2023, 9, 20, 14, 2, tzinfo=UTC)
LONG_GUID = "https://example.org/?p=1&" + "x" * 600
LONE = "\ud800"  # a lone high surrogate, as a JSON "\ud800" escape decodes to

# name -> (the hostile item, what must be read back: column -> value)
MATRIX: dict[str, tuple[ParsedItem, dict[str, object]]] = {
    "nul-in-text": (
        ParsedItem("nul-text", text="before\x00after", title="T\x00", author="A\x00B"),
        {"text": "before\ufffdafter", "title": "T\ufffd", "author": "A\ufffdB"},
    ),
    "nul-in-id": (ParsedItem("id\x00nul", text="x"), {"external_id": "id\ufffdnul"}),
    "long-guid": (
        ParsedItem(LONG_GUID, text="long"),
        {"external_id": storable_key(LONG_GUID), "text": "long"},
    ),
    "lone-surrogate": (
        ParsedItem("sur", text=f"a{LONE}b", title=f"{LONE}"),
        {"text": "a\ufffdb", "title": "\ufffd"},
    ),
    "surrogate-pair": (
        ParsedItem("pair", text="\ud83d\ude00"),  # a pair that decoding left split
        {"text": "\U0001f600"},
    ),
    "nul-and-nan-in-json": (
        ParsedItem(
            "json",
            text="j",
            extra={"k\x00": "v\x00", "n": float("nan"), "deep": [{"x": "\x00"}]},
            media=[MediaRef(kind="document", name="f\x00.pdf", url="https://e.org/f")],
        ),
        {"extra": {"k\ufffd": "v\ufffd", "n": "nan", "deep": [{"x": "\ufffd"}]}},
    ),
    "long-language": (
        ParsedItem("lang", text="l", lang="x" * 40),
        {"language": None},
    ),
    "naive-date": (
        ParsedItem("naive", text="n", published_at=datetime(2023, 9, 20, 14, 2)),
        {"published_at": WHEN},
    ),
}


def result(*items: ParsedItem, cursor: dict[str, object] | None = None) -> PollResult:
    capture = RawCapture(url="https://example.org/feed", body=b"<feed/>", status=200)
    for item in items:
        item.capture_sha256s = [capture.sha256]
    return PollResult(captures=[capture], items=list(items), cursor=cursor)


def valid(n: int) -> ParsedItem:
    return ParsedItem(f"ok-{n}", text=f"valid {n}", published_at=WHEN)


@pytest.mark.parametrize("case", sorted(MATRIX))
def test_hostile_values_are_stored_the_same_on_both_backends(
    workspace: Workspace, case: str
) -> None:
    hostile, expected = MATRIX[case]
    report = ingest(workspace, SOURCE, result(valid(1), hostile, valid(2), cursor={"n": 1}))
    assert (report.new, report.quarantined) == (3, [])
    with workspace.engine.connect() as conn:
        rows = conn.execute(sa.select(ITEM).order_by(ITEM.c.id)).all()
        cursor = conn.execute(sa.select(SOURCE_TABLE.c.cursor)).scalar()
    assert len(rows) == 3 and cursor == {"n": 1}
    row = rows[1]
    for column, value in expected.items():
        assert getattr(row, column) == value, column
    # The same hostile item again: the same key, nothing new, nothing edited.
    again = ingest(workspace, SOURCE, result(valid(1), MATRIX[case][0], valid(2)))
    assert (again.new, again.edited, again.unchanged) == (0, 0, 3)


def test_an_over_long_guid_keeps_its_original(workspace: Workspace) -> None:
    ingest(workspace, SOURCE, result(ParsedItem(LONG_GUID, text="long")))
    with workspace.engine.connect() as conn:
        row = conn.execute(sa.select(ITEM)).one()
    assert row.external_id.startswith("sha256:") and len(row.external_id) <= MAX_EXTERNAL_ID
    assert row.extra["external_id_original"] == LONG_GUID


def test_an_item_the_database_still_refuses_is_quarantined_and_the_rest_stored(
    workspace: Workspace,
) -> None:
    # A value no boundary rule makes storable (a collector bug: a datetime in extra).
    refused = ParsedItem("bad", text="refused", extra={"when": WHEN})
    report = ingest(workspace, SOURCE, result(valid(1), refused, valid(2), cursor={"n": 2}))
    assert report.new == 2
    assert len(report.quarantined) == 1 and report.quarantined[0].startswith("bad: ")
    assert "datetime" in report.quarantined[0]
    with workspace.engine.connect() as conn:
        ids = conn.execute(sa.select(ITEM.c.external_id).order_by(ITEM.c.id)).scalars().all()
        revisions = conn.execute(sa.select(sa.func.count()).select_from(ITEM_REVISION)).scalar()
        kept = conn.execute(sa.select(QUARANTINE)).one()
        cursor = conn.execute(sa.select(SOURCE_TABLE.c.cursor)).scalar()
    assert ids == ["ok-1", "ok-2"] and revisions == 2
    assert cursor == {"n": 2}  # the poll went on
    assert kept.external_id == "bad" and "datetime" in kept.reason
    assert json.loads(kept.item)["text"] == "refused"
    # Polled again: still refused, quarantined once, the others unchanged.
    again = ingest(workspace, SOURCE, result(valid(1), refused, valid(2)))
    assert (again.unchanged, len(again.quarantined)) == (2, 1)
    with workspace.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(QUARANTINE)).scalar() == 1


def test_storable_text_keeps_valid_text_untouched() -> None:
    text = "Ansar al-Sharia أنصار الشريعة 😀"
    assert storable_text(text) is text
    assert storable_key("https://e.org/?p=1") == "https://e.org/?p=1"


def test_an_item_stored_under_its_long_guid_before_is_found_not_stored_again(
    workspace: Workspace,
) -> None:
    """Issue 19: a row SQLite stored under the raw >500-character GUID (before ids were
    made storable) was missed by the lookup under the new ``sha256:`` key, and the item
    was stored a second time. PostgreSQL's varchar(500) never held such a row: there
    the column is widened first, as an older or hand-made schema might have it, so the
    lookup by the original id is exercised on both backends."""
    with workspace.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("ALTER TABLE item ALTER COLUMN external_id TYPE text"))
    first = ingest(workspace, SOURCE, result(ParsedItem("short", text="long")))
    assert first.new == 1
    with workspace.engine.begin() as conn:  # the row as the old code stored it
        conn.execute(sa.update(ITEM).values(external_id=LONG_GUID, extra={}))
    again = ingest(workspace, SOURCE, result(ParsedItem(LONG_GUID, text="long")))
    assert (again.new, again.edited, again.unchanged) == (0, 0, 1)
    edited = ingest(workspace, SOURCE, result(ParsedItem(LONG_GUID, text="longer")))
    assert (edited.new, edited.edited) == (0, 1)
    with workspace.engine.connect() as conn:
        rows = conn.execute(sa.select(ITEM.c.external_id, ITEM.c.text, ITEM.c.revision)).all()
    assert rows == [(LONG_GUID, "longer", 2)]


def test_a_text_over_the_cap_is_cut_at_ingest_and_the_item_says_so(workspace: Workspace) -> None:
    # Collectors cut at their parser; ingest catches every other path (imports, parsers
    # that cut nothing) with the same cap, so a giant text is never copied through the
    # matcher, language detection and the database (issue 19).
    workspace.settings.max_item_text_chars = 1_000
    giant = ParsedItem("giant", text="سلام " * 5_000, published_at=WHEN)
    report = ingest(workspace, SOURCE, result(giant, valid(1)))
    assert report.new == 2
    with workspace.engine.connect() as conn:
        row = conn.execute(sa.select(ITEM).where(ITEM.c.external_id == "giant")).one()
    assert row.text.startswith("سلام " * 200)
    assert row.text.endswith(
        "the source sent 25,000 (max_item_text_chars); the raw capture keeps all of it]"
    )
    assert row.extra["text_cut"] == {"kept_chars": 1_000, "original_chars": 25_000}
    # Polled again: the same cut text, the same item, nothing edited.
    again = ingest(
        workspace, SOURCE, result(ParsedItem("giant", text="سلام " * 5_000, published_at=WHEN))
    )
    assert (again.new, again.edited, again.unchanged) == (0, 0, 1)
