"""The content-addressed object store."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from sourcewatch.archive import ObjectMissing, ObjectStore


def test_put_stores_bytes_under_their_sha256_with_fanout(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path)
    stored = store.put(b"capture bytes")
    digest = hashlib.sha256(b"capture bytes").hexdigest()
    assert stored.sha256 == digest and stored.created and stored.size == 13
    path = tmp_path / digest[:2] / digest[2:4] / digest
    assert path.read_bytes() == b"capture bytes"
    assert store.read(digest) == b"capture bytes"


def test_identical_bytes_are_stored_once_and_never_rewritten(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path)
    first = store.put(b"same")
    inode = os.stat(store.path_for(first.sha256)).st_ino
    second = store.put(b"same")
    assert not second.created
    assert os.stat(store.path_for(first.sha256)).st_ino == inode
    assert list(store.iter_hashes()) == [first.sha256]


def test_objects_are_read_only_and_no_temp_files_remain(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path)
    sha = store.put(b"x" * 10_000).sha256
    assert not os.access(store.path_for(sha), os.W_OK) or os.geteuid() == 0
    assert oct(store.path_for(sha).stat().st_mode & 0o777) == "0o444"
    assert not list(tmp_path.rglob(".tmp-*"))


def test_rehash_detects_corruption_and_missing_objects(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path)
    sha = store.put(b"original").sha256
    path = store.path_for(sha)
    path.chmod(0o644)
    path.write_bytes(b"tampered")
    assert store.rehash(sha) == hashlib.sha256(b"tampered").hexdigest()
    path.unlink()
    with pytest.raises(ObjectMissing):
        store.rehash(sha)
    with pytest.raises(ObjectMissing):
        store.read(sha)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "ab" * 31, "G" * 64, ""])
def test_path_for_rejects_anything_but_a_hex_digest(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError):
        ObjectStore(tmp_path).path_for(bad)
