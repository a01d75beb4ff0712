"""Web view test data: a workspace with queued items (one Arabic, with a photo), an
archived hostile page, users of each role, and a logged-in TestClient."""

from __future__ import annotations

import re
import struct
import warnings
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

with warnings.catch_warnings():  # starlette 1.x suggests httpx2; httpx is what we have
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from sourcewatch.accounts.users import add_user
from sourcewatch.ingest.writer import ingest
from sourcewatch.records import MediaRef, ParsedItem, PollResult, RawCapture
from sourcewatch.store.tables import ITEM, SOURCE
from sourcewatch.web.app import create_app
from sourcewatch.workspace import Workspace
from triage_support import T0, Post, channel, ingest_posts

PASSWORD = "correct horse battery staple"
NOW = T0 + timedelta(hours=6)
ARABIC = "أعلنت جماعة نصرة الإسلام والمسلمين مسؤوليتها عن الهجوم قرب بوني. JNIM claimed it."
RLO = "\u202e"
PHOTO_SIZE = (96, 64)


def tiny_png() -> bytes:
    """A valid 96x64 PNG (red, a blue band), made here: no image fixture needed."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    width, height = PHOTO_SIZE
    rows = [
        b"\x00" + (b"\x20\x40\xc0" if 24 <= y < 40 else b"\xc0\x20\x20") * width
        for y in range(height)
    ]
    raw = b"".join(rows)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def hostile_page(origin: str) -> bytes:
    """A captured page that tries everything: scripts, meta refresh, a form, remote
    fonts, a <base> that re-points relative URLs, event handlers, iframes."""
    return f"""<!doctype html><html><head>
<base href="{origin}/base/">
<meta http-equiv="refresh" content="0;url={origin}/refresh">
<script>document.title = "PWNED"; fetch("{origin}/script-fetch");</script>
<script src="{origin}/remote.js"></script>
<link rel="stylesheet" href="{origin}/remote.css">
<link rel="stylesheet" href="style.css">
<link rel="prefetch" href="{origin}/prefetch">
<style>@font-face {{ font-family: x; src: url({origin}/font.woff); }} body {{ font-family: x;
 background: url({origin}/bg.png); }}</style>
<title>Hostile capture</title></head>
<body onload="fetch('{origin}/onload')">
<h1 id="headline">Captured headline</h1>
<img src="{origin}/remote.png" alt="remote">
<img src="captured.png" alt="relative">
<img src="x" onerror="fetch('{origin}/onerror')">
<iframe src="{origin}/frame"></iframe>
<object data="{origin}/object"></object>
<form id="f" action="{origin}/form" method="post"><input name="q" value="1"></form>
<script>document.getElementById("f").submit();</script>
<a href="{origin}/link" id="link">a link</a>
<div style="background:url({origin}/inline-style.png)">styled</div>
<svg><image href="{origin}/svg-image.png" width="10" height="10"/></svg>
</body></html>""".encode()


@dataclass
class WebData:
    ids: dict[str, int]
    page_capture_id: int
    photo_sha: str


def seed(ws: Workspace, origin: str = "http://127.0.0.1:9") -> WebData:
    """Queued items from the real ingest: three Sahel posts and an Arabic one with a
    photo, plus an archived hostile page whose relative image and stylesheet we have."""
    sahel = channel("sahel_watch", weight=2, areas=("sahel",))
    ids = ingest_posts(
        ws,
        sahel,
        [
            Post("1", "JNIM claimed the attack on the army post near Boni on Sunday."),
            Post("2", "Wagner convoy seen moving north towards Gao, locals report."),
            Post("3", f"Mali curfew extended. {RLO}txt.exe{RLO} attached."),
        ],
    )
    png = tiny_png()
    photo = RawCapture(
        url="https://cdn.example.org/photo.png",
        body=png,
        fetched_at=T0,
        status=200,
        media_type="image/png",
        kind="media",
    )
    page_url = "https://hostile.example/news/story.html"
    page = RawCapture(
        url=page_url,
        body=hostile_page(origin),
        fetched_at=T0,
        status=200,
        media_type="text/html",
    )
    relative_png = RawCapture(
        url="https://hostile.example/news/captured.png",
        body=png + b"\x00",
        fetched_at=T0,
        status=200,
        media_type="image/png",
        kind="media",
    )
    css = RawCapture(
        url="https://hostile.example/news/style.css",
        body=b"h1 { color: rgb(200, 0, 0); }",
        fetched_at=T0,
        status=200,
        media_type="text/css",
        kind="media",
    )
    item = ParsedItem(
        external_id="77",
        url="https://t.me/sahel_ar/77",
        published_at=T0 - timedelta(minutes=5),
        text=ARABIC,
        media=[MediaRef(kind="photo", sha256=photo.sha256, media_type="image/png", size=len(png))],
        capture_sha256s=[page.sha256, photo.sha256],
    )
    arabic = channel("sahel_ar", weight=3, areas=("sahel",))
    ingest(
        ws,
        arabic,
        PollResult(captures=[page, photo, relative_png, css], items=[item]),
        now=T0 + timedelta(hours=1),
    )
    with ws.engine.connect() as conn:
        ids["ar"] = conn.execute(
            sa.select(ITEM.c.id)
            .join(SOURCE, SOURCE.c.id == ITEM.c.source_id)
            .where(SOURCE.c.name == "sahel_ar")
        ).scalar_one()
        page_id = conn.execute(
            sa.text("SELECT id FROM capture WHERE url = :u"), {"u": page_url}
        ).scalar_one()
    return WebData(ids, page_id, photo.sha256)


def add_users(ws: Workspace, now: datetime = NOW) -> None:
    with ws.engine.begin() as conn:
        for name, role in (("vera", "viewer"), ("amira", "analyst"), ("omar", "analyst")):
            add_user(conn, name, role, PASSWORD, now)
        add_user(conn, "root", "admin", PASSWORD, now)


def client_for(ws: Workspace, **options: object) -> TestClient:
    options.setdefault("clock", lambda: NOW)
    app = create_app(ws, secret=b"test-secret", **options)  # type: ignore[arg-type]
    return TestClient(app, base_url="http://127.0.0.1:8080", follow_redirects=False)


_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def log_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Log in; returns the session's CSRF token (read from a page, as a browser would)."""
    page = client.get("/login")
    response = client.post(
        "/login", data={"csrf": csrf_of(page.text), "name": name, "password": password}
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/queue").text)


def cheap_hasher() -> object:
    """argon2id at its lowest cost: the tests hash dozens of passwords; the real
    parameters are argon2-cffi's defaults (tested once, in test_web)."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
