"""``sourcewatch verify``: prove the archive is whole and unaltered.

Full mode re-hashes every object; ``quick`` only checks that each object is in place.
Both:

- run the database's own integrity check (SQLite ``integrity_check``, or
  ``quick_check`` in quick mode; PostgreSQL amcheck where the extension is installed)
  and say which ran, since a chain read from a corrupt file proves nothing;
- walk the capture-log chain, and check every Capture row (hash, URL, fetch time,
  status), every item revision (its text hashes to its content hash, which its log
  entry covers) and every item (its text is its last revision's) against the log;
- check the chain still holds the head anchored outside the database (the anchor file,
  and RFC 3161 tokens of heads), which is what reveals a cut tail or a re-hashed chain;
- list orphan objects (no capture refers to them: left by a failed poll; see ``gc``).

Every anomaly is a named problem, never a traceback or a hang: an object replaced by a
directory or a FIFO, a sha256 that is a path, a database that fails mid-read. Verify
never writes: it runs on a read-only copy (see ``Workspace.open_read_only``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from sourcewatch.errors import SourcewatchError
from sourcewatch.records import MediaRef, ParsedItem, Progress
from sourcewatch.store import capturelog, rollup
from sourcewatch.store.db import head_revision, read_connection
from sourcewatch.store.objects import ObjectMissing, ObjectNotRegular, ObjectStore, is_sha256
from sourcewatch.store.tables import (
    CAPTURE,
    CAPTURE_LOG,
    ITEM,
    ITEM_REVISION,
    SEARCH_DOC,
    TIMESTAMP_TOKEN,
)

if TYPE_CHECKING:
    from sourcewatch.workspace import Workspace

_BATCH = 2000
_HEAD_SUBJECT = "capture-log-head"  # evidence.gather.HEAD_SUBJECT (evidence is a layer above)


class VerifyUnavailable(SourcewatchError):
    """The archive cannot be verified at all (no database, or an older schema)."""


@dataclass
class AnchorState:
    seq: int
    written_at: datetime
    age_seconds: float
    entries_after: int  # appended after the anchor was written (0 in a quiet archive)

    def to_json(self) -> dict[str, object]:
        return {
            "seq": self.seq,
            "written_at": capturelog.format_time(self.written_at),
            "age_seconds": round(self.age_seconds, 1),
            "entries_after": self.entries_after,
        }


@dataclass
class VerifyReport:
    quick: bool
    entries: int = 0
    objects: int = 0
    revisions: int = 0
    problems: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # what ran, e.g. the database check
    notes: list[str] = field(default_factory=list)  # worth knowing, not a failure
    anchor: AnchorState | None = None
    orphans: list[str] = field(default_factory=list)  # sha256 of unreferenced objects

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "mode": "quick" if self.quick else "full",
            "log_entries": self.entries,
            "objects": self.objects,
            "revisions": self.revisions,
            "checks": self.checks,
            "anchor": self.anchor.to_json() if self.anchor else None,
            "orphans": self.orphans,
            "notes": self.notes,
            "problems": self.problems,
        }


def require_current_schema(engine: sa.Engine) -> None:
    """Verify reads the schema of this version only (it never migrates: it never writes)."""
    from alembic.runtime.migration import MigrationContext

    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except sa.exc.DBAPIError as exc:
        raise VerifyUnavailable(f"database not readable: {_db_error(exc)}") from None
    if current != head_revision():
        raise VerifyUnavailable(
            f"the database schema is at {current or 'nothing'}, this version verifies "
            f"{head_revision()}: upgrade a writable copy with `sourcewatch init` first"
        )


def verify_archive(
    ws: Workspace,
    *,
    quick: bool = False,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> VerifyReport:
    report = VerifyReport(quick=quick)
    try:
        conn = read_connection(ws.engine)
    except (sa.exc.DBAPIError, UnicodeDecodeError) as exc:
        # So damaged that SQLite cannot read its own schema: say so, never a traceback.
        report.problems.append(f"database cannot be opened: {type(exc).__name__}: {exc}"[:2000])
        return report
    with conn:
        steps: list[Callable[[], None]] = [
            lambda: _database_integrity(conn, quick, report),
            lambda: _walk_chain(ws, conn, quick, report, progress),
            lambda: _check_captures(conn, report),
            lambda: _check_revisions(conn, report),
            lambda: _check_items(conn, report),
            lambda: _check_search_index(conn, report),
            lambda: _check_daily_counts(conn, report),
            lambda: _check_anchor(ws, conn, report, now or datetime.now(UTC)),
            lambda: _check_head_tokens(conn, report),
            lambda: _list_orphans(ws, conn, report),
        ]
        for step in steps:
            try:
                step()
            except sa.exc.DBAPIError as exc:
                # A corrupt page can fail any read: name it and go on with the next check.
                conn.rollback()
                report.problems.append(f"database error while verifying: {_db_error(exc)}")
    _wal_note(ws, report)
    return report


def _db_error(exc: sa.exc.DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)


# -- the database's own integrity ---------------------------------------------------------


def _database_integrity(conn: sa.Connection, quick: bool, report: VerifyReport) -> None:
    if conn.dialect.name == "sqlite":
        pragma = "quick_check" if quick else "integrity_check"
        rows = [str(r[0]) for r in conn.exec_driver_sql(f"PRAGMA {pragma}").all()]
        if rows == ["ok"]:
            report.checks.append(f"SQLite PRAGMA {pragma}: ok")
        else:
            report.checks.append(f"SQLite PRAGMA {pragma}: FAILED")
            report.problems += [f"database {pragma}: {row}" for row in rows[:50]]
        return
    _postgres_amcheck(conn, quick, report)


def _postgres_amcheck(conn: sa.Connection, quick: bool, report: VerifyReport) -> None:
    installed = conn.execute(
        sa.text("SELECT 1 FROM pg_extension WHERE extname = 'amcheck'")
    ).scalar()
    if not installed:
        report.checks.append(
            "PostgreSQL: amcheck is not installed in this database, no page-level check ran "
            "(CREATE EXTENSION amcheck to enable it)"
        )
        return
    indexes = conn.execute(
        sa.text(
            "SELECT c.oid, c.relname FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_am am ON am.oid = c.relam "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE am.amname = 'btree' AND n.nspname = current_schema() "
            "AND c.relpersistence != 't' ORDER BY c.relname"
        )
    ).all()
    failed = _each_in_savepoint(
        conn, indexes, "SELECT bt_index_check(CAST(:oid AS oid))", "index", report
    )
    has_heap = conn.execute(
        sa.text("SELECT 1 FROM pg_proc WHERE proname = 'verify_heapam'")
    ).scalar()
    heap = ""
    if has_heap and not quick:
        tables = conn.execute(
            sa.text(
                "SELECT c.oid, c.relname FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind = 'r' AND n.nspname = current_schema() ORDER BY c.relname"
            )
        ).all()
        failed += _each_in_savepoint(
            conn,
            tables,
            "SELECT blkno, msg FROM verify_heapam(CAST(:oid AS oid)) LIMIT 20",
            "table",
            report,
        )
        heap = f", verify_heapam on {len(tables)} tables"
    verdict = "ok" if not failed else "FAILED"
    report.checks.append(
        f"PostgreSQL amcheck: bt_index_check on {len(indexes)} indexes{heap}: {verdict}"
    )


def _each_in_savepoint(
    conn: sa.Connection, relations: Sequence[Any], query: str, what: str, report: VerifyReport
) -> int:
    """Run ``query`` per relation; each failure is a problem, and does not abort the rest."""
    failed = 0
    for rel in relations:
        savepoint = conn.begin_nested()
        try:
            rows = conn.execute(sa.text(query), {"oid": rel.oid}).all()
            savepoint.commit()
        except sa.exc.DBAPIError as exc:
            savepoint.rollback()
            failed += 1
            report.problems.append(f"database {what} {rel.relname}: {_db_error(exc)}")
            continue
        if what == "table" and rows:
            failed += 1
            report.problems += [
                f"database table {rel.relname} block {r.blkno}: {r.msg}" for r in rows
            ]
    return failed


# -- the chain and the objects ------------------------------------------------------------


def _walk_chain(
    ws: Workspace,
    conn: sa.Connection,
    quick: bool,
    report: VerifyReport,
    progress: Progress | None,
) -> None:
    object_state: dict[str, str | None] = {}  # sha256 -> problem text, or None when fine
    total = conn.execute(sa.select(sa.func.count()).select_from(CAPTURE_LOG)).scalar_one()
    for entry in capturelog.walk(conn):
        if isinstance(entry, capturelog.ChainProblem):
            report.problems.append(str(entry))
            continue
        report.entries += 1
        if entry.kind in (None, capturelog.CAPTURE):
            if entry.sha256 not in object_state:
                object_state[entry.sha256] = _check_object(ws.objects, entry.sha256, quick)
            problem = object_state[entry.sha256]
            if problem:
                report.problems.append(
                    f"{problem} (log entry {entry.seq}, capture {entry.capture_id}, "
                    f"{_short(entry.url)})"
                )
        elif entry.kind != capturelog.REVISION:
            report.problems.append(f"capture log entry {entry.seq}: unknown kind {entry.kind!r}")
        if progress:
            progress(report.entries, total)
    report.objects = len(object_state)


def _check_object(objects: ObjectStore, sha256: str, quick: bool) -> str | None:
    if not is_sha256(sha256):
        return f"sha256 {_short(sha256)!r} is not a SHA-256 hex digest (refused, not read)"
    try:
        if quick:
            objects.check_present(sha256)
            return None
        actual = objects.rehash(sha256)
    except ObjectMissing:
        return f"object {sha256} missing"
    except ObjectNotRegular as exc:
        return str(exc)
    except OSError as exc:
        return f"object {sha256} unreadable: {exc.strerror or exc}"
    if actual != sha256:
        return f"object {sha256} corrupt: its bytes now hash to {actual}"
    return None


def _shown(value: object) -> str:
    return "none" if value is None else _short(value)


def _short(text: object, limit: int = 200) -> str:
    value = str(text)
    return value if len(value) <= limit else value[:limit] + "…"


def _batches(
    conn: sa.Connection, query: sa.Select[Any], key: sa.ColumnElement[int]
) -> Iterator[Any]:
    """The rows of ``query`` in batches keyed on ``key`` (bounded memory on any size)."""
    last = None
    while True:
        page = query if last is None else query.where(key > last)
        rows = conn.execute(page.order_by(key).limit(_BATCH)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1][0]


def _check_captures(conn: sa.Connection, report: VerifyReport) -> None:
    """Each Capture row says what its log entry says: hash, URL, fetch time, status."""
    log = CAPTURE_LOG
    query = sa.select(
        CAPTURE.c.id,
        CAPTURE.c.sha256,
        CAPTURE.c.url,
        CAPTURE.c.fetched_at,
        CAPTURE.c.status,
        log.c.seq,
        log.c.sha256.label("log_sha"),
        log.c.url.label("log_url"),
        log.c.fetched_at.label("log_time"),
        log.c.status.label("log_status"),
    ).select_from(CAPTURE.outerjoin(log, log.c.capture_id == CAPTURE.c.id))
    for row in _batches(conn, query, CAPTURE.c.id):
        if row.seq is None:
            report.problems.append(f"capture {row.id} ({_short(row.url)}) has no capture log entry")
            continue
        ours = (row.sha256, row.url, capturelog.format_time(row.fetched_at), row.status)
        logged = (row.log_sha, row.log_url, row.log_time, row.log_status)
        if ours != logged:
            names = ("sha256", "url", "fetched_at", "status")
            diffs = [
                f"{name}: row says {_shown(a)}, log says {_shown(b)}"
                for name, a, b in zip(names, ours, logged, strict=True)
                if a != b
            ]
            report.problems.append(
                f"capture {row.id} differs from its log entry {row.seq}: " + "; ".join(diffs)
            )


def _check_revisions(conn: sa.Connection, report: VerifyReport) -> None:
    """Each revision's text hashes to its content hash, and its log entry covers both
    that hash and when it was seen. Revisions written before schema 0010 have no entry:
    counted in a note (all older than the first logged revision)."""
    log = CAPTURE_LOG
    first_logged = conn.execute(
        sa.select(sa.func.min(log.c.revision_id)).where(log.c.revision_id.is_not(None))
    ).scalar()
    query = sa.select(
        ITEM_REVISION.c.id,
        ITEM_REVISION.c.item_id,
        ITEM_REVISION.c.revision,
        ITEM_REVISION.c.content_hash,
        ITEM_REVISION.c.title,
        ITEM_REVISION.c.text,
        ITEM_REVISION.c.media,
        ITEM_REVISION.c.seen_at,
        log.c.seq,
        log.c.sha256.label("log_sha"),
        log.c.url.label("log_url"),
        log.c.fetched_at.label("log_time"),
    ).select_from(ITEM_REVISION.outerjoin(log, log.c.revision_id == ITEM_REVISION.c.id))
    legacy = 0
    for row in _batches(conn, query, ITEM_REVISION.c.id):
        report.revisions += 1
        name = f"item {row.item_id} revision {row.revision}"
        recomputed = _content_hash(row.title, row.text, row.media)
        if recomputed != row.content_hash:
            report.problems.append(
                f"{name}: its title/text/media no longer hash to its content hash (altered)"
            )
        if row.seq is None:
            if first_logged is None or row.id < first_logged:
                legacy += 1
            else:
                report.problems.append(f"{name} has no capture log entry")
            continue
        expected = (
            row.content_hash,
            capturelog.revision_locator(row.item_id, row.revision),
            capturelog.format_time(row.seen_at),
        )
        if expected != (row.log_sha, row.log_url, row.log_time):
            report.problems.append(
                f"{name} differs from its log entry {row.seq} (content hash, item, or time seen)"
            )
    if legacy:
        report.notes.append(
            f"{legacy} revision(s) written before schema 0010 are not covered by the log "
            "(their text is checked against their own content hash only)"
        )


def _content_hash(title: str | None, text: str, media: Any) -> str | None:
    try:
        refs = [MediaRef(**m) for m in media or []]
    except TypeError:
        return None  # not media as we store it: cannot hash to anything stored
    return ParsedItem(external_id="-", title=title, text=text, media=refs).content_hash()


def _check_items(conn: sa.Connection, report: VerifyReport) -> None:
    """An item's text, title and content hash are those of its current revision."""
    rev = ITEM_REVISION
    query = sa.select(
        ITEM.c.id,
        ITEM.c.revision,
        ITEM.c.title,
        ITEM.c.text,
        ITEM.c.content_hash,
        rev.c.id.label("rev_id"),
        rev.c.title.label("rev_title"),
        rev.c.text.label("rev_text"),
        rev.c.content_hash.label("rev_hash"),
    ).select_from(
        ITEM.outerjoin(rev, sa.and_(rev.c.item_id == ITEM.c.id, rev.c.revision == ITEM.c.revision))
    )
    for row in _batches(conn, query, ITEM.c.id):
        if row.rev_id is None:
            report.problems.append(f"item {row.id}: its revision {row.revision} does not exist")
        elif (row.title, row.text, row.content_hash) != (row.rev_title, row.rev_text, row.rev_hash):
            report.problems.append(
                f"item {row.id}: its title, text or content hash is not its revision "
                f"{row.revision}'s (altered)"
            )


