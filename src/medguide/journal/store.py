"""The journal: people, their medicines and what happened, stored and read back.

Every write checks its input first and then happens in one transaction, so a refused write
changes nothing. Writes carry a client-supplied id: sending the same write again (a retry
after a timeout, a double tap) records it once. Clinical judgement is never made here: the
order is read by `clinical.orders`, thresholds come from the drug's knowledge, symptoms are
triaged and daily totals checked through `medguide.service`.

Nothing is logged: what people record stays in the database.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, and_, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from medguide.journal import schema as t
from medguide.journal import views as v
from medguide.journal.db import JournalError, open_engine
from medguide.knowledge.catalog import Catalog

FUTURE_SKEW = v.FUTURE_SKEW
STATUS_WINDOW = timedelta(days=35)
MAX_AMOUNT = 100_000.0
Role = Literal["patient", "caregiver"]


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    timezone: str
    role: Role
    age_years: float | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "timezone": self.timezone,
            "role": self.role,
            "age_years": self.age_years,
        }


@dataclass(frozen=True)
class MedRecord:
    """A medication as stored: the view's Med plus what the person wrote."""

    med: v.Med
    order_text: str
    source: str
    route: str
    plan: dict[str, Any] | None = None

    def as_dict(self, tz: tzinfo) -> dict[str, Any]:
        s = self.med.schedule
        sched: dict[str, Any] = {
            "kind": s.kind,
            "grace_minutes": int(s.grace.total_seconds() // 60),
        }
        if s.times:
            sched["times"] = [x.strftime("%H:%M") for x in s.times]
        if s.amounts:
            sched["amounts"] = list(s.amounts)
        if s.interval_hours:
            sched["every_hours"] = s.interval_hours
            sched["first"] = s.anchor.astimezone(tz).isoformat() if s.anchor else None
        return {
            "id": self.med.id,
            "drug": self.med.drug_id,
            "drug_name": self.med.drug_name,
            "order": self.order_text,
            "source": self.source,
            "dose": self.med.dose,
            "unit": self.med.unit,
            "route": self.route,
            "prn": self.med.prn,
            "min_interval_hours": self.med.min_interval_hours,
            "max_per_day": self.med.max_per_day,
            "started": self.med.started_at.astimezone(tz).isoformat(),
            "stopped": self.med.stopped_at.astimezone(tz).isoformat()
            if self.med.stopped_at
            else None,
            "schedule": sched,
            **({"plan": self.plan} if self.plan else {}),
        }


@dataclass(frozen=True)
class Symptom:
    id: str
    text: str
    occurred_at: datetime
    level: str
    red_flags: tuple[str, ...]
    advice: tuple[str, ...]
    recorded_by: str

    def as_dict(self, tz: tzinfo) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "at": self.occurred_at.astimezone(tz).isoformat(),
            "level": self.level,
            "red_flags": list(self.red_flags),
            "advice": list(self.advice),
            "recorded_by": self.recorded_by,
        }


@dataclass(frozen=True)
class Snapshot:
    """What was recorded for one person over a time range: the input of every view."""

    person: Person
    meds: tuple[MedRecord, ...]
    events: tuple[v.DoseEvent, ...]
    stock: tuple[v.StockEvent, ...]
    symptoms: tuple[Symptom, ...]
    notes: tuple[dict[str, Any], ...] = field(default=())


@dataclass(frozen=True)
class _MedUnit:
    """The little a dose write needs to know about its medication."""

    id: str
    unit: str
    drug_name: str
    stopped_at: datetime | None


def new_id() -> str:
    return uuid.uuid4().hex


def _aware(at: datetime, what: str) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise JournalError(f"{what} needs a time zone")
    return at.astimezone(UTC)


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        raise JournalError(
            f"unknown time zone {name!r} (use an IANA name such as 'America/New_York')"
        ) from None
    return name


def _parse_times(times: Sequence[str]) -> tuple[time, ...]:
    out = []
    for s in times:
        try:
            out.append(time.fromisoformat(s.strip()))
        except ValueError:
            raise JournalError(f"time {s!r} is not a clock time such as 08:00") from None
    if len(set(out)) != len(out):
        raise JournalError("the same clock time is given twice")
    return tuple(sorted(out))


