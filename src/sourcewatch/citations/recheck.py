"""Re-check cited URLs: what changed since they were captured (deleted, edited, still live).

A re-check is a new forced snapshot, so the current state is archived too (an
edit becomes a new item revision, a deletion marks the item deleted).
Comparison: the post's or article's content hash when both captures have one
(view counts and page chrome do not count as edits), else the response body's
SHA-256 (a PDF, an image).

Each URL gets one word of :mod:`.status`: ``live`` (unchanged), ``edited``,
``deleted`` (the platform says so now), ``unreachable`` or ``blocked`` (nothing
can be said now: never counted as a change, tried again next time). ``changed``
is true only for an edit, a deletion not known before, or a post that came back
(``restored``): a re-check that only met unreachable URLs claims nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from sourcewatch.citations import store
from sourcewatch.citations.batch import DEFAULT_CONCURRENCY, snapshot_all
from sourcewatch.citations.cite import snapshot_row
from sourcewatch.citations.snapshot import Snapshot, snapshot_source
from sourcewatch.citations.status import (
    BLOCKED,
    DELETED,
    EDITED,
    LIVE,
    SNAPSHOT_STATUSES,
    STATUSES,
    UNREACHABLE,
    from_legacy,
)
from sourcewatch.errors import SourcewatchError
from sourcewatch.store.tables import ITEM, SOURCE

if TYPE_CHECKING:
    from sourcewatch.config import Settings
    from sourcewatch.net import Http
    from sourcewatch.workspace import Workspace

log = logging.getLogger(__name__)
CHANGES = STATUSES


class ManifestError(SourcewatchError):
    """The file is not a citation manifest written by ``cite``."""


@dataclass(frozen=True)
class Then:
    """What was known about a URL at the earlier capture."""

    status: str
    sha256: str | None
    content_sha256: str | None


@dataclass(frozen=True)
class Change:
    canonical: str
    change: str
    then: Then
    now: Snapshot

    @property
    def changed(self) -> bool:
        """An edit, a deletion not known before, or a deleted post back online."""
        if self.change == EDITED:
            return True
        if self.change == DELETED:
            return self.then.status != DELETED
        return self.change == LIVE and self.then.status == DELETED

    @property
    def restored(self) -> bool:
        return self.change == LIVE and self.then.status == DELETED

    def to_json(self) -> dict[str, Any]:
        return {
            "canonical": self.canonical,
            "change": self.change,
            "changed": self.changed,
            "restored": self.restored,
            "then": self.then.__dict__,
            "now": self.now.to_json(),
        }


@dataclass
class RecheckReport:
    changes: list[Change] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(CHANGES, 0)
        for change in self.changes:
            counts[change.change] += 1
        counts["changed"] = sum(1 for change in self.changes if change.changed)
        return counts

    def to_json(self) -> dict[str, Any]:
        return {"summary": self.counts(), "urls": [c.to_json() for c in self.changes]}


def compare(then: Then, now: Snapshot) -> str:
    """The one word for the URL now, given what was cited then."""
    if now.status in (UNREACHABLE, BLOCKED, DELETED):
        return now.status
    if then.status != LIVE:
        return LIVE  # nothing live to compare with: it is live now
    if then.content_sha256 and now.content_sha256:
        same = then.content_sha256 == now.content_sha256
    else:
        same = then.sha256 == now.sha256
    return LIVE if same else EDITED


def manifest_targets(manifest: Any) -> dict[str, tuple[str, Then]]:
    """canonical -> (url, what the manifest recorded), for every URL a manifest cites."""
    if not isinstance(manifest, dict) or not isinstance(manifest.get("footnotes"), list):
        raise ManifestError('not a citation manifest: no "footnotes" list')
    targets: dict[str, tuple[str, Then]] = {}
    for note in manifest["footnotes"]:
        for url in note.get("urls", []) if isinstance(note, dict) else []:
            if not isinstance(url, dict) or not isinstance(url.get("canonical"), str):
                raise ManifestError(f'footnote {note.get("number")}: a URL without "canonical"')
            status = from_legacy(str(url.get("status")))
            if status not in SNAPSHOT_STATUSES:
                raise ManifestError(
                    f"footnote {note.get('number')}: {url['canonical']} has no capture status "
                    "(a --dry-run output cannot be re-checked)"
                )
            then = Then(status, url.get("sha256"), url.get("content_sha256"))
            targets.setdefault(url["canonical"], (url.get("url") or url["canonical"], then))
    return targets


async def recheck_manifest(
    ws: Workspace,
    http: Http,
    settings: Settings,
    manifest: Any,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> RecheckReport:
    targets = manifest_targets(manifest)
    return await _recheck(ws, http, settings, targets, str(manifest.get("report")), concurrency)


async def recheck_cited_urls(ws: Workspace, http: Http) -> RecheckReport:
    """The daemon's weekly job: re-check every URL any report cites, against the archive."""
    targets = {
        canonical: (canonical, then_from_archive(ws, canonical))
        for canonical in store.cited_urls(ws)
    }
    report = await _recheck(
        ws, http, ws.settings, targets, store.RECHECK_REPORT, DEFAULT_CONCURRENCY
    )
    log.info("cited URLs re-checked", extra={"urls": len(targets), **report.counts()})
    return report


async def _recheck(
    ws: Workspace,
    http: Http,
    settings: Settings,
    targets: dict[str, tuple[str, Then]],
    report_name: str,
    concurrency: int,
) -> RecheckReport:
    snaps = await snapshot_all(
        ws,
        http,
        settings,
        [(url, canonical) for canonical, (url, _) in targets.items()],
        concurrency=concurrency,
        max_age=None,
        force=True,
    )
    store.record_citations(
        ws, [snapshot_row(report_name, None, snap.url, snap) for snap in snaps.values()]
    )
    report = RecheckReport()
    for canonical, (_, then) in targets.items():
        now = snaps[canonical]
        report.changes.append(Change(canonical, compare(then, now), then, now))
    return report


def then_from_archive(ws: Workspace, canonical: str) -> Then:
    """What our archive holds for ``canonical``: its newest live capture, else nothing known."""
    latest = store.own_capture(ws, canonical)
    if latest is None:  # never seen live: what the last look said (deleted stays deleted)
        said = store.latest_status(ws, canonical)
        return Then(from_legacy(said) if said else UNREACHABLE, None, None)
    if latest.content_sha256 is not None:
        return Then(LIVE, latest.sha256, latest.content_sha256)
    item, source = ITEM, SOURCE
    with ws.engine.connect() as conn:
        content = conn.execute(
            sa.select(item.c.content_hash)
            .join(source, source.c.id == item.c.source_id)
            .where(
                item.c.external_id == canonical,
                source.c.name.in_(
                    [snapshot_source(k).name for k in ("telegram", "x", "jihadology", "web")]
                ),
                item.c.deleted_at.is_(None),
            )
            .limit(1)
        ).scalar()
    return Then(LIVE, latest.sha256, content)
