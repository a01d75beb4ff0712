"""verify: the capture log also covers item revisions (kind, revision_id)

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-04

Existing entries keep ``kind`` NULL (= capture) and their hashes: nothing is rewritten.
``capture_id`` becomes nullable, since a revision entry has no capture.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("capture_log") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("revision_id", sa.Integer(), nullable=True))
        batch.alter_column("capture_id", existing_type=sa.Integer(), nullable=True)
        batch.create_foreign_key(
            "fk_capture_log_revision_id", "item_revision", ["revision_id"], ["id"]
        )
        batch.create_index("ix_capture_log_revision_id", ["revision_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("capture_log") as batch:
        batch.drop_index("ix_capture_log_revision_id")
        batch.drop_constraint("fk_capture_log_revision_id", type_="foreignkey")
        batch.alter_column("capture_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_column("revision_id")
        batch.drop_column("kind")
