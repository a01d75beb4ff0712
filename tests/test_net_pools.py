"""One connection pool per origin, against a real keep-alive HTTP/1.1 server on loopback.

The server listens on 127.0.0.1, 127.0.0.2 and 127.0.0.3 (Linux routes all of 127/8 to
lo) on one port, so each address is an origin of its own. It counts the connections
each address accepted and sees each one the client closes (EOF).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import httpx

from sourcewatch.config import NetSettings
from sourcewatch.net import Http
from sourcewatch.net.pools import PerOriginTransport

HOSTS = ("127.0.0.1", "127.0.0.2", "127.0.0.3")


def run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(coro)  # type: ignore[arg-type]


class KeepAliveServer:
    """Answers every request on a connection with ``hello from <address>`` until EOF."""

    def __init__(self) -> None:
        self.port = 0
        self.accepted: Counter[str] = Counter()  # connections, by listening address
        self.closed: Counter[str] = Counter()  # connections the client ended
        self._servers: list[asyncio.Server] = []
        self._writers: list[asyncio.StreamWriter] = []
        self._handlers: set[asyncio.Task[Any]] = set()

    def url(self, host: str, path: str = "/") -> str:
        return f"http://{host}:{self.port}{path}"

    def origin(self, host: str) -> tuple[bytes, bytes, int]:
        return (b"http", host.encode(), self.port)

    async def start(self) -> None:
        for host in HOSTS:  # the first binds an ephemeral port, the second the same one
            server = await asyncio.start_server(self._serve, host, self.port)
            self.port = server.sockets[0].getsockname()[1]
            self._servers.append(server)

    async def stop(self) -> None:
        for server in self._servers:
            server.close()
        for writer in self._writers:
            writer.close()
        if self._handlers:  # each sees its connection end, and returns
            await asyncio.wait(self._handlers, timeout=5)
        for server in self._servers:
            await server.wait_closed()

    async def client_closed(self, host: str, count: int = 1) -> None:
        """Wait (at most 5 s) until the client has ended ``count`` connections to ``host``."""
        async with asyncio.timeout(5):
            while self.closed[host] < count:
                await asyncio.sleep(0.005)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host = writer.get_extra_info("sockname")[0]
        self.accepted[host] += 1
        self._writers.append(writer)
        self._handlers.add(asyncio.current_task())  # type: ignore[arg-type]
        body = f"hello from {host}".encode()
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")  # GETs only: no request body
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            self.closed[host] += 1  # EOF: the client closed the connection
        finally:
            writer.close()


@contextlib.asynccontextmanager
async def serving() -> AsyncIterator[KeepAliveServer]:
    server = KeepAliveServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def per_origin(**kwargs: Any) -> tuple[PerOriginTransport, httpx.AsyncClient]:
    transport = PerOriginTransport(httpx.AsyncHTTPTransport, **kwargs)
    return transport, httpx.AsyncClient(transport=transport)


async def get(client: httpx.AsyncClient, url: str) -> str:
    response = await client.get(url)
    response.raise_for_status()
    return response.text


def test_http_reuses_a_connection_per_host_and_keeps_a_pool_for_each() -> None:
    async def scenario() -> None:
        async with serving() as server:
            async with Http(NetSettings(per_host_concurrency=2, per_host_interval=0)) as http:
                bodies = [
                    (await http.fetch(server.url(host, path))).body
                    for host, path in [("127.0.0.1", "/a"), ("127.0.0.1", "/b"), ("127.0.0.2", "/")]
                ]
                assert bodies == [b"hello from 127.0.0.1"] * 2 + [b"hello from 127.0.0.2"]
                assert server.accepted == {"127.0.0.1": 1, "127.0.0.2": 1}  # /b reused /a's
                transport = http._client(None)._transport
                assert isinstance(transport, PerOriginTransport)
                assert transport.origins == [server.origin(h) for h in ("127.0.0.1", "127.0.0.2")]
                assert server.closed == {}
            assert transport.origins == []  # Http.aclose closed both pools
            await server.client_closed("127.0.0.1")
            await server.client_closed("127.0.0.2")

    run(scenario())


def test_beyond_max_pools_the_least_recently_used_pool_is_closed() -> None:
    async def scenario() -> None:
        async with serving() as server:
            transport, client = per_origin(max_pools=1)
            async with client:
                assert await get(client, server.url("127.0.0.1")) == "hello from 127.0.0.1"
                assert transport.origins == [server.origin("127.0.0.1")]
                assert server.closed == {}  # kept alive, idle in its pool
                assert await get(client, server.url("127.0.0.2")) == "hello from 127.0.0.2"
                assert transport.origins == [server.origin("127.0.0.2")]
                await server.client_closed("127.0.0.1")  # its idle connection went too
                assert server.closed["127.0.0.2"] == 0
                await get(client, server.url("127.0.0.2"))
                assert server.accepted == {"127.0.0.1": 1, "127.0.0.2": 1}

    run(scenario())


def test_a_pool_with_a_response_still_open_is_not_closed_until_it_is_done() -> None:
    async def scenario() -> None:
        async with serving() as server:
            transport, client = per_origin(max_pools=1)
            first, second = server.origin("127.0.0.1"), server.origin("127.0.0.2")
            async with client:
                async with client.stream("GET", server.url("127.0.0.1")) as streamed:
                    # Only the head is read: the body still waits on the connection.
                    await get(client, server.url("127.0.0.2"))  # would evict the first
                    assert transport.origins == [first, second]
                    assert server.closed == {}
                    assert await streamed.aread() == b"hello from 127.0.0.1"
                await asyncio.sleep(0.05)
                assert server.closed == {}  # the read connection went back to its pool
                await get(client, server.url("127.0.0.2"))  # now the first pool can go
                assert transport.origins == [second]
                await server.client_closed("127.0.0.1")

    run(scenario())


def test_a_pool_idle_longer_than_idle_seconds_is_closed_on_the_next_request() -> None:
    async def scenario() -> None:
        async with serving() as server:
            clock = FakeClock()
            transport, client = per_origin(idle_seconds=30, clock=clock)
            first, second = server.origin("127.0.0.1"), server.origin("127.0.0.2")
            async with client:
                await get(client, server.url("127.0.0.1"))
                clock.now += 20
                await get(client, server.url("127.0.0.2"))
                assert transport.origins == [first, second]  # 20 s idle: kept
                clock.now += 15
                await get(client, server.url("127.0.0.2"))
                assert transport.origins == [second]  # 35 s idle: closed
                await server.client_closed("127.0.0.1")
                assert server.closed["127.0.0.2"] == 0
                assert server.accepted == {"127.0.0.1": 1, "127.0.0.2": 1}

    run(scenario())


def test_aclose_closes_every_pool() -> None:
    async def scenario() -> None:
        async with serving() as server:
            transport, client = per_origin()
            for host in HOSTS:
                await get(client, server.url(host))
            assert len(transport.origins) == 3 and server.closed == {}
            await transport.aclose()
            assert transport.origins == []
            for host in HOSTS:
                await server.client_closed(host)
            await client.aclose()

    run(scenario())


def test_the_least_recently_used_pool_is_the_one_closed() -> None:
    async def scenario() -> None:
        async with serving() as server:
            transport, client = per_origin(max_pools=2)
            async with client:
                for host in ("127.0.0.1", "127.0.0.2", "127.0.0.1"):  # .2 is now the oldest
                    await get(client, server.url(host))
                await get(client, server.url("127.0.0.3"))
                assert transport.origins == [server.origin(h) for h in ("127.0.0.1", "127.0.0.3")]
                await server.client_closed("127.0.0.2")
                assert server.closed["127.0.0.1"] == 0

    run(scenario())


def test_concurrent_requests_after_a_quiet_spell_all_succeed() -> None:
    async def scenario() -> list[str]:
        async with serving() as server:
            clock = FakeClock()
            transport, client = per_origin(idle_seconds=30, clock=clock)
            async with client:
                await get(client, server.url("127.0.0.1"))
                await get(client, server.url("127.0.0.2"))
                clock.now += 100  # both pools idle too long; closing them awaits the sockets
                bodies = await asyncio.gather(
                    get(client, server.url("127.0.0.3", "/a")),
                    get(client, server.url("127.0.0.3", "/b")),
                )
                assert transport.origins == [server.origin("127.0.0.3")]
                return bodies

    assert run(scenario()) == ["hello from 127.0.0.3"] * 2
