"""Notes, a grace window per schedule before a dose counts as missed, and an index for
reading one medicine's doses over time (stock since the last count).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from medguide.journal.schema import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode: SQLite copies the table with the new column inside the same transaction.
    with op.batch_alter_table("schedules") as batch:
        batch.add_column(
            sa.Column("grace_minutes", sa.Integer, nullable=False, server_default="60")
        )
    op.create_table(
        "notes",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("text", sa.String(4000), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"]),
        sa.ForeignKeyConstraint(["recorded_by"], ["persons.id"]),
    )
    op.create_index("ix_notes_person_id", "notes", ["person_id"])
    op.create_index(
        "ix_dose_events_medication_time", "dose_events", ["medication_id", "occurred_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_dose_events_medication_time", "dose_events")
    op.drop_index("ix_notes_person_id", "notes")
    op.drop_table("notes")
    with op.batch_alter_table("schedules") as batch:
        batch.drop_column("grace_minutes")
