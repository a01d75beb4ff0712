"""On SQLite only one daemon may run: an exclusive lock file in the data dir.

SQLite has one writer at a time and no row locks; two daemons on one file would
only fight over the write lock. ``flock`` is released by the kernel when the
process dies, however it dies, so a SIGKILLed daemon never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from sourcewatch.errors import SourcewatchError


class DaemonAlreadyRunning(SourcewatchError):
    """Another daemon holds the data dir's lock (or this replica's name)."""


class LockHeld(Exception):
    """Another process holds the lock; ``holder`` is the pid it wrote, if any."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


def take_pid_lock(path: Path, mode: int = 0o600) -> int:
    """An exclusive ``flock`` on ``path``, with this process's pid written in it; the
    descriptor holds it until :func:`drop_pid_lock`. The kernel releases it when the
    process dies, however it dies, so a SIGKILLed daemon never leaves a stale lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, mode)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        raise LockHeld(holder) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def drop_pid_lock(fd: int) -> None:
    os.ftruncate(fd, 0)
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


class DaemonLock:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "daemon.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            self._fd = take_pid_lock(self.path, 0o644)
        except LockHeld as held:
            raise DaemonAlreadyRunning(
                f"another sourcewatch daemon (pid {held.holder}) is already running on "
                f"{self.path.parent} (lock {self.path}). With SQLite only one daemon may run; "
                "use PostgreSQL (database_url) to run several replicas."
            ) from None

    def release(self) -> None:
        if self._fd is not None:
            drop_pid_lock(self._fd)
            self._fd = None

    def __enter__(self) -> DaemonLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
