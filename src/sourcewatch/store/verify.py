"""``sourcewatch verify``: prove the archive is whole and unaltered.

Full mode re-hashes every object; ``quick`` only checks that each object exists.
Both walk the capture-log chain and check every Capture row against its log entry,
so an altered or deleted row, a missing object or a flipped byte is each named.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sqlalchemy as sa

from sourcewatch.store import capturelog
from sourcewatch.store.db import read_connection
from sourcewatch.store.objects import ObjectMissing
from sourcewatch.store.tables import CAPTURE, CAPTURE_LOG

if TYPE_CHECKING:
    from sourcewatch.workspace import Workspace

Progress = Callable[[int, int], None]  # (done, total)


@dataclass
class VerifyReport:
    quick: bool
    entries: int = 0
    objects: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "mode": "quick" if self.quick else "full",
            "log_entries": self.entries,
            "objects": self.objects,
            "problems": self.problems,
        }


def verify_archive(
    ws: Workspace, *, quick: bool = False, progress: Progress | None = None
) -> VerifyReport:
    report = VerifyReport(quick=quick)
    object_state: dict[str, str | None] = {}  # sha256 -> problem text, or None when fine
    with read_connection(ws.engine) as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(CAPTURE_LOG)).scalar_one()
        for entry in capturelog.walk(conn):
            if isinstance(entry, capturelog.ChainProblem):
                report.problems.append(str(entry))
                continue
            report.entries += 1
            if entry.sha256 not in object_state:
                object_state[entry.sha256] = _check_object(ws, entry.sha256, quick)
            problem = object_state[entry.sha256]
            if problem:
                report.problems.append(f"{problem} (capture {entry.capture_id}, {entry.url})")
            if progress:
                progress(report.entries, total)
        report.problems.extend(_captures_without_matching_entry(conn))
    report.objects = len(object_state)
    return report


def _check_object(ws: Workspace, sha256: str, quick: bool) -> str | None:
    if quick:
        return None if ws.objects.exists(sha256) else f"object {sha256} missing"
    try:
        actual = ws.objects.rehash(sha256)
    except ObjectMissing:
        return f"object {sha256} missing"
    if actual != sha256:
        return f"object {sha256} corrupt: its bytes now hash to {actual}"
    return None


def _captures_without_matching_entry(conn: sa.Connection) -> list[str]:
    rows = conn.execute(
        sa.select(
            CAPTURE.c.id,
            CAPTURE.c.sha256,
            CAPTURE.c.url,
            CAPTURE_LOG.c.seq,
            CAPTURE_LOG.c.sha256.label("log_sha"),
            CAPTURE_LOG.c.url.label("log_url"),
        )
        .select_from(CAPTURE.outerjoin(CAPTURE_LOG, CAPTURE_LOG.c.capture_id == CAPTURE.c.id))
        .where(
            sa.or_(
                CAPTURE_LOG.c.seq.is_(None),
                CAPTURE_LOG.c.sha256 != CAPTURE.c.sha256,
                CAPTURE_LOG.c.url != CAPTURE.c.url,
            )
        )
        .order_by(CAPTURE.c.id)
    ).all()
    problems = []
    for row in rows:
        if row.seq is None:
            problems.append(f"capture {row.id} ({row.url}) has no capture log entry")
        else:
            problems.append(
                f"capture {row.id} differs from its log entry {row.seq}: "
                f"row says {row.sha256} {row.url}, log says {row.log_sha} {row.log_url}"
            )
    return problems
