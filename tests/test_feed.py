"""Feed and web collectors against recorded feeds served by a real HTTP server on loopback."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from typing import Any

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer
from werkzeug import Response

from daemon_support import FeedServer
from news_support import (
    LONG,
    RUSSIAN,
    article_page,
    fixture_bytes,
    news_settings,
    next_state,
    poll,
    reread,
    rss,
    source,
)
from sourcewatch.collectors.base import CollectContext, CollectorError, ItemRef, SourceState
from sourcewatch.collectors.cpupool import CpuPool
from sourcewatch.collectors.formats import ImportContext, ImportFileError
from sourcewatch.collectors.news import pending
from sourcewatch.collectors.registry import get_collector, get_format
from sourcewatch.net import BodyDeferred, Http
from sourcewatch.polling import pipeline as polling
from sourcewatch.polling.pipeline import poll_source

GUARDIAN = "rss-parser__guardian.rss"
WP_FEED = "wordpress__wordpress-org-news.xml"
RSS_TYPE = "application/rss+xml"
MiB = 1024 * 1024


def serve_feed(httpserver: HTTPServer, body: bytes | str, **headers: str) -> str:
    httpserver.expect_request("/feed").respond_with_data(
        body, content_type=headers.pop("content_type", RSS_TYPE), headers=headers
    )
    return httpserver.url_for("/feed")


def import_ctx(url: str | None = None) -> ImportContext:
    return ImportContext(source=None, url=url, filename="saved.xml")


# --- parsing the recorded feeds -----------------------------------------------------------


def test_guardian_rss_gives_one_item_per_entry_keyed_by_guid() -> None:
    items = get_format("rss")(fixture_bytes(GUARDIAN), import_ctx())
    assert len(items) == 55
    first = items[0]
    assert first.external_id == (
        "https://www.theguardian.com/us-news/2018/jan/31/"
        "donald-trump-state-of-the-union-address-unity-discord"
    )
    assert first.title == "Trump State of the Union address promised unity but emphasized discord"
    assert first.author == "David Smith in Washington"
    assert first.published_at == datetime(2018, 1, 31, 7, 26, 5, tzinfo=UTC)
    assert first.lang == "en"
    assert "new American moment" in first.text and "<p>" not in first.text
    assert "Donald Trump" in first.extra["categories"]
    assert first.media and all(m.kind == "photo" for m in first.media)


def test_wordpress_feed_keeps_guid_author_and_full_content() -> None:
    items = get_format("rss")(fixture_bytes(WP_FEED), import_ctx())
    assert len(items) == 10
    learn = items[0]
    assert learn.external_id == "https://wordpress.org/news/?p=9444"  # guid isPermaLink=false
    assert learn.url == "https://wordpress.org/news/2020/12/introducing-learn-wordpress/"
    assert learn.author == "Hugh Lashbrooke"
    assert "workshops, quizzes, courses" in learn.text  # from content:encoded
    assert learn.extra["categories"][0] == "Updates"


def test_truncated_feed_is_an_error_with_position() -> None:
    data = fixture_bytes(GUARDIAN)
    with pytest.raises(ImportFileError, match=r"saved.xml: truncated XML .*line \d+, column \d+"):
        get_format("rss")(data[: len(data) // 2], import_ctx())


def test_html_page_is_not_a_feed() -> None:
    page = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body/></html>"
    with pytest.raises(ImportFileError, match="HTML page titled '502 Bad Gateway'"):
        get_format("rss")(page, import_ctx())


# --- polling a feed -----------------------------------------------------------------------


def test_misspelt_or_mistyped_option_is_an_error(httpserver: HTTPServer) -> None:
    url = serve_feed(httpserver, rss([{"title": "T", "link": "http://n.example/1"}]))
    with pytest.raises(CollectorError, match=r"unknown option\(s\) fetch_article for kind 'feed'"):
        poll(source("feed", url, options={"fetch_article": False}))
    with pytest.raises(CollectorError, match="option max_articles_per_poll must be int"):
        poll(source("feed", url, options={"max_articles_per_poll": "5"}))


def test_poll_truncated_feed_names_the_source(httpserver: HTTPServer) -> None:
    data = fixture_bytes(GUARDIAN)
    url = serve_feed(httpserver, data[:40_000])
    with pytest.raises(CollectorError) as caught:
        poll(source("feed", url, name="guardian-us"))
    assert str(caught.value).startswith("guardian-us: feed ")
    assert "truncated XML" in str(caught.value)


def test_poll_invalid_xml_is_an_error_unless_lenient(httpserver: HTTPServer) -> None:
    broken = rss([{"title": "Arms & ammunition", "link": "http://news.example/a"}])
    url = serve_feed(httpserver, broken)
    with pytest.raises(CollectorError, match="not well-formed XML"):
        poll(source("feed", url))
    lenient = source("feed", url, options={"lenient_xml": True, "fetch_articles": False})
    result = poll(lenient)
    assert [i.title for i in result.items] == ["Arms & ammunition"]


def test_poll_html_error_page_served_as_feed(httpserver: HTTPServer) -> None:
    page = "<html><head><title>Access denied</title></head><body>Cloudflare</body></html>"
    url = serve_feed(httpserver, page, content_type="text/html")
    with pytest.raises(CollectorError, match=r"test-feed: feed .*HTML page titled 'Access denied'"):
        poll(source("feed", url))


def test_poll_cp1251_feed_without_any_charset(httpserver: HTTPServer) -> None:
    feed = rss([{"title": RUSSIAN, "link": "http://ru.example/1", "description": RUSSIAN * 2}])
    url = serve_feed(httpserver, feed.encode("cp1251"), content_type="application/xml")
    result = poll(source("feed", url, options={"fetch_articles": False}))
    assert result.items[0].title == RUSSIAN
    assert RUSSIAN in result.items[0].text


def test_poll_http_error_and_rate_limit(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/gone").respond_with_data("no", status=404)
    httpserver.expect_request("/busy").respond_with_data(
        "", status=429, headers={"Retry-After": "120"}
    )
    with pytest.raises(CollectorError, match="answered HTTP 404"):
        poll(source("feed", httpserver.url_for("/gone")))
    with pytest.raises(CollectorError) as caught:
        poll(source("feed", httpserver.url_for("/busy")))
    assert caught.value.retry_after == 120.0


def test_poll_oversize_feed_is_refused(httpserver: HTTPServer) -> None:
    url = serve_feed(httpserver, b"<rss>" + b" " * 300_000 + b"</rss>")
    with pytest.raises(CollectorError, match="cap"):
        poll(source("feed", url), settings=news_settings(max_body_bytes=100_000))


def test_304_is_not_modified(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed", headers={"If-None-Match": '"v7"'}).respond_with_data(
        "", status=304
    )
    result = poll(source("feed", httpserver.url_for("/feed")), SourceState(etag='"v7"'))
    assert result.not_modified and result.items == [] and result.cursor is None


def test_etag_that_never_changes_while_the_body_does(httpserver: HTTPServer) -> None:
    # The server ignores If-None-Match and always sends the same ETag: the body hash decides.
    bodies = [
        rss([{"title": "First", "link": "http://n.example/1"}]),
        rss([{"title": "First", "link": "http://n.example/1"}]),
        rss([{"title": "Second", "link": "http://n.example/2"}]),
    ]
    for body in bodies:
        httpserver.expect_ordered_request("/feed").respond_with_data(
            body, content_type=RSS_TYPE, headers={"ETag": '"stuck"'}
        )
    src = source("feed", httpserver.url_for("/feed"), options={"fetch_articles": False})

    first = poll(src)
    assert [i.title for i in first.items] == ["First"] and first.etag == '"stuck"'
    state = next_state(first)
    same = poll(src, state)
    assert same.not_modified and same.items == []
    changed = poll(src, next_state(same, state))
    assert [i.title for i in changed.items] == ["Second"]
    assert httpserver.log[1][0].headers["If-None-Match"] == '"stuck"'


def test_new_items_fetch_and_archive_their_articles(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/a/1").respond_with_data(
        article_page("Clashes in Deir ez-Zor", [LONG, LONG + " More."]), content_type="text/html"
    )
    httpserver.expect_request("/reuters").respond_with_data(
        fixture_bytes("trafilatura__reuters.com.parasite.html"), content_type="text/html"
    )
    feed = rss(
        [
            {"title": "Deir ez-Zor", "link": httpserver.url_for("/a/1"), "description": "Short"},
            {"title": "Parasite", "link": httpserver.url_for("/reuters"), "description": "x"},
        ]
    )
    url = serve_feed(httpserver, feed)
    result = poll(source("feed", url))

    clashes, parasite = result.items
    assert clashes.title == "Clashes in Deir ez-Zor" and LONG in clashes.text
    assert parasite.author == "Jill Serjeant" and "cementing their roles" in parasite.text
    assert parasite.extra["canonical_url"].endswith("us-awards-sag-idUSKBN1ZI0EH")
    archived = {c.url: c for c in result.captures}
    assert archived[httpserver.url_for("/a/1")].media_type == "text/html"
    assert clashes.capture_sha256s == [archived[url].sha256, archived[clashes.url].sha256]
    assert set(result.cursor["seen"]) == {clashes.external_id, parasite.external_id}


def test_seen_entries_are_not_fetched_again_but_changed_ones_are(httpserver: HTTPServer) -> None:
    httpserver.expect_request(re.compile(r"/a/\d")).respond_with_data(
        article_page("Report", [LONG]), content_type="text/html"
    )
    one, two = httpserver.url_for("/a/1"), httpserver.url_for("/a/2")
    feeds = [
        rss([{"title": "One", "link": one}, {"title": "Two", "link": two}]),
        rss([{"title": "One", "link": one}, {"title": "Two (updated)", "link": two}]),
    ]
    httpserver.expect_request("/feed").respond_with_handler(
        lambda request: Response(feeds.pop(0), content_type=RSS_TYPE)
    )
    src = source("feed", httpserver.url_for("/feed"))
    first = poll(src)
    assert len(first.items) == 2
    second = poll(src, next_state(first))
    assert [i.external_id for i in second.items] == [two]
    article_requests = [r for r, _ in httpserver.log if r.path.startswith("/a/")]
    assert len(article_requests) == 3  # /a/1 once, /a/2 twice


def test_article_budget_stores_every_entry_now_and_the_articles_later(
    httpserver: HTTPServer,
) -> None:
    # Issue 19: a 50-entry feed stored 20 items, still 20 after 4 polls of the same feed.
    httpserver.expect_request(re.compile(r"/a/\d")).respond_with_data(
        article_page("Report", [LONG]), content_type="text/html"
    )
    links = [httpserver.url_for(f"/a/{n}") for n in range(5)]
    entries = [{"title": f"T{n}", "link": u, "description": f"S{n}"} for n, u in enumerate(links)]
    url = serve_feed(httpserver, rss(entries))
    src = source("feed", url, options={"max_articles_per_poll": 2, "article_retry_after": 0})
    first = poll(src)
    assert [(i.external_id, i.title) for i in first.items] == [
        (links[0], "Report"),
        (links[1], "Report"),
        (links[2], "T2"),  # the feed's own text, stored at once
        (links[3], "T3"),
        (links[4], "T4"),
    ]
    assert first.items[2].text == "S2"
    assert set(first.cursor["pending_articles"]) == set(links[2:])
    # The feed's bytes do not change: the pending articles are fetched all the same.
    second = poll(src, next_state(first))
    assert [(i.external_id, i.title) for i in second.items] == [(u, "Report") for u in links[2:4]]
    assert second.captures and all(c.url in links for c in second.captures)
    third = poll(src, next_state(second, next_state(first)))
    assert [i.external_id for i in third.items] == links[4:]
    assert third.cursor["pending_articles"] == {}
    fourth = poll(src, next_state(third, next_state(second, next_state(first))))
    assert fourth.not_modified and fourth.items == []


def test_the_article_budget_goes_to_the_newest_entries(httpserver: HTTPServer) -> None:
    httpserver.expect_request(re.compile(r"/a/\d")).respond_with_data(
        article_page("Report", [LONG]), content_type="text/html"
    )
    dates = ["Fri, 15 Sep 2023 10:00:00 GMT", "Sun, 17 Sep 2023 10:00:00 GMT", ""]
    entries = [
        {"title": f"T{n}", "link": httpserver.url_for(f"/a/{n}"), "date": date}
        for n, date in enumerate(dates)
    ]
    src = source("feed", serve_feed(httpserver, rss(entries)), options={"max_articles_per_poll": 1})
    assert [i.title for i in poll(src).items] == ["Report", "T0", "T2"]  # others: feed text
    assert [r.path for r, _ in httpserver.log if r.path.startswith("/a/")] == ["/a/1"]


def test_article_failures(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/paywall").respond_with_data("no", status=403)
    httpserver.expect_request("/flaky").respond_with_data("oops", status=500)
    feed = rss(
        [
            {"title": "Paid", "link": httpserver.url_for("/paywall"), "description": "Teaser"},
            {"title": "Flaky", "link": httpserver.url_for("/flaky"), "description": "Later"},
        ]
    )
    src = source("feed", serve_feed(httpserver, feed), options={"article_retry_after": 0})
    result = poll(src)
    # 403 will not change: the feed's own text stands. A 500 may pass: the entry is
    # stored from the feed now and its article retried by later polls.
    assert [(i.title, i.text) for i in result.items] == [("Paid", "Teaser"), ("Flaky", "Later")]
    assert result.items[0].extra["article_error"] == "article answered HTTP 403"
    assert "article_error" not in result.items[1].extra
    assert result.cursor["pending_articles"][httpserver.url_for("/flaky")]["tries"] == 1
    state = next_state(result)
    for tries in range(2, pending.MAX_TRIES):
        later = poll(src, state)
        assert later.items == []
        assert later.cursor["pending_articles"][httpserver.url_for("/flaky")]["tries"] == tries
        state = next_state(later, state)
    assert poll(src, state).cursor["pending_articles"] == {}  # given up; the feed text stands
    flaky = [r for r, _ in httpserver.log if r.path == "/flaky"]
    assert len(flaky) == pending.MAX_TRIES


def test_pending_articles_wait_for_their_backoff(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/flaky").respond_with_data("oops", status=503)
    feed = rss([{"title": "Flaky", "link": httpserver.url_for("/flaky"), "description": "x"}])
    src = source("feed", serve_feed(httpserver, feed))  # default backoff: minutes
    first = poll(src)
    record = first.cursor["pending_articles"][httpserver.url_for("/flaky")]
    assert record["tries"] == 1
    assert datetime.fromisoformat(record["due"]) > datetime.fromisoformat(
        first.captures[-1].fetched_at.isoformat()
    )
    second = poll(src, next_state(first))
    assert second.not_modified and second.items == []
    assert len([r for r, _ in httpserver.log if r.path == "/flaky"]) == 1


def test_articles_that_failed_with_503_arrive_as_revisions_after_recovery(
    httpserver: HTTPServer, workspace: Any
) -> None:
    # Issue 19: 5 entries whose articles answered 503 stored 0 items, still 0 after the
    # article server recovered (the feed had not changed).
    down = [True]

    def article(request: Any) -> Response:
        if down[0]:
            return Response("busy", status=503)
        return Response(article_page("Full story", [LONG]), content_type="text/html")

    httpserver.expect_request(re.compile(r"/a/\d")).respond_with_handler(article)
    links = [httpserver.url_for(f"/a/{n}") for n in range(5)]
    entries = [{"title": f"T{n}", "link": u, "description": f"S{n}"} for n, u in enumerate(links)]
    url = serve_feed(httpserver, rss(entries))
    workspace.settings.net.per_host_interval = 0.0
    workspace.settings.net.retries = 0
    workspace.settings.net.allow_private_addresses = True  # the article server is loopback
    src = source("feed", url, name="flaky-news", options={"article_retry_after": 0})

    async def one_poll() -> Any:
        async with Http(workspace.settings.net) as http:
            return await poll_source(workspace, src, http)

    first = asyncio.run(one_poll())
    assert first.new == 5
    down[0] = False
    second = asyncio.run(one_poll())
    assert (second.new, second.edited) == (0, 5)
    with workspace.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT r.revision, r.title, r.text FROM item_revision r "
                "JOIN item i ON i.id = r.item_id WHERE i.external_id = :id ORDER BY r.revision"
            ),
            {"id": links[0]},
        ).all()
    assert [(r.revision, r.title) for r in rows] == [(1, "T0"), (2, "Full story")]
    assert rows[0].text == "S0" and LONG in rows[1].text
    third = asyncio.run(one_poll())
    assert (third.new, third.edited) == (0, 0)


def test_article_links_into_private_addresses_are_not_fetched(httpserver: HTTPServer) -> None:
    # The feed is configured by the analyst; the links inside it are not.
    link = httpserver.url_for("/admin")
    feed = rss([{"title": "Bait", "link": link, "description": "Click"}])
    src = source("feed", serve_feed(httpserver, feed))
    result = poll(src, settings=news_settings(allow_private_addresses=False))
    assert result.items[0].text == "Click"
    assert "non-public address" in result.items[0].extra["article_error"]
    assert [r.path for r, _ in httpserver.log] == ["/feed"]


def test_recheck_marks_removed_articles_deleted(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/still").respond_with_data(article_page("Here", [LONG]))
    httpserver.expect_request("/removed").respond_with_data("gone", status=410)
    refs = [
        ItemRef("a", httpserver.url_for("/still"), "h1", None),
        ItemRef("b", httpserver.url_for("/removed"), "h2", None),
    ]
    result = reread(source("feed", "http://unused.example/feed"), refs)
    assert [(i.external_id, i.deleted) for i in result.items] == [("b", True)]


# --- web sources: discovery ---------------------------------------------------------------


def serve_home_page_linking_its_feed(httpserver: HTTPServer) -> None:
    """A site whose home page names its RSS feed in a ``<link rel="alternate">``."""
    httpserver.expect_request("/").respond_with_data(
        '<html><head><link rel="alternate" type="application/rss+xml" href="/rss.xml">'
        "</head><body>News</body></html>",
        content_type="text/html",
    )
    httpserver.expect_request("/rss.xml").respond_with_data(
        fixture_bytes(WP_FEED), content_type=RSS_TYPE
    )


def test_web_source_discovers_the_feed_from_the_home_page(httpserver: HTTPServer) -> None:
    serve_home_page_linking_its_feed(httpserver)
    src = source("web", httpserver.url_for("/"), options={"fetch_articles": False})
    result = poll(src)
    assert result.cursor["feed_url"] == httpserver.url_for("/rss.xml")
    assert result.cursor["feed_found_by"] == "link"
    assert len(result.items) == 10
    assert result.captures[0].url == httpserver.url_for("/")  # the home page is archived too


def test_web_source_falls_back_to_the_news_sitemap(httpserver: HTTPServer) -> None:
    now = datetime.now(UTC)
    fresh, old = (now - timedelta(hours=3)).isoformat(), (now - timedelta(days=90)).isoformat()
    httpserver.expect_request("/").respond_with_data("<html><body>hi</body></html>")
    httpserver.expect_request("/robots.txt").respond_with_data(
        f"User-agent: *\nSitemap: {httpserver.url_for('/sitemap.xml')}\n"
        f"Sitemap: {httpserver.url_for('/news-sitemap.xml')}\n"
    )
    httpserver.expect_request("/news-sitemap.xml").respond_with_data(
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"<url><loc>http://site.example/new</loc><news:news><news:publication_date>{fresh}"
        "</news:publication_date><news:title>Attack near Menaka</news:title></news:news></url>"
        f"<url><loc>http://site.example/old</loc><lastmod>{old}</lastmod></url></urlset>",
        content_type="application/xml",
    )
    src = source("web", httpserver.url_for("/"), options={"fetch_articles": False})
    result = poll(src)
    assert result.cursor["feed_url"] == httpserver.url_for("/news-sitemap.xml")
    assert [(i.external_id, i.title) for i in result.items] == [
        ("http://site.example/new", "Attack near Menaka")
    ]


def test_web_source_without_any_feed_says_what_it_tried(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/").respond_with_data("<html><body>hi</body></html>")
    with pytest.raises(CollectorError, match=r"no feed found .*sitemap.xml \(HTTP 500\)"):
        poll(source("web", httpserver.url_for("/")))


# --- end to end: poll -> ingest -> database -----------------------------------------------


def test_poll_ingest_and_an_edited_entry_becomes_a_revision(
    httpserver: HTTPServer, workspace: Any
) -> None:
    original = fixture_bytes(GUARDIAN)
    edited = original.replace(b"stirred Republican applause", b"drew Republican applause", 1)
    bodies = [original, edited, edited]
    httpserver.expect_request("/feed").respond_with_handler(
        lambda request: Response(bodies.pop(0), content_type=RSS_TYPE)
    )
    workspace.settings.net.per_host_interval = 0.0
    src = source("feed", httpserver.url_for("/feed"), name="guardian-us")
    src = src.model_copy(update={"options": {"fetch_articles": False}})

    async def three_polls() -> list[Any]:
        async with Http(workspace.settings.net) as http:
            return [await poll_source(workspace, src, http) for _ in range(3)]

    first, second, third = asyncio.run(three_polls())
    assert (first.new, second.new, second.edited) == (55, 0, 1)
    assert (third.new, third.edited) == (0, 0)  # same bytes: not modified by body hash
    with workspace.engine.connect() as conn:
        items = conn.execute(sa.text("SELECT count(*) FROM item")).scalar()
        texts = conn.execute(
            sa.text(
                "SELECT r.text FROM item_revision r JOIN item i ON i.id = r.item_id "
                "WHERE i.external_id LIKE '%state-of-the-union-address-unity-discord' "
                "ORDER BY r.revision"
            )
        ).scalars()
        cursor = conn.execute(sa.text("SELECT cursor FROM source WHERE name = 'guardian-us'"))
        stored_cursor = cursor.scalar()
    assert items == 55
    old, new = list(texts)
    assert "stirred Republican applause" in old and "drew Republican applause" in new
    assert sha256(edited).hexdigest() in str(stored_cursor)


def test_web_source_whose_feed_moved_is_rediscovered(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/old-rss").respond_with_data("gone", status=404)
    httpserver.expect_request("/").respond_with_data(
        '<html><head><link rel="alternate" type="application/atom+xml" href="/atom"></head></html>',
        content_type="text/html",
    )
    httpserver.expect_request("/atom").respond_with_data(
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><entry><id>urn:x:1</id>'
        "<title>Moved</title><updated>2023-09-17T10:00:00Z</updated></entry></feed>",
        content_type="application/atom+xml",
    )
    src = source("web", httpserver.url_for("/"))
    state = SourceState(cursor={"feed_url": httpserver.url_for("/old-rss")}, etag='"x"')
    result = poll(src, state)
    assert [i.external_id for i in result.items] == ["urn:x:1"]
    assert result.cursor["feed_url"] == httpserver.url_for("/atom")


def test_sitemap_index_is_followed_to_its_news_sitemap(httpserver: HTTPServer) -> None:
    fresh = datetime.now(UTC).isoformat()
    httpserver.expect_request("/sitemap-index.xml").respond_with_data(
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{httpserver.url_for('/sitemap-2019.xml')}</loc>"
        "<lastmod>2019-01-01</lastmod></sitemap>"
        f"<sitemap><loc>{httpserver.url_for('/sitemap-news.xml')}</loc></sitemap>"
        "</sitemapindex>",
        content_type="application/xml",
    )
    httpserver.expect_request("/sitemap-news.xml").respond_with_data(
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>http://site.example/a</loc><lastmod>{fresh}</lastmod></url></urlset>",
        content_type="application/xml",
    )
    src = source("feed", httpserver.url_for("/sitemap-index.xml"))
    src = src.model_copy(update={"options": {"fetch_articles": False}})
    first = poll(src)
    assert [i.external_id for i in first.items] == ["http://site.example/a"]
    assert first.cursor["sitemap_index"] is True
    second = poll(src, next_state(first))  # index and child unchanged
    assert second.not_modified and second.items == []


def test_discovered_feed_on_another_host_is_guarded(httpserver: HTTPServer) -> None:
    # The home page (the configured target, on localhost) points its feed link at
    # 127.0.0.1, another host name that resolves to a private address.
    feed = f"http://127.0.0.1:{httpserver.port}/rss"
    httpserver.expect_request("/").respond_with_data(
        f'<link rel="alternate" type="application/rss+xml" href="{feed}">',
        content_type="text/html",
    )
    src = source("web", f"http://localhost:{httpserver.port}/")
    with pytest.raises(CollectorError, match=re.escape("non-public address 127.0.0.1")):
        poll(src, settings=news_settings(allow_private_addresses=False))
    assert [r.path for r, _ in httpserver.log] == ["/"]


def test_a_broken_feed_loses_nothing_and_does_not_touch_other_sources(
    httpserver: HTTPServer, workspace: Any
) -> None:
    bodies = [fixture_bytes(WP_FEED), b"<html><head><title>503 Service Unavailable</title>"]
    httpserver.expect_request("/breaks").respond_with_handler(
        lambda request: Response(bodies.pop(0), content_type=RSS_TYPE)
    )
    httpserver.expect_request("/fine").respond_with_data(
        fixture_bytes(GUARDIAN), content_type=RSS_TYPE
    )
    workspace.settings.net.per_host_interval = 0.0
    options = {"options": {"fetch_articles": False}}
    breaks = source("feed", httpserver.url_for("/breaks"), name="breaks").model_copy(update=options)
    fine = source("feed", httpserver.url_for("/fine"), name="fine").model_copy(update=options)

    async def polls() -> tuple[Any, CollectorError, Any]:
        async with Http(workspace.settings.net) as http:
            first = await poll_source(workspace, breaks, http)
            with pytest.raises(CollectorError) as failed:
                await poll_source(workspace, breaks, http)
            return first, failed.value, await poll_source(workspace, fine, http)

    first, failure, other = asyncio.run(polls())
    assert first.new == 10 and other.new == 55
    assert "breaks: feed" in str(failure) and "503 Service Unavailable" in str(failure)
    with workspace.engine.connect() as conn:
        counts = dict(
            conn.execute(
                sa.text(
                    "SELECT s.name, count(i.id) FROM source s JOIN item i ON i.source_id = s.id "
                    "GROUP BY s.name"
                )
            ).all()
        )
        last_error = conn.execute(
            sa.text("SELECT last_error FROM source WHERE name = 'breaks'")
        ).scalar()
    assert counts == {"breaks": 10, "fine": 55}  # the failed poll removed nothing
    assert "HTML page" in last_error


def test_a_manual_poll_is_bounded_like_a_daemon_poll(workspace: Any) -> None:
    workspace.settings.net.per_host_interval = 0.0
    workspace.settings.scheduler = workspace.settings.scheduler.model_copy(
        update={"poll_timeout_seconds": 1.0}
    )
    with FeedServer(delay=5.0) as feeds:  # answers after 5 s: longer than the bound
        slow = source("feed", feeds.url("/feed/slow"), name="slow")

        async def one_poll() -> None:
            async with Http(workspace.settings.net) as http:
                await poll_source(workspace, slow, http)

        with pytest.raises(CollectorError, match=r"slow: poll did not finish within 1s"):
            asyncio.run(one_poll())
    with workspace.engine.connect() as conn:
        error = conn.execute(sa.text("SELECT last_error FROM source WHERE name = 'slow'"))
        assert error.scalar_one() == "slow: poll did not finish within 1s"


def test_a_manual_poll_stores_its_capture_after_a_brief_database_error(
    workspace: Any, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        fixture_bytes(GUARDIAN), content_type=RSS_TYPE
    )
    workspace.settings.net.per_host_interval = 0.0
    real_ingest = polling.ingest
    refusals = [sa.exc.OperationalError("BEGIN", {}, Exception("database is locked"))]

    def locked_once(*args: Any, **kwargs: Any) -> Any:
        if refusals:
            raise refusals.pop()
        return real_ingest(*args, **kwargs)

    monkeypatch.setattr(polling, "ingest", locked_once)
    feed = source("feed", httpserver.url_for("/feed"), name="guardian").model_copy(
        update={"options": {"fetch_articles": False}}
    )

    async def one_poll() -> Any:
        async with Http(workspace.settings.net) as http:
            return await poll_source(workspace, feed, http)

    report = asyncio.run(one_poll())
    assert report.new == 55 and refusals == []  # refused once, then stored
    assert len(httpserver.log) == 1  # from the capture already fetched, not a second fetch


def test_texts_over_the_cap_are_cut_in_the_worker_and_the_item_says_so(
    httpserver: HTTPServer,
) -> None:
    # Issue 19: the item's text is cut at max_item_text_chars where it is parsed; the
    # raw captures keep every byte, and the item records the cut (text and extra).
    httpserver.expect_request("/a/long").respond_with_data(
        article_page("A very long report", [f"{n}. {LONG}" for n in range(40)]),
        content_type="text/html",
    )
    feed = rss(
        [
            {"title": "Long report", "link": httpserver.url_for("/a/long"), "description": "d"},
            {"title": "Long teaser", "link": "http://n.example/404", "description": "t." * 3000},
        ]
    )
    url = serve_feed(httpserver, feed)
    settings = news_settings().model_copy(update={"max_item_text_chars": 2_000})
    src = source("feed", url, options={"max_articles_per_poll": 1})
    result = poll(src, settings=settings)
    by_title = {item.title: item for item in result.items}
    article, teaser = by_title["A very long report"], by_title["Long teaser"]
    for item in (article, teaser):
        assert item.text.endswith("(max_item_text_chars); the raw capture keeps all of it]")
        assert item.extra["text_cut"]["kept_chars"] <= 2_000 < len(item.text)
    assert article.extra["text_cut"]["original_chars"] > 39 * len(LONG)
    assert teaser.extra["text_cut"]["original_chars"] == 6_000
    page = next(c for c in result.captures if c.url.endswith("/a/long"))
    assert page.body.count(LONG.encode()) == 40  # the capture keeps it all


# --- the daemon's byte budget ---------------------------------------------------------------


async def _no_patience(seconds: float) -> None:
    """The budget's wait limit passes at once: a body that does not fit is refused."""


