"""Access tokens (kept as hashes) for the HTTP API and the pages, and an audit log of who
read or changed which journal.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from medguide.journal.schema import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_tokens",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("revoked_at", UTCDateTime),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"]),
    )
    op.create_index("ix_access_tokens_person_id", "access_tokens", ["person_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(64)),
        sa.Column("token_id", sa.String(32)),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("what", sa.String(40), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("door", sa.String(8), nullable=False),
        sa.Column("client", sa.String(64)),
        sa.CheckConstraint("action in ('read', 'write')", name="action"),
        sa.CheckConstraint("outcome in ('ok', 'refused', 'denied')", name="outcome"),
    )
    op.create_index("ix_audit_log_subject_at", "audit_log", ["subject", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_subject_at", "audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_access_tokens_person_id", "access_tokens")
    op.drop_table("access_tokens")
