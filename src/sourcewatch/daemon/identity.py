"""A replica's stable identity: the name it holds leases under, across restarts.

A replica used to be ``host:pid:random``, new at every start. After a SIGKILL the
restarted daemon could not tell its previous life's leases from another replica's, so
it waited for them to expire (120 s by default) before polling those sources again,
even on SQLite with one daemon. Now the lease owner is a stable name
(``scheduler.replica_name``, default the host name), held exclusively on this host by
a ``flock`` on a file in the data dir. The kernel drops a ``flock`` when its process
dies, however it dies, so whoever takes the lock knows that every lease under the name
belongs to a dead process and can release them at once.

Without a configured name, several replicas on one host take numbered slots: the first
is ``host``, the next ``host#2``, and so on, each the first free one. A free slot's lock
is held by nobody alive, so its leases are dead ones whichever replica takes it. A
configured name is taken exactly, and a second replica with the same name fails to
start, loudly. Replicas on different hosts differ by host name; give them explicit
names where host names repeat (containers with a fixed hostname). The lock file holds
the pid of the replica that holds it.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path
from types import TracebackType

from sourcewatch.daemon.lockfile import DaemonAlreadyRunning, LockHeld, drop_pid_lock, take_pid_lock

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


_MAX_SLOTS = 64


def host_name() -> str:
    return socket.gethostname() or "sourcewatch"


def take_identity(data_dir: Path, configured: str | None) -> ReplicaIdentity:
    """Hold this replica's name: ``configured`` exactly, else the first free host slot."""
    if configured:
        return ReplicaIdentity(data_dir, configured).__enter__()
    host = host_name()
    for slot in range(1, _MAX_SLOTS + 1):
        name = host if slot == 1 else f"{host}#{slot}"
        try:
            return ReplicaIdentity(data_dir, name).__enter__()
        except DaemonAlreadyRunning:
            continue
    raise DaemonAlreadyRunning(f"{_MAX_SLOTS} replicas already run on {host} in {data_dir}")


def lock_path(data_dir: Path, name: str) -> Path:
    return data_dir / f"replica-{_UNSAFE.sub('_', name)[:100]}.lock"


class ReplicaIdentity:
    """Hold the name ``name`` on this host while the daemon runs."""

    def __init__(self, data_dir: Path, name: str) -> None:
        self.name = name
        self.path = lock_path(data_dir, name)
        self._fd: int | None = None

    def __enter__(self) -> ReplicaIdentity:
        try:
            self._fd = take_pid_lock(self.path)
        except LockHeld:
            raise DaemonAlreadyRunning(
                f"another daemon runs as replica {self.name!r} on this host (lock {self.path}); "
                "give each replica its own scheduler.replica_name"
            ) from None
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            drop_pid_lock(self._fd)
            self._fd = None
