"""Content-addressed object store: every archived byte string lives under its SHA-256.

Layout: ``<root>/ab/cd/abcdef...`` (two fan-out levels keep directories small).
Objects are written atomically (temp file, fsync, link into place, fsync the
directory) and never rewritten: identical bytes are stored once, and an existing
object is never opened for writing again.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_HEX = frozenset("0123456789abcdef")
_CHUNK = 1024 * 1024


class ObjectMissing(LookupError):
    pass


@dataclass(frozen=True)
class StoredObject:
    sha256: str
    size: int
    created: bool  # False when identical bytes were already stored


class ObjectStore:
    def __init__(self, root: Path, *, fsync: bool = True):
        self.root = root
        self.fsync = fsync

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or not set(sha256) <= _HEX:
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> StoredObject:
        sha256 = hashlib.sha256(data).hexdigest()
        final = self.path_for(sha256)
        if final.exists():
            return StoredObject(sha256, len(data), created=False)
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", dir=final.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                if self.fsync:
                    os.fsync(fh.fileno())
            os.chmod(tmp_name, 0o444)
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
            _fsync_dir(final.parent)
        return StoredObject(sha256, len(data), created=created)

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def read(self, sha256: str) -> bytes:
        try:
            return self.path_for(sha256).read_bytes()
        except FileNotFoundError:
            raise ObjectMissing(sha256) from None

    def rehash(self, sha256: str) -> str:
        """The SHA-256 of the bytes now on disk under ``sha256`` (to detect corruption)."""
        digest = hashlib.sha256()
        try:
            with self.path_for(sha256).open("rb") as fh:
                while chunk := fh.read(_CHUNK):
                    digest.update(chunk)
        except FileNotFoundError:
            raise ObjectMissing(sha256) from None
        return digest.hexdigest()

    def iter_hashes(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for path in self.root.glob("??/??/*"):
            if not path.name.startswith(".tmp-"):
                yield path.name


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
