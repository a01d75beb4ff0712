"""Start the daemon: the SQLite single-daemon lock, the workspace, /metrics, the loop."""

from __future__ import annotations

import asyncio
import logging
from contextlib import ExitStack

from sourcewatch.config import Settings
from sourcewatch.daemon.identity import take_identity
from sourcewatch.daemon.lockfile import DaemonLock
from sourcewatch.daemon.loop import Daemon
from sourcewatch.daemon.metrics import DaemonMetrics
from sourcewatch.daemon.worker import RunSummary
from sourcewatch.malloc import fix_mmap_threshold
from sourcewatch.workspace import Workspace

log = logging.getLogger(__name__)


def run_daemon(
    settings: Settings, *, once: bool = False, metrics_port: int | None = None
) -> RunSummary:
    """Run until SIGTERM/SIGINT (or, with ``once``, until every due source was polled).

    Raises ``DaemonAlreadyRunning`` on SQLite when another daemon holds the data dir.
    """
    fix_mmap_threshold(settings.scheduler.malloc_mmap_threshold_bytes)
    with ExitStack() as stack:
        if settings.resolved_database_url.startswith("sqlite"):
            stack.enter_context(DaemonLock(settings.data_dir))
        identity = take_identity(settings.data_dir, settings.scheduler.replica_name)
        stack.push(identity.__exit__)
        name = identity.name
        ws = stack.enter_context(Workspace.open(settings))
        # The name is ours alone now: leases under it are a dead previous life's.
        daemon = Daemon(ws, once=once, replica=name, reclaim_own_leases=True)
        port = metrics_port if metrics_port is not None else settings.scheduler.metrics_port
        if port is not None and not once:
            daemon.metrics = DaemonMetrics(daemon.replica)
            daemon.metrics.serve(settings.scheduler.metrics_host, port)
            log.info(
                "metrics endpoint listening",
                extra={"url": f"http://{settings.scheduler.metrics_host}:{port}/metrics"},
            )
        return asyncio.run(daemon.serve())
