"""Content-addressed object store: every archived byte string lives under its SHA-256.

Layout: ``<root>/ab/cd/abcdef...`` (two fan-out levels keep directories small).
Objects are written atomically (temp file, fsync, link into place, fsync the
directory) and never rewritten: identical bytes are stored once, and an existing
object is never opened for writing again. Objects are created without world access
(files 0440, directories 0750): an archive of hostile sources can hold what others on
the host should not read.

Reading is defensive: a name that is not a sha256 is refused (no path traversal), and
an object replaced by a directory, a FIFO or a symlink is reported as
:class:`ObjectNotRegular` instead of being opened (a FIFO would block forever).

Many small objects written together (the daemon stores dozens of polls per
transaction) need not pay two fsyncs each: ``put(data, durable=False)`` writes and
links the object without them, and one ``sync()`` later makes every object written
that way durable, with a single ``syncfs(2)`` on Linux. Whoever writes with
``durable=False`` must call ``sync()`` before anything refers to the objects.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_HEX = frozenset("0123456789abcdef")
_CHUNK = 1024 * 1024


_FILE_MODE = 0o440
_DIR_MODE = 0o750


class ObjectMissing(LookupError):
    pass


class ObjectNotRegular(OSError):
    """What is stored under an object's name is not a regular file."""

    def __init__(self, sha256: str, what: str):
        super().__init__(f"object {sha256} is not a regular file: it is {what}")
        self.sha256 = sha256
        self.what = what


@dataclass(frozen=True)
class StoredObject:
    sha256: str
    size: int
    created: bool  # False when identical bytes were already stored


