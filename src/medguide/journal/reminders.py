"""Reminders: an iCalendar feed per person, and what is due now (`medguide remind`).

The feed is regenerated from the schedules each time, so a changed schedule or a plan's next
step shows up at the next refresh. Clock doses are placed at their local time in the person's
zone (with a VTIMEZONE, so 08:00 stays 08:00 across a daylight-saving change); interval doses
at their instants. Every dose has an alarm; refills and plan steps are all-day events.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from medguide.journal import views as v
from medguide.journal.report import build_views, stock_of
from medguide.journal.store import Journal

FEED_DAYS = 30


def _amount(amount: float | None, unit: str) -> str:
    return f"{amount:g} {unit}" if amount is not None else unit


def feed_events(journal: Journal, person_id: str, now: datetime, days: int) -> list[dict[str, Any]]:
    now = now.astimezone(UTC)
    since = now - timedelta(days=2)
    snap = journal.snapshot(person_id, since)
    pv = build_views(journal.catalog, snap, now - timedelta(days=1), now)
    tz = snap.person.tz
    end = now + timedelta(days=days)
    out: list[dict[str, Any]] = []
    for record, view in pv.meds:
        med = record.med
        if med.stopped_at is not None and med.stopped_at < now:
            continue
        for slot in v.expand_slots(med, tz, now - timedelta(days=1), end):
            what = f"{med.drug_name} {_amount(slot.amount, med.unit)}"
            out.append(
                {
                    "uid": f"{med.id}-{slot.due:%Y%m%dT%H%M%SZ}@medguide",
                    "start": slot.due,
                    "summary": what,
                    "description": (
                        f"{record.order_text}. If a dose is missed, do not take two together "
                        "to catch up; see `medguide missed-dose`."
                    ),
                    "alarm": what,
                }
            )
        for step in med.schedule.plan:
            if step.start < now.astimezone(tz).date() - timedelta(days=1):
                continue
            text = (
                f"{med.drug_name}: plan step from {step.start.isoformat()}, "
                f"{step.dose:g} {med.unit} {step.doses_per_day} times a day"
                if step.doses_per_day
                else f"{med.drug_name}: the plan ends, no more doses"
            )
            out.append(
                {
                    "uid": f"{med.id}-step-{step.start.isoformat()}@medguide",
                    "day": step.start,
                    "summary": text,
                }
            )
        daily = v.expected_daily_amount(med, tz, now, view.intakes)
        stock = stock_of(journal, snap, med, view, daily, now, since)
        if stock.refill_by is not None and stock.refill_by <= end.astimezone(tz).date():
            day: date = max(stock.refill_by, now.astimezone(tz).date())
            out.append(
                {
                    "uid": f"{med.id}-refill@medguide",
                    "day": day,
                    "summary": f"Refill {med.drug_name}: about {stock.days_left:.0f} days left",
                    "description": f"Runs out about {stock.runs_out}. Ask for a refill now.",
                }
            )
    return out


def dump_feed(journal: Journal, person_id: str, now: datetime, days: int = FEED_DAYS) -> bytes:
    from medguide.interop.ical import dump_reminders

    person = journal.person(person_id)
    events = feed_events(journal, person_id, now, days)
    return dump_reminders(
        f"medguide: {person.name}", person.timezone, events, stamp=now.astimezone(UTC)
    )


def due_now(
    journal: Journal, person_id: str, now: datetime, window: timedelta
) -> list[dict[str, Any]]:
    """Doses due now (within their grace window) or in the next `window`, not yet taken."""
    now = now.astimezone(UTC)
    snap = journal.snapshot(person_id, now - timedelta(days=2))
    pv = build_views(journal.catalog, snap, now - timedelta(days=1), now)
    tz = snap.person.tz
    out = []
    for record, view in pv.meds:
        for st in v.due_now(view, now, window):
            out.append(
                {
                    "person": snap.person.id,
                    "medication": record.med.id,
                    "drug": record.med.drug_name,
                    "due": st.slot.due.astimezone(tz).isoformat(),
                    "amount": st.slot.amount,
                    "unit": record.med.unit,
                    "status": st.status,
                }
            )
    return out
