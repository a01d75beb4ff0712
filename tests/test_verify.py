"""verify: every anomaly of the archive is a named problem, never a crash or a hang.

Each fault is made the way an attacker or a bad disk would make it (rows rewritten,
files replaced, pages overwritten), on SQLite and PostgreSQL where it applies.
"""

from __future__ import annotations

import hashlib
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from sourcewatch.ingest.writer import ingest
from sourcewatch.records import ParsedItem, PollResult, RawCapture
from sourcewatch.sources.config import SourceConfig
from sourcewatch.store import capturelog
from sourcewatch.store.tables import (
    CAPTURE,
    CAPTURE_LOG,
    ITEM,
    ITEM_CAPTURE,
    ITEM_REVISION,
    TIMESTAMP_TOKEN,
    WARC_RECORD,
)
from sourcewatch.store.verify import VerifyReport, verify_archive
from sourcewatch.workspace import Workspace

SOURCE = SourceConfig(name="news", kind="feed", target="https://example.org/feed")
LOG = CAPTURE_LOG


def archive_three(ws: Workspace) -> list[str]:
    hashes = []
    for n in range(3):
        capture = RawCapture(url=f"https://example.org/a{n}", body=f"page {n}".encode(), status=200)
        item = ParsedItem(external_id=str(n), text=f"t{n}", capture_sha256s=[capture.sha256])
        ingest(ws, SOURCE, PollResult(captures=[capture], items=[item]))
        hashes.append(capture.sha256)
    return hashes


def entry_seq(ws: Workspace, capture_id: int) -> int:
    with ws.engine.connect() as conn:
        return int(
            conn.execute(sa.select(LOG.c.seq).where(LOG.c.capture_id == capture_id)).scalar_one()
        )


def test_an_intact_archive_verifies(workspace: Workspace) -> None:
    archive_three(workspace)
    report = verify_archive(workspace)
    # one capture entry and one revision entry per poll
    assert report.ok and report.entries == 6 and report.objects == 3 and report.revisions == 3
    assert report.anchor is not None and report.anchor.entries_after == 0
    assert verify_archive(workspace, quick=True).ok


def test_the_database_check_that_ran_is_named(workspace: Workspace) -> None:
    archive_three(workspace)
    checks = verify_archive(workspace).checks
    quick = verify_archive(workspace, quick=True).checks
    if workspace.engine.dialect.name == "sqlite":
        assert "SQLite PRAGMA integrity_check: ok" in checks
        assert "SQLite PRAGMA quick_check: ok" in quick
    else:
        assert any("amcheck is not installed" in c for c in checks)
        with workspace.engine.begin() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS amcheck"))
        with Workspace.open_read_only(
            workspace.settings
        ) as read_only:  # savepoints in a read-only session
            checks = verify_archive(read_only).checks
        line = next(c for c in checks if c.startswith("PostgreSQL amcheck"))
        assert "bt_index_check on" in line and "verify_heapam" in line and line.endswith(": ok")


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
    seq = entry_seq(workspace, 3)
    for quick in (False, True):
        problems = verify_archive(workspace, quick=quick).problems
        assert problems == [
            f"object {sha} missing (log entry {seq}, capture 3, https://example.org/a2)"
        ]


def run_bounded(ws: Workspace, *, quick: bool) -> VerifyReport:
    """verify in a thread: a hang fails the test instead of blocking the run."""
    result: list[VerifyReport] = []
    thread = threading.Thread(target=lambda: result.append(verify_archive(ws, quick=quick)))
    thread.daemon = True
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "verify hung"
    return result[0]


@pytest.mark.parametrize("replacement", ["directory", "fifo", "symlink"])
def test_an_object_replaced_by_something_else_is_named(
    workspace: Workspace, replacement: str
) -> None:
    sha = archive_three(workspace)[0]
    path = workspace.objects.path_for(sha)
    path.unlink()
    what = {"directory": "a directory", "fifo": "a FIFO", "symlink": "a symlink"}[replacement]
    if replacement == "directory":
        path.mkdir()
    elif replacement == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/etc/passwd")
    for quick in (False, True):
        report = run_bounded(workspace, quick=quick)
        assert any(
            p.startswith(f"object {sha} is not a regular file: it is {what}")
            for p in report.problems
        ), report.problems