def _check_search_index(conn: sa.Connection, report: VerifyReport) -> None:
    """Every item revision has its search document (written in the same transaction as
    the revision; ``sourcewatch reindex`` rebuilds them), and on SQLite the FTS5 index
    agrees with the documents."""
    rev, doc = ITEM_REVISION, SEARCH_DOC
    missing = (
        sa.select(rev.c.item_id, rev.c.revision)
        .outerjoin(doc, sa.and_(doc.c.item_id == rev.c.item_id, doc.c.revision == rev.c.revision))
        .where(doc.c.id.is_(None))
    )
    count = conn.execute(sa.select(sa.func.count()).select_from(missing.subquery())).scalar_one()
    if count:
        first = conn.execute(missing.order_by(rev.c.item_id).limit(5)).all()
        shown = ", ".join(f"item {r.item_id} revision {r.revision}" for r in first)
        report.problems.append(
            f"search index: {count} item revision(s) not indexed ({shown}"
            f"{', ...' if count > len(first) else ''}); run `sourcewatch reindex`"
        )
    _check_search_facets(conn, report)
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql("SELECT count(*) FROM search_fts_docsize").scalar_one()
        docs = conn.execute(sa.select(sa.func.count()).select_from(doc)).scalar_one()
        if rows != docs:
            report.problems.append(
                f"search index: the FTS5 index holds {rows} document(s), search_doc {docs}; "
                "run `sourcewatch reindex`"
            )
    report.checks.append("search index")


