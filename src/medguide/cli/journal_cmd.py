"""`medguide journal …` and `medguide remind`: the dose journal and its reminders.

The journal is a local SQLite file (or a PostgreSQL database, see the README); nothing is
sent anywhere. Every command has `--json`; bad input is one `error:` line and exit code 2,
and nothing already stored changes. `--now` replays a command at another time (tests, demos,
importing a paper diary); by default the clock is read here, at the edge.

SQLAlchemy and the journal modules are imported inside the commands, so `medguide --help`
stays fast.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from medguide.cli.common import catalog, fail, fail_service, print_json, validated
from medguide.cli.words import ADVICE_TEXT, LEVEL_TEXT

if TYPE_CHECKING:
    from medguide.journal.store import Journal

journal_app = typer.Typer(
    name="journal",
    help="Dose journal: medicines, doses taken or missed, symptoms, adherence, calendar.",
    no_args_is_help=True,
)

Person = Annotated[str, typer.Option("--person", "-p", help="whose journal (default: me)")]
By = Annotated[str | None, typer.Option("--by", help="who records it (a linked caregiver)")]
Json = Annotated[bool, typer.Option("--json", help="machine-readable output")]
Now = Annotated[
    str | None, typer.Option("--now", help="act as if it were this time (ISO 8601)", hidden=False)
]
EntryId = Annotated[
    str | None,
    typer.Option("--id", help="your id for this entry: sending it again records it once"),
]


def _say(text: str = "") -> None:
    typer.echo(text)


def _local_zone_name() -> str:
    """The machine's IANA zone name, for a first journal created without --tz."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name and "/" in name:
        return name
    try:
        return Path("/etc/timezone").read_text(encoding="utf-8").strip() or "UTC"
    except OSError:
        pass
    try:
        target = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in target:
            return target.split("zoneinfo/", 1)[1]
    except OSError:
        pass
    return "UTC"


def _parse_time(text: str | None, tz: tzinfo, default: datetime, what: str) -> datetime:
    """ISO 8601 with or without an offset (without: the person's wall-clock time), 'now',
    or a clock time 'HH:MM' today in the person's zone."""
    if text is None or text.strip().lower() == "now":
        return default
    s = text.strip()
    try:
        if len(s) <= 5 and ":" in s:
            clock = time.fromisoformat(s)
            return datetime.combine(default.astimezone(tz).date(), clock, tzinfo=tz)
        at = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        fail(f"{what} {text!r} is not a time such as 2026-11-30T08:05 or 08:05", field=what)
    if at.tzinfo is None:
        at = at.replace(tzinfo=tz)
    return at


