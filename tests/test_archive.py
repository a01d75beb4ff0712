"""The content-addressed object store."""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
from pathlib import Path

import pytest

from sourcewatch.ingest.writer import ingest, store_blobs
from sourcewatch.records import PollResult, RawCapture
from sourcewatch.sources.config import SourceConfig
from sourcewatch.store import objects as archive
from sourcewatch.store.objects import ObjectMissing, ObjectStore
from sourcewatch.workspace import Workspace


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
    assert oct(store.path_for(sha).stat().st_mode & 0o777) == "0o440"  # no write, no world read
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


# Objects written with durable=False: in place at once, durable after one sync().


class SyncfsRecorder:
    """Stands in for libc's syncfs(2): records the directory it was given, returns ``rc``."""

    def __init__(self, rc: int = 0, errno: int = 0) -> None:
        self.rc = rc
        self.errno = errno
        self.inodes: list[int] = []

    def __call__(self, fd: int) -> int:
        self.inodes.append(os.fstat(fd).st_ino)
        ctypes.set_errno(self.errno)
        return self.rc


def trail(store: ObjectStore, sha256: str) -> set[Path]:
    """An object's file, its two fan-out directories and the store's root (whose entry
    for a new first-level directory must be durable too)."""
    path = store.path_for(sha256)
    return {path, path.parent, path.parent.parent, store.root}


def test_a_non_durable_put_is_readable_at_once_and_pending_until_sync(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path)
    sha = store.put(b"poll body", durable=False).sha256
    assert store.read(sha) == b"poll body" and store.exists(sha)
    assert oct(store.path_for(sha).stat().st_mode & 0o777) == "0o440"  # no write, no world read
    assert store._unsynced == trail(store, sha)
    store.sync()
    assert store._unsynced == set()
    assert store.read(sha) == b"poll body"


def test_a_durable_put_leaves_nothing_pending(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path)
    store.put(b"durable at once")
    assert store._unsynced == set()
    store.put(b"written before", durable=False)
    store.put(b"durable at once", durable=False)  # already stored: nothing new to sync
    assert len(store._unsynced) == 4


def test_one_syncfs_for_many_objects_and_none_when_nothing_is_pending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    syncfs = SyncfsRecorder()
    monkeypatch.setattr(archive, "_SYNCFS", syncfs)
    store = ObjectStore(tmp_path)
    store.sync()
    assert syncfs.inodes == []  # nothing pending: no syscall
    for n in range(5):
        store.put(f"object {n}".encode(), durable=False)
    store.sync()
    assert syncfs.inodes == [tmp_path.stat().st_ino]  # once, on the store's filesystem
    assert store._unsynced == set()
    store.sync()
    assert len(syncfs.inodes) == 1


def test_without_syncfs_every_pending_file_then_its_directories_is_fsynced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fsynced: list[Path] = []
    real_fsync_path = archive._fsync_path

    def recording_fsync_path(path: Path) -> None:
        fsynced.append(path)
        real_fsync_path(path)

    monkeypatch.setattr(archive, "_SYNCFS", None)
    monkeypatch.setattr(archive, "_fsync_path", recording_fsync_path)
    store = ObjectStore(tmp_path)
    shas = [store.put(f"object {n}".encode(), durable=False).sha256 for n in range(4)]
    assert fsynced == []  # put(durable=False) itself fsyncs nothing
    pending = set(store._unsynced)
    assert pending == set().union(*(trail(store, sha) for sha in shas))
    store.sync()
    assert len(fsynced) == len(pending) and set(fsynced) == pending  # each once
    for sha in shas:
        path = store.path_for(sha)
        assert fsynced.index(path) < fsynced.index(path.parent) < fsynced.index(path.parent.parent)
        assert fsynced.index(path.parent.parent) < fsynced.index(store.root)
    assert store._unsynced == set()