def _check_daily_counts(conn: sa.Connection, report: VerifyReport) -> None:
    """The dashboard's per-day rollups (store.rollup) agree with a recount of the items."""
    report.problems += [
        f"daily counts: {problem}; run `sourcewatch reindex`"
        for problem in rollup.differences(conn)
    ]
    report.checks.append("daily counts")


# The facet tokens of a search document as SQL (search/facets.document_facets computes
# them when indexing, migration 0018 computed them for the documents it backfilled).
_FACET_MARK = "\ue000"
_FACETS_SQL = {
    "sqlite": (
        ":mark || 's' || i.source_id || ' ' || :mark || 'm' "
        "|| strftime('%Y%m', coalesce(i.published_at, i.collected_at)) "
        "|| ' ' || :mark || 'y' || strftime('%Y', coalesce(i.published_at, i.collected_at)) "
        "|| CASE WHEN i.language IS NOT NULL AND i.language <> '' "
        "AND i.language NOT GLOB '*[^ -~]*' "
        "THEN ' ' || :mark || 'l' || lower(hex(lower(i.language))) ELSE '' END"
    ),
    "postgresql": (
        ":mark || 's' || i.source_id || ' ' || :mark || 'm' "
        "|| to_char(coalesce(i.published_at, i.collected_at), 'YYYYMM') "
        "|| ' ' || :mark || 'y' || to_char(coalesce(i.published_at, i.collected_at), 'YYYY') "
        "|| CASE WHEN i.language IS NOT NULL AND i.language <> '' "
        "AND i.language ~ '^[ -~]+$' "
        "THEN ' ' || :mark || 'l' || encode(convert_to(lower(i.language), 'UTF8'), 'hex') "
        "ELSE '' END"
    ),
}


