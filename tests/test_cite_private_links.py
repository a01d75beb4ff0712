"""``t.me/c/<channel id>/<n>`` links are matched to the posts we collected of that channel
(by the id Telethon stored, a source's resolved entity, or the channel's public name), on
SQLite and PostgreSQL; they are fetched under the public name when one is known."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pytest_httpserver import HTTPServer

from citations_support import FIXTURES, TG_NOT_FOUND, point_at, server
from sourcewatch.citations import store
from sourcewatch.citations.cite import cite_report
from sourcewatch.collectors.formats import ImportContext
from sourcewatch.collectors.registry import get_format
from sourcewatch.config import Settings
from sourcewatch.ingest.writer import ingest
from sourcewatch.net import Http
from sourcewatch.records import ParsedItem, PollResult, RawCapture
from sourcewatch.sources.config import SourceConfig
from sourcewatch.store.tables import SOURCE
from sourcewatch.workspace import Workspace

__all__ = ["server"]
CHANNEL_ID = 1088459257  # chp_chechnya's internal id, as the recorded dump's peer_id says
DUMP = (FIXTURES / "telegram" / "telethon_chp_chechnya_channel_messages.json").read_bytes()
AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def capture_of(body: bytes, url: str) -> RawCapture:
    return RawCapture(
        url=url, body=body, status=200, fetched_at=AT, headers={}, media_type="application/json"
    )


def ingest_dump(ws: Workspace) -> RawCapture:
    """The recorded Telethon dump of @chp_chechnya (posts 2011-2016), as the collector stores it."""
    source = SourceConfig(
        name="chp",
        kind="telegram",
        target="chp_chechnya",
        backend="telethon",
        options={"channel_id": CHANNEL_ID},
    )
    items = get_format("telethon-json")(DUMP, ImportContext(source=source, url=None, filename="d"))
    capture = capture_of(DUMP, "telethon://chp_chechnya/2011-2016")
    for item in items:
        item.capture_sha256s = [capture.sha256]
    ingest(ws, source, PollResult([capture], items), now=AT)
    return capture


def ingest_one(
    ws: Workspace, source: SourceConfig, external_id: str, url: str | None
) -> RawCapture:
    capture = capture_of(
        f"post {external_id} of {source.name}".encode(), f"https://t.me/s/{source.target}"
    )
    post = ParsedItem(
        external_id=external_id, url=url, text="a post", capture_sha256s=[capture.sha256]
    )
    ingest(ws, source, PollResult([capture], [post]), now=AT)
    return capture


def test_a_private_link_finds_the_telethon_item_by_channel_id(workspace: Workspace) -> None:
    capture = ingest_dump(workspace)
    found = store.own_capture(workspace, f"https://t.me/c/{CHANNEL_ID}/2016")
    assert found is not None and (found.url, found.sha256) == (capture.url, capture.sha256)
    assert found.item_id is not None
    assert store.own_capture(workspace, f"https://t.me/c/{CHANNEL_ID}/2013") is None  # no such post
    assert store.own_capture(workspace, "https://t.me/c/1088459258/2016") is None  # other channel


def test_a_private_link_finds_a_web_item_through_the_public_name(workspace: Workspace) -> None:
    """A t.me/s post (no channel id stored) of the channel Telethon knows by name."""
    ingest_dump(workspace)
    web = SourceConfig(name="chp-web", kind="telegram", target="chp_chechnya")
    capture = ingest_one(workspace, web, "2020", "https://t.me/chp_chechnya/2020")
    found = store.own_capture(workspace, f"https://t.me/c/{CHANNEL_ID}/2020")
    assert found is not None and found.sha256 == capture.sha256
    assert store.public_post_url(workspace, f"https://t.me/c/{CHANNEL_ID}/7") == (
        "https://t.me/chp_chechnya/7"
    )
    assert store.public_post_url(workspace, "https://t.me/c/42/7") is None


def test_a_private_link_finds_an_item_of_a_source_whose_entity_has_that_id(
    workspace: Workspace,
) -> None:
    source = SourceConfig(name="closed", kind="telegram", target="-1001234", backend="telethon")
    capture = ingest_one(workspace, source, "77", None)
    entity = {"target": "-1001234", "channel_id": 1234, "access_hash": 99}
    with workspace.engine.begin() as conn:
        conn.execute(
            sa.update(SOURCE).where(SOURCE.c.name == "closed").values(cursor={"entity": entity})
        )
    found = store.own_capture(workspace, "https://t.me/c/1234/77")
    assert found is not None and found.sha256 == capture.sha256
    assert store.own_capture(workspace, "https://t.me/c/1234/78") is None


def cite(ws: Workspace, settings: Settings, report: Path) -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        async with Http(settings.net) as http:
            return await cite_report(ws, http, settings, report, max_age=None)

    return asyncio.run(run())


def test_cite_fetches_a_private_link_under_the_public_name_and_cites_our_capture(
    workspace: Workspace, settings: Settings, server: HTTPServer, tmp_path: Path
) -> None:
    capture = ingest_dump(workspace)
    settings = point_at(settings, server)
    server.expect_request("/chp_chechnya/2016").respond_with_data(
        TG_NOT_FOUND, content_type="text/html"
    )
    report = tmp_path / "draft.md"
    report.write_text(
        f"[1] https://t.me/c/{CHANNEL_ID}/2016\n[2] https://t.me/c/555/1\n", encoding="utf-8"
    )
    manifest = cite(workspace, settings, report)
    [deleted] = manifest["footnotes"][0]["urls"]
    assert deleted["canonical"] == f"https://t.me/c/{CHANNEL_ID}/2016"
    assert (deleted["status"], deleted["reason"]) == ("deleted", "Post not found")
    assert deleted["cited_instead"]["sha256"] == capture.sha256
    [unknown] = manifest["footnotes"][1]["urls"]
    assert unknown["status"] == "blocked"
    assert "only members of the channel" in unknown["reason"]
    assert [str(r.path) for r, _ in server.log] == ["/chp_chechnya/2016"]  # t.me/c never fetched