def test_a_log_sha256_that_is_a_path_is_refused_and_named(workspace: Workspace) -> None:
    archive_three(workspace)
    seq = entry_seq(workspace, 2)
    with workspace.engine.begin() as conn:
        conn.execute(sa.update(LOG).where(LOG.c.seq == seq).values(sha256="../../../../etc/passwd"))
    for quick in (False, True):
        problems = verify_archive(workspace, quick=quick).problems
        assert (
            "sha256 '../../../../etc/passwd' is not a SHA-256 hex digest (refused, not read) "
            f"(log entry {seq}, capture 2, https://example.org/a1)"
        ) in problems
        assert f"capture log entry {seq}: altered" in " ".join(problems)


def test_an_altered_log_row_is_named(workspace: Workspace) -> None:
    archive_three(workspace)
    seq = entry_seq(workspace, 2)
    with workspace.engine.begin() as conn:
        conn.execute(sa.update(LOG).where(LOG.c.seq == seq).values(url="https://evil.example/"))
    problems = verify_archive(workspace).problems
    assert any(p.startswith(f"capture log entry {seq}: altered") for p in problems)
    assert any(f"capture 2 differs from its log entry {seq}" in p for p in problems)


def test_a_deleted_log_row_breaks_the_chain(workspace: Workspace) -> None:
    archive_three(workspace)
    seq = entry_seq(workspace, 2)
    with workspace.engine.begin() as conn:
        conn.execute(sa.delete(LOG).where(LOG.c.seq == seq))
    problems = verify_archive(workspace).problems
    assert (
        f"capture log entry {seq + 1}: broken link: previous hash does not match the entry "
        "before it"
    ) in problems
    assert "capture 2 (https://example.org/a1) has no capture log entry" in problems


def test_a_rewritten_capture_row_is_named(workspace: Workspace) -> None:
    archive_three(workspace)
    with workspace.engine.begin() as conn:
        conn.execute(sa.update(CAPTURE).where(CAPTURE.c.id == 1).values(sha256="f" * 64))
    problems = verify_archive(workspace).problems
    assert any(p.startswith("capture 1 differs from its log entry 1: sha256") for p in problems)


def test_a_capture_with_a_forged_time_or_status_is_named(workspace: Workspace) -> None:
    archive_three(workspace)
    seq = entry_seq(workspace, 2)
    with workspace.engine.begin() as conn:
        when = datetime(2020, 1, 1, tzinfo=UTC)
        conn.execute(sa.update(CAPTURE).where(CAPTURE.c.id == 2).values(fetched_at=when))
        conn.execute(sa.update(CAPTURE).where(CAPTURE.c.id == 3).values(status=404))
    problems = verify_archive(workspace).problems
    assert any(
        p.startswith(f"capture 2 differs from its log entry {seq}: fetched_at: row says 2020-01-01")
        for p in problems
    ), problems
    assert any(
        p.startswith("capture 3 differs from its log entry") and "status: row says 404" in p
        for p in problems
    ), problems


def test_a_forged_revision_text_is_named(workspace: Workspace) -> None:
    archive_three(workspace)
    rev = ITEM_REVISION
    with workspace.engine.begin() as conn:
        item_id = conn.execute(sa.select(ITEM.c.id).where(ITEM.c.external_id == "1")).scalar_one()
        conn.execute(sa.update(rev).where(rev.c.item_id == item_id).values(text="forged"))
    problems = verify_archive(workspace).problems
    assert (
        f"item {item_id} revision 1: its title/text/media no longer hash to its content hash "
        "(altered)"
    ) in problems


