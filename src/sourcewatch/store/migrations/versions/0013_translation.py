"""translation: machine translations per item revision, beside the original

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "translation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("engine", sa.String(length=40), nullable=False),
        sa.Column(
            "model",
            sa.String(length=200),
            nullable=True,
            comment="what the engine says translated it, if it says",
        ),
        sa.Column(
            "source_language",
            sa.String(length=20),
            nullable=True,
            comment="as given or as the engine detected",
        ),
        sa.Column("target_language", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column("translated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"]),
        sa.ForeignKeyConstraint(["revision_id"], ["item_revision.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "revision_id", "target_language", "engine", name="uq_translation_rev_target_engine"
        ),
        comment="A machine translation of one item revision (translate/); the original stays.",
    )
    with op.batch_alter_table("translation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_translation_item_id"), ["item_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_translation_revision_id"), ["revision_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("translation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_translation_revision_id"))
        batch_op.drop_index(batch_op.f("ix_translation_item_id"))
    op.drop_table("translation")
