"""Helpers for the citation tests: a threaded local server and settings pointing at it."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from sourcewatch.config import Settings
from sourcewatch.net import guard

FIXTURES = Path(__file__).parent / "fixtures"
SEED_REPORT = FIXTURES / "seed" / "seed_report.txt"
TG_FIXTURE = FIXTURES / "telegram" / "any2feed_oper_goblin_22358_forwarded.html"
X_POST_ID = "1595137918448054272"
X_RECORDED = json.loads(
    (FIXTURES / "x" / "syndication__tweet-result.json").read_text(encoding="utf-8")
)
NEWS_PAGE = (FIXTURES / "news" / "trafilatura__reuters.com.parasite.html").read_bytes()
TG_NOT_FOUND = (
    b'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body class="widget_frame_base">'
    b'<div class="tgme_widget_message_error">Post not found</div></body></html>'
)


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    """A threaded server: one slow answer must not hold up the others."""
    httpd = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    httpd.start()
    try:
        yield httpd
    finally:
        httpd.clear()
        if httpd.is_running():
            httpd.stop()


def point_at(settings: Settings, httpd: HTTPServer, *, allow_private: bool = True) -> Settings:
    """Settings whose t.me / X endpoints are the local server; short timeouts, no retries."""
    base = httpd.url_for("").rstrip("/")
    net = settings.net.model_copy(
        update={
            "retries": 0,
            "connect_timeout": 1.0,
            "read_timeout": 1.0,
            "total_timeout": 2.0,
            "per_host_interval": 0.0,
            "per_host_concurrency": 16,
            "allow_private_addresses": allow_private,
        }
    )
    return settings.model_copy(
        update={
            "net": net,
            "telegram": settings.telegram.model_copy(update={"web_base_url": base}),
            "x": settings.x.model_copy(
                update={"syndication_base_url": base, "oembed_base_url": base}
            ),
        }
    )


def telegram_embed(httpd: HTTPServer) -> bytes:
    """The recorded post block as an embed page, its CDN photos served by ``httpd``."""
    block = TG_FIXTURE.read_text(encoding="utf-8")
    block = block.replace("https://cdn4.telegram-cdn.org/file/", httpd.url_for("/cdn/"))
    page = f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{block}</body></html>'
    return page.encode("utf-8")


def treat_loopback_as_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the address guard on, but let 127.0.0.1 (the test server) count as public.

    Every other address is judged exactly as in production, so a redirect to
    169.254.169.254 or 10.0.0.1 is still refused."""
    real = guard.is_public_address

    def is_public(address: str) -> bool:
        return ipaddress.ip_address(address.split("%", 1)[0]) == ipaddress.ip_address(
            "127.0.0.1"
        ) or real(address)

    monkeypatch.setattr(guard, "is_public_address", is_public)