def _clock_now(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        at = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        fail(f"--now {text!r} is not an ISO 8601 time", field="now")
    if at.tzinfo is None:
        at = at.astimezone()  # the machine's zone
    return at


@contextmanager
def _journal() -> Iterator[Journal]:
    from sqlalchemy.exc import DBAPIError

    from medguide.journal.db import JournalError, first_line
    from medguide.journal.store import Journal

    try:
        j = Journal.open(catalog=catalog())
    except JournalError as exc:
        fail(str(exc))
    try:
        yield j
    except JournalError as exc:
        fail(str(exc))
    except DBAPIError as exc:  # a locked file past the timeout, a server gone away
        fail(f"the journal database refused the request ({first_line(exc)}); nothing was changed")
    finally:
        j.close()


def _zone_of(j: Journal, person: str) -> tzinfo:
    return j.person(person).tz


def _new_id(given: str | None) -> str:
    from medguide.journal.store import new_id

    if given is not None and not given.strip():
        fail("--id cannot be empty", field="id")
    return given or new_id()


def _med_id(j: Journal, person: str, name: str) -> str:
    return j.find_medication(person, name).med.id


# --- people ----------------------------------------------------------------------------


def add_person(
    person_id: Annotated[str, typer.Argument(help="a short id, e.g. me, mum, alex")],
    name: Annotated[str | None, typer.Option(help="name shown in the calendar")] = None,
    tz: Annotated[str | None, typer.Option("--tz", help="IANA time zone")] = None,
    role: Annotated[str, typer.Option(help="patient or caregiver")] = "patient",
    age: Annotated[float | None, typer.Option(help="age in years (for dose checks)")] = None,
    caregiver_of: Annotated[
        str | None, typer.Option("--caregiver-of", help="link as a caregiver of this patient")
    ] = None,
    now: Now = None,
    as_json: Json = False,
) -> None:
    """Add a patient, or a caregiver who may record for a patient."""
    at = _clock_now(now)
    with _journal() as j:
        if role not in ("patient", "caregiver"):
            fail("--role is patient or caregiver", field="role")
        p = j.add_person(
            person_id,
            name or person_id,
            tz or _local_zone_name(),
            role=cast(Any, role),
            age_years=age,
            now=at,
        )
        if caregiver_of:
            j.link_caregiver(p.id, caregiver_of, now=at)
    if as_json:
        print_json({**p.as_dict(), "caregiver_of": caregiver_of})
        return
    _say(
        f"added {p.role} {p.id} ({p.timezone})"
        + (f", caregiver of {caregiver_of}" if caregiver_of else "")
    )


def _ensure_person(j: Journal, person: str, tz: str | None, at: datetime) -> None:
    from medguide.journal.db import JournalError

    try:
        j.person(person)
    except JournalError:
        if person != "me":
            raise
        j.add_person("me", "me", tz or _local_zone_name(), now=at)


def _times(text: str | None) -> tuple[str, ...]:
    return tuple(x for x in (text or "").replace(" ", "").split(",") if x)


def _amounts(text: str | None) -> tuple[float, ...]:
    try:
        return tuple(float(x) for x in _times(text))
    except ValueError:
        fail(f"--amounts {text!r} is not a list of numbers such as 10,10,20", field="amounts")


def add_med(
    order: Annotated[
        str | None, typer.Argument(help='the order, e.g. "baclofen 10 mg tid"')
    ] = None,
    person: Person = "me",
    drug: Annotated[
        str | None, typer.Option(help="drug (instead of, or with, the order text)")
    ] = None,
    dose: Annotated[float | None, typer.Option(help="dose per intake")] = None,
    unit: Annotated[str | None, typer.Option(help="unit of the dose (mg, mL, tablet)")] = None,
    frequency: Annotated[
        str | None, typer.Option(help="how often, e.g. TID, 'every 8 hours'")
    ] = None,
    times: Annotated[str | None, typer.Option(help="clock times, e.g. 08:00,14:00,20:00")] = None,
    amounts: Annotated[str | None, typer.Option(help="amount per intake, e.g. 10,10,20")] = None,
    every_hours: Annotated[
        float | None, typer.Option("--every-hours", help="an interval schedule")
    ] = None,
    first: Annotated[str | None, typer.Option(help="first dose of an interval schedule")] = None,
    prn: Annotated[bool, typer.Option("--prn", help="as needed")] = False,
    min_interval: Annotated[
        float | None, typer.Option("--min-interval", help="as needed: hours between doses at least")
    ] = None,
    max_per_day: Annotated[
        int | None, typer.Option("--max-per-day", help="as needed: doses a day at most")
    ] = None,
    plan: Annotated[
        str | None, typer.Option(help="titrate or taper: the journal follows the plan")
    ] = None,
    target: Annotated[str | None, typer.Option(help="titration target, e.g. '60 mg'")] = None,
    step_days: Annotated[int | None, typer.Option("--step-days")] = None,
    days: Annotated[int | None, typer.Option(help="taper: at least this many days")] = None,
    start: Annotated[str | None, typer.Option(help="first day (default: now)")] = None,
    grace: Annotated[
        int, typer.Option(help="minutes after the time before a dose counts as missed")
    ] = 60,
    tz: Annotated[
        str | None, typer.Option("--tz", help="time zone, when the journal is new")
    ] = None,
    med_id: EntryId = None,
    now: Now = None,
    as_json: Json = False,
) -> None:
    """Add a medicine from an order, structured fields, or a titration or taper plan."""
    from medguide import service

    at = _clock_now(now)
    with _journal() as j:
        _ensure_person(j, person, tz, at)
        zone = _zone_of(j, person)
        begin = _parse_time(start, zone, at, "start")
        plan_result = None
        if plan is not None:
            if plan not in ("titrate", "taper"):
                fail("--plan is titrate or taper", field="plan")
            who = j.person(person)
            named = drug or next(iter((order or "").split()), None)
            if not named:
                fail("a plan needs the drug: --drug baclofen", field="drug")
            query = validated(
                service.PlanQuery,
                {
                    "drug": named,
                    "start": begin.astimezone(zone).date(),
                    "target": target,
                    "dose": dose,
                    "unit": unit,
                    "frequency": frequency,
                    "step_days": step_days,
                    "days": days,
                    "patient": {"age_years": who.age_years},
                },
            )
            try:
                plan_result = (service.plan_titrate if plan == "titrate" else service.plan_taper)(
                    j.catalog, query
                )
            except service.ServiceError as exc:
                fail_service(exc)
        try:
            record, findings = j.add_medication(
                person,
                med_id=med_id,
                text=order if plan is None else None,
                drug=drug if plan is None else None,
                dose=dose if plan is None else None,
                unit=unit if plan is None else None,
                frequency=frequency if plan is None else None,
                times=_times(times),
                amounts=_amounts(amounts),
                every_hours=every_hours,
                first_dose=_parse_time(first, zone, begin, "first") if first else None,
                prn=prn,
                min_interval_hours=min_interval,
                max_per_day=max_per_day,
                plan=plan_result,
                start=begin,
                grace_minutes=grace,
                now=at,
            )
        except service.ServiceError as exc:
            fail_service(exc)
        data: dict[str, Any] = {"medication": record.as_dict(zone), "findings": findings}
    if as_json:
        print_json(data)
        return
    m = data["medication"]
    s = m["schedule"]
    when = (
        ", ".join(s["times"])
        if s.get("times")
        else f"every {s['every_hours']:g} h"
        if s.get("every_hours")
        else "as needed"
        if m["prn"]
        else "following the plan"
    )
    _say(f"added {m['drug_name']} ({m['id']}): {m['order']}; {when}")
    for f in findings:
        _say(f"[{f['severity']}] {f['message']}")


def stop_med(
    medication: Annotated[str, typer.Argument(help="the medicine's name or id")],
    person: Person = "me",
    at: Annotated[str | None, typer.Option(help="when it was stopped (default: now)")] = None,
    now: Now = None,
    as_json: Json = False,
) -> None:
    """Mark a medicine as stopped: no more doses are expected after that time. (Stopping
    some medicines suddenly is dangerous; stop only as the prescriber says.)"""
    clock = _clock_now(now)
    with _journal() as j:
        rec = j.find_medication(person, medication)
        when = _parse_time(at, _zone_of(j, person), clock, "at")
        j.stop_medication(person, rec.med.id, at=when, now=clock)
        from medguide.journal import report

        advice = report.stop_advice(j.catalog, rec.med.drug_id)
    if as_json:
        print_json({"medication": rec.med.id, "stopped": when.isoformat(), "advice": advice})
        return
    _say(f"{rec.med.drug_name} marked as stopped from {when.isoformat()}")
    for code in advice:
        _say(f"  - {ADVICE_TEXT.get(code, code)}")


# --- doses, symptoms, stock, notes -------------------------------------------------------


def _record(
    kind: str,
    medication: str,
    person: str,
    at_text: str | None,
    amount: float | None,
    unit: str | None,
    slot: str | None,
    entry: str | None,
    by: str | None,
    now: str | None,
    as_json: bool,
) -> None:
    clock = _clock_now(now)
    with _journal() as j:
        zone = _zone_of(j, person)
        med = _med_id(j, person, medication)
        at = _parse_time(at_text, zone, clock, "at")
        scheduled = _parse_time(slot, zone, clock, "for") if slot else None
        event, created = j.record_dose(
            _new_id(entry),
            person,
            med,
            cast(Any, kind),
            at,
            amount=amount,
            unit=unit,
            scheduled_for=scheduled,
            recorded_by=by,
            now=clock,
        )
        from medguide.journal import report

        data = report.recorded_dose(j, person, event, created, clock)
    fresh = data["warnings"]
    if as_json:
        print_json(data)
        return
    verb = "recorded" if created else "already recorded (same id), not added again:"
    _say(f"{verb} {kind} {medication} at {data['event']['at']} (id {event.id})")
    for w in fresh:
        _say(f"warning: {w['message']}")


def take(
    medication: Annotated[str, typer.Argument(help="the medicine's name or id")],
    person: Person = "me",
    at: Annotated[str | None, typer.Option(help="when it was taken (default: now)")] = None,
    amount: Annotated[float | None, typer.Option(help="amount, if not the usual dose")] = None,
    unit: Annotated[str | None, typer.Option(help="unit of --amount")] = None,
    kind: Annotated[str, typer.Option(help="taken, late or extra")] = "taken",
    slot: Annotated[str | None, typer.Option("--for", help="the scheduled time it was for")] = None,
    entry: EntryId = None,
    by: By = None,
    now: Now = None,
    as_json: Json = False,
) -> None:
    """Record a dose taken (or taken late, or an extra dose)."""
    if kind not in ("taken", "late", "extra"):
        fail("--kind is taken, late or extra", field="kind")
    _record(kind, medication, person, at, amount, unit, slot, entry, by, now, as_json)


def skip(
    medication: Annotated[str, typer.Argument(help="the medicine's name or id")],
    person: Person = "me",
    slot: Annotated[str | None, typer.Option("--for", help="the scheduled time skipped")] = None,
    at: Annotated[str | None, typer.Option(help="when it was decided (default: now)")] = None,
    entry: EntryId = None,
    by: By = None,
    now: Now = None,
    as_json: Json = False,
) -> None:
    """Record a dose left out on purpose."""
    # Recorded when it is decided (a dose can be skipped ahead of time); `--for` names the dose.
    _record("skipped", medication, person, at, None, None, slot, entry, by, now, as_json)


def symptom(
    text: Annotated[str, typer.Argument(help="what you notice, in your own words")],
    person: Person = "me",
    at: Annotated[str | None, typer.Option(help="when (default: now)")] = None,
    entry: EntryId = None,
    by: By = None,
    now: Now = None,
    as_json: Json = False,
) -> None:
    """Record a symptom; it is triaged at once and a red flag is shown first."""
    clock = _clock_now(now)
    with _journal() as j:
        zone = _zone_of(j, person)
        entry_rec, result, created = j.record_symptom(
            _new_id(entry),
            person,
            text,
            _parse_time(at, zone, clock, "at"),
            recorded_by=by,
            now=clock,
        )
    data = {"entry": entry_rec.as_dict(zone), "created": created, "triage": result}
    if as_json:
        print_json(data)
        return
    level = entry_rec.level
    _say(LEVEL_TEXT.get(level, level))
    for code in entry_rec.advice:
        _say(f"  - {ADVICE_TEXT.get(code, code)}")
    for why in (result.get("triage") or {}).get("reasons") or []:
        _say(f"  why: {why}")
    _say(f"recorded (id {entry_rec.id})")


def stock(
    medication: Annotated[str, typer.Argument(help="the medicine's name or id")],
    on_hand: Annotated[float | None, typer.Option("--on-hand", help="how much is left now")] = None,
    refill: Annotated[float | None, typer.Option(help="how much was just added")] = None,
    each: Annotated[
        float | None, typer.Option(help="amount in each tablet or unit counted")
    ] = None,
    refills_left: Annotated[int | None, typer.Option("--refills-left")] = None,
    person: Person = "me",
    entry: EntryId = None,
    by: By = None,
    now: Now = None,
    as_json: Json = False,
) -> None:
    """Record what is on hand (a count) or a refill, in the dose's unit (or units × --each)."""
    if (on_hand is None) == (refill is None):
        fail("give one of --on-hand or --refill", field="on_hand")
    clock = _clock_now(now)
    quantity = on_hand if on_hand is not None else refill
    assert quantity is not None
    with _journal() as j:
        rec = j.find_medication(person, medication)
        total = quantity * each if each is not None else quantity
        j.record_stock(
            _new_id(entry),
            person,
            rec.med.id,
            "count" if on_hand is not None else "refill",
            total,
            refills_left=refills_left,
            at=clock,
            recorded_by=by,
            now=clock,
        )
        from medguide.journal import report

        s = next(
            m
            for m in report.status(j, person, clock)["medications"]
            if m["medication"]["id"] == rec.med.id
        )
    if as_json:
        print_json({"medication": rec.med.id, "stock": s["stock"]})
        return
    st = s["stock"]
    _say(
        f"{rec.med.drug_name}: {st['on_hand']:g} {rec.med.unit} on hand"
        + (
            f", about {st['days_left']:g} days; refill by {st['refill_by']}"
            if st["days_left"] is not None
            else ""
        )
    )


def note(
    text: Annotated[str, typer.Argument(help="a note for yourself or the care team")],
    person: Person = "me",
    entry: EntryId = None,
    by: By = None,
    now: Now = None,
    as_json: Json = False,
) -> None:
    """Add a free-text note."""
    clock = _clock_now(now)
    with _journal() as j:
        eid = _new_id(entry)
        created = j.add_note(eid, person, text, at=clock, recorded_by=by, now=clock)
    if as_json:
        print_json({"id": eid, "created": created})
        return
    _say(f"note recorded (id {eid})")


# --- reading ---------------------------------------------------------------------------


def _pct(x: float | None) -> str:
    return f"{100 * x:.0f}%" if x is not None else "–"


def status(person: Person = "me", now: Now = None, as_json: Json = False) -> None:
    """What is due next, what was missed, adherence, warnings and stock."""
    from medguide.journal import report

    clock = _clock_now(now)
    with _journal() as j:
        data = report.status(j, person, clock)
    if as_json:
        print_json(data)
        return
    for s in data["red_flags"]:
        _say(f"{LEVEL_TEXT[s['level']]} (symptom recorded {s['at']}: {s['text']!r})")
    for w in data["warnings"]:
        if w["active"]:
            _say(f"WARNING [{w['code']}]: {w['message']}")
            for code in w.get("advice") or []:
                _say(f"  - {ADVICE_TEXT.get(code, code)}")
    _say(f"{data['person']['name']} — {data['now']}")
    if not data["medications"]:
        _say("no medicines yet: add one with `medguide journal add-med`")
    for m in data["medications"]:
        med = m["medication"]
        a = m["adherence_7_days"]
        _say(f"{med['drug_name']} ({med['order']})")
        if m["next_due"]:
            _say(f"  next: {m['next_due']['due']} ({m['next_due']['amount']} {med['unit']})")
        if m["missed_dose"]:
            _say(f"  missed dose: {m['missed_dose']['message']}")
        _say(
            f"  last 7 days: {a['taken']} of {a['expected']} doses ({_pct(a['adherence'])}), "
            f"{m['missed_last_7_days']} missed; missed in a row now: {m['consecutive_missed']}"
        )
        days = " ".join(
            f"{d['period'][5:]}:{d['taken']}/{d['expected']}" for d in m["adherence_by_day"]
        )
        if days:
            _say(f"  by day: {days}")
        st = m["stock"]
        if st["on_hand"] is not None:
            left = (
                f", about {st['days_left']:g} days, refill by {st['refill_by']}"
                if st["days_left"] is not None
                else ""
            )
            _say(f"  stock: {st['on_hand']:g} {med['unit']}{left}")
        for w in m["warnings"]:
            if not w["active"]:
                _say(f"  earlier [{w['code']}]: {w['message']}")
    _say(f"knowledge {data['knowledge_version']}")


def history(
    person: Person = "me",
    days: Annotated[int, typer.Option(min=1, max=3650, help="how far back")] = 30,
    now: Now = None,
    as_json: Json = False,
) -> None:
    """Every expected dose with what happened, and every entry."""
    from medguide.journal import report

    clock = _clock_now(now)
    with _journal() as j:
        data = report.history(j, person, clock, days)
    if as_json:
        print_json(data)
        return
    for m in data["medications"]:
        med = m["medication"]
        _say(f"{med['drug_name']} ({med['order']})")
        for s in m["slots"]:
            _say(f"  {s['due']}  {s['amount']} {med['unit']}  {s['status']}")
        for w in m["warnings"]:
            _say(f"  [{w['code']}] {w['message']}")
    for s in data["symptoms"]:
        _say(f"symptom {s['at']}: {s['text']} → {s['level']}")
    for n in data["notes"]:
        _say(f"note {n['at']}: {n['text']}")


def export(
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv, json, fhir or ics")] = "json",
    person: Person = "me",
    days: Annotated[
        int, typer.Option(min=1, max=3650, help="history (or, for ics, days ahead)")
    ] = 30,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="write to a file")] = None,
    now: Now = None,
    as_json: Json = False,
) -> None:
    """Export: dose events as CSV, the history as JSON, FHIR MedicationStatements with
    adherence, or an iCalendar feed of reminders (doses with alarms, refills, plan steps)."""
    import json

    from medguide.journal import export as ex
    from medguide.journal import reminders, report

    if fmt not in ("csv", "json", "fhir", "ics"):
        fail("--format is csv, json, fhir or ics", field="format")
    clock = _clock_now(now)
    with _journal() as j:
        body: bytes
        if fmt == "csv":
            body = ex.dump_csv(j, person, clock, days).encode()
        elif fmt == "json":
            body = json.dumps(
                report.history(j, person, clock, days), indent=2, ensure_ascii=False
            ).encode()
        elif fmt == "fhir":
            body = json.dumps(ex.dump_fhir(j, person, clock, days), indent=2).encode()
        else:
            body = reminders.dump_feed(j, person, clock, days)
    if out is not None:
        try:
            out.write_bytes(body)
        except OSError as exc:
            fail(f"cannot write {out}: {exc.strerror}")
        if as_json:
            print_json({"format": fmt, "path": str(out), "bytes": len(body)})
        else:
            _say(f"wrote {out} ({fmt}, {len(body)} bytes)")
        return
    typer.echo(body.decode(), nl=False)


