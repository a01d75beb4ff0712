"""The hash-chained capture log: tamper evidence for the archive.

Each entry's hash covers the previous entry's hash, the object hash, the URL,
the fetch time and the HTTP status, so altering, deleting or reordering any
entry breaks every link after it. Appends are serialized (an advisory lock on
PostgreSQL, the write lock on SQLite) and ``prev_hash`` is unique, so two
replicas can never fork the chain.

Two kinds of entry share the one chain (schema 0010):

- ``capture`` entries (``kind`` NULL in rows written before 0010): a capture's object
  hash, URL, fetch time and status. Their hash is computed exactly as before 0010, so
  old chains and evidence bundles still verify.
- ``revision`` entries: one per item revision, covering its content hash (the hash of
  its title, text and media) and when it was seen. ``url`` holds the locator
  ``item/<item id>/revision/<n>``. The kind is hashed in, so a revision entry can never
  pass for a capture entry.

A chain inside the database cannot show that its own tail was cut off, or that it was
rewritten and re-hashed from some entry on. So after each append commits, the head is
written to an anchor file in the data dir (:func:`write_anchor`); ``verify`` checks
the chain still holds the anchored head.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from sourcewatch.store.sql import AnyRow, chunked, insert_rows
from sourcewatch.store.tables import CAPTURE_LOG, ITEM_REVISION

GENESIS = "0" * 64
_ADVISORY_LOCK_KEY = 0x5357_4C4F47  # "SWLOG"
CAPTURE = "capture"
REVISION = "revision"
ANCHOR_FILE = "capture-log.head"


def entry_hash(
    prev_hash: str,
    sha256: str,
    url: str,
    fetched_at: str,
    status: int | None,
    kind: str | None = None,
) -> str:
    fields = [prev_hash, sha256, url, fetched_at, "" if status is None else str(status)]
    if kind not in (None, CAPTURE):
        # Capture entries keep the pre-0010 five fields (old chains stay valid); any
        # other kind is hashed in, with one more field, so kinds cannot be swapped.
        fields.insert(1, str(kind))
    # Unit separators cannot occur in hex, ISO times or URLs we store, so fields cannot
    # be shifted into one another to forge the same hash.
    return hashlib.sha256("\x1f".join(fields).encode("utf-8")).hexdigest()


def row_hash(row: Any) -> str:
    """Recompute a stored entry's hash (a row or a mapping with the entry's columns)."""
    values: dict[str, Any] = row if isinstance(row, dict) else dict(row._mapping)
    return entry_hash(
        str(values["prev_hash"]),
        str(values["sha256"]),
        str(values["url"]),
        str(values["fetched_at"]),
        values.get("status"),
        values.get("kind"),
    )


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def revision_locator(item_id: int, revision: int) -> str:
    return f"item/{item_id}/revision/{revision}"


@dataclass(frozen=True)
class NewLogEntry:
    capture_id: int | None
    sha256: str
    url: str
    fetched_at: datetime
    status: int | None
    kind: str = CAPTURE
    revision_id: int | None = None


@dataclass(frozen=True)
class Head:
    """The newest entry of the chain: what an anchor records."""

    seq: int
    entry_hash: str


def revision_entries(
    conn: sa.Connection, revisions: Iterable[tuple[int, int]]
) -> list[NewLogEntry]:
    """Log entries for the item revisions ``(item_id, revision)`` written in this
    transaction (read back, so the entry covers exactly what was stored)."""
    wanted = set(revisions)
    entries = []
    for chunk in chunked(sorted({item_id for item_id, _ in wanted}), 500):
        rows = conn.execute(
            sa.select(
                ITEM_REVISION.c.id,
                ITEM_REVISION.c.item_id,
                ITEM_REVISION.c.revision,
                ITEM_REVISION.c.content_hash,
                ITEM_REVISION.c.seen_at,
            ).where(ITEM_REVISION.c.item_id.in_(chunk))
        ).all()
        entries += [
            NewLogEntry(
                capture_id=None,
                sha256=row.content_hash,
                url=revision_locator(row.item_id, row.revision),
                fetched_at=row.seen_at,
                status=None,
                kind=REVISION,
                revision_id=row.id,
            )
            for row in rows
            if (row.item_id, row.revision) in wanted
        ]
    return sorted(entries, key=lambda e: e.revision_id or 0)


def append(connection: sa.Connection, entries: list[NewLogEntry]) -> Head | None:
    """Append entries to the chain inside the caller's transaction; the new head.

    The caller writes the head to the anchor file (:func:`write_anchor`) once the
    transaction has committed, never before: a rolled-back head must not be anchored.
    """
    if not entries:
        return None
    if connection.dialect.name == "postgresql":
        connection.execute(
            sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY}
        )
    head = connection.execute(
        sa.select(CAPTURE_LOG.c.entry_hash).order_by(CAPTURE_LOG.c.seq.desc()).limit(1)
    ).scalar()
    prev = head or GENESIS
    rows = []
    for entry in entries:
        when = format_time(entry.fetched_at)
        digest = entry_hash(prev, entry.sha256, entry.url, when, entry.status, entry.kind)
        rows.append(
            {
                "capture_id": entry.capture_id,
                "sha256": entry.sha256,
                "url": entry.url,
                "fetched_at": when,
                "status": entry.status,
                "kind": entry.kind,
                "revision_id": entry.revision_id,
                "prev_hash": prev,
                "entry_hash": digest,
            }
        )
        prev = digest
    insert_rows(connection, CAPTURE_LOG, rows)
    seq = connection.execute(
        sa.select(CAPTURE_LOG.c.seq).where(CAPTURE_LOG.c.entry_hash == prev)
    ).scalar_one()
    return Head(seq, prev)


@dataclass(frozen=True)
class Anchor:
    seq: int
    entry_hash: str
    written_at: datetime


class AnchorError(ValueError):
    """The anchor file exists but cannot be read as an anchor."""


def anchor_path(data_dir: Path) -> Path:
    return data_dir / ANCHOR_FILE


def write_anchor(data_dir: Path, head: Head, *, now: datetime | None = None) -> None:
    """Record ``head`` in the anchor file, unless the file already holds a later head.

    Replicas and threads commit in any order; the anchor only moves forward. Written
    atomically (temp file, fsync, rename) under an flock, mode 0600.
    """
    path = anchor_path(data_dir)
    with _locked(data_dir):
        try:
            current = read_anchor(data_dir)
        except AnchorError:
            current = None  # a damaged anchor is replaced by a good one
        if current is not None and current.seq >= head.seq:
            return
        written = (now or datetime.now(UTC)).astimezone(UTC)
        body = json.dumps(
            {"seq": head.seq, "entry_hash": head.entry_hash, "written_at": format_time(written)}
        )
        fd, tmp = tempfile.mkstemp(prefix=".tmp-anchor-", dir=data_dir)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(body + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise


def read_anchor(data_dir: Path) -> Anchor | None:
    """The anchored head, None when there is no anchor file; AnchorError if unreadable."""
    path = anchor_path(data_dir)
    try:
        with path.open("rb") as fh:  # an anchor is ~150 bytes: refuse to read more
            raw = fh.read(4096)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AnchorError(f"{path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(raw)
        seq, digest = data["seq"], data["entry_hash"]
        written = datetime.fromisoformat(str(data["written_at"]).replace("Z", "+00:00"))
        if not isinstance(seq, int) or not isinstance(digest, str) or written.tzinfo is None:
            raise TypeError("wrong field types")
    except (ValueError, KeyError, TypeError) as exc:
        raise AnchorError(f"{path} is not a capture-log anchor: {exc}") from None
    return Anchor(seq, digest, written)


@contextlib.contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    fd = os.open(data_dir / f".{ANCHOR_FILE}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    message: str

    def __str__(self) -> str:
        return f"capture log entry {self.seq}: {self.message}"


def walk(connection: sa.Connection, *, batch: int = 5000) -> Iterator[ChainProblem | AnyRow]:
    """Yield a ChainProblem for every broken link, and each entry row (for object checks)."""
    expected_prev = GENESIS
    last_seq = 0
    while True:
        rows = connection.execute(
            sa.select(CAPTURE_LOG)
            .where(CAPTURE_LOG.c.seq > last_seq)
            .order_by(CAPTURE_LOG.c.seq)
            .limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            if row.prev_hash != expected_prev:
                yield ChainProblem(
                    row.seq, "broken link: previous hash does not match the entry before it"
                )
            if row_hash(row) != row.entry_hash:
                yield ChainProblem(
                    row.seq, "altered: its fields no longer hash to its recorded entry hash"
                )
            expected_prev = row.entry_hash
            last_seq = row.seq
            yield row
