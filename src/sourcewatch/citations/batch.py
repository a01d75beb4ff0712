"""Snapshot many URLs at once: bounded concurrency, each canonical URL fetched once.

The per-host limits of :class:`sourcewatch.net.Http` still apply underneath
(``net.per_host_concurrency``/``net.per_host_interval``): a report citing forty
posts of one channel is paced like a poll, while different hosts run in parallel.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sourcewatch.citations.retry import track
from sourcewatch.citations.snapshot import Snapshot, SnapshotWriter, snapshot_url
from sourcewatch.records import utcnow

if TYPE_CHECKING:
    from sourcewatch.config import Settings
    from sourcewatch.net import Http
    from sourcewatch.workspace import Workspace

DEFAULT_CONCURRENCY = 16


async def snapshot_all(
    ws: Workspace,
    http: Http,
    settings: Settings,
    urls: Iterable[tuple[str, str]],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    max_age: timedelta | None = timedelta(hours=24),
    force: bool = False,
    on_done: Callable[[Snapshot], None] | None = None,
    now: datetime | None = None,
) -> dict[str, Snapshot]:
    """Snapshot each ``(url, canonical)`` pair once per canonical URL; canonical -> Snapshot.
    Unreachable ones enter the retry queue, answered ones leave it (see :mod:`.retry`)."""
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, not {concurrency}")
    unique: dict[str, str] = {}
    for url, canonical in urls:
        unique.setdefault(canonical, url)
    # The gate bounds fetching and parsing; storing is the writer's, which takes the
    # snapshots finished together in one batch and bounds how many wait for it.
    gate = asyncio.Semaphore(concurrency)
    writer = SnapshotWriter(ws, max_waiting=2 * concurrency)

    async def one(url: str) -> Snapshot:
        snap = await snapshot_url(
            ws, http, settings, url, max_age=max_age, force=force, writer=writer, fetch_slot=gate
        )
        if on_done is not None:
            on_done(snap)
        return snap

    results = await asyncio.gather(*(one(url) for url in unique.values()))
    snaps = {canonical: snap for canonical, snap in zip(unique, results, strict=True)}
    await asyncio.to_thread(track, ws, snaps.values(), now or utcnow())
    return snaps
