"""A byte budget for the bodies a daemon holds at once, from the first byte read to the
end of their parse, across every poll.

Parsing a body costs many times its size (feedparser and lxml build trees of ~20x the
bytes), and the daemon runs dozens of polls at once: eight hostile feeds answering at
the 20 MiB wire cap, parsed together, took the daemon and its parse worker past a
gigabyte. Bounding only the parses was not enough either: every poll fetched first, so
eight 20 MiB bodies sat in the daemon while they waited their turn. The budget is a
semaphore weighed in bytes, and what holds it is a :class:`Claim`: a poll opens one
before its request, the HTTP client grows it to the Content-Length (or as the decoded
body grows, when there is none) before reading, and the parse runs within it.

Nothing is dropped. A claim that waits longer than ``wait_seconds`` for its bytes is
refused (``grow_to`` answers False): the caller fails that fetch loudly and the poll is
retried, rather than waiting forever behind, say, two bodies that each need more than
the other leaves (a claim waiting to grow holds what it has). A body larger than the
whole budget waits for the budget to be entirely free and then goes alone, rather than
waiting forever. New claims are served first come, first served, so a large body is
not starved by a stream of small ones; a claim that grows goes first, as its bytes are
already held and the sooner it ends the sooner they come back.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from types import TracebackType

Sleep = Callable[[float], Awaitable[object]]


class ByteBudget:
    """``async with budget.claim() as claim: await claim.grow_to(n)``.

    ``wait_seconds``: how long a claim may wait for its bytes (None: as long as it
    takes); ``sleep`` measures it (injectable, so tests decide when time has passed).
    """

    def __init__(
        self,
        capacity: int,
        *,
        wait_seconds: float | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if capacity <= 0:
            raise ValueError(f"a byte budget must be positive, not {capacity}")
        self.capacity = capacity
        self.wait_seconds = wait_seconds
        self.in_use = 0
        self.refused = 0  # claims that waited wait_seconds in vain (for tests and metrics)
        self._sleep = sleep
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()

    def claim(self) -> Claim:
        """A claim holding nothing yet; everything it grows to is released at its end."""
        return Claim(self)

    def full_for(self) -> str:
        """What a refused claim says (the caller's error message)."""
        return (
            f"the parse byte budget ({self.capacity} bytes, [scheduler] parse_budget_bytes) "
            f"stayed full for {self.wait_seconds or 0:g}s (parse_budget_wait_seconds); "
            "deferred, the poll is retried"
        )

    async def _acquire(self, weight: int, *, first: bool, patient: bool) -> bool:
        """Take ``weight`` bytes; ``first``: ahead of the queue (a claim growing)."""
        if (first or not self._waiters) and self.in_use + weight <= self.capacity:
            self.in_use += weight
            return True
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (weight, future)
        if first:
            self._waiters.appendleft(entry)
        else:
            self._waiters.append(entry)
        timer = None
        racing: list[asyncio.Future[object]] = [future]  # type: ignore[list-item]
        if self.wait_seconds is not None and not patient:
            timer = asyncio.ensure_future(self._sleep(self.wait_seconds))
            racing.append(timer)
        try:
            await asyncio.wait(racing, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            self._withdraw(entry)
            raise
        finally:
            if timer is not None:
                timer.cancel()
        if future.done() and not future.cancelled():
            return True  # granted (if the timer went off at the same moment, still granted)
        self._withdraw(entry)
        self.refused += 1
        return False

    def _withdraw(self, entry: tuple[int, asyncio.Future[None]]) -> None:
        """A waiter that leaves (timed out or cancelled): if it was granted meanwhile, its
        bytes go back; either way a large waiter leaving the head may let others in."""
        weight, future = entry
        if future.done() and not future.cancelled():
            self._release(weight)
            return
        future.cancel()
        if entry in self._waiters:  # (_wake may have dropped it already)
            self._waiters.remove(entry)
        self._wake()

    def _release(self, weight: int) -> None:
        self.in_use -= weight
        self._wake()

    def _wake(self) -> None:
        """Grant waiters in order while the one at the head fits."""
        while self._waiters and self.in_use + self._waiters[0][0] <= self.capacity:
            weight, future = self._waiters.popleft()
            if not future.done():  # a waiter that gave up, not yet back in _acquire
                self.in_use += weight
                future.set_result(None)


class Claim:
    """Bytes of a :class:`ByteBudget` held for one body, from before its first byte is
    read to the end of its parse. An async context manager: released at the end of the
    block, however it ends. Without a budget (``budget=None``) every claim is granted
    at once: commands and tests that do not bound memory use the same code."""

    def __init__(self, budget: ByteBudget | None) -> None:
        self._budget = budget
        self.held = 0

    async def grow_to(self, nbytes: int, *, patient: bool = False) -> bool:
        """Hold at least ``nbytes`` (at most the whole budget). False when the budget did
        not have them within its ``wait_seconds`` (never when ``patient``); the claim
        then keeps what it had."""
        budget = self._budget
        if budget is None:
            self.held = max(self.held, nbytes)
            return True
        target = max(0, min(nbytes, budget.capacity))
        if target <= self.held:
            return True
        extra = target - self.held
        if not await budget._acquire(extra, first=self.held > 0, patient=patient):
            return False
        self.held = target
        return True

    def full_for(self) -> str:
        """Why a grow was refused (the error the caller raises)."""
        return self._budget.full_for() if self._budget is not None else "no byte budget"

    def release(self) -> None:
        """Give every byte back (the claim may grow again afterwards)."""
        held, self.held = self.held, 0
        if self._budget is not None and held:
            self._budget._release(held)

    async def __aenter__(self) -> Claim:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()
