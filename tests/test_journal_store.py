"""The journal's storage on SQLite and PostgreSQL: the same tests on both (see conftest)."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, func, select, text

from medguide.journal import db, report, schema
from medguide.journal.db import JournalError
from medguide.journal.store import Journal
from medguide.knowledge.loader import load_catalog

NY = ZoneInfo("America/New_York")
T0 = datetime(2026, 11, 23, 7, 0, tzinfo=NY)


@pytest.fixture
def journal(journal_url: str) -> Iterator[Journal]:
    with Journal.open(journal_url, load_catalog()) as j:
        j.add_person("pat", "Pat", "America/New_York", now=T0)
        j.add_person("kim", "Kim", "America/New_York", role="caregiver", now=T0)
        j.add_person("lee", "Lee", "America/New_York", role="caregiver", now=T0)
        j.link_caregiver("kim", "pat", now=T0)
        yield j


def add_baclofen(j: Journal, **kw: object) -> str:
    record, _ = j.add_medication("pat", text="baclofen 10 mg tid", start=T0, now=T0, **kw)  # type: ignore[arg-type]
    return record.med.id


def rows(j: Journal) -> dict[str, int]:
    with j.engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in schema.metadata.sorted_tables
        }


def test_settings_on_sqlite(tmp_path: Path) -> None:
    with Journal.open(f"sqlite:///{tmp_path / 'j.sqlite3'}") as j, j.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA application_id").scalar() == db.APPLICATION_ID
    assert (tmp_path / "j.sqlite3").stat().st_mode & 0o077 == 0  # private to the user


def test_default_location_follows_medguide_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDGUIDE_HOME", str(tmp_path / "h"))
    assert db.database_url() == f"sqlite:///{tmp_path / 'h' / 'journal.sqlite3'}"
    monkeypatch.setenv("MEDGUIDE_DATABASE_URL", "postgresql+psycopg://u@host/db")
    assert db.database_url() == "postgresql+psycopg://u@host/db"
    with pytest.raises(JournalError, match="psycopg"):
        db.create_journal_engine("postgresql+psycopg2://u@host/db")


def test_utc_datetimes_refuse_naive_and_come_back_aware(journal: Journal) -> None:
    with journal.engine.begin() as conn, pytest.raises(Exception, match="naive"):
        conn.execute(
            schema.persons.insert().values(
                id="x", name="x", timezone="UTC", role="patient", created_at=datetime(2026, 1, 1)
            )
        )
    with journal.engine.connect() as conn:
        got = conn.execute(
            select(schema.persons.c.created_at).where(schema.persons.c.id == "pat")
        ).scalar_one()
    assert got == T0 and got.tzinfo is not None and got.utcoffset() == timedelta(0)


def test_foreign_keys_are_enforced(journal: Journal) -> None:
    with pytest.raises(Exception), journal.engine.begin() as conn:  # noqa: B017 - driver-specific error
        conn.execute(
            schema.caregiver_links.insert().values(
                caregiver_id="nobody", patient_id="pat", created_at=T0
            )
        )


def test_retrying_taken_records_one_dose(journal: Journal) -> None:
    med = add_baclofen(journal)
    at = datetime(2026, 11, 23, 8, 5, tzinfo=NY)
    first = journal.record_dose("d1", "pat", med, "taken", at, now=at)
    again = journal.record_dose("d1", "pat", med, "taken", at, now=at + timedelta(minutes=3))
    assert first[1] is True and again[1] is False and first[0] == again[0]
    assert journal.count_events() == 1
    with pytest.raises(JournalError, match="already used"):
        journal.record_dose(
            "d1", "pat", med, "taken", at + timedelta(hours=1), now=at + timedelta(hours=1)
        )
    assert journal.count_events() == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"medication": "not-a-med"}, "no medication"),
        ({"occurred_at": T0 + timedelta(hours=2)}, "future"),
        ({"amount": 5.0, "unit": "mL"}, "recorded in mg"),
        ({"recorded_by": "lee"}, "not linked as a caregiver"),
        ({"recorded_by": "nobody"}, "no person"),
        ({"person_id": "kim"}, "no medication"),
        ({"kind": "eaten"}, "kind"),
        ({"amount": -1.0}, "above zero"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    journal: Journal, change: dict[str, object], message: str
) -> None:
    med = add_baclofen(journal)
    journal.record_dose("ok", "pat", med, "taken", T0, now=T0)
    before = rows(journal)
    args: dict[str, object] = {
        "event_id": "bad", "person_id": "pat", "medication": med, "kind": "taken",
        "occurred_at": T0, "now": T0,
    }  # fmt: skip
    args.update(change)
    with pytest.raises(JournalError, match=message):
        journal.record_dose(**args)  # type: ignore[arg-type]
    assert rows(journal) == before


def test_a_linked_caregiver_records_and_grams_are_converted(journal: Journal) -> None:
    med = add_baclofen(journal)
    event, _ = journal.record_dose(
        "c1", "pat", med, "taken", T0, amount=0.01, unit="g", recorded_by="kim", now=T0
    )
    assert event.recorded_by == "kim" and event.amount == pytest.approx(10.0)


def test_symptoms_are_triaged_and_red_flags_surface(journal: Journal) -> None:
    add_baclofen(journal)
    entry, _result, _ = journal.record_symptom(
        "s1", "pat", "can't be woken and breathing very slowly", T0, now=T0
    )
    assert entry.level == "emergency" and "call_emergency_services" in entry.advice
    st = report.status(journal, "pat", T0 + timedelta(minutes=1))
    assert st["red_flags"][0]["level"] == "emergency"


def test_status_daily_total_above_the_maximum(journal: Journal) -> None:
    record, _ = journal.add_medication("pat", text="baclofen 30 mg qid", start=T0, now=T0)
    day = datetime(2026, 11, 23, 0, 0, tzinfo=NY)
    for i, h in enumerate((8, 12, 16, 20)):
        at = day.replace(hour=h)
        journal.record_dose(f"q{i}", "pat", record.med.id, "taken", at, now=at)
    st = report.status(journal, "pat", day.replace(hour=21))
    codes = [w["code"] for w in st["warnings"]]
    assert "max_daily_dose_exceeded" in codes  # 120 mg against the label's 80 mg a day


def test_plan_in_the_journal_follows_its_steps(journal: Journal) -> None:
    from medguide import service

    plan = service.plan_titrate(load_catalog(), service.PlanQuery(drug="baclofen", start=T0.date()))
    _record, _ = journal.add_medication("pat", plan=plan, start=T0, now=T0)
    first, second = plan.plan.steps[0], plan.plan.steps[1]
    hist = report.history(
        journal,
        "pat",
        datetime.combine(second.end, datetime.min.time(), tzinfo=NY) + timedelta(days=1),
        60,
    )
    slots = hist["medications"][0]["slots"]
    on = lambda d: [s["amount"] for s in slots if s["due"][:10] == d.isoformat()]  # noqa: E731
    assert on(first.start) == [first.dose] * first.doses_per_day
    assert on(second.start) == [second.dose] * second.doses_per_day


def test_stock_and_notes(journal: Journal) -> None:
    med = add_baclofen(journal)
    journal.record_stock("k1", "pat", med, "count", 300, refills_left=1, at=T0, now=T0)
    journal.add_note("n1", "pat", "started after the clinic visit", at=T0, now=T0)
    st = report.status(journal, "pat", T0 + timedelta(hours=1))
    assert st["medications"][0]["stock"]["days_left"] == 10.0
    assert report.history(journal, "pat", T0 + timedelta(hours=1), 1)["notes"][0][
        "text"
    ].startswith("started")


# --- migrations and files that are not journals ------------------------------------------


def test_head_matches_the_migration_scripts() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", "medguide.journal:migrations")
    script = ScriptDirectory.from_config(cfg)
    assert script.get_current_head() == db.HEAD
    assert sorted(r.revision for r in script.walk_revisions()) == list(db.KNOWN_REVISIONS)


OLD_ROWS = (
    "INSERT INTO persons (id, name, timezone, role, created_at) "
    "VALUES ('old', 'Old', 'UTC', 'patient', :t)",
    "INSERT INTO medications (id, person_id, drug_id, drug_name, order_text, source, dose, "
    "unit, route, prn, started_at, created_at) VALUES ('m', 'old', 'baclofen', 'baclofen', "
    "'baclofen 5 mg tid', 'text', 5, 'mg', 'oral', false, :t, :t)",
    "INSERT INTO schedules (id, medication_id, kind, times, created_at) "
    "VALUES ('m', 'm', 'clock', '08:00,14:00,20:00', :t)",
)


def test_upgrade_from_the_first_schema_keeps_the_data(journal_url: str) -> None:
    """A journal written by schema 0001 (rows written as that version wrote them) opens,
    is upgraded to the head, and keeps its data."""
    engine = db.create_journal_engine(journal_url)
    try:
        db.migrate(engine, "0001")
        sqlite = engine.dialect.name == "sqlite"
        stamp = "2026-01-01 00:00:00.000000" if sqlite else datetime(2026, 1, 1, tzinfo=UTC)
        with engine.begin() as conn:
            for sql in OLD_ROWS:
                conn.execute(text(sql), {"t": stamp})
        assert db.current_revision(engine) == "0001"
    finally:
        engine.dispose()
    with Journal.open(journal_url, load_catalog()) as j:  # opening upgrades to the head
        assert db.current_revision(j.engine) == db.HEAD
        (med,) = j.medications("old")
        assert med.med.schedule.grace == timedelta(minutes=60)  # the new column's default
        assert j.add_note("n", "old", "after the upgrade", at=T0, now=T0)
        from medguide.journal import access  # revision 3: tokens and the audit log

        issued = access.issue(j, "old", label="after the upgrade", days=1, now=T0)
        assert access.authenticate(j, issued.token, T0) is not None


def test_a_file_that_is_not_sqlite_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    path.write_text("my shopping list\n")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(JournalError, match="not a medguide journal"):
        Journal.open(f"sqlite:///{path}")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


def test_another_programs_database_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
    con.commit()
    con.close()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(JournalError, match="another program"):
        Journal.open(f"sqlite:///{path}")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert not (tmp_path / "journal.sqlite3-wal").exists()


def test_a_damaged_journal_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    Journal.open(f"sqlite:///{path}").close()
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the first page's content, header kept
    data[4096:] = b"\x00" * (len(data) - 4096)
    path.write_bytes(bytes(data))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(JournalError):
        Journal.open(f"sqlite:///{path}")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


def test_a_postgres_database_with_other_tables_is_refused(journal_url: str) -> None:
    engine = create_engine(journal_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE invoices (id integer primary key)"))
        with pytest.raises(JournalError, match="not a medguide journal"):
            Journal.open(journal_url)
        with engine.connect() as conn:
            names = set(
                conn.execute(
                    text(
                        "SELECT name FROM sqlite_master WHERE type='table'"
                        if engine.dialect.name == "sqlite"
                        else "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                    )
                ).scalars()
            )
        assert names == {"invoices"}
    finally:
        engine.dispose()


def test_nothing_personal_reaches_the_logs(
    journal: Journal, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    for name in ("sqlalchemy.engine", "alembic"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        med = add_baclofen(journal)
        journal.add_person("zed", "Zebulon Quirke", "Europe/London", now=T0)
        journal.record_symptom("s9", "pat", "tingling in my left toe", T0, now=T0)
        journal.add_note("n9", "pat", "prefers the liquid", at=T0, now=T0)
        journal.record_dose("d9", "pat", med, "taken", T0, now=T0)
        with pytest.raises(JournalError):
            journal.record_dose(
                "d9", "pat", med, "taken", T0 + timedelta(minutes=1), now=T0 + timedelta(minutes=2)
            )
    finally:
        for name in ("sqlalchemy.engine", "alembic"):
            logging.getLogger(name).setLevel(logging.NOTSET)
    logged = caplog.text
    for secret in ("Zebulon", "tingling", "prefers the liquid", "Europe/London"):
        assert secret not in logged


def test_stock_counted_long_ago_is_summed_in_the_database(journal: Journal) -> None:
    med = add_baclofen(journal)
    journal.record_stock("k", "pat", med, "count", 1000, at=T0, now=T0)
    for day in range(60):
        at = T0 + timedelta(days=day, hours=1)
        journal.record_dose(f"s{day}", "pat", med, "taken", at, now=at)  # 10 mg each
    journal.record_dose(
        "big",
        "pat",
        med,
        "taken",
        T0 + timedelta(days=1, hours=7),
        amount=20,
        now=T0 + timedelta(days=2),
    )
    st = report.status(journal, "pat", T0 + timedelta(days=61))
    assert st["medications"][0]["stock"]["on_hand"] == 1000 - 600 - 20