def _poll_within(src: Any, pool: CpuPool, state: SourceState | None = None) -> Any:
    settings = news_settings()

    async def go() -> Any:
        async with Http(settings.net) as http:
            ctx = CollectContext(settings, http, pool)
            return await get_collector(src.kind).poll(src, state or SourceState(), ctx)

    return asyncio.run(go())


def test_a_poll_gives_its_feed_s_room_back_before_it_fetches_the_articles(
    httpserver: HTTPServer,
) -> None:
    """Feed and article each take most of the budget: they fit one after the other only,
    so a poll that kept its feed's room while fetching an article would refuse itself."""
    padding = "p" * 600_000
    httpserver.expect_request("/a/1").respond_with_data(
        article_page("Report", [LONG, padding]), content_type="text/html"
    )
    link = httpserver.url_for("/a/1")
    url = serve_feed(httpserver, rss([{"title": "T", "link": link, "description": padding}]))
    pool = CpuPool(0, budget_bytes=MiB, budget_wait_seconds=60.0, sleep=_no_patience)
    result = _poll_within(source("feed", url), pool)
    assert [(i.title, "article_error" in i.extra) for i in result.items] == [("Report", False)]
    assert pool.budget is not None and pool.budget.refused == 0 and pool.budget.in_use == 0


def test_a_feed_that_finds_no_room_fails_its_poll_loudly_and_the_next_poll_stores_it(
    httpserver: HTTPServer,
) -> None:
    url = serve_feed(httpserver, rss([{"title": "T", "link": "https://example.org/1"}]))
    src = source("feed", url, options={"fetch_articles": False})
    pool = CpuPool(0, budget_bytes=MiB, budget_wait_seconds=60.0, sleep=_no_patience)
    others = pool.claim()  # every byte held by other polls' bodies
    assert asyncio.run(others.grow_to(MiB))
    with pytest.raises(CollectorError, match="deferred") as caught:
        _poll_within(src, pool)
    assert isinstance(caught.value.__cause__, BodyDeferred)
    others.release()  # they are done
    result = _poll_within(src, pool)
    assert [i.title for i in result.items] == ["T"]
    assert pool.budget is not None and pool.budget.in_use == 0


