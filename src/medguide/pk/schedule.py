"""Dose schedules as plain data: when each dose is taken (hours from the start) and how much.

Builders for the usual shapes: a regular regimen, a missed dose, an extra dose, a single
ingestion, and a plan's steps (a titration or a taper). Pure Python; no numpy needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Schedule:
    """Doses at `times_h` (hours from the start, sorted) of `amounts_mg`.

    `period_h` is set when the first period's doses repeat unchanged (a regular regimen), so
    a steady state exists.
    """

    times_h: tuple[float, ...]
    amounts_mg: tuple[float, ...]
    period_h: float | None = None

    def __post_init__(self) -> None:
        if len(self.times_h) != len(self.amounts_mg):
            raise ValueError("each dose needs a time and an amount")
        if any(a < 0 for a in self.amounts_mg):
            raise ValueError("a dose cannot be negative")
        if any(b < a for a, b in zip(self.times_h, self.times_h[1:], strict=False)):
            raise ValueError("dose times must be in order")

    @property
    def end_h(self) -> float:
        return self.times_h[-1] if self.times_h else 0.0

    @property
    def total_mg(self) -> float:
        return float(sum(self.amounts_mg))

    def pattern(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """(offsets, amounts) of the doses in the first period (for the steady state)."""
        if self.period_h is None:
            raise ValueError("the schedule does not repeat")
        first = [(t, a) for t, a in zip(self.times_h, self.amounts_mg, strict=True)]
        first = [(t, a) for t, a in first if t < self.period_h]
        return tuple(t for t, _ in first), tuple(a for _, a in first)


def _clock(doses_per_day: int, clock_h: Sequence[float] | None) -> tuple[float, ...]:
    if doses_per_day < 1 or doses_per_day > 12:
        raise ValueError("doses a day must be between 1 and 12")
    if clock_h is None:
        return tuple(i * 24.0 / doses_per_day for i in range(doses_per_day))
    hours = tuple(sorted(float(h) for h in clock_h))
    if len(hours) != doses_per_day:
        raise ValueError(f"{len(hours)} dose times given for {doses_per_day} doses a day")
    if hours and (hours[0] < 0 or hours[-1] >= 24):
        raise ValueError("dose times must be hours of the day, 0 to 24")
    return hours


def regular(
    dose_mg: float,
    doses_per_day: int,
    days: int,
    clock_h: Sequence[float] | None = None,
) -> Schedule:
    """`dose_mg` `doses_per_day` times a day for `days` days, evenly spaced from hour 0
    unless hours of the day are given (e.g. (8, 14, 20)).

    >>> regular(20, 3, 1).times_h
    (0.0, 8.0, 16.0)
    """
    if days < 1:
        raise ValueError("a schedule needs at least one day")
    hours = _clock(doses_per_day, clock_h)
    times = tuple(d * 24.0 + h for d in range(days) for h in hours)
    return Schedule(times, tuple(float(dose_mg) for _ in times), period_h=24.0)


def single(amount_mg: float, at_h: float = 0.0) -> Schedule:
    """One dose (an ingestion) at `at_h`."""
    return Schedule((float(at_h),), (float(amount_mg),))


def from_steps(
    steps: Sequence[tuple[int, float, int]], clock_h: Sequence[float] | None = None
) -> Schedule:
    """A plan as consecutive steps of (days, dose per administration in mg, doses a day);
    a step with 0 doses a day is a stop (days without doses)."""
    times: list[float] = []
    amounts: list[float] = []
    day = 0
    for days, dose, per_day in steps:
        if days < 0:
            raise ValueError("a step cannot last a negative number of days")
        if per_day > 0:
            hours = _clock(per_day, clock_h if clock_h and len(clock_h) == per_day else None)
            for d in range(day, day + days):
                for h in hours:
                    times.append(d * 24.0 + h)
                    amounts.append(float(dose))
        day += days
    return Schedule(tuple(times), tuple(amounts))


def miss(schedule: Schedule, index: int) -> Schedule:
    """The same schedule with dose number `index` (from 0) not taken."""
    if not 0 <= index < len(schedule.times_h):
        raise ValueError(f"there is no dose number {index}")
    amounts = list(schedule.amounts_mg)
    amounts[index] = 0.0
    return replace(schedule, amounts_mg=tuple(amounts), period_h=None)


def add_dose(schedule: Schedule, at_h: float, amount_mg: float) -> Schedule:
    """The same schedule with an extra dose (a double dose, an extra tablet)."""
    pairs = sorted([*zip(schedule.times_h, schedule.amounts_mg, strict=True), (at_h, amount_mg)])
    return Schedule(
        tuple(float(t) for t, _ in pairs), tuple(float(a) for _, a in pairs), period_h=None
    )
