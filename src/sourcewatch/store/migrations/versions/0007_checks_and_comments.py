"""status vocabularies as CHECK constraints; table and column notes as database comments

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Copied, not imported: a migration says what the schema was when it was written.
SOURCE_KINDS = ("telegram", "x", "feed", "web", "wordpress")
TRIAGE_STATUSES = ("new", "relevant", "irrelevant", "escalated", "duplicate")
TRIAGE_FACETS = ("area", "entity", "source")
DELIVERY_STATUSES = ("pending", "sent", "dropped")

CHECKS = [
    ("source", "ck_source_kind", "kind", SOURCE_KINDS),
    ("triage", "ck_triage_status", "status", TRIAGE_STATUSES),
    ("triage_facet", "ck_triage_facet_facet", "facet", TRIAGE_FACETS),
    ("triage_facet", "ck_triage_facet_status", "status", TRIAGE_STATUSES),
    ("alert_delivery", "ck_alert_delivery_status", "status", DELIVERY_STATUSES),
]

TABLE_COMMENTS = {
    "source": "A watched source: its config (mirrored from sources.toml) and its polling state.",
    "item": "One post, tweet or article, as it reads now. Earlier texts are ItemRevisions.",
    "item_revision": "Every text an item ever had, numbered from 1, with when it was seen.",
    "capture": "One archived response: its bytes are in the object store under ``sha256``.",
    "item_capture": "Which captures an item was read from (a channel page holds many posts).",
    "capture_log": "Append-only, hash-chained record of every capture (see ``store.capturelog``).",
    "match": "A watchlist hit in one revision of an item.",
    "triage": "An item's place in the analysts' queue (one entry per group of near-duplicates).",
    "triage_item": "An item in a triage entry: the first one and every near-duplicate grouped with it.",
    "triage_facet": "What an entry can be filtered by: each area, matched entity and source of it.",
    "triage_event": "History of a triage entry: who changed what, when.",
    "citation": "One URL of one footnote of a report, and the capture that backs it.",
    "daemon_heartbeat": "One row per running daemon replica, refreshed while it runs (sourcewatch health).",
    "alert_outbox": "A queue entry worth alerting about, written in the transaction that queued it.",
    "alert_delivery": "One outbox row for one channel; unique per (alert, item, revision): never sent twice.",
    "alert_channel": "Delivery state of one ``[[alerts]]`` channel: fan-out cursor, lease, rate window.",
    "warc_record": "Where a Capture's HTTP exchange sits in the rolling WARC files (``store.warc``).",
    "timestamp_token": "An RFC 3161 timestamp token over a SHA-256 digest (``evidence.tsa``).",
}

# (table, column, comment)
COLUMN_COMMENTS = [
    ["source", "in_config", "False once removed from sources.toml (its items stay)"],
    ["source", "last_recheck_at", "recent items re-checked (scheduler)"],
    ["capture_log", "fetched_at", "ISO 8601 text, exactly as hashed"],
    ["triage", "version", "optimistic lock: an update names the version it read"],
    ["triage", "claimed_by", "`triage` loop lease"],
    ["triage_item", "revision", "the item revision last queued (a re-match of it is not an edit)"],
    ["triage_facet", "facet", "area, entity, source"],
    ["daemon_heartbeat", "replica", "host:pid:random"],
    ["alert_outbox", "names", "the matched forms, as written in the text"],
    ["alert_delivery", "status", "pending, sent"],
    ["alert_channel", "cursor", "the last alert_outbox id fanned out to this channel"],
    ["alert_channel", "window_start", "rate limit: messages sent since then"],
    ["alert_channel", "failures", "consecutive failed sends"],
    ["warc_record", "record_id", "the response's WARC-Record-ID"],
    ["timestamp_token", "token", "DER TimeStampToken (CMS SignedData)"],
]


def _condition(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    bind = op.get_bind()
    for table, name, column, values in CHECKS:
        # SQLite cannot add a constraint to a table: batch mode copies the table.
        with op.batch_alter_table(table) as batch:
            batch.create_check_constraint(name, _condition(column, values))
    if bind.dialect.name == "sqlite":
        return  # SQLite keeps no comments
    for table, comment in TABLE_COMMENTS.items():
        op.create_table_comment(table, comment)
    for table, column, comment in COLUMN_COMMENTS:
        _comment_column(bind, table, column, comment)


def _comment_column(bind: sa.Connection, table: str, column: str, comment: str | None) -> None:
    """Set (or, with None, remove) a column's comment, keeping its type and nullability."""
    existing = {c["name"]: c for c in sa.inspect(bind).get_columns(table)}[column]
    op.alter_column(
        table,
        column,
        comment=comment,
        existing_type=existing["type"],
        existing_nullable=existing["nullable"],
    )


def downgrade() -> None:
    bind = op.get_bind()
    for table, name, _, _ in reversed(CHECKS):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(name, type_="check")
    if bind.dialect.name == "sqlite":
        return
    for table in TABLE_COMMENTS:
        op.drop_table_comment(table)
    for table, column, _ in COLUMN_COMMENTS:
        _comment_column(bind, table, column, None)