def test_a_forged_revision_with_a_recomputed_hash_is_named(workspace: Workspace) -> None:
    archive_three(workspace)
    rev = ITEM_REVISION
    forged = ParsedItem(external_id="-", text="forged")
    with workspace.engine.begin() as conn:
        item_id = conn.execute(sa.select(ITEM.c.id).where(ITEM.c.external_id == "1")).scalar_one()
        conn.execute(
            sa.update(rev)
            .where(rev.c.item_id == item_id)
            .values(text="forged", content_hash=forged.content_hash())
        )
        conn.execute(
            sa.update(ITEM)
            .where(ITEM.c.id == item_id)
            .values(text="forged", content_hash=forged.content_hash())
        )
    problems = verify_archive(workspace).problems
    assert any(
        p.startswith(f"item {item_id} revision 1 differs from its log entry") for p in problems
    ), problems


def test_a_forged_item_text_is_named(workspace: Workspace) -> None:
    archive_three(workspace)
    with workspace.engine.begin() as conn:
        item_id = conn.execute(sa.select(ITEM.c.id).where(ITEM.c.external_id == "2")).scalar_one()
        conn.execute(sa.update(ITEM).where(ITEM.c.id == item_id).values(text="forged"))
    problems = verify_archive(workspace).problems
    assert problems == [
        f"item {item_id}: its title, text or content hash is not its revision 1's (altered)"
    ]


def cut_tail(ws: Workspace, from_capture: int) -> None:
    """Delete the log from a capture's entry on, with the captures and their items'
    links: what a forger removing the newest captures would do."""
    seq = entry_seq(ws, from_capture)
    with ws.engine.begin() as conn:
        conn.execute(sa.delete(LOG).where(LOG.c.seq >= seq))
        conn.execute(sa.delete(ITEM_CAPTURE).where(ITEM_CAPTURE.c.capture_id >= from_capture))
        conn.execute(sa.delete(WARC_RECORD).where(WARC_RECORD.c.capture_id >= from_capture))
        conn.execute(sa.delete(CAPTURE).where(CAPTURE.c.id >= from_capture))


def test_a_cut_tail_is_named_by_the_anchor(workspace: Workspace) -> None:
    archive_three(workspace)
    anchored = capturelog.read_anchor(workspace.settings.data_dir)
    assert anchored is not None
    cut_tail(workspace, 3)
    problems = verify_archive(workspace).problems
    assert any(
        p.startswith(f"the log has no entry {anchored.seq}, the head anchored at")
        and p.endswith("its tail was cut off")
        for p in problems
    ), problems


def rehash_chain_from(conn: sa.Connection, seq: int) -> None:
    prev = conn.execute(sa.select(LOG.c.prev_hash).where(LOG.c.seq == seq)).scalar_one()
    for row in conn.execute(sa.select(LOG).where(LOG.c.seq >= seq).order_by(LOG.c.seq)).all():
        values = dict(row._mapping, prev_hash=prev)
        digest = capturelog.row_hash(values)
        conn.execute(
            sa.update(LOG).where(LOG.c.seq == row.seq).values(prev_hash=prev, entry_hash=digest)
        )
        prev = digest


def test_a_rewritten_and_rehashed_chain_is_named_by_the_anchor(workspace: Workspace) -> None:
    archive_three(workspace)
    anchored = capturelog.read_anchor(workspace.settings.data_dir)
    assert anchored is not None
    seq = entry_seq(workspace, 2)
    evil = "https://evil.example/"
    with workspace.engine.begin() as conn:
        conn.execute(sa.update(LOG).where(LOG.c.seq == seq).values(url=evil))
        conn.execute(sa.update(CAPTURE).where(CAPTURE.c.id == 2).values(url=evil))
        rehash_chain_from(conn, seq)
    problems = verify_archive(workspace).problems
    assert problems == [
        f"log entry {anchored.seq} is not the head anchored at "
        f"{capturelog.format_time(anchored.written_at)}: the chain was rewritten up to it"
    ]