def test_a_web_source_s_home_page_is_read_within_the_budget_and_parsed_in_the_worker(
    httpserver: HTTPServer,
) -> None:
    """Discovery used to parse the home page with lxml in the daemon, outside the budget:
    a hostile 20 MiB page cost the daemon ~400 MB at each poll."""
    serve_home_page_linking_its_feed(httpserver)
    src = source("web", httpserver.url_for("/"), options={"fetch_articles": False})
    pool = CpuPool(1, budget_bytes=MiB, budget_wait_seconds=60.0, sleep=_no_patience)
    try:
        others = pool.claim()
        assert asyncio.run(others.grow_to(MiB))
        with pytest.raises(CollectorError, match=r"home page: .*deferred"):
            _poll_within(src, pool)
        others.release()
        result = _poll_within(src, pool)
    finally:
        pool.close()
    assert result.cursor["feed_url"] == httpserver.url_for("/rss.xml")
    assert len(result.items) == 10
    assert pool.budget is not None and pool.budget.in_use == 0


def test_a_recheck_reads_each_page_within_the_budget_and_leaves_a_deferred_one_for_later(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/removed").respond_with_data("gone", status=410)
    refs = [ItemRef("b", httpserver.url_for("/removed"), "h2", None)]
    src = source("feed", "http://unused.example/feed")
    pool = CpuPool(0, budget_bytes=MiB, budget_wait_seconds=60.0, sleep=_no_patience)
    settings = news_settings()

    def recheck() -> Any:
        async def go() -> Any:
            async with Http(settings.net) as http:
                ctx = CollectContext(settings, http, pool)
                return await get_collector("feed").reread(src, refs, ctx)

        return asyncio.run(go())

    others = pool.claim()
    assert asyncio.run(others.grow_to(MiB))  # other polls' bodies fill the budget
    assert recheck().items == []  # not read: no conclusion drawn, asked again next time
    others.release()
    assert [(i.external_id, i.deleted) for i in recheck().items] == [("b", True)]
    assert pool.budget is not None and pool.budget.refused == 1 and pool.budget.in_use == 0