def remind(
    person: Annotated[
        str | None, typer.Option("--person", "-p", help="one person (default: everyone)")
    ] = None,
    window: Annotated[
        int, typer.Option(min=0, max=24 * 60, help="also list doses due in the next N minutes")
    ] = 15,
    now: Now = None,
    as_json: Json = False,
) -> None:
    """Print the doses due now (for cron or a systemd timer); prints nothing when none are."""
    from medguide.journal import reminders

    clock = _clock_now(now)
    with _journal() as j:
        people = [person] if person else [p.id for p in j.persons() if p.role == "patient"]
        due = [d for p in people for d in reminders.due_now(j, p, clock, timedelta(minutes=window))]
    if as_json:
        print_json({"now": clock.isoformat(), "due": due})
        return
    for d in due:
        _say(
            f"{d['person']}: {d['drug']} {d['amount']:g} {d['unit']} due {d['due']} ({d['status']})"
        )


# --- access from other programs (the HTTP API) -----------------------------------------

token_app = typer.Typer(
    name="token",
    help="Bearer tokens for the HTTP API's journal routes (/api/v1/journal).",
    no_args_is_help=True,
)


@token_app.command("issue")
def token_issue(
    person: Person = "me",
    label: Annotated[str, typer.Option(help="what it is for, e.g. 'phone'")] = "token",
    days: Annotated[int, typer.Option(min=1, max=3650, help="valid for this many days")] = 365,
    now: Now = None,
    as_json: Json = False,
) -> None:
    """Issue a token that opens this person's journal (and their patients', for a caregiver).

    The token is printed once; only its hash is kept. Give it as `Authorization: Bearer …`."""
    from medguide.journal import access

    clock = _clock_now(now)
    with _journal() as j:
        issued = access.issue(j, person, label=label, days=days, now=clock)
    if as_json:
        print_json(
            {
                "id": issued.id,
                "token": issued.token,
                "person": issued.person_id,
                "label": issued.label,
                "expires": issued.expires_at.isoformat(),
            }
        )
        return
    _say(issued.token)
    typer.echo(
        f"token {issued.id} for {issued.person_id} ({issued.label}), valid until "
        f"{issued.expires_at:%Y-%m-%d}; it is shown only now: keep it like a password",
        err=True,
    )


