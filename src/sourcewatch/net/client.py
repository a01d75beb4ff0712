"""The one shared HTTP client: every fetch in sourcewatch goes through :class:`Http`.

The policy lives here so that no collector can forget it: connect/read/total
timeouts, a streamed cap on the body (on the wire and after decompression),
redirects followed one hop at a time (each hop checked against the address guard
and recorded), cookies kept for one fetch only (its redirect hops and retries, never
the next fetch: a watched site must not recognise the poller as a returning visitor),
retries with backoff on connection errors, 5xx and 429 (honouring
Retry-After), per-host concurrency and spacing, the configured User-Agent, an
optional proxy per call, and conditional GET. Every answer becomes a
:class:`~sourcewatch.records.RawCapture` for the archive.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
import time
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from urllib.parse import urljoin, urlsplit

import httpx

from sourcewatch.config import NetSettings
from sourcewatch.net.body import BodyClaim, flatten_headers, read_capped
from sourcewatch.net.content_coding import SUPPORTED_ACCEPT_ENCODING
from sourcewatch.net.decoding import media_type_of
from sourcewatch.net.errors import (
    ConnectFailed,
    FetchError,
    FetchTimeout,
    NameNotResolved,
    RetryLater,
    TooManyRedirects,
    name_not_resolved,
    resolver_failure,
)
from sourcewatch.net.guard import check_public_host, check_url
from sourcewatch.net.limits import Clock, HostLimiter, Sleep
from sourcewatch.net.pools import PerOriginTransport
from sourcewatch.net.response import Fetched, Redirect
from sourcewatch.net.retry import RETRY_STATUSES, backoff_delay
from sourcewatch.records import RawCapture, utcnow

log = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
UNRESOLVED_TTL = 30.0  # seconds a host name that did not resolve is not asked again


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
        self._ssl_context: ssl.SSLContext | None = None
        self._clock = clock
        # host -> (until, failure): a name that did not resolve fails again at once for
        # UNRESOLVED_TTL seconds instead of asking the resolver once per cited URL.
        self._unresolved: dict[str, tuple[float, NameNotResolved]] = {}
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
            transport = self._transport
            if transport is None and key is None:  # direct: one small pool per origin
                transport = PerOriginTransport(self._origin_pool)
            client = httpx.AsyncClient(
                transport=transport,
                proxy=key,
                timeout=httpx.Timeout(
                    connect=s.connect_timeout,
                    read=s.read_timeout,
                    write=s.read_timeout,
                    pool=s.total_timeout,
                ),
                follow_redirects=False,
                cookies=_REFUSE_ALL_COOKIES,  # each fetch has its own jar (_Exchange.cookies)
                trust_env=False,  # proxies come from our settings only, never by surprise
                headers={"User-Agent": s.user_agent, "Accept-Encoding": SUPPORTED_ACCEPT_ENCODING},
            )
            self._clients[key] = client
        return client

    def _origin_pool(self) -> httpx.AsyncHTTPTransport:
        # As many idle connections as requests may run on one host at once: the
        # host limiter bounds the connections, the pool only keeps them for reuse.
        keep = max(1, self.settings.per_host_concurrency)
        if self._ssl_context is None:  # loading the CA bundle costs ~20 ms: once, not per host
            self._ssl_context = httpx.create_ssl_context(trust_env=False)
        return httpx.AsyncHTTPTransport(
            verify=self._ssl_context,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=keep),
            trust_env=False,
        )

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
        claim: BodyClaim | None = None,
    ) -> Fetched:
        """GET ``url``. Non-2xx answers are returned (after retries on 5xx/429);
        transport failures raise :class:`FetchError`. ``max_bytes`` caps the body both
        on the wire and decompressed (default: the net settings' caps). ``claim``: the
        body is read only within room it holds (see :func:`read_capped`)."""
        check_url(url)
        s = self.settings
        request_headers = dict(headers or {})
        if etag:
            request_headers["If-None-Match"] = etag
        if last_modified:
            request_headers["If-Modified-Since"] = last_modified
        proxy = proxy or s.proxy
        try:
            client = self._client(proxy)
        except (ValueError, ImportError) as exc:  # bad scheme, or socksio missing
            raise FetchError(url, f"unusable proxy {_redacted(proxy)}: {exc}") from exc
        exchange = _Exchange(
            client=client,
            headers=request_headers,
            guard=guard_private and not s.allow_private_addresses,
            wire_cap=max_bytes if max_bytes is not None else s.max_body_bytes,
            decoded_cap=max_bytes if max_bytes is not None else s.max_decompressed_bytes,
            kind=kind,
            cookies=httpx.Cookies(),
            claim=claim,
        )
        who = f"[{source}] " if source else ""
        attempt = 0
        while True:
            try:
                fetched = await self._follow(url, exchange)
            except NameNotResolved:
                raise  # the resolver already retried; see NameNotResolved
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

    async def post(
        self,
        url: str,
        body: bytes,
        *,
        content_type: str,
        headers: dict[str, str] | None = None,
        max_bytes: int | None = None,
    ) -> Fetched:
        """POST ``body`` to a configured service (a translation engine): one attempt,
        redirects not followed, under the same timeouts, body caps and per-host spacing as
        every fetch. Non-2xx answers are returned; retrying is the caller's decision (a
        POST may cost money). Transport failures raise :class:`FetchError`."""
        check_url(url)
        s = self.settings
        exchange = _Exchange(
            client=self._client(s.proxy),
            headers={**(headers or {}), "Content-Type": content_type},
            guard=False,
            wire_cap=max_bytes if max_bytes is not None else s.max_body_bytes,
            decoded_cap=max_bytes if max_bytes is not None else s.max_decompressed_bytes,
            kind="service",
            cookies=httpx.Cookies(),
            method="POST",
            content=body,
        )
        capture = await self._resolved_hop(url, url, exchange)
        return Fetched(capture)

    async def _follow(self, url: str, exchange: _Exchange) -> Fetched:
        """One attempt: follow redirects hop by hop, checking and recording each."""
        redirects: list[Redirect] = []
        visited = {url}
        current = url
        while True:
            capture = await self._resolved_hop(current, url, exchange)
            location = capture.headers.get("location")
            if capture.status not in REDIRECT_STATUSES or not location:
                return Fetched(capture, not_modified=capture.status == 304, redirects=redirects)
            try:
                target = urljoin(current, location.strip())
            except ValueError as exc:
                raise TooManyRedirects(url, f"unusable redirect Location {location!r}") from exc
            check_url(target)
            redirects.append(Redirect(capture.status or 0, current, target))
            if target in visited:
                raise TooManyRedirects(url, f"redirect loop: {current} -> {target}")
            if len(redirects) > self.settings.max_redirects:
                raise TooManyRedirects(
                    url, f"more than {self.settings.max_redirects} redirects (last: {target})"
                )
            visited.add(target)
            current = target

    async def _resolved_hop(self, url: str, request_url: str, exchange: _Exchange) -> RawCapture:
        """One hop, remembering a host name that did not resolve (see UNRESOLVED_TTL)."""
        host = (urlsplit(url).hostname or "").lower()
        self._raise_if_unresolved(url, host)
        try:
            if exchange.guard:
                await check_public_host(url)
            return await self._one_hop(url, request_url, exchange)
        except NameNotResolved as exc:
            self._unresolved[host] = (self._clock() + UNRESOLVED_TTL, exc)
            self._limiter.unsent(host)
            raise

    def _raise_if_unresolved(self, url: str, host: str) -> None:
        remembered = self._unresolved.get(host)
        if remembered is None:
            return
        until, failure = remembered
        if self._clock() < until:
            raise NameNotResolved(url, failure.problem, no_such_name=failure.no_such_name)
        del self._unresolved[host]

    async def _one_hop(self, url: str, request_url: str, exchange: _Exchange) -> RawCapture:
        host = (urlsplit(url).hostname or "").lower()
        async with self._limiter.slot(host):
            self._raise_if_unresolved(url, host)  # it failed while this request queued
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
                resolver = resolver_failure(exc)
                if resolver is not None:
                    raise name_not_resolved(url, host, resolver) from exc
                raise ConnectFailed(url, f"{type(exc).__name__}: {exc}") from exc

    async def _exchange(self, url: str, request_url: str, exchange: _Exchange) -> RawCapture:
        request = exchange.client.build_request(
            exchange.method, url, headers=exchange.headers, content=exchange.content
        )
        if exchange.cookies.jar:  # what earlier hops of this fetch set (most set none)
            exchange.cookies.set_cookie_header(request)
        response = await exchange.client.send(request, stream=True)
        try:
            # Parsing cookies wraps request and response in urllib objects: only when
            # there is one to parse (most feeds set none).
            if "set-cookie" in response.headers or "set-cookie2" in response.headers:
                exchange.cookies.extract_cookies(response)
            headers = flatten_headers(response.headers)
            if response.status_code in REDIRECT_STATUSES or response.status_code == 304:
                body = b""
            else:
                body = await read_capped(
                    url,
                    response,
                    wire_cap=exchange.wire_cap,
                    decoded_cap=exchange.decoded_cap,
                    claim=exchange.claim,
                )
        finally:
            await response.aclose()
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
    cookies: httpx.Cookies  # set by this fetch's answers, sent on its later hops only
    method: str = "GET"
    content: bytes | None = None  # a POST's body
    claim: BodyClaim | None = None  # room in the caller's memory budget for the body


# The clients' own jar accepts no cookie, so none outlives the fetch that received it.
_REFUSE_ALL_COOKIES = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


class _ConnectTimeout(Exception):
    """A connect timeout: retried like a connection error, reported as a timeout."""

    def __init__(self, url: str, problem: str) -> None:
        super().__init__(problem)
        self.url = url
        self.problem = problem

    def as_fetch_error(self) -> FetchTimeout:
        return FetchTimeout(self.url, self.problem)


def _redacted(proxy: str | None) -> str:
    """The proxy URL without its credentials, for messages."""
    if not proxy:
        return "(none)"
    try:
        parts = urlsplit(proxy)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(unparseable)"
    return f"{parts.scheme}://{parts.hostname or ''}{port}"
