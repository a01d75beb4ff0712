"""Ingest: idempotent upserts, revisions on edits, tombstones, captures and the log."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from sourcewatch.ingest.writer import IngestError, IngestReport, ingest, ingest_many
from sourcewatch.records import MediaRef, ParsedItem, PollResult, RawCapture
from sourcewatch.sources.config import SourceConfig
from sourcewatch.store.tables import CAPTURE, CAPTURE_LOG, ITEM, ITEM_CAPTURE, ITEM_REVISION
from sourcewatch.store.tables import SOURCE as SOURCE_TABLE
from sourcewatch.store.verify import verify_archive
from sourcewatch.workspace import Workspace

SOURCE = SourceConfig(name="rybar", kind="telegram", target="rybar", areas=("sahel",))
WHEN = datetime(2023, 9, 20, 14, 2, tzinfo=UTC)


def page(body: bytes, *items: ParsedItem, cursor: dict | None = None) -> PollResult:
    capture = RawCapture(url="https://t.me/s/rybar", body=body, status=200, fetched_at=WHEN)
    for item in items:
        item.capture_sha256s = [capture.sha256]
    return PollResult(captures=[capture], items=list(items), cursor=cursor)


def post(external_id: str, text: str, **kwargs: object) -> ParsedItem:
    return ParsedItem(
        external_id=external_id,
        url=f"https://t.me/rybar/{external_id}",
        text=text,
        published_at=WHEN,
        **kwargs,  # type: ignore[arg-type]
    )


def count(ws: Workspace, model: type) -> int:
    with ws.engine.connect() as session:
        return len(session.execute(sa.select(model)).all())


def test_new_items_are_stored_with_their_first_revision(workspace: Workspace) -> None:
    report = ingest(workspace, SOURCE, page(b"<page 1>", post("1", "first"), post("2", "second")))
    assert (report.new, report.edited, report.unchanged) == (2, 0, 0)
    with workspace.engine.connect() as session:
        items = session.execute(sa.select(ITEM).order_by(ITEM.c.external_id)).all()
        assert [i.text for i in items] == ["first", "second"]
        assert items[0].published_at == WHEN and items[0].revision == 1
        revisions = session.execute(sa.select(ITEM_REVISION)).all()
        assert sorted(r.text for r in revisions) == ["first", "second"]
        assert len(session.execute(sa.select(ITEM_CAPTURE)).all()) == 2


def test_reingesting_the_same_result_changes_nothing(workspace: Workspace) -> None:
    result = page(b"<page 1>", post("1", "first"), cursor={"last_id": 1})
    ingest(workspace, SOURCE, result)
    snapshot = {m: count(workspace, m) for m in (ITEM, ITEM_REVISION, CAPTURE, CAPTURE_LOG)}
    again = ingest(workspace, SOURCE, result)
    assert (again.new, again.edited, again.unchanged, again.captures_new) == (0, 0, 1, 0)
    assert {m: count(workspace, m) for m in snapshot} == snapshot


def test_an_edit_becomes_a_new_revision_and_keeps_the_old_text(workspace: Workspace) -> None:
    ingest(workspace, SOURCE, page(b"v1", post("7", "Wagner in Gao")))
    report = ingest(workspace, SOURCE, page(b"v2", post("7", "Wagner left Gao", edited=True)))
    assert report.edited == 1 and report.changed[0].revision == 2
    with workspace.engine.connect() as session:
        item = session.execute(sa.select(ITEM)).one()
        assert item.text == "Wagner left Gao" and item.revision == 2
        assert item.edited_at is not None
        texts = [
            r.text
            for r in session.execute(sa.select(ITEM_REVISION).order_by(ITEM_REVISION.c.revision))
        ]
        assert texts == ["Wagner in Gao", "Wagner left Gao"]
        # both page captures back the item
        assert (
            len(
                session.execute(
                    sa.select(ITEM_CAPTURE).where(ITEM_CAPTURE.c.item_id == item.id)
                ).all()
            )
            == 2
        )


def test_view_counts_alone_are_not_an_edit(workspace: Workspace) -> None:
    ingest(workspace, SOURCE, page(b"a", post("1", "same", extra={"views": 10})))
    report = ingest(workspace, SOURCE, page(b"b", post("1", "same", extra={"views": 99})))
    assert report.edited == 0 and report.unchanged == 1


def test_new_media_is_an_edit(workspace: Workspace) -> None:
    ingest(workspace, SOURCE, page(b"a", post("1", "caption")))
    photo = MediaRef(kind="photo", url="https://cdn/x.jpg", sha256="ab" * 32)
    report = ingest(workspace, SOURCE, page(b"b", post("1", "caption", media=[photo])))
    assert report.edited == 1


def test_deletion_marks_a_tombstone_and_keeps_text_and_captures(workspace: Workspace) -> None:
    ingest(workspace, SOURCE, page(b"a", post("5", "to be deleted")))
    report = ingest(workspace, SOURCE, page(b"gone", post("5", "", deleted=True)))
    assert report.deleted == 1
    with workspace.engine.connect() as session:
        item = session.execute(sa.select(ITEM)).one()
        assert item.deleted_at is not None and item.text == "to be deleted"
    assert ingest(workspace, SOURCE, page(b"gone", post("5", "", deleted=True))).deleted == 0


def test_cursor_and_validators_are_stored_in_the_same_transaction(workspace: Workspace) -> None:
    result = page(b"a", post("1", "x"), cursor={"last_id": 1})
    result.etag, result.last_modified = '"abc"', "Wed, 20 Sep 2023 14:02:00 GMT"
    ingest(workspace, SOURCE, result)
    with workspace.engine.connect() as session:
        source = session.execute(sa.select(SOURCE_TABLE)).one()
        assert source.cursor == {"last_id": 1} and source.etag == '"abc"'


def test_an_unchanged_page_is_one_capture_and_one_object(workspace: Workspace) -> None:
    ingest(workspace, SOURCE, page(b"same page", post("1", "x")))
    later = page(b"same page", post("1", "x"))
    later.captures[0] = RawCapture(
        url="https://t.me/s/rybar", body=b"same page", status=200, fetched_at=datetime.now(UTC)
    )
    report = ingest(workspace, SOURCE, later)
    assert report.captures_new == 0 and report.objects_new == 0
    # one capture entry, and one entry for the item's one revision
    assert count(workspace, CAPTURE) == 1 and count(workspace, CAPTURE_LOG) == 2


def test_an_item_citing_an_unknown_capture_is_refused_and_nothing_is_stored(
    workspace: Workspace,
) -> None:
    bad = PollResult(items=[post("1", "x", capture_sha256s=["0" * 64])])
    with pytest.raises(IngestError, match="rybar: item 1 cites capture"):
        ingest(workspace, SOURCE, bad)
    assert count(workspace, ITEM) == 0


def test_a_failed_transaction_stores_no_rows(workspace: Workspace) -> None:
    ingest(workspace, SOURCE, page(b"a", post("1", "x")))
    broken = page(b"b", post("2", "y"))
    # A capture the database refuses (a status beyond any integer column): the poll cannot
    # be stored even item by item, and its failed transactions leave nothing behind.
    broken.captures[0] = replace(broken.captures[0], status=10**20)
    with pytest.raises((sa.exc.StatementError, OverflowError)):
        ingest(workspace, SOURCE, broken)
    assert count(workspace, ITEM) == 1 and count(workspace, CAPTURE) == 1
    assert verify_archive(workspace).ok


def test_large_batches_are_chunked(workspace: Workspace) -> None:
    items = [post(str(n), f"text {n}") for n in range(1200)]
    assert ingest(workspace, SOURCE, page(b"big", *items)).new == 1200
    edited = [post(str(n), f"text {n}" + (" edited" if n % 10 == 0 else "")) for n in range(1200)]
    report = ingest(workspace, SOURCE, page(b"big2", *edited))
    assert (report.edited, report.unchanged) == (120, 1080)


def other_source(name: str) -> SourceConfig:
    return SourceConfig(name=name, kind="telegram", target=name)


def channel_page(channel: str, body: bytes, *items: ParsedItem) -> PollResult:
    capture = RawCapture(url=f"https://t.me/s/{channel}", body=body, status=200, fetched_at=WHEN)
    for item in items:
        item.capture_sha256s = [capture.sha256]
    return PollResult(captures=[capture], items=list(items), cursor={"last": channel})


def test_many_polls_are_stored_together_each_with_its_own_report(workspace: Workspace) -> None:
    ingest(workspace, SOURCE, page(b"<page 1>", post("1", "first")))
    polls = [
        (SOURCE, page(b"<page 2>", post("1", "first, edited"), post("2", "second"))),
        (other_source("wilayat"), channel_page("wilayat", b"<w>", post("1", "same id, other"))),
        (other_source("empty"), PollResult(cursor={"seen": []})),
    ]
    reports = ingest_many(workspace, polls)
    assert all(isinstance(r, IngestReport) for r in reports)
    rybar, wilayat, empty = reports
    assert (rybar.source, rybar.new, rybar.edited, rybar.captures_new) == ("rybar", 1, 1, 1)
    assert (wilayat.source, wilayat.new, wilayat.captures_new) == ("wilayat", 1, 1)
    assert (empty.new, empty.captures_new) == (0, 0)
    with workspace.engine.connect() as conn:
        items = conn.execute(
            sa.select(SOURCE_TABLE.c.name, ITEM.c.external_id, ITEM.c.text)
            .join(SOURCE_TABLE, SOURCE_TABLE.c.id == ITEM.c.source_id)
            .order_by(SOURCE_TABLE.c.name, ITEM.c.external_id)
        ).all()
        cursors = dict(conn.execute(sa.select(SOURCE_TABLE.c.name, SOURCE_TABLE.c.cursor)).all())
        # each item is linked to its own poll's capture only
        links = conn.execute(
            sa.select(ITEM.c.source_id, CAPTURE.c.source_id)
            .join(ITEM_CAPTURE, ITEM_CAPTURE.c.item_id == ITEM.c.id)
            .join(CAPTURE, CAPTURE.c.id == ITEM_CAPTURE.c.capture_id)
        ).all()
    assert [tuple(i) for i in items] == [
        ("rybar", "1", "first, edited"),
        ("rybar", "2", "second"),
        ("wilayat", "1", "same id, other"),
    ]
    assert cursors["wilayat"] == {"last": "wilayat"} and cursors["empty"] == {"seen": []}
    assert all(item_source == capture_source for item_source, capture_source in links)
    assert verify_archive(workspace).ok


def test_a_poll_the_database_refuses_does_not_sink_the_others(workspace: Workspace) -> None:
    broken = channel_page("broken", b"<b>", post("1", "y"))
    broken.items[0].extra = {"when": datetime(2023, 1, 1)}  # not JSON: refused on both
    unknown = PollResult(items=[post("1", "x", capture_sha256s=["0" * 64])])
    polls = [
        (other_source("good"), channel_page("good", b"<g>", post("1", "fine"))),
        (other_source("broken"), broken),
        (other_source("unknown"), unknown),
        (other_source("also-good"), channel_page("also-good", b"<a>", post("1", "fine too"))),
    ]
    good, refused, invalid, also_good = ingest_many(workspace, polls)
    assert isinstance(good, IngestReport) and good.new == 1
    # The refused item is quarantined; its poll's capture and cursor are stored.
    assert isinstance(refused, IngestReport) and refused.new == 0
    assert len(refused.quarantined) == 1 and "datetime" in refused.quarantined[0]
    assert isinstance(invalid, IngestError) and "unknown: item 1 cites capture" in str(invalid)
    assert isinstance(also_good, IngestReport) and also_good.new == 1
    with workspace.engine.connect() as conn:
        names = conn.execute(
            sa.select(SOURCE_TABLE.c.name)
            .join(ITEM, ITEM.c.source_id == SOURCE_TABLE.c.id)
            .order_by(SOURCE_TABLE.c.name)
        ).scalars()
        assert list(names) == ["also-good", "good"]
    assert verify_archive(workspace).ok


def test_two_results_of_one_source_in_a_batch_are_stored_in_order(workspace: Workspace) -> None:
    first = page(b"<p1>", post("1", "before"))
    second = page(b"<p2>", post("1", "after"))
    one, two = ingest_many(workspace, [(SOURCE, first), (SOURCE, second)])
    assert isinstance(one, IngestReport) and isinstance(two, IngestReport)
    assert (one.new, two.edited) == (1, 1)
    with workspace.engine.connect() as conn:
        assert conn.execute(sa.select(ITEM.c.text)).scalar_one() == "after"


def test_a_database_that_is_away_fails_the_whole_batch_for_a_retry(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    def away(*args: object, **kwargs: object) -> None:
        raise sa.exc.OperationalError("BEGIN", {}, Exception("server closed the connection"))

    monkeypatch.setattr(workspace.engine, "begin", away)
    with pytest.raises(sa.exc.OperationalError):
        ingest_many(workspace, [(SOURCE, page(b"x", post("1", "x")))])
