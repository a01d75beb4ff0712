"""Matching during ingest, and rescan: matches stored per revision, hits queued."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from sourcewatch.config import Settings
from sourcewatch.ingest.rescan import rescan
from sourcewatch.ingest.writer import ingest
from sourcewatch.matching import WatchlistError
from sourcewatch.records import ParsedItem, PollResult, RawCapture
from sourcewatch.sources.config import SourceConfig
from sourcewatch.store.tables import ITEM, MATCH, TRIAGE
from sourcewatch.workspace import Workspace

SOURCE = SourceConfig(name="rybar", kind="telegram", target="rybar", areas=("sahel",))
SAHEL = """
area = "sahel"

[[entities]]
id = "wagner"
name = "Wagner Group"
kind = "organization"
weight = 3
aliases = ["Вагнер", "PMC Wagner"]

[[entities]]
id = "gao"
name = "Gao"
kind = "place"
aliases = ["Gao"]
"""


@pytest.fixture
def ws(settings: Settings, tmp_path: Path) -> Iterator[Workspace]:
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "sahel.toml").write_text(SAHEL)
    settings.watchlists_dir = lists
    workspace = Workspace.open(settings)
    yield workspace
    workspace.close()


def poll(ws: Workspace, tag: bytes, *items: ParsedItem, source: SourceConfig = SOURCE):
    capture = RawCapture(url="https://t.me/s/rybar", body=tag)
    for item in items:
        item.capture_sha256s = [capture.sha256]
    return ingest(ws, source, PollResult([capture], list(items)))


def matches(ws: Workspace) -> list[MATCH]:
    with ws.engine.connect() as session:
        return list(session.execute(sa.select(MATCH).order_by(MATCH.c.revision, MATCH.c.start)))


def test_new_items_are_matched_with_spans_into_title_and_text(ws: Workspace) -> None:
    text = "Бойцы ЧВК Вагнера покинули Гао. PMC Wagner left Gao."
    report = poll(ws, b"p1", ParsedItem("1", title="Wagner in Gao", text=text))
    assert report.matches >= 4 and report.queued == 1
    stored = matches(ws)
    fields = {(m.field, m.entity_id, m.matched_text) for m in stored}
    assert ("title", "gao", "Gao") in fields
    assert ("text", "wagner", "Вагнера") in fields
    for m in stored:
        original = "Wagner in Gao" if m.field == "title" else text
        assert original[m.start : m.end] == m.matched_text


def test_an_edit_is_matched_as_a_new_revision_and_old_matches_stay(ws: Workspace) -> None:
    poll(ws, b"v1", ParsedItem("1", text="Fighting near Gao"))
    poll(ws, b"v2", ParsedItem("1", text="Fighting near Gao, PMC Wagner involved"))
    by_revision = {(m.revision, m.entity_id) for m in matches(ws)}
    assert by_revision == {(1, "gao"), (2, "gao"), (2, "wagner")}


def test_unmatched_items_are_not_queued_unless_the_source_queues_all(ws: Workspace) -> None:
    assert poll(ws, b"a", ParsedItem("1", text="weather report")).queued == 0
    everything = SourceConfig(name="amaq", kind="telegram", target="amaq", queue_all=True)
    assert poll(ws, b"b", ParsedItem("2", text="weather report"), source=everything).queued == 1


def test_rescan_finds_past_mentions_of_a_new_name(ws: Workspace, settings: Settings) -> None:
    poll(ws, b"a", ParsedItem("1", text="Ag Ghaly spoke in Kidal"), ParsedItem("2", text="rain"))
    with ws.engine.connect() as session:
        assert session.execute(sa.select(TRIAGE)).all() == []
    with (settings.watchlists_dir / "sahel.toml").open("a") as fh:
        fh.write('\n[[entities]]\nid = "kidal"\nname = "Kidal"\nkind = "place"\n')
    report = rescan(ws)
    assert (report.items, report.matched, report.queued) == (2, 1, 1)
    assert [m.entity_id for m in matches(ws)] == ["kidal"]
    again = rescan(ws)  # idempotent: matches replaced, nothing queued twice
    assert again.queued == 0 and len(matches(ws)) == 1


def test_rescan_since_only_touches_recent_items(ws: Workspace) -> None:
    from datetime import UTC, datetime, timedelta

    old = ParsedItem("1", text="Gao", published_at=datetime.now(UTC) - timedelta(days=200))
    new = ParsedItem("2", text="Gao", published_at=datetime.now(UTC) - timedelta(days=2))
    poll(ws, b"a", old, new)
    report = rescan(ws, since=timedelta(days=90))
    assert report.items == 1


def test_invalid_watchlists_stop_ingest_before_anything_is_written(
    ws: Workspace, settings: Settings
) -> None:
    (settings.watchlists_dir / "broken.toml").write_text('[[entities]]\nid = "gao"\n')
    fresh = Workspace.open(settings)
    with pytest.raises(WatchlistError):
        poll(fresh, b"a", ParsedItem("1", text="Gao"))
    with fresh.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(ITEM)).scalar() == 0
    fresh.close()
