"""The first journal schema: people, medications, schedules, doses, symptoms, stock.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from medguide.journal.schema import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# "MGJL": marks an SQLite file as a medguide journal, so a foreign database is never touched.
APPLICATION_ID = 0x4D474A4C


def _id(name: str, **kw: object) -> sa.Column[str]:
    return sa.Column(name, sa.String(64), **kw)  # type: ignore[arg-type]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    op.create_table(
        "persons",
        _id("id", primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("age_years", sa.Float),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.CheckConstraint("role in ('patient', 'caregiver')", name="role"),
    )
    op.create_table(
        "caregiver_links",
        _id("caregiver_id", primary_key=True),
        _id("patient_id", primary_key=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.ForeignKeyConstraint(["caregiver_id"], ["persons.id"]),
        sa.ForeignKeyConstraint(["patient_id"], ["persons.id"]),
    )
    op.create_table(
        "medications",
        _id("id", primary_key=True),
        _id("person_id", nullable=False),
        sa.Column("drug_id", sa.String(64), nullable=False),
        sa.Column("drug_name", sa.String(200), nullable=False),
        sa.Column("order_text", sa.String(500), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("dose", sa.Float),
        sa.Column("unit", sa.String(20), nullable=False),
        sa.Column("route", sa.String(40), nullable=False),
        sa.Column("prn", sa.Boolean, nullable=False),
        sa.Column("min_interval_hours", sa.Float),
        sa.Column("max_per_day", sa.Integer),
        sa.Column("plan_json", sa.Text),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("stopped_at", UTCDateTime),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"]),
        sa.CheckConstraint("source in ('text', 'structured', 'titrate', 'taper')", name="source"),
    )
    op.create_index("ix_medications_person_id", "medications", ["person_id"])
    op.create_table(
        "schedules",
        _id("id", primary_key=True),
        _id("medication_id", nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("times", sa.String(200)),
        sa.Column("amounts", sa.String(200)),
        sa.Column("interval_hours", sa.Float),
        sa.Column("anchor", UTCDateTime),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.ForeignKeyConstraint(["medication_id"], ["medications.id"]),
        sa.CheckConstraint("kind in ('clock', 'interval', 'plan', 'prn')", name="kind"),
    )
    op.create_index("ix_schedules_medication_id", "schedules", ["medication_id"])
    op.create_table(
        "dose_events",
        _id("id", primary_key=True),
        _id("person_id", nullable=False),
        _id("medication_id", nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("amount", sa.Float),
        sa.Column("unit", sa.String(20)),
        sa.Column("occurred_at", UTCDateTime, nullable=False),
        sa.Column("scheduled_for", UTCDateTime),
        _id("recorded_by", nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"]),
        sa.ForeignKeyConstraint(["medication_id"], ["medications.id"]),
        sa.ForeignKeyConstraint(["recorded_by"], ["persons.id"]),
        sa.CheckConstraint("kind in ('taken', 'skipped', 'late', 'extra')", name="kind"),
    )
    op.create_index("ix_dose_events_person_time", "dose_events", ["person_id", "occurred_at"])
    op.create_table(
        "symptom_entries",
        _id("id", primary_key=True),
        _id("person_id", nullable=False),
        sa.Column("text", sa.String(1000), nullable=False),
        sa.Column("occurred_at", UTCDateTime, nullable=False),
        sa.Column("triage_level", sa.String(16), nullable=False),
        sa.Column("red_flags", sa.String(500), nullable=False),
        sa.Column("advice", sa.String(500), nullable=False),
        _id("recorded_by", nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"]),
        sa.ForeignKeyConstraint(["recorded_by"], ["persons.id"]),
    )
    op.create_index("ix_symptom_entries_person_id", "symptom_entries", ["person_id"])
    op.create_table(
        "stock_events",
        _id("id", primary_key=True),
        _id("medication_id", nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("quantity", sa.Float, nullable=False),
        sa.Column("refills_left", sa.Integer),
        sa.Column("at", UTCDateTime, nullable=False),
        _id("recorded_by", nullable=False),
        sa.ForeignKeyConstraint(["medication_id"], ["medications.id"]),
        sa.ForeignKeyConstraint(["recorded_by"], ["persons.id"]),
        sa.CheckConstraint("kind in ('count', 'refill')", name="kind"),
    )
    op.create_index("ix_stock_events_medication_id", "stock_events", ["medication_id"])


def downgrade() -> None:
    for table in (
        "stock_events",
        "symptom_entries",
        "dose_events",
        "schedules",
        "medications",
        "caregiver_links",
        "persons",
    ):
        op.drop_table(table)
