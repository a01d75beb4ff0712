"""Blocking database calls, run off the event loop on the daemon's own threads.

SQLite has one writer at a time. Several threads contending for its lock do not
queue: each one spins in SQLite's busy handler, which sleeps 1 ms, then 2, 5,
10 ... 100 ms between tries, so most of a busy cycle would be spent asleep. One
thread for SQLite makes the calls queue here instead, in order and without
sleeping. PostgreSQL has row locks and gets a small pool. Keeping these threads
apart from asyncio's default executor also means a stalled database never
delays name resolution for the HTTP client.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

import sqlalchemy as sa

from sourcewatch.store.db import is_sqlite

P = ParamSpec("P")
T = TypeVar("T")

POSTGRES_THREADS = 8


class DbExecutor:
    def __init__(self, engine: sa.Engine) -> None:
        workers = 1 if is_sqlite(engine) else POSTGRES_THREADS
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sourcewatch-db")

    async def __call__(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))

    def shutdown(self) -> None:
        """Wait for calls already running (a transaction in flight finishes or rolls back)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
