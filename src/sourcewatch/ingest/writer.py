"""Ingest: the only writer. Collector output -> objects -> items/revisions -> cursor.

Order matters for crash safety: every capture's bytes are written to the object
store (atomically, fsynced) *before* the database transaction that refers to
them, and that transaction is all-or-nothing. A crash at any point leaves at
worst an unreferenced object; the next poll re-ingests and converges, because
every step is an upsert keyed by (source, external_id) or (sha256, url).

``ingest_many`` stores the results of several polls in one transaction (the daemon
batches the polls that finish while the database is busy): one WARC append, one
capture-log append and one commit for all of them, and a few statements per batch
instead of a dozen per poll. A poll whose data the database refuses does not sink
the others: the batch is rolled back and stored again one poll at a time. Within a
poll, one item the database still refuses (every value was first made storable, see
:mod:`sourcewatch.ingest.storable`) does not sink the rest: the poll is stored again
item by item, the refused item goes to the ``quarantine`` table with its reason, and
the cursor advances only after every other item is stored.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from sourcewatch.errors import SourcewatchError
from sourcewatch.ingest.items import ItemCounts, SourceItems, store_items
from sourcewatch.ingest.matches import ItemContent, match_and_queue
from sourcewatch.ingest.storable import storable_item, storable_text
from sourcewatch.records import ParsedItem, PollResult, RawCapture, utcnow
from sourcewatch.search.index import index_revisions
from sourcewatch.sources.config import SourceConfig
from sourcewatch.sources.sync import ensure_sources
from sourcewatch.store import capturelog, rollup, warc
from sourcewatch.store.sql import TRANSIENT_DB_ERRORS, chunked, insert_ignore, update_by_id
from sourcewatch.store.tables import CAPTURE, QUARANTINE, SOURCE
from sourcewatch.text.language import item_language
from sourcewatch.workspace import Workspace

_log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from sourcewatch.matching import Matcher

log = logging.getLogger(__name__)

# A refusal's text as stored: database errors can quote a whole statement.
_MAX_REASON = 2000


class IngestError(SourcewatchError):
    """The collector output is inconsistent; nothing was stored."""


@dataclass
class IngestReport:
    source: str
    new: int = 0
    edited: int = 0
    deleted: int = 0
    unchanged: int = 0
    captures_new: int = 0
    objects_new: int = 0
    matches: int = 0
    queued: int = 0
    changed: list[ItemContent] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # PollResult.skipped, passed on
    # "external_id: reason" of each item the database refused (see the quarantine table)
    quarantined: list[str] = field(default_factory=list)

    def add(self, other: IngestReport) -> None:
        """Count ``other`` (a part of the same store: a chunk, an item) in this report."""
        self.new += other.new
        self.edited += other.edited
        self.deleted += other.deleted
        self.unchanged += other.unchanged
        self.captures_new += other.captures_new
        self.objects_new += other.objects_new
        self.matches += other.matches
        self.queued += other.queued
        self.changed.extend(other.changed)
        self.quarantined.extend(other.quarantined)
        self.skipped.extend(other.skipped)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "new": self.new,
            "edited": self.edited,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "captures_new": self.captures_new,
            "objects_new": self.objects_new,
            "matches": self.matches,
            "queued": self.queued,
            "skipped": self.skipped,
            "quarantined": self.quarantined,
        }


def ingest(
    ws: Workspace, source: SourceConfig, result: PollResult, *, now: datetime | None = None
) -> IngestReport:
    """Store one PollResult. Idempotent: ingesting the same result twice changes nothing.

    New items and edits are matched against the workspace's watchlists in the same
    transaction, and hits are queued for triage.
    """
    [stored] = ingest_many(ws, [(source, result)], now=now)
    if isinstance(stored, Exception):
        raise stored
    return stored


def ingest_many(
    ws: Workspace,
    polls: Sequence[tuple[SourceConfig, PollResult]],
    *,
    now: datetime | None = None,
) -> list[IngestReport | Exception]:
    """Store several PollResults together; one report, or the error that stopped that
    poll's result from being stored, per poll, in order.

    Database errors that may pass (connection lost, database locked) are raised, as
    nothing was stored; the caller retries. Every other error belongs to one poll: it
    is returned in that poll's place and the other polls are stored.
    """
    now = now or utcnow()
    outcomes: dict[int, IngestReport | Exception] = {}
    pending: list[_Poll] = []
    for index, (source, result) in enumerate(polls):
        try:
            pending.append(_prepare(index, source, result, ws.settings.max_item_text_chars))
        except IngestError as exc:
            outcomes[index] = exc
    if not pending:
        return [outcomes[index] for index in range(len(polls))]
    matcher = ws.matcher()  # loaded (and validated) before anything is written

    for poll in pending:  # blobs first, outside the transaction
        poll.objects_new = store_blobs(ws, poll.result.captures, durable=False)
    ws.objects.sync()  # every blob of the batch (and those the polls wrote) made durable
    # HTTP exchanges as WARC records, durable before the transaction that indexes them.
    exchanges = warc.archive_exchanges(
        ws, [capture for poll in pending for capture in poll.result.captures]
    )

    for group in _distinct_sources(pending):
        try:
            outcomes.update(_write(ws, group, exchanges, matcher, now))
        except TRANSIENT_DB_ERRORS:
            raise
        except Exception as exc:
            if len(group) == 1:
                outcomes[group[0].index] = _refused_poll(ws, group[0], exchanges, matcher, now, exc)
                continue
            for poll in group:  # find the poll the database refused; store the others
                try:
                    outcomes.update(_write(ws, [poll], exchanges, matcher, now))
                except TRANSIENT_DB_ERRORS:
                    raise
                except Exception as poll_exc:
                    outcomes[poll.index] = _refused_poll(
                        ws, poll, exchanges, matcher, now, poll_exc
                    )
    return [outcomes[index] for index in range(len(polls))]


def store_blobs(ws: Workspace, captures: Sequence[RawCapture], *, durable: bool = True) -> int:
    """Write the captures' bytes to the object store; how many were new.

    Ingest does this first; the daemon does it as soon as a poll has fetched, in the
    poll's own thread. With ``durable=False`` the bytes are on disk for any later reader
    but durable only after ``ws.objects.sync()``, which ``ingest_many`` calls once for
    its whole batch before the transaction that refers to them."""
    return sum(
        ws.objects.put(capture.body, durable=durable).created
        for capture in captures
        # The daemon's ingest comes here a second time: a stat on the capture's (cached)
        # hash, not a second pass of SHA-256 over bytes that may be 50 MB.
        if not ws.objects.path_for(capture.sha256).exists()
    )


@dataclass
class _Poll:
    """One poll's result on its way into the database."""

    index: int
    source: SourceConfig
    result: PollResult
    items: list[ParsedItem]
    objects_new: int = 0