def test_a_timestamped_head_that_is_gone_is_named(workspace: Workspace) -> None:
    archive_three(workspace)
    seq = entry_seq(workspace, 3)
    with workspace.engine.begin() as conn:
        digest = conn.execute(sa.select(LOG.c.entry_hash).where(LOG.c.seq == seq)).scalar_one()
        now = datetime(2026, 1, 1, tzinfo=UTC)
        conn.execute(
            sa.insert(TIMESTAMP_TOKEN).values(
                subject="capture-log-head", ref=str(seq), digest=digest, token=b"\x30",
                tsa_url="https://tsa.example/", gen_time=now, created_at=now,
            )
        )  # fmt: skip
    assert verify_archive(workspace).ok
    capturelog.anchor_path(workspace.settings.data_dir).unlink()  # the forger removes it too
    cut_tail(workspace, 3)
    problems = verify_archive(workspace).problems
    assert any(
        p.startswith(f"log entry {seq} timestamped at") and "is missing now" in p for p in problems
    ), problems
    assert any(p.startswith("head anchor ") and "is missing" in p for p in problems)


def test_the_anchor_age_is_reported(workspace: Workspace) -> None:
    archive_three(workspace)
    anchored = capturelog.read_anchor(workspace.settings.data_dir)
    assert anchored is not None
    later = anchored.written_at + timedelta(hours=5)
    report = verify_archive(workspace, now=later)
    assert report.anchor is not None and report.anchor.age_seconds == 5 * 3600
    assert f"head anchor: entry {anchored.seq}, written 5.0h ago, 0 entries after it" in (
        report.checks
    )


def test_the_anchor_only_moves_forward(tmp_path: os.PathLike[str]) -> None:
    from pathlib import Path

    data = Path(tmp_path)
    capturelog.write_anchor(data, capturelog.Head(7, "b" * 64))
    capturelog.write_anchor(data, capturelog.Head(5, "a" * 64))  # a slower writer commits
    anchor = capturelog.read_anchor(data)
    assert anchor is not None and (anchor.seq, anchor.entry_hash) == (7, "b" * 64)
    assert capturelog.anchor_path(data).stat().st_mode & 0o077 == 0


def test_a_garbled_anchor_is_named(workspace: Workspace) -> None:
    archive_three(workspace)
    capturelog.anchor_path(workspace.settings.data_dir).write_text("{not json")
    problems = verify_archive(workspace).problems
    assert len(problems) == 1 and problems[0].startswith("head anchor unreadable:")


def test_capture_entries_hash_as_before_0010() -> None:
    """Chains written before schema 0010 (kind NULL) keep verifying: a capture entry's
    hash is the five pre-0010 fields, whatever its kind column says."""
    fields = ["0" * 64, "a" * 64, "https://x/", "2026-01-01T00:00:00.000000Z", "200"]
    old = hashlib.sha256("\x1f".join(fields).encode()).hexdigest()
    args = ("0" * 64, "a" * 64, "https://x/", "2026-01-01T00:00:00.000000Z", 200)
    assert capturelog.entry_hash(*args) == old
    assert capturelog.entry_hash(*args, kind="capture") == old
    assert capturelog.entry_hash(*args, kind="revision") != old


def test_legacy_entries_without_kind_still_verify(workspace: Workspace) -> None:
    archive_three(workspace)
    with workspace.engine.begin() as conn:
        conn.execute(sa.update(LOG).where(LOG.c.kind == "capture").values(kind=None))
    assert verify_archive(workspace).ok


def test_orphan_objects_are_listed_not_failed(workspace: Workspace) -> None:
    archive_three(workspace)
    orphan = workspace.objects.put(b"left by a failed poll").sha256
    report = verify_archive(workspace)
    assert report.ok and report.orphans == [orphan]
    assert any("1 orphan object(s)" in n for n in report.notes)


