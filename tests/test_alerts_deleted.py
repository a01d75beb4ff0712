"""Deletion alerts: a post marked relevant, or cited in a report, is deleted at its source;
the channels that heard of it get one clear message, exactly once, through Apprise to a
JSON webhook on loopback. SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from alerts_support import RYBAR, alert_settings, poll, received, run_delivery, webhook_alert
from sourcewatch.alerts.deleted import NOTICE, NOTICE_DELIVERY
from sourcewatch.alerts.status import channel_status
from sourcewatch.citations import store
from sourcewatch.config import AlertSettings, Settings
from sourcewatch.ingest.writer import ingest
from sourcewatch.records import ParsedItem, PollResult, utcnow
from sourcewatch.store.tables import CAPTURE, ITEM, TRIAGE_EVENT
from sourcewatch.triage.marking import MarkChange, mark
from sourcewatch.workspace import Workspace

OpenWorkspace = Callable[..., Workspace]


@pytest.fixture
def open_ws(settings: Settings) -> Iterator[OpenWorkspace]:
    opened: list[Workspace] = []

    def open_with(*alerts: AlertSettings) -> Workspace:
        ws = Workspace.open(alert_settings(settings, *alerts))
        opened.append(ws)
        return ws

    yield open_with
    for ws in opened:
        ws.close()


def item_id(ws: Workspace, external_id: str) -> int:
    with ws.engine.connect() as conn:
        return conn.execute(
            sa.select(ITEM.c.id).where(ITEM.c.external_id == external_id)
        ).scalar_one()


def delete_at_source(ws: Workspace, *external_ids: str) -> None:
    """The re-read's answer: the posts are gone (t.me's "Post not found")."""
    tombstones = [ParsedItem(external_id=e, deleted=True) for e in external_ids]
    ingest(ws, RYBAR, PollResult([], tombstones))


def page_sha(ws: Workspace) -> str:
    with ws.engine.connect() as conn:
        return str(conn.execute(sa.select(CAPTURE.c.sha256)).scalar_one())


def deletion_messages(server: HTTPServer, name: str = "webhook") -> list[str]:
    return [m["message"] for m in received(server, name) if m["message"].startswith("DELETED")]


def test_a_relevant_post_deleted_at_the_source_is_alerted_once(
    httpserver: HTTPServer, open_ws: OpenWorkspace
) -> None:
    httpserver.expect_request("/hooks/webhook").respond_with_data("ok")
    ws = open_ws(webhook_alert(httpserver))
    start = utcnow()
    poll(
        ws,
        "page-1",
        ("101", "Colonne de PMC Wagner vue à Gao."),
        ("102", "PMC Wagner à Tombouctou"),
    )
    post = item_id(ws, "101")
    with ws.engine.begin() as conn:
        mark(conn, post, MarkChange(status="relevant"), "ana", start)
    run_delivery(ws, start)  # the match alerts
    assert len(received(httpserver)) == 2

    delete_at_source(ws, "101", "102")  # 102 was never decided on: no notice
    run_delivery(ws, start + timedelta(minutes=1))
    run_delivery(ws, start + timedelta(minutes=2))

    [body] = deletion_messages(httpserver)
    first = body.split("\n", 1)[0]
    assert first.startswith("DELETED: hxxps://t[.]me/rybar/101 was marked relevant (entry ")
    assert f"our capture sha256 {page_sha(ws)} at " in first
    assert "Colonne de PMC Wagner" in body  # the text as we archived it
    assert f"sourcewatch show {post}" in body
    [titled] = [m for m in received(httpserver) if m["message"] == body]
    assert titled["title"] == f"sourcewatch: DELETED at source: rybar item {post}"
    with ws.engine.connect() as conn:  # and the triage history says so too
        actions = conn.execute(sa.select(TRIAGE_EVENT.c.action)).scalars().all()
        sent = conn.execute(sa.select(NOTICE_DELIVERY.c.status)).scalars().all()
    assert "source-deleted" in actions
    assert sent == ["sent"]


def test_a_cited_post_deleted_at_the_source_names_the_report(
    httpserver: HTTPServer, open_ws: OpenWorkspace
) -> None:
    httpserver.expect_request("/hooks/webhook").respond_with_data("ok")
    ws = open_ws(webhook_alert(httpserver))
    poll(ws, "page-1", ("7", "Rien à signaler aujourd'hui."))  # no match, never queued
    store.record_citations(
        ws,
        [
            store.CitationRow(
                "weekly/mali.md",
                4,
                "[4] t.me/rybar/7",
                "https://t.me/rybar/7",
                "https://t.me/rybar/7",
                None,
                "live",
            ),
            store.CitationRow(
                store.SNAPSHOT_REPORT,
                None,
                "x",
                "https://t.me/rybar/7",
                "https://t.me/rybar/7",
                None,
                "live",
            ),
        ],
    )
    delete_at_source(ws, "7")
    run_delivery(ws, utcnow())

    [body] = deletion_messages(httpserver)
    assert body.startswith("DELETED: hxxps://t[.]me/rybar/7 was cited in weekly/mali.md [4];")
    assert "(snapshot)" not in body  # a bare snapshot is no report


def test_a_failing_channel_gets_the_notice_later_and_only_once(
    httpserver: HTTPServer, open_ws: OpenWorkspace
) -> None:
    answers = iter([500, 200, 200, 200])

    def handler(request: Request) -> Response:
        return Response("x", status=next(answers))

    httpserver.expect_request("/hooks/webhook").respond_with_handler(handler)
    ws = open_ws(webhook_alert(httpserver))
    start = utcnow()
    poll(ws, "page-1", ("5", "Rien à signaler."))
    store.record_citations(
        ws,
        [
            store.CitationRow(
                "r.md", 1, "t", "https://t.me/rybar/5", "https://t.me/rybar/5", None, "live"
            )
        ],
    )
    delete_at_source(ws, "5")

    first = run_delivery(ws, start)
    assert first.failures == 1 and deletion_messages(httpserver) == []
    [status] = channel_status(ws.engine, ws.settings.alerts, start + timedelta(seconds=1))
    assert (status.failures, status.backlog, status.retrying) == (1, 1, 1)  # `alerts` shows it
    run_delivery(ws, start + timedelta(seconds=10))  # before the backoff: nothing
    assert len(httpserver.log) == 1
    run_delivery(ws, start + timedelta(minutes=1))
    run_delivery(ws, start + timedelta(minutes=5))
    assert len(deletion_messages(httpserver)) == 1


def test_only_channels_that_heard_of_it_or_want_it_get_the_notice(
    httpserver: HTTPServer, open_ws: OpenWorkspace
) -> None:
    for name in ("sahel", "levant", "wagner"):
        httpserver.expect_request(f"/hooks/{name}").respond_with_data("ok")
    sahel = webhook_alert(httpserver, "sahel", areas=["sahel"], min_priority=1000)
    levant = webhook_alert(httpserver, "levant", areas=["levant"])
    wagner = webhook_alert(httpserver, "wagner", entities=["wagner"])
    ws = open_ws(sahel, levant, wagner)
    start = utcnow()
    poll(ws, "page-1", ("9", "PMC Wagner convoy near Gao"))
    post = item_id(ws, "9")
    with ws.engine.begin() as conn:
        mark(conn, post, MarkChange(status="escalated"), "ana", start)
    delete_at_source(ws, "9")
    run_delivery(ws, start)

    assert len(deletion_messages(httpserver, "sahel")) == 1  # priority threshold not applied
    assert len(deletion_messages(httpserver, "wagner")) == 1
    assert deletion_messages(httpserver, "levant") == []
    assert "was marked escalated" in deletion_messages(httpserver, "wagner")[0]


def test_the_same_post_deleted_as_two_items_is_one_notice(
    httpserver: HTTPServer, open_ws: OpenWorkspace
) -> None:
    """Collected by the daemon and snapshotted by cite: two items, one post, one alert."""
    from sourcewatch.citations.snapshot import snapshot_source

    httpserver.expect_request("/hooks/webhook").respond_with_data("ok")
    ws = open_ws(webhook_alert(httpserver))
    poll(ws, "page-1", ("3", "Rien."))
    store.record_citations(
        ws,
        [
            store.CitationRow(
                "r.md", 2, "t", "https://t.me/rybar/3", "https://t.me/rybar/3", None, "live"
            )
        ],
    )
    delete_at_source(ws, "3")
    snapshots = snapshot_source("telegram")
    ingest(
        ws,
        snapshots,
        PollResult(
            [], [ParsedItem("https://t.me/rybar/3", url="https://t.me/rybar/3", text="Rien.")]
        ),
    )
    ingest(ws, snapshots, PollResult([], [ParsedItem("https://t.me/rybar/3", deleted=True)]))
    run_delivery(ws, utcnow())

    with ws.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(NOTICE)).scalar_one() == 1
    assert len(deletion_messages(httpserver)) == 1


def test_a_cited_post_found_deleted_by_recheck_reaches_the_webhook(
    httpserver: HTTPServer, open_ws: OpenWorkspace, settings: Settings, tmp_path: Path
) -> None:
    """The whole path: cite (t.me embed live), recheck (t.me says "Post not found"),
    the alert job, the webhook."""
    import asyncio

    from citations_support import TG_NOT_FOUND, point_at, telegram_embed
    from sourcewatch.citations.cite import cite_report
    from sourcewatch.citations.recheck import recheck_manifest
    from sourcewatch.net import Http

    httpserver.expect_request("/hooks/webhook").respond_with_data("ok")
    live = telegram_embed(httpserver)
    httpserver.expect_request("/cdn/file.jpg").respond_with_data(b"jpg", content_type="image/jpeg")
    answers = iter([live, TG_NOT_FOUND])
    httpserver.expect_request("/oper_goblin/22358").respond_with_handler(
        lambda request: Response(next(answers), content_type="text/html")
    )
    ws = open_ws(webhook_alert(httpserver))
    local = point_at(ws.settings, httpserver)
    report = tmp_path / "weekly.md"
    report.write_text("[1] https://t.me/s/oper_goblin/22358?single\n", encoding="utf-8")

    async def cite_then_recheck() -> None:
        async with Http(local.net) as http:
            manifest = await cite_report(ws, http, local, report, max_age=None)
            await recheck_manifest(ws, http, local, manifest)

    asyncio.run(cite_then_recheck())
    run_delivery(ws, utcnow())
    run_delivery(ws, utcnow() + timedelta(minutes=5))

    [body] = deletion_messages(httpserver)
    first = body.split("\n", 1)[0]
    assert first.startswith(f"DELETED: hxxps://t[.]me/oper_goblin/22358 was cited in {report} [1];")
    assert f"our capture sha256 {hashlib.sha256(live).hexdigest()} at " in first  # the live embed