def _check_search_facets(conn: sa.Connection, report: VerifyReport) -> None:
    """Every search document carries its item's source, month, year and language as
    facet tokens, and its time: a search filtered by them asks the index for those
    tokens (PostgreSQL: filters and ranks by that time), so a stale one would hide the
    document from such a search or misplace it."""
    expression = _FACETS_SQL.get(conn.dialect.name)
    if expression is None:
        return
    stale = (
        f"FROM search_doc d JOIN item i ON i.id = d.item_id WHERE d.facets <> ({expression}) "
        "OR d.at IS NULL OR d.at <> coalesce(i.published_at, i.collected_at)"
    )
    count = conn.execute(
        sa.text(f"SELECT count(*) {stale}").bindparams(mark=_FACET_MARK)
    ).scalar_one()
    if count:
        first = conn.execute(
            sa.text(f"SELECT d.item_id, d.revision {stale} ORDER BY d.item_id LIMIT 5").bindparams(
                mark=_FACET_MARK
            )
        ).all()
        shown = ", ".join(f"item {r.item_id} revision {r.revision}" for r in first)
        report.problems.append(
            f"search index: {count} document(s) with stale filter facets or time ({shown}"
            f"{', ...' if count > len(first) else ''}); run `sourcewatch reindex`"
        )


