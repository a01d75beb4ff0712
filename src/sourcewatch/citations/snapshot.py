"""``snapshot``: capture one URL now, archive everything, and say what was stored.

For each URL: the raw response goes through :func:`sourcewatch.ingest.writer.ingest`
(objects first, then capture rows and the hash-chained capture log), with a
WARC record of the exchange beside it and, for known platforms, the structured
post (see :mod:`.platforms`). The snapshot is logged as a ``citation`` row.

Captures belong to one synthetic, disabled source per platform
(``snapshots-telegram``, ``snapshots-x``, ``snapshots-jihadology``,
``snapshots-web``): the capture log and ``verify`` cover them like any other
capture, the daemon never polls them, and a cited post is an item like any
other (so an edit seen on re-check is a new revision, and a watchlist hit is queued).

Statuses are those of :mod:`.status`: ``live``, ``deleted`` (the platform said
so), ``unreachable`` (may be transient: DNS, timeout, refused, TLS, 5xx),
``blocked`` (401/403/451, or our guard refused a private address); the raw
reason is in ``reason``. Whenever the URL is not live now, the newest capture of
it in our own archive (a snapshot, or the item the daemon collected) is cited
instead, with its capture id, SHA-256, capture time and item revision.
A reused capture (younger than ``--max-age``) keeps its own capture time.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sourcewatch.citations import store
from sourcewatch.citations.platforms import CaptureFailed, capture
from sourcewatch.citations.privatelinks import private_post
from sourcewatch.citations.status import LIVE, SNAPSHOT_STATUSES, failure
from sourcewatch.citations.urlread import archived_original, url_kind
from sourcewatch.ingest.writer import ingest_many
from sourcewatch.net import FetchError
from sourcewatch.records import PollResult, RawCapture, iso_utc, utcnow
from sourcewatch.sources.config import SourceConfig
from sourcewatch.store.warc import standalone_warc
from sourcewatch.text.urls import canonical_url

if TYPE_CHECKING:
    from sourcewatch.config import Settings
    from sourcewatch.net import Http
    from sourcewatch.workspace import Workspace

__all__ = ["SNAPSHOT_STATUSES", "Snapshot", "SnapshotObject", "snapshot_source", "snapshot_url"]
_SOURCE_KINDS = {"telegram": "telegram", "x": "x", "jihadology": "wordpress", "web": "web"}


@dataclass(frozen=True)
class SnapshotObject:
    role: str  # response, warc, media, attachment, api
    sha256: str
    size: int
    url: str
    capture_id: int | None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Snapshot:
    url: str
    canonical: str
    kind: str
    status: str
    captured_at: datetime | None = None
    capture_id: int | None = None  # the archive id: the Capture row of the response
    sha256: str | None = None  # of the response body
    http_status: int | None = None
    objects: list[SnapshotObject] = field(default_factory=list)
    content_sha256: str | None = None  # the post's/article's content hash (edits change it)
    reused: bool = False  # captured within --max-age: not fetched again
    reason: str | None = None  # the raw reason when not live (status line, resolver words)
    earlier: store.StoredCapture | None = None  # when not live: our capture cited instead
    archive_of: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "url": self.url,
            "canonical": self.canonical,
            "kind": self.kind,
            "status": self.status,
            "archive_id": self.capture_id,
            "sha256": self.sha256,
            "captured_at": iso_utc(self.captured_at),
            "http_status": self.http_status,
            "reused": self.reused,
            "content_sha256": self.content_sha256,
            "objects": [o.to_json() for o in self.objects],
            "reason": self.reason,
        }
        if self.archive_of:
            data["archive_of"] = self.archive_of
        if self.earlier is not None:
            data["cited_instead"] = cited_instead_json(self.earlier)
        return data


def cited_instead_json(earlier: store.StoredCapture) -> dict[str, Any]:
    """The capture a citation stands on when its URL is not live now."""
    data: dict[str, Any] = {
        "archive_id": earlier.capture_id,
        "sha256": earlier.sha256,
        "captured_at": iso_utc(earlier.fetched_at),
        "url": earlier.url,
    }
    if earlier.item_id is not None:
        data |= {"item_id": earlier.item_id, "revision": earlier.revision}
    return data


def snapshot_source(kind: str) -> SourceConfig:
    """The synthetic, disabled source that owns the snapshots of one platform."""
    return SourceConfig(
        name=f"snapshots-{kind}",
        kind=_SOURCE_KINDS[kind],
        target="(snapshots of cited URLs)",
        enabled=False,
    )


async def snapshot_url(
    ws: Workspace,
    http: Http,
    settings: Settings,
    url: str,
    *,
    max_age: timedelta | None = timedelta(hours=24),
    force: bool = False,
    writer: SnapshotWriter | None = None,
    fetch_slot: asyncio.Semaphore | None = None,
) -> Snapshot:
    """Capture ``url`` now (or reuse a capture younger than ``max_age``). Never raises for
    what the URL did; raises ValueError only when ``url`` is not a URL at all.

    ``writer``: the one snapshots of a batch share (``snapshot_all``), so those finished
    while another was being stored are stored together. ``fetch_slot``: held while the
    URL is fetched and parsed, not while it waits to be stored, so the next URLs'
    requests go out while a batch is written (the writer bounds its own queue)."""
    canonical = canonical_url(url)
    archived = archived_original(canonical)
    kind = "web" if archived else url_kind(canonical)
    snap = Snapshot(url=url, canonical=canonical, kind=kind, status=LIVE)
    snap.archive_of = archived[0] if archived else None
    if not force and max_age is not None:
        recent = store.latest_capture(ws, canonical, since=utcnow() - max_age)
        if recent is not None:
            return _reused(snap, recent)
    source = snapshot_source(kind)
    fetch_as = canonical
    if kind == "telegram" and private_post(canonical) is not None:
        # t.me/c/<id>/<n>: the same post under the channel's public name, when known
        public = await asyncio.to_thread(store.public_post_url, ws, canonical)
        fetch_as = public or canonical
    try:
        async with fetch_slot or contextlib.nullcontext():
            done = await capture(http, settings, kind, fetch_as, source)
            # gzip of the whole exchange: CPU the event loop must not wait on
            warc = await asyncio.to_thread(standalone_warc, done.primary)
    except FetchError as exc:
        return _not_live(ws, snap, *failure(exc))
    except CaptureFailed as exc:
        return _not_live(ws, snap, exc.status, str(exc))
    earlier = (
        await asyncio.to_thread(store.own_capture, ws, canonical) if done.status != LIVE else None
    )
    done.result.captures.append(warc)
    ids = await (writer or SnapshotWriter(ws)).store(source, done.result)
    snap.status = done.status
    snap.reason = done.note if done.status != LIVE else None
    snap.earlier = earlier
    snap.captured_at = done.primary.fetched_at
    snap.http_status = done.primary.status
    snap.sha256 = done.primary.sha256
    snap.capture_id = ids.get((done.primary.sha256, done.primary.url))
    snap.objects = [
        _stored(c, "response" if c is done.primary else None, ids) for c in done.result.captures
    ]
    items = [item for item in done.result.items if not item.deleted]
    snap.content_sha256 = items[0].content_hash() if items else None
    return snap


_WRITER = threading.Lock()

CaptureIds = dict[tuple[str, str], int]


class SnapshotWriter:
    """Stores snapshots' results, group commit: one ingest at a time (SQLite has one
    writer; the capture log is a chain either way), and the results that arrive while
    one is stored go in the next, together.

    Ingest blocks on fsync and SQL, so it runs in a worker thread while the other
    snapshots' network and parsing go on. Storing each alone cost, per URL, an object
    store sync, a WARC fsync, a transaction and a capture-log anchor: with 16 snapshots
    at once, most of ``cite``'s time was spent waiting for the previous one's fsyncs.
    A batch is one ``ingest_many`` of the results (several of one source merged into
    one, see ``_merged``), then each snapshot's capture ids."""

    def __init__(self, ws: Workspace, *, max_waiting: int = 32) -> None:
        self.ws = ws
        self._waiting: list[tuple[SourceConfig, PollResult, asyncio.Future[CaptureIds]]] = []
        self._drainer: asyncio.Task[None] | None = None
        # Fetched results held until stored, bodies included: a slow disk must slow the
        # fetching down, not pile a report's pages up in memory.
        self._room = asyncio.Semaphore(max_waiting)

    async def store(self, source: SourceConfig, result: PollResult) -> CaptureIds:
        """Store ``result`` (raising what its ingest raised); its captures' ids."""
        async with self._room:
            loop = asyncio.get_running_loop()
            future: asyncio.Future[CaptureIds] = loop.create_future()
            self._waiting.append((source, result, future))
            if self._drainer is None or self._drainer.done():
                self._drainer = loop.create_task(self._drain())
            return await future

    async def _drain(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            await self._store_batch(batch)

    async def _store_batch(
        self, batch: list[tuple[SourceConfig, PollResult, asyncio.Future[CaptureIds]]]
    ) -> None:
        try:
            outcomes = await asyncio.to_thread(
                _store_serially, self.ws, [(source, result) for source, result, _ in batch]
            )
        except Exception as exc:  # nothing stored (e.g. the database is busy): all fail
            outcomes = [exc] * len(batch)
        for (_, _, future), outcome in zip(batch, outcomes, strict=True):
            if future.done():  # its snapshot was cancelled while waiting
                continue
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)