# What the database, a column's bind processing or the driver's adapters raise when they
# refuse a value (psycopg serializes JSON itself: a TypeError, not a StatementError): only
# these are a reason to store item by item and quarantine. Anything else (a bug, a full
# disk) stays the poll's error, loudly, with nothing of the poll stored.
REFUSALS: tuple[type[Exception], ...] = (sa.exc.StatementError, TypeError, ValueError)


def _refused_poll(
    ws: Workspace,
    poll: _Poll,
    exchanges: Sequence[warc.WrittenExchange],
    matcher: Matcher,
    now: datetime,
    error: Exception,
) -> IngestReport | Exception:
    if not isinstance(error, REFUSALS):
        return error
    return _write_item_by_item(ws, poll, exchanges, matcher, now, error)


def _write_item_by_item(
    ws: Workspace,
    poll: _Poll,
    exchanges: Sequence[warc.WrittenExchange],
    matcher: Matcher,
    now: datetime,
    refusal: Exception,
) -> IngestReport | Exception:
    """Store a poll the database refused as a whole, one item per transaction; the
    items still refused are quarantined. The cursor and validators are stored last,
    with no item, so a crash in between re-polls what was not stored yet."""
    held = replace(poll.result, cursor=None, etag=None, last_modified=None)
    total = IngestReport(source=poll.source.name, objects_new=poll.objects_new)
    try:  # the captures alone: if they are refused, the poll's error stands
        _write(ws, [replace(poll, items=[], result=held)], exchanges, matcher, now)
    except TRANSIENT_DB_ERRORS:
        raise
    except Exception:
        return refusal
    for item in poll.items:
        one = replace(poll, items=[item], result=held)
        try:
            report = _write(ws, [one], exchanges, matcher, now)[poll.index]
        except TRANSIENT_DB_ERRORS:
            raise
        except REFUSALS as exc:
            reason = _quarantine(ws, poll.source, item, exc, now)
            total.quarantined.append(f"{item.external_id}: {reason}")
            continue
        total.add(report)
    total.add(_write(ws, [replace(poll, items=[])], exchanges, matcher, now)[poll.index])
    return total


