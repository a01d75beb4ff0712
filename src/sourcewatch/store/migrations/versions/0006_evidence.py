"""evidence: WARC record index per capture, RFC 3161 timestamp tokens

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "warc_record",
        sa.Column("capture_id", sa.Integer(), nullable=False),
        sa.Column("warc_file", sa.String(length=200), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("request_length", sa.BigInteger(), nullable=False),
        sa.Column("record_id", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["capture_id"], ["capture.id"]),
        sa.PrimaryKeyConstraint("capture_id"),
    )
    op.create_table(
        "timestamp_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=30), nullable=False),
        sa.Column("ref", sa.String(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("token", sa.LargeBinary(), nullable=False),
        sa.Column("tsa_url", sa.String(), nullable=False),
        sa.Column("gen_time", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("timestamp_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_timestamp_token_digest"), ["digest"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("timestamp_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_timestamp_token_digest"))
    op.drop_table("timestamp_token")
    op.drop_table("warc_record")
