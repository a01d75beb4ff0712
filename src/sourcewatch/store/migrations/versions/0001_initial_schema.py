"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Times are naive UTC (see models.UTCDateTime); JSON columns hold lists and dicts.
    op.create_table(
        "source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("target", sa.String(), nullable=False),
        sa.Column("backend", sa.String(length=20), nullable=True),
        sa.Column("interval_seconds", sa.Float(), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=20), nullable=True),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("queue_all", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("in_config", sa.Boolean(), nullable=False),
        sa.Column("cursor", sa.JSON(), nullable=False),
        sa.Column("etag", sa.String(), nullable=True),
        sa.Column("last_modified", sa.String(), nullable=True),
        sa.Column("lease_owner", sa.String(length=200), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(), nullable=True),
        sa.Column("next_poll_at", sa.DateTime(), nullable=True),
        sa.Column("last_polled_at", sa.DateTime(), nullable=True),
        sa.Column("last_success_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_source_next_poll_at"), ["next_poll_at"], unique=False)

    op.create_table(
        "capture",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(), nullable=True),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("request_url", sa.String(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["source.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256", "url", name="uq_capture_sha_url"),
    )
    with op.batch_alter_table("capture", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_capture_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_capture_source_id"), ["source_id"], unique=False)

    op.create_table(
        "item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=500), nullable=False),
        sa.Column("url", sa.String(), nullable=True),
        sa.Column("canonical_url", sa.String(), nullable=True),
        sa.Column("author", sa.String(), nullable=True),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("language", sa.String(length=20), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("collected_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("edited_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("forwarded_from", sa.String(), nullable=True),
        sa.Column("reply_to", sa.String(), nullable=True),
        sa.Column("media", sa.JSON(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["source.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_id", "external_id", name="uq_item_source_ext"),
    )
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_canonical_url"), ["canonical_url"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_collected_at"), ["collected_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_published_at"), ["published_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_source_id"), ["source_id"], unique=False)

    op.create_table(
        "capture_log",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("capture_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("fetched_at", sa.String(length=40), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["capture_id"],
            ["capture.id"],
        ),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("entry_hash"),
        sa.UniqueConstraint("prev_hash"),
    )
    with op.batch_alter_table("capture_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_capture_log_capture_id"), ["capture_id"], unique=False)

    op.create_table(
        "citation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report", sa.String(), nullable=False),
        sa.Column("footnote", sa.Integer(), nullable=True),
        sa.Column("raw_text", sa.String(), nullable=False),
        sa.Column("url", sa.String(), nullable=True),
        sa.Column("canonical_url", sa.String(), nullable=True),
        sa.Column("capture_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["capture_id"],
            ["capture.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("citation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_citation_canonical_url"), ["canonical_url"], unique=False
        )

    op.create_table(
        "item_capture",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("capture_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["capture_id"],
            ["capture.id"],
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["item.id"],
        ),
        sa.PrimaryKeyConstraint("item_id", "capture_id"),
    )
    with op.batch_alter_table("item_capture", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_item_capture_capture_id"), ["capture_id"], unique=False
        )

    op.create_table(
        "item_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("media", sa.JSON(), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.Column("edited_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["item.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "revision", name="uq_revision_item_rev"),
    )
    with op.batch_alter_table("item_revision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_revision_item_id"), ["item_id"], unique=False)

    op.create_table(
        "match",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.String(length=200), nullable=True),
        sa.Column("rule_id", sa.String(length=200), nullable=True),
        sa.Column("alias", sa.String(), nullable=True),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("start", sa.Integer(), nullable=True),
        sa.Column("end", sa.Integer(), nullable=True),
        sa.Column("matched_text", sa.String(), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["item.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("match", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_entity_id"), ["entity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_match_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_match_rule_id"), ["rule_id"], unique=False)

    op.create_table(
        "triage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("assignee", sa.String(length=100), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["item.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id"),
    )
    with op.batch_alter_table("triage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_triage_priority"), ["priority"], unique=False)
        batch_op.create_index(batch_op.f("ix_triage_status"), ["status"], unique=False)

    op.create_table(
        "triage_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("triage_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("analyst", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["triage_id"],
            ["triage.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("triage_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_triage_event_triage_id"), ["triage_id"], unique=False)


def downgrade() -> None:
    # Times are naive UTC (see models.UTCDateTime); JSON columns hold lists and dicts.
    with op.batch_alter_table("triage_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_triage_event_triage_id"))

    op.drop_table("triage_event")
    with op.batch_alter_table("triage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_triage_status"))
        batch_op.drop_index(batch_op.f("ix_triage_priority"))

    op.drop_table("triage")
    with op.batch_alter_table("match", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_rule_id"))
        batch_op.drop_index(batch_op.f("ix_match_item_id"))
        batch_op.drop_index(batch_op.f("ix_match_entity_id"))

    op.drop_table("match")
    with op.batch_alter_table("item_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_revision_item_id"))

    op.drop_table("item_revision")
    with op.batch_alter_table("item_capture", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_capture_capture_id"))

    op.drop_table("item_capture")
    with op.batch_alter_table("citation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citation_canonical_url"))

    op.drop_table("citation")
    with op.batch_alter_table("capture_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capture_log_capture_id"))

    op.drop_table("capture_log")
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_source_id"))
        batch_op.drop_index(batch_op.f("ix_item_published_at"))
        batch_op.drop_index(batch_op.f("ix_item_collected_at"))
        batch_op.drop_index(batch_op.f("ix_item_canonical_url"))

    op.drop_table("item")
    with op.batch_alter_table("capture", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capture_source_id"))
        batch_op.drop_index(batch_op.f("ix_capture_sha256"))

    op.drop_table("capture")
    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_next_poll_at"))

    op.drop_table("source")
