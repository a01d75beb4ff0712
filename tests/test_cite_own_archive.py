"""One archive: a cited post the daemon collected, then deleted at the source, is cited
from our own capture (whatever spelling the footnote used)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer

from citations_support import TG_NOT_FOUND, point_at, server
from evidence_support import CAPTURED_AT, PAGE_URL, ingest_deleted_telegram_post
from sourcewatch.citations import store
from sourcewatch.citations.cite import cite_report
from sourcewatch.citations.manifest import render_markdown
from sourcewatch.config import Settings
from sourcewatch.net import Http
from sourcewatch.records import iso_utc
from sourcewatch.store.tables import CAPTURE, CITATION, ITEM
from sourcewatch.workspace import Workspace

__all__ = ["server"]


def cite(ws: Workspace, settings: Settings, report: Path) -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        async with Http(settings.net) as http:
            return await cite_report(ws, http, settings, report, max_age=None)

    return asyncio.run(run())


def page_capture(ws: Workspace) -> tuple[int, str]:
    with ws.engine.connect() as conn:
        row = conn.execute(
            sa.select(CAPTURE.c.id, CAPTURE.c.sha256).where(CAPTURE.c.url == PAGE_URL)
        ).one()
    return row.id, row.sha256


def test_a_collected_then_deleted_post_is_cited_from_our_capture(
    workspace: Workspace, settings: Settings, server: HTTPServer, tmp_path: Path
) -> None:
    item_id = ingest_deleted_telegram_post(workspace)
    settings = point_at(settings, server)
    server.expect_request("/topwar_official/71008").respond_with_data(
        TG_NOT_FOUND, content_type="text/html"
    )
    report = tmp_path / "draft.txt"
    report.write_text("[1] https://t.me/s/topwar_official/71008?single\n", encoding="utf-8")
    manifest = cite(workspace, settings, report)
    [url] = manifest["footnotes"][0]["urls"]
    capture_id, sha256 = page_capture(workspace)
    assert (url["status"], url["reason"]) == ("deleted", "Post not found")
    assert url["raw"] == "https://t.me/s/topwar_official/71008?single"
    assert url["canonical"] == "https://t.me/topwar_official/71008"
    with workspace.engine.connect() as conn:
        revision = conn.execute(sa.select(ITEM.c.revision).where(ITEM.c.id == item_id)).scalar()
    assert url["cited_instead"] == {
        "archive_id": capture_id,
        "sha256": sha256,
        "captured_at": iso_utc(CAPTURED_AT),
        "url": PAGE_URL,
        "item_id": item_id,
        "revision": revision,
    }
    assert f"item {item_id} revision {revision}" in render_markdown(manifest)
    with workspace.engine.connect() as conn:
        row = conn.execute(sa.select(CITATION.c.status, CITATION.c.capture_id)).one()
    assert (row.status, row.capture_id) == ("deleted", capture_id)


def test_an_unreachable_collected_post_is_cited_from_our_capture_too(
    workspace: Workspace,
    settings: Settings,
    server: HTTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ingest_deleted_telegram_post(workspace)
    settings = settings.model_copy(  # the real t.me, which does not resolve here
        update={"net": settings.net.model_copy(update={"retries": 0})}
    )

    def no_network(*_args: Any, **_kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    report = tmp_path / "draft.txt"
    report.write_text("[3] https://telegram.me/topwar_official/71008\n", encoding="utf-8")
    [url] = cite(workspace, settings, report)["footnotes"][0]["urls"]
    assert url["status"] == "unreachable"
    assert url["cited_instead"]["archive_id"] == page_capture(workspace)[0]


def test_an_x_post_is_found_by_its_id_whatever_the_spelling(workspace: Workspace) -> None:
    from sourcewatch.ingest.writer import ingest
    from sourcewatch.records import ParsedItem, PollResult, RawCapture
    from sourcewatch.sources.config import SourceConfig

    capture = RawCapture(
        url="https://api.x.com/2/users/1/tweets",
        body=b'{"data": []}',
        status=200,
        fetched_at=CAPTURED_AT,
        headers={},
        media_type="application/json",
    )
    post = ParsedItem(
        external_id="1703418752753127722",
        url="https://x.com/DeirEzzore/status/1703418752753127722",
        text="the post",
        capture_sha256s=[capture.sha256],
    )
    source = SourceConfig(name="deirezzore", kind="x", target="DeirEzzore")
    ingest(workspace, source, PollResult([capture], [post]), now=CAPTURED_AT)
    for spelling in (
        "https://x.com/i/web/status/1703418752753127722",
        "https://x.com/deirezzore/status/1703418752753127722",
    ):
        found = store.own_capture(workspace, spelling)
        assert found is not None and found.url == capture.url and found.item_id is not None
    assert store.own_capture(workspace, "https://x.com/i/web/status/703418752753127722") is None
