"""``cite``: read a report's footnotes, snapshot every URL, write the manifest, log citations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sourcewatch.citations import store
from sourcewatch.citations.batch import DEFAULT_CONCURRENCY, snapshot_all
from sourcewatch.citations.footnotes import Footnote, read_report
from sourcewatch.citations.manifest import build_manifest
from sourcewatch.citations.snapshot import Snapshot
from sourcewatch.citations.status import LIVE

if TYPE_CHECKING:
    from sourcewatch.config import Settings
    from sourcewatch.net import Http
    from sourcewatch.workspace import Workspace


def unique_urls(footnotes: list[Footnote]) -> list[tuple[str, str]]:
    """(url, canonical) of every distinct canonical URL, in first-cited order."""
    seen: dict[str, str] = {}
    for note in footnotes:
        for found in note.urls:
            seen.setdefault(found.canonical, found.url)
    return [(url, canonical) for canonical, url in seen.items()]


async def cite_report(
    ws: Workspace,
    http: Http,
    settings: Settings,
    path: Path,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    max_age: timedelta | None = timedelta(hours=24),
    force: bool = False,
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[Snapshot], None] | None = None,
) -> dict[str, Any]:
    """Snapshot every footnote URL of the report at ``path``; the manifest (see .manifest)."""
    footnotes = read_report(path)
    report_bytes = path.read_bytes()
    targets = unique_urls(footnotes)
    if on_start is not None:
        on_start(len(targets))
    snaps = await snapshot_all(
        ws,
        http,
        settings,
        targets,
        concurrency=concurrency,
        max_age=max_age,
        force=force,
        on_done=on_done,
    )
    store.record_citations(ws, citation_rows(str(path), footnotes, snaps))
    return build_manifest(str(path), report_bytes, footnotes, snaps)


def citation_rows(
    report: str, footnotes: list[Footnote], snaps: dict[str, Snapshot]
) -> list[store.CitationRow]:
    """One row per URL occurrence (and one ``no-url`` row per footnote without a URL).

    A URL that is not live now points at our own capture it is cited from, when there is one.
    """
    rows = []
    for note in footnotes:
        if not note.urls:
            rows.append(
                store.CitationRow(report, note.number, note.text, None, None, None, "no-url")
            )
        for found in note.urls:
            snap = snaps[found.canonical]
            rows.append(snapshot_row(report, note.number, found.raw, snap))
    return rows


def snapshot_row(
    report: str, footnote: int | None, raw_text: str, snap: Snapshot
) -> store.CitationRow:
    capture_id = snap.capture_id
    if snap.status != LIVE and snap.earlier is not None:
        capture_id = snap.earlier.capture_id
    return store.CitationRow(
        report=report,
        footnote=footnote,
        raw_text=raw_text,
        url=snap.url,
        canonical_url=snap.canonical,
        capture_id=capture_id,
        status=snap.status,
    )
