"""The X API v2 backend against a local server that plays the API (tests/x_fake_api.py).

The posts it serves are the real ones recorded in tests/fixtures/x (the
tweepy search cassette's ten posts, the twarc media post); edits, pages and
failures are staged on top of them.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from sourcewatch.collectors.base import CollectContext, CollectorError, SourceState
from sourcewatch.collectors.x.collector import XCollector
from sourcewatch.collectors.x.target import parse_target
from sourcewatch.config import Settings
from sourcewatch.net import Http
from sourcewatch.records import PollResult
from sourcewatch.sources.config import SourceConfig
from x_fake_api import TOKEN, FakeX, cassette_response, make_settings, recorded_json

ACCOUNT = SourceConfig(name="xdevelopers", kind="x", target="@XDevelopers")
SEARCH_POSTS = recorded_json("tweepy__test_client_search_recent_tweets.yaml")["data"]


def poll(settings: Settings, cursor: dict[str, Any], source: SourceConfig = ACCOUNT) -> PollResult:
    async def run() -> PollResult:
        async with Http(settings.net) as http:
            ctx = CollectContext(settings, http)
            return await XCollector().poll(source, SourceState(cursor=cursor), ctx)

    return asyncio.run(run())


@pytest.fixture
def fake(httpserver: HTTPServer) -> FakeX:
    fake = FakeX(httpserver).install()
    for tweet in reversed(SEARCH_POSTS):  # oldest first, as they were posted
        fake.posts.append(dict(tweet))
    return fake


def test_first_poll_resolves_the_account_once_and_reads_the_newest_posts(fake: FakeX) -> None:
    settings = make_settings(fake)
    result = poll(settings, {})

    assert [item.external_id for item in result.items] == [t["id"] for t in SEARCH_POSTS]
    first = result.items[0]
    assert first.text == "2022-10-07 22:42:12.637103 tweepy"
    assert first.author == "@XDevelopers"  # the default field set names no author: the account
    assert first.url == "https://x.com/xdevelopers/status/1578516068309794817"
    # the default field set has no created_at: the time comes from the snowflake id
    assert first.published_at == datetime(2022, 10, 7, 22, 42, 12, tzinfo=UTC)
    assert result.cursor is not None
    assert result.cursor["user_id"] == fake.user_id
    assert result.cursor["since_id"] == "1578516068309794817"

    lookup, page = fake.requests
    assert lookup.path == "/2/users/by/username/XDevelopers"
    assert page.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "edit_history_tweet_ids" in page.args["tweet.fields"]
    assert "attachments.media_keys" in page.args["expansions"]
    assert "variants" in page.args["media.fields"]
    # every API answer is archived as it came, and each item names its capture
    assert [c.kind for c in result.captures] == ["api", "api"]
    assert first.capture_sha256s == [result.captures[1].sha256]

    again = poll(settings, result.cursor)
    assert again.items == []
    assert len(fake.api_requests("/2/users/by/username/XDevelopers")) == 1  # cached in the cursor
    assert fake.requests[-1].args["since_id"] == "1578516068309794817"


def test_second_poll_with_since_id_returns_only_new_posts(fake: FakeX) -> None:
    settings = make_settings(fake)
    first = poll(settings, {})
    fake.post("1578600000000000000", "a new post &amp; an ampersand")
    second = poll(settings, first.cursor or {})

    assert [item.text for item in second.items] == ["a new post & an ampersand"]
    assert second.cursor is not None and second.cursor["since_id"] == "1578600000000000000"


def test_paging_follows_pagination_token_until_since_id(fake: FakeX) -> None:
    settings = make_settings(fake, page_size=10)
    cursor = poll(settings, {}).cursor or {}
    for n in range(25):
        fake.post(str(1578600000000000000 + n), f"post {n}")
    result = poll(settings, cursor)

    assert len(result.items) == 25
    pages = fake.api_requests(f"/2/users/{fake.user_id}/tweets")[-3:]
    assert [r.args.get("pagination_token") for r in pages] == [None, "page-10", "page-20"]
    assert all(r.args["since_id"] == "1578516068309794817" for r in pages)
    assert result.cursor is not None and result.cursor["since_id"] == "1578600000000000024"
    assert "resume" not in result.cursor


def test_page_cap_keeps_a_resume_token_and_the_next_poll_closes_the_gap(fake: FakeX) -> None:
    settings = make_settings(fake, page_size=10, max_pages_per_poll=1)
    cursor = poll(settings, {}).cursor or {}
    for n in range(15):
        fake.post(str(1578600000000000000 + n), f"post {n}")

    partial = poll(settings, cursor)
    assert len(partial.items) == 10
    assert partial.cursor is not None
    assert partial.cursor["since_id"] == "1578516068309794817"  # not moved past the gap
    assert partial.cursor["resume"] == {"token": "page-10", "newest_id": "1578600000000000014"}

    rest = poll(settings, partial.cursor)
    assert [i.text for i in rest.items] == [f"post {n}" for n in range(4, -1, -1)]
    assert fake.requests[-1].args["pagination_token"] == "page-10"
    assert rest.cursor is not None and rest.cursor["since_id"] == "1578600000000000014"
    assert "resume" not in rest.cursor


def test_a_resume_token_x_refuses_is_dropped_and_the_gap_read_afresh(fake: FakeX) -> None:
    settings = make_settings(fake, page_size=10)
    cursor = poll(settings, {}).cursor or {}
    for n in range(5):
        fake.post(str(1578600000000000000 + n), f"post {n}")
    stale = {**cursor, "resume": {"token": "expired", "newest_id": "1578600000000000002"}}
    fake.fail_next(400, json.dumps({"errors": [{"message": "Invalid pagination_token"}]}))
    result = poll(settings, stale)
    assert [i.text for i in result.items] == [f"post {n}" for n in range(4, -1, -1)]
    assert result.cursor is not None and "resume" not in result.cursor
    assert result.cursor["since_id"] == "1578600000000000004"


def test_other_http_errors_name_status_and_x_words(fake: FakeX) -> None:
    settings = make_settings(fake)
    cursor = poll(settings, {}).cursor or {}
    fake.fail_next(400, json.dumps({"errors": [{"message": "Invalid 'since_id'"}]}))
    with pytest.raises(CollectorError) as caught:
        poll(settings, cursor)
    assert "HTTP 400" in str(caught.value) and "Invalid 'since_id'" in str(caught.value)


def test_first_poll_reads_only_the_newest_posts(fake: FakeX) -> None:
    settings = make_settings(fake, page_size=10, first_poll_posts=10)
    for n in range(30):
        fake.post(str(1578600000000000000 + n), f"post {n}")
    result = poll(settings, {})
    assert len(result.items) == 10
    assert result.cursor is not None and result.cursor["since_id"] == "1578600000000000029"
    assert "resume" not in result.cursor  # no backfill of older posts


def test_an_edited_post_is_the_same_item_with_new_text(fake: FakeX) -> None:
    settings = make_settings(fake)
    fake.post(
        "1578600000000000000",
        "IS claims attack near Deir ez-Zor",
        created_at="2022-10-08T04:15:43.000Z",
    )
    first = poll(settings, {})
    fake.edit(
        "1578600000000000000",
        "1578600100000000000",
        "IS claims attack near al-Busayrah",
        created_at="2022-10-08T04:16:07.000Z",
    )
    second = poll(settings, first.cursor or {})

    (edited,) = second.items
    assert edited.external_id == "1578600000000000000"  # the original id
    assert edited.text == "IS claims attack near al-Busayrah"
    assert edited.edited is True
    assert edited.extra["post_id"] == "1578600100000000000"
    assert edited.extra["edit_history_tweet_ids"] == ["1578600000000000000", "1578600100000000000"]
    # first published when the original was; edited when the new version was posted
    assert edited.published_at == datetime(
        2022, 10, 8, 4, 15, 43, tzinfo=UTC
    )  # whole seconds, as unedited
    assert edited.edited_at == datetime(2022, 10, 8, 4, 16, 7, tzinfo=UTC)
    assert edited.url == "https://x.com/xdevelopers/status/1578600000000000000"
    assert edited.content_hash() != first.items[0].content_hash()


def test_429_raises_with_the_reset_time_and_archives_nothing(fake: FakeX) -> None:
    settings = make_settings(fake)
    cursor = poll(settings, {}).cursor or {}
    reset = int(time.time()) + 600
    fake.fail_next(429, b'{"title":"Too Many Requests"}', **{"x-rate-limit-reset": str(reset)})
    with pytest.raises(CollectorError) as caught:
        poll(settings, cursor)
    assert caught.value.retry_after is not None
    assert 590 <= caught.value.retry_after <= 600
    assert "rate limit" in str(caught.value)


def test_429_on_the_account_lookup_is_a_wait_too(fake: FakeX) -> None:
    fake.fail_next(429, b"", **{"x-rate-limit-reset": str(int(time.time()) + 300)})
    with pytest.raises(CollectorError) as caught:
        poll(make_settings(fake), {})
    assert caught.value.retry_after is not None and 290 <= caught.value.retry_after <= 300
    assert "looking up the account" in str(caught.value)


def test_remaining_zero_returns_what_was_read_then_waits_for_the_reset(fake: FakeX) -> None:
    settings = make_settings(fake, page_size=10)
    fake.rate_remaining = 2  # the lookup and one page, then none left
    result = poll(settings, {})
    assert len(result.items) == 10
    assert result.cursor is not None
    assert result.cursor["rate_limited_until"] == fake.rate_reset
    asked = len(fake.requests)

    with pytest.raises(CollectorError) as caught:
        poll(settings, result.cursor)
    assert len(fake.requests) == asked  # the source waited: no request at all
    assert caught.value.retry_after is not None and caught.value.retry_after > 800


def test_401_is_a_configuration_error_that_does_not_print_the_token(fake: FakeX) -> None:
    fake.fail_next(
        401, json.dumps({"title": "Unauthorized", "status": 401, "detail": "Unauthorized"})
    )
    with pytest.raises(CollectorError) as caught:
        poll(make_settings(fake), {})
    message = str(caught.value)
    assert message.startswith("xdevelopers: ")
    assert "bearer token" in message and "SOURCEWATCH_X__BEARER_TOKEN" in message
    assert TOKEN not in message and "secret" not in message


def test_403_names_the_permission_problem_in_x_words_made_printable(fake: FakeX) -> None:
    detail = (
        "When authenticating requests to the Twitter API v2 endpoints, you must use keys and "
        "tokens from a Twitter developer App that is attached to a Project.\x1b[2J"
    )
    fake.fail_next(403, json.dumps({"title": "Client Forbidden", "detail": detail}))
    with pytest.raises(CollectorError) as caught:
        poll(make_settings(fake), {})
    message = str(caught.value)
    assert "HTTP 403" in message and "not permitted" in message
    assert "attached to a Project" in message
    assert "\x1b" not in message


@pytest.mark.parametrize(
    "body",
    [
        b'{"data": [{"id": "1", "text": "trunc',
        b"<html>Over capacity</html>",
        b"\xff\xfe\x00garbage",
        b"[" * 100_000,
    ],
    ids=["truncated", "html", "binary", "deeply-nested"],
)
def test_a_malformed_body_is_a_clear_error(fake: FakeX, body: bytes) -> None:
    settings = make_settings(fake)
    cursor = poll(settings, {}).cursor or {}
    fake.fail_next(200, body, **{"content-type": "application/json"})
    with pytest.raises(CollectorError) as caught:
        poll(settings, cursor)
    assert "not JSON" in str(caught.value)


def test_well_formed_json_of_the_wrong_shape_is_a_clear_error(fake: FakeX) -> None:
    settings = make_settings(fake)
    cursor = poll(settings, {}).cursor or {}
    fake.fail_next(200, json.dumps({"data": [{"id": "not-a-number", "text": "x"}]}))
    with pytest.raises(CollectorError) as caught:
        poll(settings, cursor)
    assert "numeric" in str(caught.value)


def test_unknown_account_is_named(fake: FakeX) -> None:
    fake.fail_next(
        200,
        json.dumps(
            {
                "errors": [
                    {
                        "title": "Not Found Error",
                        "detail": "Could not find user with username: [XDevelopers].",
                    }
                ]
            }
        ),
    )
    with pytest.raises(CollectorError) as caught:
        poll(make_settings(fake), {})
    assert "Could not find user" in str(caught.value)


def test_without_a_token_no_request_is_made(fake: FakeX) -> None:
    with pytest.raises(CollectorError) as caught:
        poll(make_settings(fake, token=None), {})
    assert "bearer token" in str(caught.value)
    assert fake.requests == []


def test_the_issue_s_env_name_is_accepted_too(fake: FakeX, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCEWATCH_X_BEARER_TOKEN", "from-the-other-variable")
    poll(make_settings(fake, token=None), {})
    assert fake.requests[-1].headers["Authorization"] == "Bearer from-the-other-variable"


def test_daily_budget_stops_reading_and_then_refuses_until_midnight(fake: FakeX) -> None:
    settings = make_settings(fake, page_size=10, daily_read_budget=15)
    for n in range(20):
        fake.post(str(1578600000000000000 + n), f"post {n}")
    result = poll(settings, {})
    assert len(result.items) == 15  # a page of 10, then a page of the 5 left
    assert fake.requests[-1].args["max_results"] == "5"
    assert result.cursor is not None
    assert result.cursor["budget_used"] == 15
    assert result.cursor["budget_day"] == datetime.now(UTC).date().isoformat()

    asked = len(fake.requests)
    with pytest.raises(CollectorError) as caught:
        poll(settings, result.cursor)
    assert "budget of 15 posts reached" in str(caught.value)
    assert caught.value.retry_after is not None and 0 < caught.value.retry_after <= 86400
    assert len(fake.requests) == asked


def test_yesterday_s_budget_does_not_count_today(fake: FakeX) -> None:
    settings = make_settings(fake, daily_read_budget=15)
    cursor = {
        "stream": "account:xdevelopers",
        "user_id": fake.user_id,
        "budget_day": "2020-01-01",
        "budget_used": 15,
    }
    result = poll(settings, cursor)
    assert len(result.items) == 10
    assert result.cursor is not None and result.cursor["budget_used"] == 10


def test_a_search_target_reads_recent_search(fake: FakeX) -> None:
    source = SourceConfig(
        name="pk-osint", kind="x", target="search:from:KhyberScoop OR from:AfghanAnalyst2"
    )
    result = poll(make_settings(fake), {}, source)
    (request,) = fake.requests
    assert request.path == "/2/tweets/search/recent"
    assert request.args["query"] == "from:KhyberScoop OR from:AfghanAnalyst2"
    assert len(result.items) == 10
    assert result.cursor is not None
    assert result.cursor["stream"] == "search:from:KhyberScoop OR from:AfghanAnalyst2"


def test_a_changed_target_starts_afresh(fake: FakeX) -> None:
    old_cursor = {
        "stream": "account:someoneelse",
        "user_id": "1",
        "since_id": "1578516068309794817",
    }
    result = poll(make_settings(fake), old_cursor)
    assert len(result.items) == 10
    assert fake.requests[0].path == "/2/users/by/username/XDevelopers"


@pytest.mark.parametrize(
    ("target", "options", "mode", "value"),
    [
        ("@AfghanAnalyst2", {}, "account", "AfghanAnalyst2"),
        ("AfghanAnalyst2", {}, "account", "AfghanAnalyst2"),
        ("https://twitter.com/AfghanAnalyst2", {}, "account", "AfghanAnalyst2"),
        ("search: from:a OR from:b", {}, "search", "from:a OR from:b"),
        ("Wagner Mali lang:fr", {"mode": "search"}, "search", "Wagner Mali lang:fr"),
    ],
)
def test_targets(target: str, options: dict[str, str], mode: str, value: str) -> None:
    parsed = parse_target(SourceConfig(name="s", kind="x", target=target, options=options))
    assert (parsed.mode, parsed.value) == (mode, value)


@pytest.mark.parametrize(
    ("target", "options"),
    [("two words", {}), ("@name/with/slash", {}), ("search:", {}), ("@ok", {"mode": "timeline"})],
)
def test_bad_targets_are_named(target: str, options: dict[str, str]) -> None:
    with pytest.raises(CollectorError) as caught:
        parse_target(SourceConfig(name="bad-x", kind="x", target=target, options=options))
    assert str(caught.value).startswith("bad-x: ")


def test_media_are_archived_up_to_the_cap(fake: FakeX, httpserver: HTTPServer) -> None:
    photo = b"\xff\xd8\xff\xe0" + b"JFIF photo bytes" * 100
    httpserver.expect_request("/media/photo.jpg").respond_with_data(
        photo, content_type="image/jpeg"
    )
    httpserver.expect_request("/media/big.mp4").respond_with_data(
        b"v" * 5000, content_type="video/mp4"
    )
    fake.includes = {
        "media": [
            {"media_key": "3_1", "type": "photo", "url": httpserver.url_for("/media/photo.jpg")},
            {
                "media_key": "7_2",
                "type": "video",
                "preview_image_url": httpserver.url_for("/media/thumb.jpg"),
                "variants": [
                    {
                        "bit_rate": 256000,
                        "content_type": "video/mp4",
                        "url": httpserver.url_for("/media/small.mp4"),
                    },
                    {
                        "content_type": "application/x-mpegURL",
                        "url": httpserver.url_for("/media/pl.m3u8"),
                    },
                    {
                        "bit_rate": 2176000,
                        "content_type": "video/mp4",
                        "url": httpserver.url_for("/media/big.mp4"),
                    },
                ],
            },
        ]
    }
    fake.post(
        "1578600000000000000",
        "with media https://t.co/abc",
        attachments={"media_keys": ["3_1", "7_2"]},
        entities={
            "urls": [
                {
                    "url": "https://t.co/abc",
                    "expanded_url": "https://x.com/XDevelopers/status/1578600000000000000/photo/1",
                    "media_key": "3_1",
                }
            ]
        },
    )
    result = poll(make_settings(fake, media_max_bytes=4096), {})

    item = next(i for i in result.items if i.external_id == "1578600000000000000")
    assert item.text == "with media"
    photo_ref, video_ref = item.media
    media_captures = [c for c in result.captures if c.kind == "media"]
    assert [c.body for c in media_captures] == [photo]
    assert photo_ref.sha256 == media_captures[0].sha256 and photo_ref.size == len(photo)
    assert photo_ref.sha256 in item.capture_sha256s
    assert video_ref.url == httpserver.url_for("/media/big.mp4")  # the best mp4 variant
    assert video_ref.sha256 is None
    assert video_ref.note is not None and "4096-byte media cap" in video_ref.note


def test_an_oversized_answer_is_cut_off_and_named(fake: FakeX) -> None:
    settings = make_settings(fake, net={"max_body_bytes": 2000})
    cursor = poll(settings, {}).cursor or {}
    fake.fail_next(200, b'{"data": [' + b" " * 5000 + b"]}")
    with pytest.raises(CollectorError) as caught:
        poll(settings, cursor)
    assert "2000-byte cap" in str(caught.value)


def test_media_on_private_addresses_are_not_fetched(fake: FakeX, httpserver: HTTPServer) -> None:
    # a hostile payload must not make the collector fetch from the local network
    fake.includes = {
        "media": [{"media_key": "3_1", "type": "photo", "url": httpserver.url_for("/admin.jpg")}]
    }
    fake.post("1578600000000000000", "look", attachments={"media_keys": ["3_1"]})
    result = poll(make_settings(fake, net={"allow_private_addresses": False}), {})
    (photo,) = next(i for i in result.items if i.external_id == "1578600000000000000").media
    assert photo.sha256 is None
    assert photo.note is not None and "non-public address" in photo.note
    assert not [r for r in fake.server.log if r[0].path == "/admin.jpg"]


def test_the_recorded_timeline_response_parses_into_items(httpserver: HTTPServer) -> None:
    body, headers = cassette_response("tweepy__test_client_get_users_tweets.yaml")
    rate_headers = {k: v for k, v in headers.items() if k.startswith("x-rate-limit")}

    def timeline(request: Request) -> Response:
        if "pagination_token" in request.args:  # the recorded next_token, followed
            return Response('{"meta": {"result_count": 0}}', headers=rate_headers)
        return Response(body, headers={**rate_headers, "content-type": headers["content-type"]})

    httpserver.expect_request("/2/users/783214/tweets").respond_with_handler(timeline)
    settings = make_settings(FakeX(httpserver), download_media=False)
    cursor = {
        "stream": "account:twitterdev",
        "user_id": "783214",
        "since_id": "1565318587736285183",
    }
    source = SourceConfig(name="twitterdev", kind="x", target="@TwitterDev")
    result = poll(settings, cursor, source)

    assert [i.external_id for i in result.items] == ["1577730467436138524", "1565318587736285184"]
    assert result.items[1].text == (
        "if you see an edited Tweet it's because we're testing the edit button\n\n"
        "this is happening and you'll be okay"
    )
    assert result.items[0].author == "@TwitterDev"
    assert result.items[0].url == "https://x.com/twitterdev/status/1577730467436138524"
    assert result.captures[0].body == body  # archived byte for byte
    assert result.cursor is not None
    assert result.cursor["since_id"] == "1577730467436138524"  # the recorded meta.newest_id
    # the recorded headers said 1498 calls left: no pause
    assert "rate_limited_until" not in result.cursor


def test_registry_knows_the_x_kind() -> None:
    from sourcewatch.collectors.registry import get_collector

    assert isinstance(get_collector("x"), XCollector)
