"""The database records (SQLModel tables). Schema changes go through Alembic migrations.

Times are stored as UTC (``UTCDateTime`` hands back aware datetimes on both
SQLite and PostgreSQL). Lists and dicts are JSON columns.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

TRIAGE_STATUSES = ("new", "relevant", "irrelevant", "escalated", "duplicate")
CITATION_STATUSES = ("captured", "dead", "blocked", "error", "no-url")


class UTCDateTime(TypeDecorator[datetime]):
    """Naive UTC in the database, aware UTC in Python, on every backend."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _utc_column(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def _json_column(default_factory: Any) -> Any:
    return Field(default_factory=default_factory, sa_type=sa.JSON, nullable=False)


class Source(SQLModel, table=True):
    """A watched source: its config (mirrored from sources.toml) and its polling state."""

    __tablename__ = "source"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    kind: str = Field(max_length=20)
    target: str
    backend: str | None = Field(default=None, max_length=20)
    interval_seconds: float = 300.0
    areas: list[str] = _json_column(list)
    language: str | None = Field(default=None, max_length=20)
    weight: int = 1
    queue_all: bool = False
    enabled: bool = True
    in_config: bool = True  # False once removed from sources.toml (its items stay)

    cursor: dict[str, Any] = _json_column(dict)
    etag: str | None = None
    last_modified: str | None = None

    lease_owner: str | None = Field(default=None, max_length=200)
    lease_expires_at: datetime | None = _utc_column()
    next_poll_at: datetime | None = _utc_column(index=True)
    last_polled_at: datetime | None = _utc_column()
    last_success_at: datetime | None = _utc_column()
    last_error: str | None = None
    consecutive_failures: int = 0
    last_recheck_at: datetime | None = _utc_column()  # recent items re-checked (scheduler)

    created_at: datetime | None = _utc_column(nullable=False)


