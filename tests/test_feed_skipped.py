"""A polled feed (real HTTP on loopback): items without guid or link are kept, and what is
left out is reported in the PollResult (issue #18, "nothing dropped")."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from pytest_httpserver import HTTPServer

from news_support import next_state, poll, source
from sourcewatch.ingest.writer import IngestReport
from sourcewatch.net import Http
from sourcewatch.polling.pipeline import poll_source
from sourcewatch.workspace import Workspace

FEEDPARSER = Path(__file__).parent / "fixtures" / "feedparser"


def test_a_polled_item_without_guid_or_link_becomes_an_item(httpserver: HTTPServer) -> None:
    body = (FEEDPARSER / "wellformed_rss_item_description.xml").read_bytes()
    httpserver.expect_request("/feed").respond_with_data(body, content_type="application/rss+xml")
    src = source("feed", httpserver.url_for("/feed"), options={"fetch_articles": False})
    first = poll(src)
    [item] = first.items
    assert item.text == "Example description" and item.external_id.startswith("sha256:")
    assert first.skipped == []
    # Same entry, next poll (the body hash is forgotten): the same id, nothing new.
    state = dataclasses.replace(next_state(first), body_sha256=None)
    again = poll(src, state)
    assert again.items == [] and again.cursor is not None
    assert list(again.cursor["seen"]) == [item.external_id]


def test_a_polled_entry_with_nothing_to_keep_is_reported(httpserver: HTTPServer) -> None:
    body = (FEEDPARSER / "wellformed_rss_item_dc_date.xml").read_bytes()
    httpserver.expect_request("/feed").respond_with_data(body, content_type="application/rss+xml")
    result = poll(source("feed", httpserver.url_for("/feed")))
    assert result.items == []
    assert result.skipped == ["entry #1: no id, no link, no title and no content"]


def test_the_poll_pipeline_passes_skipped_entries_to_its_report(
    httpserver: HTTPServer, workspace: Workspace
) -> None:
    body = (FEEDPARSER / "wellformed_rss_item_dc_date.xml").read_bytes()
    httpserver.expect_request("/feed").respond_with_data(body, content_type="application/rss+xml")
    src = source("feed", httpserver.url_for("/feed"))

    async def go() -> IngestReport:
        async with Http(workspace.settings.net) as http:
            return await poll_source(workspace, src, http)

    report = asyncio.run(go())
    assert report.new == 0
    assert report.skipped == ["entry #1: no id, no link, no title and no content"]
    assert report.to_json()["skipped"] == report.skipped
