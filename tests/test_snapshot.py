"""``snapshot`` of one URL: what is fetched, what is archived, and every way it can end."""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import threading
from datetime import timedelta
from io import BytesIO
from typing import Any

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer
from warcio.archiveiterator import ArchiveIterator
from werkzeug import Request, Response

from citations_support import (
    NEWS_PAGE,
    TG_NOT_FOUND,
    X_POST_ID,
    X_RECORDED,
    point_at,
    server,
    telegram_embed,
    treat_loopback_as_public,
)
from sourcewatch.citations import platforms, store
from sourcewatch.citations import snapshot as snapshot_module
from sourcewatch.citations.batch import snapshot_all
from sourcewatch.citations.snapshot import Snapshot, SnapshotWriter, snapshot_source, snapshot_url
from sourcewatch.collectors.x.syndication_token import syndication_token
from sourcewatch.config import Settings
from sourcewatch.net import Http
from sourcewatch.records import ParsedItem, PollResult
from sourcewatch.store.tables import CAPTURE, ITEM, SOURCE
from sourcewatch.text.urls import canonical_url
from sourcewatch.workspace import Workspace

__all__ = ["server"]  # the fixture, imported for pytest
PHOTO = b"\xff\xd8\xff\xe0 jpeg bytes"


def snap(ws: Workspace, settings: Settings, url: str, **options: object) -> Snapshot:
    async def run() -> Snapshot:
        async with Http(settings.net) as http:
            return await snapshot_url(ws, http, settings, url, **options)  # type: ignore[arg-type]

    return asyncio.run(run())


def serve_telegram(httpd: HTTPServer) -> None:
    httpd.expect_request(
        "/oper_goblin/22358", query_string={"embed": "1", "mode": "tme"}
    ).respond_with_data(telegram_embed(httpd), content_type="text/html; charset=utf-8")
    httpd.expect_request(re.compile(r"^/cdn/.+\.jpg$")).respond_with_data(
        PHOTO, content_type="image/jpeg"
    )


def test_a_telegram_post_is_captured_through_its_embed_page(
    workspace: Workspace, settings: Settings, server: HTTPServer
) -> None:
    settings = point_at(settings, server)
    serve_telegram(server)
    result = snap(workspace, settings, "https://t.me/s/oper_goblin/22358?single")
    assert result.status == "live", result.reason
    assert result.canonical == "https://t.me/oper_goblin/22358"
    assert (result.kind, result.http_status) == ("telegram", 200)
    roles = sorted(obj.role for obj in result.objects)
    assert roles == ["media", "response", "warc"]  # the post has one photo
    assert all(obj.capture_id is not None for obj in result.objects)
    assert result.capture_id == result.objects[0].capture_id
    assert result.sha256 == result.objects[0].sha256
    with workspace.engine.connect() as conn:
        item = conn.execute(sa.select(ITEM).where(ITEM.c.external_id == result.canonical)).one()
        source = conn.execute(sa.select(SOURCE).where(SOURCE.c.id == item.source_id)).one()
    assert (source.name, source.enabled) == ("snapshots-telegram", False)
    assert item.content_hash == result.content_sha256
    [photo] = item.media
    assert photo["sha256"] == next(o.sha256 for o in result.objects if o.role == "media")
    assert workspace.objects.read(photo["sha256"]) == PHOTO
    assert workspace.objects.read(result.sha256).startswith(b"<!DOCTYPE html>")
    assert item.forwarded_from == "https://t.me/dimsmirnov175/44604"


