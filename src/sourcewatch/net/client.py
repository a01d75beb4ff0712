"""The one shared HTTP client: every fetch in sourcewatch goes through :class:`Http`.

The policy lives here so that no collector can forget it: connect/read/total
timeouts, a streamed cap on the body (on the wire and after decompression),
redirects followed one hop at a time (each hop checked against the address guard
and recorded), retries with backoff on connection errors, 5xx and 429 (honouring
Retry-After), per-host concurrency and spacing, the configured User-Agent, an
optional proxy per call, and conditional GET. Every answer becomes a
:class:`~sourcewatch.records.RawCapture` for the archive.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from sourcewatch.config import NetSettings
from sourcewatch.net.content_coding import (
    SUPPORTED_ACCEPT_ENCODING,
    CappedDecoder,
    ContentDecodeError,
    DecodeLimitExceeded,
)
from sourcewatch.net.decoding import DecodedText, decode_body, media_type_of
from sourcewatch.net.errors import (
    BadContentEncoding,
    ConnectFailed,
    FetchError,
    FetchTimeout,
    ResponseTooLarge,
    RetryLater,
    TooManyRedirects,
)
from sourcewatch.net.guard import check_public_host, check_scheme
from sourcewatch.net.limits import Clock, HostLimiter, Sleep
from sourcewatch.net.retry import RETRY_STATUSES, backoff_delay, parse_retry_after
from sourcewatch.records import RawCapture, utcnow

log = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class Redirect:
    status: int
    from_url: str
    to_url: str


@dataclass
class Fetched:
    """A complete HTTP answer: the capture to archive plus how we got it."""

    capture: RawCapture
    not_modified: bool = False
    redirects: list[Redirect] = field(default_factory=list)
    attempts: int = 1
    _decoded: DecodedText | None = field(default=None, repr=False)

    @property
    def status(self) -> int:
        assert self.capture.status is not None
        return self.capture.status

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def url(self) -> str:
        return self.capture.url

    @property
    def body(self) -> bytes:
        return self.capture.body

    @property
    def headers(self) -> dict[str, str]:
        return self.capture.headers

    @property
    def media_type(self) -> str | None:
        return self.capture.media_type

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def retry_after(self) -> float | None:
        return parse_retry_after(self.headers.get("retry-after"))

    def decoded(self) -> DecodedText:
        if self._decoded is None:
            self._decoded = decode_body(self.body, self.headers.get("content-type"))
        return self._decoded

    def text(self) -> str:
        """The body as text, with the charset found by :func:`decode_body`."""
        return self.decoded().text

    def json(self) -> Any:
        """The body parsed as JSON; ``ValueError`` if it is not JSON."""
        return json.loads(self.body)


class Http:
    """Async context manager owning the httpx clients (one per proxy) and the host limits.

    ``transport`` replaces the network (tests); with it, proxies are ignored.
    ``sleep``/``clock``/``rng`` are injectable so retry and spacing tests run instantly.
    """

    def __init__(
        self,
        settings: NetSettings,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self._transport = transport
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._clients: dict[str | None, httpx.AsyncClient] = {}
        self._limiter = HostLimiter(
            settings.per_host_concurrency, settings.per_host_interval, sleep=sleep, clock=clock
        )

    async def __aenter__(self) -> Http:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()

    def _client(self, proxy: str | None) -> httpx.AsyncClient:
        key = None if self._transport is not None else proxy
        client = self._clients.get(key)
        if client is None:
            s = self.settings
            client = httpx.AsyncClient(
                transport=self._transport,
                proxy=key,
                timeout=httpx.Timeout(
                    connect=s.connect_timeout,
                    read=s.read_timeout,
                    write=s.read_timeout,
                    pool=s.total_timeout,
                ),
                follow_redirects=False,
                trust_env=False,  # proxies come from our settings only, never by surprise
                headers={"User-Agent": s.user_agent, "Accept-Encoding": SUPPORTED_ACCEPT_ENCODING},
            )
            self._clients[key] = client
        return client

    async def fetch(
        self,
        url: str,
        *,
        kind: str = "page",
        headers: dict[str, str] | None = None,
        proxy: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        max_bytes: int | None = None,
        guard_private: bool = False,
        source: str | None = None,
    ) -> Fetched:
        """GET ``url``. Non-2xx answers are returned (after retries on 5xx/429);
        transport failures raise :class:`FetchError`. ``max_bytes`` caps the body both
        on the wire and decompressed (default: the net settings' caps)."""
        check_scheme(url)
        s = self.settings
        request_headers = dict(headers or {})
        if etag:
            request_headers["If-None-Match"] = etag
        if last_modified:
            request_headers["If-Modified-Since"] = last_modified
        exchange = _Exchange(
            client=self._client(proxy or s.proxy),
            headers=request_headers,
            guard=guard_private and not s.allow_private_addresses,
            wire_cap=max_bytes if max_bytes is not None else s.max_body_bytes,
            decoded_cap=max_bytes if max_bytes is not None else s.max_decompressed_bytes,
            kind=kind,
        )
        who = f"[{source}] " if source else ""
        attempt = 0
        while True:
            try:
                fetched = await self._follow(url, exchange)
            except (ConnectFailed, _ConnectTimeout) as exc:
                if attempt >= s.retries:
                    if isinstance(exc, _ConnectTimeout):
                        raise exc.as_fetch_error() from exc
                    raise
                delay = backoff_delay(attempt, s.backoff_base, s.backoff_max, self._rng)
                log.info("%sretrying %s in %.1fs: %s", who, url, delay, exc)
            else:
                fetched.attempts = attempt + 1
                if fetched.status not in RETRY_STATUSES:
                    return fetched
                retry_after = fetched.retry_after if fetched.status in (429, 503) else None
                if retry_after is not None and retry_after > s.max_retry_after:
                    raise RetryLater(
                        url,
                        f"HTTP {fetched.status} asks to retry after {retry_after:.0f}s "
                        f"(more than net.max_retry_after={s.max_retry_after:.0f}s)",
                        retry_after=retry_after,
                    )
                if attempt >= s.retries:
                    return fetched
                delay = (
                    retry_after
                    if retry_after is not None
                    else backoff_delay(attempt, s.backoff_base, s.backoff_max, self._rng)
                )
                log.info("%sHTTP %d from %s; retry in %.1fs", who, fetched.status, url, delay)
            await self._sleep(delay)
            attempt += 1

    async def _follow(self, url: str, exchange: _Exchange) -> Fetched:
        """One attempt: follow redirects hop by hop, checking and recording each."""
        redirects: list[Redirect] = []
        visited = {url}
        current = url
        while True:
            if exchange.guard:
                await check_public_host(current)
            capture = await self._one_hop(current, url, exchange)
            location = capture.headers.get("location")
            if capture.status not in REDIRECT_STATUSES or not location:
                return Fetched(capture, not_modified=capture.status == 304, redirects=redirects)
            target = urljoin(current, location.strip())
            check_scheme(target)
            redirects.append(Redirect(capture.status or 0, current, target))
            if target in visited:
                raise TooManyRedirects(url, f"redirect loop: {current} -> {target}")
            if len(redirects) > self.settings.max_redirects:
                raise TooManyRedirects(
                    url, f"more than {self.settings.max_redirects} redirects (last: {target})"
                )
            visited.add(target)
            current = target

    async def _one_hop(self, url: str, request_url: str, exchange: _Exchange) -> RawCapture:
        host = (urlsplit(url).hostname or "").lower()
        async with self._limiter.slot(host):
            try:
                async with asyncio.timeout(self.settings.total_timeout):
                    return await self._exchange(url, request_url, exchange)
            except TimeoutError:
                raise FetchTimeout(
                    url, f"no complete answer within {self.settings.total_timeout:g}s"
                ) from None
            except httpx.ConnectTimeout as exc:
                raise _ConnectTimeout(url, f"connect timeout: {exc}") from exc
            except httpx.TimeoutException as exc:
                raise FetchTimeout(url, f"{type(exc).__name__}: {exc or 'timed out'}") from exc
            except httpx.InvalidURL as exc:
                raise FetchError(url, f"invalid URL: {exc}") from exc
            except httpx.TransportError as exc:
                raise ConnectFailed(url, f"{type(exc).__name__}: {exc}") from exc

    async def _exchange(self, url: str, request_url: str, exchange: _Exchange) -> RawCapture:
        async with exchange.client.stream("GET", url, headers=exchange.headers) as response:
            headers = _flatten(response.headers)
            if response.status_code in REDIRECT_STATUSES or response.status_code == 304:
                body = b""
            else:
                body = await _read_capped(url, response, exchange)
        return RawCapture(
            url=url,
            body=body,
            fetched_at=utcnow(),
            status=response.status_code,
            headers=headers,
            media_type=media_type_of(headers.get("content-type")),
            kind=exchange.kind,
            request_url=request_url,
        )


@dataclass(frozen=True)
class _Exchange:
    client: httpx.AsyncClient
    headers: dict[str, str]
    guard: bool
    wire_cap: int
    decoded_cap: int
    kind: str


class _ConnectTimeout(Exception):
    """A connect timeout: retried like a connection error, reported as a timeout."""

    def __init__(self, url: str, problem: str) -> None:
        super().__init__(problem)
        self.url = url
        self.problem = problem

    def as_fetch_error(self) -> FetchTimeout:
        return FetchTimeout(self.url, self.problem)


async def _read_capped(url: str, response: httpx.Response, exchange: _Exchange) -> bytes:
    declared = _content_length(response.headers.get("content-length"))
    if declared is not None and declared > exchange.wire_cap:
        raise ResponseTooLarge(
            url,
            f"Content-Length {declared} bytes is over the {exchange.wire_cap}-byte cap",
            limit=exchange.wire_cap,
            declared_size=declared,
        )
    decoder = CappedDecoder(response.headers.get("content-encoding"), exchange.decoded_cap)
    received = 0
    try:
        async for chunk in response.aiter_raw():
            received += len(chunk)
            if received > exchange.wire_cap:
                raise ResponseTooLarge(
                    url,
                    f"body over the {exchange.wire_cap}-byte cap; download aborted",
                    limit=exchange.wire_cap,
                    declared_size=declared,
                )
            decoder.feed(chunk)
        return decoder.finish()
    except DecodeLimitExceeded:
        raise ResponseTooLarge(
            url,
            f"decompressed body over the {exchange.decoded_cap}-byte cap "
            f"({received} bytes on the wire; a compression bomb?)",
            limit=exchange.decoded_cap,
            declared_size=declared,
        ) from None
    except ContentDecodeError as exc:
        coding = response.headers.get("content-encoding")
        raise BadContentEncoding(url, f"body is not valid {coding}: {exc}") from exc


def _content_length(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())


def _flatten(headers: httpx.Headers) -> dict[str, str]:
    """Lower-cased names; repeated headers joined with ", " as HTTP allows."""
    flat: dict[str, str] = {}
    for name, value in headers.multi_items():
        key = name.lower()
        flat[key] = f"{flat[key]}, {value}" if key in flat else value
    return flat
