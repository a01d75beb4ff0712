"""web accounts: users of the web view and their sessions; captures found by URL; triage entries by last change

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column(
            "password_hash", sa.String(), nullable=False, comment="argon2id, never the password"
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.CheckConstraint("role IN ('viewer', 'analyst', 'admin')", name="ck_web_user_role"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        comment="A person who logs in to the web view, with a role: viewer, analyst or admin.",
    )
    op.create_table(
        "web_session",
        sa.Column(
            "token_hash", sa.String(64), nullable=False, comment="SHA-256 of the cookie's token"
        ),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["web_user.id"]),
        sa.PrimaryKeyConstraint("token_hash"),
        comment="A logged-in browser: the cookie holds a random token, only its hash is stored.",
    )
    op.create_index("ix_web_session_user_id", "web_session", ["user_id"])
    op.create_index("ix_web_session_expires_at", "web_session", ["expires_at"])
    op.create_index("ix_capture_url", "capture", ["url"])
    op.create_index("ix_triage_updated_at", "triage", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_triage_updated_at", table_name="triage")
    op.drop_index("ix_capture_url", table_name="capture")
    op.drop_index("ix_web_session_expires_at", table_name="web_session")
    op.drop_index("ix_web_session_user_id", table_name="web_session")
    op.drop_table("web_session")
    op.drop_table("web_user")
