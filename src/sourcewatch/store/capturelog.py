"""The hash-chained capture log: tamper evidence for the archive.

Each entry's hash covers the previous entry's hash, the object hash, the URL,
the fetch time and the HTTP status, so altering, deleting or reordering any
entry breaks every link after it. Appends are serialized (an advisory lock on
PostgreSQL, the write lock on SQLite) and ``prev_hash`` is unique, so two
replicas can never fork the chain.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from sourcewatch.store.sql import AnyRow
from sourcewatch.store.tables import CAPTURE_LOG

GENESIS = "0" * 64
_ADVISORY_LOCK_KEY = 0x5357_4C4F47  # "SWLOG"


def entry_hash(prev_hash: str, sha256: str, url: str, fetched_at: str, status: int | None) -> str:
    fields = [prev_hash, sha256, url, fetched_at, "" if status is None else str(status)]
    # Unit separators cannot occur in hex, ISO times or URLs we store, so fields cannot
    # be shifted into one another to forge the same hash.
    return hashlib.sha256("\x1f".join(fields).encode("utf-8")).hexdigest()


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class NewLogEntry:
    capture_id: int
    sha256: str
    url: str
    fetched_at: datetime
    status: int | None


def append(connection: sa.Connection, entries: list[NewLogEntry]) -> None:
    """Append entries to the chain inside the caller's transaction."""
    if not entries:
        return
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
        digest = entry_hash(prev, entry.sha256, entry.url, when, entry.status)
        rows.append(
            {
                "capture_id": entry.capture_id,
                "sha256": entry.sha256,
                "url": entry.url,
                "fetched_at": when,
                "status": entry.status,
                "prev_hash": prev,
                "entry_hash": digest,
            }
        )
        prev = digest
    connection.execute(sa.insert(CAPTURE_LOG), rows)


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
            recomputed = entry_hash(row.prev_hash, row.sha256, row.url, row.fetched_at, row.status)
            if recomputed != row.entry_hash:
                yield ChainProblem(
                    row.seq, "altered: its fields no longer hash to its recorded entry hash"
                )
            expected_prev = row.entry_hash
            last_seq = row.seq
            yield row
