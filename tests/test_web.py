"""The web view on SQLite and PostgreSQL, through Starlette's TestClient: log in, the
queue and its marks (optimistic locking, the CLI's conflict message), roles, CSRF,
rate limiting, item pages (Arabic, bidi controls, photo), archived pages and media
(CSP, sandbox, nothing fetched), secrets and paths never shown, evidence bundles."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer

from sourcewatch.accounts import sessions
from sourcewatch.accounts.throttle import LoginLimiter
from sourcewatch.accounts.users import authenticate, user_by_name
from sourcewatch.accounts.users import hasher as real_hasher
from sourcewatch.citations.store import CitationRow, record_citations
from sourcewatch.config import AlertSettings, Settings
from sourcewatch.store.tables import CAPTURE, SOURCE
from sourcewatch.triage.marking import history
from sourcewatch.workspace import Workspace
from translate_support import FakeLibreTranslate
from triage_support import Post, channel, ingest_posts, with_test_watchlists
from web_support import (
    NOW,
    PASSWORD,
    RLO,
    WebData,
    add_users,
    cheap_hasher,
    client_for,
    csrf_of,
    log_in,
    seed,
)

WEBHOOK_TOKEN = "T0KEN-hooks-5ecret-99"
MINUTE = timedelta(minutes=1)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    alert = AlertSettings(name="ops", url=f"json://hooks.example.org/{WEBHOOK_TOKEN}")
    return with_test_watchlists(settings).model_copy(update={"alerts": [alert]})


@pytest.fixture(autouse=True)
def _cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sourcewatch.accounts.users.hasher", cheap_hasher)


@pytest.fixture
def data(workspace: Workspace) -> WebData:
    found = seed(workspace)
    add_users(workspace)
    return found


def entry_status(ws: Workspace, item_id: int) -> str:
    with ws.engine.connect() as conn:
        return str(
            conn.execute(
                sa.text(
                    "SELECT t.status FROM triage t JOIN triage_item ti ON ti.triage_id = t.id "
                    "WHERE ti.item_id = :i"
                ),
                {"i": item_id},
            ).scalar_one()
        )


def versions(html: str) -> dict[int, int]:
    """item id -> the expected_version its queue row's mark form carries."""
    found = re.findall(
        r'action="/items/(\d+)/mark".*?name="expected_version" value="(\d+)"', html, re.S
    )
    return {int(item): int(version) for item, version in found}


def test_pages_need_a_login_and_a_wrong_password_is_refused(
    workspace: Workspace, data: WebData
) -> None:
    client = client_for(workspace)
    response = client.get("/queue?area=sahel")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fqueue%3Farea%3Dsahel"
    page = client.get("/login")
    wrong = client.post(
        "/login", data={"csrf": csrf_of(page.text), "name": "amira", "password": "nope" * 4}
    )
    assert wrong.status_code == 401
    assert "Wrong name or password" in wrong.text
    assert "sw_session" not in client.cookies


def test_login_sets_a_strict_cookie_and_follows_next_only_on_this_site(
    workspace: Workspace, data: WebData
) -> None:
    client = client_for(workspace)
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "csrf": csrf_of(page.text),
            "name": "amira",
            "password": PASSWORD,
            "next": "//evil.example/x",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    with workspace.engine.connect() as conn:  # only the token's hash is stored
        stored = conn.execute(sa.text("SELECT token_hash FROM web_session")).scalars().all()
    token = client.cookies["sw_session"]
    assert token not in stored and len(stored) == 1


def test_behind_the_proxy_cookies_are_secure_and_hsts_is_sent(
    workspace: Workspace, data: WebData
) -> None:
    client = client_for(workspace, secure_cookies=True)
    page = client.get("/login")
    assert page.headers["strict-transport-security"].startswith("max-age=")
    response = client.post(
        "/login", data={"csrf": csrf_of(page.text), "name": "amira", "password": PASSWORD}
    )
    assert "Secure" in response.headers["set-cookie"]


def test_login_without_its_form_token_is_refused(workspace: Workspace, data: WebData) -> None:
    client = client_for(workspace)
    response = client.post("/login", data={"name": "amira", "password": PASSWORD})
    assert response.status_code == 403
    assert "sw_session" not in client.cookies


