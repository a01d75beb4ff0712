"""Re-checking cited URLs: deleted, edited, still live; from a manifest and from the archive."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from citations_support import TG_NOT_FOUND, point_at, server, telegram_embed
from sourcewatch.citations import recheck_cited_urls
from sourcewatch.citations.cite import cite_report
from sourcewatch.citations.recheck import (
    ManifestError,
    RecheckReport,
    recheck_manifest,
)
from sourcewatch.config import Settings
from sourcewatch.daemon import maintenance
from sourcewatch.net import Http
from sourcewatch.workspace import Workspace

__all__ = ["server"]


def article(words: str) -> bytes:
    body = "<p>" + f"{words} " * 40 + "</p>"
    return (
        f"<html><head><title>T</title></head><body><article>{body}</article></body></html>".encode()
    )


def serve(httpd: HTTPServer, *, news: bytes, telegram: bytes, static: bytes) -> None:
    httpd.clear()
    httpd.expect_request("/oper_goblin/22358").respond_with_data(telegram, content_type="text/html")
    httpd.expect_request("/cdn/file.jpg").respond_with_data(b"jpg", content_type="image/jpeg")
    httpd.expect_request("/news").respond_with_data(news, content_type="text/html")
    httpd.expect_request("/report.pdf").respond_with_data(static, content_type="application/pdf")
    httpd.expect_request("/gone").respond_with_data(b"", status=404)


def run(coro_factory: Any) -> Any:
    async def go() -> Any:
        return await coro_factory()

    return asyncio.run(go())


@pytest.fixture
def setup(
    workspace: Workspace, settings: Settings, server: HTTPServer, tmp_path: Path
) -> tuple[Settings, dict[str, Any]]:
    settings = point_at(settings, server)
    base = server.url_for("").rstrip("/")
    serve(
        server,
        news=article("The ceasefire held in the district on Tuesday."),
        telegram=telegram_embed(server),
        static=b"%PDF-1 v1",
    )
    report = tmp_path / "r.txt"
    report.write_text(
        f"[1] https://t.me/oper_goblin/22358\n[2] {base}/news\n[3] {base}/report.pdf\n"
        f"[4] {base}/gone\n",
        encoding="utf-8",
    )

    async def cite() -> dict[str, Any]:
        async with Http(settings.net) as http:
            return await cite_report(workspace, http, settings, report)

    return settings, run(cite)


def test_recheck_reports_deleted_edited_and_live(
    setup: tuple[Settings, dict[str, Any]], workspace: Workspace, server: HTTPServer
) -> None:
    settings, manifest = setup
    serve(
        server,
        news=article("The ceasefire collapsed in the district on Tuesday."),
        telegram=TG_NOT_FOUND,
        static=b"%PDF-1 v1",
    )

    async def recheck() -> RecheckReport:
        async with Http(settings.net) as http:
            return await recheck_manifest(workspace, http, settings, manifest)

    report = run(recheck)
    changes = {c.canonical.rsplit("/", 1)[-1]: c.change for c in report.changes}
    assert changes == {
        "22358": "deleted",
        "news": "edited",
        "report.pdf": "live",
        "gone": "deleted",
    }
    assert report.counts() == {
        "live": 1,
        "edited": 1,
        "deleted": 2,
        "unreachable": 0,
        "blocked": 0,
        "changed": 2,  # "gone" was deleted already: not a change
    }
    assert report.to_json()["urls"][0]["now"]["status"] in ("deleted", "live")


def test_the_daemon_hook_rechecks_every_cited_url(
    setup: tuple[Settings, dict[str, Any]], workspace: Workspace, server: HTTPServer
) -> None:
    settings, _ = setup
    serve(
        server,
        news=article("The ceasefire held in the district on Tuesday."),
        telegram=TG_NOT_FOUND,
        static=b"%PDF-1 v2",
    )
    workspace = workspace.with_settings(settings)

    async def weekly() -> tuple[RecheckReport, dict[str, int]]:
        async with Http(settings.net) as http:
            direct = await recheck_cited_urls(workspace, http)
            hooked = await maintenance.recheck_citations(workspace, http)
            return direct, hooked

    report, hooked = run(weekly)
    changes = {c.canonical.rsplit("/", 1)[-1]: c.change for c in report.changes}
    assert changes == {
        "22358": "deleted",
        "news": "live",
        "report.pdf": "edited",
        "gone": "deleted",
    }
    hooked.pop("changed")
    assert sum(hooked.values()) == len(report.changes)  # the weekly job re-checks them all
    assert report.counts()["changed"] == 2  # the post deleted now, the PDF edited; not "gone"


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ([], 'no "footnotes" list'),
        ({"footnotes": [{"number": 1, "urls": [{"raw": "x"}]}]}, 'without "canonical"'),
        (
            {"footnotes": [{"number": 2, "urls": [{"canonical": "https://a.example/"}]}]},
            "dry-run output cannot be re-checked",
        ),
    ],
)
def test_what_is_not_a_manifest_is_refused(
    workspace: Workspace, settings: Settings, document: Any, problem: str
) -> None:
    async def recheck() -> RecheckReport:
        async with Http(settings.net) as http:
            return await recheck_manifest(workspace, http, settings, document)

    with pytest.raises(ManifestError, match=problem):
        run(recheck)
