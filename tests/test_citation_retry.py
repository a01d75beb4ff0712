"""The retry queue of unreachable citations: 5 min, 30 min, 2 h, then every 12 h, by the
daemon's job and by ``recheck --retry-unreachable``; never a change, resolved to live,
edited, deleted or blocked when an answer comes. Loopback servers, both databases, and
an injected clock (every time below is ``T0`` plus something)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner
from werkzeug import Request, Response

from citations_support import NEWS_PAGE, point_at, server
from sourcewatch.citations import store
from sourcewatch.citations.batch import snapshot_all
from sourcewatch.citations.cite import snapshot_row
from sourcewatch.citations.retry import RETRY, RetryReport, claim, retry_delay, retry_unreachable
from sourcewatch.cli import app
from sourcewatch.config import Settings
from sourcewatch.daemon.maintenance import retry_citations
from sourcewatch.net import Http
from sourcewatch.workspace import Workspace

__all__ = ["server"]
T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


class Answers:
    """A page that answers with the next status of a script (then keeps the last one)."""

    def __init__(self, *script: tuple[int, bytes]) -> None:
        self.script = list(script)

    def __call__(self, request: Request) -> Response:
        status, body = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        return Response(body, status=status, content_type="text/html; charset=utf-8")


def page(winner: str) -> bytes:
    """The recorded Reuters article, its first sentence naming ``winner`` (an edit)."""
    article = NEWS_PAGE.decode("utf-8")
    return article.replace("was the upset winner", f"was {winner}").encode("utf-8")


@pytest.fixture
def local(settings: Settings, server: HTTPServer) -> Iterator[Settings]:
    yield point_at(settings, server)


def snapshot(ws: Workspace, settings: Settings, url: str, now: datetime) -> str:
    """What ``sourcewatch snapshot URL`` does (at ``now``); the URL's status."""

    async def run() -> str:
        async with Http(settings.net) as http:
            snaps = await snapshot_all(ws, http, settings, [(url, url)], max_age=None, now=now)
            store.record_citations(ws, [snapshot_row(store.SNAPSHOT_REPORT, None, url, snaps[url])])
            return snaps[url].status

    return asyncio.run(run())


def retry(ws: Workspace, settings: Settings, now: datetime) -> RetryReport:
    async def run() -> RetryReport:
        async with Http(settings.net) as http:
            return await retry_unreachable(ws, http, settings, now, owner="test")

    return asyncio.run(run())


def queued(ws: Workspace) -> Any:
    with ws.engine.connect() as conn:
        return conn.execute(sa.select(RETRY)).one()


def test_the_backoff_is_5_min_30_min_2_h_then_12_h() -> None:
    delays = [retry_delay(n) for n in range(1, 7)]
    assert delays == [5 * MIN, 30 * MIN, 120 * MIN, 720 * MIN, 720 * MIN, 720 * MIN]


def test_an_unreachable_url_is_retried_with_backoff_until_it_answers(
    workspace: Workspace, local: Settings, server: HTTPServer
) -> None:
    answers = Answers((503, b"down"), (503, b"down"), (200, page("Le communiqué du 3 mars.")))
    server.expect_request("/news/1").respond_with_handler(answers)
    url = server.url_for("/news/1")

    assert snapshot(workspace, local, url, T0) == "unreachable"
    row = queued(workspace)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, T0 + 5 * MIN)
    assert row.last_reason == "HTTP 503"

    early = retry(workspace, local, T0 + 4 * MIN)  # not due: nothing fetched
    assert early.outcomes == [] and early.counts()["waiting"] == 1
    assert len(server.log) == 1

    second = retry(workspace, local, T0 + 5 * MIN)
    [outcome] = second.outcomes
    assert (outcome.status, outcome.attempts) == ("unreachable", 2)
    assert outcome.next_attempt_at == T0 + 35 * MIN
    assert second.counts() == {"tried": 1, "still_unreachable": 1, "waiting": 0}

    third = retry(workspace, local, T0 + 35 * MIN)
    assert [(o.status, o.attempts, o.next_attempt_at) for o in third.outcomes] == [
        ("live", 3, None)
    ]
    row = queued(workspace)
    assert (row.status, row.resolved_status, row.resolved_at) == ("resolved", "live", T0 + 35 * MIN)
    assert retry(workspace, local, T0 + 2000 * MIN).outcomes == []  # resolved: never again
    assert len(server.log) == 3


@pytest.mark.parametrize(
    ("answer", "resolved"),
    [((404, b"gone"), "deleted"), ((451, b"unavailable for legal reasons"), "blocked")],
)
def test_an_answer_resolves_to_what_the_platform_says(
    workspace: Workspace,
    local: Settings,
    server: HTTPServer,
    answer: tuple[int, bytes],
    resolved: str,
) -> None:
    server.expect_request("/news/2").respond_with_handler(Answers((504, b""), answer))
    url = server.url_for("/news/2")
    snapshot(workspace, local, url, T0)
    [outcome] = retry(workspace, local, T0 + 5 * MIN).outcomes
    assert outcome.status == resolved
    assert queued(workspace).resolved_status == resolved


def test_a_post_that_changed_while_unreachable_resolves_as_edited(
    workspace: Workspace, local: Settings, server: HTTPServer
) -> None:
    answers = Answers(
        (200, page("the upset winner")),
        (500, b"oops"),
        (200, page("a surprise runner-up")),
    )
    server.expect_request("/news/3").respond_with_handler(answers)
    url = server.url_for("/news/3")
    assert snapshot(workspace, local, url, T0) == "live"
    assert snapshot(workspace, local, url, T0 + MIN) == "unreachable"
    [outcome] = retry(workspace, local, T0 + 6 * MIN).outcomes
    assert outcome.status == "edited"