def _store_serially(
    ws: Workspace, polls: list[tuple[SourceConfig, PollResult]]
) -> list[CaptureIds | Exception]:
    with _WRITER:
        merged, members = _merged(polls)
        reports = ingest_many(ws, merged)
        outcomes: list[CaptureIds | Exception] = []
        for (_, result), index in zip(polls, members, strict=True):
            report = reports[index]
            outcomes.append(
                report if isinstance(report, Exception) else store.capture_ids(ws, result.captures)
            )
        return outcomes


def _merged(
    polls: list[tuple[SourceConfig, PollResult]],
) -> tuple[list[tuple[SourceConfig, PollResult]], list[int]]:
    """Results of one snapshot source merged into one (a source's results are otherwise
    stored one transaction each), and for each poll the index of the one it went into.
    Only results with no cursor or validators, whose items' ids differ, are merged."""
    merged: list[tuple[SourceConfig, PollResult]] = []
    members: list[int] = []
    open_for: dict[str, tuple[int, set[str]]] = {}  # source -> (index, external ids)
    for source, result in polls:
        ids = {item.external_id for item in result.items}
        plain = result.cursor is None and result.etag is None and result.last_modified is None
        target = open_for.get(source.name) if plain and not result.not_modified else None
        if target is not None and not (ids & target[1]) and len(ids) == len(result.items):
            into = merged[target[0]][1]
            into.captures.extend(result.captures)
            into.items.extend(result.items)
            into.skipped.extend(result.skipped)
            target[1].update(ids)
            members.append(target[0])
            continue
        members.append(len(merged))
        copy = replace(
            result, captures=[*result.captures], items=[*result.items], skipped=[*result.skipped]
        )
        merged.append((source, copy))
        if plain and not result.not_modified and len(ids) == len(result.items):
            open_for[source.name] = (len(merged) - 1, set(ids))
    return merged, members


def _stored(
    capture: RawCapture, role: str | None, ids: dict[tuple[str, str], int]
) -> SnapshotObject:
    if role is None:
        role = "warc" if capture.media_type == "application/warc" else capture.kind
    return SnapshotObject(
        role=role,
        sha256=capture.sha256,
        size=capture.size,
        url=capture.url,
        capture_id=ids.get((capture.sha256, capture.url)),
    )


def _reused(snap: Snapshot, recent: store.StoredCapture) -> Snapshot:
    snap.status = LIVE
    snap.reused = True
    snap.capture_id = recent.capture_id
    snap.sha256 = recent.sha256
    snap.captured_at = recent.fetched_at
    snap.http_status = recent.status
    return snap


def _not_live(ws: Workspace, snap: Snapshot, status: str, why: str) -> Snapshot:
    """No answer to archive: the status and raw reason, and our own capture cited instead."""
    snap.status = status
    snap.reason = why
    snap.earlier = store.own_capture(ws, snap.canonical)
    return snap
