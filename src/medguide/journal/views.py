"""What the journal shows, as pure functions over what was recorded.

Nothing here reads a clock, a file or a database: each view takes the medications, their
schedules and the recorded events (frozen dataclasses) with `now`, and returns new values.
The clinical thresholds are not written here either: the caller passes the numbers it read
from the drug's knowledge (how many missed doses in a row risk withdrawal, how close two
doses may come before they count as a double), so one rule has one home.

Time: a clock schedule ("08:00, 14:00, 20:00") is wall-clock time in the person's zone, so
it stays at 08:00 across a daylight-saving change and a day of 23 or 25 hours still has three
doses; an interval schedule ("every 8 hours") is a fixed spacing of instants in UTC. Every
instant is an aware datetime; a naive one is refused.
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Literal

EventKind = Literal["taken", "skipped", "late", "extra"]
ScheduleKind = Literal["clock", "interval", "plan", "prn"]
SlotStatus = Literal["taken", "late", "skipped", "missed", "due", "upcoming"]
INTAKE_KINDS: frozenset[str] = frozenset({"taken", "late", "extra"})
ELAPSED: frozenset[str] = frozenset({"taken", "late", "skipped", "missed"})
NOT_TAKEN: frozenset[str] = frozenset({"skipped", "missed"})
FUTURE_SKEW = timedelta(minutes=5)  # a device clock a little ahead is not an error


def default_times(doses_per_day: int) -> tuple[time, ...]:
    """Clock times for n doses a day: the same defaults as the plan calendars."""
    from medguide.interop.ical import dose_times

    return dose_times(doses_per_day)


def _aware(at: datetime, what: str) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{what} must carry a time zone")
    return at.astimezone(UTC)


@dataclass(frozen=True)
class PlanDay:
    """One step of a titration or taper plan: these days, this dose, this many times."""

    start: date
    end: date  # inclusive
    dose: float
    doses_per_day: int
    ongoing: bool = False  # a titration's last step carries on after its end


@dataclass(frozen=True)
class Schedule:
    kind: ScheduleKind
    times: tuple[time, ...] = ()
    amounts: tuple[float, ...] = ()  # one per time; empty: the medication's dose each time
    interval_hours: float | None = None
    anchor: datetime | None = None  # first intake of an interval schedule
    grace: timedelta = timedelta(minutes=60)
    plan: tuple[PlanDay, ...] = ()


@dataclass(frozen=True)
class Med:
    id: str
    drug_id: str
    drug_name: str
    unit: str
    dose: float | None
    started_at: datetime
    schedule: Schedule
    stopped_at: datetime | None = None
    prn: bool = False
    min_interval_hours: float | None = None
    max_per_day: int | None = None


@dataclass(frozen=True)
class DoseEvent:
    id: str
    medication_id: str
    kind: EventKind
    occurred_at: datetime
    amount: float | None = None
    scheduled_for: datetime | None = None
    recorded_by: str | None = None


@dataclass(frozen=True)
class StockEvent:
    medication_id: str
    kind: Literal["count", "refill"]
    quantity: float
    at: datetime
    refills_left: int | None = None


@dataclass(frozen=True)
class Rules:
    """What the drug's knowledge says, read by the caller (never written here)."""

    withdrawal_after_missed: int | None = None  # missed doses in a row that risk withdrawal
    min_gap_hours: float | None = None  # two intakes closer than this are a double
    never_double: bool = True


@dataclass(frozen=True)
class Slot:
    medication_id: str
    due: datetime  # UTC
    amount: float | None


@dataclass(frozen=True)
class SlotState:
    slot: Slot
    status: SlotStatus
    event_ids: tuple[str, ...] = ()

    def as_dict(self, tz: tzinfo) -> dict[str, Any]:
        return {
            "medication": self.slot.medication_id,
            "due": self.slot.due.astimezone(tz).isoformat(),
            "amount": self.slot.amount,
            "status": self.status,
            "events": list(self.event_ids),
        }


@dataclass(frozen=True)
class Warning:
    """Something to act on. `code` is a stable finding or advice code (DESIGN.md)."""

    code: str
    medication_id: str
    at: datetime
    details: Mapping[str, Any] = field(default_factory=dict)
    active: bool = True

    def as_dict(self, tz: tzinfo) -> dict[str, Any]:
        return {
            "code": self.code,
            "medication": self.medication_id,
            "at": self.at.astimezone(tz).isoformat(),
            "active": self.active,
            "details": {
                k: x.astimezone(tz).isoformat() if isinstance(x, datetime) else x
                for k, x in self.details.items()
            },
        }


# --- the expected doses ----------------------------------------------------------------


