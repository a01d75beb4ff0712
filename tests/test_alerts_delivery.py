"""Alert delivery end to end: ingest queues and writes the outbox, ``deliver`` sends
through Apprise to a real JSON webhook on loopback. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from alerts_support import alert_settings, poll, received, run_delivery, webhook_alert
from sourcewatch.alerts.status import channel_status
from sourcewatch.config import AlertSettings, Settings
from sourcewatch.records import utcnow
from sourcewatch.sources.config import SourceConfig
from sourcewatch.store.tables import ALERT_OUTBOX, CAPTURE, ITEM
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


@pytest.fixture
def hook(httpserver: HTTPServer) -> HTTPServer:
    httpserver.expect_request("/hooks/webhook", method="POST").respond_with_data("ok")
    return httpserver


def item_id(ws: Workspace, external_id: str) -> int:
    with ws.engine.connect() as conn:
        table = ITEM
        return conn.execute(
            sa.select(table.c.id).where(table.c.external_id == external_id)
        ).scalar_one()


def test_an_immediate_alert_says_what_matched_where_and_how_to_open_it(
    hook: HTTPServer, open_ws: OpenWorkspace
) -> None:
    ws = open_ws(webhook_alert(hook))
    poll(ws, "page-1", ("101", "Colonne de PMC Wagner vue à Gao. https://evil.example.org/x"))
    poll(ws, "page-2", ("102", "Rien à signaler aujourd'hui."))  # no match: no alert

    report = run_delivery(ws, utcnow())

    assert report.messages == 1 and report.failures == 0
    [message] = received(hook)
    body = message["message"]
    with ws.engine.connect() as conn:
        sha = conn.execute(sa.select(CAPTURE.c.sha256)).scalars().all()
    assert "Source: rybar" in body
    assert "PMC Wagner" in body and "[wagner, gao]" in body
    assert "Colonne de PMC Wagner" in body
    assert "hxxps://evil[.]example[.]org/x" in body and "https://evil" not in body
    assert "URL: hxxps://t[.]me/rybar/101" in body
    assert f"Archive sha256: {sha[0]}" in body
    assert f"sourcewatch show {item_id(ws, '101')}" in body
    assert "wagner" in message["title"]

    run_delivery(ws, utcnow() + timedelta(minutes=5))
    assert len(received(hook)) == 1  # never twice


def test_triggers_choose_which_channel_hears_of_an_entry(
    httpserver: HTTPServer, open_ws: OpenWorkspace
) -> None:
    httpserver.expect_request("/hooks/critical").respond_with_data("ok")
    httpserver.expect_request("/hooks/gao-watch").respond_with_data("ok")
    critical = webhook_alert(httpserver, "critical", min_priority=50)
    gao_only = webhook_alert(httpserver, "gao-watch", entities=["gao"], sources=["rybar"])
    ws = open_ws(critical, gao_only)
    poll(ws, "p1", ("1", "PMC Wagner convoy on the road"), ("2", "Market day in Gao"))

    run_delivery(ws, utcnow())

    # wagner: 10 x weight 5 x source weight 2 = 100; gao: 10 x 1 x 2 = 20
    [critical_message] = received(httpserver, "critical")
    assert "PMC Wagner convoy" in critical_message["message"]
    [gao] = received(httpserver, "gao-watch")
    assert "Market day in Gao" in gao["message"]


def test_a_digest_groups_new_entries_per_area_highest_priority_first(
    hook: HTTPServer, open_ws: OpenWorkspace
) -> None:
    ws = open_ws(webhook_alert(hook, mode="digest", digest_every_hours=1))
    start = utcnow()
    run_delivery(ws, start)  # the channel's first period starts now
    poll(ws, "p1", ("1", "Market day in Gao"), ("2", "PMC Wagner convoy seen"))
    # The primary area comes from the source (issue 21), not from jnim's areas.
    mali_source = SourceConfig(
        name="mali_watch", kind="telegram", target="mali_watch", areas=("mali", "sahel")
    )
    poll(
        ws, "p2", ("3", "Jama'at Nusrat al-Islam wal-Muslimin claims an ambush"), source=mali_source
    )
    run_delivery(ws, start + timedelta(minutes=30))
    assert received(hook) == []  # not due yet

    run_delivery(ws, start + timedelta(minutes=61))

    [digest] = received(hook)
    lines = digest["message"].splitlines()
    assert lines[0] == "3 new queue entries (every 1 h)"
    sahel = lines.index("== sahel (2) ==")
    mali = lines.index("== mali (1) ==")  # its source's primary area, though sahel too
    assert "PMC Wagner" in lines[sahel + 1] and "Gao" in lines[sahel + 2]
    assert "Jama'at" in lines[mali + 1]
    assert sahel < mali  # the area with the highest priority (wagner, 100) comes first
    run_delivery(ws, start + timedelta(minutes=62))
    assert len(received(hook)) == 1


def test_a_channel_down_for_an_hour_gets_everything_when_it_is_back(
    httpserver: HTTPServer, open_ws: OpenWorkspace
) -> None:
    up = {"value": False}

    def webhook(request: Request) -> Response:
        return Response("ok", 200) if up["value"] else Response("down", 503)

    httpserver.expect_request("/hooks/webhook").respond_with_handler(webhook)
    ws = open_ws(webhook_alert(httpserver))
    poll(ws, "p1", ("1", "PMC Wagner near Gao"), ("2", "Gao market"), ("3", "PMC Wagner"))
    start = utcnow()
    for minute in range(0, 60):
        run_delivery(ws, start + timedelta(minutes=minute))
    [status] = channel_status(ws.engine, ws.settings.alerts, start + timedelta(minutes=60))
    assert received(httpserver) == []
    assert status.failures >= 5 and status.backlog == 3
    assert "503" in (status.last_error or "") or "error" in (status.last_error or "").lower()

    up["value"] = True
    for minute in range(60, 75):
        run_delivery(ws, start + timedelta(minutes=minute))

    bodies = [m["message"] for m in received(httpserver)]
    assert len(bodies) == 3
    assert {line for b in bodies for line in b.splitlines() if line.startswith("Alert:")} == {
        f"Alert: webhook / item {item_id(ws, ext)} revision 1" for ext in ("1", "2", "3")
    }
    [status] = channel_status(ws.engine, ws.settings.alerts, start + timedelta(minutes=75))
    assert status.failures == 0 and status.backlog == 0


def test_an_edit_alerts_again_only_when_it_changes_what_matched(
    hook: HTTPServer, open_ws: OpenWorkspace
) -> None:
    ws = open_ws(webhook_alert(hook))
    poll(ws, "v1", ("7", "Fighting near Gao"))
    run_delivery(ws, utcnow())
    poll(ws, "v2", ("7", "Fighting near Gao, heavy losses"))  # same match set
    run_delivery(ws, utcnow())
    assert len(received(hook)) == 1

    poll(ws, "v3", ("7", "Fighting near Gao, heavy losses; PMC Wagner involved"))
    run_delivery(ws, utcnow())

    _, second = received(hook)
    assert "(edit, revision 3)" in second["message"] and "PMC Wagner involved" in second["message"]
    with ws.engine.connect() as conn:
        outbox = conn.execute(sa.select(ALERT_OUTBOX.c.revision)).scalars().all()
    assert sorted(outbox) == [1, 3]


def test_500_matches_in_a_minute_become_one_digest(
    hook: HTTPServer, open_ws: OpenWorkspace
) -> None:
    ws = open_ws(webhook_alert(hook, flood_threshold=20))
    posts = [(str(i), f"Report {i}: shelling near Gao, sector {i * 7}") for i in range(500)]
    poll(ws, "flood", *posts)

    report = run_delivery(ws, utcnow())

    assert report.messages == 1 and report.channels[0].entries == 500
    [digest] = received(hook)
    assert digest["message"].startswith("500 new queue entries (flood: 500 entries at once")
    assert "... and 400 more: sourcewatch queue" in digest["message"]
    run_delivery(ws, utcnow() + timedelta(minutes=2))
    assert len(received(hook)) == 1


def test_the_rate_limit_spreads_messages_over_minutes_highest_priority_first(
    hook: HTTPServer, open_ws: OpenWorkspace
) -> None:
    ws = open_ws(webhook_alert(hook, max_per_minute=10, flood_threshold=20))
    posts: list[tuple[str, str]] = [(str(i), f"Gao checkpoint {i} reopened") for i in range(14)]
    posts.append(("wagner", "PMC Wagner leaves the base"))
    poll(ws, "p1", *posts)
    start = utcnow()

    run_delivery(ws, start)
    run_delivery(ws, start + timedelta(seconds=30))
    first_minute: list[dict[str, Any]] = received(hook)
    run_delivery(ws, start + timedelta(seconds=61))

    assert len(first_minute) == 10 and "PMC Wagner" in first_minute[0]["message"]
    assert len(received(hook)) == 15


def test_entries_marked_irrelevant_never_reach_a_digest_or_an_alert(
    httpserver: HTTPServer, open_ws: OpenWorkspace
) -> None:
    from sourcewatch.alerts.fanout import DELIVERY
    from sourcewatch.triage.marking import MarkChange, mark

    httpserver.expect_request("/hooks/digest").respond_with_data("ok")
    httpserver.expect_request("/hooks/now").respond_with_data("ok")
    digest = webhook_alert(httpserver, "digest", mode="digest", digest_every_hours=1)
    ws = open_ws(digest, webhook_alert(httpserver, "now"))
    start = utcnow()
    poll(ws, "p1", ("1", "Market day in Gao"), ("2", "PMC Wagner convoy seen"))
    market = item_id(ws, "1")
    with ws.engine.begin() as conn:  # decided before any channel heard of it
        mark(conn, market, MarkChange(status="irrelevant"), "ana", start)

    run_delivery(ws, start)
    run_delivery(ws, start + timedelta(minutes=61))

    [alert] = received(httpserver, "now")
    assert "PMC Wagner" in alert["message"]
    [message] = received(httpserver, "digest")
    assert "PMC Wagner" in message["message"] and "Market day in Gao" not in message["message"]
    with ws.engine.connect() as conn:
        dropped = conn.execute(
            sa.select(DELIVERY.c.alert, DELIVERY.c.item_id).where(DELIVERY.c.status == "dropped")
        ).all()
    assert sorted(dropped) == [("digest", market), ("now", market)]
