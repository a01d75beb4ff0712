"""Group commit: requests that arrive while the database is busy share one call."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from sourcewatch.daemon.batching import Batcher
from sourcewatch.daemon.dbexec import DbExecutor
from sourcewatch.workspace import Workspace


class Recorder:
    """A list-taking database call that records its batches and can be held."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.release = threading.Event()
        self.release.set()

    def __call__(self, requests: list[int]) -> list[int | Exception]:
        self.release.wait(5)
        self.batches.append(list(requests))
        return [ValueError(f"odd {n}") if n % 2 else n * 10 for n in requests]


@pytest.fixture
def db(workspace: Workspace) -> Iterator[DbExecutor]:
    executor = DbExecutor(workspace.engine)
    yield executor
    executor.shutdown()


def test_requests_waiting_for_a_busy_database_share_the_next_call(db: DbExecutor) -> None:
    call = Recorder()
    batcher = Batcher(db, call, max_batch=3)

    async def scenario() -> list[int | BaseException]:
        call.release.clear()  # the first call holds the database
        first = asyncio.ensure_future(batcher(0))
        await asyncio.sleep(0.05)
        rest = [asyncio.ensure_future(batcher(n)) for n in range(1, 6)]
        await asyncio.sleep(0.05)
        call.release.set()
        return await asyncio.gather(first, *rest, return_exceptions=True)

    outcomes = asyncio.run(scenario())
    assert call.batches == [[0], [1, 2, 3], [4, 5]]  # at most max_batch per call, in order
    assert outcomes[0] == 0 and outcomes[2] == 20 and outcomes[4] == 40
    # a request's own failure goes to that caller only
    assert [str(outcomes[n]) for n in (1, 3, 5)] == ["odd 1", "odd 3", "odd 5"]


def test_a_failed_call_fails_every_request_of_its_batch_and_the_next_batch_runs(
    db: DbExecutor,
) -> None:
    calls: list[list[int]] = []

    def flaky(requests: list[int]) -> list[int]:
        calls.append(requests)
        if len(calls) == 1:
            raise ConnectionError("database away")
        return requests

    batcher = Batcher(db, flaky, max_batch=10)

    async def scenario() -> tuple[list[BaseException | int], int]:
        failed = await asyncio.gather(batcher(1), batcher(2), return_exceptions=True)
        return failed, await batcher(3)

    failed, later = asyncio.run(scenario())
    assert all(isinstance(outcome, ConnectionError) for outcome in failed)
    assert later == 3


def test_a_caller_that_gives_up_does_not_disturb_the_others(db: DbExecutor) -> None:
    call = Recorder()
    batcher = Batcher(db, call, max_batch=10)

    async def scenario() -> int:
        call.release.clear()
        impatient = asyncio.ensure_future(batcher(2))
        patient = asyncio.ensure_future(batcher(4))
        await asyncio.sleep(0.05)
        impatient.cancel()
        call.release.set()
        return await patient

    assert asyncio.run(scenario()) == 40
