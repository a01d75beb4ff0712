"""The ``x`` collector end to end: poll -> ingest -> database, edits as revisions,
rechecks through syndication finding edits and deletions. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer

from sourcewatch.collectors.base import CollectContext, CollectorError, ItemRef
from sourcewatch.collectors.x.collector import XCollector
from sourcewatch.ingest.writer import IngestReport, ingest
from sourcewatch.net import Http
from sourcewatch.polling.pipeline import poll_source
from sourcewatch.records import PollResult
from sourcewatch.sources.config import SourceConfig
from sourcewatch.store.tables import CAPTURE, ITEM, ITEM_REVISION
from sourcewatch.workspace import Workspace
from x_fake_api import FakeX, make_settings, recorded_json

SOURCE = SourceConfig(name="xdevelopers", kind="x", target="@XDevelopers", areas=["global"])
ORIGINAL, EDIT = "1578600000000000000", "1578600100000000000"


@pytest.fixture
def fake(httpserver: HTTPServer) -> FakeX:
    fake = FakeX(httpserver).install()
    for tweet in reversed(recorded_json("tweepy__test_client_search_recent_tweets.yaml")["data"]):
        fake.posts.append(dict(tweet))
    return fake


@pytest.fixture
def ws(fake: FakeX, database_url: str, tmp_path: Path) -> Iterator[Workspace]:
    settings = make_settings(fake).model_copy(
        update={"data_dir": tmp_path / "data", "database_url": database_url}
    )
    workspace = Workspace.open(settings)
    try:
        yield workspace
    finally:
        workspace.close()


def poll(ws: Workspace) -> IngestReport:
    async def run() -> IngestReport:
        async with Http(ws.settings.net) as http:
            return await poll_source(ws, SOURCE, http)

    return asyncio.run(run())


def reread(ws: Workspace, refs: list[ItemRef]) -> PollResult:
    async def run() -> PollResult:
        async with Http(ws.settings.net) as http:
            return await XCollector().reread(SOURCE, refs, CollectContext(ws.settings, http))

    return asyncio.run(run())


def item_row(ws: Workspace, external_id: str) -> sa.Row:
    table = ITEM
    with ws.engine.connect() as conn:
        return conn.execute(sa.select(table).where(table.c.external_id == external_id)).one()


def revisions(ws: Workspace, item_id: int) -> list[str]:
    table = ITEM_REVISION
    with ws.engine.connect() as conn:
        query = sa.select(table.c.text).where(table.c.item_id == item_id).order_by(table.c.revision)
        return list(conn.execute(query).scalars())


def test_poll_ingest_then_an_edit_becomes_a_revision(ws: Workspace, fake: FakeX) -> None:
    fake.post(ORIGINAL, "IS claims attack near Deir ez-Zor")
    first = poll(ws)
    assert (first.new, first.edited) == (11, 0)

    fake.edit(ORIGINAL, EDIT, "IS claims attack near al-Busayrah")
    second = poll(ws)
    assert (second.new, second.edited, second.unchanged) == (0, 1, 0)

    row = item_row(ws, ORIGINAL)
    assert row.revision == 2
    assert row.text == "IS claims attack near al-Busayrah"
    assert row.canonical_url == "https://x.com/xdevelopers/status/1578600000000000000"
    assert row.author == "@XDevelopers"
    assert revisions(ws, row.id) == [
        "IS claims attack near Deir ez-Zor",
        "IS claims attack near al-Busayrah",
    ]
    third = poll(ws)  # nothing new since the edit
    assert (third.new, third.edited) == (0, 0)
    with ws.engine.connect() as conn:
        kinds = conn.execute(sa.select(CAPTURE.c.kind)).scalars().all()
    assert set(kinds) == {"api"}


def test_a_failed_poll_keeps_the_cursor_and_the_next_one_converges(
    ws: Workspace, fake: FakeX
) -> None:
    poll(ws)
    fake.post(ORIGINAL, "a new post")
    fake.fail_next(200, b'{"data": [{"id": "1", "te')  # cut off mid-body
    with pytest.raises(CollectorError):
        poll(ws)
    report = poll(ws)
    assert report.new == 1
    assert item_row(ws, ORIGINAL).text == "a new post"


def test_recheck_finds_edits_and_deletions_through_syndication(ws: Workspace, fake: FakeX) -> None:
    kept, deleted_id = recorded_json("syndication__tweet-result.json"), "1578516068309794817"
    fake.posts.append(
        {
            **fake.posts[0],
            "id": kept["id_str"],
            "text": "Looking for CMS recommendations",
            "edit_history_tweet_ids": [kept["id_str"]],
        }
    )
    poll(ws)
    fake.syndication[kept["id_str"]] = kept  # its text now starts "CUSTOM ": an edit
    fake.deleted.add(deleted_id)
    refs = [
        ItemRef(kept["id_str"], f"https://x.com/xdevelopers/status/{kept['id_str']}", "", None),
        ItemRef(deleted_id, None, "", None),
    ]
    result = reread(ws, refs)
    report = ingest(ws, SOURCE, result)

    assert (report.edited, report.deleted) == (1, 1)
    assert item_row(ws, kept["id_str"]).text.startswith("CUSTOM Looking for CMS")
    assert item_row(ws, deleted_id).deleted_at is not None
    assert [r.path for r in fake.requests[-2:]] == ["/tweet-result", "/tweet-result"]


def test_recheck_raises_only_when_no_post_could_be_read(ws: Workspace, fake: FakeX) -> None:
    fake.fail_next(500, b"down")
    fake.fail_next(500, b"down")
    with pytest.raises(CollectorError) as caught:
        reread(ws, [ItemRef("1578516068309794817", None, "", None)])
    assert "HTTP 500" in str(caught.value)
