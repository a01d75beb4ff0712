"""The byte budget bounds the bodies parsed at once across polls (issue 19)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from sourcewatch.collectors.bytebudget import ByteBudget
from sourcewatch.collectors.cpupool import CpuPool


async def _settle() -> None:
    """Let every runnable task run until each waits on something."""
    for _ in range(10):
        await asyncio.sleep(0)


class _Holders:
    """Tasks that hold the budget until told to let go, recording who is inside."""

    def __init__(self, budget: ByteBudget) -> None:
        self.budget = budget
        self.inside: list[int] = []
        self.peak = 0
        self.gates: dict[int, asyncio.Event] = {}
        self.tasks: dict[int, asyncio.Task[None]] = {}

    def start(self, key: int, nbytes: int) -> None:
        self.gates[key] = asyncio.Event()
        self.tasks[key] = asyncio.create_task(self._hold(key, nbytes))

    async def _hold(self, key: int, nbytes: int) -> None:
        async with self.budget.hold(nbytes):
            self.inside.append(key)
            self.peak = max(self.peak, self.budget.in_use)
            try:
                await self.gates[key].wait()
            finally:
                self.inside.remove(key)

    async def let_go(self, key: int) -> None:
        self.gates[key].set()
        await _settle()


def test_never_more_than_the_budget_at_once_in_arrival_order_and_an_oversized_body_alone() -> None:
    async def scenario() -> None:
        holders = _Holders(ByteBudget(100))
        for key, nbytes in enumerate([40, 40, 40, 30, 500, 10]):
            holders.start(key, nbytes)
        await _settle()
        assert holders.inside == [0, 1]  # the third 40 does not fit; the rest queue behind it
        await holders.let_go(0)
        assert holders.inside == [1, 2]
        await holders.let_go(1)
        assert holders.inside == [2, 3]
        await holders.let_go(2)
        assert holders.inside == [3]  # 500 waits for the whole budget, 10 behind it
        await holders.let_go(3)
        assert holders.inside == [4]  # the oversized body parses, alone
        await holders.let_go(4)
        assert holders.inside == [5]
        await holders.let_go(5)
        assert holders.peak <= 100
        assert holders.budget.in_use == 0

    asyncio.run(scenario())


def test_cancelling_a_waiter_or_a_holder_gives_the_budget_back() -> None:
    async def scenario() -> None:
        holders = _Holders(ByteBudget(100))
        holders.start(0, 100)
        holders.start(1, 50)  # waits
        holders.start(2, 60)  # waits behind 1
        await _settle()
        holders.tasks[1].cancel()
        await _settle()
        assert holders.inside == [0] and holders.budget.in_use == 100
        holders.tasks[0].cancel()  # a holder cancelled mid-parse
        await _settle()
        assert holders.inside == [2] and holders.budget.in_use == 60
        await holders.let_go(2)
        assert holders.budget.in_use == 0

    asyncio.run(scenario())


def test_a_waiter_granted_then_cancelled_before_it_runs_gives_the_budget_back() -> None:
    async def scenario() -> None:
        holders = _Holders(ByteBudget(100))
        holders.start(0, 100)
        holders.start(1, 100)
        await _settle()
        holders.gates[0].set()
        await asyncio.sleep(0)  # 0 wakes and leaves, granting 1 ...
        assert holders.inside == [] and holders.budget.in_use == 100
        holders.tasks[1].cancel()  # ... which is cancelled before it gets to run
        await _settle()
        assert holders.inside == [] and holders.budget.in_use == 0
        holders.start(2, 100)
        await _settle()
        assert holders.inside == [2]
        await holders.let_go(2)

    asyncio.run(scenario())


def test_a_budget_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        ByteBudget(0)


def test_concurrent_parses_through_the_pool_stay_within_the_budget() -> None:
    """Many polls submitting at once to an instrumented parse on threads: the bytes being
    parsed at any moment never exceed the budget, and every body is parsed."""
    lock = threading.Lock()
    state = {"now": 0, "peak": 0}

    def parse(body: bytes) -> int:
        with lock:
            state["now"] += len(body)
            state["peak"] = max(state["peak"], state["now"])
        try:
            return sum(body) // 7 + len(body)  # some work, on the body's bytes
        finally:
            with lock:
                state["now"] -= len(body)

    bodies = [bytes([n % 251]) * size for n, size in enumerate([30_000, 50_000, 20_000] * 10)]
    bodies.append(b"x" * 250_000)  # larger than the whole budget: still parsed

    async def scenario() -> list[int]:
        pool = CpuPool(0, budget_bytes=100_000)
        try:
            return await asyncio.gather(*(pool.run_sized(len(b), parse, b) for b in bodies))
        finally:
            pool.close()

    results = asyncio.run(scenario())
    assert results == [sum(b) // 7 + len(b) for b in bodies]
    assert state["peak"] <= 250_000  # the oversized body alone
    assert state["now"] == 0
