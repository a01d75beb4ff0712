"""The byte budget bounds the bodies held, from first byte read to parsed, across polls
(issue 19)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from sourcewatch.collectors.bytebudget import ByteBudget
from sourcewatch.collectors.cpupool import BudgetBusy, CpuPool


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
        async with self.budget.claim() as claim:
            await claim.grow_to(nbytes, patient=True)
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


class _Clock:
    """Stands in for asyncio.sleep in the budget: each wait is recorded and ends only when
    the test says that much time has passed (``pass_time``), the oldest wait first."""

    def __init__(self) -> None:
        self.asked: list[float] = []
        self._ends: list[asyncio.Event] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        end = asyncio.Event()
        self._ends.append(end)
        await end.wait()

    async def pass_time(self) -> None:
        self._ends.pop(0).set()
        await _settle()


def test_a_claim_grows_ahead_of_the_queue_and_gives_everything_back_at_its_end() -> None:
    async def scenario() -> None:
        budget = ByteBudget(100)
        async with budget.claim() as reading:
            assert await reading.grow_to(60)  # a Content-Length of 60
            waiting = asyncio.create_task(budget.claim().grow_to(50))  # a new body queues
            await _settle()
            assert not waiting.done()
            # The body decompresses larger: its claim grows first, its bytes being held.
            assert await reading.grow_to(90)
            assert reading.held == 90 and budget.in_use == 90
            assert await reading.grow_to(30)  # never shrinks while it lasts
            assert reading.held == 90
        await _settle()
        assert waiting.done() and waiting.result() is True
        assert budget.in_use == 50

    asyncio.run(scenario())


def test_a_claim_that_finds_no_room_in_time_is_refused_and_holds_nothing() -> None:
    async def scenario() -> None:
        clock = _Clock()
        budget = ByteBudget(100, wait_seconds=5.0, sleep=clock)
        full = budget.claim()
        assert await full.grow_to(100)
        late = budget.claim()
        asking = asyncio.create_task(late.grow_to(40))
        await _settle()
        assert clock.asked == [5.0] and not asking.done()
        await clock.pass_time()
        assert asking.result() is False
        assert late.held == 0 and budget.in_use == 100 and budget.refused == 1
        assert "parse_budget_bytes" in late.full_for() and "deferred" in late.full_for()
        full.release()
        assert budget.in_use == 0  # the refused claim left no phantom grant behind

    asyncio.run(scenario())


def test_two_claims_each_waiting_for_the_other_are_parted_by_the_wait_limit() -> None:
    """Two bodies without a Content-Length, each holding half and needing more: neither
    can go on until one is refused, gives its half back, and its poll is retried."""

    async def scenario() -> None:
        clock = _Clock()
        budget = ByteBudget(100, wait_seconds=5.0, sleep=clock)
        first, second = budget.claim(), budget.claim()
        assert await first.grow_to(50) and await second.grow_to(50)
        first_grows = asyncio.create_task(first.grow_to(80))
        second_grows = asyncio.create_task(second.grow_to(80))
        await _settle()
        assert not first_grows.done() and not second_grows.done()
        await clock.pass_time()  # the first to ask is the first refused
        assert first_grows.result() is False
        first.release()  # what its caller does: the fetch fails, the claim ends
        await _settle()
        assert second_grows.result() is True
        assert second.held == 80 and budget.in_use == 80
        second.release()

    asyncio.run(scenario())


def test_hold_waits_as_long_as_it_takes_whatever_the_wait_limit() -> None:
    async def scenario() -> None:
        clock = _Clock()
        holders = _Holders(ByteBudget(100, wait_seconds=5.0, sleep=clock))
        holders.start(0, 100)
        holders.start(1, 100)
        await _settle()
        assert holders.inside == [0] and clock.asked == []  # no time limit was started
        await holders.let_go(0)
        assert holders.inside == [1]
        await holders.let_go(1)

    asyncio.run(scenario())


def test_a_parse_that_finds_no_room_in_time_is_busy_not_run() -> None:
    async def scenario() -> None:
        clock = _Clock()
        pool = CpuPool(0, budget_bytes=100, budget_wait_seconds=5.0, sleep=clock)
        parsed: list[bytes] = []
        try:
            async with pool.claim() as other:
                assert await other.grow_to(100)
                parse = asyncio.create_task(pool.run_sized(50, parsed.append, b"body"))
                await _settle()
                await clock.pass_time()
                with pytest.raises(BudgetBusy, match="deferred"):
                    await parse
            assert parsed == [] and pool.budget is not None and pool.budget.in_use == 0
            async with pool.claim() as claim:  # a claim that already holds the body's room
                assert await claim.grow_to(50)
                await pool.run_claimed(claim, 50, parsed.append, b"body")
                assert pool.budget.in_use == 50  # the parse took nothing more
            assert parsed == [b"body"] and pool.budget.in_use == 0
        finally:
            pool.close()

    asyncio.run(scenario())


def test_without_a_budget_every_claim_is_granted() -> None:
    async def scenario() -> None:
        pool = CpuPool(0)
        async with pool.claim() as claim:
            assert await claim.grow_to(10**12)
            assert await pool.run_claimed(claim, 10**12, len, b"abc") == 3

    asyncio.run(scenario())