def test_every_snapshot_capture_is_in_the_capture_log_and_the_warc_replays(
    workspace: Workspace, settings: Settings, server: HTTPServer
) -> None:
    settings = point_at(settings, server)
    server.expect_request("/news").respond_with_data(
        NEWS_PAGE, content_type="text/html; charset=utf-8", headers={"X-Test": "yes"}
    )
    result = snap(workspace, settings, server.url_for("/news") + "?utm_source=tw")
    assert result.status == "live", result.reason
    assert result.canonical == server.url_for("/news")
    with workspace.engine.connect() as conn:
        logged = conn.execute(sa.text("SELECT capture_id FROM capture_log")).scalars().all()
    assert {obj.capture_id for obj in result.objects} <= set(logged)
    [warc] = [obj for obj in result.objects if obj.role == "warc"]
    records = [
        (
            record.rec_type,
            record.rec_headers.get_header("WARC-Target-URI"),
            record.http_headers.get_statuscode(),
            record.http_headers.get_header("X-Test"),
            record.content_stream().read(),  # the stream is read as the iterator advances
        )
        for record in ArchiveIterator(BytesIO(workspace.objects.read(warc.sha256)))
    ]
    # The same two records as the rolling WARC files (one writer): response, then request.
    assert records == [
        ("response", server.url_for("/news"), "200", "yes", NEWS_PAGE),
        ("request", server.url_for("/news"), "/news", None, b""),
    ]
    versions = {
        record.rec_headers.protocol
        for record in ArchiveIterator(BytesIO(workspace.objects.read(warc.sha256)))
    }
    assert versions == {"WARC/1.1"}  # the version that allows microsecond WARC-Dates
    assert result.content_sha256 is not None  # the article text was extracted


def test_a_recent_capture_is_reused_unless_forced(
    workspace: Workspace, settings: Settings, server: HTTPServer
) -> None:
    settings = point_at(settings, server)
    server.expect_request("/page").respond_with_data(b"<html><body>v1</body></html>")
    first = snap(workspace, settings, server.url_for("/page"))
    store.record_citations(workspace, [_row(first)])
    again = snap(workspace, settings, server.url_for("/page"))
    assert again.reused and again.capture_id == first.capture_id
    assert again.sha256 == first.sha256
    assert len(server.log) == 1
    older = snap(workspace, settings, server.url_for("/page"), max_age=timedelta(seconds=0))
    assert not older.reused
    forced = snap(workspace, settings, server.url_for("/page"), force=True)
    assert not forced.reused
    assert len(server.log) == 3


def test_an_x_post_is_captured_through_the_syndication_json(
    workspace: Workspace, settings: Settings, server: HTTPServer
) -> None:
    settings = point_at(settings, server)
    server.expect_request(
        "/tweet-result",
        query_string={"id": X_POST_ID, "token": syndication_token(X_POST_ID), "lang": "en"},
    ).respond_with_json(X_RECORDED)
    result = snap(workspace, settings, f"https://twitter.com/SamSelikoff/status/{X_POST_ID}?s=20")
    assert result.status == "live", result.reason
    assert result.canonical == f"https://x.com/samselikoff/status/{X_POST_ID}"
    assert json.loads(workspace.objects.read(result.sha256))["id_str"] == X_POST_ID
    with workspace.engine.connect() as conn:
        text = conn.execute(
            sa.select(ITEM.c.text).where(ITEM.c.external_id == result.canonical)
        ).scalar_one()
    assert text.startswith("CUSTOM Looking for CMS recommendations")


def test_a_dead_url_cites_the_earlier_capture(
    workspace: Workspace, settings: Settings, server: HTTPServer
) -> None:
    settings = point_at(settings, server)
    server.expect_oneshot_request("/story").respond_with_data(b"<html><body>story</body></html>")
    first = snap(workspace, settings, server.url_for("/story"))
    store.record_citations(workspace, [_row(first)])
    server.expect_request("/story").respond_with_data(b"gone", status=410)
    dead = snap(workspace, settings, server.url_for("/story"), force=True)
    assert (dead.status, dead.http_status, dead.reason) == ("deleted", 410, "HTTP 410")
    assert dead.earlier is not None
    assert (dead.earlier.capture_id, dead.earlier.sha256) == (first.capture_id, first.sha256)
    assert dead.to_json()["cited_instead"]["archive_id"] == first.capture_id
    assert dead.capture_id is not None  # the 410 answer is archived too


