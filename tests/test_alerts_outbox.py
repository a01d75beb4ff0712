"""The alert outbox is written by ingest, in the transaction that queues the entry:
one row per entry and matched set, none for unmatched items, duplicates or re-matches."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from alerts_support import WATCHLISTS, alert_settings, poll
from sourcewatch.alerts.outbox import match_key
from sourcewatch.config import Settings
from sourcewatch.ingest.rescan import rescan
from sourcewatch.sources.config import SourceConfig
from sourcewatch.store.tables import ALERT_OUTBOX, ITEM, TRIAGE
from sourcewatch.workspace import Workspace

OUTBOX = ALERT_OUTBOX
MENAFN = SourceConfig(name="menafn", kind="feed", target="https://menafn.example/rss")


@pytest.fixture
def ws(settings: Settings) -> Iterator[Workspace]:
    with Workspace.open(alert_settings(settings)) as workspace:
        yield workspace


def outbox(ws: Workspace) -> list[sa.Row]:
    with ws.engine.connect() as conn:
        return conn.execute(sa.select(OUTBOX).order_by(OUTBOX.c.id)).all()


def test_a_queued_entry_gets_one_outbox_row_with_what_matched(ws: Workspace) -> None:
    poll(ws, "p1", ("1", "PMC Wagner convoy in Gao"), ("2", "Nothing of note"))

    [row] = outbox(ws)
    with ws.engine.connect() as conn:
        entry = conn.execute(sa.select(TRIAGE)).one()
    assert (row.triage_id, row.item_id, row.revision) == (entry.id, entry.item_id, 1)
    assert row.source == "rybar" and row.priority == entry.priority == 101
    assert row.entities == ["wagner", "gao"] and row.rules == []
    assert row.names == ["PMC Wagner", "Gao"] and row.areas == ["sahel"]
    assert row.match_key == match_key(["gao", "wagner"], [])


def test_the_outbox_row_is_rolled_back_with_its_queue_entry(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sourcewatch.ingest.matches as matchstore

    def broken(*args: object) -> int:
        raise RuntimeError("disk full after the outbox write")

    real = matchstore.record_alerts

    def record_then_fail(*args: object) -> int:
        real(*args)  # type: ignore[arg-type]
        return broken()

    monkeypatch.setattr(matchstore, "record_alerts", record_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        poll(ws, "p1", ("1", "PMC Wagner convoy"))
    with ws.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(ITEM)).scalar() == 0
    assert outbox(ws) == []


def test_a_near_duplicate_from_another_source_joins_the_entry_without_an_alert(
    ws: Workspace,
) -> None:
    text = "A PMC Wagner convoy of forty trucks left Gao airport this morning, heading north."
    poll(ws, "p1", ("1", text))
    poll(ws, "m1", ("a", text), source=MENAFN)
    assert [row.source for row in outbox(ws)] == ["rybar"]


def test_edits_write_a_row_only_when_the_matched_set_changes(ws: Workspace) -> None:
    poll(ws, "v1", ("1", "Fighting near Gao"))
    poll(ws, "v2", ("1", "Fighting near Gao today"))  # same set: no row
    poll(ws, "v3", ("1", "Fighting near Gao; PMC Wagner"))  # wagner added: a row
    poll(ws, "v4", ("1", "Heavy fighting near Gao; PMC Wagner"))  # same again: no row
    poll(ws, "v5", ("1", "Heavy fighting"))  # every match removed: re-queued, not alerted
    assert [(row.revision, row.entities) for row in outbox(ws)] == [
        (1, ["gao"]),
        (3, ["gao", "wagner"]),
    ]


def test_a_rescan_of_the_same_revision_writes_nothing_new(ws: Workspace) -> None:
    poll(ws, "p1", ("1", "PMC Wagner convoy in Gao"))
    rescan(ws)
    assert len(outbox(ws)) == 1


def test_a_source_queueing_everything_alerts_for_unmatched_items_too(ws: Workspace) -> None:
    everything = SourceConfig(name="jihadology", kind="wordpress", target="x", queue_all=True)
    poll(ws, "j1", ("9", "A new release without any watched name"), source=everything)
    [row] = outbox(ws)
    assert row.entities == [] and row.priority == 0 and row.match_key == match_key([], [])


def test_a_retro_hunt_queues_old_posts_without_alerting(settings: Settings, tmp_path: Path) -> None:
    lists = tmp_path / "lists"
    shutil.copytree(WATCHLISTS, lists)
    with Workspace.open(
        alert_settings(settings).model_copy(update={"watchlists_dir": lists})
    ) as ws:
        poll(ws, "p1", ("1", "Barkhane convoy leaves Timbuktu"))
        (lists / "mali.toml").write_text(
            'area = "mali"\n[[entities]]\nid = "timbuktu"\nname = "Timbuktu"\nkind = "place"\n'
        )
        report = rescan(ws)
        assert report.queued == 1
        assert outbox(ws) == []
