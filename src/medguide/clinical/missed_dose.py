"""What to do about a missed dose: take it now or skip it, and never double.

The rule is per-drug knowledge (`Drug.missed_dose`): skip the missed dose when the next one is
due within `skip_if_next_within_hours`, otherwise take it now; never take two doses together.
Several doses missed in a row raise a withdrawal risk for drugs that have one.

Times: clock times ("07:00") are wall-clock times in the patient's time zone; "every 8 hours"
is an interval added in UTC. All differences are computed in UTC with `zoneinfo`, so a dose
after midnight, a time zone and a daylight-saving day (23 or 25 hours long) come out right.
A wall-clock time that does not exist on a spring-forward day moves forward by the gap, as
clocks do; an ambiguous one on a fall-back day is read as its first occurrence.

>>> from datetime import datetime
>>> from medguide.knowledge.models.drug import MissedDose
>>> rule = MissedDose(skip_if_next_within_hours=2, text="t", sources=("S47",))
>>> now = datetime.fromisoformat("2026-03-10T08:15:00+00:00")
>>> a = advise_missed_dose(rule, missed="07:00", next_due="15:00", now=now, tz="UTC")
>>> a.action, a.advice
('take_now', ('take_missed_dose_now', 'do_not_double'))
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from medguide.knowledge.models.drug import MissedDose

Action = Literal["take_now", "skip"]
When = str | time | datetime

_CLOCK = re.compile(r"^\s*(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?\s*$", re.IGNORECASE)
_MAX_LOOKBACK = timedelta(days=7)


class MissedDoseError(ValueError):
    """An impossible or unreadable time; the message says what is wrong, in plain words."""


@dataclass(frozen=True)
class MissedDoseAdvice:
    drug: str
    action: Action
    advice: tuple[str, ...]
    message: str
    missed_at: datetime
    next_at: datetime
    now: datetime
    hours_until_next: float
    hours_since_missed: float
    threshold_hours: float
    consecutive_missed: int
    withdrawal_risk: bool
    next_overdue: bool
    judgment: bool
    sources: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())
    # When the next dose has passed too: the latest dose now due, whether to take it now, and
    # the regular dose after it.
    pending_at: datetime | None = None
    take_pending_now: bool = False
    following_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "drug": self.drug,
            "action": self.action,
            "advice": list(self.advice),
            "message": self.message,
            "missed_at": self.missed_at.isoformat(),
            "next_at": self.next_at.isoformat(),
            "now": self.now.isoformat(),
            "hours_until_next": round(self.hours_until_next, 2),
            "hours_since_missed": round(self.hours_since_missed, 2),
            "threshold_hours": self.threshold_hours,
            "consecutive_missed": self.consecutive_missed,
            "withdrawal_risk": self.withdrawal_risk,
            "next_overdue": self.next_overdue,
            "judgment": self.judgment,
            "notes": list(self.notes),
            "sources": list(self.sources),
            "pending_at": self.pending_at.isoformat() if self.pending_at else None,
            "take_pending_now": self.take_pending_now,
            "following_at": self.following_at.isoformat() if self.following_at else None,
        }


def parse_zone(name: str | tzinfo | None, fallback: tzinfo | None = None) -> tzinfo:
    """A time zone from an IANA name ("Europe/London"); `fallback` (or UTC) when None."""
    if name is None:
        return fallback or UTC
    if isinstance(name, tzinfo):
        return name
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise MissedDoseError(
            f"unknown time zone {name!r}; use a name such as 'Europe/London'"
        ) from None


def parse_clock(text: str, what: str = "time") -> time:
    """Read "07:00", "7:30", "7am", "7.30 pm", "noon", "midnight"; refuse impossible times."""
    word = text.strip().lower()
    if word == "noon":
        return time(12, 0)
    if word == "midnight":
        return time(0, 0)
    m = _CLOCK.match(text)
    if not m:
        raise MissedDoseError(
            f"cannot read the {what} {text!r}; write a clock time such as 07:00 or 7:30pm"
        )
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    suffix = (m.group(3) or "").replace(".", "").lower()
    if suffix:
        if not 1 <= hour <= 12:
            raise MissedDoseError(f"the {what} {text!r} does not exist (hour must be 1-12)")
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59:
        raise MissedDoseError(f"the {what} {text!r} does not exist on a 24-hour clock")
    return time(hour, minute)


def _read(value: When, what: str) -> time | datetime:
    if isinstance(value, datetime | time):
        return value
    text = value.strip()
    if re.match(r"^\d{4}-\d{2}-\d{2}", text):
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            raise MissedDoseError(f"the {what} {text!r} is not a real date and time") from None
    return parse_clock(text, what)


def wall_clock(day: date, at: time, zone: tzinfo) -> datetime:
    """The moment the clocks in `zone` show `at` on `day`, as an aware UTC datetime.

    In a spring-forward gap the time moves forward by the gap; in a fall-back overlap the
    first occurrence is taken.
    """
    local = datetime.combine(day, at.replace(tzinfo=None), tzinfo=zone).replace(fold=0)
    return local.astimezone(UTC)


def _aware(value: datetime, zone: tzinfo) -> datetime:
    if value.tzinfo is None:
        return wall_clock(value.date(), value.time(), zone)
    return value.astimezone(UTC)


def _latest_at_or_before(at: time, limit: datetime, zone: tzinfo) -> datetime:
    """The latest moment ≤ `limit` at which the clocks in `zone` show `at`."""
    day = limit.astimezone(zone).date()
    for back in range(3):
        moment = wall_clock(day - timedelta(days=back), at, zone)
        if moment <= limit:
            return moment
    raise MissedDoseError("could not place the missed time before now")  # pragma: no cover


def _first_after(at: time, start: datetime, zone: tzinfo) -> datetime:
    """The first moment > `start` at which the clocks in `zone` show `at`."""
    day = start.astimezone(zone).date()
    for ahead in range(3):
        moment = wall_clock(day + timedelta(days=ahead), at, zone)
        if moment > start:
            return moment
    raise MissedDoseError("could not place the next dose after the missed one")  # pragma: no cover


def _clock_text(moment: datetime, zone: tzinfo, now: datetime) -> str:
    local = moment.astimezone(zone)
    days = (local.date() - now.astimezone(zone).date()).days
    day = {0: "", -1: "yesterday ", 1: "tomorrow "}.get(days, f"{local.date().isoformat()} ")
    return f"{day}{local.strftime('%H:%M')}"


def advise_missed_dose(
    rule: MissedDose,
    *,
    missed: When,
    now: datetime,
    next_due: When | None = None,
    interval_hours: float | None = None,
    tz: str | tzinfo | None = None,
    consecutive_missed: int = 1,
    drug: str = "",
) -> MissedDoseAdvice:
    """Advice for one missed dose. Raises MissedDoseError for impossible times.

    `missed` and `next_due` are clock times (wall-clock in `tz`) or datetimes (naive ones are
    read in `tz`); without `next_due`, the next dose is `interval_hours` after the missed one.
    `tz` defaults to the zone of `now`. The advice always includes `do_not_double`.
    """
    if consecutive_missed < 1:
        raise MissedDoseError("the number of missed doses must be 1 or more")
    if now.tzinfo is None and tz is None:
        raise MissedDoseError("the current time needs a time zone")
    zone = parse_zone(tz, now.tzinfo)
    now_utc = _aware(now, zone)

    m = _read(missed, "missed dose time")
    if isinstance(m, datetime):
        missed_utc = _aware(m, zone)
        if missed_utc > now_utc:
            raise MissedDoseError(
                f"the missed dose time {m.isoformat()} is later than now "
                f"({now_utc.astimezone(zone).isoformat()})"
            )
        if now_utc - missed_utc > _MAX_LOOKBACK:
            raise MissedDoseError(
                "the missed dose is more than 7 days ago; ask your prescriber how to restart"
            )
    else:
        missed_utc = _latest_at_or_before(m, now_utc, zone)
    missed_earlier_day = missed_utc.astimezone(zone).date() < now_utc.astimezone(zone).date()

    if next_due is not None:
        n = _read(next_due, "next dose time")
        if isinstance(n, datetime):
            next_utc = _aware(n, zone)
            if next_utc <= missed_utc:
                raise MissedDoseError(
                    f"the next dose ({n.isoformat()}) must come after the missed one "
                    f"({missed_utc.astimezone(zone).isoformat()})"
                )
        else:
            next_utc = _first_after(n, missed_utc, zone)
    elif interval_hours is not None:
        if not 0 < interval_hours <= 72:
            raise MissedDoseError("the dosing interval must be more than 0 and at most 72 hours")
        next_utc = missed_utc + timedelta(hours=interval_hours)
    else:
        raise MissedDoseError("give the time of the next dose or the hours between doses")

    gap_s = (next_utc - missed_utc).total_seconds()
    if gap_s > 72 * 3600:
        raise MissedDoseError("the next dose is more than 72 hours after the missed one")

    until_s = (next_utc - now_utc).total_seconds()
    if until_s <= 0 and not isinstance(m, datetime) and missed_earlier_day:
        # A clock time later than now was read as yesterday's dose, and the next dose after it
        # has also passed: most likely today's dose is not due yet. Ask rather than guess.
        raise MissedDoseError(
            f"the missed time {_clock_text(missed_utc, zone, now_utc)} and the next dose "
            f"{_clock_text(next_utc, zone, now_utc)} are both before now "
            f"({_clock_text(now_utc, zone, now_utc)}); if the dose is not due yet there is "
            "nothing to do, otherwise give dates or the number of doses missed"
        )
    since_s = (now_utc - missed_utc).total_seconds()
    threshold_s = rule.skip_if_next_within_hours * 3600
    next_overdue = until_s <= 0
    missed_txt = _clock_text(missed_utc, zone, now_utc)
    next_txt = _clock_text(next_utc, zone, now_utc)
    now_txt = _clock_text(now_utc, zone, now_utc)
    notes: list[str] = []

    possibly_more = 0  # doses after the missed one that have also come due
    pending: datetime | None = None
    following: datetime | None = None
    take_pending = False
    if next_overdue:
        # The next dose has passed too. Find the latest dose now due and the one after it
        # (every `interval_hours`, or, for clock times, the same gap as between the two given
        # doses), and apply the same rule to it: never two doses close together.
        step = timedelta(seconds=gap_s)
        if next_due is not None and interval_hours is None:
            notes.append(
                f"Assumed your doses are {gap_s / 3600:g} hours apart, as the two times given are."
            )
        pending = next_utc
        following = next_utc + step
        possibly_more = 1
        while following <= now_utc and possibly_more < 72:
            pending, following = following, following + step
            possibly_more += 1
        pending_txt = _clock_text(pending, zone, now_utc)
        following_txt = _clock_text(following, zone, now_utc)
        action: Action = "skip"
        if (following - now_utc).total_seconds() < threshold_s:
            message = (
                f"Leave out the missed dose (due {missed_txt}) and, if you have not taken it, "
                f"the dose due {pending_txt} too: your next dose, at {following_txt}, is less "
                f"than {rule.skip_if_next_within_hours:g} hours away. Take that one as usual."
            )
        else:
            take_pending = True
            message = (
                f"Leave out the missed dose (due {missed_txt}). The dose due {pending_txt} has "
                "already come due: if you have not taken it, take only that one now, then the "
                f"next at {following_txt} as usual."
            )
    elif until_s < threshold_s:
        action = "skip"
        message = (
            f"Leave out the missed dose (due {missed_txt}): your next dose, at {next_txt}, is "
            f"less than {rule.skip_if_next_within_hours:g} hours away. Take that one as usual."
        )
    else:
        action = "take_now"
        message = (
            f"Take the missed dose (due {missed_txt}) now, at {now_txt}. Take the next one at "
            f"{next_txt} as usual."
        )
    message += " Do not take two doses together or an extra dose to make up for it."
    advice = [
        "take_missed_dose_now" if action == "take_now" else "skip_missed_dose",
        "do_not_double",
    ]

    threshold = rule.consecutive_missed_withdrawal_risk
    withdrawal_risk = threshold is not None and consecutive_missed >= threshold
    if (
        not withdrawal_risk
        and threshold is not None
        and consecutive_missed + possibly_more >= threshold
    ):
        # Later doses have come due as well; if they were missed too, that is a run of them.
        advice += ["do_not_take_all_missed_doses", "contact_prescriber"]
        message += (
            f" If you also missed the dose{'s' if possibly_more > 1 else ''} since then, that is "
            f"{consecutive_missed + possibly_more} doses in a row: do not take them all at "
            "once, and call your prescriber today, because stopping suddenly can cause "
            "withdrawal."
        )
    if withdrawal_risk:
        advice += ["do_not_take_all_missed_doses", "contact_prescriber"]
        message += (
            f" You have missed {consecutive_missed} doses in a row: do not take them all at "
            "once, and call your prescriber today, because stopping suddenly can cause "
            "withdrawal."
        )
    if rule.judgment:
        notes.append(
            f"The {rule.skip_if_next_within_hours:g}-hour cut-off is a judgment call: "
            + (rule.note or "sources differ").strip()
        )
    return MissedDoseAdvice(
        drug=drug,
        action=action,
        advice=tuple(advice),
        message=message,
        missed_at=missed_utc.astimezone(zone),
        next_at=next_utc.astimezone(zone),
        now=now_utc.astimezone(zone),
        hours_until_next=until_s / 3600,
        hours_since_missed=since_s / 3600,
        threshold_hours=rule.skip_if_next_within_hours,
        consecutive_missed=consecutive_missed,
        withdrawal_risk=withdrawal_risk,
        next_overdue=next_overdue,
        judgment=rule.judgment,
        sources=tuple(rule.sources),
        notes=tuple(notes),
        pending_at=pending.astimezone(zone) if pending else None,
        take_pending_now=take_pending,
        following_at=following.astimezone(zone) if following else None,
    )