def _local_instant(day: date, at: time, tz: tzinfo) -> datetime:
    """The instant of a wall-clock time on a local date. A time that does not exist that day
    (the spring-forward gap) falls an hour later; a repeated one (fall-back) is the first."""
    naive = datetime.combine(day, at)
    return naive.replace(tzinfo=tz).astimezone(UTC)


def _plan_step(plan: Sequence[PlanDay], day: date) -> PlanDay | None:
    for step in plan:
        if step.start <= day <= step.end:
            return step
    if plan and plan[-1].ongoing and day > plan[-1].end:
        return plan[-1]
    return None


def expand_slots(med: Med, tz: tzinfo, start: datetime, end: datetime) -> list[Slot]:
    """Every dose the schedule expects with `start` ≤ due < `end`, in time order.

    As-needed medicines expect none. A plan moves its doses step by step by itself: each day
    takes the dose and number of doses of the step it falls in, and a taper ends.
    """
    start, end = _aware(start, "start"), _aware(end, "end")
    lo = max(start, _aware(med.started_at, "started_at"))
    hi = min(end, _aware(med.stopped_at, "stopped_at")) if med.stopped_at else end
    sched = med.schedule
    out: list[Slot] = []
    if lo >= hi or med.prn or sched.kind == "prn":
        return out
    if sched.kind == "interval":
        if not sched.interval_hours or sched.anchor is None:
            return out
        step = timedelta(hours=sched.interval_hours)
        anchor = _aware(sched.anchor, "anchor")
        k = max(0, int((lo - anchor) / step))
        due = anchor + k * step
        amount = sched.amounts[0] if sched.amounts else med.dose
        while due < hi:
            if due >= lo:
                out.append(Slot(med.id, due, amount))
            due += step
        return out
    day = lo.astimezone(tz).date() - timedelta(days=1)
    last = hi.astimezone(tz).date() + timedelta(days=1)
    while day <= last:
        if sched.kind == "plan":
            plan_step = _plan_step(sched.plan, day)
            if plan_step is not None and plan_step.doses_per_day > 0:
                clock = (
                    sched.times
                    if len(sched.times) == plan_step.doses_per_day
                    else default_times(plan_step.doses_per_day)
                )
                for t in clock:
                    due = _local_instant(day, t, tz)
                    if lo <= due < hi:
                        out.append(Slot(med.id, due, plan_step.dose))
        else:
            for i, t in enumerate(sched.times):
                due = _local_instant(day, t, tz)
                if lo <= due < hi:
                    amount = sched.amounts[i] if i < len(sched.amounts) else med.dose
                    out.append(Slot(med.id, due, amount))
        day += timedelta(days=1)
    return out


# --- matching what happened to what was expected ------------------------------------------


@dataclass(frozen=True)
class MedView:
    """One medication's expected doses with what happened to each, and its warnings."""

    med: Med
    slots: tuple[SlotState, ...]
    warnings: tuple[Warning, ...]
    intakes: tuple[DoseEvent, ...]  # every intake, as recorded (doubles included)


def _nearest(dues: Sequence[datetime], at: datetime) -> int | None:
    if not dues:
        return None
    i = bisect.bisect_left(dues, at)
    best = [j for j in (i - 1, i) if 0 <= j < len(dues)]
    return min(best, key=lambda j: abs(dues[j] - at))