@token_app.command("list")
def token_list(
    person: Annotated[
        str | None, typer.Option("--person", "-p", help="one person's (default: all)")
    ] = None,
    as_json: Json = False,
) -> None:
    """The tokens issued (ids, never secrets), newest first."""
    from medguide.journal import access

    clock = _clock_now(None)
    with _journal() as j:
        rows = access.tokens(j, person)
    if as_json:
        print_json(rows)
        return
    if not rows:
        _say("no tokens: issue one with `medguide journal token issue`")
    for r in rows:
        if r["revoked_at"] is not None:
            state = f"revoked {r['revoked_at']:%Y-%m-%d}"
        elif r["expires_at"] <= clock:
            state = f"expired {r['expires_at']:%Y-%m-%d}"
        else:
            state = f"valid until {r['expires_at']:%Y-%m-%d}"
        _say(f"{r['id']}  {r['person_id']}  {r['label']}  {state}")


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="the token's id (from `token list`)")],
    now: Now = None,
    as_json: Json = False,
) -> None:
    """Revoke a token: it opens nothing from now on."""
    from medguide.journal import access

    clock = _clock_now(now)
    with _journal() as j:
        changed = access.revoke(j, token_id, now=clock)
    if as_json:
        print_json({"id": token_id, "revoked": True, "already": not changed})
        return
    _say(f"token {token_id} revoked" if changed else f"token {token_id} was already revoked")


