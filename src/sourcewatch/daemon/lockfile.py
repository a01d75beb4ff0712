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


class DaemonAlreadyRunning(Exception):
    """Another daemon holds the data dir's lock."""


class DaemonLock:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "daemon.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise DaemonAlreadyRunning(
                f"another sourcewatch daemon (pid {holder}) is already running on "
                f"{self.path.parent} (lock {self.path}). With SQLite only one daemon may run; "
                "use PostgreSQL (database_url) to run several replicas."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
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
