"""The status vocabulary, condition by condition, on local servers and a failing resolver.

``deleted`` only when the platform says so; anything that may be transient
(DNS of any kind, timeout, refused, 5xx) is ``unreachable``; 401/403/451 is
``blocked``; and the raw reason is always kept.
"""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from citations_support import SEED_REPORT, TG_NOT_FOUND, X_POST_ID, point_at, server
from sourcewatch.citations.cite import cite_report
from sourcewatch.citations.recheck import RecheckReport, recheck_manifest
from sourcewatch.citations.snapshot import Snapshot, snapshot_url
from sourcewatch.citations.status import from_legacy, http_status
from sourcewatch.collectors.x.syndication_token import syndication_token
from sourcewatch.config import Settings
from sourcewatch.net import Http, NameNotResolved
from sourcewatch.workspace import Workspace

__all__ = ["server"]
REAL_GETADDRINFO = socket.getaddrinfo


def snap(ws: Workspace, settings: Settings, url: str) -> Snapshot:
    async def run() -> Snapshot:
        async with Http(settings.net) as http:
            return await snapshot_url(ws, http, settings, url, max_age=None)

    return asyncio.run(run())


def failing_resolver(
    monkeypatch: pytest.MonkeyPatch, code: int, calls: list[str] | None = None
) -> None:
    """Every name but localhost fails with ``code`` (EAI_NONAME: NXDOMAIN; EAI_AGAIN: the
    resolver failed, as with SERVFAIL or no network). IP literals never reach it."""

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name in ("localhost", "127.0.0.1"):
            return REAL_GETADDRINFO(host, *args, **kwargs)
        if calls is not None:
            calls.append(name)
        raise socket.gaierror(
            code,
            "Name or service not known"
            if code == socket.EAI_NONAME
            else "Temporary failure in name resolution",
        )

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize(
    ("code", "no_such_name"), [(socket.EAI_NONAME, True), (socket.EAI_AGAIN, False)]
)
@pytest.mark.parametrize("guarded", [True, False])
def test_a_dns_failure_is_named_fails_fast_and_is_remembered(
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    code: int,
    no_such_name: bool,
    guarded: bool,
) -> None:
    calls: list[str] = []
    failing_resolver(monkeypatch, code, calls)
    net = settings.net.model_copy(update={"retries": 3, "backoff_base": 5.0})
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def run() -> list[NameNotResolved]:
        failures = []
        async with Http(net, sleep=sleep) as http:
            for path in ("/a", "/b"):
                try:
                    await http.fetch(f"https://gone.example{path}", guard_private=guarded)
                except NameNotResolved as exc:
                    failures.append(exc)
        return failures

    first, second = asyncio.run(run())
    assert first.no_such_name is no_such_name and second.no_such_name is no_such_name
    assert "cannot resolve host 'gone.example'" in first.problem
    assert calls == ["gone.example"]  # not retried, and the second URL did not ask again
    assert slept == []  # no backoff waits: with no network they only add minutes


def test_the_http_code_alone(settings: Settings) -> None:
    assert [http_status(c) for c in (200, 404, 410, 401, 403, 451, 500, 503, 429, 400, None)] == [
        "live", "deleted", "deleted", "blocked", "blocked", "blocked",
        "unreachable", "unreachable", "unreachable", "unreachable", "unreachable",
    ]  # fmt: skip
    assert [from_legacy(s) for s in ("captured", "dead", "error", "blocked")] == [
        "live", "deleted", "unreachable", "blocked",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("code", "status"),
    [(404, "deleted"), (410, "deleted"), (403, "blocked"), (451, "blocked"), (401, "blocked"),
     (500, "unreachable"), (502, "unreachable"), (503, "unreachable")],
)  # fmt: skip
def test_each_answer_of_a_site(
    workspace: Workspace, settings: Settings, server: HTTPServer, code: int, status: str
) -> None:
    settings = point_at(settings, server)
    server.expect_request("/page").respond_with_data(b"<html>no</html>", status=code)
    result = snap(workspace, settings, server.url_for("/page"))
    assert (result.status, result.reason, result.http_status) == (status, f"HTTP {code}", code)
    assert result.capture_id is not None  # the answer itself is archived


def test_a_telegram_post_not_found_is_deleted_a_500_is_not(
    workspace: Workspace, settings: Settings, server: HTTPServer
) -> None:
    settings = point_at(settings, server)
    server.expect_request("/rybar/1").respond_with_data(TG_NOT_FOUND, content_type="text/html")
    server.expect_request("/rybar/2").respond_with_data(b"oops", status=502)
    gone = snap(workspace, settings, "https://t.me/rybar/1")
    down = snap(workspace, settings, "https://t.me/rybar/2")
    assert (gone.status, gone.reason) == ("deleted", "Post not found")
    assert (down.status, down.reason) == ("unreachable", "t.me embed answered HTTP 502")