class Item(SQLModel, table=True):
    """One post, tweet or article, as it reads now. Earlier texts are ItemRevisions."""

    __tablename__ = "item"
    __table_args__ = (sa.UniqueConstraint("source_id", "external_id", name="uq_item_source_ext"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id", index=True)
    external_id: str = Field(max_length=500)
    url: str | None = None
    canonical_url: str | None = Field(default=None, index=True)
    author: str | None = None
    title: str | None = None
    text: str = ""
    language: str | None = Field(default=None, max_length=20)
    published_at: datetime | None = _utc_column(index=True)
    collected_at: datetime | None = _utc_column(nullable=False, index=True)
    updated_at: datetime | None = _utc_column(nullable=False)
    edited_at: datetime | None = _utc_column()
    deleted_at: datetime | None = _utc_column()
    content_hash: str = Field(max_length=64)
    revision: int = 1
    forwarded_from: str | None = None
    reply_to: str | None = None
    media: list[dict[str, Any]] = _json_column(list)
    extra: dict[str, Any] = _json_column(dict)


class ItemRevision(SQLModel, table=True):
    """Every text an item ever had, numbered from 1, with when it was seen."""

    __tablename__ = "item_revision"
    __table_args__ = (sa.UniqueConstraint("item_id", "revision", name="uq_revision_item_rev"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    revision: int
    content_hash: str = Field(max_length=64)
    title: str | None = None
    text: str = ""
    media: list[dict[str, Any]] = _json_column(list)
    seen_at: datetime | None = _utc_column(nullable=False)
    edited_at: datetime | None = _utc_column()


class Capture(SQLModel, table=True):
    """One archived response: its bytes are in the object store under ``sha256``.

    The same bytes from the same URL are one Capture (``last_seen_at`` moves on), so a
    page polled every minute that never changes does not grow the archive or the log.
    """

    __tablename__ = "capture"
    __table_args__ = (sa.UniqueConstraint("sha256", "url", name="uq_capture_sha_url"),)

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, index=True)
    size: int
    media_type: str | None = None
    url: str
    request_url: str | None = None
    kind: str = Field(default="page", max_length=20)
    status: int | None = None
    headers: dict[str, str] = _json_column(dict)
    source_id: int | None = Field(default=None, foreign_key="source.id", index=True)
    fetched_at: datetime | None = _utc_column(nullable=False)
    last_seen_at: datetime | None = _utc_column(nullable=False)


class ItemCapture(SQLModel, table=True):
    """Which captures an item was read from (a channel page holds many posts)."""

    __tablename__ = "item_capture"

    item_id: int = Field(foreign_key="item.id", primary_key=True)
    capture_id: int = Field(foreign_key="capture.id", primary_key=True, index=True)


class CaptureLogEntry(SQLModel, table=True):
    """Append-only, hash-chained record of every capture (see ``capturelog``).

    ``prev_hash`` is unique: two writers can never both extend the same head.
    """

    __tablename__ = "capture_log"

    seq: int | None = Field(default=None, primary_key=True)
    capture_id: int = Field(foreign_key="capture.id", index=True)
    sha256: str = Field(max_length=64)
    url: str
    fetched_at: str = Field(max_length=40)  # ISO 8601 text, exactly as hashed
    status: int | None = None
    prev_hash: str = Field(max_length=64, unique=True)
    entry_hash: str = Field(max_length=64, unique=True)


class Match(SQLModel, table=True):
    """A watchlist hit in one revision of an item."""

    __tablename__ = "match"

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    revision: int
    entity_id: str | None = Field(default=None, max_length=200, index=True)
    rule_id: str | None = Field(default=None, max_length=200, index=True)
    alias: str | None = None
    field: str = Field(default="text", max_length=20)
    start: int | None = None
    end: int | None = None
    matched_text: str | None = None
    score: float = 1.0


class Triage(SQLModel, table=True):
    """An item's place in the analysts' queue (one entry per group of near-duplicates).

    ``item_id`` is the group's first item; every member, this one included, is a
    TriageItem. ``queued_at`` (entered or last re-opened) and ``priority`` order the
    queue; ``ix_triage_queue`` serves "status = ? ORDER BY priority, queued_at".
    """

    __tablename__ = "triage"
    __table_args__ = (sa.Index("ix_triage_queue", "status", "priority", "queued_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", unique=True)
    status: str = Field(default="new", max_length=20, index=True)
    priority: int = Field(default=0, index=True)
    areas: list[str] = _json_column(list)
    assignee: str | None = Field(default=None, max_length=100, index=True)
    tags: list[str] = _json_column(list)
    note: str | None = None
    version: int = 1  # optimistic lock: an update names the version it read
    created_at: datetime | None = _utc_column(nullable=False)
    updated_at: datetime | None = _utc_column(nullable=False)
    queued_at: datetime | None = _utc_column(nullable=False, index=True)
    claimed_by: str | None = Field(default=None, max_length=100)  # `triage` loop lease
    claim_expires_at: datetime | None = _utc_column()


class TriageItem(SQLModel, table=True):
    """An item in a triage entry: the first one and every near-duplicate grouped with it.

    ``fingerprint`` is the hash of the item's normalized text (see triage.fingerprint);
    a new item whose fingerprint is already here joins that entry instead of a new one.
    """

    __tablename__ = "triage_item"

    item_id: int = Field(foreign_key="item.id", primary_key=True)
    triage_id: int = Field(foreign_key="triage.id", index=True)
    fingerprint: str | None = Field(default=None, max_length=64, index=True)
    revision: int = 1  # the item revision last queued (a re-match of it is not an edit)
    added_at: datetime | None = _utc_column(nullable=False)


class TriageFacet(SQLModel, table=True):
    """What an entry can be filtered by - each area, matched entity and source of it -
    one row each, carrying copies of the entry's sort keys.

    The copies let ``queue --area X`` (or ``--entity``, ``--source``) walk one index in
    queue order (``ix_triage_facet_queue``) instead of filtering JSON or joining
    matches; triage.entries keeps them in step with the entry.
    """

    __tablename__ = "triage_facet"
    __table_args__ = (
        sa.Index(
            "ix_triage_facet_queue",
            "facet",
            "value",
            "status",
            "priority",
            "queued_at",
            "triage_id",
        ),
    )

    triage_id: int = Field(foreign_key="triage.id", primary_key=True)
    facet: str = Field(max_length=10, primary_key=True)  # area, entity, source
    value: str = Field(max_length=200, primary_key=True)
    status: str = Field(max_length=20)
    priority: int = 0
    queued_at: datetime | None = _utc_column(nullable=False)


class TriageEvent(SQLModel, table=True):
    """History of a triage entry: who changed what, when."""

    __tablename__ = "triage_event"

    id: int | None = Field(default=None, primary_key=True)
    triage_id: int = Field(foreign_key="triage.id", index=True)
    at: datetime | None = _utc_column(nullable=False)
    analyst: str = Field(max_length=100)
    action: str = Field(max_length=40)
    detail: dict[str, Any] = _json_column(dict)


class Citation(SQLModel, table=True):
    """One URL of one footnote of a report, and the capture that backs it."""

    __tablename__ = "citation"

    id: int | None = Field(default=None, primary_key=True)
    report: str
    footnote: int | None = None
    raw_text: str
    url: str | None = None
    canonical_url: str | None = Field(default=None, index=True)
    capture_id: int | None = Field(default=None, foreign_key="capture.id")
    status: str = Field(max_length=20)
    created_at: datetime | None = _utc_column(nullable=False)


class DaemonHeartbeat(SQLModel, table=True):
    """One row per running daemon replica, refreshed while it runs (``sourcewatch health``).

    The counters are the replica's totals since it started, for ``sourcewatch stats``.
    """

    __tablename__ = "daemon_heartbeat"

    replica: str = Field(primary_key=True, max_length=200)  # host:pid:random
    hostname: str = Field(max_length=200, index=True)
    pid: int
    started_at: datetime | None = _utc_column(nullable=False)
    beat_at: datetime | None = _utc_column(nullable=False)
    polls: int = 0
    failures: int = 0
    items_new: int = 0
    items_edited: int = 0
    in_flight: int = 0


class AlertOutbox(SQLModel, table=True):
    """A queue entry worth alerting about, written in the transaction that queued it.

    One row per item revision whose matched set (``match_key``) is new for the item;
    the delivery job fans rows out to the configured channels (AlertDelivery).
    """

    __tablename__ = "alert_outbox"
    __table_args__ = (sa.UniqueConstraint("item_id", "revision", name="uq_alert_outbox_item_rev"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    revision: int
    triage_id: int = Field(foreign_key="triage.id")
    source: str = Field(max_length=100)
    priority: int = 0
    areas: list[str] = _json_column(list)
    entities: list[str] = _json_column(list)
    rules: list[str] = _json_column(list)
    names: list[str] = _json_column(list)  # the matched forms, as written in the text
    match_key: str = Field(max_length=64)
    created_at: datetime | None = _utc_column(nullable=False, index=True)


class AlertDelivery(SQLModel, table=True):
    """One outbox row for one channel; unique per (alert, item, revision), so a crash or
    a second replica never makes a second message for it."""

    __tablename__ = "alert_delivery"
    __table_args__ = (
        sa.UniqueConstraint("alert", "item_id", "revision", name="uq_alert_delivery"),
        sa.Index("ix_alert_delivery_due", "alert", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    alert: str = Field(max_length=100)
    outbox_id: int = Field(foreign_key="alert_outbox.id", index=True)
    item_id: int = Field(foreign_key="item.id")
    revision: int
    status: str = Field(default="pending", max_length=10)  # pending, sent
    attempts: int = 0
    next_attempt_at: datetime | None = _utc_column(nullable=False)
    last_error: str | None = None
    created_at: datetime | None = _utc_column(nullable=False)
    sent_at: datetime | None = _utc_column()


class AlertChannel(SQLModel, table=True):
    """Delivery state of one ``[[alerts]]`` channel: fan-out cursor, lease, rate window."""

    __tablename__ = "alert_channel"

    name: str = Field(primary_key=True, max_length=100)
    cursor: int = 0  # the last alert_outbox id fanned out to this channel
    created_at: datetime | None = _utc_column(nullable=False)
    lease_owner: str | None = Field(default=None, max_length=200)
    lease_expires_at: datetime | None = _utc_column()
    window_start: datetime | None = _utc_column()  # rate limit: messages sent since then
    window_count: int = 0
    last_sent_at: datetime | None = _utc_column()
    last_digest_at: datetime | None = _utc_column()
    last_failure_at: datetime | None = _utc_column()
    last_error: str | None = None
    failures: int = 0  # consecutive failed sends


class WarcRecord(SQLModel, table=True):
    """Where a Capture's HTTP exchange sits in the rolling WARC files (``evidence.warc``).

    ``offset``/``length`` frame the response record; the reconstructed request record
    follows it directly (``request_length`` bytes). Rows are written in the ingest
    transaction, so only records whose capture committed are ever indexed.
    """

    __tablename__ = "warc_record"

    capture_id: int = Field(foreign_key="capture.id", primary_key=True)
    warc_file: str = Field(max_length=200)
    offset: int = Field(sa_type=sa.BigInteger)
    length: int = Field(sa_type=sa.BigInteger)
    request_length: int = Field(sa_type=sa.BigInteger)
    record_id: str = Field(max_length=100)  # the response's WARC-Record-ID


class TimestampToken(SQLModel, table=True):
    """An RFC 3161 timestamp token over a SHA-256 digest (``evidence.tsa``).

    ``subject`` says what was stamped: ``capture-log-head`` (``ref`` is the entry's
    seq) or ``cite-manifest`` (``ref`` is the manifest's path or name).
    """

    __tablename__ = "timestamp_token"

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=30)
    ref: str
    digest: str = Field(max_length=64, index=True)
    token: bytes = Field(sa_type=sa.LargeBinary)  # DER TimeStampToken (CMS SignedData)
    tsa_url: str
    gen_time: datetime | None = _utc_column(nullable=False)
    created_at: datetime | None = _utc_column(nullable=False)