def audit(
    person: Annotated[
        str | None, typer.Option("--person", "-p", help="one journal's (default: all)")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="newest lines")] = 50,
    as_json: Json = False,
) -> None:
    """Who read or changed which journal through the API or the pages, refusals too."""
    from medguide.journal import access

    with _journal() as j:
        rows = access.audit_trail(j, person, limit=limit)
    if as_json:
        print_json(rows)
        return
    if not rows:
        _say("nothing recorded: no journal was opened through the API or the pages")
    for r in reversed(rows):
        who = r["actor"] or "(no valid token)"
        _say(
            f"{r['at']:%Y-%m-%d %H:%M:%S}Z  {r['door']}  {who} {r['action']} "
            f"{r['subject']}:{r['what']}  {r['outcome']}  {r['client'] or ''}".rstrip()
        )


def register(app: typer.Typer) -> None:
    for name, fn in (
        ("add-person", add_person),
        ("add-med", add_med),
        ("stop-med", stop_med),
        ("take", take),
        ("skip", skip),
        ("symptom", symptom),
        ("stock", stock),
        ("note", note),
        ("status", status),
        ("history", history),
        ("export", export),
        ("audit", audit),
    ):
        journal_app.command(name)(fn)
    journal_app.add_typer(token_app)
    app.add_typer(journal_app)
    app.command("remind")(remind)