def test_a_deleted_telegram_post_is_dead(
    workspace: Workspace, settings: Settings, server: HTTPServer
) -> None:
    settings = point_at(settings, server)
    server.expect_request("/rybar/1").respond_with_data(TG_NOT_FOUND, content_type="text/html")
    result = snap(workspace, settings, "https://t.me/rybar/1")
    assert (result.status, result.reason, result.earlier) == ("deleted", "Post not found", None)


def test_a_host_that_does_not_resolve_is_unreachable_not_deleted(
    workspace: Workspace, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings.model_copy(update={"net": settings.net.model_copy(update={"retries": 0})})
    result = snap(workspace, settings, "https://no-such-host.invalid/story")
    assert result.status == "unreachable"
    assert "cannot resolve host" in (result.reason or "")


def test_private_addresses_are_blocked_without_allow_private(
    workspace: Workspace, settings: Settings, server: HTTPServer
) -> None:
    settings = point_at(settings, server, allow_private=False)
    server.expect_request("/page").respond_with_data(b"<html></html>")
    result = snap(workspace, settings, server.url_for("/page"))
    assert result.status == "blocked"
    assert "127.0.0.1" in (result.reason or "")
    assert server.log == []  # refused before connecting


@pytest.mark.parametrize("target", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/"])
def test_a_redirect_to_a_private_address_is_refused_before_connecting(
    workspace: Workspace,
    settings: Settings,
    server: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    target: str,
) -> None:
    treat_loopback_as_public(monkeypatch)
    settings = point_at(settings, server, allow_private=False)
    server.expect_request("/go").respond_with_response(
        Response(status=302, headers={"Location": target})
    )
    result = snap(workspace, settings, server.url_for("/go"))
    assert result.status == "blocked", result.reason
    assert target.split("/")[2] in (result.reason or "")


def test_too_large_and_too_slow_answers_are_unreachable(
    workspace: Workspace, settings: Settings, server: HTTPServer
) -> None:
    settings = point_at(settings, server)
    settings = settings.model_copy(
        update={"net": settings.net.model_copy(update={"max_body_bytes": 1_000_000})}
    )
    server.expect_request("/big").respond_with_data(b"x" * 2_000_000)
    server.expect_request("/bomb").respond_with_data(
        gzip.compress(b"\0" * 60_000_000), headers={"Content-Encoding": "gzip"}
    )
    server.expect_request("/slow").respond_with_handler(_slow)
    big = snap(workspace, settings, server.url_for("/big"))
    assert (big.status, big.capture_id) == ("unreachable", None)
    assert "too large" in (big.reason or "")
    bomb = snap(workspace, settings, server.url_for("/bomb"))
    assert bomb.status == "unreachable"
    slow = snap(workspace, settings, server.url_for("/slow"))
    assert slow.status == "unreachable"
    assert "within" in (slow.reason or "") or "Timeout" in (slow.reason or "")


def test_a_jihadology_post_is_archived_with_its_attachments(
    workspace: Workspace, settings: Settings, server: HTTPServer
) -> None:
    settings = point_at(settings, server)
    pdf = b"%PDF-1.4 al-naba 406"
    page = (
        "<html><head><title>New issue of the Islamic State's newsletter: al-Naba' #406</title>"
        "</head><body><article><h1>New issue of al-Naba' #406</h1><div class='entry-content'>"
        "<p>" + "The newsletter covers the week's claimed attacks in detail. " * 20 + "</p>"
        f"<p><a href='{server.url_for('/wp-content/uploads/2023/08/naba-406.pdf')}'>Click here"
        "</a> to safely download.</p></div></article></body></html>"
    )
    server.expect_request("/2023/08/31/new-issue").respond_with_data(
        page, content_type="text/html; charset=utf-8"
    )
    server.expect_request("/wp-content/uploads/2023/08/naba-406.pdf").respond_with_data(
        pdf, content_type="application/pdf"
    )

    async def run() -> platforms.Captured:
        async with Http(settings.net) as http:
            return await platforms.capture(
                http,
                settings,
                "jihadology",
                server.url_for("/2023/08/31/new-issue"),
                snapshot_source("jihadology"),
            )

    done = asyncio.run(run())
    [item] = done.result.items
    [attachment] = item.media
    assert (attachment.kind, attachment.name) == ("document", "naba-406.pdf")
    assert [c.body for c in done.result.captures if c.kind == "attachment"] == [pdf]
    assert "claimed attacks" in item.text


def _slow(_request: object) -> Response:
    import time

    time.sleep(3)
    return Response("late")


def _row(snap: Snapshot) -> store.CitationRow:
    from sourcewatch.citations.cite import snapshot_row

    return snapshot_row(store.SNAPSHOT_REPORT, None, snap.url, snap)


def test_capture_rows_match_what_snapshot_reports(
    workspace: Workspace, settings: Settings, server: HTTPServer
) -> None:
    settings = point_at(settings, server)
    server.expect_request("/page").respond_with_data(b"<html><body>x</body></html>")
    result = snap(workspace, settings, server.url_for("/page"))
    with workspace.engine.connect() as conn:
        row = conn.execute(sa.select(CAPTURE).where(CAPTURE.c.id == result.capture_id)).one()
    assert (row.sha256, row.kind, row.status) == (result.sha256, "snapshot", 200)


def test_a_profile_or_channel_url_is_captured_as_a_page(
    workspace: Workspace, settings: Settings, server: HTTPServer
) -> None:
    settings = point_at(settings, server)
    server.expect_request("/SamSelikoff").respond_with_data(b"<html><body>profile</body></html>")

    async def run(url: str) -> platforms.Captured:
        async with Http(settings.net) as http:
            return await platforms.capture(http, settings, "x", url, snapshot_source("x"))

    done = asyncio.run(run(server.url_for("/SamSelikoff")))
    assert done.primary.body == b"<html><body>profile</body></html>"
    assert [entry[0].path for entry in server.log] == ["/SamSelikoff"]  # no syndication call


def test_snapshots_finished_together_are_stored_together(
    workspace: Workspace, settings: Settings, server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = point_at(settings, server)
    for n in range(4):
        server.expect_request(f"/page{n}").respond_with_data(
            NEWS_PAGE, content_type="text/html; charset=utf-8"
        )
    polls: list[int] = []
    real_ingest_many = snapshot_module.ingest_many

    def counting(ws: Workspace, batch: list[Any]) -> list[Any]:
        polls.append(len(batch))
        return real_ingest_many(ws, batch)

    monkeypatch.setattr(snapshot_module, "ingest_many", counting)
    source = snapshot_source("web")

    async def run() -> list[tuple[platforms.Captured, dict[tuple[str, str], int]]]:
        async with Http(settings.net) as http:
            done = [
                await platforms.capture(http, settings, "web", server.url_for(f"/page{n}"), source)
                for n in range(4)
            ]
        writer = SnapshotWriter(workspace)
        # All four are waiting before the writer's first turn: one ingest of one poll.
        ids = await asyncio.gather(*(writer.store(source, d.result) for d in done))
        return list(zip(done, ids, strict=True))

    stored = asyncio.run(run())
    assert polls == [1]
    with workspace.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(ITEM)).scalar_one() == 4
        for done, ids in stored:
            key = (done.primary.sha256, done.primary.url)
            row = conn.execute(sa.select(CAPTURE).where(CAPTURE.c.id == ids[key])).one()
            assert (row.sha256, row.url) == key


def _result(*external_ids: str, cursor: dict[str, str] | None = None) -> PollResult:
    items = [ParsedItem(external_id=i, url=f"https://e.org/{i}", text=i) for i in external_ids]
    return PollResult(items=items, cursor=cursor, captures=[], skipped=[])


def test_results_of_one_source_merge_unless_ids_collide_or_a_cursor_is_set() -> None:
    web, x = snapshot_source("web"), snapshot_source("x")
    polls = [
        (web, _result("a")),
        (x, _result("t")),
        (web, _result("b")),
        (web, _result("a")),  # the same item again: a transaction of its own
        (web, _result("c", cursor={"k": "v"})),  # a cursor to store: never merged
    ]
    merged, members = snapshot_module._merged(polls)
    assert members == [0, 1, 0, 2, 3]
    assert [item.external_id for item in merged[0][1].items] == ["a", "b"]
    assert [item.external_id for item in polls[0][1].items] == ["a"]  # inputs untouched


def test_a_snapshot_cancelled_while_waiting_does_not_stop_the_others(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    def stored(ws: Workspace, polls: list[Any]) -> list[dict[tuple[str, str], int]]:
        return [{("sha", f"url{n}"): n} for n in range(len(polls))]

    monkeypatch.setattr(snapshot_module, "_store_serially", stored)
    source = snapshot_source("web")

    async def run() -> dict[tuple[str, str], int]:
        writer = SnapshotWriter(workspace)
        first = asyncio.create_task(writer.store(source, PollResult()))
        second = asyncio.create_task(writer.store(source, PollResult()))
        await asyncio.sleep(0)  # both wait for the writer, whose turn comes next
        first.cancel()
        return await asyncio.wait_for(second, timeout=60)  # a hang guard, not a timing

    assert asyncio.run(run()) == {("sha", "url1"): 1}


def test_the_next_url_is_fetched_while_a_batch_is_stored(
    workspace: Workspace, settings: Settings, server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With one fetch slot, the second page is requested while the first waits for the
    writer: storing does not hold a slot (it did, and 16 slots waited on each fsync)."""
    settings = point_at(settings, server)
    second_requested = threading.Event()

    def second_page(_request: Request) -> Response:
        second_requested.set()
        return Response(NEWS_PAGE, content_type="text/html; charset=utf-8")

    server.expect_request("/page0").respond_with_data(
        NEWS_PAGE, content_type="text/html; charset=utf-8"
    )
    server.expect_request("/page1").respond_with_handler(second_page)
    real_store_serially = snapshot_module._store_serially
    stored_while_waiting: list[bool] = []

    def store_after_the_second_request(ws: Workspace, polls: list[Any]) -> list[Any]:
        if not stored_while_waiting:  # the first batch waits for page1's request
            second_requested.wait(timeout=60)  # a hang guard, not a timing
            stored_while_waiting.append(second_requested.is_set())
        return real_store_serially(ws, polls)

    monkeypatch.setattr(snapshot_module, "_store_serially", store_after_the_second_request)
    urls = [(url, canonical_url(url)) for url in map(server.url_for, ("/page0", "/page1"))]

    async def run() -> dict[str, Snapshot]:
        async with Http(settings.net) as http:
            return await snapshot_all(workspace, http, settings, urls, concurrency=1, force=True)

    snaps = asyncio.run(run())
    assert stored_while_waiting == [True]
    assert sorted(snap.status for snap in snaps.values()) == ["live", "live"]


def test_the_writer_holds_at_most_max_waiting_results(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Results wait for the writer with their bodies: past ``max_waiting``, a snapshot
    waits before handing its result over, so a slow disk slows fetching down."""
    release = threading.Event()
    batches: list[int] = []

    def slow_store(ws: Workspace, polls: list[Any]) -> list[dict[tuple[str, str], int]]:
        batches.append(len(polls))
        release.wait(timeout=60)  # a hang guard, not a timing
        return [{} for _ in polls]

    monkeypatch.setattr(snapshot_module, "_store_serially", slow_store)
    source = snapshot_source("web")

    async def run() -> int:
        writer = SnapshotWriter(workspace, max_waiting=2)
        tasks = [asyncio.create_task(writer.store(source, PollResult())) for _ in range(5)]
        while not batches:  # the first batch is being stored
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        held = len(writer._waiting) + batches[0]
        release.set()
        await asyncio.gather(*tasks)
        return held

    assert asyncio.run(run()) == 2
    assert sum(batches) == 5
