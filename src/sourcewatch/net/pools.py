"""Connections kept per origin: one small pool for each (scheme, host, port).

httpx's default transport is a single pool for every host. Each request scans every
pooled connection to find one for its origin, so with a hundred sources in flight
over fifty hosts most of the daemon's HTTP time went into that scan, and with the
default 20 idle connections kept for all hosts together, most requests opened a new
connection even when their host had answered a moment before. Here each origin gets
its own pool that keeps as many idle connections as requests may run on that host at
once (``[net] per_host_concurrency``): a source's next poll on the same host reuses
a connection, and a lookup touches two connections, not a hundred.

Pools of origins not used for ``idle_seconds`` are closed (and with them their idle
sockets), and at most ``max_pools`` are kept: the least recently used pool with no
response still open is closed first.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable

import httpx

Origin = tuple[bytes, bytes, int | None]


class PerOriginTransport(httpx.AsyncBaseTransport):
    """An httpx transport dispatching each request to its origin's own pool.

    ``make_pool`` builds the transport for a new origin (an ``httpx.AsyncHTTPTransport``
    with small limits); ``clock`` is injectable for tests.
    """

    def __init__(
        self,
        make_pool: Callable[[], httpx.AsyncBaseTransport],
        *,
        max_pools: int = 256,
        idle_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._make_pool = make_pool
        self._max_pools = max(1, max_pools)
        self._idle_seconds = idle_seconds
        self._clock = clock
        self._pools: OrderedDict[Origin, _Pool] = OrderedDict()  # least recently used first

    @property
    def origins(self) -> list[Origin]:
        """The origins with a pool, least recently used first."""
        return list(self._pools)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        origin = (request.url.raw_scheme, request.url.raw_host, request.url.port)
        pool = self._pools.get(origin)
        if pool is None:
            pool = self._pools[origin] = _Pool(self._make_pool())
        else:
            self._pools.move_to_end(origin)
        pool.open_responses += 1
        pool.last_used = self._clock()
        try:
            await self._close_unused(keep=origin)
            response = await pool.transport.handle_async_request(request)
        except BaseException:
            pool.open_responses -= 1
            raise
        response.stream = _Released(response.stream, pool)
        return response

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool in pools:
            await pool.transport.aclose()

    async def _close_unused(self, keep: Origin) -> None:
        """Close pools idle too long, then the oldest unused ones beyond ``max_pools``."""
        now = self._clock()
        for origin, pool in list(self._pools.items()):
            if origin == keep or pool.open_responses:
                continue
            too_many = len(self._pools) > self._max_pools
            if not too_many and now - pool.last_used < self._idle_seconds:
                break  # ordered by last use: the rest were used more recently
            if self._pools.pop(origin, None) is None:
                continue  # closed meanwhile by a request that came in while we awaited
            await pool.transport.aclose()


class _Pool:
    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self.transport = transport
        self.open_responses = 0  # a pool is never closed under a response being read
        self.last_used = 0.0


class _Released(httpx.AsyncByteStream):
    """The response body; closing it tells the pool the response is done."""

    def __init__(self, stream: httpx.AsyncByteStream | httpx.SyncByteStream, pool: _Pool) -> None:
        self._stream = stream
        self._pool: _Pool | None = pool

    async def __aiter__(self) -> AsyncIterator[bytes]:
        assert isinstance(self._stream, httpx.AsyncByteStream)
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            assert isinstance(self._stream, httpx.AsyncByteStream)
            await self._stream.aclose()
        finally:
            if self._pool is not None:  # closed twice counts once
                self._pool.open_responses -= 1
                self._pool = None
