"""Login walls, challenges and geoblocks served with HTTP 200 are ``blocked``, with the
reason; an ordinary article that mentions logging in stays ``live``."""

from __future__ import annotations

import asyncio
import gzip
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from citations_support import FIXTURES, NEWS_PAGE, point_at, server
from sourcewatch.citations.snapshot import Snapshot, snapshot_url
from sourcewatch.citations.walls import telegram_error_status, wall_reason
from sourcewatch.config import Settings
from sourcewatch.net import Http
from sourcewatch.workspace import Workspace

__all__ = ["server"]
WALLS = FIXTURES / "walls"
WSJ = (
    FIXTURES
    / "articles"
    / "aeb__042bb7b5fedab6eac7db576522b89b93904c237d344bcbe14a6a5ab7f7335856.html.gz"
)


def page(name: str) -> str:
    return (WALLS / name).read_text(encoding="utf-8")


def snap(ws: Workspace, settings: Settings, url: str) -> Snapshot:
    async def run() -> Snapshot:
        async with Http(settings.net) as http:
            return await snapshot_url(ws, http, settings, url, max_age=None)

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("requested", "final", "name", "expected"),
    [
        (
            "https://x.com/somehandle",
            "https://x.com/i/flow/login?redirect_after_login=%2Fsomehandle",
            "x_login.html",
            "X login wall (redirected to /i/flow/login)",
        ),
        ("https://x.com/somehandle", "https://x.com/somehandle", "x_login.html", "X login wall"),
        (
            "https://www.facebook.com/somepage/posts/1",
            "https://www.facebook.com/login/?next=https%3A%2F%2Fwww.facebook.com%2Fsomepage",
            "facebook_login.html",
            "Facebook login wall (redirected to /login)",
        ),
        (
            "https://www.instagram.com/p/C0abc/",
            "https://www.instagram.com/accounts/login/?next=%2Fp%2FC0abc%2F",
            "instagram_login.html",
            "Instagram login wall (redirected to /accounts/login)",
        ),
        (
            "https://example.org/news/article-1",
            "https://example.org/news/article-1",
            "cloudflare_just_a_moment.html",
            "Cloudflare challenge page",
        ),
        (
            "https://t.me/example_channel",
            "https://t.me/example_channel",
            "telegram_channel_withheld.html",
            'Telegram withholds it: "This channel can’t be displayed',
        ),
        (
            "https://tv.example.net/watch/1",
            "https://tv.example.net/watch/1",
            "geoblock.html",
            "geoblocked: 'Content not available in your country'",
        ),
    ],
)
def test_walls_are_named(requested: str, final: str, name: str, expected: str) -> None:
    reason = wall_reason(requested, final, page(name))
    assert reason is not None and reason.startswith(expected), reason


@pytest.mark.parametrize(
    ("url", "html"),
    [
        # Recorded articles whose pages carry "Sign In" links and subscription markup.
        ("https://www.wsj.com/articles/x", gzip.decompress(WSJ.read_bytes()).decode("utf-8")),
        ("https://www.reuters.com/article/x", NEWS_PAGE.decode("utf-8")),
        # A login page's words on another site are only words.
        ("https://example.org/how-to", page("facebook_login.html")),
        ("https://example.org/how-to", page("x_login.html")),
        # A channel owner's own description that says "blocked" is not Telegram's notice.
        ("https://t.me/example_backup", page("telegram_channel_description_mentions_block.html")),
    ],
)
def test_ordinary_pages_are_not_walls(url: str, html: str) -> None:
    assert wall_reason(url, url, html) is None


def test_an_article_about_geoblocking_is_not_a_geoblock() -> None:
    """The words in the title, but a whole article below it: an article, not a notice."""
    article = NEWS_PAGE.decode("utf-8")
    start, end = article.index("<title>"), article.index("</title>")
    titled = (
        article[:start] + "<title>Why this film is not available in your country" + article[end:]
    )
    assert wall_reason("https://example.org/a", "https://example.org/a", titled) is None


def test_a_login_page_the_footnote_itself_cites_is_named_by_its_title() -> None:
    """Citing the login page itself (no redirect) still cannot be 'live' content."""
    url = "https://www.instagram.com/accounts/login/"
    assert wall_reason(url, url, page("instagram_login.html")) == (
        "Instagram login wall (page title 'Login • Instagram')"
    )


@pytest.mark.parametrize(
    ("error", "status"),
    [
        ("Post not found", "deleted"),
        ("This channel can’t be displayed because it violated local laws.", "blocked"),
        ("This channel is private", "blocked"),
        ("Something went wrong", "unreachable"),
    ],
)
def test_telegram_embed_errors(error: str, status: str) -> None:
    assert telegram_error_status(error) == status


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("cloudflare_just_a_moment.html", "Cloudflare challenge page"),
        ("geoblock.html", "geoblocked: "),
    ],
)
def test_a_wall_served_with_200_is_snapshotted_as_blocked(
    workspace: Workspace, settings: Settings, server: HTTPServer, name: str, reason: str
) -> None:
    settings = point_at(settings, server)
    server.expect_request("/news/1").respond_with_data(
        (WALLS / name).read_bytes(), content_type="text/html; charset=utf-8"
    )
    result = snap(workspace, settings, server.url_for("/news/1"))
    assert result.status == "blocked"
    assert result.http_status == 200
    assert result.reason is not None and result.reason.startswith(reason)
    assert result.sha256 is not None  # the wall itself is archived, as it was served
    assert result.content_sha256 is None  # and no article was read out of it


def test_a_withheld_telegram_post_is_blocked_not_deleted(
    workspace: Workspace, settings: Settings, server: HTTPServer
) -> None:
    settings = point_at(settings, server)
    server.expect_request("/example_channel/12").respond_with_data(
        (WALLS / "telegram_embed_withheld.html").read_bytes(), content_type="text/html"
    )
    result = snap(workspace, settings, "https://t.me/example_channel/12")
    assert result.status == "blocked"
    assert result.reason == "t.me: This channel can’t be displayed because it violated local laws."


def test_an_article_that_mentions_logging_in_stays_live(
    workspace: Workspace, settings: Settings, server: HTTPServer, tmp_path: Path
) -> None:
    settings = point_at(settings, server)
    server.expect_request("/wsj").respond_with_data(
        gzip.decompress(WSJ.read_bytes()), content_type="text/html; charset=utf-8"
    )
    result = snap(workspace, settings, server.url_for("/wsj"))
    assert (result.status, result.reason) == ("live", None)
    assert result.content_sha256 is not None
