"""Parsing off the event loop: on threads, or in worker processes that may crash."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import pytest

from sourcewatch.collectors.feedparse import FeedFormatError, parse_feed
from sourcewatch.cpupool import CpuPool, ParserCrashed

RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    b"<item><guid>a-1</guid><title>First</title><link>https://example.org/1</link></item>"
    b"</channel></rss>"
)


@pytest.fixture
def processes() -> Iterator[CpuPool]:
    pool = CpuPool(processes=1)
    yield pool
    pool.close()


def test_without_processes_work_runs_on_a_thread_of_this_process() -> None:
    assert asyncio.run(CpuPool().run(os.getpid)) == os.getpid()


def test_a_worker_process_parses_and_hands_back_results_and_errors(processes: CpuPool) -> None:
    async def scenario() -> tuple[int, list[str], BaseException]:
        pid = await processes.run(os.getpid)
        feed = await processes.run(parse_feed, RSS, url="https://example.org/feed")
        try:
            await processes.run(parse_feed, b"<html><title>Login</title>", url="https://e.org/")
        except FeedFormatError as exc:
            return pid, [entry.key for entry in feed.entries], exc
        raise AssertionError("no FeedFormatError")

    pid, keys, error = asyncio.run(scenario())
    assert pid != os.getpid()
    assert keys == ["https://example.org/a-1"]  # the guid, resolved against the feed URL
    assert "got an HTML page titled 'Login'" in str(error)


def test_a_crashed_worker_fails_its_call_and_is_replaced(processes: CpuPool) -> None:
    async def scenario() -> tuple[BaseException | int, int, int]:
        first = await processes.run(os.getpid)
        crashed = await asyncio.gather(processes.run(os._exit, 1), return_exceptions=True)
        return crashed[0], first, await processes.run(os.getpid)

    crashed, first, after = asyncio.run(scenario())
    assert isinstance(crashed, ParserCrashed)
    assert after not in (first, os.getpid())  # a new worker took over
