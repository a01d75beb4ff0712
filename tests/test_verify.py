"""verify: finds and names every missing or corrupt object and every broken log link."""

from __future__ import annotations

import sqlalchemy as sa

from sourcewatch.ingest.writer import ingest
from sourcewatch.records import ParsedItem, PollResult, RawCapture
from sourcewatch.sources.config import SourceConfig
from sourcewatch.store.tables import CAPTURE, CAPTURE_LOG
from sourcewatch.store.verify import verify_archive
from sourcewatch.workspace import Workspace

SOURCE = SourceConfig(name="news", kind="feed", target="https://example.org/feed")


def archive_three(ws: Workspace) -> list[str]:
    hashes = []
    for n in range(3):
        capture = RawCapture(url=f"https://example.org/a{n}", body=f"page {n}".encode(), status=200)
        item = ParsedItem(external_id=str(n), text=f"t{n}", capture_sha256s=[capture.sha256])
        ingest(ws, SOURCE, PollResult(captures=[capture], items=[item]))
        hashes.append(capture.sha256)
    return hashes


def test_an_intact_archive_verifies(workspace: Workspace) -> None:
    archive_three(workspace)
    report = verify_archive(workspace)
    assert report.ok and report.entries == 3 and report.objects == 3
    assert verify_archive(workspace, quick=True).ok


def test_a_corrupted_object_is_named_by_full_verify_only(workspace: Workspace) -> None:
    sha = archive_three(workspace)[1]
    path = workspace.objects.path_for(sha)
    path.chmod(0o644)
    path.write_bytes(b"page X")
    report = verify_archive(workspace)
    assert not report.ok
    assert any(
        f"object {sha} corrupt" in p and "https://example.org/a1" in p for p in report.problems
    )
    assert verify_archive(workspace, quick=True).ok  # quick only checks presence


def test_a_deleted_object_is_named_by_both_modes(workspace: Workspace) -> None:
    sha = archive_three(workspace)[2]
    workspace.objects.path_for(sha).unlink()
    for quick in (False, True):
        problems = verify_archive(workspace, quick=quick).problems
        assert problems == [f"object {sha} missing (capture 3, https://example.org/a2)"]


def test_an_altered_log_row_is_named(workspace: Workspace) -> None:
    archive_three(workspace)
    log = CAPTURE_LOG
    with workspace.engine.begin() as conn:
        conn.execute(sa.update(log).where(log.c.seq == 2).values(url="https://evil.example/"))
    problems = verify_archive(workspace).problems
    assert any(p.startswith("capture log entry 2: altered") for p in problems)
    assert any("capture 2 differs from its log entry 2" in p for p in problems)


def test_a_deleted_log_row_breaks_the_chain(workspace: Workspace) -> None:
    archive_three(workspace)
    log = CAPTURE_LOG
    with workspace.engine.begin() as conn:
        conn.execute(sa.delete(log).where(log.c.seq == 2))
    problems = verify_archive(workspace).problems
    assert (
        "capture log entry 3: broken link: previous hash does not match the entry before it"
        in problems
    )
    assert "capture 2 (https://example.org/a1) has no capture log entry" in problems


def test_a_rewritten_capture_row_is_named(workspace: Workspace) -> None:
    archive_three(workspace)
    capture = CAPTURE
    with workspace.engine.begin() as conn:
        conn.execute(sa.update(capture).where(capture.c.id == 1).values(sha256="f" * 64))
    problems = verify_archive(workspace).problems
    assert any(p.startswith("capture 1 differs from its log entry 1") for p in problems)
