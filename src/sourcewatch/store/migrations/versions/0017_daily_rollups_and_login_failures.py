"""per-day rollups of items by source and by entity (filled here from the items), failed web logins shared across processes, triage's "decided per day" index made covering

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _day(column: str) -> str:
    """The UTC day of a stored (naive UTC) timestamp, as ``store.rollup`` computes it."""
    if op.get_bind().dialect.name == "sqlite":
        return f"date({column})"
    return f"CAST({column} AS DATE)"


def upgrade() -> None:
    op.create_table(
        "item_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"]),
        sa.PrimaryKeyConstraint("day", "source_id"),
        comment="Items collected per source per UTC day (a rollup of item; see store.rollup).",
    )
    op.create_table(
        "entity_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("entity_id", sa.String(200), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "entity_id"),
        comment="Items that matched an entity (in any revision) per UTC day of collection.",
    )
    op.create_index("ix_entity_day_entity", "entity_day", ["entity_id", "day"])
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("failed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        comment="A failed web login, by hashed user name and by hashed client address.",
    )
    op.create_index("ix_login_failure_failed_at", "login_failure", ["failed_at"])
    op.create_index("ix_login_failure_key", "login_failure", ["key", "failed_at"])
    op.create_index("ix_triage_updated_status", "triage", ["updated_at", "status"])
    op.drop_index("ix_triage_updated_at", table_name="triage")
    # Backfill: the same counts store.rollup.rebuild makes (and verify recounts).
    op.execute(
        "INSERT INTO item_day (day, source_id, total) "
        f"SELECT {_day('collected_at')}, source_id, count(*) FROM item "
        f"GROUP BY {_day('collected_at')}, source_id"
    )
    op.execute(
        "INSERT INTO entity_day (day, entity_id, total) "
        f"SELECT {_day('item.collected_at')}, match.entity_id, count(DISTINCT match.item_id) "
        "FROM match JOIN item ON item.id = match.item_id "
        "WHERE match.entity_id IS NOT NULL AND match.entity_id != '' "
        f"GROUP BY {_day('item.collected_at')}, match.entity_id"
    )


def downgrade() -> None:
    op.create_index("ix_triage_updated_at", "triage", ["updated_at"])
    op.drop_index("ix_triage_updated_status", table_name="triage")
    op.drop_index("ix_login_failure_key", table_name="login_failure")
    op.drop_index("ix_login_failure_failed_at", table_name="login_failure")
    op.drop_table("login_failure")
    op.drop_index("ix_entity_day_entity", table_name="entity_day")
    op.drop_table("entity_day")
    op.drop_table("item_day")
