"""The shared HTTP client against a real HTTP server on loopback (pytest-httpserver).

Loopback is a private address, so these tests call ``fetch`` without
``guard_private`` except where the guard itself is under test.
"""

from __future__ import annotations

import asyncio
import gzip
import re
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import brotli
import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from sourcewatch.collectors.bytebudget import ByteBudget
from sourcewatch.config import NetSettings
from sourcewatch.net import (
    BadContentEncoding,
    BlockedAddress,
    BodyDeferred,
    ConnectFailed,
    FetchError,
    FetchTimeout,
    Http,
    ResponseTooLarge,
    RetryLater,
    TooManyRedirects,
    decode_body,
)
from sourcewatch.net.content_coding import CappedDecoder
from sourcewatch.net.limits import HostLimiter
from sourcewatch.net.retry import parse_retry_after

MiB = 1024 * 1024

ARABIC = "أعلن تنظيم الدولة الإسلامية مسؤوليته عن الهجوم في دير الزور"
RUSSIAN = "Министерство обороны сообщило об ударе по позициям боевиков в Сирии"


def run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(coro)  # type: ignore[arg-type]


class SleepRecorder:
    """Stands in for asyncio.sleep: records the delays and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def net_settings(**overrides: Any) -> NetSettings:
    base: dict[str, Any] = {"per_host_interval": 0.0, "retries": 2, "backoff_base": 0.5}
    base.update(overrides)
    return NetSettings(**base)


async def fetch(net: NetSettings, url: str, sleep: SleepRecorder | None = None, **kw: Any):
    async with Http(net, sleep=sleep or SleepRecorder()) as http:
        return await http.fetch(url, **kw)


def test_fetch_records_the_exchange_as_a_capture(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/page", headers={"User-Agent": "test-agent/1"}).respond_with_data(
        "<html><body>hello</body></html>", content_type="text/html; charset=utf-8"
    )
    fetched = run(fetch(net_settings(user_agent="test-agent/1"), httpserver.url_for("/page")))

    assert fetched.status == 200 and fetched.ok and not fetched.not_modified
    capture = fetched.capture
    assert capture.url == capture.request_url == httpserver.url_for("/page")
    assert capture.body == b"<html><body>hello</body></html>"
    assert capture.media_type == "text/html"
    assert capture.headers["content-type"] == "text/html; charset=utf-8"
    assert capture.kind == "page"
    assert fetched.text() == "<html><body>hello</body></html>"


def test_json_body_is_parsed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api").respond_with_json({"posts": [1, 2]})
    fetched = run(fetch(net_settings(), httpserver.url_for("/api"), kind="api"))
    assert fetched.json() == {"posts": [1, 2]}
    assert fetched.capture.kind == "api"


# --- size caps -------------------------------------------------------------------------


def test_30_mb_body_with_content_length_is_refused_before_download(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * (30 * MiB))
    with pytest.raises(ResponseTooLarge) as caught:
        run(fetch(net_settings(max_body_bytes=20 * MiB), httpserver.url_for("/big")))
    assert caught.value.declared_size == 30 * MiB
    assert "/big" in str(caught.value) and "cap" in str(caught.value)


def test_30_mb_streamed_body_without_length_is_aborted_at_the_cap(
    httpserver: HTTPServer,
) -> None:
    sent: list[int] = []

    def chunks() -> Iterator[bytes]:
        for _ in range(30):
            sent.append(1)
            yield b"y" * MiB

    httpserver.expect_request("/stream").respond_with_response(
        Response(chunks(), content_type="application/octet-stream")
    )
    with pytest.raises(ResponseTooLarge, match="download aborted"):
        run(fetch(net_settings(max_body_bytes=20 * MiB), httpserver.url_for("/stream")))


def test_max_bytes_per_call_overrides_the_default_cap(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/media").respond_with_data(b"z" * 2000)
    with pytest.raises(ResponseTooLarge) as caught:
        run(fetch(net_settings(), httpserver.url_for("/media"), max_bytes=1000))
    assert caught.value.limit == 1000


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    return gzip.compress(b"\0" * (64 * MiB), compresslevel=9)  # ~64 KB on the wire


def test_gzip_bomb_is_stopped_at_the_decompressed_cap(
    httpserver: HTTPServer, gzip_bomb: bytes
) -> None:
    assert len(gzip_bomb) < MiB
    httpserver.expect_request("/bomb").respond_with_data(
        gzip_bomb, headers={"Content-Encoding": "gzip"}
    )
    with pytest.raises(ResponseTooLarge, match="decompressed body over"):
        run(fetch(net_settings(max_decompressed_bytes=4 * MiB), httpserver.url_for("/bomb")))


def test_brotli_bomb_is_stopped_at_the_decompressed_cap(httpserver: HTTPServer) -> None:
    bomb = brotli.compress(b"\0" * (64 * MiB))
    httpserver.expect_request("/br").respond_with_data(bomb, headers={"Content-Encoding": "br"})
    with pytest.raises(ResponseTooLarge, match="decompressed"):
        run(fetch(net_settings(max_decompressed_bytes=4 * MiB), httpserver.url_for("/br")))


@pytest.mark.parametrize(
    ("coding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send
        ("br", brotli.compress),
    ],
)
def test_compressed_bodies_are_decoded(
    httpserver: HTTPServer, coding: str, compress: Callable[[bytes], bytes]
) -> None:
    page = ("<p>" + RUSSIAN + "</p>").encode() * 200
    httpserver.expect_request("/c").respond_with_data(
        compress(page), headers={"Content-Encoding": coding}, content_type="text/html"
    )
    fetched = run(fetch(net_settings(), httpserver.url_for("/c")))
    assert fetched.body == page


def test_corrupt_gzip_is_a_clear_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/bad").respond_with_data(
        b"this is not gzip at all", headers={"Content-Encoding": "gzip"}
    )
    with pytest.raises(BadContentEncoding, match="not valid gzip"):
        run(fetch(net_settings(), httpserver.url_for("/bad")))


# --- redirects -------------------------------------------------------------------------


def test_redirects_are_followed_and_recorded(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/old").respond_with_data(
        "", status=301, headers={"Location": "/middle"}
    )
    httpserver.expect_request("/middle").respond_with_data(
        "", status=302, headers={"Location": httpserver.url_for("/new")}
    )
    httpserver.expect_request("/new").respond_with_data("here")
    fetched = run(fetch(net_settings(), httpserver.url_for("/old")))
    assert fetched.body == b"here"
    assert fetched.capture.url == httpserver.url_for("/new")
    assert fetched.capture.request_url == httpserver.url_for("/old")
    assert [(r.status, r.to_url) for r in fetched.redirects] == [
        (301, httpserver.url_for("/middle")),
        (302, httpserver.url_for("/new")),
    ]


# --- cookies ---------------------------------------------------------------------------


def cookie_sent(seen: list[str | None]) -> Callable[[Request], Response]:
    """A handler that records the Cookie header of each request it answers."""

    def handler(request: Request) -> Response:
        seen.append(request.headers.get("Cookie"))
        return Response("ok")

    return handler


def test_a_cookie_set_by_one_fetch_is_never_sent_by_the_next(httpserver: HTTPServer) -> None:
    # A watched site that sets a tracking cookie must not see it again on the next poll.
    seen: list[str | None] = []
    httpserver.expect_request("/first").respond_with_data(
        "hello", headers={"Set-Cookie": "visitor=abc123; Path=/"}
    )
    httpserver.expect_request("/second").respond_with_handler(cookie_sent(seen))

    async def two_fetches() -> None:
        async with Http(net_settings(), sleep=SleepRecorder()) as http:
            await http.fetch(httpserver.url_for("/first"))
            await http.fetch(httpserver.url_for("/second"))

    run(two_fetches())
    assert seen == [None]


def test_a_cookie_set_on_a_redirect_hop_is_sent_to_the_next_hop_of_that_fetch(
    httpserver: HTTPServer,
) -> None:
    # Consent and redirect checks set a cookie and expect it back on the next hop.
    seen: list[str | None] = []
    httpserver.expect_request("/gate").respond_with_data(
        "", status=302, headers={"Location": "/article", "Set-Cookie": "consent=yes; Path=/"}
    )
    httpserver.expect_request("/article").respond_with_handler(cookie_sent(seen))

    async def fetch_twice() -> None:
        async with Http(net_settings(), sleep=SleepRecorder()) as http:
            await http.fetch(httpserver.url_for("/gate"))
            await http.fetch(httpserver.url_for("/article"))  # a later fetch: no cookie

    run(fetch_twice())
    assert seen == ["consent=yes", None]


def test_redirect_loop_is_an_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/a").respond_with_data("", status=302, headers={"Location": "/b"})
    httpserver.expect_request("/b").respond_with_data("", status=302, headers={"Location": "/a"})
    with pytest.raises(TooManyRedirects, match="redirect loop"):
        run(fetch(net_settings(), httpserver.url_for("/a")))


def test_too_many_redirects_is_an_error(httpserver: HTTPServer) -> None:
    for n in range(10):
        httpserver.expect_request(f"/r{n}").respond_with_data(
            "", status=307, headers={"Location": f"/r{n + 1}"}
        )
    with pytest.raises(TooManyRedirects, match="more than 3 redirects"):
        run(fetch(net_settings(max_redirects=3), httpserver.url_for("/r0")))


def test_redirect_to_another_scheme_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/x").respond_with_data(
        "", status=302, headers={"Location": "file:///etc/passwd"}
    )
    with pytest.raises(BlockedAddress, match="scheme 'file'"):
        run(fetch(net_settings(), httpserver.url_for("/x")))


# --- retries ---------------------------------------------------------------------------


def test_429_with_retry_after_seconds_waits_that_long_then_succeeds(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_ordered_request("/limited").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "7"}
    )
    httpserver.expect_ordered_request("/limited").respond_with_data("ok")
    sleep = SleepRecorder()
    fetched = run(fetch(net_settings(), httpserver.url_for("/limited"), sleep=sleep))
    assert fetched.status == 200 and fetched.attempts == 2
    assert sleep.delays == [7.0]


def test_429_with_retry_after_over_the_limit_raises_with_retry_after(
    httpserver: HTTPServer,
) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    httpserver.expect_request("/limited").respond_with_data(
        "", status=429, headers={"Retry-After": format_datetime(later, usegmt=True)}
    )
    with pytest.raises(RetryLater) as caught:
        run(fetch(net_settings(max_retry_after=300), httpserver.url_for("/limited")))
    assert caught.value.retry_after is not None and 3500 < caught.value.retry_after <= 3600
    assert "max_retry_after" in str(caught.value)


def test_503_then_200_retries_with_backoff(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/flaky").respond_with_data("down", status=503)
    httpserver.expect_ordered_request("/flaky").respond_with_data("up")
    sleep = SleepRecorder()
    fetched = run(fetch(net_settings(backoff_base=2.0), httpserver.url_for("/flaky"), sleep=sleep))
    assert fetched.body == b"up" and fetched.attempts == 2
    assert len(sleep.delays) == 1 and 1.0 <= sleep.delays[0] < 2.0  # base with jitter


def test_persistent_5xx_is_returned_after_the_retries(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/down").respond_with_data("bad gateway", status=502)
    sleep = SleepRecorder()
    fetched = run(
        fetch(net_settings(retries=3, backoff_base=1.0), httpserver.url_for("/down"), sleep)
    )
    assert fetched.status == 502 and fetched.attempts == 4
    assert len(sleep.delays) == 3
    assert sleep.delays[2] >= 2.0  # exponential: 1, 2, 4 each times [0.5, 1)
    assert len(httpserver.log) == 4


def test_404_is_returned_without_retry(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/gone").respond_with_data("no", status=404)
    sleep = SleepRecorder()
    fetched = run(fetch(net_settings(), httpserver.url_for("/gone"), sleep))
    assert fetched.status == 404 and sleep.delays == []


def test_connection_refused_is_retried_then_raised() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    sleep = SleepRecorder()
    with pytest.raises(ConnectFailed, match=f"127.0.0.1:{port}"):
        run(fetch(net_settings(retries=2), f"http://127.0.0.1:{port}/", sleep))
    assert len(sleep.delays) == 2


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP server that accepts connections and never answers; stops within 10 s."""
    stop = threading.Event()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.1)
    held: list[socket.socket] = []

    def serve() -> None:
        deadline = time.monotonic() + 60  # a bound for hangs: accepts for the whole test
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = listener.accept()
                held.append(conn)
            except TimeoutError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/hang"
    stop.set()
    thread.join(timeout=2)
    for conn in held:
        conn.close()
    listener.close()


