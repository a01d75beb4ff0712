"""The web view in a real browser: Debian's chromium driven by Playwright (the system
binary; ``playwright install`` is never run). One browser for the module, one server
on a loopback port, one SQLite workspace; a second loopback server stands for the
hostile site and counts every request that reaches it (there must be none).

Screenshots of the main pages go to $SOURCEWATCH_TEST_SCREENSHOTS when it is set
(docs/assets/ holds the ones the README shows).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright
from pytest_httpserver import HTTPServer

from sourcewatch.config import load_settings
from sourcewatch.web.app import create_app
from sourcewatch.web.charts import WIDTH
from sourcewatch.workspace import Workspace
from triage_support import with_test_watchlists
from web_support import NOW, PASSWORD, PHOTO_SIZE, WebData, add_users, cheap_hasher, seed

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hostile_site() -> Iterator[HTTPServer]:
    """The site the archived page points at: any request to it is a failure."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request("/").respond_with_data("should never be asked", status=200)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, hostile_site: HTTPServer
) -> Iterator[dict[str, Any]]:
    """The web view on a loopback port over a seeded SQLite workspace."""
    root = tmp_path_factory.mktemp("web-browser")
    shutil.copyfile(sqlite_template, root / "sourcewatch.db")
    settings = with_test_watchlists(
        load_settings(
            data_dir=root / "data",
            database_url=f"sqlite:///{root / 'sourcewatch.db'}",
            sources_file=root / "sources.toml",
        )
    )
    ws = Workspace.open(settings)
    mp = pytest.MonkeyPatch()
    mp.setattr("sourcewatch.accounts.users.hasher", cheap_hasher)
    data = seed(ws, origin=hostile_site.url_for("").rstrip("/"))
    add_users(ws)
    port = _free_port()
    app = create_app(ws, clock=lambda: NOW)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield {"url": f"http://127.0.0.1:{port}", "data": data, "ws": ws}
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        mp.undo()
        ws.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        message = "no chromium: apt-get install chromium (.ci/run does)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def logged_in(browser: Browser, site: dict[str, Any], name: str) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(site["url"] + "/queue")
    assert page.url.startswith(site["url"] + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(site["url"] + "/queue")
    return page


def screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("SOURCEWATCH_TEST_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"web-{name}.png"), full_page=False)


def test_work_the_queue_with_keys_and_see_a_conflict(
    browser: Browser, site: dict[str, Any]
) -> None:
    data: WebData = site["data"]
    amira = logged_in(browser, site, "amira")
    omar = logged_in(browser, site, "omar")
    screenshot(amira, "queue")
    first = amira.locator("tr[data-row]").first.get_attribute("id")
    assert first is not None
    amira.keyboard.press("r")  # the selected (first) row: relevant
    amira.wait_for_selector("text=marked relevant")
    assert amira.locator(f"#{first}").count() == 0  # no longer new: gone from the list
    # Omar changes item 2 while Amira's page still shows the version she read.
    target = data.ids["2"]
    omar.goto(f"{site['url']}/items/{target}")
    omar.click("#mark-form button[value=irrelevant]")
    omar.wait_for_selector("text=Marked irrelevant")
    amira.locator(f"#row-{target} button[value=escalated]").click()
    conflict = amira.locator(".conflict")
    conflict.wait_for()
    assert f"item {target} was changed by omar" in conflict.inner_text()
    assert "Nothing was changed" in conflict.inner_text()
    screenshot(amira, "conflict")


def test_an_arabic_item_reads_right_to_left_with_its_photo(
    browser: Browser, site: dict[str, Any]
) -> None:
    page = logged_in(browser, site, "vera")
    page.goto(f"{site['url']}/items/{site['data'].ids['ar']}")
    text = page.locator(".source-text p[dir=auto]").first
    assert text.evaluate("el => el.matches(':dir(rtl)')")
    assert text.locator("mark").first.inner_text() == "جماعة نصرة الإسلام والمسلمين"
    photo = page.locator("ul.media img")
    photo.wait_for()
    assert photo.evaluate("img => img.complete && img.naturalWidth") == PHOTO_SIZE[0]
    screenshot(page, "item")


def test_search_from_the_navigation_finds_the_arabic_item(
    browser: Browser, site: dict[str, Any]
) -> None:
    page = logged_in(browser, site, "vera")
    page.click("header nav a[href='/search']")
    page.fill("input[name=q]", '"نصرة الإسلام"')
    page.fill("input[name=lang]", "ar")
    page.click("#search-form button[type=submit]")
    snippet = page.locator("#hits p.snippet").first
    snippet.wait_for()
    assert snippet.evaluate("el => el.matches(':dir(rtl)')")
    assert snippet.locator("mark").first.inner_text() == "نصرة الإسلام"
    page.click(f"#hits a[href='/items/{site['data'].ids['ar']}']")
    assert page.url.endswith(f"/items/{site['data'].ids['ar']}")


def test_a_hostile_archived_page_runs_nothing_and_fetches_nothing(
    browser: Browser, site: dict[str, Any], hostile_site: HTTPServer
) -> None:
    page = logged_in(browser, site, "vera")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{site['url']}/archive/{site['data'].page_capture_id}")
    frame_element = page.locator("iframe.archived")
    frame_element.wait_for()
    frame = frame_element.element_handle().content_frame()  # type: ignore[union-attr]
    assert frame is not None
    frame.wait_for_load_state("load")
    page.wait_for_timeout(1500)  # a meta refresh of 0 s, or a timer, would have fired
    headline = frame.locator("#headline")
    assert headline.inner_text() == "Captured headline"
    # Our captured stylesheet applied; our captured image loaded; nothing else did.
    assert headline.evaluate("h => getComputedStyle(h).color") == "rgb(200, 0, 0)"
    relative = frame.locator("img[alt=relative]")
    assert relative.evaluate("img => img.complete && img.naturalWidth") == PHOTO_SIZE[0]
    assert frame.evaluate("() => document.title") == "Hostile capture"  # no script ran
    assert frame.url.startswith(f"{site['url']}/archived/")  # no refresh, no navigation
    assert hostile_site.log == []  # the hostile site never heard from us
    assert not [u for u in requests if not u.startswith(site["url"])]
    screenshot(page, "archive")


def test_the_dashboard_shows_its_plots(browser: Browser, site: dict[str, Any]) -> None:
    """Each plot is an SVG image that loads under the page's CSP, with no console error
    (a CSP violation is one), and its numbers are in a table beside it."""
    page = logged_in(browser, site, "vera")
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{site['url']}/dashboard")
    page.wait_for_load_state("load")
    charts = page.locator("figure.chart img")
    assert charts.count() == 4
    for i in range(4):
        chart = charts.nth(i)
        assert chart.evaluate("img => img.complete && img.naturalWidth") == WIDTH
        assert chart.bounding_box()["width"] > 300  # type: ignore[index]
    assert page.locator("table.chart-data").count() == 4
    screenshot(page, "dashboard")
    page.goto(f"{site['url']}/entities/jnim")
    page.wait_for_load_state("load")
    timeline = page.locator("figure.chart img")
    assert timeline.evaluate("img => img.complete && img.naturalWidth") == WIDTH
    assert problems == []