# -- anchors outside the chain ------------------------------------------------------------


def _check_anchor(ws: Workspace, conn: sa.Connection, report: VerifyReport, now: datetime) -> None:
    data_dir = ws.settings.data_dir
    try:
        anchor = capturelog.read_anchor(data_dir)
    except capturelog.AnchorError as exc:
        report.problems.append(f"head anchor unreadable: {exc}")
        return
    log = CAPTURE_LOG
    if anchor is None:
        anchored_era = conn.execute(
            sa.select(log.c.seq).where(log.c.kind.is_not(None)).limit(1)
        ).scalar()
        if anchored_era is not None:
            report.problems.append(
                f"head anchor {capturelog.anchor_path(data_dir)} is missing, but log entry "
                f"{anchored_era} was written by a version that anchors every append"
            )
        else:
            report.notes.append("no head anchor yet (the log predates anchors, or is empty)")
        return
    entry = conn.execute(sa.select(log.c.entry_hash).where(log.c.seq == anchor.seq)).scalar()
    last = conn.execute(sa.select(sa.func.max(log.c.seq))).scalar() or 0
    if entry is None:
        report.problems.append(
            f"the log has no entry {anchor.seq}, the head anchored at "
            f"{capturelog.format_time(anchor.written_at)} (log ends at {last}): "
            "its tail was cut off"
        )
    elif entry != anchor.entry_hash:
        report.problems.append(
            f"log entry {anchor.seq} is not the head anchored at "
            f"{capturelog.format_time(anchor.written_at)}: the chain was rewritten "
            "up to it"
        )
    after = conn.execute(
        sa.select(sa.func.count()).select_from(log).where(log.c.seq > anchor.seq)
    ).scalar_one()
    age = (now - anchor.written_at).total_seconds()
    report.anchor = AnchorState(anchor.seq, anchor.written_at, age, after)
    report.checks.append(
        f"head anchor: entry {anchor.seq}, written {_human_age(age)} ago, "
        f"{after} entr{'y' if after == 1 else 'ies'} after it"
    )


