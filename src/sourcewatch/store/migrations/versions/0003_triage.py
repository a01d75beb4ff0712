"""triage: queue time, claims, near-duplicate groups, facet (area/entity/source) index

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("triage", schema=None) as batch_op:
        batch_op.add_column(sa.Column("queued_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("claim_expires_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE triage SET queued_at = created_at")
    with op.batch_alter_table("triage", schema=None) as batch_op:
        batch_op.alter_column("queued_at", existing_type=sa.DateTime(), nullable=False)
        batch_op.create_index(batch_op.f("ix_triage_queued_at"), ["queued_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_triage_assignee"), ["assignee"], unique=False)
        batch_op.create_index(
            "ix_triage_queue", ["status", "priority", "queued_at", "id"], unique=False
        )

    op.create_table(
        "triage_item",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("triage_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"]),
        sa.ForeignKeyConstraint(["triage_id"], ["triage.id"]),
        sa.PrimaryKeyConstraint("item_id"),
    )
    with op.batch_alter_table("triage_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_triage_item_triage_id"), ["triage_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_triage_item_fingerprint"), ["fingerprint"], unique=False
        )
    # Entries made before this migration: their item is their only member.
    op.execute(
        "INSERT INTO triage_item (item_id, triage_id, fingerprint, revision, added_at) "
        "SELECT item_id, id, NULL, 1, created_at FROM triage"
    )

    op.create_table(
        "triage_facet",
        sa.Column("triage_id", sa.Integer(), nullable=False),
        sa.Column("facet", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["triage_id"], ["triage.id"]),
        sa.PrimaryKeyConstraint("triage_id", "facet", "value"),
    )
    with op.batch_alter_table("triage_facet", schema=None) as batch_op:
        batch_op.create_index(
            "ix_triage_facet_queue",
            ["facet", "value", "status", "priority", "queued_at", "triage_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("triage_facet", schema=None) as batch_op:
        batch_op.drop_index("ix_triage_facet_queue")
    op.drop_table("triage_facet")
    with op.batch_alter_table("triage_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_triage_item_fingerprint"))
        batch_op.drop_index(batch_op.f("ix_triage_item_triage_id"))
    op.drop_table("triage_item")
    with op.batch_alter_table("triage", schema=None) as batch_op:
        batch_op.drop_index("ix_triage_queue")
        batch_op.drop_index(batch_op.f("ix_triage_assignee"))
        batch_op.drop_index(batch_op.f("ix_triage_queued_at"))
        batch_op.drop_column("claim_expires_at")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("queued_at")
