"""Status and history of one person: the pure views over their snapshot, with the clinical
wording from the service (withdrawal risk through `service.triage`, a daily total above the
maximum through `service.assess`). The thresholds are read from the drug's knowledge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from medguide.journal import views as v
from medguide.journal.store import (
    STATUS_WINDOW,
    Journal,
    MedRecord,
    Person,
    Snapshot,
    check_daily_total,
)
from medguide.knowledge.catalog import Catalog

RED_FLAG_LEVELS = ("urgent", "emergency")
RECENT = timedelta(days=7)


def rules_for(catalog: Catalog, drug_id: str) -> v.Rules:
    """The drug's missed-dose knowledge as the views need it."""
    drug = catalog.drug(drug_id)
    rule = drug.missed_dose if drug is not None else None
    if rule is None:
        return v.Rules()
    return v.Rules(
        withdrawal_after_missed=rule.consecutive_missed_withdrawal_risk,
        min_gap_hours=rule.skip_if_next_within_hours,
        never_double=rule.never_double,
    )


def stop_advice(catalog: Catalog, drug_id: str) -> list[str]:
    """Advice codes to show when a medicine is marked as stopped: a drug whose knowledge
    names a withdrawal risk (baclofen: missed doses in a row) is never stopped at once."""
    if rules_for(catalog, drug_id).withdrawal_after_missed is None:
        return []
    return ["do_not_stop_abruptly", "gradual_taper"]


@dataclass(frozen=True)
class PersonView:
    person: Person
    meds: tuple[tuple[MedRecord, v.MedView], ...]


def build_views(catalog: Catalog, snap: Snapshot, start: datetime, now: datetime) -> PersonView:
    tz = snap.person.tz
    out = []
    for record in snap.meds:
        view = v.view_medication(
            record.med, snap.events, tz, start, now, rules_for(catalog, record.med.drug_id)
        )
        out.append((record, view))
    return PersonView(snap.person, tuple(out))


def _withdrawal_text(
    catalog: Catalog, record: MedRecord, n: int, daily: float | None
) -> tuple[str, list[str]]:
    from medguide import service
    from medguide.service.queries import MAX_MISSED_IN_A_ROW

    mg = daily if daily and record.med.unit == "mg" else None
    try:
        result = service.triage(
            catalog,
            service.TriageQuery(
                drug=record.med.drug_id,
                route="intrathecal" if record.route == "intrathecal" else "oral",
                missed_doses=min(n, MAX_MISSED_IN_A_ROW),
                daily_dose_mg=mg,
            ),
        ).as_dict()
    except (service.ServiceError, ValueError):
        return f"{n} doses of {record.med.drug_name} in a row were not taken.", [
            "contact_prescriber"
        ]
    for f in result["findings"]:
        if f["code"] == "withdrawal_risk":
            return str(f["message"]), list(f["advice"] or result["advice"])
    return f"{n} doses of {record.med.drug_name} in a row were not taken.", list(result["advice"])


def _warning_dicts(
    catalog: Catalog,
    person: Person,
    record: MedRecord,
    view: v.MedView,
    daily: float | None,
    since: datetime,
) -> list[dict[str, Any]]:
    tz = person.tz
    out: list[dict[str, Any]] = []
    for w in view.warnings:
        if w.at < since and w.active is False:
            continue
        d = w.as_dict(tz)
        name = record.med.drug_name
        local = w.at.astimezone(tz).strftime("%a %d %b %H:%M")
        if w.code == "withdrawal_risk":
            n = int(w.details["consecutive_missed"])
            if w.active:
                d["message"], d["advice"] = _withdrawal_text(catalog, record, n, daily)
            else:
                d["message"] = (
                    f"{n} doses of {name} in a row were not taken (up to {local}); "
                    "withdrawal can follow such a gap. Tell the prescriber if it happens again."
                )
                d["advice"] = ["contact_prescriber"]
        elif w.code == "do_not_double":
            why = w.details.get("why")
            what = {
                "extra": "an extra dose",
                "second_dose_for_slot": "a second dose for the same scheduled time",
                "too_soon": "a dose soon after the previous one",
            }.get(str(why), "an extra dose")
            d["message"] = (
                f"{name}: {what} was recorded at {local}. It is kept in the journal as it "
                "happened. Do not make up for missed doses; carry on with the next dose at "
                "its usual time."
            )
            d["advice"] = ["do_not_double"]
        elif w.code == "max_doses_per_day_exceeded":
            d["message"] = (
                f"{name} as needed: {w.details['count']} doses on {w.details['date']}, above "
                f"the cap of {w.details['max']} a day."
            )
            d["advice"] = ["contact_prescriber"]
        out.append(d)
    return out


