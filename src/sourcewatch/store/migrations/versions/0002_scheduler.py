"""scheduler: daemon heartbeats, per-source re-check time

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_recheck_at", sa.DateTime(), nullable=True))
    op.create_table(
        "daemon_heartbeat",
        sa.Column("replica", sa.String(length=200), nullable=False),
        sa.Column("hostname", sa.String(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("beat_at", sa.DateTime(), nullable=False),
        sa.Column("polls", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("items_new", sa.Integer(), nullable=False),
        sa.Column("items_edited", sa.Integer(), nullable=False),
        sa.Column("in_flight", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("replica"),
    )
    with op.batch_alter_table("daemon_heartbeat", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_daemon_heartbeat_hostname"), ["hostname"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("daemon_heartbeat", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_daemon_heartbeat_hostname"))
    op.drop_table("daemon_heartbeat")
    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.drop_column("last_recheck_at")
