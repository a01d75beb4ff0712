"""Queue operations: list with filters, show, mark under a version check, history,
claims for the interactive loop, export. Concurrency is exercised with two real
connections (on PostgreSQL: two sessions racing for the same row)."""

from __future__ import annotations

import csv
import io
import json
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from sourcewatch.config import Settings
from sourcewatch.records import MediaRef
from sourcewatch.triage.claims import claim_next, release
from sourcewatch.triage.detail import item_detail
from sourcewatch.triage.export import ExportFilter, export_rows, render
from sourcewatch.triage.marking import (
    ConflictError,
    ItemNotFoundError,
    MarkChange,
    NotQueuedError,
    history,
    mark,
)
from sourcewatch.triage.queue import QueueFilter, count_queue, list_queue
from sourcewatch.workspace import Workspace
from triage_support import T0, Post, channel, ingest_posts, with_test_watchlists


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return with_test_watchlists(settings)


CLAIM = "JNIM claimed the attack on the army post near Boni in central Mali on Sunday."
WAGNER = "Wagner convoy seen moving north from Bamako towards Gao, locals report."
TTP = "TTP fighters attacked a checkpoint in North Waziristan overnight, police said."
MALI = "Mali's transitional government announced new curfew hours for the capital."
HOUR = timedelta(hours=1)
LATER = T0 + 5 * HOUR


@pytest.fixture
def queued(workspace: Workspace) -> dict[str, int]:
    """Four entries from two sources: item ids by external id ("ttp" for pak_news)."""
    sahel = channel("sahel_watch", weight=2)
    ids = ingest_posts(workspace, sahel, [Post("1", CLAIM)])
    ids |= ingest_posts(workspace, sahel, [Post("2", WAGNER)], now=T0 + HOUR)
    ids |= ingest_posts(workspace, sahel, [Post("3", MALI)], now=T0 + 2 * HOUR)
    ids["ttp"] = ingest_posts(workspace, channel("pak_news", weight=3), [Post("9", TTP)])["9"]
    return ids


def page(ws: Workspace, **where: object) -> list[tuple[int, int]]:
    with ws.engine.connect() as conn:
        return [(r.item_id, r.priority) for r in list_queue(conn, QueueFilter(**where))]


def do_mark(ws: Workspace, item_id: int, analyst: str = "amira", **change: object) -> object:
    with ws.engine.begin() as conn:
        return mark(conn, item_id, MarkChange(**change), analyst, T0 + 5 * HOUR)


def test_queue_lists_highest_priority_then_newest(workspace: Workspace, queued: dict) -> None:
    assert page(workspace) == [
        (queued["ttp"], 120),  # TTP weight 4 x source 3
        (queued["1"], 102),  # JNIM 5 x source 2, + Mali and the rule
        (queued["2"], 60),
        (queued["3"], 20),
    ]
    later = ingest_posts(
        workspace,
        channel("sahel_watch", weight=2),
        [Post("4", MALI + " Again.")],
        now=T0 + 3 * HOUR,
    )
    assert page(workspace)[-2:] == [(later["4"], 20), (queued["3"], 20)]  # newest first


def test_queue_filters(workspace: Workspace, queued: dict) -> None:
    assert page(workspace, area="af-pak") == [(queued["ttp"], 120)]
    assert [i for i, _ in page(workspace, area="sahel")] == [queued["1"], queued["2"], queued["3"]]
    assert [i for i, _ in page(workspace, source="pak_news")] == [queued["ttp"]]
    assert [i for i, _ in page(workspace, entity="wagner")] == [queued["2"]]
    assert [i for i, _ in page(workspace, since=T0 + HOUR)] == [queued["2"], queued["3"]]
    assert [i for i, _ in page(workspace, min_priority=100)] == [queued["ttp"], queued["1"]]
    assert len(page(workspace, limit=2)) == 2
    do_mark(workspace, queued["2"], status="relevant", assignee="bashir")
    assert [i for i, _ in page(workspace)] == [queued["ttp"], queued["1"], queued["3"]]
    assert page(workspace, statuses=("relevant",), area="sahel") == [(queued["2"], 60)]
    assert [i for i, _ in page(workspace, statuses=(), assignee="bashir")] == [queued["2"]]
    with pytest.raises(ValueError, match="unknown status 'done'"):
        QueueFilter(statuses=("done",))