def view_medication(
    med: Med,
    events: Iterable[DoseEvent],
    tz: tzinfo,
    start: datetime,
    now: datetime,
    rules: Rules,
    *,
    horizon: timedelta = timedelta(days=2),
) -> MedView:
    """Each expected dose from `start` to `now + horizon` with its status, and the warnings.

    An intake is matched to the slot it names (`scheduled_for`) or else the nearest one. A
    second intake on a slot, an `extra` intake, or two intakes closer together than the
    drug's gap are recorded as they happened and raise `do_not_double`. A slot with no event
    once its grace window has passed is `missed`.
    """
    now = _aware(now, "now")
    # Only what had happened by `now` (a replay at an earlier time sees the journal as it was).
    mine = sorted(
        (e for e in events if e.medication_id == med.id and e.occurred_at <= now + FUTURE_SKEW),
        key=lambda e: e.occurred_at,
    )
    slots = expand_slots(med, tz, start, now + horizon)
    dues = [s.due for s in slots]
    taken_on: dict[int, list[DoseEvent]] = defaultdict(list)
    skipped_on: dict[int, list[DoseEvent]] = defaultdict(list)
    warnings: list[Warning] = []
    intakes = [e for e in mine if e.kind in INTAKE_KINDS]
    for e in mine:
        target = e.scheduled_for or e.occurred_at
        j = _nearest(dues, _aware(target, "event time"))
        if e.kind == "skipped":
            if j is not None:
                skipped_on[j].append(e)
            continue
        if e.kind == "extra" or med.prn or j is None:
            if not med.prn:
                warnings.append(
                    Warning("do_not_double", med.id, e.occurred_at, {"event": e.id, "why": "extra"})
                )
            continue
        if taken_on[j] and rules.never_double:
            warnings.append(
                Warning(
                    "do_not_double",
                    med.id,
                    e.occurred_at,
                    {"event": e.id, "why": "second_dose_for_slot", "slot": dues[j]},
                )
            )
        taken_on[j].append(e)
    # Two intakes too close together, whatever slots they were for (an early dose).
    flagged = {str(w.details.get("event")) for w in warnings}
    gap = rules.min_gap_hours
    if med.prn and med.min_interval_hours:
        gap = med.min_interval_hours
    if gap and rules.never_double:
        for a, b in itertools.pairwise(intakes):
            hours = (b.occurred_at - a.occurred_at).total_seconds() / 3600
            if hours < gap and b.id not in flagged:
                warnings.append(
                    Warning(
                        "do_not_double",
                        med.id,
                        b.occurred_at,
                        {
                            "event": b.id,
                            "why": "too_soon",
                            "hours_since_last": round(hours, 2),
                            "min_hours": gap,
                        },
                    )
                )
                flagged.add(b.id)
    if med.prn and med.max_per_day:
        per_day: dict[date, list[DoseEvent]] = defaultdict(list)
        for e in intakes:
            per_day[e.occurred_at.astimezone(tz).date()].append(e)
        for day, items in sorted(per_day.items()):
            if len(items) > med.max_per_day:
                warnings.append(
                    Warning(
                        "max_doses_per_day_exceeded",
                        med.id,
                        items[med.max_per_day].occurred_at,
                        {"date": day.isoformat(), "count": len(items), "max": med.max_per_day},
                    )
                )
    states: list[SlotState] = []
    for j, s in enumerate(slots):
        ids = tuple(e.id for e in [*taken_on.get(j, []), *skipped_on.get(j, [])])
        status: SlotStatus
        if taken_on.get(j):
            first = taken_on[j][0]
            late = first.kind == "late" or first.occurred_at > s.due + med.schedule.grace
            status = "late" if late else "taken"
        elif skipped_on.get(j):
            status = "skipped"
        elif now > s.due + med.schedule.grace:
            status = "missed"
        elif now >= s.due:
            status = "due"
        else:
            status = "upcoming"
        states.append(SlotState(s, status, ids))
    warnings += _withdrawal(med, states, rules)
    warnings.sort(key=lambda w: w.at)
    # An intake recorded without an amount took the amount its dose was due at (a plan's
    # step, or this intake's amount of the day), else the usual dose.
    expected = {i: s.slot.amount for s in states for i in s.event_ids}
    sized = tuple(
        e
        if e.amount is not None
        else replace(e, amount=expected.get(e.id) if expected.get(e.id) is not None else med.dose)
        for e in intakes
    )
    return MedView(med, tuple(states), tuple(warnings), sized)


def _runs(states: Sequence[SlotState]) -> list[list[SlotState]]:
    """Runs of doses not taken in a row, among the doses already past."""
    runs: list[list[SlotState]] = []
    current: list[SlotState] = []
    for st in states:
        if st.status not in ELAPSED:
            continue
        if st.status in NOT_TAKEN:
            current.append(st)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def consecutive_missed(states: Sequence[SlotState]) -> int:
    """Doses not taken in a row up to now (missed or skipped; 0 if the last one was taken)."""
    n = 0
    for st in reversed([s for s in states if s.status in ELAPSED]):
        if st.status not in NOT_TAKEN:
            break
        n += 1
    return n


def _withdrawal(med: Med, states: Sequence[SlotState], rules: Rules) -> list[Warning]:
    threshold = rules.withdrawal_after_missed
    if not threshold:
        return []
    elapsed = [s for s in states if s.status in ELAPSED]
    out = []
    for run in _runs(states):
        if len(run) >= threshold:
            active = bool(elapsed) and run[-1] is elapsed[-1]
            out.append(
                Warning(
                    "withdrawal_risk",
                    med.id,
                    run[-1].slot.due,
                    {
                        "consecutive_missed": len(run),
                        "threshold": threshold,
                        "from": run[0].slot.due,
                        "to": run[-1].slot.due,
                    },
                    active=active,
                )
            )
    return out


# --- summaries ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Adherence:
    period: date  # the day, or the Monday of the week
    taken: int
    expected: int

    @property
    def ratio(self) -> float | None:
        return self.taken / self.expected if self.expected else None

    def as_dict(self) -> dict[str, Any]:
        ratio = self.ratio
        return {
            "period": self.period.isoformat(),
            "taken": self.taken,
            "expected": self.expected,
            "adherence": round(ratio, 4) if ratio is not None else None,
        }


