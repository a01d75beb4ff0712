"""Group commit: database work that many polls ask for at once, done in one call.

The daemon's polls finish in bursts. Storing each result (or recording each outcome)
in its own transaction costs a commit - an fsync on SQLite - and a dozen statements
per poll, all queued on the database thread. A :class:`Batcher` collects the requests
that arrive while the database is busy and hands them to one call that takes a list
(``ingest.ingest_many``, ``leases.finish_polls``), so the next transaction carries
everything that piled up. When the daemon is idle a request runs alone, at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from sourcewatch.daemon.dbexec import DbExecutor

Request = TypeVar("Request")
Outcome = TypeVar("Outcome")


class Batcher(Generic[Request, Outcome]):
    """``await batcher(request)`` runs ``call(requests)`` on the database executor for
    a batch of at most ``max_batch`` requests and returns this request's outcome.

    ``call`` returns one outcome per request, in order; an outcome that is an
    exception is raised to that request's caller only. An exception raised by
    ``call`` itself (the database is away) is raised to every caller in the batch.
    """

    def __init__(
        self,
        db: DbExecutor,
        call: Callable[[list[Request]], Sequence[Outcome | Exception]],
        *,
        max_batch: int,
    ) -> None:
        self._db = db
        self._call = call
        self._max_batch = max_batch
        self._waiting: list[tuple[Request, asyncio.Future[Outcome]]] = []
        self._running: asyncio.Task[None] | None = None

    async def __call__(self, request: Request) -> Outcome:
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._waiting.append((request, future))
        if self._running is None:
            self._running = asyncio.create_task(self._run())
        return await future

    async def _run(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[: self._max_batch]
                del self._waiting[: self._max_batch]
                await self._run_batch(batch)
        finally:
            self._running = None

    async def _run_batch(self, batch: list[tuple[Request, asyncio.Future[Outcome]]]) -> None:
        try:
            outcomes = await self._db(self._call, [request for request, _ in batch])
        except asyncio.CancelledError:
            for _, future in batch:  # the daemon is going down: nobody waits forever
                future.cancel()
            raise
        except Exception as exc:
            for _, future in batch:
                if not future.done():  # a caller that gave up (cancelled) is skipped
                    future.set_exception(exc)
            return
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if future.done():
                continue
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
