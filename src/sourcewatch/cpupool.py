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
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


class ParserCrashed(RuntimeError):
    """The worker process died while parsing (the input may be hostile)."""


class CpuPool:
    """``await pool.run(fn, *args)``: ``fn(*args)`` on a worker thread (``processes=0``)
    or in a worker process. ``fn``, its arguments and its result must pickle when
    processes are used (module-level functions, bytes, dataclasses)."""

    def __init__(self, processes: int = 0) -> None:
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        if self.processes == 0:
            return await asyncio.to_thread(fn, *args, **kwargs)
        call = functools.partial(fn, *args, **kwargs)
        for attempt in (1, 2):
            pool = self._pool or self._start()
            try:
                return await asyncio.get_running_loop().run_in_executor(pool, call)
            except BrokenProcessPool as exc:
                if self._pool is pool:  # the first caller to notice replaces it
                    self._pool = None
                    pool.shutdown(wait=False, cancel_futures=True)
                if attempt == 2:
                    raise ParserCrashed(f"the parsing process died: {exc}") from exc
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _start(self) -> ProcessPoolExecutor:
        # spawn, not fork: the daemon has threads (database, resolver) that a forked child
        # would inherit in whatever state they were. Nor forkserver: its server outlives
        # a daemon that is SIGKILLed, and so would the workers it forked.
        self._pool = ProcessPoolExecutor(
            self.processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_setup,
        )
        return self._pool


def _worker_setup() -> None:
    # Ctrl-C reaches the whole process group: the daemon decides when its workers stop,
    # a worker must not die half-way through someone's parse.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # And a worker must not outlive its daemon, however the daemon ends (SIGKILL, OOM).
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == 1:  # the daemon died before the line above took effect
            os._exit(1)