class ObjectStore:
    def __init__(self, root: Path, *, fsync: bool = True):
        self.root = root
        self.fsync = fsync
        self._unsynced: set[Path] = set()  # files and directories awaiting sync()
        self._unsynced_lock = threading.Lock()  # puts come from several threads

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or not set(sha256) <= _HEX:
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes, *, durable: bool = True) -> StoredObject:
        """Store ``data`` under its SHA-256. Durable on return unless ``durable=False``:
        then the object is complete and in place, and durable after the next ``sync()``."""
        sha256 = hashlib.sha256(data).hexdigest()
        final = self.path_for(sha256)
        if final.exists():
            # Refresh its mtime: ``gc`` removes only orphans older than a grace period,
            # and these bytes are about to be referenced again.
            with contextlib.suppress(OSError):
                os.utime(final)
            if durable and final in self._unsynced:  # stored a moment ago, not yet durable
                self.sync()
            return StoredObject(sha256, len(data), created=False)
        _make_dirs(final.parent, self.root)
        fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", dir=final.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                if self.fsync and durable:
                    os.fsync(fh.fileno())
            os.chmod(tmp_name, _FILE_MODE)
            try:
                # link() fails if the name exists, so a concurrent writer of the same
                # bytes can never replace an object that is already in place.
                os.link(tmp_name, final)
                created = True
            except FileExistsError:
                created = False
        finally:
            os.unlink(tmp_name)
        if created and self.fsync:
            if durable:
                _fsync_dir(final.parent)
            else:
                with self._unsynced_lock:
                    self._unsynced.update((final, final.parent, final.parent.parent, self.root))
        return StoredObject(sha256, len(data), created=created)

    def put_file(self, source: Path) -> StoredObject:
        """Store a file's bytes under their SHA-256, streamed a megabyte at a time (a
        large import file is never held in memory). Durable on return."""
        # The hash is known only at the end: the temp file waits at object depth, where
        # ``gc`` finds it if the write is interrupted.
        staging = self.root / "00" / "00"
        _make_dirs(staging, self.root)
        fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", dir=staging)
        digest = hashlib.sha256()
        size = 0
        try:
            with open(source, "rb") as src, os.fdopen(fd, "wb") as fh:
                while block := src.read(_CHUNK):
                    digest.update(block)
                    size += len(block)
                    fh.write(block)
                fh.flush()
                if self.fsync:
                    os.fsync(fh.fileno())
            os.chmod(tmp_name, _FILE_MODE)
            final = self.path_for(digest.hexdigest())
            created = False
            if final.exists():
                with contextlib.suppress(OSError):
                    os.utime(final)
            else:
                _make_dirs(final.parent, self.root)
                try:
                    os.link(tmp_name, final)
                    created = True
                except FileExistsError:
                    pass
        finally:
            os.unlink(tmp_name)
        if created and self.fsync:
            _fsync_dir(final.parent)
        return StoredObject(digest.hexdigest(), size, created=created)

    def sync(self) -> None:
        """Make every object written so far with ``durable=False`` durable."""
        with self._unsynced_lock:
            # Taken whole: what other threads add meanwhile waits for the next sync (even a
            # directory already in this one: it may have changed since it was fsynced).
            pending, self._unsynced = self._unsynced, set()
        if not pending:
            return
        try:
            if not _syncfs(self.root):
                for path in sorted(pending, key=lambda p: len(p.parts), reverse=True):
                    _fsync_path(path)  # files, then their directories
        except BaseException:
            with self._unsynced_lock:
                self._unsynced |= pending  # the next sync tries them again
            raise

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def check_present(self, sha256: str) -> None:
        """Raise ObjectMissing or ObjectNotRegular unless a regular file is in place."""
        path = self.path_for(sha256)
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:
            raise ObjectMissing(sha256) from None
        if not stat.S_ISREG(mode):
            raise ObjectNotRegular(sha256, _file_type(mode))

    def read(self, sha256: str) -> bytes:
        with self._open(sha256) as fh:
            return fh.read()

    def rehash(self, sha256: str) -> str:
        """The SHA-256 of the bytes now on disk under ``sha256`` (to detect corruption)."""
        digest = hashlib.sha256()
        with self._open(sha256) as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    def _open(self, sha256: str) -> BinaryIO:
        """Open an object for reading, refusing anything but a regular file.

        O_NOFOLLOW refuses a symlink, O_NONBLOCK keeps a FIFO from blocking the open, and
        the fstat of the open descriptor (not of the path) decides, so a swap between a
        check and the open cannot slip a FIFO or a directory through.
        """
        path = self.path_for(sha256)
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(path, flags)
        except FileNotFoundError:
            raise ObjectMissing(sha256) from None
        except OSError as exc:
            try:
                mode = path.lstat().st_mode
            except OSError:
                raise exc from None
            if not stat.S_ISREG(mode):
                raise ObjectNotRegular(sha256, _file_type(mode)) from None
            raise
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            os.close(fd)
            raise ObjectNotRegular(sha256, _file_type(mode))
        return os.fdopen(fd, "rb")

    def iter_files(self) -> Iterator[Path]:
        """Every entry at object depth (``ab/cd/*``), names not checked: objects, stray
        temp files of interrupted writes, and anything else placed there."""
        if not self.root.is_dir():
            return
        yield from self.root.glob("??/??/*")

    def iter_hashes(self) -> Iterator[str]:
        for path in self.iter_files():
            if not path.name.startswith(".tmp-"):
                yield path.name


def is_sha256(name: str) -> bool:
    return len(name) == 64 and set(name) <= _HEX


def _file_type(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISLNK, "a symlink"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _make_dirs(directory: Path, root: Path) -> None:
    """mkdir -p with the store's private mode for every level it creates."""
    if directory.is_dir():
        return
    if directory == root:
        directory.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
        return
    _make_dirs(directory.parent, root)
    directory.mkdir(mode=_DIR_MODE, exist_ok=True)


def _fsync_dir(directory: Path) -> None:
    _fsync_path(directory)


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _syncfs(root: Path) -> bool:
    """Flush the whole filesystem holding ``root`` (one syscall, one journal commit,
    where an fsync per file costs one each). False where syncfs(2) is unavailable."""
    if _SYNCFS is None:
        return False
    fd = os.open(root, os.O_RDONLY)
    try:
        if _SYNCFS(fd) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"syncfs {root}: {os.strerror(errno)}")
    finally:
        os.close(fd)
    return True


def _load_syncfs() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):  # not glibc/musl, or too old
        return None


_SYNCFS = _load_syncfs()
