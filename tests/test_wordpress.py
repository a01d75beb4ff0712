"""WordPress collector (jihadology.net is a WordPress site) against recorded REST and RSS
answers served on loopback."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from news_support import fixture_bytes, news_settings, next_state, poll, source
from sourcewatch.collectors.base import CollectorError, SourceState
from sourcewatch.collectors.formats import (
    ImportContext,
    ImportFileError,
    is_streamed,
    iter_import_items,
)
from sourcewatch.collectors.registry import get_format
from sourcewatch.net import Http
from sourcewatch.polling.pipeline import poll_source

POSTS_JSON = "python-wp__wp-json_wp_v2_posts.json"
WP_FEED = "wordpress__wordpress-org-news.xml"
PDF = b"%PDF-1.4\n% al-Naba 406\n" + bytes(range(256)) * 40


def recorded_posts(httpserver: HTTPServer) -> list[dict[str, Any]]:
    """The recorded demo.wp-api.org answer, its links pointed at the local server."""
    text = fixture_bytes(POSTS_JSON).decode()
    return json.loads(text.replace("https:\\/\\/demo.wp-api.org", httpserver.url_for("")[:-1]))


def serve_posts(httpserver: HTTPServer, pages: list[list[dict[str, Any]]]) -> None:
    def answer(request: Request) -> Response:
        page = int(request.args.get("page", "1"))
        return Response(
            json.dumps(pages[page - 1]),
            content_type="application/json",
            headers={"X-WP-Total": "99", "X-WP-TotalPages": str(len(pages))},
        )

    httpserver.expect_request("/wp-json/wp/v2/posts").respond_with_handler(answer)


def no_media(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/wp-json/wp/v2/media").respond_with_json([])


def api_queries(httpserver: HTTPServer) -> list[dict[str, list[str]]]:
    return [
        parse_qs(request.query_string.decode())
        for request, _ in httpserver.log
        if request.path == "/wp-json/wp/v2/posts"
    ]


def test_rest_posts_become_items_keyed_by_post_id(httpserver: HTTPServer) -> None:
    serve_posts(httpserver, [recorded_posts(httpserver)])
    no_media(httpserver)
    result = poll(source("wordpress", httpserver.url_for("/"), name="jihadology"))

    assert [i.external_id for i in result.items][:3] == ["470", "469", "457"]
    first = result.items[0]
    assert first.title == "This is a test post!" and first.text == "This is a test post!"
    assert first.url == httpserver.url_for("/2016/09/03/this-is-a-test-post/")
    assert first.extra["categories"] == [1] and first.extra["author_id"] == 135
    assert result.cursor["newest_modified_gmt"] == "2016-09-03T13:54:33"
    [query] = api_queries(httpserver)
    assert query["order"] == ["desc"] and query["orderby"] == ["modified"]
    assert "modified_after" not in query  # the first poll reads the latest page only


def test_next_poll_asks_for_changes_pages_through_and_yields_the_edit(
    httpserver: HTTPServer,
) -> None:
    posts = recorded_posts(httpserver)
    serve_posts(httpserver, [posts])
    no_media(httpserver)
    src = source("wordpress", httpserver.url_for("/"))
    first = poll(src)

    httpserver.clear()
    edited = dict(posts[0], modified_gmt="2016-09-04T08:00:00")
    edited["content"] = {"rendered": "<p>This is an edited test post.</p>"}
    serve_posts(httpserver, [[posts[1], edited], [posts[2]]])
    no_media(httpserver)
    second = poll(src, next_state(first))

    assert [(i.external_id, i.text) for i in second.items] == [
        ("470", "This is an edited test post.")
    ]
    queries = api_queries(httpserver)
    assert [q["page"] for q in queries] == [["1"], ["2"]]  # X-WP-TotalPages: 2
    assert queries[0]["modified_after"] == ["2016-09-02T13:54:33"]  # newest less a day
    assert queries[0]["order"] == ["asc"]
    assert second.cursor["newest_modified_gmt"] == "2016-09-04T08:00:00"


def test_attachments_are_downloaded_or_noted(httpserver: HTTPServer) -> None:
    base = httpserver.url_for("")[:-1]
    post = {
        "id": 52311,
        "link": f"{base}/2023/08/31/new-issue-of-the-islamic-states-newsletter-al-naba-406/",
        "date_gmt": "2023-08-31T18:02:11",
        "modified_gmt": "2023-08-31T18:02:11",
        "title": {
            "rendered": "New issue of The Islamic State&#8217;s newsletter: al-Naba&#8217; #406"
        },
        "content": {
            "rendered": '<p>Click the following link for a safe PDF copy: <a href="/wp-content/'
            'uploads/2023/08/naba-406.pdf">al-Naba&#8217; 406</a></p>'
            '<p><a href="https://jihadology.net/category/islamic-state/">more</a></p>'
        },
        "categories": [7],
        "tags": [31, 32],
        "_embedded": {
            "author": [{"name": "Aaron Y. Zelin"}],
            "wp:term": [
                [{"taxonomy": "category", "name": "Islamic State"}],
                [{"taxonomy": "post_tag", "name": "al-Naba&#8217;"}],
            ],
        },
    }
    serve_posts(httpserver, [[post]])
    httpserver.expect_request("/wp-content/uploads/2023/08/naba-406.pdf").respond_with_data(
        PDF, content_type="application/pdf"
    )
    httpserver.expect_request("/wp-content/uploads/2023/08/video.mp4").respond_with_data(
        b"\0" * 30_000, content_type="video/mp4"
    )
    httpserver.expect_request("/wp-json/wp/v2/media").respond_with_json(
        [
            {
                "source_url": f"{base}/wp-content/uploads/2023/08/video.mp4",
                "mime_type": "video/mp4",
                "title": {"rendered": "Video release"},
                "media_details": {},
            },
            {
                "source_url": f"{base}/wp-content/uploads/2023/08/huge.mp4",
                "mime_type": "video/mp4",
                "media_details": {"filesize": 900_000_000},
            },
        ]
    )
    result = poll(source("wordpress", base + "/"), settings=news_settings(media_max_bytes=20_000))

    [item] = result.items
    assert item.title == "New issue of The Islamic State’s newsletter: al-Naba’ #406"
    assert item.author == "Aaron Y. Zelin"
    assert item.extra["categories"] == ["Islamic State"] and item.extra["tags"] == ["al-Naba’"]
    pdf, video, huge = item.media
    assert (pdf.name, pdf.media_type, pdf.size) == ("naba-406.pdf", "application/pdf", len(PDF))
    attachment = next(c for c in result.captures if c.kind == "attachment")
    assert pdf.sha256 == attachment.sha256 and attachment.body == PDF
    assert pdf.sha256 in item.capture_sha256s
    # 30 000 bytes is over a 20 000-byte cap: recorded by URL with a note, not kept.
    assert video.sha256 is None and "over the 20000-byte media cap" in (video.note or "")
    assert huge.size == 900_000_000 and huge.note and huge.note.startswith("not fetched")
    requested = [r.path for r, _ in httpserver.log]
    assert "/wp-content/uploads/2023/08/huge.mp4" not in requested  # declared size sufficed


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (404, '{"code":"rest_no_route"}', "application/json"),
        (401, '{"code":"rest_cannot_access"}', "application/json"),
        (200, "<html><body>Home</body></html>", "text/html"),
    ],
    ids=["404", "401", "html"],
)
def test_closed_api_falls_back_to_the_rss_feed(
    httpserver: HTTPServer, status: int, body: str, content_type: str
) -> None:
    httpserver.expect_request("/wp-json/wp/v2/posts").respond_with_data(
        body, status=status, content_type=content_type
    )
    httpserver.expect_request("/feed/").respond_with_data(
        fixture_bytes(WP_FEED), content_type="application/rss+xml", headers={"ETag": '"f1"'}
    )
    # The feed's images live on the Jetpack CDN: list them, do not fetch (no internet here).
    src = source("wordpress", httpserver.url_for("/"), options={"download_attachments": False})
    result = poll(src)
    assert len(result.items) == 10
    learn = result.items[0]
    assert learn.external_id == "9444" and learn.extra["wp_id"] == 9444  # guid ?p=9444
    assert learn.extra["categories"][0] == "Updates"
    assert result.cursor["mode"] == "rss" and result.etag == '"f1"'
    images = [m for i in result.items for m in i.media if m.url and "wp.com" in m.url]
    assert images and all(m.note == "not fetched: download_attachments is off" for m in images)


def test_malformed_post_is_an_error_naming_the_source(httpserver: HTTPServer) -> None:
    serve_posts(httpserver, [[{"title": {"rendered": "no id"}}]])
    with pytest.raises(
        CollectorError, match=r"^jihadology: WordPress API .*post #1 has no integer id"
    ):
        poll(source("wordpress", httpserver.url_for("/"), name="jihadology"))


def test_api_server_error_is_not_mistaken_for_a_closed_api(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/wp-json/wp/v2/posts").respond_with_data("", status=502)
    with pytest.raises(CollectorError, match=r"WordPress API .* answered HTTP 502"):
        poll(source("wordpress", httpserver.url_for("/")))


def test_import_wp_json() -> None:
    ctx = ImportContext(source=None, url=None, filename="posts.json")
    items = get_format("wp-json")(fixture_bytes(POSTS_JSON), ctx)
    assert len(items) == 10 and items[0].external_id == "470"
    assert all(re.search(r"\w", item.text) for item in items)
    assert items[0].published_at == datetime(2016, 9, 3, 13, 54, 33, tzinfo=UTC)


def test_import_wp_json_rejects_bad_input() -> None:
    ctx = ImportContext(source=None, url=None, filename="posts.json")
    with pytest.raises(ImportFileError, match=r"posts.json: bad JSON: .*line 1, column \d+"):
        get_format("wp-json")(b'[{"id": 1,', ctx)
    with pytest.raises(ImportFileError, match="API error 'rest_forbidden'"):
        get_format("wp-json")(b'{"code": "rest_forbidden", "message": "Sorry"}', ctx)


def test_poll_ingest_and_a_modified_post_becomes_a_revision(
    httpserver: HTTPServer, workspace: Any
) -> None:
    posts = recorded_posts(httpserver)
    edited = dict(posts[0], modified_gmt="2016-09-05T10:00:00")
    edited["content"] = {"rendered": "<p>This test post was corrected.</p>"}
    answers = [posts, [edited]]  # first poll, then the change
    httpserver.expect_request("/wp-json/wp/v2/posts").respond_with_handler(
        lambda request: Response(
            json.dumps(answers.pop(0)),
            content_type="application/json",
            headers={"X-WP-TotalPages": "1"},
        )
    )
    no_media(httpserver)
    workspace.settings.net.per_host_interval = 0.0
    src = source("wordpress", httpserver.url_for("/"), name="jihadology")

    async def two_polls() -> list[Any]:
        async with Http(workspace.settings.net) as http:
            return [await poll_source(workspace, src, http) for _ in range(2)]

    first, second = asyncio.run(two_polls())
    assert (first.new, second.new, second.edited) == (10, 0, 1)
    with workspace.engine.connect() as conn:
        texts = conn.execute(
            sa.text(
                "SELECT r.text FROM item_revision r JOIN item i ON i.id = r.item_id "
                "WHERE i.external_id = '470' ORDER BY r.revision"
            )
        ).scalars()
        assert list(texts) == ["This is a test post!", "This test post was corrected."]


def test_old_wordpress_ignoring_modified_after_is_read_newest_first(
    httpserver: HTTPServer,
) -> None:
    # Before WordPress 5.7 the filter is ignored: ascending order would return the
    # archive's oldest posts. The collector notices and reads the newest page instead.
    posts = recorded_posts(httpserver)
    oldest_first, newest_first = list(reversed(posts)), posts

    def answer(request: Request) -> Response:
        ordered = oldest_first if request.args.get("order") == "asc" else newest_first
        return Response(json.dumps(ordered), content_type="application/json")

    httpserver.expect_request("/wp-json/wp/v2/posts").respond_with_handler(answer)
    no_media(httpserver)
    state = SourceState(cursor={"newest_modified_gmt": "2016-09-03T13:54:33", "seen": {}})
    result = poll(source("wordpress", httpserver.url_for("/")), state)
    assert [q.get("order") for q in api_queries(httpserver)] == [["asc"], ["desc"]]
    assert result.items[0].external_id == "470" and len(result.items) == 10


# --- issue #18: only posts become items (REST mocks: python-wp, WordPress's wp-api.js fixtures) ---

NOT_POSTS = [
    ("wp-api-generated__UsersCollection.json", "a WordPress user"),
    ("python-wp__categories.json", "a WordPress category or tag"),
    ("python-wp__tags.json", "a WordPress category or tag"),
    ("wp-api-generated__CommentsCollection.json", "a WordPress comment"),
]


@pytest.mark.parametrize(("name", "what"), NOT_POSTS)
def test_users_terms_and_comments_are_refused_not_stored_as_posts(name: str, what: str) -> None:
    ctx = ImportContext(source=None, url=None, filename=name)
    with pytest.raises(ImportFileError, match=f"object #1 .* is {what}"):
        get_format("wp-json")(fixture_bytes(name), ctx)


def test_an_author_object_does_not_overwrite_post_1(httpserver: HTTPServer) -> None:
    # The API answering /posts with users (a proxy or plugin mixing up routes): their
    # ids (1, 2) are not post ids. The poll fails loudly instead of storing them.
    users = json.loads(fixture_bytes("wp-api-generated__UsersCollection.json"))
    serve_posts(httpserver, [users])
    no_media(httpserver)
    with pytest.raises(CollectorError, match="is a WordPress user"):
        poll(source("wordpress", httpserver.url_for("/"), name="jihadology"))


def test_pages_and_attachments_have_their_own_id_space() -> None:
    posts = json.loads(fixture_bytes(POSTS_JSON))
    page = {**posts[0], "id": 470, "type": "page"}
    attachment = {**posts[1], "id": 469, "type": "attachment"}
    data = json.dumps([posts[0], page, attachment]).encode()
    ctx = ImportContext(source=None, url=None, filename="mixed.json")
    items = get_format("wp-json")(data, ctx)
    assert [i.external_id for i in items] == ["470", "page:470", "attachment:469"]
    assert items[1].extra["wp_type"] == "page"


def test_a_media_listing_of_users_is_refused(httpserver: HTTPServer) -> None:
    serve_posts(httpserver, [recorded_posts(httpserver)[:1]])
    users = json.loads(fixture_bytes("wp-api-generated__UsersCollection.json"))
    httpserver.expect_request("/wp-json/wp/v2/media").respond_with_json(users)
    with pytest.raises(CollectorError, match="media listing object #1 is a user"):
        poll(source("wordpress", httpserver.url_for("/"), name="jihadology"))


def test_a_placeholder_or_future_post_date_is_no_publication_date() -> None:
    posts = json.loads(fixture_bytes(POSTS_JSON))
    placeholder = {**posts[0], "date_gmt": "0001-01-01T00:00:00"}
    scheduled = {**posts[1], "date_gmt": "2999-01-01T00:00:00"}
    data = json.dumps([placeholder, scheduled, posts[2]]).encode()
    ctx = ImportContext(source=None, url=None, filename="dates.json")
    items = get_format("wp-json")(data, ctx)
    assert [i.published_at for i in items[:2]] == [None, None]
    assert items[2].published_at is not None and items[2].published_at.year == 2016


def test_rss_mode_reports_skipped_entries(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/wp-json/wp/v2/posts").respond_with_data("", status=404)
    feed = fixture_bytes(WP_FEED).decode()
    start = feed.index("<item>")
    feed = feed[:start] + "<item></item>" + feed[start:]
    httpserver.expect_request("/feed/").respond_with_data(feed, content_type="application/rss+xml")
    result = poll(
        source(
            "wordpress",
            httpserver.url_for("/"),
            name="jihadology",
            options={"download_attachments": False},
        )
    )
    assert result.skipped == ["entry #1: no id, no link, no title and no content"]
    assert len(result.items) == 10


def test_an_rss_post_over_the_text_cap_records_the_cut() -> None:
    from sourcewatch.collectors.news.feedparse import parse_feed
    from sourcewatch.collectors.wordpress.posts import rss_post

    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item>'
        "<guid>https://example.org/?p=7</guid><title>Long</title>"
        f"<description>{'statement ' * 500}</description></item></channel></rss>"
    ).encode()
    entry = parse_feed(body, url="https://example.org/feed/", max_text_chars=1_000).entries[0]
    item = rss_post(entry).item
    assert item.extra["text_cut"] == {"kept_chars": 999, "original_chars": 4_999}
    assert item.text.endswith("the raw capture keeps all of it]")


def test_a_saved_list_of_posts_is_imported_one_post_at_a_time(tmp_path: Path) -> None:
    """A JSON array of posts is streamed (no 64 MiB limit for it, issue 19) and gives
    exactly what parsing it whole gives; one post (an object) is parsed whole."""
    saved = tmp_path / "posts.json"
    saved.write_bytes(fixture_bytes(POSTS_JSON))
    ctx = ImportContext(source=None, url=None, filename="posts.json")
    assert is_streamed(saved, "wp-json")
    streamed = list(iter_import_items(saved, "wp-json", ctx))
    assert streamed == get_format("wp-json")(fixture_bytes(POSTS_JSON), ctx)
    assert len(streamed) == 10 and streamed[0].external_id == "470"
    one = tmp_path / "post.json"
    one.write_text(json.dumps(json.loads(fixture_bytes(POSTS_JSON))[0]))
    assert not is_streamed(one, "wp-json")
    assert [i.external_id for i in iter_import_items(one, "wp-json", ctx)] == ["470"]


def test_a_streamed_list_of_posts_names_what_is_wrong_in_it(tmp_path: Path) -> None:
    ctx = ImportContext(source=None, url=None, filename="posts.json")
    posts = json.loads(fixture_bytes(POSTS_JSON))
    cases = {
        json.dumps(posts[:2])[:-1] + ", {": "posts.json: bad JSON: parse error: premature EOF",
        json.dumps([posts[0], "x"]): "posts.json: post #2 is str, not an object",
        json.dumps([posts[0], {"id": 3, "roles": []}]): "posts.json: object #2 (id 3) is",
        "[" + "[" * 200 + "]" * 200 + "]": "posts.json: JSON nested deeper than 100 levels",
    }
    for text, problem in cases.items():
        saved = tmp_path / "bad.json"
        saved.write_text(text)
        with pytest.raises(ImportFileError, match=re.escape(problem)):
            list(iter_import_items(saved, "wp-json", ctx))
