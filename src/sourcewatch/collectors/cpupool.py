"""Where collectors parse what they fetched: worker threads, or worker processes.

Parsing a feed or extracting an article is pure CPU work on bytes already fetched. In a
command it runs on a worker thread, off the event loop. In the daemon that is not
enough: under one interpreter lock, parsing competes with the event loop (every HTTP
exchange) and with the database thread, and the daemon would use one core however many
the machine has. With ``[scheduler] parse_processes`` > 0 the daemon parses in that many
worker processes instead.

Worker processes also contain a parser that crashes on hostile input: the pool is
replaced and the daemon goes on. A dead worker fails every call waiting in its pool, so
each is tried once more on the new pool; a call whose second try dies too (the input
that kills the parser) fails with :class:`ParserCrashed`, which the collector reports
as that poll's error.

Memory under hostile sources (issue 19) is bounded two ways: a body is held in a
:class:`ByteBudget` from before its first byte is read (:meth:`CpuPool.claim`, passed
to the HTTP client) to the end of its parse (:meth:`CpuPool.run_claimed`), so the
bodies fetched or parsed at once across polls stay under ``[scheduler]
parse_budget_bytes``; and a worker that parsed a body of ``recycle_after_bytes`` or
more is retired once that parse is done, so the memory it grew to (its high-water
mark) goes back to the system.
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import multiprocessing
import os
import pickle
import signal
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from threading import Thread
from typing import ParamSpec, TypeVar

from sourcewatch.collectors.bytebudget import ByteBudget, Claim, Sleep
from sourcewatch.malloc import fix_mmap_threshold

P = ParamSpec("P")
T = TypeVar("T")

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


_MANAGER_JOIN_SECONDS = 5.0  # see CpuPool.close


class ParserCrashed(RuntimeError):
    """The worker process died while parsing (the input may be hostile)."""


class BudgetBusy(RuntimeError):
    """The byte budget stayed full for ``wait_seconds``: this parse did not run, and the
    poll asking for it is to be retried, not counted as done."""


class CpuPool:
    """``await pool.run(fn, *args)``: ``fn(*args)`` on a worker thread (``processes=0``)
    or in a worker process. ``fn``, its arguments and its result must pickle when
    processes are used (module-level functions, bytes, dataclasses).

    Calls to worker processes travel in batches: the calls made while every worker is
    busy go together, as one message each way. One message per call cost the daemon
    more than the parsing: each passes through two helper threads of this process, and
    each of those waits for the interpreter lock, held most of the time by the event
    loop and the database thread, so the worker sat idle between calls.
    """

    def __init__(
        self,
        processes: int = 0,
        *,
        max_batch: int = 64,
        budget_bytes: int | None = None,
        budget_wait_seconds: float | None = None,
        recycle_after_bytes: int | None = None,
        mmap_threshold_bytes: int = 0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.processes = processes
        self._mmap_threshold = mmap_threshold_bytes  # for the workers (sourcewatch/malloc.py)
        self._max_batch = max_batch
        self.budget = (
            ByteBudget(budget_bytes, wait_seconds=budget_wait_seconds, sleep=sleep)
            if budget_bytes
            else None
        )
        self._recycle_after = recycle_after_bytes or None
        self.recycled = 0  # worker pools retired after a large body (for tests and metrics)
        self._pool: ProcessPoolExecutor | None = None
        # Manager threads of retired pools, joined (bounded) by close().
        self._retired: list[Thread] = []
        self._waiting: list[_Call] = []
        # Calls of a batch that failed as a whole, tried again one at a time before any
        # new batch goes out: the call that kills the worker (or does not pickle) then
        # fails alone, and the others of its batch succeed.
        self._alone: list[_Call] = []
        self._batches: set[asyncio.Task[None]] = set()

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._run(False, fn, *args, **kwargs)

    def claim(self) -> Claim:
        """A claim on the byte budget for one body: open it (``async with``) before the
        body's request, pass it to the fetch, parse with :meth:`run_claimed` within it.
        Without a budget, a claim that is always granted."""
        return self.budget.claim() if self.budget is not None else Claim(None)

    async def run_claimed(
        self, claim: Claim, nbytes: int, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """:meth:`run` for parsing a body of ``nbytes`` within ``claim``: the claim holds
        the body's bytes first (usually it already does, from the fetch), and the worker
        is retired after the parse when the body is large. :class:`BudgetBusy` when the
        budget stays full for its ``wait_seconds``."""
        if not await claim.grow_to(nbytes):
            raise BudgetBusy(claim.full_for())
        large = self._recycle_after is not None and nbytes >= self._recycle_after
        return await self._run(large, fn, *args, **kwargs)

    async def run_sized(
        self, nbytes: int, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """:meth:`run_claimed` for bytes already in hand, in a claim of their own."""
        async with self.claim() as claim:
            return await self.run_claimed(claim, nbytes, fn, *args, **kwargs)

    async def _run(
        self, large: bool, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        if self.processes == 0:
            return await asyncio.to_thread(fn, *args, **kwargs)
        call = functools.partial(fn, *args, **kwargs)
        try:
            return await self._queue(self._waiting, call, large)  # type: ignore[return-value]
        except _BatchFailed:
            pass
        try:
            return await self._queue(self._alone, call, large)  # type: ignore[return-value]
        except _BatchFailed as failed:
            if isinstance(failed.cause, BrokenProcessPool):
                raise ParserCrashed(f"the parsing process died: {failed.cause}") from failed.cause
            raise failed.cause from None  # this call's own arguments or result do not pickle

    def close(self) -> None:
        for _, future, _ in [*self._waiting, *self._alone]:
            future.cancel()
        for retired in self._retired:  # pools retired after a large body
            retired.join(timeout=_MANAGER_JOIN_SECONDS)
        self._retired = []
        self._waiting, self._alone = [], []
        if self._pool is not None:
            # CPython 3.11 races at interpreter exit when a process pool's manager thread
            # is still closing its wake-up pipe: "Exception ignored in: <module
            # 'threading'>" on stderr, a non-JSON line in the daemon's log. Waiting a
            # bounded moment for that thread ends the race without risking a hang on a
            # worker stuck in a hostile parse.
            manager = getattr(self._pool, "_executor_manager_thread", None)
            self._pool.shutdown(wait=False, cancel_futures=True)
            if manager is not None:
                manager.join(timeout=_MANAGER_JOIN_SECONDS)
            self._pool = None

    async def _queue(self, queue: list[_Call], call: Callable[[], object], large: bool) -> object:
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        queue.append((call, future, large))
        self._dispatch()
        return await future

    def _dispatch(self) -> None:
        """Send what is waiting, in batches, to the workers that are free."""
        if self._alone:
            if not self._batches:
                self._send(self._alone[:1])
                del self._alone[:1]
            return
        while self._waiting and len(self._batches) < self.processes:
            batch = [c for c in self._waiting[: self._max_batch] if not c[1].done()]
            del self._waiting[: self._max_batch]  # (callers that gave up are dropped)
            if batch:
                self._send(batch)

    def _send(self, batch: list[_Call]) -> None:
        task = asyncio.ensure_future(self._run_batch(batch))
        self._batches.add(task)
        task.add_done_callback(self._batch_done)

    def _batch_done(self, task: asyncio.Task[None]) -> None:
        self._batches.discard(task)
        self._dispatch()

    async def _run_batch(self, batch: list[_Call]) -> None:
        large = any(is_large for _, _, is_large in batch)
        try:
            outcomes = await self._in_worker([call for call, _, _ in batch], large)
        except asyncio.CancelledError:  # shutting down
            for _, future, _ in batch:
                future.cancel()
            raise
        except Exception as exc:  # the worker died, or the batch did not pickle
            for _, future, _ in batch:
                if not future.done():
                    future.set_exception(_BatchFailed(exc))
            return
        for (_, future, _), outcome in zip(batch, outcomes, strict=True):
            if not future.done():  # a caller that gave up (timed out) is skipped
                if outcome.error is not None:
                    future.set_exception(outcome.error)
                else:
                    future.set_result(outcome.value)

    async def _in_worker(self, calls: list[Callable[[], object]], large: bool) -> list[_Outcome]:
        pool = self._pool or self._start()
        try:
            outcomes = await asyncio.get_running_loop().run_in_executor(pool, _run_calls, calls)
        except BrokenProcessPool:
            if self._pool is pool:  # the first caller to notice replaces it
                self._pool = None
                pool.shutdown(wait=False, cancel_futures=True)
            raise
        if large and self._pool is pool:
            self._retire(pool)
        return outcomes

    def _retire(self, pool: ProcessPoolExecutor) -> None:
        """Let ``pool``'s workers end once their work is done; the next call starts a
        fresh pool. Batches already sent to ``pool`` (other workers) still complete."""
        self._pool = None
        self.recycled += 1
        manager = getattr(pool, "_executor_manager_thread", None)
        pool.shutdown(wait=False)
        self._retired = [t for t in self._retired if t.is_alive()]
        if manager is not None:
            self._retired.append(manager)

    def _start(self) -> ProcessPoolExecutor:
        # spawn, not fork: the daemon has threads (database, resolver) that a forked child
        # would inherit in whatever state they were. Nor forkserver: its server outlives
        # a daemon that is SIGKILLed, and so would the workers it forked.
        self._pool = ProcessPoolExecutor(
            self.processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_setup,
            initargs=(self._mmap_threshold,),
        )
        return self._pool


# A call, its caller's future, and whether its body is large (retire the worker after).
_Call = tuple[Callable[[], object], "asyncio.Future[object]", bool]


class _BatchFailed(Exception):
    """A whole batch failed: its worker died, or something in it did not pickle."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


@dataclass(frozen=True)
class _Outcome:
    """One call's result or error, as it comes back from the worker."""

    value: object = None
    error: Exception | None = None


def _run_calls(calls: list[Callable[[], object]]) -> list[_Outcome]:
    """In the worker: every call of a batch, each error kept for its own caller."""
    outcomes = []
    for call in calls:
        try:
            outcomes.append(_Outcome(value=call()))
        except Exception as exc:
            outcomes.append(_Outcome(error=_portable(exc)))
    return outcomes


def _portable(exc: Exception) -> Exception:
    """``exc`` if it survives the trip back to the daemon, else a RuntimeError saying
    what it was: an error that does not unpickle would break the pool, and with it
    every other call of the batch."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _worker_setup(mmap_threshold: int = 0) -> None:
    # A worker's trees are the largest blocks of all: freed, they go back to the system.
    fix_mmap_threshold(mmap_threshold)
    # Ctrl-C reaches the whole process group: the daemon decides when its workers stop,
    # a worker must not die half-way through someone's parse.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # And a worker must not outlive its daemon, however the daemon ends (SIGKILL, OOM).
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == 1:  # the daemon died before the line above took effect
            os._exit(1)
