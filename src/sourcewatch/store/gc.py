"""``sourcewatch gc``: remove orphan objects, after a grace period.

Ingest writes blobs first and the database rows after (see ``ingest``), so a poll that
fails in between leaves objects no capture refers to. They are harmless but grow the
archive; ``verify`` lists them and ``gc`` removes those older than the grace period,
together with temp files of interrupted writes.

The grace period is what makes this safe while the daemon runs: an object written by
a poll that has not committed yet is young, and ``ObjectStore.put`` refreshes the
mtime of an object it finds already in place, so bytes about to be referenced again
are young too. An object referenced by a capture row *or* by a capture-log entry is
never removed (a deleted capture row is evidence of tampering, not garbage).
"""

from __future__ import annotations

import itertools
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from sourcewatch.store.objects import ObjectStore, is_sha256
from sourcewatch.store.tables import CAPTURE, CAPTURE_LOG

DEFAULT_GRACE = timedelta(days=1)
_CHUNK = 500


@dataclass
class GcReport:
    grace_seconds: float
    dry_run: bool
    removed: list[str] = field(default_factory=list)  # names (sha256 or temp file names)
    bytes_freed: int = 0
    kept_young: int = 0  # orphans still inside the grace period
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "dry_run": self.dry_run,
            "grace_seconds": self.grace_seconds,
            "removed": self.removed,
            "bytes_freed": self.bytes_freed,
            "kept_young": self.kept_young,
            "problems": self.problems,
        }


def orphan_hashes(objects: ObjectStore, conn: sa.Connection) -> Iterator[str]:
    """Object names that no capture row and no capture-log entry refers to."""
    names = (name for name in objects.iter_hashes() if is_sha256(name))
    while chunk := list(itertools.islice(names, _CHUNK)):
        yield from sorted(set(chunk) - _referenced(conn, chunk))


def _referenced(conn: sa.Connection, names: list[str]) -> set[str]:
    rows = conn.execute(
        sa.union(
            sa.select(CAPTURE.c.sha256).where(CAPTURE.c.sha256.in_(names)),
            sa.select(CAPTURE_LOG.c.sha256).where(
                CAPTURE_LOG.c.sha256.in_(names), CAPTURE_LOG.c.capture_id.is_not(None)
            ),
        )
    ).all()
    return {row[0] for row in rows}


def collect_garbage(
    objects: ObjectStore,
    engine: sa.Engine,
    *,
    grace: timedelta = DEFAULT_GRACE,
    dry_run: bool = False,
    now: datetime | None = None,
) -> GcReport:
    """Remove orphan objects and stray temp files older than ``grace``."""
    if grace < timedelta(0):
        raise ValueError("the grace period cannot be negative")
    report = GcReport(grace_seconds=grace.total_seconds(), dry_run=dry_run)
    cutoff = ((now or datetime.now(UTC)) - grace).timestamp()
    with engine.connect() as conn:
        orphans = [objects.path_for(sha) for sha in orphan_hashes(objects, conn)]
    temps = [p for p in objects.iter_files() if p.name.startswith(".tmp-")]
    for path in _sorted(orphans + temps):
        _remove_if_old(path, cutoff, report)
    return report


def _sorted(paths: Iterable[Path]) -> list[Path]:
    return sorted(paths, key=lambda p: p.name)


def _remove_if_old(path: Path, cutoff: float, report: GcReport) -> None:
    try:
        info = path.lstat()
    except FileNotFoundError:
        return  # gone meanwhile
    if not stat.S_ISREG(info.st_mode):
        report.problems.append(f"{path} is not a regular file: left alone (see verify)")
        return
    if info.st_mtime > cutoff:
        report.kept_young += 1
        return
    if not report.dry_run:
        try:
            os.unlink(path)
        except OSError as exc:
            report.problems.append(f"{path}: not removed: {exc.strerror or exc}")
            return
    report.removed.append(path.name)
    report.bytes_freed += info.st_size
