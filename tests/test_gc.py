"""gc: orphan objects removed after the grace period, nothing referenced ever; archive
files created without world access."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from sourcewatch.ingest.writer import ingest
from sourcewatch.records import ParsedItem, PollResult, RawCapture
from sourcewatch.sources.config import SourceConfig
from sourcewatch.store.gc import collect_garbage
from sourcewatch.store.tables import CAPTURE
from sourcewatch.store.verify import verify_archive
from sourcewatch.workspace import Workspace

SOURCE = SourceConfig(name="news", kind="feed", target="https://example.org/feed")
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def age(path: os.PathLike[str], when: datetime) -> None:
    os.utime(path, (when.timestamp(), when.timestamp()), follow_symlinks=False)


def archive_one(ws: Workspace) -> str:
    capture = RawCapture(url="https://example.org/a", body=b"kept", status=200)
    item = ParsedItem(external_id="1", text="t", capture_sha256s=[capture.sha256])
    ingest(ws, SOURCE, PollResult(captures=[capture], items=[item]))
    return capture.sha256


def test_gc_removes_old_orphans_only(workspace: Workspace) -> None:
    kept = archive_one(workspace)
    old = workspace.objects.put(b"failed poll, long ago").sha256
    young = workspace.objects.put(b"a poll about to commit").sha256
    stray = workspace.objects.path_for(old).parent / ".tmp-interrupted"
    stray.write_bytes(b"half")
    for sha in (kept, old):
        age(workspace.objects.path_for(sha), NOW - timedelta(days=3))
    age(stray, NOW - timedelta(days=3))
    age(workspace.objects.path_for(young), NOW - timedelta(hours=1))

    dry = collect_garbage(workspace.objects, workspace.engine, dry_run=True, now=NOW)
    assert sorted(dry.removed) == sorted([old, ".tmp-interrupted"]) and dry.kept_young == 1
    assert workspace.objects.path_for(old).exists()

    report = collect_garbage(workspace.objects, workspace.engine, now=NOW)
    assert sorted(report.removed) == sorted([old, ".tmp-interrupted"])
    assert report.bytes_freed == len(b"failed poll, long ago") + 4 and not report.problems
    assert not workspace.objects.path_for(old).exists() and not stray.exists()
    assert workspace.objects.exists(kept) and workspace.objects.exists(young)
    assert verify_archive(workspace).orphans == [young]


def test_gc_never_removes_an_object_the_log_still_names(workspace: Workspace) -> None:
    """A capture row rewritten by a forger leaves its log entry: the object is evidence."""
    sha = archive_one(workspace)
    age(workspace.objects.path_for(sha), NOW - timedelta(days=30))
    with workspace.engine.begin() as conn:
        conn.execute(sa.update(CAPTURE).values(sha256="e" * 64))
    report = collect_garbage(workspace.objects, workspace.engine, now=NOW)
    assert report.removed == [] and workspace.objects.exists(sha)


def test_storing_bytes_again_restarts_their_grace(workspace: Workspace) -> None:
    sha = workspace.objects.put(b"same bytes").sha256
    path = workspace.objects.path_for(sha)
    age(path, NOW - timedelta(days=3))
    workspace.objects.put(b"same bytes")  # a new poll fetched them; its commit is pending
    assert path.stat().st_mtime > (NOW - timedelta(days=1)).timestamp()


def test_gc_leaves_a_non_file_alone_and_says_so(workspace: Workspace) -> None:
    sha = workspace.objects.put(b"x").sha256
    path = workspace.objects.path_for(sha)
    path.unlink()
    os.mkfifo(path)
    age(path, NOW - timedelta(days=3))
    report = collect_garbage(workspace.objects, workspace.engine, now=NOW)
    assert report.removed == [] and report.problems == [
        f"{path} is not a regular file: left alone (see verify)"
    ]


def test_archive_files_are_not_world_readable(workspace: Workspace) -> None:
    sha = archive_one(workspace)
    path = workspace.objects.path_for(sha)
    for p in (path, path.parent, path.parent.parent, workspace.objects.root):
        assert stat.S_IMODE(p.stat().st_mode) & 0o007 == 0, p
    assert stat.S_IMODE(path.stat().st_mode) == 0o440
    assert stat.S_IMODE(workspace.settings.data_dir.stat().st_mode) == 0o700
