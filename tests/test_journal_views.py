"""The journal's derived views: pure functions over events (no database here)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from medguide.journal import views as v

NY = ZoneInfo("America/New_York")
RULES = v.Rules(withdrawal_after_missed=2, min_gap_hours=2, never_double=True)


def tid(start: datetime, **kw: object) -> v.Med:
    sched = v.Schedule("clock", (time(8), time(14), time(20)))
    return v.Med("m1", "baclofen", "baclofen", "mg", 10.0, start, sched, **kw)  # type: ignore[arg-type]


def taken(i: int, at: datetime, kind: v.EventKind = "taken", **kw: object) -> v.DoseEvent:
    return v.DoseEvent(f"e{i}", "m1", kind, at, **kw)  # type: ignore[arg-type]


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=NY)


def week(skip: set[tuple[int, int]]) -> list[v.DoseEvent]:
    out = []
    for d in range(23, 30):
        for h in (8, 14, 20):
            if (d, h) not in skip:
                out.append(taken(len(out), at(d, h, 5)))
    return out


def test_a_week_with_two_consecutive_misses() -> None:
    med = tid(at(23, 7))
    view = v.view_medication(med, week({(28, 14), (28, 20)}), NY, at(23, 0), at(30, 7), RULES)
    past = [s for s in view.slots if s.status in v.ELAPSED]
    assert len(past) == 21
    assert [s.slot.due for s in past if s.status == "missed"] == [at(28, 14), at(28, 20)]
    days = v.adherence(view.slots, NY, "day")
    assert [(a.taken, a.expected) for a in days][5] == (1, 3)
    wk = v.adherence(view.slots, NY, "week")
    assert [(a.period, a.taken, a.expected) for a in wk] == [(date(2026, 11, 23), 19, 21)]
    risk = [w for w in view.warnings if w.code == "withdrawal_risk"]
    assert len(risk) == 1 and not risk[0].active  # doses were taken again afterwards
    assert v.consecutive_missed(view.slots) == 0


def test_withdrawal_risk_is_active_while_the_misses_go_on() -> None:
    med = tid(at(23, 7))
    view = v.view_medication(med, week({(29, 14), (29, 20)}), NY, at(23, 0), at(29, 22), RULES)
    assert v.consecutive_missed(view.slots) == 2
    risk = [w for w in view.warnings if w.code == "withdrawal_risk"]
    assert risk and risk[0].active and risk[0].details["consecutive_missed"] == 2


def test_one_miss_is_below_the_knowledge_threshold() -> None:
    view = v.view_medication(tid(at(23, 7)), week({(28, 14)}), NY, at(23, 0), at(30, 7), RULES)
    assert not [w for w in view.warnings if w.code == "withdrawal_risk"]


def test_grace_window_before_a_dose_is_missed() -> None:
    med = tid(at(23, 7))
    assert v.view_medication(med, [], NY, at(23, 0), at(23, 8, 59), RULES).slots[0].status == "due"
    assert (
        v.view_medication(med, [], NY, at(23, 0), at(23, 9, 1), RULES).slots[0].status == "missed"
    )
    late = [taken(0, at(23, 10), "late")]
    assert v.view_medication(med, late, NY, at(23, 0), at(23, 11), RULES).slots[0].status == "late"


def test_double_and_early_doses_warn_and_are_kept() -> None:
    med = tid(at(23, 7))
    events = [taken(0, at(23, 8)), taken(1, at(23, 8, 30)), taken(2, at(23, 13, 30)),
              taken(3, at(23, 15), "extra")]  # fmt: skip
    view = v.view_medication(med, events, NY, at(23, 0), at(23, 16), RULES)
    why = {
        str(w.details["event"]): w.details["why"]
        for w in view.warnings
        if w.code == "do_not_double"
    }
    assert why == {"e1": "second_dose_for_slot", "e3": "extra"}
    assert len(view.intakes) == 4  # recorded as it happened
    # a dose less than the drug's gap after the previous one: too soon
    early = [taken(0, at(23, 10, 30)), taken(1, at(23, 12, 0))]  # for 08:00, then 14:00
    view = v.view_medication(med, early, NY, at(23, 0), at(23, 16), RULES)
    assert [w.details["why"] for w in view.warnings] == ["too_soon"]


def test_dst_days_keep_wall_clock_times() -> None:
    # 2026-11-01: New York falls back (a 25-hour day); 2026-03-08 springs forward (23 hours).
    med = tid(datetime(2026, 1, 1, tzinfo=UTC))
    for day in (date(2026, 11, 1), date(2026, 3, 8)):
        lo = datetime.combine(day, time(0), tzinfo=NY)
        slots = v.expand_slots(med, NY, lo, lo + timedelta(days=1))
        assert [s.due.astimezone(NY).time() for s in slots] == [time(8), time(14), time(20)]


def test_interval_schedule_is_fixed_in_utc_across_dst() -> None:
    anchor = datetime(2026, 10, 31, 22, 0, tzinfo=NY)
    sched = v.Schedule("interval", interval_hours=8, anchor=anchor)
    med = v.Med("m1", "baclofen", "baclofen", "mg", 5.0, anchor, sched)
    slots = v.expand_slots(med, NY, anchor, anchor + timedelta(days=2))
    gaps = {b.due - a.due for a, b in itertools.pairwise(slots)}
    assert gaps == {timedelta(hours=8)} and len(slots) == 7  # 49 hours: the 25-hour day
    # wall-clock times shift by an hour after the change, as an interval should
    assert slots[3].due.astimezone(NY).hour == 21


def test_different_amounts_per_intake_and_daily_totals() -> None:
    sched = v.Schedule("clock", (time(8), time(20)), (5.0, 10.0))
    med = v.Med("m1", "baclofen", "baclofen", "mg", None, at(23, 0), sched)
    slots = v.expand_slots(med, NY, at(23, 0), at(24, 0))
    assert [s.amount for s in slots] == [5.0, 10.0]
    totals = v.daily_totals(
        [taken(0, at(23, 8), amount=5.0), taken(1, at(23, 20), amount=10.0)], NY, None
    )
    assert totals == {date(2026, 11, 23): 15.0}


def test_prn_minimum_interval_and_daily_cap() -> None:
    sched = v.Schedule("prn")
    med = v.Med("m1", "baclofen", "baclofen", "mg", 5.0, at(23, 0), sched, prn=True,
                min_interval_hours=6, max_per_day=2)  # fmt: skip
    assert v.expand_slots(med, NY, at(23, 0), at(25, 0)) == []
    events = [taken(0, at(23, 8)), taken(1, at(23, 11)), taken(2, at(23, 18))]
    view = v.view_medication(med, events, NY, at(23, 0), at(23, 19), RULES)
    codes = sorted(w.code for w in view.warnings)
    assert codes == ["do_not_double", "max_doses_per_day_exceeded"]


def test_plan_moves_doses_step_by_step() -> None:
    plan = (
        v.PlanDay(date(2026, 11, 23), date(2026, 11, 25), 5.0, 3),
        v.PlanDay(date(2026, 11, 26), date(2026, 11, 28), 5.0, 2),
        v.PlanDay(date(2026, 11, 29), date(2026, 11, 29), 0.0, 0),
    )
    med = v.Med("m1", "baclofen", "baclofen", "mg", None, at(23, 0), v.Schedule("plan", plan=plan))
    slots = v.expand_slots(med, NY, at(23, 0), at(30, 23))
    per_day: dict[date, int] = {}
    for s in slots:
        per_day[s.due.astimezone(NY).date()] = per_day.get(s.due.astimezone(NY).date(), 0) + 1
    assert per_day == {date(2026, 11, d): (3 if d < 26 else 2) for d in range(23, 29)}


def test_stock_days_left_and_refill_date() -> None:
    med = tid(at(23, 7))
    stock = [v.StockEvent("m1", "count", 300.0, at(23, 7), refills_left=2)]
    events = week(set())[:6]  # two days of 3 x 10 mg
    s = v.stock_left(med, stock, events, 30.0, NY, at(25, 7))
    assert s.on_hand == 240.0 and s.days_left == 8.0
    assert s.runs_out == date(2026, 12, 3) and s.refill_by == date(2026, 11, 30)
    assert s.refills_left == 2


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        v.expand_slots(tid(at(23, 7)), NY, datetime(2026, 11, 23), at(24, 0))


def test_an_intake_without_amount_takes_its_doses_amount() -> None:
    plan = (v.PlanDay(date(2026, 11, 23), date(2026, 11, 30), 7.5, 2),)
    med = v.Med("m1", "baclofen", "baclofen", "mg", None, at(23, 0), v.Schedule("plan", plan=plan))
    view = v.view_medication(med, [taken(0, at(23, 8, 5))], NY, at(23, 0), at(23, 12), RULES)
    assert [e.amount for e in view.intakes] == [7.5]
    sched = v.Schedule("clock", (time(8), time(20)), (5.0, 10.0))
    med = v.Med("m1", "baclofen", "baclofen", "mg", None, at(23, 0), sched)
    events = [taken(0, at(23, 8)), taken(1, at(23, 20, 10))]
    view = v.view_medication(med, events, NY, at(23, 0), at(23, 21), RULES)
    assert v.daily_totals(view.intakes, NY, None) == {date(2026, 11, 23): 15.0}