def test_failed_logins_are_rate_limited_even_with_the_right_password_after(
    workspace: Workspace, data: WebData
) -> None:
    client = client_for(workspace)
    for _ in range(5):
        page = client.get("/login")
        response = client.post(
            "/login", data={"csrf": csrf_of(page.text), "name": "amira", "password": "x" * 12}
        )
        assert response.status_code == 401
    page = client.get("/login")
    blocked = client.post(
        "/login", data={"csrf": csrf_of(page.text), "name": "amira", "password": PASSWORD}
    )
    assert blocked.status_code == 429
    assert "sw_session" not in client.cookies


def test_the_limiter_forgets_failures_after_its_period(workspace: Workspace) -> None:
    now = [NOW]
    limiter = LoginLimiter(workspace.engine, lambda: now[0], attempts=2, period=15 * MINUTE)
    limiter.failed("amira", "10.0.0.1")
    now[0] += 10 * MINUTE
    limiter.failed("amira", "10.0.0.2")
    assert limiter.blocked("amira", "10.0.0.3")  # by name, from any address
    assert not limiter.blocked("omar", "10.0.0.3")
    assert limiter.blocked("omar", "10.0.0.2") is False  # one failure from that address
    now[0] += 6 * MINUTE  # a sliding window: the first failure has aged out
    assert not limiter.blocked("amira", "10.0.0.3")
    limiter.failed("omar", "10.0.0.2")
    assert limiter.blocked("nadia", "10.0.0.2")  # two from that address in the window
    limiter.succeeded("omar")
    assert limiter.blocked("nadia", "10.0.0.2")  # a good password clears the name only


def test_two_servers_on_one_database_share_the_login_limit(
    workspace: Workspace, data: WebData
) -> None:
    """Two app instances (two replicas behind the proxy) count the same failures."""
    now = [NOW]
    first = client_for(workspace, clock=lambda: now[0])
    second = client_for(workspace, clock=lambda: now[0])
    for client in (first, second, first, second, first):
        page = client.get("/login")
        wrong = {"csrf": csrf_of(page.text), "name": "amira", "password": "x" * 12}
        assert client.post("/login", data=wrong).status_code == 401
    page = second.get("/login")
    right = {"csrf": csrf_of(page.text), "name": "amira", "password": PASSWORD}
    assert second.post("/login", data=right).status_code == 429
    now[0] += 16 * MINUTE
    page = second.get("/login")
    right["csrf"] = csrf_of(page.text)
    assert second.post("/login", data=right).status_code == 303