def _daily_warnings(
    catalog: Catalog, person: Person, record: MedRecord, view: v.MedView, since: datetime
) -> list[dict[str, Any]]:
    tz = person.tz
    totals = v.daily_totals(
        (e for e in view.intakes if e.occurred_at >= since), tz, record.med.dose
    )
    out = []
    for day, total in sorted(totals.items()):
        found = check_daily_total(catalog, record, person, total)
        if found is not None:
            message, details = found
            out.append(
                {
                    "code": "max_daily_dose_exceeded",
                    "medication": record.med.id,
                    "at": day.isoformat(),
                    "active": True,
                    "details": {**details, "date": day.isoformat()},
                    "message": f"On {day.isoformat()}: {message}",
                    "advice": ["contact_prescriber"],
                }
            )
    return out


def _missed_advice(
    catalog: Catalog, person: Person, record: MedRecord, view: v.MedView, now: datetime
) -> dict[str, Any] | None:
    """For a dose missed just now: take it or leave it out, from `service.missed_dose`."""
    from medguide import service

    elapsed = [s for s in view.slots if s.status in v.ELAPSED]
    if not elapsed or elapsed[-1].status != "missed" or record.med.prn:
        return None
    nxt = next((s for s in view.slots if s.slot.due > now), None)
    if nxt is None or now - elapsed[-1].slot.due > timedelta(hours=24):
        return None
    tz = person.tz
    try:
        advice = service.missed_dose(
            catalog,
            service.MissedDoseQuery(
                drug=record.med.drug_id,
                missed=elapsed[-1].slot.due.astimezone(tz).isoformat(),
                next_due=nxt.slot.due.astimezone(tz).isoformat(),
                timezone=person.timezone,
                count=min(v.consecutive_missed(view.slots), 100),
            ),
            now.astimezone(tz),
        )
    except service.ServiceError:
        return None
    return {"action": advice.action, "message": advice.message, "advice": list(advice.advice)}


def stock_of(
    journal: Journal,
    snap: Snapshot,
    med: v.Med,
    view: v.MedView,
    daily: float | None,
    now: datetime,
    since: datetime,
    conn: Any = None,
) -> v.Stock:
    """Stock now: the view's intakes since `since`, and what was taken between the last
    count and `since` summed by the database (a count a year ago reads no year of rows)."""
    counts = [s.at for s in snap.stock if s.medication_id == med.id and s.kind == "count"]
    last = max(counts, default=None)
    used = 0.0
    if last is not None and last < since:
        if med.dose is not None and not med.schedule.amounts:
            used = journal.amount_taken(med, last, since, conn)
        else:  # amounts vary (a plan, amounts per intake): each intake takes its dose's amount
            older = journal.snapshot(snap.person.id, last, notes=False, conn=conn).events
            rules = rules_for(journal.catalog, med.drug_id)
            past = v.view_medication(med, older, snap.person.tz, last, since, rules)
            used = sum(e.amount or 0.0 for e in past.intakes if last < e.occurred_at < since)
    return v.stock_left(med, snap.stock, view.intakes, daily, snap.person.tz, now, used_before=used)


def _slot_dicts(states: Sequence[v.SlotState], person: Person) -> list[dict[str, Any]]:
    return [s.as_dict(person.tz) for s in states]


def status(journal: Journal, person_id: str, now: datetime) -> dict[str, Any]:
    """What is due, what was missed, adherence, warnings, stock, and recent red flags."""
    now = now.astimezone(UTC)
    since = now - STATUS_WINDOW
    with journal.reading() as conn:
        snap = journal.snapshot(person_id, since, notes=False, conn=conn)
        return _status(journal, snap, since, now, conn)