def _quarantine(
    ws: Workspace, source: SourceConfig, item: ParsedItem, exc: Exception, now: datetime
) -> str:
    """Keep a refused item with its reason; the reason."""
    reason = storable_text(f"{type(exc).__name__}: {exc}")[:_MAX_REASON]
    log.warning("%s: item %s quarantined: %s", source.name, item.external_id[:200], reason)
    # ensure_ascii: every character escaped, so the text is storable whatever it holds
    kept = {**item.to_json(), "capture_sha256s": item.capture_sha256s}  # for a retry
    document = json.dumps(kept, ensure_ascii=True, default=repr)
    with ws.engine.begin() as conn:
        source_id = ensure_sources(conn, [source], now)[source.name]
        conn.execute(
            insert_ignore(conn, QUARANTINE),
            [
                {
                    "source_id": source_id,
                    "external_id": item.external_id,
                    "reason": reason,
                    "item": document,
                    "quarantined_at": now,
                }
            ],
        )
    return reason


def _prepare(index: int, source: SourceConfig, result: PollResult, max_text: int) -> _Poll:
    items = _dedupe_items(source, [storable_item(item, max_text) for item in result.items])
    _check_capture_refs(source, items, result.captures)
    for item in items:  # outside the transaction: detection is CPU work
        if item.deleted or (item.text_only and not (item.lang or source.language)):
            continue  # a post seen in passing is detected only if it proves to be an edit
        item.lang, item.lang_method = item_language(
            item.lang, source.language, item.title, item.text
        )
    return _Poll(index, source, result, items)


def _distinct_sources(polls: list[_Poll]) -> Iterator[list[_Poll]]:
    """Groups in which each source appears once (its rows are keyed by source)."""
    while polls:
        seen: set[str] = set()
        group: list[_Poll] = []
        rest: list[_Poll] = []
        for poll in polls:
            (rest if poll.source.name in seen else group).append(poll)
            seen.add(poll.source.name)
        yield group
        polls = rest


def _write(
    ws: Workspace,
    polls: list[_Poll],
    exchanges: Sequence[warc.WrittenExchange],
    matcher: Matcher,
    now: datetime,
) -> dict[int, IngestReport]:
    """Store ``polls`` in one transaction; their reports by poll index."""
    reports = {
        poll.index: IngestReport(
            source=poll.source.name,
            objects_new=poll.objects_new,
            skipped=list(poll.result.skipped),
        )
        for poll in polls
    }
    keys = {(c.sha256, c.url) for poll in polls for c in poll.result.captures}
    with ws.engine.begin() as conn:
        source_ids = ensure_sources(conn, [poll.source for poll in polls], now)
        capture_ids, log_entries = _store_captures(conn, polls, source_ids, reports)
        warc.index_exchanges(conn, [w for w in exchanges if (w.sha256, w.url) in keys])
        counts = {poll.index: ItemCounts() for poll in polls}
        store_items(
            conn,
            [
                SourceItems(
                    source_ids[poll.source.name],
                    poll.items,
                    capture_ids[poll.index],
                    counts[poll.index],
                )
                for poll in polls
            ],
            now,
        )
        for poll in polls:
            report, done = reports[poll.index], counts[poll.index]
            report.new, report.edited, report.deleted = done.new, done.edited, done.deleted
            report.unchanged, report.changed = done.unchanged, done.changed
            report.matches, report.queued = match_and_queue(
                conn, matcher, poll.source, report.changed, now
            )
        _store_source_states(conn, polls, source_ids)
        revisions = [(c.item_id, c.revision) for done in counts.values() for c in done.changed]
        index_revisions(conn, revisions)  # the search index, in the same transaction
        log_entries += capturelog.revision_entries(conn, revisions)
        rollup.record_ingest(  # the dashboard's per-day counts; see store.rollup
            conn,
            {source_ids[poll.source.name]: counts[poll.index].new for poll in polls},
            revisions if any(reports[poll.index].matches for poll in polls) else [],
            now,
        )
        # Last, so the chain's lock (serializing every writer's appends) is held only
        # for the moment between this and the commit.
        head = capturelog.append(conn, log_entries)
    if head is not None:
        _anchor(ws, head)
    return reports


def _anchor(ws: Workspace, head: capturelog.Head) -> None:
    """Anchor the committed head outside the database (see capturelog). A failure is
    logged, not raised: the poll is stored, and verify reports the anchor as behind."""
    try:
        capturelog.write_anchor(ws.settings.data_dir, head)
    except OSError as exc:
        _log.error("capture-log head not anchored", extra={"seq": head.seq, "error": str(exc)})