def test_queue_rows_carry_entities_sources_and_the_group(workspace: Workspace) -> None:
    first = ingest_posts(workspace, channel("sahel_watch"), [Post("1", CLAIM)])
    ingest_posts(workspace, channel("mirror"), [Post("5", CLAIM)], now=T0 + HOUR)
    with workspace.engine.connect() as conn:
        [row] = list_queue(conn, QueueFilter())
    data = row.to_json()
    assert data["item_id"] == first["1"]
    assert data["source"] == "sahel_watch"
    assert data["sources"] == ["sahel_watch", "mirror"]
    assert data["external_id"] == "1"
    assert data["entities"] == ["jnim", "mali"]
    assert data["rules"] == ["jnim-attack-claim"]
    assert data["status"] == "new"
    assert len(data["item_ids"]) == 2
    assert [i for i, _ in page(workspace, source="mirror")] == [first["1"]]  # any member


def test_mark_records_who_what_when_and_bumps_the_version(
    workspace: Workspace, queued: dict
) -> None:
    result = do_mark(
        workspace, queued["1"], status="escalated", note="claim matches ACLED", tags=("claim",)
    )
    assert (result.status, result.previous_status, result.version) == ("escalated", "new", 2)
    do_mark(workspace, queued["1"], analyst="bashir", tags=("claim", "boni"), assignee="bashir")
    with workspace.engine.connect() as conn:
        events = history(conn, queued["1"])
        [row] = list_queue(conn, QueueFilter(statuses=("escalated",)))
    assert [(e.analyst, e.action) for e in events] == [
        ("sourcewatch", "queued"),
        ("amira", "marked"),
        ("bashir", "marked"),
    ]
    assert events[1].detail["status"] == ["new", "escalated"]
    assert events[1].detail["note"] == "claim matches ACLED"
    assert events[1].at == T0 + 5 * HOUR
    assert events[2].detail["tags_added"] == ["boni"]
    assert (row.tags, row.assignee, row.version) == (["claim", "boni"], "bashir", 3)


def test_mark_rejects_unknown_items_and_empty_changes(workspace: Workspace, queued: dict) -> None:
    with pytest.raises(ItemNotFoundError, match="no item 999"):
        do_mark(workspace, 999, status="relevant")
    with pytest.raises(ValueError, match="nothing to change"):
        MarkChange()
    with pytest.raises(ValueError, match="unknown status"):
        MarkChange(status="maybe")


def test_a_stale_version_is_a_conflict_and_changes_nothing(
    workspace: Workspace, queued: dict
) -> None:
    item = queued["2"]
    with workspace.engine.connect() as conn:  # both analysts read version 1
        [seen] = [r for r in list_queue(conn, QueueFilter()) if r.item_id == item]
    with workspace.engine.begin() as conn:
        mark(
            conn, item, MarkChange(status="relevant"), "amira", LATER, expected_version=seen.version
        )
    with pytest.raises(ConflictError) as caught, workspace.engine.begin() as conn:
        mark(
            conn,
            item,
            MarkChange(status="irrelevant"),
            "bashir",
            LATER,
            expected_version=seen.version,
        )
    message = str(caught.value)
    assert "by amira" in message and "now 'relevant', version 2" in message
    with workspace.engine.connect() as conn:
        assert [e.analyst for e in history(conn, item)] == ["sourcewatch", "amira"]
    assert page(workspace, statuses=("relevant",)) == [(item, 60)]


@pytest.mark.postgres
def test_two_sessions_marking_at_once_one_wins(workspace: Workspace, queued: dict) -> None:
    if workspace.engine.dialect.name != "postgresql":
        pytest.skip("concurrent sessions: PostgreSQL (SQLite serializes writers)")
    item = queued["1"]
    outcome: dict[str, object] = {}
    first = workspace.engine.connect()
    transaction = first.begin()
    mark(first, item, MarkChange(status="relevant"), "amira", LATER, expected_version=1)
    # amira's transaction holds the row; bashir's UPDATE waits for it in another session.

    def second_analyst() -> None:
        try:
            with workspace.engine.begin() as conn:
                mark(
                    conn, item, MarkChange(status="irrelevant"), "bashir", LATER, expected_version=1
                )
            outcome["bashir"] = "won"
        except ConflictError as exc:
            outcome["bashir"] = exc

    thread = threading.Thread(target=second_analyst)
    thread.start()
    thread.join(timeout=1.0)
    assert thread.is_alive(), "bashir's UPDATE should be waiting on amira's row lock"
    transaction.commit()
    first.close()
    thread.join(timeout=60)  # a bound for hangs, not a speed target
    assert isinstance(outcome["bashir"], ConflictError)
    with workspace.engine.connect() as conn:
        assert [(e.analyst, e.action) for e in history(conn, item)][-1] == ("amira", "marked")
        [row] = list_queue(conn, QueueFilter(statuses=("relevant",)))
    assert (row.item_id, row.version) == (item, 2)