def test_an_x_tombstone_is_deleted_an_x_403_is_blocked(
    workspace: Workspace, settings: Settings, server: HTTPServer
) -> None:
    settings = point_at(settings, server)
    tombstone = {
        "__typename": "TweetTombstone",
        "tombstone": {"text": {"text": "This Post was deleted by the Post author."}},
    }
    server.expect_request(
        "/tweet-result", query_string={"id": "1703418752753127722", "lang": "en",
                                       "token": syndication_token("1703418752753127722")}
    ).respond_with_json(tombstone)  # fmt: skip
    server.expect_request("/tweet-result").respond_with_data(b"", status=500)
    server.expect_request("/oembed").respond_with_data(b"", status=403)
    gone = snap(workspace, settings, "https://x.com/deirezzore/status/1703418752753127722")
    assert gone.status == "deleted" and "deleted by the Post author" in (gone.reason or "")
    private = snap(workspace, settings, f"https://x.com/samselikoff/status/{X_POST_ID}")
    assert private.status == "blocked" and "403" in (private.reason or "")


def test_refused_and_timed_out_connections_are_unreachable(
    workspace: Workspace, settings: Settings, server: HTTPServer
) -> None:
    settings = point_at(settings, server)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now: the connection is refused
    refused = snap(workspace, settings, f"http://127.0.0.1:{port}/story")
    assert refused.status == "unreachable" and refused.reason

    def slow(_request: Request) -> Response:
        time.sleep(3)
        return Response(b"late")

    server.expect_request("/slow").respond_with_handler(slow)
    late = snap(workspace, settings, server.url_for("/slow"))
    assert late.status == "unreachable" and late.reason


@pytest.mark.parametrize("code", [socket.EAI_NONAME, socket.EAI_AGAIN])
def test_a_cited_host_that_stops_resolving_is_not_reported_deleted(
    workspace: Workspace,
    settings: Settings,
    server: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    code: int,
) -> None:
    settings = point_at(settings, server)
    server.expect_request("/story").respond_with_data(b"<html><body>story</body></html>")
    first = snap(workspace, settings, server.url_for("/story"))
    manifest = {
        "report": "r.txt",
        "footnotes": [
            {
                "number": 1,
                "urls": [
                    {
                        "canonical": "https://news.example/story",
                        "url": "https://news.example/story",
                        "status": "captured",
                        "sha256": first.sha256,
                    }
                ],
            }
        ],
    }  # fmt: skip  (a manifest written before the vocabulary: "captured")
    failing_resolver(monkeypatch, code)

    async def run() -> RecheckReport:
        async with Http(settings.net) as http:
            return await recheck_manifest(workspace, http, settings, manifest)

    report = asyncio.run(run())
    [change] = report.changes
    assert (change.change, change.changed) == ("unreachable", False)
    assert "cannot resolve host 'news.example'" in (change.now.reason or "")
    assert report.counts()["changed"] == 0 and report.counts()["deleted"] == 0


def test_an_offline_cite_of_the_seed_report_is_fast_and_claims_no_deletion(
    workspace: Workspace, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No network at all: every URL unreachable, none deleted. Fast by construction (no
    wall-clock assertion): with the shipped net settings (3 retries, 1 s per-host spacing)
    no backoff wait is taken and a failed host name is not asked again."""
    calls: list[str] = []
    failing_resolver(monkeypatch, socket.EAI_AGAIN, calls)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def run() -> dict[str, Any]:
        async with Http(settings.net, sleep=sleep) as http:
            return await cite_report(workspace, http, settings, SEED_REPORT)

    manifest = asyncio.run(run())
    summary = manifest["summary"]
    assert summary["urls"] == 125 and summary["unique_urls"] == 95
    assert (summary["live"], summary["deleted"], summary["blocked"]) == (0, 0, 0)
    assert summary["unreachable"] == 125
    assert all(u["reason"] for n in manifest["footnotes"] for u in n["urls"])
    # No backoff at all; at most one spacing wait on each of the two configured X hosts
    # (a second request queued before the first one's DNS failure was known).
    assert len(slept) <= 2 and sum(slept) <= 2 * settings.net.per_host_interval
    # A failed name is remembered: hosts are asked again only by requests already in flight.
    assert len(set(calls)) == 32 and len(calls) < 95  # without the memory: about 125