def _dedupe_items(source: SourceConfig, items: Sequence[ParsedItem]) -> list[ParsedItem]:
    # Overlapping pages can list a post twice; the later reading wins.
    by_id: dict[str, ParsedItem] = {}
    for item in items:
        if not item.external_id or not str(item.external_id).strip():
            raise IngestError(f"{source.name}: an item has an empty external_id")
        by_id[item.external_id] = item
    return list(by_id.values())


def _check_capture_refs(
    source: SourceConfig, items: Iterable[ParsedItem], captures: Sequence[RawCapture]
) -> None:
    known = {c.sha256 for c in captures}
    for item in items:
        missing = [sha for sha in item.capture_sha256s if sha not in known]
        if missing:
            raise IngestError(
                f"{source.name}: item {item.external_id} cites capture {missing[0][:12]}… "
                "that is not in this result"
            )


def _store_captures(
    conn: sa.Connection,
    polls: Sequence[_Poll],
    source_ids: dict[str, int],
    reports: dict[int, IngestReport],
) -> tuple[dict[int, dict[str, list[int]]], list[capturelog.NewLogEntry]]:
    """Upsert Capture rows. Returns, per poll, sha256 -> the ids of its captures with
    those bytes, and the log entries to append for the new ones."""
    owners: dict[tuple[str, str], tuple[RawCapture, _Poll]] = {}
    for poll in polls:
        for capture in poll.result.captures:
            owners.setdefault((capture.sha256, capture.url), (capture, poll))
    if not owners:
        return {poll.index: {} for poll in polls}, []
    rows = [
        {
            "sha256": sha,
            "size": cap.size,
            "media_type": cap.media_type,
            "url": url,
            "request_url": cap.request_url,
            "kind": cap.kind,
            "status": cap.status,
            "headers": dict(cap.headers),
            "source_id": source_ids[poll.source.name],
            "fetched_at": cap.fetched_at,
            "last_seen_at": cap.fetched_at,
        }
        for (sha, url), (cap, poll) in owners.items()
    ]
    inserted = conn.execute(
        insert_ignore(conn, CAPTURE).returning(CAPTURE.c.id, CAPTURE.c.sha256, CAPTURE.c.url),
        rows,
    ).all()
    new_keys = {(row.sha256, row.url): row.id for row in inserted}
    for key in new_keys:
        reports[owners[key][1].index].captures_new += 1
    log_entries = [
        capturelog.NewLogEntry(
            capture_id=capture_id,
            sha256=sha,
            url=url,
            fetched_at=owners[(sha, url)][0].fetched_at,
            status=owners[(sha, url)][0].status,
        )
        for (sha, url), capture_id in sorted(new_keys.items(), key=lambda kv: kv[1])
    ]
    ids: dict[tuple[str, str], int] = {}
    seen_again: list[dict[str, Any]] = []
    for sha_chunk in chunked(sorted({sha for sha, _ in owners}), 500):
        existing = conn.execute(
            sa.select(CAPTURE.c.id, CAPTURE.c.sha256, CAPTURE.c.url, CAPTURE.c.last_seen_at).where(
                CAPTURE.c.sha256.in_(sha_chunk)
            )
        ).all()
        for row in existing:
            key = (row.sha256, row.url)
            if key not in owners:
                continue
            ids[key] = row.id
            capture = owners[key][0]
            if key not in new_keys and capture.fetched_at > row.last_seen_at:
                seen_again.append({"_id": row.id, "last_seen_at": capture.fetched_at})
    update_by_id(conn, CAPTURE, seen_again)
    by_poll: dict[int, dict[str, list[int]]] = {}
    for poll in polls:
        poll_ids = by_poll.setdefault(poll.index, {})
        for capture in poll.result.captures:
            capture_id = ids.get((capture.sha256, capture.url))
            known = poll_ids.setdefault(capture.sha256, [])
            if capture_id is not None and capture_id not in known:
                known.append(capture_id)
    return by_poll, log_entries


def _store_source_states(
    conn: sa.Connection, polls: Sequence[_Poll], source_ids: dict[str, int]
) -> None:
    updates = []
    for poll in polls:
        result = poll.result
        values: dict[str, Any] = {}
        if result.cursor is not None:
            values["cursor"] = result.cursor
        if result.etag is not None:
            values["etag"] = result.etag
        if result.last_modified is not None:
            values["last_modified"] = result.last_modified
        if values:
            updates.append({"_id": source_ids[poll.source.name], **values})
    update_by_id(conn, SOURCE, updates)
