"""Translation never blocks or slows ingest: with the translation server hanging on a
request, the daemon goes on polling and storing; once the server answers, the queued
items are translated. Driven by events (the hung request arriving, items appearing),
never by how long anything took."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer

from alerts_support import WATCHLISTS
from daemon_support import FeedServer, daemon_settings
from sourcewatch.config import Settings
from sourcewatch.daemon.loop import Daemon
from sourcewatch.store.tables import ITEM, TRANSLATION
from sourcewatch.workspace import Workspace
from translate_support import FakeLibreTranslate

BOUND = 60.0  # seconds before a wait is a failure: a bound for hangs, not a speed target


@pytest.fixture
def threaded_server() -> Iterator[HTTPServer]:
    server = HTTPServer(threaded=True)  # a hung answer must not stop the others
    server.start()
    try:
        yield server
    finally:
        server.clear()
        if server.is_running():
            server.stop()


def arabic_feed_sources(path: Path, url: str) -> Path:
    path.write_text(
        f'[[sources]]\nname = "gao-ar"\nkind = "feed"\ntarget = "{url}"\ninterval = "1s"\n'
        'areas = ["sahel"]\nlanguage = "ar"\nqueue_all = true\n'
        "[sources.options]\nfetch_articles = false\n",
        encoding="utf-8",
    )
    return path


def count(ws: Workspace, table: sa.Table) -> int:
    with ws.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


async def until(check: Callable[[], bool], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + BOUND
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def test_a_hung_translation_server_never_holds_up_polling(
    settings: Settings, threaded_server: HTTPServer, tmp_path: Path
) -> None:
    lt = FakeLibreTranslate(threaded_server)
    lt.hang.clear()  # every /translate waits until the test lets it answer
    with FeedServer() as feeds:
        watch = arabic_feed_sources(tmp_path / "sources.toml", feeds.url("/feed/gao"))
        base = daemon_settings(settings, watch)
        translate = base.translate.model_copy(
            update={
                "engines": ["libretranslate"],
                "background_languages": ["ar"],
                "every_seconds": 0.2,
                "timeout_seconds": 120.0,  # longer than the test: the request stays hung
                "libretranslate": base.translate.libretranslate.model_copy(update={"url": lt.url}),
            }
        )
        config = base.model_copy(update={"watchlists_dir": WATCHLISTS, "translate": translate})

        async def go() -> tuple[int, int]:
            with Workspace.open(config) as ws:
                daemon = Daemon(ws)
                serving = asyncio.ensure_future(daemon.serve())
                await until(lambda: count(ws, ITEM) == 3, "the first poll")
                await until(lt.entered.is_set, "a translation request to hang")
                feeds.items["gao"] = 6  # the source publishes while translation hangs
                await until(lambda: count(ws, ITEM) == 6, "polls during the hang")
                during = count(ws, TRANSLATION)
                lt.hang.set()  # the server answers again
                await until(lambda: count(ws, TRANSLATION) == 6, "the queued items' translations")
                daemon.request_stop()
                await serving
                return during, count(ws, TRANSLATION)

        during, after = asyncio.run(go())
    assert during == 0  # new items were stored while the translation was stuck
    assert after == 6
    assert {r["source"] for r in lt.requests} == {"ar"}


def test_shutdown_abandons_a_hung_translation(
    settings: Settings, threaded_server: HTTPServer, tmp_path: Path
) -> None:
    lt = FakeLibreTranslate(threaded_server)
    lt.hang.clear()
    with FeedServer() as feeds:
        watch = arabic_feed_sources(tmp_path / "sources.toml", feeds.url("/feed/gao"))
        base = daemon_settings(settings, watch)
        translate = base.translate.model_copy(
            update={
                "engines": ["libretranslate"],
                "background_languages": ["ar"],
                "every_seconds": 0.2,
                "timeout_seconds": 600.0,
                "libretranslate": base.translate.libretranslate.model_copy(update={"url": lt.url}),
            }
        )
        config = base.model_copy(update={"translate": translate})

        async def go() -> None:
            with Workspace.open(config) as ws:
                daemon = Daemon(ws)
                serving = asyncio.ensure_future(daemon.serve())
                await until(lt.entered.is_set, "a translation request to hang")
                daemon.request_stop()
                # serve() returns although the request would hang for 10 more minutes
                await asyncio.wait_for(serving, BOUND)

        try:
            asyncio.run(go())
        finally:
            lt.hang.set()