def test_any_later_answer_resolves_the_queue_and_a_new_failure_reopens_it(
    workspace: Workspace, local: Settings, server: HTTPServer
) -> None:
    answers = Answers((502, b""), (200, page("Le texte.")), (503, b""))
    server.expect_request("/news/4").respond_with_handler(answers)
    url = server.url_for("/news/4")
    snapshot(workspace, local, url, T0)
    assert snapshot(workspace, local, url, T0 + MIN) == "live"  # a cite, a re-check...
    assert (queued(workspace).status, queued(workspace).resolved_status) == ("resolved", "live")
    snapshot(workspace, local, url, T0 + 10 * MIN)
    row = queued(workspace)
    assert (row.status, row.attempts, row.first_failed_at) == ("pending", 1, T0 + 10 * MIN)


def test_two_replicas_never_take_the_same_url(
    workspace: Workspace, local: Settings, server: HTTPServer
) -> None:
    server.expect_request("/news/5").respond_with_data("", status=503)
    snapshot(workspace, local, server.url_for("/news/5"), T0)
    now = T0 + 5 * MIN
    first = claim(workspace.engine, "replica-a", now, due_only=True, limit=10)
    second = claim(workspace.engine, "replica-b", now, due_only=True, limit=10)
    assert len(first) == 1 and second == []
    later = claim(workspace.engine, "replica-b", now + 11 * MIN, due_only=True, limit=10)
    assert len(later) == 1  # the lease of a replica that died ran out


def test_the_daemon_job_retries_what_is_due(
    workspace: Workspace, local: Settings, server: HTTPServer
) -> None:
    server.expect_request("/news/6").respond_with_handler(
        Answers((503, b""), (200, page("De retour.")))
    )
    snapshot(workspace, local, server.url_for("/news/6"), T0)
    workspace = workspace.with_settings(local)

    async def run(now: datetime) -> dict[str, int]:
        async with Http(local.net) as http:
            return await retry_citations(workspace, http, "replica-a", now)

    assert asyncio.run(run(T0 + MIN)) == {"tried": 0, "still_unreachable": 0, "waiting": 1}
    assert asyncio.run(run(T0 + 5 * MIN)) == {
        "tried": 1,
        "still_unreachable": 0,
        "waiting": 0,
        "live": 1,
    }


def test_recheck_retry_unreachable_tries_the_queue_now(
    workspace: Workspace, settings: Settings, server: HTTPServer, tmp_path: Path
) -> None:
    server.expect_request("/news/7").respond_with_handler(Answers((503, b""), (404, b"")))
    server.expect_request("/news/8").respond_with_data("", status=503)
    local = point_at(settings, server)
    snapshot(workspace, local, server.url_for("/news/7"), T0)
    snapshot(workspace, local, server.url_for("/news/8"), T0)
    env = {
        "SOURCEWATCH_DATA_DIR": str(settings.data_dir),
        "SOURCEWATCH_DATABASE_URL": settings.resolved_database_url,
        "SOURCEWATCH_SOURCES_FILE": str(tmp_path / "sources.toml"),
        "SOURCEWATCH_NET__RETRIES": "0",
        "SOURCEWATCH_NET__PER_HOST_INTERVAL": "0",
    }
    runner = CliRunner()
    result = runner.invoke(
        app, ["recheck", "--retry-unreachable", "--allow-private", "--json"], env=env
    )
    assert result.exit_code == 1, result.output  # one of them was deleted
    report = json.loads(result.stdout)
    statuses = {u["canonical"].rsplit("/", 1)[1]: u["status"] for u in report["urls"]}
    assert statuses == {"7": "deleted", "8": "unreachable"}
    assert report["summary"]["still_unreachable"] == 1

    both = runner.invoke(app, ["recheck", "m.json", "--retry-unreachable"], env=env)
    neither = runner.invoke(app, ["recheck"], env=env)
    assert both.exit_code == 2 and neither.exit_code == 2


def test_the_daemon_retries_at_its_own_clock_time(
    workspace: Workspace, local: Settings, server: HTTPServer
) -> None:
    """Daemon.retry_citations asks the daemon's clock, never the wall clock."""
    from types import SimpleNamespace

    from sourcewatch.daemon.clock import Clock
    from sourcewatch.daemon.loop import Daemon

    server.expect_request("/news/9").respond_with_handler(Answers((503, b""), (410, b"")))
    snapshot(workspace, local, server.url_for("/news/9"), T0)
    workspace = workspace.with_settings(local)
    current = [T0 + MIN]
    daemon = Daemon(workspace, clock=Clock(now=lambda: current[0]), replica="replica-a")

    async def run() -> None:
        async with Http(local.net) as http:
            daemon._worker = SimpleNamespace(http=http)  # type: ignore[assignment]
            await daemon.retry_citations()  # T0 + 1 min: not due
            assert len(server.log) == 1
            current[0] = T0 + 5 * MIN
            await daemon.retry_citations()  # due, and the post is gone

    asyncio.run(run())
    row = queued(workspace)
    assert (row.status, row.resolved_status, row.resolved_at) == (
        "resolved",
        "deleted",
        T0 + 5 * MIN,
    )