def test_a_failed_syncfs_raises_and_keeps_everything_pending_for_the_next_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive, "_SYNCFS", SyncfsRecorder(rc=-1, errno=errno.EIO))
    store = ObjectStore(tmp_path)
    sha = store.put(b"not yet durable", durable=False).sha256
    with pytest.raises(OSError) as failed:
        store.sync()
    assert failed.value.errno == errno.EIO and str(tmp_path) in str(failed.value)
    assert store._unsynced == trail(store, sha)
    retry = SyncfsRecorder()
    monkeypatch.setattr(archive, "_SYNCFS", retry)
    store.sync()
    assert len(retry.inodes) == 1 and store._unsynced == set()


def test_objects_written_during_a_sync_stay_pending_for_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ObjectStore(tmp_path)

    class PutDuringSyncfs(SyncfsRecorder):
        """Another poll's thread stores its capture while the filesystem is flushed."""

        def __call__(self, fd: int) -> int:
            self.late = store.put(b"written while syncing", durable=False).sha256
            return super().__call__(fd)

    syncfs = PutDuringSyncfs()
    monkeypatch.setattr(archive, "_SYNCFS", syncfs)
    early = store.put(b"written before", durable=False).sha256
    store.sync()
    assert store.path_for(syncfs.late) in store._unsynced
    assert store.path_for(early) not in store._unsynced
    monkeypatch.setattr(archive, "_SYNCFS", SyncfsRecorder())
    store.sync()
    assert store._unsynced == set()


def sharing_first_level(sha256: str) -> bytes:
    """Bytes whose object lands in the same first fan-out directory as ``sha256``."""
    for n in range(100_000):
        data = f"neighbour {n}".encode()
        if hashlib.sha256(data).hexdigest()[:2] == sha256[:2]:
            return data
    raise AssertionError("no neighbour found")


def test_without_syncfs_a_directory_changed_during_the_sync_stays_pending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ObjectStore(tmp_path)
    early = store.put(b"written before", durable=False).sha256
    first_level = store.path_for(early).parent.parent
    neighbour = sharing_first_level(early)
    real_fsync_path = archive._fsync_path
    late: list[str] = []

    def fsync_then_another_thread_puts(path: Path) -> None:
        real_fsync_path(path)
        if path == first_level:  # flushed: now another poll adds a directory inside it
            late.append(store.put(neighbour, durable=False).sha256)

    monkeypatch.setattr(archive, "_SYNCFS", None)
    monkeypatch.setattr(archive, "_fsync_path", fsync_then_another_thread_puts)
    store.sync()
    [late_sha] = late
    assert store.path_for(late_sha).parent.parent == first_level
    assert store.path_for(late_sha).parent not in trail(store, early)  # created in the race
    # first_level's entry for the new directory was written after its fsync: the next
    # sync must fsync first_level again, or that directory may vanish in a crash.
    assert first_level in store._unsynced


def test_ingest_makes_captures_stored_by_the_poll_durable(workspace: Workspace) -> None:
    capture = RawCapture(url="https://t.me/s/rybar", body=b"<poll page>", status=200)
    result = PollResult(captures=[capture], cursor={"last_id": 1})
    assert store_blobs(workspace, result.captures, durable=False) == 1  # in the poll's thread
    assert workspace.objects._unsynced == trail(workspace.objects, capture.sha256)
    report = ingest(workspace, SourceConfig(name="rybar", kind="telegram", target="rybar"), result)
    assert report.captures_new == 1 and report.objects_new == 0  # the poll had stored it
    assert workspace.objects._unsynced == set()
    assert workspace.objects.read(capture.sha256) == b"<poll page>"


def test_a_durable_put_of_bytes_still_pending_makes_them_durable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    syncfs = SyncfsRecorder()
    monkeypatch.setattr(archive, "_SYNCFS", syncfs)
    store = ObjectStore(tmp_path)
    store.put(b"stored by a poll", durable=False)
    assert store.put(b"stored by a poll").created is False  # "durable on return" holds
    assert len(syncfs.inodes) == 1 and store._unsynced == set()
