"""The journal's tables (SQLAlchemy Core) and the one datetime type they all use.

Every instant is stored in UTC and comes back as an aware UTC datetime: SQLite has no time
zone type and would silently keep whatever offset (or none) it was given, so a naive value
is refused on the way in rather than guessed. Wall-clock schedule times ("08:00") are kept
as text with the person's IANA zone, because they are not instants.

Foreign keys are declared everywhere; SQLite only enforces them with `PRAGMA foreign_keys=ON`,
which `journal.db` sets on every connection.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator

# A fixed naming convention so Alembic batch mode on SQLite can find constraints by name.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """An instant in UTC. Refuses naive datetimes; reads back aware UTC on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                "naive datetime refused: give a time zone (instants are stored in UTC)"
            )
        utc = value.astimezone(UTC)
        # SQLite keeps text; store it without an offset, always UTC, so text order is time order.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


ID = String(64)  # client-supplied ids (UUIDs or any short unique string)

persons = Table(
    "persons",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("age_years", Float),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("role in ('patient', 'caregiver')", name="role"),
)

caregiver_links = Table(
    "caregiver_links",
    metadata,
    Column("caregiver_id", ID, ForeignKey("persons.id"), primary_key=True),
    Column("patient_id", ID, ForeignKey("persons.id"), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
)

medications = Table(
    "medications",
    metadata,
    Column("id", ID, primary_key=True),
    Column("person_id", ID, ForeignKey("persons.id"), nullable=False, index=True),
    Column("drug_id", String(64), nullable=False),
    Column("drug_name", String(200), nullable=False),
    Column("order_text", String(500), nullable=False),
    Column("source", String(16), nullable=False),  # text | structured | titrate | taper
    Column("dose", Float),  # per intake, in `unit`; None for a plan (the plan gives it)
    Column("unit", String(20), nullable=False),
    Column("route", String(40), nullable=False),
    Column("prn", Boolean, nullable=False),
    Column("min_interval_hours", Float),  # as-needed: hours between intakes at least
    Column("max_per_day", Integer),  # as-needed: intakes a day at most
    Column("plan_json", Text),  # the plan's steps, for a titration or taper
    Column("started_at", UTCDateTime, nullable=False),
    Column("stopped_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("source in ('text', 'structured', 'titrate', 'taper')", name="source"),
)

schedules = Table(
    "schedules",
    metadata,
    Column("id", ID, primary_key=True),
    Column("medication_id", ID, ForeignKey("medications.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # clock | interval | plan | prn
    Column("times", String(200)),  # "08:00,14:00,20:00" in the person's zone
    Column("amounts", String(200)),  # "10,10,20": amount per intake, same order as times
    Column("interval_hours", Float),
    Column("anchor", UTCDateTime),  # first intake of an interval schedule
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("kind in ('clock', 'interval', 'plan', 'prn')", name="kind"),
)

dose_events = Table(
    "dose_events",
    metadata,
    Column("id", ID, primary_key=True),  # supplied by the client: a retry is the same event
    Column("person_id", ID, ForeignKey("persons.id"), nullable=False),
    Column("medication_id", ID, ForeignKey("medications.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("amount", Float),
    Column("unit", String(20)),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("scheduled_for", UTCDateTime),
    Column("recorded_by", ID, ForeignKey("persons.id"), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    CheckConstraint("kind in ('taken', 'skipped', 'late', 'extra')", name="kind"),
    Index("ix_dose_events_person_time", "person_id", "occurred_at"),
)

symptom_entries = Table(
    "symptom_entries",
    metadata,
    Column("id", ID, primary_key=True),
    Column("person_id", ID, ForeignKey("persons.id"), nullable=False, index=True),
    Column("text", String(1000), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("triage_level", String(16), nullable=False),
    Column("red_flags", String(500), nullable=False),
    Column("advice", String(500), nullable=False),
    Column("recorded_by", ID, ForeignKey("persons.id"), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
)

stock_events = Table(
    "stock_events",
    metadata,
    Column("id", ID, primary_key=True),
    Column("medication_id", ID, ForeignKey("medications.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # count (on hand now) | refill (added)
    Column("quantity", Float, nullable=False),  # in the medication's unit
    Column("refills_left", Integer),
    Column("at", UTCDateTime, nullable=False),
    Column("recorded_by", ID, ForeignKey("persons.id"), nullable=False),
    CheckConstraint("kind in ('count', 'refill')", name="kind"),
)

# Revision 2: free-text notes, and a per-schedule grace window before a dose counts as missed.
notes = Table(
    "notes",
    metadata,
    Column("id", ID, primary_key=True),
    Column("person_id", ID, ForeignKey("persons.id"), nullable=False, index=True),
    Column("text", String(4000), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("recorded_by", ID, ForeignKey("persons.id"), nullable=False),
)
schedules.append_column(Column("grace_minutes", Integer, nullable=False, server_default="60"))
Index("ix_dose_events_medication_time", dose_events.c.medication_id, dose_events.c.occurred_at)

# Revision 3: access to a journal from outside the machine (the HTTP API, the pages).
# A token is shown once when issued; only its SHA-256 is kept, so a copy of the database
# does not give anyone access.
access_tokens = Table(
    "access_tokens",
    metadata,
    Column("id", String(32), primary_key=True),  # public: named in lists, revokes, the audit log
    Column("person_id", ID, ForeignKey("persons.id"), nullable=False, index=True),
    Column("secret_sha256", String(64), nullable=False),
    Column("label", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
)

# Who read or changed which journal, through which door; refused attempts too.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", ID),  # the token's person; None when no valid token was shown
    Column("token_id", String(32)),
    Column("subject", ID, nullable=False),  # whose journal
    Column("action", String(8), nullable=False),  # read | write
    Column("what", String(40), nullable=False),  # status, dose, symptom, …
    Column("outcome", String(16), nullable=False),  # ok | refused | denied
    Column("door", String(8), nullable=False),  # api | web
    Column("client", String(64)),  # the client's address
    CheckConstraint("action in ('read', 'write')", name="action"),
    CheckConstraint("outcome in ('ok', 'refused', 'denied')", name="outcome"),
    Index("ix_audit_log_subject_at", "subject", "at"),
)

__all__ = [
    "UTCDateTime",
    "access_tokens",
    "audit_log",
    "caregiver_links",
    "dose_events",
    "medications",
    "metadata",
    "notes",
    "persons",
    "schedules",
    "stock_events",
    "symptom_entries",
]