class Journal:
    """One open journal. Use as a context manager so its connections are closed."""

    def __init__(self, engine: Engine, catalog: Catalog | None = None) -> None:
        self.engine = engine
        self._writer = engine.execution_options(journal_write=True)
        self._catalog = catalog

    @classmethod
    def open(cls, url: str | None = None, catalog: Catalog | None = None) -> Journal:
        return cls(open_engine(url), catalog)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            from medguide.knowledge.loader import load_catalog

            self._catalog = load_catalog()
        return self._catalog

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """One transaction that takes the write lock at BEGIN (see `journal.db`)."""
        with self._writer.begin() as conn:
            yield conn

    def _insert(self, conn: Connection, table: Any, row: dict[str, Any]) -> bool:
        """Insert unless a row with the same id exists; True if this call inserted it."""
        ins = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        # RETURNING, not rowcount: drivers disagree on rowcount after DO NOTHING.
        stmt = ins(table).values(**row).on_conflict_do_nothing()
        key = next(iter(table.primary_key.columns))
        return conn.execute(stmt.returning(key)).first() is not None

    # --- people ------------------------------------------------------------------------

    def add_person(
        self,
        person_id: str,
        name: str,
        timezone: str,
        *,
        role: Role = "patient",
        age_years: float | None = None,
        now: datetime,
    ) -> Person:
        if role not in ("patient", "caregiver"):
            raise JournalError("role must be patient or caregiver")
        if not person_id.strip() or len(person_id) > 64:
            raise JournalError("a person id is 1 to 64 characters")
        if age_years is not None and not 0 <= age_years <= 125:
            raise JournalError("age must be between 0 and 125 years")
        person = Person(person_id, name.strip() or person_id, _zone(timezone), role, age_years)
        with self.writing() as conn:
            created = self._insert(
                conn,
                t.persons,
                {**person.as_dict(), "created_at": _aware(now, "now")},
            )
            if not created:
                existing = self._person(conn, person_id)
                if existing != person:
                    raise JournalError(f"person {person_id!r} already exists with other details")
        return person

    def link_caregiver(self, caregiver_id: str, patient_id: str, *, now: datetime) -> None:
        with self.writing() as conn:
            carer = self._person(conn, caregiver_id)
            patient = self._person(conn, patient_id)
            if carer.id == patient.id:
                raise JournalError("a person cannot be their own caregiver")
            if patient.role != "patient":
                raise JournalError(f"{patient_id!r} is not a patient")
            self._insert(
                conn,
                t.caregiver_links,
                {"caregiver_id": carer.id, "patient_id": patient.id, "created_at": now},
            )

    def person(self, person_id: str) -> Person:
        with self.engine.connect() as conn:
            return self._person(conn, person_id)

    def persons(self) -> list[Person]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.persons).order_by(t.persons.c.id)).mappings().all()
        return [self._person_of(r) for r in rows]

    @staticmethod
    def _person_of(r: Any) -> Person:
        return Person(r["id"], r["name"], r["timezone"], r["role"], r["age_years"])

    def _person(self, conn: Connection, person_id: str) -> Person:
        r = conn.execute(select(t.persons).where(t.persons.c.id == person_id)).mappings().first()
        if r is None:
            raise JournalError(
                f"no person {person_id!r} in the journal; add one with "
                "`medguide journal add-person`"
            )
        return self._person_of(r)

    def _check_recorder(self, conn: Connection, person: Person, recorded_by: str | None) -> str:
        return self._check_link(conn, person.id, recorded_by)

    @staticmethod
    def _may_act_for(conn: Connection, actor: str, person_id: str) -> bool:
        """The one access rule: a person acts for themselves, and a caregiver for a patient
        they are linked to (recording here; reading and writing through the API's tokens)."""
        if actor == person_id:
            return True
        linked = conn.execute(
            select(t.caregiver_links.c.caregiver_id).where(
                and_(
                    t.caregiver_links.c.caregiver_id == actor,
                    t.caregiver_links.c.patient_id == person_id,
                )
            )
        ).first()
        return linked is not None

    def may_act_for(self, actor: str, person_id: str) -> bool:
        with self.engine.connect() as conn:
            return self._may_act_for(conn, actor, person_id)

    def _check_link(self, conn: Connection, person_id: str, recorded_by: str | None) -> str:
        """Who records: the person, or a caregiver linked to them; anyone else is refused."""
        by = recorded_by or person_id
        if not self._may_act_for(conn, by, person_id):
            self._person(conn, by)
            raise JournalError(
                f"{by!r} is not linked as a caregiver of {person_id!r}, so cannot record for them"
            )
        return by

    # --- medications -------------------------------------------------------------------

    def add_medication(
        self,
        person_id: str,
        *,
        med_id: str | None = None,
        text: str | None = None,
        drug: str | None = None,
        dose: float | None = None,
        unit: str | None = None,
        frequency: str | None = None,
        times: Sequence[str] = (),
        amounts: Sequence[float] = (),
        every_hours: float | None = None,
        first_dose: datetime | None = None,
        prn: bool = False,
        min_interval_hours: float | None = None,
        max_per_day: int | None = None,
        plan: Any = None,  # a service PlanResult
        start: datetime,
        grace_minutes: int = 60,
        recorded_by: str | None = None,
        now: datetime,
    ) -> tuple[MedRecord, list[dict[str, Any]]]:
        """Add a medicine from an order (text or fields) or a plan; returns it with the
        findings of the regimen check on it (service.assess)."""
        from medguide import service

        start, now = _aware(start, "start"), _aware(now, "now")
        if not 0 <= grace_minutes <= 24 * 60:
            raise JournalError("the grace window is 0 to 1440 minutes")
        med_id = med_id or new_id()
        clock = _parse_times(times)
        findings: list[dict[str, Any]] = []
        with self.engine.connect() as conn:
            person = self._person(conn, person_id)
        tz = person.tz
        plan_json: dict[str, Any] | None = None
        if plan is not None:
            p = plan.plan
            steps = tuple(
                v.PlanDay(s.start, s.end, s.dose, s.doses_per_day, s.ongoing) for s in p.steps
            )
            plan_json = {
                "kind": p.kind,
                "steps": [
                    {
                        "start": s.start.isoformat(),
                        "end": s.end.isoformat(),
                        "dose": s.dose,
                        "doses_per_day": s.doses_per_day,
                        "ongoing": s.ongoing,
                    }
                    for s in steps
                ],
                "max_daily": p.max_daily,
                "knowledge_version": plan.knowledge_version,
            }
            first = p.steps[0]
            if any(len(clock) not in (0, s.doses_per_day) for s in steps if s.doses_per_day):
                clock = ()  # the number of doses changes along the plan: default times
            schedule = v.Schedule(
                "plan", clock, (), grace=timedelta(minutes=grace_minutes), plan=steps
            )
            start = max(start, datetime.combine(first.start, time(0), tzinfo=tz).astimezone(UTC))
            med = v.Med(med_id, p.drug, p.drug_name, p.unit, None, start, schedule)
            source = "titrate" if p.kind == "titration" else "taper"
            record = MedRecord(med, f"{p.kind} plan of {p.drug_name}", source, p.route, plan_json)
        else:
            record = self._from_order(
                med_id,
                text,
                drug,
                dose,
                unit,
                frequency,
                clock,
                tuple(amounts),
                every_hours,
                first_dose or start,
                prn,
                min_interval_hours,
                max_per_day,
                start,
                grace_minutes,
            )
            try:
                check = service.assess(
                    self.catalog,
                    service_request(record, person),
                    now,
                )
                findings = [
                    f for f in check.as_dict()["findings"] if f["code"] not in ("ambiguous_order",)
                ]
            except service.ServiceError:
                findings = []
        with self.writing() as conn:
            self._person(conn, person_id)
            created = self._insert(conn, t.medications, self._med_row(record, person_id, now))
            if not created:
                existing = self._meds(conn, person_id, med_id)
                if not existing or existing[0].med.drug_id != record.med.drug_id:
                    raise JournalError(f"medication id {med_id!r} is already used")
                return existing[0], findings
            s = record.med.schedule
            self._insert(
                conn,
                t.schedules,
                {
                    "id": med_id,
                    "medication_id": med_id,
                    "kind": s.kind,
                    "times": ",".join(x.strftime("%H:%M") for x in s.times) or None,
                    "amounts": ",".join(f"{a:g}" for a in s.amounts) or None,
                    "interval_hours": s.interval_hours,
                    "anchor": s.anchor,
                    "grace_minutes": grace_minutes,
                    "created_at": now,
                },
            )
        return record, findings

    def _from_order(
        self,
        med_id: str,
        text: str | None,
        drug: str | None,
        dose: float | None,
        unit: str | None,
        frequency: str | None,
        clock: tuple[time, ...],
        amounts: tuple[float, ...],
        every_hours: float | None,
        first_dose: datetime,
        prn: bool,
        min_interval_hours: float | None,
        max_per_day: int | None,
        start: datetime,
        grace_minutes: int,
    ) -> MedRecord:
        from pydantic import ValidationError

        from medguide.clinical.orders import parse_medication
        from medguide.clinical.request import Medication

        try:
            medication = Medication(
                text=text, drug=drug, dose=dose, unit=unit, frequency=frequency, prn=prn
            )
        except ValidationError as exc:
            msg = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
            raise JournalError(msg) from None
        order = parse_medication(self.catalog, medication, 0)
        written = text or " ".join(str(x) for x in (drug, dose, unit, frequency) if x is not None)
        if order.name.drug_id is None:
            raise JournalError(f"{written!r}: the medicine is not one medguide covers")
        drug_rec = self.catalog.drug(order.name.drug_id)
        assert drug_rec is not None
        is_prn = prn or order.prn
        per_day = order.doses_per_day
        interval = every_hours or order.interval_hours
        if order.dose is None or order.unit is None:
            raise JournalError(f"{written!r}: give the dose with its unit, e.g. '10 mg'")
        per_intake = order.dose
        if order.dose_is_daily:
            if not per_day:
                raise JournalError(f"{written!r}: a daily total needs how many doses a day")
            per_intake = order.dose / per_day
        kind: v.ScheduleKind
        anchor = None
        if is_prn:
            kind = "prn"
            min_interval_hours = min_interval_hours or order.interval_hours
            clock = ()
            interval = None
        elif interval and not clock:
            kind = "interval"
            anchor = _aware(first_dose, "first dose")
        else:
            if per_day is None and not clock:
                raise JournalError(
                    f"{written!r}: say how often (e.g. 'tid', 'every 8 hours') or give --times"
                )
            if per_day is not None and abs(per_day - round(per_day)) > 1e-9:
                raise JournalError(
                    f"{written!r}: only whole numbers of doses a day can be scheduled; "
                    "give --times for the days it is taken"
                )
            n = round(per_day) if per_day is not None else len(clock)
            if clock and len(clock) != n:
                raise JournalError(f"{len(clock)} times were given for {n} doses a day")
            clock = clock or v.default_times(n)
            kind = "clock"
            interval = None
        if amounts:
            if kind == "prn":
                raise JournalError("amounts per intake are for scheduled doses, not as-needed ones")
            expected = 1 if kind == "interval" else len(clock)
            if len(amounts) != expected:
                raise JournalError(f"give {expected} amount(s), one per intake")
            if any(not 0 < a <= MAX_AMOUNT for a in amounts):
                raise JournalError("every amount must be above zero")
        if max_per_day is not None and not 1 <= max_per_day <= 24:
            raise JournalError("the daily cap is 1 to 24 intakes")
        if min_interval_hours is not None and not 0 < min_interval_hours <= 72:
            raise JournalError("the minimum interval is above 0 and at most 72 hours")
        schedule = v.Schedule(
            kind, clock, amounts, interval, anchor, timedelta(minutes=grace_minutes)
        )
        med = v.Med(
            med_id,
            drug_rec.id,
            drug_rec.name,
            order.unit,
            per_intake,
            start,
            schedule,
            prn=is_prn,
            min_interval_hours=min_interval_hours,
            max_per_day=max_per_day,
        )
        return MedRecord(med, written, "text" if text else "structured", order.route or "oral")

    @staticmethod
    def _med_row(record: MedRecord, person_id: str, now: datetime) -> dict[str, Any]:
        m = record.med
        return {
            "id": m.id,
            "person_id": person_id,
            "drug_id": m.drug_id,
            "drug_name": m.drug_name,
            "order_text": record.order_text,
            "source": record.source,
            "dose": m.dose,
            "unit": m.unit,
            "route": record.route,
            "prn": m.prn,
            "min_interval_hours": m.min_interval_hours,
            "max_per_day": m.max_per_day,
            "plan_json": json.dumps(record.plan) if record.plan else None,
            "started_at": m.started_at,
            "stopped_at": m.stopped_at,
            "created_at": now,
        }

    def medications(self, person_id: str) -> list[MedRecord]:
        with self.engine.connect() as conn:
            self._person(conn, person_id)
            return self._meds(conn, person_id)

    def _person_and_meds(self, conn: Connection, person_id: str) -> tuple[Person, list[MedRecord]]:
        """The person with their medicines in one round trip (a second only when they have
        none, to find the person or word the refusal)."""
        rows = self._med_rows(conn, person_id, None, with_person=True)
        if not rows:
            return self._person(conn, person_id), []
        r = rows[0]
        person = Person(person_id, r["p_name"], r["p_timezone"], r["p_role"], r["p_age_years"])
        return person, self._meds_of(rows)

    def _med_rows(
        self, conn: Connection, person_id: str, med_id: str | None, *, with_person: bool = False
    ) -> list[Any]:
        m, s, p = t.medications, t.schedules, t.persons
        columns: list[Any] = [
            m,
            s.c.kind,
            s.c.times,
            s.c.amounts,
            s.c.interval_hours,
            s.c.anchor,
            s.c.grace_minutes,
        ]
        if with_person:
            columns += [
                p.c.name.label("p_name"),
                p.c.timezone.label("p_timezone"),
                p.c.role.label("p_role"),
                p.c.age_years.label("p_age_years"),
            ]
        q = select(*columns).join(s, s.c.medication_id == m.c.id)
        if with_person:
            q = q.join(p, p.c.id == m.c.person_id)
        q = q.where(m.c.person_id == person_id).order_by(m.c.created_at, m.c.id)
        if med_id is not None:
            q = q.where(m.c.id == med_id)
        return list(conn.execute(q).mappings())

    def _meds(self, conn: Connection, person_id: str, med_id: str | None = None) -> list[MedRecord]:
        return self._meds_of(self._med_rows(conn, person_id, med_id))

    def _meds_of(self, rows: list[Any]) -> list[MedRecord]:
        out = []
        for r in rows:
            plan = json.loads(r["plan_json"]) if r["plan_json"] else None
            steps = tuple(
                v.PlanDay(
                    date.fromisoformat(x["start"]),
                    date.fromisoformat(x["end"]),
                    float(x["dose"]),
                    int(x["doses_per_day"]),
                    bool(x["ongoing"]),
                )
                for x in (plan or {}).get("steps", [])
            )
            times = (
                tuple(time.fromisoformat(x) for x in r["times"].split(",")) if r["times"] else ()
            )
            amounts = tuple(float(x) for x in r["amounts"].split(",")) if r["amounts"] else ()
            sched = v.Schedule(
                r["kind"],
                times,
                amounts,
                r["interval_hours"],
                r["anchor"],
                timedelta(minutes=r["grace_minutes"]),
                steps,
            )
            med = v.Med(
                r["id"],
                r["drug_id"],
                r["drug_name"],
                r["unit"],
                r["dose"],
                r["started_at"],
                sched,
                r["stopped_at"],
                bool(r["prn"]),
                r["min_interval_hours"],
                r["max_per_day"],
            )
            out.append(MedRecord(med, r["order_text"], r["source"], r["route"], plan))
        return out

    def find_medication(self, person_id: str, name: str) -> MedRecord:
        """A person's medicine by its id or by any name of its drug ("Lioresal" → baclofen)."""
        meds = [r for r in self.medications(person_id) if r.med.stopped_at is None]
        by_id = [r for r in meds if r.med.id == name]
        if by_id:
            return by_id[0]
        from medguide.knowledge.names import resolve_name

        drug_id = resolve_name(self.catalog, name).drug_id
        found = [r for r in meds if drug_id is not None and r.med.drug_id == drug_id]
        if not found:
            raise JournalError(
                f"{person_id!r} has no medication {name!r} in the journal; add it with "
                "`medguide journal add-med`"
            )
        if len(found) > 1:
            ids = ", ".join(r.med.id for r in found)
            raise JournalError(f"{person_id!r} has more than one {name}; name it by id ({ids})")
        return found[0]

    def stop_medication(self, person_id: str, med_id: str, *, at: datetime, now: datetime) -> None:
        at, now = _aware(at, "the time"), _aware(now, "now")
        if at > now + FUTURE_SKEW:
            raise JournalError("the stop time is in the future")
        with self.writing() as conn:
            if not self._meds(conn, person_id, med_id):
                raise JournalError(f"{person_id!r} has no medication {med_id!r}")
            conn.execute(
                t.medications.update()
                .where(and_(t.medications.c.id == med_id, t.medications.c.person_id == person_id))
                .values(stopped_at=_aware(at, "at"))
            )

    # --- what happened ------------------------------------------------------------------

    def record_dose(
        self,
        event_id: str,
        person_id: str,
        medication: str,
        kind: v.EventKind,
        occurred_at: datetime,
        *,
        amount: float | None = None,
        unit: str | None = None,
        scheduled_for: datetime | None = None,
        recorded_by: str | None = None,
        now: datetime,
    ) -> tuple[v.DoseEvent, bool]:
        """Record a dose taken, skipped, late or extra. Returns (event, created).

        The same id sent again with the same content is the same event (created False); with
        different content it is refused. Every check happens before anything is written.
        """
        if kind not in ("taken", "skipped", "late", "extra"):
            raise JournalError("the kind is one of taken, skipped, late, extra")
        if not event_id or len(event_id) > 64:
            raise JournalError("an event id is 1 to 64 characters")
        occurred_at, now = _aware(occurred_at, "the dose time"), _aware(now, "now")
        if occurred_at > now + FUTURE_SKEW:
            raise JournalError(
                "the dose time is in the future; record a dose when it is taken "
                f"(up to {int(FUTURE_SKEW.total_seconds() // 60)} minutes of clock difference "
                "is allowed)"
            )
        if scheduled_for is not None:
            scheduled_for = _aware(scheduled_for, "the scheduled time")
        with self.writing() as conn:
            # One query in the common case (the medication names its person); the slower
            # lookups only run to word a refusal.
            m = t.medications
            found = conn.execute(
                select(m.c.id, m.c.unit, m.c.drug_name, m.c.stopped_at).where(
                    and_(m.c.id == medication, m.c.person_id == person_id)
                )
            ).first()
            if found is None:
                self._person(conn, person_id)
                raise JournalError(f"{person_id!r} has no medication {medication!r}")
            by = self._check_link(conn, person_id, recorded_by)
            med = _MedUnit(found.id, found.unit, found.drug_name, found.stopped_at)
            if med.stopped_at is not None and occurred_at > med.stopped_at:
                raise JournalError(f"{med.drug_name} was stopped; the dose was not recorded")
            value = self._amount(med, kind, amount, unit)
            event = v.DoseEvent(event_id, med.id, kind, occurred_at, value, scheduled_for, by)
            row = {
                "id": event_id,
                "person_id": person_id,
                "medication_id": med.id,
                "kind": kind,
                "amount": value,
                "unit": med.unit if value is not None else None,
                "occurred_at": occurred_at,
                "scheduled_for": scheduled_for,
                "recorded_by": by,
                "recorded_at": now,
            }
            if self._insert(conn, t.dose_events, row):
                return event, True
            existing = (
                conn.execute(select(t.dose_events).where(t.dose_events.c.id == event_id))
                .mappings()
                .one()
            )
            same = (
                existing["person_id"] == person_id
                and existing["medication_id"] == med.id
                and existing["kind"] == kind
                and existing["occurred_at"] == occurred_at
                and existing["amount"] == value
            )
            if not same:
                raise JournalError(
                    f"event id {event_id!r} was already used for a different entry; "
                    "nothing was changed"
                )
            return self._event_of(existing), False

    @staticmethod
    def _amount(med: _MedUnit, kind: str, amount: float | None, unit: str | None) -> float | None:
        from medguide.units import UnknownUnit, convert_mass, is_mass, normalize_unit

        if kind == "skipped":
            if amount is not None:
                raise JournalError("a skipped dose has no amount")
            return None
        if amount is None:
            if unit is not None:
                raise JournalError("a unit was given without an amount")
            return None
        if not 0 < amount <= MAX_AMOUNT:
            raise JournalError("the amount must be above zero")
        if unit is None or unit == med.unit:
            return amount
        try:
            given, wanted = normalize_unit(unit), normalize_unit(med.unit)
        except UnknownUnit as exc:
            raise JournalError(str(exc)) from None
        if given == wanted:
            return amount
        if is_mass(given) and is_mass(wanted):
            return convert_mass(amount, given, wanted)
        raise JournalError(
            f"{med.drug_name} is recorded in {med.unit}; an amount in {unit} cannot be "
            "compared with it"
        )

    @staticmethod
    def _event_of(r: Any) -> v.DoseEvent:
        return v.DoseEvent(
            r["id"],
            r["medication_id"],
            r["kind"],
            r["occurred_at"],
            r["amount"],
            r["scheduled_for"],
            r["recorded_by"],
        )

    def record_symptom(
        self,
        entry_id: str,
        person_id: str,
        text: str,
        occurred_at: datetime,
        *,
        recorded_by: str | None = None,
        now: datetime,
    ) -> tuple[Symptom, dict[str, Any], bool]:
        """Record what the person notices, triaged through the service with their medicine.

        Returns (entry, the triage result as a dict, created)."""
        from medguide import service

        text = text.strip()
        if not text or len(text) > 1000:
            raise JournalError("describe the symptom in 1 to 1000 characters")
        occurred_at, now = _aware(occurred_at, "the time"), _aware(now, "now")
        if occurred_at > now + FUTURE_SKEW:
            raise JournalError("the symptom time is in the future")
        with self.engine.connect() as conn:
            person = self._person(conn, person_id)
            meds = [r.med for r in self._meds(conn, person_id) if r.med.stopped_at is None]
        drugs = sorted({m.drug_id for m in meds})
        try:
            result = service.triage(
                self.catalog,
                service.TriageQuery(
                    symptoms=(text,),
                    drug=drugs[0] if drugs else None,
                    age_years=person.age_years,
                ),
                now,
            ).as_dict()
        except (service.ServiceError, ValueError) as exc:
            raise JournalError(str(exc)) from None
        tri = result.get("triage") or {}
        entry = Symptom(
            entry_id,
            text,
            occurred_at,
            str(tri.get("level") or "routine"),
            tuple(tri.get("red_flags") or ()),
            tuple(result.get("advice") or ()),
            person_id,
        )
        with self.writing() as conn:
            person = self._person(conn, person_id)
            by = self._check_recorder(conn, person, recorded_by)
            entry = Symptom(
                entry.id,
                entry.text,
                entry.occurred_at,
                entry.level,
                entry.red_flags,
                entry.advice,
                by,
            )
            created = self._insert(
                conn,
                t.symptom_entries,
                {
                    "id": entry_id,
                    "person_id": person_id,
                    "text": text,
                    "occurred_at": occurred_at,
                    "triage_level": entry.level,
                    "red_flags": ",".join(entry.red_flags),
                    "advice": ",".join(entry.advice),
                    "recorded_by": by,
                    "recorded_at": now,
                },
            )
            if not created:
                old = (
                    conn.execute(
                        select(t.symptom_entries).where(t.symptom_entries.c.id == entry_id)
                    )
                    .mappings()
                    .one()
                )
                if old["person_id"] != person_id or old["text"] != text:
                    raise JournalError(f"entry id {entry_id!r} was already used")
        return entry, result, created

    def record_stock(
        self,
        entry_id: str,
        person_id: str,
        medication: str,
        kind: Literal["count", "refill"],
        quantity: float,
        *,
        refills_left: int | None = None,
        at: datetime,
        recorded_by: str | None = None,
        now: datetime,
    ) -> bool:
        if kind not in ("count", "refill"):
            raise JournalError("stock is a count (on hand now) or a refill (added)")
        if not 0 <= quantity <= 10_000_000:
            raise JournalError("the quantity must be zero or more")
        if refills_left is not None and not 0 <= refills_left <= 100:
            raise JournalError("refills left is 0 to 100")
        at, now = _aware(at, "the time"), _aware(now, "now")
        if at > now + FUTURE_SKEW:
            raise JournalError("the stock time is in the future")
        with self.writing() as conn:
            person = self._person(conn, person_id)
            by = self._check_recorder(conn, person, recorded_by)
            if not self._meds(conn, person_id, medication):
                raise JournalError(f"{person_id!r} has no medication {medication!r}")
            return self._insert(
                conn,
                t.stock_events,
                {
                    "id": entry_id,
                    "medication_id": medication,
                    "kind": kind,
                    "quantity": quantity,
                    "refills_left": refills_left,
                    "at": at,
                    "recorded_by": by,
                },
            )

    def add_note(
        self,
        entry_id: str,
        person_id: str,
        text: str,
        *,
        at: datetime,
        recorded_by: str | None = None,
        now: datetime,
    ) -> bool:
        text = text.strip()
        if not text or len(text) > 4000:
            raise JournalError("a note is 1 to 4000 characters")
        at, now = _aware(at, "the time"), _aware(now, "now")
        if at > now + FUTURE_SKEW:
            raise JournalError("the note time is in the future")
        with self.writing() as conn:
            person = self._person(conn, person_id)
            by = self._check_recorder(conn, person, recorded_by)
            return self._insert(
                conn,
                t.notes,
                {"id": entry_id, "person_id": person_id, "text": text, "at": at, "recorded_by": by},
            )

    # --- reading ------------------------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """One connection for several reads (each query is a round trip on a server)."""
        with self.engine.connect() as conn:
            yield conn

    def snapshot(
        self,
        person_id: str,
        since: datetime | None = None,
        *,
        notes: bool = True,
        conn: Connection | None = None,
    ) -> Snapshot:
        """Everything recorded for a person (since a time, for the events), in one read."""
        if conn is None:
            with self.reading() as own:
                return self.snapshot(person_id, since, notes=notes, conn=own)
        person, med_list = self._person_and_meds(conn, person_id)
        meds = tuple(med_list)
        e = t.dose_events
        q = select(e).where(e.c.person_id == person_id).order_by(e.c.occurred_at, e.c.id)
        if since is not None:
            q = q.where(e.c.occurred_at >= since)
        events = tuple(self._event_of(r) for r in conn.execute(q).mappings())
        ids = [r.med.id for r in meds]
        s = t.stock_events
        stock = (
            tuple(
                v.StockEvent(
                    r["medication_id"], r["kind"], r["quantity"], r["at"], r["refills_left"]
                )
                for r in conn.execute(
                    select(s).where(s.c.medication_id.in_(ids)).order_by(s.c.at)
                ).mappings()
            )
            if ids
            else ()
        )
        y = t.symptom_entries
        q2 = select(y).where(y.c.person_id == person_id).order_by(y.c.occurred_at)
        if since is not None:
            q2 = q2.where(y.c.occurred_at >= since)
        symptoms = tuple(
            Symptom(
                r["id"],
                r["text"],
                r["occurred_at"],
                r["triage_level"],
                tuple(x for x in r["red_flags"].split(",") if x),
                tuple(x for x in r["advice"].split(",") if x),
                r["recorded_by"],
            )
            for r in conn.execute(q2).mappings()
        )
        n = t.notes
        q3 = select(n).where(n.c.person_id == person_id).order_by(n.c.at)
        if since is not None:
            q3 = q3.where(n.c.at >= since)
        kept = (
            tuple(
                {"id": r["id"], "text": r["text"], "at": r["at"], "recorded_by": r["recorded_by"]}
                for r in conn.execute(q3).mappings()
            )
            if notes
            else ()
        )
        return Snapshot(person, meds, events, stock, symptoms, kept)

    def amount_taken(
        self, med: v.Med, after: datetime, until: datetime, conn: Connection | None = None
    ) -> float:
        """The amount taken of one medicine with after < time < until, summed in the database
        (an intake recorded without an amount counts as the usual dose)."""
        if conn is None:
            with self.reading() as own:
                return self.amount_taken(med, after, until, own)
        e = t.dose_events
        total, unsized = conn.execute(
            select(
                func.coalesce(func.sum(e.c.amount), 0.0), func.count() - func.count(e.c.amount)
            ).where(
                and_(
                    e.c.medication_id == med.id,
                    e.c.occurred_at > after,
                    e.c.occurred_at < until,
                    e.c.kind.in_(("taken", "late", "extra")),
                )
            )
        ).one()
        return float(total) + int(unsized) * (med.dose or 0.0)

    def count_events(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(t.dose_events)).scalar_one())