def test_server_that_never_answers_times_out(silent_server: str) -> None:
    with pytest.raises(FetchTimeout, match="/hang"):
        run(fetch(net_settings(read_timeout=0.3, total_timeout=5), silent_server))


def test_total_timeout_bounds_a_trickling_server(httpserver: HTTPServer) -> None:
    def trickle() -> Iterator[bytes]:
        for _ in range(50):
            time.sleep(0.1)
            yield b"."

    httpserver.expect_request("/trickle").respond_with_response(Response(trickle()))
    with pytest.raises(FetchTimeout, match=re.escape("no complete answer within 0.5s")):
        run(fetch(net_settings(read_timeout=5, total_timeout=0.5), httpserver.url_for("/trickle")))


# --- conditional GET -------------------------------------------------------------------


def test_conditional_get_sends_validators_and_reports_304(httpserver: HTTPServer) -> None:
    stamp = "Wed, 21 Oct 2026 07:28:00 GMT"
    httpserver.expect_request(
        "/feed", headers={"If-None-Match": '"v1"', "If-Modified-Since": stamp}
    ).respond_with_data("", status=304, headers={"ETag": '"v1"'})
    fetched = run(
        fetch(net_settings(), httpserver.url_for("/feed"), etag='"v1"', last_modified=stamp)
    )
    assert fetched.status == 304 and fetched.not_modified
    assert fetched.body == b"" and fetched.etag == '"v1"'


