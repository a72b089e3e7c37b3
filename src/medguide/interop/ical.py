"""A plan as an iCalendar file: one event per dose, at wall-clock times in the patient's zone.

Dose times are local clock times ("08:00"), so they stay at 08:00 across a daylight-saving
change; each event carries the patient's time zone (TZID) and the calendar holds a
VTIMEZONE for it. The plan itself does not depend on the zone; only the rendering does.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from medguide.clinical.plans import Plan

# Default clock times by doses a day (waking hours, evenly spread); a judgment call the
# person can override with their own times.
DEFAULT_TIMES: dict[int, tuple[str, ...]] = {
    1: ("08:00",),
    2: ("08:00", "20:00"),
    3: ("08:00", "14:00", "20:00"),
    4: ("08:00", "12:00", "16:00", "20:00"),
    5: ("07:00", "10:30", "14:00", "17:30", "21:00"),
    6: ("06:00", "09:00", "12:00", "15:00", "18:00", "21:00"),
}
DOSE_MINUTES = 15  # length of each event
ALARM_MINUTES_BEFORE = 0  # the reminder rings at the dose time itself


def zone(name: str) -> ZoneInfo:
    """The IANA time zone, or ValueError naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name such as 'America/New_York')"
        ) from None


def dose_times(doses_per_day: int, times: tuple[str, ...] | None = None) -> tuple[time, ...]:
    chosen = times if times and len(times) == doses_per_day else None
    if chosen is None:
        if doses_per_day in DEFAULT_TIMES:
            chosen = DEFAULT_TIMES[doses_per_day]
        else:  # evenly from 06:00 to 22:00
            span = 16 * 60
            chosen = tuple(
                f"{(6 * 60 + span * i // max(doses_per_day - 1, 1)) // 60:02d}:"
                f"{(6 * 60 + span * i // max(doses_per_day - 1, 1)) % 60:02d}"
                for i in range(doses_per_day)
            )
    return tuple(time.fromisoformat(t) for t in chosen)


def dump_ical(
    plan: Plan,
    timezone: str,
    *,
    times: tuple[str, ...] | None = None,
    stamp: datetime | None = None,
    knowledge_version: str | None = None,
) -> bytes:
    """The plan as an .ics file. `stamp` (DTSTAMP) defaults to the plan's first day so that
    the output is reproducible; `knowledge_version` is recorded as X-MEDGUIDE-KNOWLEDGE."""
    from icalendar import Calendar, Event

    tz = zone(timezone)
    cal = Calendar()
    cal.add("prodid", "-//medguide//dose plan//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{plan.drug_name} {plan.kind}")
    cal.add("x-wr-timezone", timezone)
    if knowledge_version:
        cal.add("x-medguide-knowledge", knowledge_version)
    first = plan.steps[0].start
    last = plan.steps[-1].end
    dtstamp = stamp or datetime.combine(first, time(0, 0), tzinfo=ZoneInfo("UTC"))
    for step in plan.steps:
        if step.doses_per_day == 0:
            ev = Event()
            ev.add("uid", f"{plan.drug}-{plan.kind}-{step.start.isoformat()}-stop@medguide")
            ev.add("dtstamp", dtstamp)
            ev.add("dtstart", step.start)
            ev.add("dtend", step.start + timedelta(days=1))
            ev.add("summary", f"{plan.drug_name}: taper finished, no more doses")
            ev.add("description", _warnings_text(plan))
            cal.add_component(ev)
            continue
        clock = dose_times(step.doses_per_day, times)
        volume = f" ({step.volume_ml:g} mL)" if step.volume_ml is not None else ""
        day = step.start
        while day <= step.end:
            for n, t in enumerate(clock, start=1):
                start = datetime.combine(day, t, tzinfo=tz)
                ev = Event()
                ev.add("uid", f"{plan.drug}-{plan.kind}-{day.isoformat()}-{n}@medguide")
                ev.add("dtstamp", dtstamp)
                ev.add("dtstart", start)
                ev.add("dtend", start + timedelta(minutes=DOSE_MINUTES))
                ev.add("summary", f"{plan.drug_name} {step.dose:g} {step.unit}{volume}")
                ev.add("description", _description(plan, step.index, step.daily, step.unit))
                ev.add_component(alarm(f"{plan.drug_name} {step.dose:g} {step.unit}{volume}"))
                cal.add_component(ev)
            day += timedelta(days=1)
    # A VTIMEZONE for the patient's zone over the plan's dates, so calendar apps place the
    # doses at the local clock times even across a daylight-saving change.
    cal.add_missing_timezones(
        first_date=first - timedelta(days=1), last_date=last + timedelta(days=2)
    )
    data: Any = cal.to_ical()
    return bytes(data)


def alarm(text: str, minutes_before: int = ALARM_MINUTES_BEFORE) -> Any:
    """A display VALARM: calendar apps show `text` when it is due (a negative lead rings
    after the start, e.g. at 09:00 on an all-day event)."""
    from icalendar import Alarm

    a = Alarm()
    a.add("action", "DISPLAY")
    a.add("description", f"Time for {text}")
    a.add("trigger", timedelta(minutes=-minutes_before))
    return a


def dump_reminders(
    calendar_name: str,
    timezone: str,
    events: list[dict[str, Any]],
    *,
    stamp: datetime,
) -> bytes:
    """A reminder feed: each event dict has uid, summary, description and either `start` (an
    aware datetime: a dose, shown at its local time in `timezone`, with an alarm) or `day` (a
    date: an all-day event such as a refill or a plan step, with an alarm at 09:00)."""
    from datetime import date

    from icalendar import Calendar, Event

    tz = zone(timezone)
    cal = Calendar()
    cal.add("prodid", "-//medguide//dose journal//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", calendar_name)
    cal.add("x-wr-timezone", timezone)
    days: list[date] = []
    for item in events:
        ev = Event()
        ev.add("uid", item["uid"])
        ev.add("dtstamp", stamp)
        ev.add("summary", item["summary"])
        if item.get("description"):
            ev.add("description", item["description"])
        if "start" in item:
            start = item["start"].astimezone(tz)
            ev.add("dtstart", start)
            ev.add("dtend", start + timedelta(minutes=DOSE_MINUTES))
            ev.add_component(alarm(item.get("alarm") or item["summary"]))
            days.append(start.date())
        else:
            day = item["day"]
            ev.add("dtstart", day)
            ev.add("dtend", day + timedelta(days=1))
            ev.add_component(alarm(item.get("alarm") or item["summary"], minutes_before=-9 * 60))
            days.append(day)
        cal.add_component(ev)
    if days:
        cal.add_missing_timezones(
            first_date=min(days) - timedelta(days=1), last_date=max(days) + timedelta(days=2)
        )
    data: Any = cal.to_ical()
    return bytes(data)


def _description(plan: Plan, index: int, daily: float, unit: str) -> str:
    return (
        f"Step {index} of {len(plan.steps)} of the {plan.kind} plan: {daily:g} {unit} a "
        f"day in total. {_warnings_text(plan)}"
    )


def _warnings_text(plan: Plan) -> str:
    if plan.kind == "taper":
        return (
            "Do not stop suddenly or skip ahead; if you feel unwell (fever, confusion, "
            "hallucinations, seizures, rebound stiffness), call your prescriber."
        )
    return "Do not go above this dose; if you feel very drowsy or confused, call your prescriber."
