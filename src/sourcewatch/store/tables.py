"""The database tables (SQLAlchemy Core). Schema changes go through Alembic migrations.

Times are stored as UTC (``UTCDateTime`` hands back aware datetimes on both
SQLite and PostgreSQL). Lists and dicts are JSON columns. The tables are plain Core
``Table`` objects - no ORM, no model classes - because every query here is Core and
the command line starts faster without the ORM (see bench/results/triage.md).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator


def one_of(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    """A CHECK that ``column`` holds one of ``values`` (a bad write fails loudly)."""
    allowed = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=name)


# The closed vocabularies of status-like columns, each enforced by a CHECK constraint.
SOURCE_KINDS = ("telegram", "x", "feed", "web", "wordpress")
TRIAGE_STATUSES = ("new", "relevant", "irrelevant", "escalated", "duplicate")
TRIAGE_FACETS = ("area", "entity", "source")
DELIVERY_STATUSES = ("pending", "sent", "dropped")  # dropped: its entry was marked irrelevant
CITATION_STATUSES = ("live", "deleted", "unreachable", "blocked", "no-url")  # see citations.status
RETRY_STATUSES = ("pending", "resolved")  # citation_retry: see citations.retry
# Citation rows written by a snapshot, re-check or retry, not by a report (citations.store).
CITATION_PSEUDO_REPORTS = ("(snapshot)", "(recheck)", "(retry)")


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


metadata = sa.MetaData()


SOURCE = sa.Table(
    "source",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("target", sa.String(), nullable=False),
    sa.Column("backend", sa.String(20)),
    sa.Column("interval_seconds", sa.Float(), nullable=False, default=300.0),
    sa.Column("areas", sa.JSON(), nullable=False, default=list),
    sa.Column("language", sa.String(20)),
    sa.Column("weight", sa.Integer(), nullable=False, default=1),
    sa.Column("queue_all", sa.Boolean(), nullable=False, default=False),
    sa.Column("enabled", sa.Boolean(), nullable=False, default=True),
    sa.Column(
        "in_config",
        sa.Boolean(),
        nullable=False,
        default=True,
        comment="False once removed from sources.toml (its items stay)",
    ),
    sa.Column("cursor", sa.JSON(), nullable=False, default=dict),
    sa.Column("etag", sa.String()),
    sa.Column("last_modified", sa.String()),
    sa.Column("lease_owner", sa.String(200)),
    sa.Column("lease_expires_at", UTCDateTime()),
    sa.Column("next_poll_at", UTCDateTime(), index=True),
    sa.Column("last_polled_at", UTCDateTime()),
    sa.Column("last_success_at", UTCDateTime()),
    sa.Column("last_error", sa.String()),
    sa.Column("consecutive_failures", sa.Integer(), nullable=False, default=0),
    sa.Column("last_recheck_at", UTCDateTime(), comment="recent items re-checked (scheduler)"),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    one_of("kind", SOURCE_KINDS, "ck_source_kind"),
    comment="A watched source: its config (mirrored from sources.toml) and its polling state.",
)


ITEM = sa.Table(
    "item",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("source_id", sa.Integer(), sa.ForeignKey("source.id"), nullable=False, index=True),
    sa.Column("external_id", sa.String(500), nullable=False),
    sa.Column("url", sa.String()),
    sa.Column("canonical_url", sa.String(), index=True),
    sa.Column("author", sa.String()),
    sa.Column("title", sa.String()),
    sa.Column("text", sa.String(), nullable=False, default=""),
    sa.Column("language", sa.String(20)),
    # how the language was decided: source, platform, detected, undetermined (text/language)
    sa.Column("language_method", sa.String(20)),
    sa.Column("published_at", UTCDateTime(), index=True),
    sa.Column("collected_at", UTCDateTime(), nullable=False, index=True),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("edited_at", UTCDateTime()),
    sa.Column("deleted_at", UTCDateTime()),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("revision", sa.Integer(), nullable=False, default=1),
    sa.Column("forwarded_from", sa.String()),
    sa.Column("reply_to", sa.String()),
    sa.Column("media", sa.JSON(), nullable=False, default=list),
    sa.Column("extra", sa.JSON(), nullable=False, default=dict),
    sa.UniqueConstraint("source_id", "external_id", name="uq_item_source_ext"),
    comment="One post, tweet or article, as it reads now. Earlier texts are ItemRevisions.",
)


ITEM_REVISION = sa.Table(
    "item_revision",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("item_id", sa.Integer(), sa.ForeignKey("item.id"), nullable=False, index=True),
    sa.Column("revision", sa.Integer(), nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("title", sa.String()),
    sa.Column("text", sa.String(), nullable=False, default=""),
    sa.Column("media", sa.JSON(), nullable=False, default=list),
    sa.Column("seen_at", UTCDateTime(), nullable=False),
    sa.Column("edited_at", UTCDateTime()),
    sa.UniqueConstraint("item_id", "revision", name="uq_revision_item_rev"),
    comment="Every text an item ever had, numbered from 1, with when it was seen.",
)


# The same bytes from the same URL are one Capture (``last_seen_at`` moves on), so a
# page polled every minute that never changes does not grow the archive or the log.
CAPTURE = sa.Table(
    "capture",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("size", sa.Integer(), nullable=False),
    sa.Column("media_type", sa.String()),
    sa.Column("url", sa.String(), nullable=False),
    sa.Column("request_url", sa.String()),
    sa.Column("kind", sa.String(20), nullable=False, default="page"),
    sa.Column("status", sa.Integer()),
    sa.Column("headers", sa.JSON(), nullable=False, default=dict),
    sa.Column("source_id", sa.Integer(), sa.ForeignKey("source.id"), index=True),
    sa.Column("fetched_at", UTCDateTime(), nullable=False),
    sa.Column("last_seen_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("sha256", "url", name="uq_capture_sha_url"),
    sa.Index("ix_capture_url", "url"),  # the web view's archive finds resources by URL
    comment="One archived response: its bytes are in the object store under ``sha256``.",
)


ITEM_CAPTURE = sa.Table(
    "item_capture",
    metadata,
    sa.Column("item_id", sa.Integer(), sa.ForeignKey("item.id"), primary_key=True),
    sa.Column(
        "capture_id", sa.Integer(), sa.ForeignKey("capture.id"), primary_key=True, index=True
    ),
    comment="Which captures an item was read from (a channel page holds many posts).",
)


# ``prev_hash`` is unique: two writers can never both extend the same head.
CAPTURE_LOG = sa.Table(
    "capture_log",
    metadata,
    sa.Column("seq", sa.Integer(), primary_key=True),
    # the capture of a capture entry; NULL for a revision entry
    sa.Column("capture_id", sa.Integer(), sa.ForeignKey("capture.id"), index=True),
    # object sha256 (capture) or content hash (revision)
    sa.Column("sha256", sa.String(64), nullable=False),
    # capture URL, or item/<id>/revision/<n>
    sa.Column("url", sa.String(), nullable=False),
    # When the capture was fetched, or (kind "revision") when the revision was seen.
    sa.Column(
        "fetched_at", sa.String(40), nullable=False, comment="ISO 8601 text, exactly as hashed"
    ),
    sa.Column("status", sa.Integer()),
    # capture, revision; NULL in entries written before 0010 (all captures)
    sa.Column("kind", sa.String(10)),
    sa.Column(
        "revision_id", sa.Integer(), sa.ForeignKey("item_revision.id"), index=True, unique=True
    ),
    sa.Column("prev_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("entry_hash", sa.String(64), nullable=False, unique=True),
    comment="Append-only, hash-chained record of every capture (see ``store.capturelog``).",
)


MATCH = sa.Table(
    "match",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("item_id", sa.Integer(), sa.ForeignKey("item.id"), nullable=False, index=True),
    sa.Column("revision", sa.Integer(), nullable=False),
    sa.Column("entity_id", sa.String(200), index=True),
    sa.Column("rule_id", sa.String(200), index=True),
    sa.Column("alias", sa.String()),
    sa.Column("field", sa.String(20), nullable=False, default="text"),
    sa.Column("start", sa.Integer()),
    sa.Column("end", sa.Integer()),
    sa.Column("matched_text", sa.String()),
    sa.Column("score", sa.Float(), nullable=False, default=1.0),
    comment="A watchlist hit in one revision of an item.",
)


# ``item_id`` is the group's first item; every member, this one included, is a
# TriageItem. ``queued_at`` (entered or last re-opened) and ``priority`` order the
# queue; ``ix_triage_queue`` serves "status = ? ORDER BY priority, queued_at".
TRIAGE = sa.Table(
    "triage",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("item_id", sa.Integer(), sa.ForeignKey("item.id"), nullable=False, unique=True),
    sa.Column("status", sa.String(20), nullable=False, index=True, default="new"),
    sa.Column("priority", sa.Integer(), nullable=False, index=True, default=0),
    sa.Column("areas", sa.JSON(), nullable=False, default=list),
    sa.Column("assignee", sa.String(100), index=True),
    sa.Column("tags", sa.JSON(), nullable=False, default=list),
    sa.Column("note", sa.String()),
    sa.Column(
        "version",
        sa.Integer(),
        nullable=False,
        default=1,
        comment="optimistic lock: an update names the version it read",
    ),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("queued_at", UTCDateTime(), nullable=False, index=True),
    sa.Column("claimed_by", sa.String(100), comment="`triage` loop lease"),
    sa.Column("claim_expires_at", UTCDateTime()),
    sa.Index("ix_triage_queue", "status", "priority", "queued_at", "id"),
    # The web view's "decided per day": counted from the index alone (covering).
    sa.Index("ix_triage_updated_status", "updated_at", "status"),
    one_of("status", TRIAGE_STATUSES, "ck_triage_status"),
    comment="An item's place in the analysts' queue (one entry per group of near-duplicates).",
)


# ``fingerprint`` is the hash of the item's normalized text (see triage.fingerprint);
# a new item whose fingerprint is already here joins that entry instead of a new one.
TRIAGE_ITEM = sa.Table(
    "triage_item",
    metadata,
    sa.Column("item_id", sa.Integer(), sa.ForeignKey("item.id"), primary_key=True),
    sa.Column("triage_id", sa.Integer(), sa.ForeignKey("triage.id"), nullable=False, index=True),
    sa.Column("fingerprint", sa.String(64), index=True),
    sa.Column(
        "revision",
        sa.Integer(),
        nullable=False,
        default=1,
        comment="the item revision last queued (a re-match of it is not an edit)",
    ),
    sa.Column("added_at", UTCDateTime(), nullable=False),
    comment="An item in a triage entry: the first one and every near-duplicate grouped with it.",
)


# One row each, carrying copies of the entry's sort keys.
#
# The copies let ``queue --area X`` (or ``--entity``, ``--source``) walk one index in
# queue order (``ix_triage_facet_queue``) instead of filtering JSON or joining
# matches; triage.entries keeps them in step with the entry.
TRIAGE_FACET = sa.Table(
    "triage_facet",
    metadata,
    sa.Column("triage_id", sa.Integer(), sa.ForeignKey("triage.id"), primary_key=True),
    sa.Column("facet", sa.String(10), primary_key=True, comment="area, entity, source"),
    sa.Column("value", sa.String(200), primary_key=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("priority", sa.Integer(), nullable=False, default=0),
    sa.Column("queued_at", UTCDateTime(), nullable=False),
    sa.Index(
        "ix_triage_facet_queue", "facet", "value", "status", "priority", "queued_at", "triage_id"
    ),
    one_of("facet", TRIAGE_FACETS, "ck_triage_facet_facet"),
    one_of("status", TRIAGE_STATUSES, "ck_triage_facet_status"),
    comment="What an entry can be filtered by: each area, matched entity and source of it.",
)


TRIAGE_EVENT = sa.Table(
    "triage_event",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("triage_id", sa.Integer(), sa.ForeignKey("triage.id"), nullable=False, index=True),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("analyst", sa.String(100), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("detail", sa.JSON(), nullable=False, default=dict),
    comment="History of a triage entry: who changed what, when.",
)


CITATION = sa.Table(
    "citation",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("report", sa.String(), nullable=False),
    sa.Column("footnote", sa.Integer()),
    sa.Column("raw_text", sa.String(), nullable=False),
    sa.Column("url", sa.String()),
    sa.Column("canonical_url", sa.String(), index=True),
    sa.Column("capture_id", sa.Integer(), sa.ForeignKey("capture.id")),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    comment="One URL of one footnote of a report, and the capture that backs it.",
)


# The counters are the replica's totals since it started, for ``sourcewatch stats``.
DAEMON_HEARTBEAT = sa.Table(
    "daemon_heartbeat",
    metadata,
    sa.Column("replica", sa.String(200), primary_key=True, comment="host:pid:random"),
    sa.Column("hostname", sa.String(200), nullable=False, index=True),
    sa.Column("pid", sa.Integer(), nullable=False),
    sa.Column("started_at", UTCDateTime(), nullable=False),
    sa.Column("beat_at", UTCDateTime(), nullable=False),
    sa.Column("polls", sa.Integer(), nullable=False, default=0),
    sa.Column("failures", sa.Integer(), nullable=False, default=0),
    sa.Column("items_new", sa.Integer(), nullable=False, default=0),
    sa.Column("items_edited", sa.Integer(), nullable=False, default=0),
    sa.Column("in_flight", sa.Integer(), nullable=False, default=0),
    comment="One row per running daemon replica, refreshed while it runs (sourcewatch health).",
)


# One row per item revision whose matched set (``match_key``) is new for the item;
# the delivery job fans rows out to the configured channels (AlertDelivery).
ALERT_OUTBOX = sa.Table(
    "alert_outbox",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("item_id", sa.Integer(), sa.ForeignKey("item.id"), nullable=False, index=True),
    sa.Column("revision", sa.Integer(), nullable=False),
    sa.Column("triage_id", sa.Integer(), sa.ForeignKey("triage.id"), nullable=False),
    sa.Column("source", sa.String(100), nullable=False),
    sa.Column("priority", sa.Integer(), nullable=False, default=0),
    sa.Column("areas", sa.JSON(), nullable=False, default=list),
    sa.Column("entities", sa.JSON(), nullable=False, default=list),
    sa.Column("rules", sa.JSON(), nullable=False, default=list),
    sa.Column(
        "names",
        sa.JSON(),
        nullable=False,
        default=list,
        comment="the matched forms, as written in the text",
    ),
    sa.Column("match_key", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False, index=True),
    sa.UniqueConstraint("item_id", "revision", name="uq_alert_outbox_item_rev"),
    comment="A queue entry worth alerting about, written in the transaction that queued it.",
)


# A crash or a second replica never makes a second message for it.
ALERT_DELIVERY = sa.Table(
    "alert_delivery",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("alert", sa.String(100), nullable=False),
    sa.Column(
        "outbox_id", sa.Integer(), sa.ForeignKey("alert_outbox.id"), nullable=False, index=True
    ),
    sa.Column("item_id", sa.Integer(), sa.ForeignKey("item.id"), nullable=False),
    sa.Column("revision", sa.Integer(), nullable=False),
    sa.Column("status", sa.String(10), nullable=False, default="pending", comment="pending, sent"),
    sa.Column("attempts", sa.Integer(), nullable=False, default=0),
    sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
    sa.Column("last_error", sa.String()),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("sent_at", UTCDateTime()),
    sa.UniqueConstraint("alert", "item_id", "revision", name="uq_alert_delivery"),
    sa.Index("ix_alert_delivery_due", "alert", "status", "next_attempt_at"),
    one_of("status", DELIVERY_STATUSES, "ck_alert_delivery_status"),
    comment="One outbox row for one channel; unique per (alert, item, revision): never sent twice.",
)


ALERT_CHANNEL = sa.Table(
    "alert_channel",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column(
        "cursor",
        sa.Integer(),
        nullable=False,
        default=0,
        comment="the last alert_outbox id fanned out to this channel",
    ),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("lease_owner", sa.String(200)),
    sa.Column("lease_expires_at", UTCDateTime()),
    sa.Column("window_start", UTCDateTime(), comment="rate limit: messages sent since then"),
    sa.Column("window_count", sa.Integer(), nullable=False, default=0),
    sa.Column("last_sent_at", UTCDateTime()),
    sa.Column("last_digest_at", UTCDateTime()),
    sa.Column("last_failure_at", UTCDateTime()),
    sa.Column("last_error", sa.String()),
    sa.Column(
        "failures", sa.Integer(), nullable=False, default=0, comment="consecutive failed sends"
    ),
    comment="Delivery state of one ``[[alerts]]`` channel: fan-out cursor, lease, rate window.",
)


# ``offset``/``length`` frame the response record; the reconstructed request record
# follows it directly (``request_length`` bytes). Rows are written in the ingest
# transaction, so only records whose capture committed are ever indexed.
WARC_RECORD = sa.Table(
    "warc_record",
    metadata,
    sa.Column("capture_id", sa.Integer(), sa.ForeignKey("capture.id"), primary_key=True),
    sa.Column("warc_file", sa.String(200), nullable=False),
    sa.Column("offset", sa.BigInteger(), nullable=False),
    sa.Column("length", sa.BigInteger(), nullable=False),
    sa.Column("request_length", sa.BigInteger(), nullable=False),
    sa.Column("record_id", sa.String(100), nullable=False, comment="the response's WARC-Record-ID"),
    comment="Where a Capture's HTTP exchange sits in the rolling WARC files (``store.warc``).",
)


# ``subject`` says what was stamped: ``capture-log-head`` (``ref`` is the entry's
# seq) or ``cite-manifest`` (``ref`` is the manifest's path or name).
TIMESTAMP_TOKEN = sa.Table(
    "timestamp_token",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("subject", sa.String(30), nullable=False),
    sa.Column("ref", sa.String(), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False, index=True),
    sa.Column(
        "token", sa.LargeBinary(), nullable=False, comment="DER TimeStampToken (CMS SignedData)"
    ),
    sa.Column("tsa_url", sa.String(), nullable=False),
    sa.Column("gen_time", UTCDateTime(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    comment="An RFC 3161 timestamp token over a SHA-256 digest (``evidence.tsa``).",
)


# Quarantine: an item that the database refused even after its values were made
# storable (ingest/storable.py). The rest of its poll is stored; the item is kept here,
# as JSON text with every character escaped, with the reason, for an analyst to see.
QUARANTINE = sa.Table(
    "quarantine",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("source_id", sa.Integer(), sa.ForeignKey("source.id"), nullable=False),
    sa.Column("external_id", sa.String(), nullable=False),
    sa.Column("reason", sa.String(), nullable=False),
    sa.Column("item", sa.Text(), nullable=False),
    sa.Column("quarantined_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("source_id", "external_id"),
)


# The word index itself is backend-specific and lives in migration 0012: an FTS5 table
# ``search_fts`` (SQLite), or a generated tsvector column ``words`` with a GIN index
# (PostgreSQL).
SEARCH_DOC = sa.Table(
    "search_doc",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("item_id", sa.Integer(), sa.ForeignKey("item.id"), nullable=False),
    sa.Column("revision", sa.Integer(), nullable=False),
    sa.Column("tokens", sa.Text(), nullable=False),
    # The item's source, month and language as index words (search/facets, 0018).
    sa.Column("facets", sa.Text(), nullable=False, server_default=""),
    # The item's time (published, else collected), copied so that PostgreSQL ranks and
    # filters by time without joining every candidate to its item (0019).
    sa.Column("at", UTCDateTime()),
    sa.UniqueConstraint("item_id", "revision", name="uq_search_doc_item_rev"),
    comment="One searchable document per item revision (normalized words).",
)


SAVED_SEARCH = sa.Table(
    "saved_search",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("query", sa.String(), nullable=False),
    sa.Column("filters", sa.JSON(), nullable=False, default=dict),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("last_run_at", UTCDateTime()),
    comment="A search kept by name; last_run_at serves --since last.",
)


# The original is never replaced: a translation is a row beside its revision. One per
# (revision, target language, engine): an item is never sent to the same engine twice.
TRANSLATION = sa.Table(
    "translation",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column(
        "revision_id", sa.Integer(), sa.ForeignKey("item_revision.id"), nullable=False, index=True
    ),
    sa.Column("item_id", sa.Integer(), sa.ForeignKey("item.id"), nullable=False, index=True),
    sa.Column("engine", sa.String(40), nullable=False),
    sa.Column("model", sa.String(200), comment="what the engine says translated it, if it says"),
    sa.Column("source_language", sa.String(20), comment="as given or as the engine detected"),
    sa.Column("target_language", sa.String(20), nullable=False),
    sa.Column("title", sa.String()),
    sa.Column("text", sa.String(), nullable=False),
    sa.Column("truncated", sa.Boolean(), nullable=False, default=False),
    sa.Column("translated_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint(
        "revision_id", "target_language", "engine", name="uq_translation_rev_target_engine"
    ),
    comment="A machine translation of one item revision (translate/); the original stays.",
)


# A post an analyst decided on (entry ``relevant``/``escalated``) or a report cites was
# deleted at its source: one notice per post (``canonical_url``), written in the ingest
# transaction that recorded the deletion (alerts/deleted.py).
ALERT_DELETION = sa.Table(
    "alert_deletion",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("item_id", sa.Integer(), sa.ForeignKey("item.id"), nullable=False, unique=True),
    sa.Column("canonical_url", sa.String(), index=True),
    sa.Column("source", sa.String(100), nullable=False),
    sa.Column("triage_id", sa.Integer(), sa.ForeignKey("triage.id")),
    sa.Column("reasons", sa.JSON(), nullable=False, default=list, comment="why it matters"),
    sa.Column("capture_id", sa.Integer(), sa.ForeignKey("capture.id")),
    sa.Column("capture_sha256", sa.String(64)),
    sa.Column("captured_at", UTCDateTime()),
    sa.Column("deleted_at", UTCDateTime(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    comment="A relevant or cited post deleted at its source, to alert about once.",
)


ALERT_DELETION_DELIVERY = sa.Table(
    "alert_deletion_delivery",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("alert", sa.String(100), nullable=False),
    sa.Column(
        "deletion_id",
        sa.Integer(),
        sa.ForeignKey("alert_deletion.id"),
        nullable=False,
        index=True,
    ),
    sa.Column("status", sa.String(10), nullable=False, default="pending"),
    sa.Column("attempts", sa.Integer(), nullable=False, default=0),
    sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
    sa.Column("last_error", sa.String()),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("sent_at", UTCDateTime()),
    sa.UniqueConstraint("alert", "deletion_id", name="uq_alert_deletion_delivery"),
    sa.Index("ix_alert_deletion_delivery_due", "alert", "status", "next_attempt_at"),
    one_of("status", DELIVERY_STATUSES, "ck_alert_deletion_delivery_status"),
    comment="One deletion notice for one channel: sent once.",
)


# A cited URL that was unreachable, retried with backoff until it answers (citations/retry).
CITATION_RETRY = sa.Table(
    "citation_retry",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("canonical_url", sa.String(), nullable=False, unique=True),
    sa.Column("url", sa.String(), nullable=False),
    sa.Column("status", sa.String(10), nullable=False, default="pending"),
    sa.Column("attempts", sa.Integer(), nullable=False, default=0),
    sa.Column("first_failed_at", UTCDateTime(), nullable=False),
    sa.Column("next_attempt_at", UTCDateTime(), nullable=False, index=True),
    sa.Column("last_attempt_at", UTCDateTime()),
    sa.Column("last_reason", sa.String()),
    sa.Column("resolved_status", sa.String(20), comment="live, edited, deleted or blocked"),
    sa.Column("resolved_at", UTCDateTime()),
    sa.Column("lease_owner", sa.String(200)),
    sa.Column("lease_expires_at", UTCDateTime()),
    one_of("status", RETRY_STATUSES, "ck_citation_retry_status"),
    comment="An unreachable cited URL, retried with backoff until it answers.",
)


# Accounts of the web view (``sourcewatch users``, ``sourcewatch serve``). The CLI's
# ``--analyst`` stays free text; a change made on the web is recorded under ``name``.
WEB_ROLES = ("viewer", "analyst", "admin")

WEB_USER = sa.Table(
    "web_user",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("password_hash", sa.String(), nullable=False, comment="argon2id, never the password"),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("password_changed_at", UTCDateTime(), nullable=False),
    sa.Column("disabled", sa.Boolean(), nullable=False, default=False),
    one_of("role", WEB_ROLES, "ck_web_user_role"),
    comment="A person who logs in to the web view, with a role: viewer, analyst or admin.",
)

WEB_SESSION = sa.Table(
    "web_session",
    metadata,
    sa.Column(
        "token_hash", sa.String(64), primary_key=True, comment="SHA-256 of the cookie's token"
    ),
    sa.Column("user_id", sa.Integer(), sa.ForeignKey("web_user.id"), nullable=False, index=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=False, index=True),
    comment="A logged-in browser: the cookie holds a random token, only its hash is stored.",
)


# Per-day counts kept by ingest in the transaction that stores the items
# (``store.rollup``): the dashboard reads days, not a million items. A day is the UTC
# day an item was collected; ``reindex`` rebuilds both and ``verify`` recounts them.
ITEM_DAY = sa.Table(
    "item_day",
    metadata,
    sa.Column("day", sa.Date(), primary_key=True),
    sa.Column("source_id", sa.Integer(), sa.ForeignKey("source.id"), primary_key=True),
    sa.Column("total", sa.BigInteger(), nullable=False),
    comment="Items collected per source per UTC day (a rollup of item; see store.rollup).",
)

ENTITY_DAY = sa.Table(
    "entity_day",
    metadata,
    sa.Column("day", sa.Date(), primary_key=True),
    sa.Column("entity_id", sa.String(200), primary_key=True),
    sa.Column("total", sa.BigInteger(), nullable=False),
    sa.Index("ix_entity_day_entity", "entity_id", "day"),  # one entity's timeline
    comment="Items that matched an entity (in any revision) per UTC day of collection.",
)

# Failed logins of the web view, shared by every process and replica on the database.
# ``key`` is a SHA-256 of "user:NAME" or "addr:ADDRESS": a password typed into the
# name field is not kept in clear.
LOGIN_FAILURE = sa.Table(
    "login_failure",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("key", sa.String(64), nullable=False),
    sa.Column("failed_at", UTCDateTime(), nullable=False, index=True),
    sa.Index("ix_login_failure_key", "key", "failed_at"),
    comment="A failed web login, by hashed user name and by hashed client address.",
)