# --- private-address guard -------------------------------------------------------------


def test_loopback_is_refused_when_guarded(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/admin").respond_with_data("secret")
    with pytest.raises(BlockedAddress, match=re.escape("non-public address 127.0.0.1")):
        run(fetch(net_settings(), httpserver.url_for("/admin"), guard_private=True))
    assert httpserver.log == []  # nothing was sent


def test_loopback_is_allowed_when_configured(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/admin").respond_with_data("ok")
    net = net_settings(allow_private_addresses=True)
    fetched = run(fetch(net, httpserver.url_for("/admin"), guard_private=True))
    assert fetched.body == b"ok"


def test_localhost_name_is_resolved_and_refused(httpserver: HTTPServer) -> None:
    url = f"http://localhost:{httpserver.port}/admin"
    with pytest.raises(BlockedAddress, match="localhost"):
        run(fetch(net_settings(), url, guard_private=True))


def test_every_redirect_hop_is_checked() -> None:
    # Unit test with a mock transport: a public IP literal (never contacted) redirects
    # into the cloud metadata address.
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/"})

    async def go() -> None:
        async with Http(net_settings(), transport=httpx.MockTransport(handler)) as http:
            await http.fetch("http://93.184.215.14/page", guard_private=True)

    with pytest.raises(BlockedAddress, match=re.escape("169.254.169.254")):
        run(go())
    assert seen == ["http://93.184.215.14/page"]


@pytest.mark.parametrize(
    "url", ["http://", "http:///path", "http://[::1", "https://127.0.0.1:99999/"]
)
def test_malformed_urls_are_a_fetch_error_not_a_crash(url: str) -> None:
    with pytest.raises(FetchError, match="invalid URL"):
        run(fetch(net_settings(), url))


def test_non_http_scheme_is_refused() -> None:
    with pytest.raises(BlockedAddress, match="scheme 'file'"):
        run(fetch(net_settings(), "file:///etc/passwd"))


# --- charset detection -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "codec"), [(ARABIC, "cp1256"), (RUSSIAN, "cp1251")], ids=["arabic", "cyrillic"]
)
def test_legacy_pages_without_charset_are_detected(
    httpserver: HTTPServer, text: str, codec: str
) -> None:
    page = f"<html><body><h1>{text}</h1><p>{text}. {text}.</p></body></html>"
    httpserver.expect_request("/legacy").respond_with_data(
        page.encode(codec), content_type="text/html"
    )
    fetched = run(fetch(net_settings(), httpserver.url_for("/legacy")))
    assert text in fetched.text()
    assert fetched.decoded().evidence == "detected"


def test_wrong_utf8_header_on_cp1251_page_falls_back_to_detection() -> None:
    body = f"<p>{RUSSIAN}</p><p>{RUSSIAN}</p>".encode("cp1251")
    decoded = decode_body(body, "text/html; charset=utf-8")
    assert RUSSIAN in decoded.text


def test_meta_charset_and_xml_declaration_are_honoured() -> None:
    html = f'<html><head><meta charset="windows-1256"></head><p>{ARABIC}</p>'.encode("cp1256")
    assert decode_body(html, "text/html").encoding == "cp1256"
    xml = f'<?xml version="1.0" encoding="windows-1251"?><rss>{RUSSIAN}</rss>'.encode("cp1251")
    decoded = decode_body(xml, "application/rss+xml")
    assert decoded.encoding == "cp1251" and RUSSIAN in decoded.text


def test_header_charset_wins_over_meta_and_bom_wins_over_header() -> None:
    body = f'<meta charset="utf-8"><p>{RUSSIAN}</p>'.encode("cp1251")
    assert decode_body(body, "text/html; charset=windows-1251").evidence == "header"
    bom = b"\xef\xbb\xbf" + ARABIC.encode()
    decoded = decode_body(bom, "text/html; charset=windows-1256")
    assert decoded.evidence == "bom" and decoded.text == ARABIC


# --- limits and proxies ----------------------------------------------------------------


def test_requests_to_one_host_are_spaced_by_the_interval(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/p").respond_with_data("ok")
    now = [1000.0]
    sleep = SleepRecorder()

    async def advancing_sleep(seconds: float) -> None:
        await sleep(seconds)
        now[0] += seconds

    async def go() -> None:
        async with Http(
            net_settings(per_host_interval=2.0), sleep=advancing_sleep, clock=lambda: now[0]
        ) as http:
            for _ in range(3):
                await http.fetch(httpserver.url_for("/p"))

    run(go())
    assert sleep.delays == [2.0, 2.0]


def test_host_concurrency_is_bounded() -> None:
    active = [0]
    peak = [0]

    async def go() -> None:
        limiter = HostLimiter(2, 0.0, sleep=asyncio.sleep, clock=time.monotonic)

        async def one(host: str) -> None:
            async with limiter.slot(host):
                active[0] += 1
                peak[0] = max(peak[0], active[0])
                await asyncio.sleep(0.01)
                active[0] -= 1

        await asyncio.gather(*(one("a.example") for _ in range(6)))

    run(go())
    assert peak[0] == 2


def test_per_call_proxy_is_used(httpserver: HTTPServer) -> None:
    # pytest-httpserver plays the HTTP proxy: it receives the absolute-form request.
    def as_proxy(request: Request) -> Response:
        return Response(f"via proxy for {request.host}")

    httpserver.expect_request("/through").respond_with_handler(as_proxy)
    fetched = run(
        fetch(net_settings(), "http://news.example/through", proxy=httpserver.url_for("/"))
    )
    assert fetched.body == b"via proxy for news.example"


def test_unusable_proxy_is_a_fetch_error_without_its_password() -> None:
    expected = re.escape("unusable proxy gopher://127.0.0.1:1")
    with pytest.raises(FetchError, match=expected) as caught:
        run(fetch(net_settings(), "http://news.example/", proxy="gopher://u:hunter2@127.0.0.1:1"))
    assert "hunter2" not in str(caught.value)


def test_retry_after_parsing() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:02:00 GMT", now=now) == 120.0
    assert parse_retry_after("Wed, 31 Dec 2025 00:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_utf16_without_bom_is_told_by_its_first_bytes_whatever_the_header_says() -> None:
    # XML 1.0 appendix F: "<?" in UTF-16 LE is 3C 00 3F 00; NULs are valid UTF-8, so
    # the header's charset would "decode" it into text full of NULs.
    body = '<?xml version="1.0" encoding="utf-16"?><rss><channel><title>دابق</title>'.encode(
        "utf-16-le"
    )
    decoded = decode_body(body, "application/rss+xml; charset=utf-8")
    assert (decoded.encoding, decoded.evidence) == ("utf-16-le", "signature")
    assert "<title>دابق</title>" in decoded.text and "\x00" not in decoded.text


class BudgetClock:
    """Stands in for the byte budget's sleep: its wait ends when the test says so."""

    def __init__(self) -> None:
        self.asked: list[float] = []
        self.ends = asyncio.Event()

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        await self.ends.wait()

    async def until_asked(self) -> None:
        """Let the fetch run (a real server answers) until it waits for the budget."""
        while not self.asked:
            await asyncio.sleep(0.01)


def test_a_body_is_read_only_once_the_budget_has_room_for_its_content_length(
    httpserver: HTTPServer,
) -> None:
    body = b"<rss>" + b"x" * 300_000 + b"</rss>"
    httpserver.expect_request("/feed").respond_with_data(body)

    async def scenario() -> None:
        clock = BudgetClock()
        budget = ByteBudget(MiB, wait_seconds=60.0, sleep=clock)
        async with Http(net_settings()) as http, budget.claim() as other:
            assert await other.grow_to(MiB)  # another poll's body fills the budget
            async with budget.claim() as claim:
                fetching = asyncio.create_task(http.fetch(httpserver.url_for("/feed"), claim=claim))
                await clock.until_asked()
                assert claim.held == 0 and not fetching.done()  # headers in, body not read
                other.release()
                fetched = await fetching
                assert fetched.body == body
                assert claim.held == len(body) == budget.in_use  # room for the Content-Length
            assert budget.in_use == 0

    run(scenario())


def test_a_body_that_finds_no_room_in_time_is_deferred_loudly_not_read(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/feed").respond_with_data(b"<rss/>" * 1000)

    async def scenario() -> None:
        clock = BudgetClock()
        budget = ByteBudget(MiB, wait_seconds=60.0, sleep=clock)
        async with Http(net_settings()) as http, budget.claim() as other:
            assert await other.grow_to(MiB)
            async with budget.claim() as claim:
                fetching = asyncio.create_task(http.fetch(httpserver.url_for("/feed"), claim=claim))
                await clock.until_asked()
                clock.ends.set()  # 60 s pass and the budget is still full
                with pytest.raises(BodyDeferred, match="deferred") as caught:
                    await fetching
                assert isinstance(caught.value, FetchError)  # a poll error, retried later
                assert claim.held == 0 and budget.in_use == MiB and budget.refused == 1

    run(scenario())


def test_a_body_without_length_or_larger_decompressed_grows_its_room_as_it_is_read(
    httpserver: HTTPServer,
) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(3):
            yield b"y" * MiB

    httpserver.expect_request("/chunked").respond_with_response(
        Response(chunks(), content_type="application/rss+xml")
    )
    inflated = b"<rss>" + b"z" * (5 * MiB) + b"</rss>"
    httpserver.expect_request("/gzip").respond_with_data(
        gzip.compress(inflated), headers={"Content-Encoding": "gzip"}
    )

    async def scenario() -> None:
        budget = ByteBudget(32 * MiB)
        async with Http(net_settings()) as http:
            async with budget.claim() as claim:
                fetched = await http.fetch(httpserver.url_for("/chunked"), claim=claim)
                assert len(fetched.body) == 3 * MiB
                assert claim.held == 4 * MiB  # 1 MiB before the first byte, then doubled
            async with budget.claim() as claim:
                fetched = await http.fetch(httpserver.url_for("/gzip"), claim=claim)
                assert fetched.body == inflated
                assert len(inflated) <= claim.held <= 2 * len(inflated)
        assert budget.in_use == 0

    run(scenario())


def test_a_body_read_in_chunks_is_held_once_not_twice() -> None:
    """The chunks were kept in a list and joined at the end: a 20 MiB body held twice at
    once in the daemon (issue 19). Traced allocations, exact on a loaded machine."""
    chunk = b"x" * 65536
    tracemalloc.start()
    try:
        decoder = CappedDecoder(None, 50 * MiB)
        for _ in range(128):
            decoder.feed(bytes(bytearray(chunk)))  # a new chunk each time, as read
        body = decoder.finish()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert body == chunk * 128
    assert peak < 1.3 * len(body), f"{peak / len(body):.2f} times the body"
