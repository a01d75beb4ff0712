"""Politeness per host: at most N requests in flight and a minimum gap between starts.

Many sources live on one host (several feeds of one newspaper, every page of
jihadology.net); without this a poll cycle would hammer it and get us banned.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


class _HostSlot:
    def __init__(self, concurrency: int) -> None:
        self.semaphore = asyncio.Semaphore(concurrency)
        self.gap_lock = asyncio.Lock()
        self.last_start: float | None = None


class HostLimiter:
    def __init__(self, concurrency: int, interval: float, *, sleep: Sleep, clock: Clock) -> None:
        self._concurrency = max(1, concurrency)
        self._interval = max(0.0, interval)
        self._sleep = sleep
        self._clock = clock
        self._slots: dict[str, _HostSlot] = {}

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Hold one of the host's concurrency slots, started no sooner than the interval."""
        state = self._slots.get(host)
        if state is None:
            state = self._slots[host] = _HostSlot(self._concurrency)
        async with state.semaphore:
            async with state.gap_lock:
                if state.last_start is not None:
                    wait = state.last_start + self._interval - self._clock()
                    if wait > 0:
                        await self._sleep(wait)
                state.last_start = self._clock()
            yield

    def unsent(self, host: str) -> None:
        """The request just started never reached ``host`` (its name did not resolve): the
        gap is not owed, so the next request may start at once instead of queueing."""
        state = self._slots.get(host)
        if state is not None:
            state.last_start = None