def service_request(record: MedRecord, person: Person) -> Any:
    """The regimen check request for one stored medicine (for findings at add time)."""
    from medguide.clinical.request import AssessRequest

    m = record.med
    med: dict[str, Any] = {"drug": m.drug_id, "dose": m.dose, "unit": m.unit}
    s = m.schedule
    if s.kind == "clock":
        med["frequency"] = f"{len(s.times)} times a day"
    elif s.kind == "interval" and s.interval_hours:
        med["frequency"] = f"every {s.interval_hours:g} hours"
    elif s.kind == "prn" and m.min_interval_hours:
        med["frequency"] = f"every {m.min_interval_hours:g} hours"
        med["prn"] = True
    if s.amounts and s.kind == "clock":
        # Different amounts per intake: the check runs on the largest with its daily total.
        med["dose"] = max(s.amounts)
    return AssessRequest.model_validate(
        {"medications": [med], "patient": {"age_years": person.age_years}}
    )


_DAILY_CACHE: dict[tuple[Any, ...], tuple[str, dict[str, Any]] | None] = {}


def check_daily_total(
    catalog: Catalog, record: MedRecord, person: Person, total: float
) -> tuple[str, dict[str, Any]] | None:
    """The service's maximum-daily-dose finding for what was taken on one day, if any.

    Cached by knowledge version and inputs: the same totals recur day after day."""
    from medguide import service
    from medguide.clinical.request import AssessRequest

    m = record.med
    key = (catalog.version, m.drug_id, round(total, 6), m.unit, record.route, person.age_years)
    if key in _DAILY_CACHE:
        return _DAILY_CACHE[key]
    request = AssessRequest.model_validate(
        {
            "medications": [
                {
                    "drug": m.drug_id,
                    "dose": key[2],
                    "unit": m.unit,
                    "frequency": "daily",
                    "route": record.route,
                }
            ],
            "patient": {"age_years": person.age_years},
        }
    )
    found = None
    for f in service.assess(catalog, request).as_dict()["findings"]:
        if f["code"] == "max_daily_dose_exceeded":
            found = (str(f["message"]), dict(f["details"]))
            break
    if len(_DAILY_CACHE) > 4096:
        _DAILY_CACHE.clear()
    _DAILY_CACHE[key] = found
    return found
