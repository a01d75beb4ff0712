"""A full ``cite`` of a report against a local server: t.me embeds, X syndication JSON, news
pages, a 404, a timeout, a redirect to a private address and a 30 MB response."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from citations_support import (
    NEWS_PAGE,
    TG_NOT_FOUND,
    X_POST_ID,
    X_RECORDED,
    point_at,
    server,
    telegram_embed,
    treat_loopback_as_public,
)
from sourcewatch.citations.cite import cite_report
from sourcewatch.citations.manifest import render_markdown
from sourcewatch.collectors.x.syndication_token import syndication_token
from sourcewatch.config import Settings
from sourcewatch.net import Http
from sourcewatch.store.tables import CITATION
from sourcewatch.workspace import Workspace

__all__ = ["server"]
PHOTO = b"\xff\xd8\xff\xe0 jpeg"


def serve_everything(httpd: HTTPServer) -> None:
    httpd.expect_request(
        "/oper_goblin/22358", query_string={"embed": "1", "mode": "tme"}
    ).respond_with_data(telegram_embed(httpd), content_type="text/html; charset=utf-8")
    httpd.expect_request(re.compile(r"^/cdn/.+\.jpg$")).respond_with_data(
        PHOTO, content_type="image/jpeg"
    )
    httpd.expect_request("/rybar/1").respond_with_data(TG_NOT_FOUND, content_type="text/html")
    httpd.expect_request(
        "/tweet-result",
        query_string={"id": X_POST_ID, "token": syndication_token(X_POST_ID), "lang": "en"},
    ).respond_with_json(X_RECORDED)
    httpd.expect_request("/news").respond_with_data(
        NEWS_PAGE, content_type="text/html; charset=utf-8"
    )
    httpd.expect_request("/gone").respond_with_data(b"not here", status=404)
    httpd.expect_request("/slow").respond_with_handler(_slow)
    httpd.expect_request("/go").respond_with_response(
        Response(status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    )
    httpd.expect_request("/big").respond_with_data(b"x" * (30 * 1024 * 1024))


def _slow(_request: Request) -> Response:
    time.sleep(3)
    return Response("too late")


def write_report(tmp_path: Path, base: str) -> Path:
    report = tmp_path / "draft.md"
    report.write_text(
        "Weekly update.[1] More.[2] And.[3]\n\n"
        "[1] https://t.me/s/oper_goblin/22358; https://t.me/rybar/1 (deleted since)\n"
        f"[2] https://twitter.com/SamSelikoff/status/{X_POST_ID}?s=20\n"
        f"[3] {base}/news?utm_source=tw and {base}/gone.\n"
        f"[4] {base}/slow\n"
        f"[5] <{base}/go>\n"
        f"[6] {base}/big\n"
        "[7] Author's database of SIGACTs. Sources available on request.\n"
        f"[9] Ibid., {base}/news\n",
        encoding="utf-8",
    )
    return report


def cite(ws: Workspace, settings: Settings, report: Path, **options: Any) -> dict[str, Any]:
    done: list[str] = []

    async def run() -> dict[str, Any]:
        async with Http(settings.net) as http:
            return await cite_report(
                ws, http, settings, report, on_done=lambda s: done.append(s.canonical), **options
            )

    manifest = asyncio.run(run())
    manifest["_progress"] = done
    return manifest


def statuses(manifest: dict[str, Any]) -> dict[int, list[tuple[str, str]]]:
    return {
        note["number"]: [(url["canonical"], url["status"]) for url in note["urls"]]
        for note in manifest["footnotes"]
    }


@pytest.fixture
def cited(
    workspace: Workspace,
    settings: Settings,
    server: HTTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[dict[str, Any], str, Settings]:
    # The address guard stays on; only the test server's own 127.0.0.1 counts as public.
    treat_loopback_as_public(monkeypatch)
    settings = point_at(settings, server, allow_private=False)
    serve_everything(server)
    base = server.url_for("").rstrip("/")
    return cite(workspace, settings, write_report(tmp_path, base)), base, settings


def test_every_footnote_url_gets_a_status(cited: tuple[dict[str, Any], str, Settings]) -> None:
    manifest, base, _ = cited
    assert statuses(manifest) == {
        1: [("https://t.me/oper_goblin/22358", "live"), ("https://t.me/rybar/1", "deleted")],
        2: [(f"https://x.com/samselikoff/status/{X_POST_ID}", "live")],
        3: [(f"{base}/news", "live"), (f"{base}/gone", "deleted")],
        4: [(f"{base}/slow", "unreachable")],
        5: [(f"{base}/go", "blocked")],
        6: [(f"{base}/big", "unreachable")],
        7: [],
        9: [(f"{base}/news", "live")],
    }
    assert manifest["summary"] == {
        "footnotes": 8,
        "with_urls": 7,
        "urls": 9,
        "unique_urls": 8,
        "live": 4,
        "deleted": 2,
        "unreachable": 2,
        "blocked": 1,
    }
    assert sorted(manifest["_progress"]) == sorted(
        {url for urls in statuses(manifest).values() for url, _ in urls}
    )


def test_the_manifest_says_why_and_keeps_the_raw_text(
    cited: tuple[dict[str, Any], str, Settings],
) -> None:
    manifest, base, _ = cited
    notes = {note["number"]: note for note in manifest["footnotes"]}
    news = notes[3]["urls"][0]
    assert news["raw"] == f"{base}/news?utm_source=tw"
    assert news["kind"] == "web"
    assert len(news["sha256"]) == 64 and news["archive_id"] and news["captured_at"]
    assert notes[3]["urls"][1]["reason"] == "HTTP 404"
    assert "169.254.169.254" in notes[5]["urls"][0]["reason"]
    assert "too large" in notes[6]["urls"][0]["reason"]
    assert notes[7]["no_url"] is True
    telegram = notes[1]["urls"][0]
    assert {o["role"] for o in telegram["objects"]} == {"response", "warc", "media"}
    assert notes[1]["urls"][1]["reason"] == "Post not found"
    assert notes[9]["urls"][0]["archive_id"] == news["archive_id"]  # one capture, cited twice


def test_citation_rows_are_written_per_occurrence(
    cited: tuple[dict[str, Any], str, Settings], workspace: Workspace
) -> None:
    table = CITATION
    with workspace.engine.connect() as conn:
        rows = conn.execute(sa.select(table.c.footnote, table.c.status)).all()
    expected = [(1, "live"), (1, "deleted"), (2, "live"), (3, "live"), (3, "deleted")]
    expected += [(4, "unreachable"), (5, "blocked"), (6, "unreachable"), (7, "no-url"), (9, "live")]
    assert sorted(rows) == sorted(expected)


def test_the_markdown_appendix(cited: tuple[dict[str, Any], str, Settings]) -> None:
    manifest, base, _ = cited
    lines = render_markdown(manifest).splitlines()
    telegram = next(line for line in lines if line.startswith("[1] "))
    assert re.fullmatch(
        r"\[1\] https://t\.me/oper_goblin/22358 — captured \d{4}-\d\d-\d\d \d\d:\d\d UTC, "
        r"sha256 [0-9a-f]{12}…, archive id \d+",
        telegram,
    )
    assert f"    {base}/gone — deleted (HTTP 404)" in lines
    assert "[7] Author's database of SIGACTs. Sources available on request. (no URL)" in lines


def test_a_second_cite_reuses_fresh_captures(
    cited: tuple[dict[str, Any], str, Settings],
    workspace: Workspace,
    server: HTTPServer,
    tmp_path: Path,
) -> None:
    _, _, settings = cited
    requests = len(server.log)
    again = cite(workspace, settings, tmp_path / "draft.md")
    captured = [u for n in again["footnotes"] for u in n["urls"] if u["status"] == "live"]
    assert captured and all(u["reused"] for u in captured)
    fetched_again = [entry[0].path for entry in server.log[requests:]]
    # only what was not captured is tried again
    assert "/news" not in fetched_again and "/oper_goblin/22358" not in fetched_again
    assert "/gone" in fetched_again


def test_a_dead_url_with_an_earlier_capture_is_cited_from_it(
    cited: tuple[dict[str, Any], str, Settings],
    workspace: Workspace,
    server: HTTPServer,
    tmp_path: Path,
) -> None:
    first, base, settings = cited
    server.clear()
    server.expect_request("/news").respond_with_data(b"", status=410)
    report = tmp_path / "later.txt"
    report.write_text(f"[1] {base}/news\n", encoding="utf-8")
    manifest = cite(workspace, settings, report, force=True)
    [url] = manifest["footnotes"][0]["urls"]
    news_before = first["footnotes"][2]["urls"][0]
    assert url["status"] == "deleted"
    assert url["cited_instead"] == {
        "archive_id": news_before["archive_id"],
        "sha256": news_before["sha256"],
        "captured_at": news_before["captured_at"],
        "url": f"{base}/news",
    }
    assert "cited from our capture of" in render_markdown(manifest)
