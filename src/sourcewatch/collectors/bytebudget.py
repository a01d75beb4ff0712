"""A byte budget for bodies being parsed at once, across every poll of a daemon.

Parsing a body costs many times its size (feedparser and lxml build trees of ~20x the
bytes), and the daemon runs dozens of polls at once: eight hostile feeds answering at
the 20 MiB wire cap, parsed together, took the daemon and its parse worker past a
gigabyte. The budget is a semaphore weighed in bytes: a parse waits until its body fits
in what the others leave. Nothing is dropped: a poll only waits (within its own
``poll_timeout_seconds``).

A body larger than the whole budget waits for the budget to be entirely free and then
parses alone, rather than waiting forever. Waiters are served first come, first served,
so a large body is not starved by a stream of small ones.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class ByteBudget:
    """``async with budget.hold(len(body)):`` around the parse of ``body``."""

    def __init__(self, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError(f"a byte budget must be positive, not {capacity}")
        self.capacity = capacity
        self.in_use = 0
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()

    @asynccontextmanager
    async def hold(self, nbytes: int) -> AsyncIterator[None]:
        """Hold ``nbytes`` of the budget (at most all of it) for the block's duration;
        released however the block ends, cancellation included."""
        weight = max(0, min(nbytes, self.capacity))
        await self._acquire(weight)
        try:
            yield
        finally:
            self._release(weight)

    async def _acquire(self, weight: int) -> None:
        if not self._waiters and self.in_use + weight <= self.capacity:
            self.in_use += weight
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (weight, future)
        self._waiters.append(entry)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._release(weight)  # granted, but the caller was cancelled meanwhile
            else:
                if entry in self._waiters:  # (_wake may have dropped it already)
                    self._waiters.remove(entry)
                self._wake()  # a large waiter leaving the head may let smaller ones in
            raise

    def _release(self, weight: int) -> None:
        self.in_use -= weight
        self._wake()

    def _wake(self) -> None:
        """Grant waiters in arrival order while the one at the head fits."""
        while self._waiters and self.in_use + self._waiters[0][0] <= self.capacity:
            weight, future = self._waiters.popleft()
            if not future.done():  # a cancelled waiter not yet back in _acquire is skipped
                self.in_use += weight
                future.set_result(None)
