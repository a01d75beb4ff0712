"""Parsing off the event loop: on threads, or in worker processes that may crash."""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from collections.abc import Callable, Iterator

import pytest

from sourcewatch.collectors.cpupool import CpuPool, ParserCrashed, _Outcome
from sourcewatch.collectors.news.feedparse import FeedFormatError, parse_feed

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


# Calls to the worker travel in batches. The functions below run in the worker process,
# which imports this module to find them.


def tagged(n: int) -> tuple[int, int]:
    """Which process ran the call, and its argument back."""
    if n < 0:
        raise ValueError(f"{n} is not a page number")
    return os.getpid(), n


class TwoPartError(Exception):
    """Pickles but does not unpickle: its args hold one value, __init__ needs two."""

    def __init__(self, what: str, where: str) -> None:
        super().__init__(f"{what} in {where}")


def fails_oddly(n: int) -> int:
    if n < 0:
        raise TwoPartError("bad markup", "feed.xml")
    return os.getpid()


def dies_on(n: int, fatal: int) -> int:
    if n == fatal:
        os._exit(1)
    return n


def record_batches(pool: CpuPool) -> list[list[tuple[object, ...]]]:
    """The arguments of the calls in each batch sent to the worker, as they are sent."""
    batches: list[list[tuple[object, ...]]] = []
    send = pool._in_worker

    async def recording(calls: list[Callable[[], object]], large: bool) -> list[_Outcome]:
        batches.append([call.args for call in calls if isinstance(call, functools.partial)])
        return await send(calls, large)

    pool._in_worker = recording  # type: ignore[method-assign]
    return batches


def batch_of(batches: list[list[tuple[object, ...]]], args: tuple[object, ...]) -> list:
    """The first batch that carried the call with these arguments."""
    return next(batch for batch in batches if args in batch)


def test_concurrent_calls_travel_in_batches_and_each_gets_its_own_result() -> None:
    pool = CpuPool(processes=1, max_batch=20)
    batches = record_batches(pool)

    async def scenario() -> list[tuple[int, int]]:
        return await asyncio.gather(*(pool.run(tagged, n) for n in range(50)))

    try:
        results = asyncio.run(scenario())
    finally:
        pool.close()
    assert [n for _, n in results] == list(range(50))
    assert len({pid for pid, _ in results}) == 1 and results[0][0] != os.getpid()
    assert [args for batch in batches for args in batch] == [(n,) for n in range(50)]
    assert 1 < len(batches) < 50 and max(len(batch) for batch in batches) == 20


def test_an_error_fails_only_its_own_call_in_a_batch(processes: CpuPool) -> None:
    batches = record_batches(processes)

    async def scenario() -> list[tuple[int, int] | BaseException]:
        calls = (processes.run(tagged, n) for n in (0, 1, 2, -1, 4, 5))
        return await asyncio.gather(*calls, return_exceptions=True)

    results = asyncio.run(scenario())
    error = results[3]
    assert isinstance(error, ValueError) and str(error) == "-1 is not a page number"
    assert [r[1] for r in results if isinstance(r, tuple)] == [0, 1, 2, 4, 5]
    assert len(batch_of(batches, (-1,))) > 1  # the error had company in its batch
    assert sum(len(batch) for batch in batches) == 6  # and nothing was sent twice


def test_an_error_that_does_not_unpickle_comes_back_as_runtime_error(
    processes: CpuPool,
) -> None:
    batches = record_batches(processes)

    async def scenario() -> tuple[int, list[int | BaseException]]:
        worker = await processes.run(os.getpid)
        calls = (processes.run(fails_oddly, n) for n in (0, 1, -1, 3, 4))
        return worker, await asyncio.gather(*calls, return_exceptions=True)

    worker, results = asyncio.run(scenario())
    error = results[2]
    assert type(error) is RuntimeError
    assert str(error) == "TwoPartError: bad markup in feed.xml"
    assert len(batch_of(batches, (-1,))) > 1
    assert results[:2] + results[3:] == [worker] * 4  # the same worker: the pool held


def test_a_worker_dying_at_the_end_of_a_batch_fails_that_call_alone(processes: CpuPool) -> None:
    batches = record_batches(processes)

    async def scenario() -> list[int | BaseException]:
        calls = (processes.run(dies_on, n, 5) for n in range(6))
        return await asyncio.gather(*calls, return_exceptions=True)

    results = asyncio.run(scenario())
    assert isinstance(results[5], ParserCrashed)
    assert results[:5] == [0, 1, 2, 3, 4]
    crashed = batch_of(batches, (5, 5))
    assert len(crashed) > 1
    assert all([args] in batches for args in crashed)  # each of its calls retried alone


def test_a_worker_dying_in_the_middle_of_a_batch_fails_that_call_alone(
    processes: CpuPool,
) -> None:
    async def scenario() -> list[int | BaseException]:
        calls = (processes.run(dies_on, n, 3) for n in range(6))
        return await asyncio.gather(*calls, return_exceptions=True)

    results = asyncio.run(scenario())
    assert isinstance(results[3], ParserCrashed)
    assert results[:3] + results[4:] == [0, 1, 2, 4, 5]


def test_a_result_that_does_not_pickle_fails_only_its_own_call(processes: CpuPool) -> None:
    async def scenario() -> list[object]:
        await processes.run(os.getpid)  # the worker is up and idle
        # tagged(0) goes to the worker alone; the lock and tagged(2) follow in one batch
        calls = [processes.run(tagged, 0), processes.run(threading.Lock), processes.run(tagged, 2)]
        return await asyncio.gather(*calls, return_exceptions=True)

    first, lock, last = asyncio.run(scenario())
    assert isinstance(lock, TypeError) and "pickle" in str(lock)
    assert isinstance(first, tuple) and first[1] == 0
    assert isinstance(last, tuple) and last[1] == 2


def test_a_worker_is_recycled_after_a_large_body_and_results_stay_correct() -> None:
    big = RSS.replace(b"<title>First</title>", b"<title>First</title>" + b"<!-- pad -->" * 200)
    assert len(big) > 2000 > len(RSS)

    async def scenario() -> tuple[list[int], list[list[str]], int]:
        pool = CpuPool(processes=1, recycle_after_bytes=2000)
        try:
            first = await pool.run_sized(len(RSS), os.getpid)
            small = await pool.run_sized(len(RSS), parse_feed, RSS, url="https://example.org/f")
            same = await pool.run_sized(len(RSS), os.getpid)  # small bodies keep the worker
            large = await pool.run_sized(len(big), parse_feed, big, url="https://example.org/f")
            after = await pool.run_sized(len(RSS), os.getpid)
            keys = [[e.key for e in small.entries], [e.key for e in large.entries]]
            return [first, same, after], keys, pool.recycled
        finally:
            pool.close()

    (first, same, after), keys, recycled = asyncio.run(scenario())
    assert first == same
    assert after not in (first, os.getpid())  # a fresh worker after the large body
    assert recycled == 1
    assert keys == [["https://example.org/a-1"], ["https://example.org/a-1"]]