def _human_age(seconds: float) -> str:
    if seconds < 0:
        return f"{-seconds:.0f}s in the future (clock skew?), i.e. -"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"


def _check_head_tokens(conn: sa.Connection, report: VerifyReport) -> None:
    """Every RFC 3161-stamped head must still be in the chain with the stamped hash.
    (The token's signature is checked by ``evidence``; here the digest it covers.)"""
    tokens = conn.execute(
        sa.select(TIMESTAMP_TOKEN.c.ref, TIMESTAMP_TOKEN.c.digest, TIMESTAMP_TOKEN.c.gen_time)
        .where(TIMESTAMP_TOKEN.c.subject == _HEAD_SUBJECT)
        .order_by(TIMESTAMP_TOKEN.c.id)
    ).all()
    if not tokens:
        return
    log = CAPTURE_LOG
    for token in tokens:
        seq = int(token.ref) if str(token.ref).isdigit() else -1
        entry = conn.execute(sa.select(log.c.entry_hash).where(log.c.seq == seq)).scalar()
        if entry != token.digest:
            state = "missing" if entry is None else "different"
            report.problems.append(
                f"log entry {_short(token.ref)} timestamped at {token.gen_time} is {state} "
                "now: the chain was cut or rewritten"
            )
    report.checks.append(f"RFC 3161 head timestamps: {len(tokens)} checked against the chain")


# -- orphans, and a WAL a read-only copy cannot read --------------------------------------


def _list_orphans(ws: Workspace, conn: sa.Connection, report: VerifyReport) -> None:
    from sourcewatch.store.gc import orphan_hashes

    report.orphans = list(orphan_hashes(ws.objects, conn))
    if report.orphans:
        report.notes.append(
            f"{len(report.orphans)} orphan object(s): stored, but no capture refers to them "
            "(a poll that failed after archiving); `sourcewatch gc` removes them"
        )


def _wal_note(ws: Workspace, report: VerifyReport) -> None:
    url = sa.engine.make_url(ws.settings.resolved_database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        return
    from pathlib import Path

    wal = Path(url.database + "-wal")
    db_writable = wal.parent.exists() and _writable(wal.parent)
    if wal.is_file() and wal.stat().st_size > 0 and not db_writable:
        report.notes.append(
            f"{wal} is not empty but the copy is read-only: transactions only in the WAL "
            "were not read (checkpoint it on a writable copy to include them)"
        )


def _writable(path: Any) -> bool:
    import os

    return os.access(path, os.W_OK)