def _status(
    journal: Journal, snap: Snapshot, since: datetime, now: datetime, conn: Any
) -> dict[str, Any]:
    catalog = journal.catalog
    pv = build_views(catalog, snap, since, now)
    person = snap.person
    tz = person.tz
    recent = now - RECENT
    meds_out = []
    warnings: list[dict[str, Any]] = []
    for record, view in pv.meds:
        if record.med.stopped_at is not None and record.med.stopped_at < since:
            continue
        daily = v.expected_daily_amount(record.med, tz, now, view.intakes)
        stock = stock_of(journal, snap, record.med, view, daily, now, since, conn)
        week = [s for s in view.slots if s.slot.due >= recent]
        by_day = v.adherence(week, tz, "day")
        taken = sum(a.taken for a in by_day)
        expected = sum(a.expected for a in by_day)
        w = _warning_dicts(catalog, person, record, view, daily, recent)
        w += _daily_warnings(catalog, person, record, view, recent)
        warnings += w
        nxt = v.due_next(view, now)
        last = view.intakes[-1] if view.intakes else None
        meds_out.append(
            {
                "medication": record.as_dict(tz),
                "next_due": nxt.as_dict(tz) if nxt else None,
                "due_now": [s.as_dict(tz) for s in v.due_now(view, now, timedelta(0))],
                "last_intake": {
                    "id": last.id,
                    "kind": last.kind,
                    "at": last.occurred_at.astimezone(tz).isoformat(),
                    "amount": last.amount if last.amount is not None else record.med.dose,
                }
                if last
                else None,
                "missed_dose": _missed_advice(catalog, person, record, view, now),
                "missed_last_7_days": sum(1 for s in week if s.status == "missed"),
                "consecutive_missed": v.consecutive_missed(view.slots),
                "adherence_7_days": {
                    "taken": taken,
                    "expected": expected,
                    "adherence": round(taken / expected, 4) if expected else None,
                },
                "adherence_by_day": [a.as_dict() for a in by_day],
                "adherence_by_week": [a.as_dict() for a in v.adherence(view.slots, tz, "week")][
                    -5:
                ],
                "expected_daily": daily,
                "stock": stock.as_dict(),
                "warnings": w,
            }
        )
    flags = [
        s.as_dict(tz)
        for s in snap.symptoms
        if s.level in RED_FLAG_LEVELS and recent <= s.occurred_at <= now + v.FUTURE_SKEW
    ]
    warnings.sort(key=lambda d: (not d["active"], d["at"]))
    return {
        "person": person.as_dict(),
        "now": now.astimezone(tz).isoformat(),
        "medications": meds_out,
        "warnings": warnings,
        "red_flags": flags,
        "knowledge_version": catalog.version,
    }


def recorded_dose(
    journal: Journal, person_id: str, event: v.DoseEvent, created: bool, now: datetime
) -> dict[str, Any]:
    """A dose just recorded, with the warnings it raised (a double dose, a daily total above
    the maximum): what every door shows after a dose write."""
    data = status(journal, person_id, now)
    tz = ZoneInfo(data["person"]["timezone"])
    fresh = [
        w
        for w in data["warnings"]
        if w["active"] and (w.get("details") or {}).get("event") == event.id
    ]
    return {
        "event": {
            "id": event.id,
            "medication": event.medication_id,
            "kind": event.kind,
            "at": event.occurred_at.astimezone(tz).isoformat(),
            "amount": event.amount,
            "recorded_by": event.recorded_by,
        },
        "created": created,
        "warnings": fresh,
    }


def history(journal: Journal, person_id: str, now: datetime, days: int) -> dict[str, Any]:
    """Every expected dose with its status, every recorded event, symptoms and notes."""
    now = now.astimezone(UTC)
    since = now - timedelta(days=days)
    snap = journal.snapshot(person_id, since)
    catalog = journal.catalog
    pv = build_views(catalog, snap, since, now)
    person = snap.person
    tz = person.tz
    meds = []
    for record, view in pv.meds:
        past = [s for s in view.slots if s.slot.due <= now]
        meds.append(
            {
                "medication": record.as_dict(tz),
                "slots": _slot_dicts(past, person),
                "adherence_by_day": [a.as_dict() for a in v.adherence(past, tz, "day")],
                "adherence_by_week": [a.as_dict() for a in v.adherence(past, tz, "week")],
                "warnings": _warning_dicts(catalog, person, record, view, None, since)
                + _daily_warnings(catalog, person, record, view, since),
            }
        )
    return {
        "person": person.as_dict(),
        "from": since.astimezone(tz).isoformat(),
        "to": now.astimezone(tz).isoformat(),
        "medications": meds,
        "events": [event_dict(e, snap, tz) for e in snap.events],
        "symptoms": [s.as_dict(tz) for s in snap.symptoms],
        "notes": [{**n, "at": n["at"].astimezone(tz).isoformat()} for n in snap.notes],
        "knowledge_version": catalog.version,
    }


def event_dict(e: v.DoseEvent, snap: Snapshot, tz: Any) -> dict[str, Any]:
    med = next((r for r in snap.meds if r.med.id == e.medication_id), None)
    return {
        "id": e.id,
        "medication": e.medication_id,
        "drug": med.med.drug_id if med else None,
        "kind": e.kind,
        "at": e.occurred_at.astimezone(tz).isoformat(),
        "scheduled_for": e.scheduled_for.astimezone(tz).isoformat() if e.scheduled_for else None,
        "amount": e.amount
        if e.amount is not None or e.kind == "skipped"
        else (med.med.dose if med else None),
        "unit": med.med.unit if med and e.kind != "skipped" else None,
        "recorded_by": e.recorded_by,
    }
