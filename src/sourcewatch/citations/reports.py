"""Reading back what ``cite`` recorded: the reports, and each one's footnotes with
their URLs, status and the capture cited (for the web view's citation pages)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from typing import Any

import sqlalchemy as sa

from sourcewatch.records import iso_utc
from sourcewatch.store.tables import CAPTURE, CITATION


@dataclass(frozen=True)
class ReportSummary:
    report: str
    urls: int
    by_status: dict[str, int]
    last_cited_at: datetime

    @property
    def key(self) -> str:
        """A stable opaque name for links (the report's path stays on the server)."""
        return hashlib.sha256(self.report.encode("utf-8", "replace")).hexdigest()[:16]

    @property
    def title(self) -> str:
        """The report's file name, without the directories it was cited from."""
        return PurePath(self.report).name or self.report

    def to_json(self) -> dict[str, Any]:
        return {
            "report": self.report,
            "urls": self.urls,
            "by_status": self.by_status,
            "last_cited_at": iso_utc(self.last_cited_at),
        }


@dataclass(frozen=True)
class CitedUrl:
    footnote: int | None
    raw_text: str
    url: str | None
    canonical_url: str | None
    status: str
    cited_at: datetime
    capture_id: int | None
    sha256: str | None
    fetched_at: datetime | None
    capture_url: str | None


def reports(conn: sa.Connection) -> list[ReportSummary]:
    """Every report ``cite`` has run on, newest first, with its URLs' statuses counted
    (from the latest run of each report)."""
    latest = _latest_runs(conn)
    counts: dict[str, dict[str, int]] = {}
    for report, at, status, count in conn.execute(
        sa.select(
            CITATION.c.report, CITATION.c.created_at, CITATION.c.status, sa.func.count()
        ).group_by(CITATION.c.report, CITATION.c.created_at, CITATION.c.status)
    ):
        if latest.get(report) == at:
            counts.setdefault(report, {})[status] = count
    summaries = [
        ReportSummary(report, sum(counts.get(report, {}).values()), counts.get(report, {}), at)
        for report, at in latest.items()
    ]
    return sorted(summaries, key=lambda s: s.last_cited_at, reverse=True)


def report_citations(conn: sa.Connection, report: str) -> list[CitedUrl]:
    """The latest run's rows for ``report``, in footnote order; empty if never cited."""
    at = _latest_runs(conn, report).get(report)
    if at is None:
        return []
    rows = conn.execute(
        sa.select(
            CITATION,
            CAPTURE.c.sha256,
            CAPTURE.c.fetched_at,
            CAPTURE.c.url.label("capture_url"),
        )
        .outerjoin(CAPTURE, CAPTURE.c.id == CITATION.c.capture_id)
        .where(CITATION.c.report == report, CITATION.c.created_at == at)
        .order_by(CITATION.c.footnote.is_(None), CITATION.c.footnote, CITATION.c.id)
    )
    return [
        CitedUrl(
            r.footnote,
            r.raw_text,
            r.url,
            r.canonical_url,
            r.status,
            r.created_at,
            r.capture_id,
            r.sha256,
            r.fetched_at,
            r.capture_url,
        )
        for r in rows
    ]


def _latest_runs(conn: sa.Connection, report: str | None = None) -> dict[str, datetime]:
    query = sa.select(CITATION.c.report, sa.func.max(CITATION.c.created_at)).group_by(
        CITATION.c.report
    )
    if report is not None:
        query = query.where(CITATION.c.report == report)
    return {name: at for name, at in conn.execute(query)}
