"""The daemon's alert job: a post polled from a feed reaches the webhook within
seconds of the poll, through the whole pipeline (poll, ingest, queue, outbox, Apprise)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from pytest_httpserver import HTTPServer

from alerts_support import WATCHLISTS, received, webhook_alert
from daemon_support import FeedServer, daemon_settings, write_watch_list
from sourcewatch.config import Settings
from sourcewatch.daemon.loop import Daemon
from sourcewatch.workspace import Workspace


def test_the_daemon_delivers_alerts_for_what_it_polls(
    settings: Settings, httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/hooks/webhook").respond_with_data("ok")
    with FeedServer() as feeds:
        watch = write_watch_list(tmp_path / "sources.toml", {"gao": feeds.url("/feed/gao")})
        base = daemon_settings(settings, watch, alerts_every_seconds=0.3)
        config = base.model_copy(
            update={"watchlists_dir": WATCHLISTS, "alerts": [webhook_alert(httpserver)]}
        )

        async def go() -> None:
            with Workspace.open(config) as ws:
                daemon = Daemon(ws)
                started = time.monotonic()
                serving = asyncio.ensure_future(daemon.serve())
                # Until the three alerts arrive; the minute is a bound for hangs only (a
                # daemon that never delivers fails on the titles below).
                while len(received(httpserver)) < 3 and time.monotonic() - started < 60:
                    await asyncio.sleep(0.1)
                daemon.request_stop()
                await serving

        asyncio.run(go())

    titles = sorted(m["message"].split("\n\n")[1].splitlines()[0] for m in received(httpserver))
    assert titles == ["gao item 0", "gao item 1", "gao item 2"]