def test_a_mark_is_recorded_under_the_logged_in_user(workspace: Workspace, data: WebData) -> None:
    client = client_for(workspace)
    csrf = log_in(client, "amira")
    item = data.ids["1"]
    version = versions(client.get("/queue").text)[item]
    response = client.post(
        f"/items/{item}/mark",
        data={
            "csrf": csrf,
            "expected_version": version,
            "status": "relevant",
            "return_to": "/queue?area=sahel",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/queue?area=sahel&marked={item}&to=relevant"
    assert entry_status(workspace, item) == "relevant"
    with workspace.engine.connect() as conn:
        events = history(conn, item)
    assert events[-1].analyst == "amira"
    assert events[-1].detail["status"] == ["new", "relevant"]
    assert "item 1 marked relevant" in client.get(response.headers["location"]).text


def test_note_tag_and_assign_from_the_item_page(workspace: Workspace, data: WebData) -> None:
    client = client_for(workspace)
    csrf = log_in(client, "amira")
    item = data.ids["2"]
    form = {"csrf": csrf, "return_to": f"/items/{item}"}
    client.post(
        f"/items/{item}/mark", data={**form, "expected_version": 1, "note": "seen", "tag": "convoy"}
    )
    client.post(f"/items/{item}/mark", data={**form, "expected_version": 2, "assign": "omar"})
    page = client.get(f"/items/{item}").text
    assert "convoy" in page and "omar" in page and ">seen<" in page


def test_a_stale_mark_shows_the_clis_conflict_message_and_changes_nothing(
    workspace: Workspace, data: WebData
) -> None:
    amira, omar = client_for(workspace), client_for(workspace)
    amira_csrf, omar_csrf = log_in(amira, "amira"), log_in(omar, "omar")
    item = data.ids["2"]
    seen_by_amira = versions(amira.get("/queue").text)[item]
    changed = omar.post(
        f"/items/{item}/mark",
        data={"csrf": omar_csrf, "expected_version": seen_by_amira, "status": "irrelevant"},
    )
    assert changed.status_code == 303
    late = amira.post(
        f"/items/{item}/mark",
        data={
            "csrf": amira_csrf,
            "expected_version": seen_by_amira,
            "status": "escalated",
            "return_to": "/queue",
        },
    )
    assert late.status_code == 409
    assert f"item {item} was changed by omar" in late.text
    assert "it is now &#39;irrelevant&#39;" in late.text
    assert "Nothing was changed" in late.text
    assert entry_status(workspace, item) == "irrelevant"


def test_a_viewer_reads_but_cannot_mark(workspace: Workspace, data: WebData) -> None:
    client = client_for(workspace)
    csrf = log_in(client, "vera")
    queue = client.get("/queue").text
    assert "/mark" not in queue and "Claim next" not in queue
    item = data.ids["1"]
    response = client.post(
        f"/items/{item}/mark", data={"csrf": csrf, "expected_version": 1, "status": "relevant"}
    )
    assert response.status_code == 403
    assert "analyst" in response.text
    assert entry_status(workspace, item) == "new"


def test_a_change_without_the_session_csrf_token_is_refused(
    workspace: Workspace, data: WebData
) -> None:
    client = client_for(workspace)
    log_in(client, "amira")
    item = data.ids["1"]
    for token in (None, "forged", csrf_of(client_for(workspace).get("/login").text)):
        form = {"expected_version": "1", "status": "relevant"}
        if token is not None:
            form["csrf"] = token
        response = client.post(f"/items/{item}/mark", data=form)
        assert response.status_code == 403
    assert entry_status(workspace, item) == "new"


def test_claim_next_leases_the_top_entry_to_the_user(workspace: Workspace, data: WebData) -> None:
    amira, omar = client_for(workspace), client_for(workspace)
    amira_csrf, omar_csrf = log_in(amira, "amira"), log_in(omar, "omar")
    first = amira.post("/queue/claim", data={"csrf": amira_csrf})
    second = omar.post("/queue/claim", data={"csrf": omar_csrf})
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] != second.headers["location"]  # never the same one
    assert "claimed by amira" in omar.get("/queue").text


def test_logout_ends_the_session(workspace: Workspace, data: WebData) -> None:
    client = client_for(workspace)
    csrf = log_in(client, "amira")
    token = client.cookies["sw_session"]
    assert client.post("/logout", data={"csrf": csrf}).status_code == 303
    with workspace.engine.connect() as conn:
        assert sessions.lookup(conn, token, NOW) is None
    client.cookies.set("sw_session", token)
    assert client.get("/queue").status_code == 303


def test_a_password_change_ends_the_other_sessions(workspace: Workspace, data: WebData) -> None:
    here, elsewhere = client_for(workspace), client_for(workspace)
    csrf = log_in(here, "amira")
    log_in(elsewhere, "amira")
    new = "a much longer new passphrase"
    refused = here.post(
        "/password", data={"csrf": csrf, "current": "wrong" * 3, "new": new, "again": new}
    )
    assert refused.status_code == 400
    done = here.post(
        "/password", data={"csrf": csrf, "current": PASSWORD, "new": new, "again": new}
    )
    assert done.status_code == 200 and "Password changed" in done.text
    assert here.get("/queue").status_code == 200
    assert elsewhere.get("/queue").status_code == 303
    with workspace.engine.connect() as conn:
        assert authenticate(conn, "amira", new) is not None
        assert authenticate(conn, "amira", PASSWORD) is None


def test_the_item_page_shows_arabic_with_its_matches_and_the_photo(
    workspace: Workspace, data: WebData
) -> None:
    client = client_for(workspace)
    log_in(client, "vera")
    page = client.get(f"/items/{data.ids['ar']}").text
    assert 'lang="ar"' in page
    assert '<p dir="auto">أعلنت <mark title="jnim">جماعة نصرة الإسلام والمسلمين</mark>' in page
    assert f'<img src="/media/{data.photo_sha}"' in page
    assert f"SHA-256 {data.photo_sha}" in page
    assert f'href="/archive/{data.page_capture_id}"' in page
    assert "/evidence.wacz" in page


def test_bidi_overrides_are_shown_as_marks_never_applied(
    workspace: Workspace, data: WebData
) -> None:
    client = client_for(workspace)
    log_in(client, "vera")
    for path in (f"/items/{data.ids['3']}", "/queue"):
        page = client.get(path).text
        assert RLO not in page
        assert '<span class="bidi" title="bidi control U+202E">&lt;U+202E&gt;</span>txt.exe' in page


def test_media_is_served_by_hash_with_its_type_and_never_as_html(
    workspace: Workspace, data: WebData
) -> None:
    client = client_for(workspace)
    log_in(client, "vera")
    photo = client.get(f"/media/{data.photo_sha}")
    assert photo.headers["content-type"] == "image/png"
    assert photo.headers["x-content-type-options"] == "nosniff"
    assert photo.headers["x-archived-sha256"] == data.photo_sha
    assert "sandbox" in photo.headers["content-security-policy"]
    with workspace.engine.connect() as conn:
        page_sha = conn.execute(
            sa.select(CAPTURE.c.sha256).where(CAPTURE.c.id == data.page_capture_id)
        ).scalar_one()
    html = client.get(f"/media/{page_sha}")
    assert html.headers["content-type"] == "application/octet-stream"
    assert html.headers["content-disposition"].startswith("attachment;")
    assert client.get("/media/" + "0" * 64).status_code == 404
    assert client.get("/media/../../etc/passwd").status_code == 404
    assert client_for(workspace).get(f"/media/{data.photo_sha}").status_code == 303  # no login


def test_an_archived_page_is_inert_and_only_our_captures_load(
    workspace: Workspace, data: WebData
) -> None:
    client = client_for(workspace)
    log_in(client, "vera")
    wrapper = client.get(f"/archive/{data.page_capture_id}").text
    assert '<iframe class="archived" sandbox src=' in wrapper
    frame = re.search(r'sandbox src="([^"]+)"', wrapper).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    anonymous = client_for(workspace)  # the opaque-origin frame sends no cookie
    response = anonymous.get(frame)
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert csp.startswith("default-src 'none'; img-src http://127.0.0.1:8080/archived/res;")
    assert "sandbox" in csp and "base-uri 'none'" in csp and "form-action 'none'" in csp
    body = response.text
    for gone in (
        "<script",
        "<base",
        "http-equiv",
        "<iframe",
        "<object",
        "<form",
        "onload",
        "onerror",
        "action=",
    ):
        assert gone not in body, gone
    assert "Captured headline" in body
    resources = [
        u.replace("&amp;", "&") for u in re.findall(r'(?:src|href)="(/archived/res[^"]+)"', body)
    ]
    statuses = {
        re.search(r"u=([^&]+)", u).group(1): anonymous.get(u).status_code for u in resources
    }  # type: ignore[union-attr]
    assert statuses["https%3A%2F%2Fhostile.example%2Fnews%2Fcaptured.png"] == 200
    assert statuses["https%3A%2F%2Fhostile.example%2Fnews%2Fstyle.css"] == 200
    assert statuses["http%3A%2F%2F127.0.0.1%3A9%2Fremote.png"] == 404
    missing = anonymous.get(resources[0].split("&t=")[0] + "&t=" + "0" * 64)
    assert missing.status_code == 404 and missing.text.startswith("missing")
    assert anonymous.get(frame.split("?")[0]).status_code == 404  # no signature, no page


def test_pages_carry_the_security_headers(workspace: Workspace, data: WebData) -> None:
    client = client_for(workspace)
    log_in(client, "vera")
    for path in ("/login", "/dashboard", "/queue", f"/items/{data.ids['1']}", "/nope"):
        headers = client.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"


def test_no_page_shows_a_secret_or_a_server_path(
    workspace: Workspace, data: WebData, settings: Settings, tmp_path: Path
) -> None:
    record_citations(
        workspace,
        [
            CitationRow(
                str(tmp_path / "drafts" / "weekly.md"),
                1,
                "t.me/x/1",
                "https://t.me/x/1",
                "https://t.me/x/1",
                data.page_capture_id,
                "live",
            ),
            CitationRow(
                str(tmp_path / "drafts" / "weekly.md"),
                2,
                "gone",
                "https://t.me/x/2",
                "https://t.me/x/2",
                None,
                "deleted",
            ),
        ],
    )
    with workspace.engine.begin() as conn:
        conn.execute(
            sa.update(SOURCE)
            .where(SOURCE.c.name == "sahel_watch")
            .values(consecutive_failures=2, last_error="HTTP 503 from t.me")
        )
    client = client_for(workspace)
    log_in(client, "root")
    pages = {}
    for path in (
        "/dashboard",
        "/queue",
        "/sources",
        "/sources/sahel_watch",
        "/alerts",
        "/citations",
    ):
        pages[path] = client.get(path).text
    key = re.search(r'href="/citations/([0-9a-f]{16})"', pages["/citations"]).group(1)  # type: ignore[union-attr]
    pages["report"] = client.get(f"/citations/{key}").text
    pages["item"] = client.get(f"/items/{data.ids['ar']}").text
    assert "weekly.md" in pages["/citations"] and "deleted" in pages["report"]
    assert "json" in pages["/alerts"] and "ops" in pages["/alerts"]
    assert "HTTP 503" in pages["/sources"]
    for name, html in pages.items():
        assert WEBHOOK_TOKEN not in html, name
        assert "hooks.example.org" not in html, name
        assert str(tmp_path) not in html, name
        assert str(settings.data_dir) not in html, name


def test_the_dashboard_shows_its_plots_as_images_with_their_numbers(
    workspace: Workspace, data: WebData
) -> None:
    client = client_for(workspace)
    log_in(client, "vera")
    page = client.get("/dashboard").text
    charts = re.findall(r'<img src="(/charts/[a-z-]+\.svg)"', page)
    assert charts == [
        "/charts/by-source.svg",
        "/charts/by-area.svg",
        "/charts/by-entity.svg",
        "/charts/queue.svg",
    ]
    assert "<svg" not in page and page.count('<table class="chart-data">') == 4
    assert '<th scope="col" dir="auto">sahel_watch</th>' in page
    assert "<strong>4</strong> waiting" in page
    by_source = client.get("/charts/by-source.svg")
    assert "sahel_watch (3)" in by_source.text and "sahel_ar (1)" in by_source.text
    timeline = client.get("/entities/jnim")
    assert '<img src="/entities/jnim/timeline.svg"' in timeline.text
    assert "jnim (2)" in client.get("/entities/jnim/timeline.svg").text


def test_each_chart_is_an_svg_image_without_script_behind_the_login(
    workspace: Workspace, data: WebData
) -> None:
    client = client_for(workspace)
    paths = [
        "/charts/by-source.svg",
        "/charts/by-area.svg",
        "/charts/by-entity.svg",
        "/charts/queue.svg",
        "/sources/sahel_watch/health.svg",
        "/entities/jnim/timeline.svg",
    ]
    for path in paths:
        refused = client.get(path)
        assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
    log_in(client, "vera")
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"] == "image/svg+xml"
        assert response.headers["content-security-policy"] == (
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
        )
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.text.lstrip().startswith("<?xml") and "<svg" in response.text
        assert "<script" not in response.text.lower(), path
    assert client.get("/charts/nope.svg").status_code == 404


def test_a_hostile_name_in_a_chart_is_text_never_markup(
    workspace: Workspace, data: WebData
) -> None:
    client = client_for(workspace)
    log_in(client, "vera")
    hostile = '<svg onload=alert(1)>"&'
    chart = client.get(f"/entities/{hostile}/timeline.svg")
    assert chart.headers["content-type"] == "image/svg+xml"
    assert "<svg onload" not in chart.text and "&lt;svg onload=alert(1)&gt;" in chart.text


def test_the_evidence_bundle_downloads_as_wacz(workspace: Workspace, data: WebData) -> None:
    client = client_for(workspace)
    log_in(client, "vera")
    response = client.get(f"/items/{data.ids['ar']}/evidence.wacz")
    assert response.status_code == 200
    assert response.content[:2] == b"PK"
    assert 'filename="sourcewatch-item-' in response.headers["content-disposition"]
    assert client.get("/items/999999/evidence.wacz").status_code == 404


def test_a_disabled_user_is_logged_out_at_once(workspace: Workspace, data: WebData) -> None:
    from sourcewatch.accounts.users import set_disabled

    client = client_for(workspace)
    log_in(client, "amira")
    with workspace.engine.begin() as conn:
        set_disabled(conn, "amira", True)
        assert user_by_name(conn, "amira") is not None
    assert client.get("/queue").status_code == 303


def test_passwords_are_stored_as_argon2id_with_the_library_defaults(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sourcewatch.accounts import users

    monkeypatch.setattr(users, "hasher", real_hasher)  # not the tests' cheap one
    with workspace.engine.begin() as conn:
        users.add_user(conn, "nadia", "viewer", PASSWORD, NOW)
        stored = conn.execute(sa.text("SELECT password_hash FROM web_user")).scalar_one()
        assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        assert PASSWORD not in stored
        assert users.authenticate(conn, "nadia", PASSWORD) is not None
        assert users.authenticate(conn, "nadia", PASSWORD + "x") is None
        assert users.authenticate(conn, "nobody", PASSWORD) is None


def test_a_broken_watch_list_is_reported_without_the_servers_path(
    workspace: Workspace, data: WebData, settings: Settings
) -> None:
    settings.sources_file.write_text("[[sources]]\nname = 'x'\nkind = 'nonsense'\n")
    client = client_for(workspace)
    log_in(client, "vera")
    page = client.get("/sources").text
    assert "sources.toml" in page
    assert str(settings.sources_file.parent) not in page


def test_only_html_captures_open_as_archived_pages(workspace: Workspace, data: WebData) -> None:
    client = client_for(workspace)
    log_in(client, "vera")
    with workspace.engine.connect() as conn:
        photo_id = conn.execute(
            sa.select(CAPTURE.c.id).where(CAPTURE.c.sha256 == data.photo_sha)
        ).scalar_one()
    signed = client.app.state.signer.page_link(photo_id)  # type: ignore[attr-defined]
    response = client.get(signed)
    assert response.status_code == 404 and "image/png" in response.text


def test_guessing_the_current_password_is_rate_limited_too(
    workspace: Workspace, data: WebData
) -> None:
    client = client_for(workspace)
    csrf = log_in(client, "amira")
    new = "a much longer new passphrase"
    for _ in range(5):
        wrong = {"csrf": csrf, "current": "guess" * 3, "new": new, "again": new}
        assert client.post("/password", data=wrong).status_code == 400
    right = {"csrf": csrf, "current": PASSWORD, "new": new, "again": new}
    assert client.post("/password", data=right).status_code == 429
    with workspace.engine.connect() as conn:
        assert authenticate(conn, "amira", PASSWORD) is not None


RUSSIAN = "Колонна PMC Wagner вошла в Кидаль утром, сообщают жители."


def test_the_search_page_finds_russian_and_arabic_with_their_snippets(
    workspace: Workspace, data: WebData
) -> None:
    ids = ingest_posts(workspace, channel("kidal_ru", areas=("sahel",)), [Post("9", RUSSIAN)])
    client = client_for(workspace)
    log_in(client, "vera")  # a viewer may search
    assert 'href="/search"' in client.get("/dashboard").text
    page = client.get("/search", params={"q": "Кидаль", "source": "kidal_ru"})
    assert page.status_code == 200
    assert f'href="/items/{ids["9"]}"' in page.text
    assert '<p class="snippet source-text" dir="auto">' in page.text
    assert "<mark>Кидаль</mark>" in page.text
    assert "https://t.me/kidal_ru/9" in page.text
    arabic = client.get("/search", params={"q": '"نصرة الإسلام"', "lang": "ar"}).text
    assert f'href="/items/{data.ids["ar"]}"' in arabic
    assert "<mark>نصرة الإسلام</mark>" in arabic
    assert f'href="/items/{ids["9"]}"' not in arabic
    nothing = client.get("/search", params={"q": "Кидаль", "kind": "news"})
    assert nothing.status_code == 200 and "Nothing matches." in nothing.text


def test_a_bad_search_shows_the_clis_message_with_400(workspace: Workspace, data: WebData) -> None:
    from markupsafe import escape

    from sourcewatch.errors import InvalidInput
    from sourcewatch.search.query import parse_search

    client = client_for(workspace)
    log_in(client, "vera")
    with pytest.raises(InvalidInput) as bad_query:  # what `sourcewatch search` prints
        parse_search('"Boni')
    page = client.get("/search", params={"q": '"Boni'})
    assert page.status_code == 400
    assert str(escape(str(bad_query.value))) in page.text
    assert "Traceback" not in page.text
    unknown = client.get("/search", params={"q": "Boni", "source": "nope"})
    assert unknown.status_code == 400
    assert str(escape("--source: unknown value 'nope'; known: sahel_ar, sahel_watch")) in (
        unknown.text
    )
    kind = client.get("/search", params={"q": "Boni", "kind": "radio"})
    assert kind.status_code == 400 and "--kind: unknown value" in kind.text
    when = client.get("/search", params={"q": "Boni", "since": "yesterday"})
    assert when.status_code == 400 and "--since:" in when.text


def test_the_item_page_shows_the_stored_translation_under_the_original(
    workspace: Workspace, data: WebData
) -> None:
    from sourcewatch.store.tables import ITEM_REVISION
    from sourcewatch.translate.store import NewTranslation, save_translation

    item = data.ids["ar"]
    client = client_for(workspace)
    log_in(client, "vera")
    before = client.get(f"/items/{item}").text
    assert 'id="translation"' not in before
    assert "No translation engine is configured" in before
    with workspace.engine.begin() as conn:
        revision_id = conn.execute(
            sa.select(ITEM_REVISION.c.id).where(ITEM_REVISION.c.item_id == item)
        ).scalar_one()
        new = NewTranslation(
            item_id=item,
            revision_id=revision_id,
            engine="libretranslate",
            model="argos-1.9",
            source_language="ar",
            target_language="en",
            title=None,
            text="JNIM claimed responsibility for the attack near Boni.",
            truncated=False,
        )
        assert save_translation(conn, new, NOW)
    page = client.get(f"/items/{item}").text
    assert '<p dir="auto">أعلنت <mark title="jnim">' in page  # the original stays
    assert "Machine translation (ar → en) · libretranslate (argos-1.9) · " in page
    assert (
        '<p class="source-text" dir="auto" lang="en">'
        "JNIM claimed responsibility for the attack near Boni.</p>"
    ) in page
    assert page.index("أعلنت") < page.index("JNIM claimed responsibility")
    # the search page looks in translations on request, and says so on the hit
    hits = client.get("/search", params={"q": '"claimed responsibility"', "in": "translation"})
    assert hits.status_code == 200 and f'href="/items/{item}"' in hits.text
    assert "matched the machine translation (libretranslate, en)" in hits.text
    original = client.get("/search", params={"q": '"claimed responsibility"'}).text
    assert "Nothing matches." in original


def test_the_item_page_lists_each_hit_as_show_does(workspace: Workspace, data: WebData) -> None:
    client = client_for(workspace)
    log_in(client, "vera")
    page = client.get(f"/items/{data.ids['1']}").text
    hits = page[page.index('id="hit-list"') : page.index("</ul>", page.index('id="hit-list"'))]
    assert 'entity <a href="/entities/jnim">jnim</a>, alias “<bdi>JNIM</bdi>”' in hits
    assert "rule jnim-attack-claim" in hits
    assert "keyword “<bdi>claimed</bdi>”" in hits
    assert '<mark title="keyword claimed">claimed</mark>' in page  # the same spans as `show`
    assert '<details class="explain">' in page


def test_translate_needs_an_engine_and_says_so(workspace: Workspace, data: WebData) -> None:
    item = data.ids["ar"]
    client = client_for(workspace)
    csrf = log_in(client, "amira")
    assert f'action="/items/{item}/translate"' not in client.get(f"/items/{item}").text
    response = client.post(f"/items/{item}/translate", data={"csrf": csrf})
    assert response.status_code == 409
    assert "no translation engine is configured" in response.text
    with workspace.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM translation")).scalar_one() == 0
    viewer = client_for(workspace)
    viewer_csrf = log_in(viewer, "vera")
    assert viewer.post(f"/items/{item}/translate", data={"csrf": viewer_csrf}).status_code == 403


def test_an_analysts_translate_button_translates_once_and_shows_it(
    workspace: Workspace, data: WebData, httpserver: HTTPServer
) -> None:
    server = FakeLibreTranslate(httpserver)
    lt = workspace.settings.translate.libretranslate.model_copy(update={"url": server.url})
    translate = workspace.settings.translate.model_copy(
        update={"engines": ["libretranslate"], "libretranslate": lt}
    )
    configured = workspace.with_settings(
        workspace.settings.model_copy(update={"translate": translate})
    )
    item = data.ids["ar"]
    client = client_for(configured)
    csrf = log_in(client, "amira")
    before = client.get(f"/items/{item}").text
    assert f'action="/items/{item}/translate"' in before and 'id="translation"' not in before
    response = client.post(f"/items/{item}/translate", data={"csrf": csrf})
    assert response.status_code == 303
    assert response.headers["location"] == f"/items/{item}?translated=translated"
    page = client.get(response.headers["location"]).text
    assert "Translation: translated." in page
    assert 'id="translation"' in page and "· libretranslate" in page
    assert f'action="/items/{item}/translate"' not in page  # stored: no second request
    assert len(server.requests) == 1
    with workspace.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM translation")).scalar_one() == 1