def test_two_analysts_in_triage_never_get_the_same_item(workspace: Workspace, queued: dict) -> None:
    with workspace.engine.begin() as conn:
        a = claim_next(conn, "amira", QueueFilter(), T0)
    with workspace.engine.begin() as conn:
        b = claim_next(conn, "bashir", QueueFilter(), T0)
    assert a is not None and b is not None
    assert (a.item_id, b.item_id) == (queued["ttp"], queued["1"])
    with workspace.engine.connect() as conn:
        assert count_queue(conn, QueueFilter(), claimable_by="amira", now=T0) == 3
        # A lease runs out: after 5 minutes bashir's item is free again.
        assert count_queue(conn, QueueFilter(), claimable_by="amira", now=T0 + HOUR) == 4
    with workspace.engine.begin() as conn:
        release(conn, b.triage_id, "bashir")
        again = claim_next(conn, "amira", QueueFilter(), T0, skip={a.triage_id})
    assert again is not None and again.item_id == queued["1"]


@pytest.mark.postgres
def test_concurrent_claims_on_postgresql_get_distinct_items(
    workspace: Workspace, queued: dict
) -> None:
    if workspace.engine.dialect.name != "postgresql":
        pytest.skip("concurrent sessions: PostgreSQL")
    first = workspace.engine.connect()
    transaction = first.begin()
    mine = claim_next(first, "amira", QueueFilter(), T0)  # not yet committed
    result: dict[str, object] = {}

    def other() -> None:
        with workspace.engine.begin() as conn:
            result["row"] = claim_next(conn, "bashir", QueueFilter(), T0)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(timeout=1.0)
    transaction.commit()
    first.close()
    thread.join(timeout=60)  # a bound for hangs, not a speed target
    theirs = result["row"]
    assert mine is not None and theirs is not None
    assert mine.item_id != theirs.item_id  # type: ignore[attr-defined]


def test_show_has_times_spans_diffs_media_and_captures(workspace: Workspace) -> None:
    source = channel("sahel_watch")
    photo = MediaRef(kind="photo", url="https://cdn.example/p.jpg", sha256="ab" * 32, size=1234)
    ids = ingest_posts(workspace, source, [Post("1", WAGNER, author="Sahel Watch", media=[photo])])
    edited = "Update: " + CLAIM + "\n" + WAGNER
    ingest_posts(
        workspace,
        source,
        [Post("1", edited, "Sahel Watch", forwarded_from="jnim_official", media=[photo])],
        now=T0 + HOUR,
    )
    ingest_posts(workspace, channel("mirror"), [Post("8", edited)], now=T0 + 2 * HOUR)
    with workspace.engine.connect() as conn:
        detail = item_detail(conn, ids["1"])
    assert detail.source == "sahel_watch" and detail.author == "Sahel Watch"
    assert detail.canonical_url == "https://t.me/sahel_watch/1"
    assert detail.forwarded_from == "jnim_official"
    assert detail.revision == 2 and detail.collected_at == T0
    assert [r.seen_at for r in detail.revisions] == [T0, T0 + HOUR]
    assert [edited[s.start : s.end] for s in detail.spans] == ["JNIM", "Mali", "Wagner"]
    assert detail.rules == ["jnim-attack-claim"]
    assert "+Update: " + CLAIM in detail.revisions[1].diff
    assert len(detail.captures) == 2  # the page of revision 1 and of revision 2
    assert all(len(c.sha256) == 64 for c in detail.captures)
    assert detail.media[0]["sha256"] == "ab" * 32
    assert detail.entry is not None and detail.entry["status"] == "new"
    assert [g["source"] for g in detail.group] == ["mirror"]
    assert json.loads(json.dumps(detail.to_json()))["matches"][0]["entity"] == "jnim"
    with pytest.raises(ItemNotFoundError), workspace.engine.connect() as conn:
        item_detail(conn, 12345)