def test_sqlite_page_corruption_is_named_not_intact(workspace: Workspace) -> None:
    if workspace.engine.dialect.name != "sqlite":
        pytest.skip("page-level corruption of the SQLite file")
    for n in range(60):
        capture = RawCapture(url=f"https://example.org/p{n}", body=b"x" * 2000 + bytes([n]))
        item = ParsedItem(external_id=str(n), text="y" * 3000, capture_sha256s=[capture.sha256])
        ingest(workspace, SOURCE, PollResult(captures=[capture], items=[item]))
    workspace.engine.dispose()
    url = workspace.engine.url.database
    assert url
    with sa.create_engine(f"sqlite:///{url}").connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        # The migrations rebuilt tables (0007): VACUUM puts the schema's pages first again.
        conn.exec_driver_sql("VACUUM")
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        # Past every table's and index's root page (their number grows with the schema).
        first = conn.exec_driver_sql("SELECT max(rootpage) FROM sqlite_master").scalar_one() + 1
    with open(url, "r+b") as fh:
        size = fh.seek(0, os.SEEK_END)
        page = 4096
        for n in range(first, size // page, 7):  # every 7th page after the schema's
            fh.seek(n * page + 100)
            fh.write(hashlib.sha256(str(n).encode()).digest() * 20)
    report = verify_archive(workspace)
    assert not report.ok
    assert "SQLite PRAGMA integrity_check: FAILED" in report.checks
    assert any(p.startswith("database integrity_check: ") for p in report.problems)


def test_a_database_whose_schema_pages_are_garbage_is_named_not_a_traceback(
    workspace: Workspace,
) -> None:
    if workspace.engine.dialect.name != "sqlite":
        pytest.skip("page-level corruption of the SQLite file")
    archive_three(workspace)
    workspace.engine.dispose()
    url = workspace.engine.url.database
    assert url
    with sa.create_engine(f"sqlite:///{url}").connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    with open(url, "r+b") as fh:
        fh.seek(100)  # the first page: the schema itself
        fh.write(hashlib.sha256(b"garbage").digest() * 100)
    report = verify_archive(workspace)
    assert not report.ok
    assert report.problems  # named, whatever SQLite made of it


def test_an_anchor_that_cannot_be_written_does_not_lose_the_poll(
    workspace: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    capturelog.anchor_path(workspace.settings.data_dir).mkdir(parents=True)
    archive_three(workspace)  # stored although the anchor could not be replaced
    assert "capture-log head not anchored" in caplog.text
    report = verify_archive(workspace)
    assert report.entries == 6
    assert len(report.problems) == 1 and report.problems[0].startswith("head anchor unreadable")


def test_a_corrupted_postgresql_index_page_is_named(
    workspace: Workspace, database_url: str
) -> None:
    """Issue 19: verify runs amcheck on PostgreSQL; here a page of a throwaway database's
    index is really corrupted on disk and verify must name the index.

    The server keeps the page in its shared buffers, so the corrupted file is read only
    through a copy: ``CREATE DATABASE ... STRATEGY FILE_COPY`` copies the files (after a
    checkpoint that writes only dirty pages), and the copy has no cached pages. Skipped
    when the server's data directory is not on this machine or not writable by us (a
    server in another container)."""
    if workspace.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's: test_sqlite_page_corruption_is_named_not_intact")
    archive_three(workspace)
    with workspace.engine.begin() as conn:
        conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS amcheck"))
        data_dir, relative = conn.execute(
            sa.text(
                "SELECT current_setting('data_directory'), "
                "pg_relation_filepath('uq_item_source_ext')"
            )
        ).one()
    index_file = Path(data_dir) / relative
    if not os.access(index_file, os.R_OK | os.W_OK):
        pytest.skip(f"the server's files are not writable here ({index_file})")
    workspace.close()
    url = sa.engine.make_url(database_url)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    copy = f"{url.database}_corrupt"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("CHECKPOINT"))
        with index_file.open("r+b") as fh:  # block 1: the first leaf; its line pointers
            fh.seek(8192 + 24)
            fh.write(b"\xff" * 24)
        with admin.connect() as conn:
            conn.execute(
                sa.text(f'CREATE DATABASE "{copy}" TEMPLATE "{url.database}" STRATEGY FILE_COPY')
            )
        settings = workspace.settings.model_copy(
            update={"database_url": url.set(database=copy).render_as_string(hide_password=False)}
        )
        with Workspace.open_read_only(settings) as copied:
            report = verify_archive(copied)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)'))
        admin.dispose()
    assert not report.ok
    assert any("uq_item_source_ext" in problem for problem in report.problems), report.problems
    line = next(c for c in report.checks if c.startswith("PostgreSQL amcheck"))
    assert line.endswith(": FAILED")
