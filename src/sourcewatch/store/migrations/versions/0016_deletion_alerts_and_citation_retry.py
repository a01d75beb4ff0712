"""deletion notices for relevant/cited posts, and the retry queue of unreachable citations

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-04

New tables only: altering ``alert_outbox``'s unique key would need SQLite's
copy-and-drop batch mode, which foreign keys from ``alert_delivery`` refuse once
deliveries exist.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None

# Copied, not imported: a migration says what the schema was when it was written.
DELIVERY_STATUSES = ("pending", "sent", "dropped")
RETRY_STATUSES = ("pending", "resolved")


def _one_of(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} IN ({', '.join(repr(v) for v in values)})", name=name)


def upgrade() -> None:
    op.create_table(
        "alert_deletion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("canonical_url", sa.String(), nullable=True),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("triage_id", sa.Integer(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False, comment="why it matters"),
        sa.Column("capture_id", sa.Integer(), nullable=True),
        sa.Column("capture_sha256", sa.String(64), nullable=True),
        sa.Column("captured_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"]),
        sa.ForeignKeyConstraint(["triage_id"], ["triage.id"]),
        sa.ForeignKeyConstraint(["capture_id"], ["capture.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id"),
        comment="A relevant or cited post deleted at its source, to alert about once.",
    )
    op.create_index("ix_alert_deletion_canonical_url", "alert_deletion", ["canonical_url"])
    op.create_table(
        "alert_deletion_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert", sa.String(100), nullable=False),
        sa.Column("deletion_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["deletion_id"], ["alert_deletion.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("alert", "deletion_id", name="uq_alert_deletion_delivery"),
        _one_of("status", DELIVERY_STATUSES, "ck_alert_deletion_delivery_status"),
        comment="One deletion notice for one channel: sent once.",
    )
    op.create_index(
        "ix_alert_deletion_delivery_deletion_id", "alert_deletion_delivery", ["deletion_id"]
    )
    op.create_index(
        "ix_alert_deletion_delivery_due",
        "alert_deletion_delivery",
        ["alert", "status", "next_attempt_at"],
    )
    op.create_table(
        "citation_retry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("canonical_url", sa.String(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_failed_at", sa.DateTime(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_reason", sa.String(), nullable=True),
        sa.Column(
            "resolved_status",
            sa.String(20),
            nullable=True,
            comment="live, edited, deleted or blocked",
        ),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("lease_owner", sa.String(200), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("canonical_url"),
        _one_of("status", RETRY_STATUSES, "ck_citation_retry_status"),
        comment="An unreachable cited URL, retried with backoff until it answers.",
    )
    op.create_index("ix_citation_retry_next_attempt_at", "citation_retry", ["next_attempt_at"])


def downgrade() -> None:
    op.drop_table("citation_retry")
    op.drop_table("alert_deletion_delivery")
    op.drop_table("alert_deletion")