def test_export_formats_carry_url_hash_and_time(workspace: Workspace, queued: dict) -> None:
    do_mark(workspace, queued["1"], status="relevant", note='=HYPERLINK("http://evil")')
    do_mark(workspace, queued["2"], status="irrelevant")
    with workspace.engine.connect() as conn:
        rows = export_rows(conn, ExportFilter(statuses=("relevant",)))
        assert export_rows(conn, ExportFilter(since=T0 + 6 * HOUR)) == []
    [row] = rows
    with workspace.engine.connect() as conn:
        [capture] = item_detail(conn, queued["1"]).captures
    assert row["canonical_url"] == "https://t.me/sahel_watch/1"
    assert (row["archived_sha256"], row["archived_at"]) == (capture.sha256, "2026-11-20T08:00:00Z")

    [line] = "".join(render(rows, "jsonl")).splitlines()
    assert json.loads(line)["archived_sha256"] == capture.sha256
    table = list(csv.DictReader(io.StringIO("".join(render(rows, "csv")))))
    assert table[0]["note"].startswith("'=")  # not a live spreadsheet formula
    assert table[0]["archived_sha256"] == capture.sha256
    markdown = "".join(render(rows, "md"))
    assert "<https://t.me/sahel_watch/1>" in markdown and capture.sha256 in markdown


def test_history_of_an_unqueued_item_is_an_error(workspace: Workspace) -> None:
    ids = ingest_posts(workspace, channel("quiet"), [Post("1", "Nothing to see here at all.")])
    with pytest.raises(NotQueuedError), workspace.engine.connect() as conn:
        history(conn, ids["1"])
    with workspace.engine.connect() as conn:
        assert item_detail(conn, ids["1"]).entry is None
        assert conn.execute(sa.text("SELECT count(*) FROM triage")).scalar() == 0


def test_a_relevant_post_deleted_at_the_source_is_flagged_with_a_history_event(
    workspace: Workspace, queued: dict[str, int]
) -> None:
    from sourcewatch.ingest.writer import ingest
    from sourcewatch.records import ParsedItem, PollResult

    do_mark(workspace, queued["1"], status="relevant")
    do_mark(workspace, queued["3"], status="irrelevant")
    gone = [ParsedItem(external_id=e, deleted=True) for e in ("1", "3")]
    ingest(workspace, channel("sahel_watch", weight=2), PollResult([], gone), now=LATER + HOUR)
    with workspace.engine.connect() as conn:
        relevant = item_detail(conn, queued["1"])
        ignored = item_detail(conn, queued["3"])
        events = history(conn, queued["1"])
        quiet = history(conn, queued["3"])
    assert relevant.entry is not None and "source-deleted" in relevant.entry["tags"]
    assert events[-1].action == "source-deleted" and events[-1].analyst == "sourcewatch"
    assert ignored.entry is not None and "source-deleted" not in ignored.entry["tags"]
    assert relevant.deleted_at is not None
    assert all(event.action != "source-deleted" for event in quiet)


def test_an_edited_decided_post_stays_in_the_default_export_with_its_state(
    workspace: Workspace, queued: dict[str, int]
) -> None:
    do_mark(workspace, queued["2"], status="relevant")
    do_mark(workspace, queued["1"], status="relevant")
    sahel = channel("sahel_watch", weight=2)
    ingest_posts(workspace, sahel, [Post("2", WAGNER + " Update: 40 vehicles.")], now=LATER)
    from sourcewatch.ingest.writer import ingest
    from sourcewatch.records import ParsedItem, PollResult

    gone = [ParsedItem(external_id="1", deleted=True)]
    ingest(workspace, sahel, PollResult([], gone), now=LATER + HOUR)
    with workspace.engine.connect() as conn:
        rows = {row["item_id"]: row for row in export_rows(conn, ExportFilter())}
    assert set(rows) == {queued["1"], queued["2"]}
    edited = rows[queued["2"]]
    assert (edited["status"], edited["reopened_from"], edited["source_state"]) == (
        "new",
        "relevant",
        "edited",
    )
    assert rows[queued["1"]]["source_state"] == "deleted"
    csv_text = "".join(render(list(rows.values()), "csv"))
    assert "source_state" in csv_text.splitlines()[0]


def test_the_queue_shows_a_deleted_post(workspace: Workspace, queued: dict[str, int]) -> None:
    from sourcewatch.ingest.writer import ingest
    from sourcewatch.records import ParsedItem, PollResult

    sahel = channel("sahel_watch", weight=2)
    ingest(workspace, sahel, PollResult([], [ParsedItem(external_id="3", deleted=True)]))
    with workspace.engine.connect() as conn:
        rows = {r.item_id: r for r in list_queue(conn, QueueFilter(statuses=()))}
    assert rows[queued["3"]].source_state == "deleted"
    assert rows[queued["3"]].to_json()["source_state"] == "deleted"
    assert rows[queued["1"]].source_state is None