def adherence(
    states: Iterable[SlotState], tz: tzinfo, by: Literal["day", "week"] = "day"
) -> list[Adherence]:
    """Doses taken (on time or late) out of doses expected, by local day or ISO week."""
    taken: dict[date, int] = defaultdict(int)
    expected: dict[date, int] = defaultdict(int)
    for st in states:
        if st.status not in ELAPSED:
            continue
        day = st.slot.due.astimezone(tz).date()
        key = day - timedelta(days=day.weekday()) if by == "week" else day
        expected[key] += 1
        if st.status in ("taken", "late"):
            taken[key] += 1
    return [Adherence(k, taken[k], expected[k]) for k in sorted(expected)]


def due_next(view: MedView, now: datetime) -> SlotState | None:
    """The first dose not yet taken that is due now or later."""
    for st in view.slots:
        if st.status in ("due", "upcoming"):
            return st
    return None


def due_now(view: MedView, now: datetime, window: timedelta) -> list[SlotState]:
    """Doses due from the grace window before now up to `window` ahead, not yet taken."""
    now = _aware(now, "now")
    return [
        st for st in view.slots if st.status in ("due", "upcoming") and st.slot.due <= now + window
    ]


def daily_totals(
    intakes: Iterable[DoseEvent], tz: tzinfo, default: float | None
) -> dict[date, float]:
    """The amount taken on each local day (the medication's unit)."""
    out: dict[date, float] = defaultdict(float)
    for e in intakes:
        amount = e.amount if e.amount is not None else default
        if amount is not None:
            out[e.occurred_at.astimezone(tz).date()] += amount
    return dict(out)


@dataclass(frozen=True)
class Stock:
    on_hand: float | None
    daily_use: float | None
    days_left: float | None
    runs_out: date | None
    refill_by: date | None
    refills_left: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "on_hand": self.on_hand,
            "daily_use": self.daily_use,
            "days_left": round(self.days_left, 1) if self.days_left is not None else None,
            "runs_out": self.runs_out.isoformat() if self.runs_out else None,
            "refill_by": self.refill_by.isoformat() if self.refill_by else None,
            "refills_left": self.refills_left,
        }


REFILL_LEAD_DAYS = 3  # ask for a refill this many days before the last dose (a judgment call)


def stock_left(
    med: Med,
    stock: Iterable[StockEvent],
    intakes: Iterable[DoseEvent],
    expected_daily: float | None,
    tz: tzinfo,
    now: datetime,
    *,
    used_before: float = 0.0,
) -> Stock:
    """On hand now = the last count, plus refills since, minus what was taken since.

    `intakes` may be only the recent ones; `used_before` is then the amount taken between
    the count and the first of them (summed by the caller)."""
    now = _aware(now, "now")
    mine = sorted((s for s in stock if s.medication_id == med.id), key=lambda s: s.at)
    counts = [s for s in mine if s.kind == "count" and s.at <= now]
    if not counts:
        return Stock(None, expected_daily, None, None, None, None)
    base = counts[-1]
    on_hand = base.quantity + sum(s.quantity for s in mine if s.kind == "refill" and s.at > base.at)
    refills = next((s.refills_left for s in reversed(mine) if s.refills_left is not None), None)
    on_hand -= used_before
    for e in intakes:
        if e.medication_id == med.id and base.at < e.occurred_at <= now:
            amount = e.amount if e.amount is not None else med.dose
            on_hand -= amount or 0.0
    on_hand = max(on_hand, 0.0)
    if not expected_daily:
        return Stock(on_hand, expected_daily, None, None, None, refills)
    days = on_hand / expected_daily
    today = now.astimezone(tz).date()
    runs_out = today + timedelta(days=int(days))
    return Stock(
        on_hand,
        expected_daily,
        days,
        runs_out,
        runs_out - timedelta(days=REFILL_LEAD_DAYS),
        refills,
    )


def expected_daily_amount(
    med: Med, tz: tzinfo, now: datetime, intakes: Sequence[DoseEvent]
) -> float | None:
    """The amount the schedule uses a day over the next week; for as-needed medicines, the
    average of the last 14 days."""
    now = _aware(now, "now")
    if med.prn or med.schedule.kind == "prn":
        since = now - timedelta(days=14)
        used = sum(
            (e.amount if e.amount is not None else med.dose or 0.0)
            for e in intakes
            if e.medication_id == med.id and e.occurred_at > since
        )
        return used / 14 if used else None
    week = expand_slots(med, tz, now, now + timedelta(days=7))
    total = sum(s.amount or 0.0 for s in week)
    return total / 7 if total else None
