"""What the model shows people: the level over time with its population band, the steady
state, the time to reach it, and how much higher it sits with weaker kidneys; the expected
course after an overdose; how the level falls across a taper.

Every result is an illustration from published averages and their spread, never a
prediction for one person; each says so (`CAVEAT`) and carries the sources of the figures it
used. Pure functions: parameters in, frozen dataclasses out (`as_dict()` for JSON).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from medguide.pk.model import (
    FloatArray,
    Population,
    accumulation_ratio,
    half_life,
    renal_factor,
    sample_population,
    simulate_levels,
    steady_state_levels,
    time_to_steady_state,
)
from medguide.pk.params import PkParameters
from medguide.pk.schedule import Schedule, from_steps, single
from medguide.pk.steady import CAVEAT

__all__ = [
    "CAVEAT",
    "Curves",
    "OverdoseCourse",
    "PkSummary",
    "PlanLevel",
    "compute_level_summary",
    "compute_overdose_course",
    "compute_plan_level",
]

NG_PER_ML: Final = 1000.0  # mg/L to ng/mL
BAND: Final = (0.05, 0.95)  # the population band: 5th to 95th centile
MODEL: Final = "one-compartment oral model, first-order absorption, closed-form superposition"
_CORE = (
    "oral_clearance",
    "oral_volume",
    "absorption_rate_constant",
    "nonrenal_fraction_of_clearance",
    "renal_reference_crcl",
    "half_life",
)


def _r(x: float, nd: int = 1) -> float:
    return round(float(x), nd)


@dataclass(frozen=True)
class Curves:
    """Level over time in ng/mL: the typical person's line, the population band and, when
    the kidneys are reduced, the typical line with normal kidneys."""

    times_h: tuple[float, ...]
    person: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    normal: tuple[float, ...] | None
    window: tuple[float, float] | None
    doses_h: tuple[float, ...]
    dialysis_h: tuple[tuple[float, float], ...]
    title: str
    person_label: str
    since: str = "the first dose"
    now_h: float | None = None

    def as_dict(self, every: int = 1) -> dict[str, Any]:
        def pick(xs: Sequence[float]) -> list[float]:
            return [_r(x) for x in xs[::every]]

        return {
            "unit": "ng/mL",
            "times_h": [_r(t, 2) for t in self.times_h[::every]],
            "typical": pick(self.person),
            "band_low": pick(self.low),
            "band_high": pick(self.high),
            "normal_kidneys": pick(self.normal) if self.normal is not None else None,
            "band": f"{round(BAND[0] * 100)}th to {round(BAND[1] * 100)}th centile",
        }


def _population(params: PkParameters, subjects: int, seed: int) -> Population:
    return sample_population(
        params.cl,
        params.v,
        params.ka,
        cv_cl=params.cv("oral_clearance"),
        cv_v=params.cv("oral_volume"),
        cv_ka=params.cv("absorption_rate_constant"),
        n=subjects,
        seed=seed,
    )


def _crcl(params: PkParameters, crcl: float | None, on_dialysis: bool) -> float:
    if crcl is not None:
        if crcl < 0:
            raise ValueError("creatinine clearance cannot be negative")
        return float(crcl)
    if on_dialysis:
        return params.value("dialysis_residual_crcl", 5.0) or 5.0
    return params.reference_crcl


def _k_dialysis(params: PkParameters, v: FloatArray | float) -> FloatArray | float:
    """Extra elimination rate during a session: dialysis clears plasma (a true clearance),
    while the model's volume is apparent (V/F), hence CL_HD / (F V/F). With the cited
    figures this gives about 0.14 per hour, close to the 0.15 per hour measured (S29)."""
    cl_hd = params.dialysis_clearance
    if cl_hd is None:
        return 0.0
    return cl_hd / (params.bioavailability * v)


def _sessions(
    params: PkParameters, starts_h: Sequence[float], hours: float | None
) -> tuple[tuple[float, float], ...]:
    if starts_h and params.dialysis_clearance is None:
        raise ValueError(f"no dialysis clearance is recorded for {params.drug_name}")
    length = hours if hours is not None else (params.value("dialysis_session_hours", 4.0) or 4.0)
    if length <= 0 or length > 24:
        raise ValueError("a dialysis session lasts between 0 and 24 hours")
    return tuple((float(s), float(s) + length) for s in sorted(starts_h))


def _band(levels: FloatArray) -> tuple[FloatArray, FloatArray]:
    # simulate_levels returns (subjects, times) in column order, so `.T` is (times, subjects)
    # with each time's subjects contiguous: the centiles are taken along the fast axis.
    q = np.quantile(levels.T, BAND, axis=1)
    return q[0], q[1]


def _tuple(xs: FloatArray) -> tuple[float, ...]:
    return tuple(float(x) for x in xs)


def _grid(end_h: float, step_h: float) -> FloatArray:
    n = int(np.ceil(end_h / step_h)) + 1
    return np.arange(n, dtype=np.float64) * step_h


@dataclass(frozen=True)
class PkSummary:
    """The level of a regimen for a person's kidney function, against normal kidneys."""

    drug: str
    drug_name: str
    crcl_ml_min: float
    crcl_assumed: bool
    renal_factor: float
    clearance_l_h: float
    half_life_h: float
    half_life_normal_h: float
    reported_half_life_h: tuple[float, float] | None
    daily_mg: float | None
    steady_state: dict[str, float] | None
    steady_state_normal: dict[str, float] | None
    time_to_steady_state_h: float
    accumulation_ratio: float | None
    fold_vs_normal_kidneys: float
    window: tuple[float, float] | None
    dialysis_h: tuple[tuple[float, float], ...]
    subjects: int
    curves: Curves
    sources: tuple[str, ...]
    judgments: tuple[str, ...]

    def as_dict(self, with_curves: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "drug": self.drug,
            "model": MODEL,
            "crcl_ml_min": _r(self.crcl_ml_min),
            "crcl_assumed": self.crcl_assumed,
            "clearance_fraction_of_normal": round(self.renal_factor, 3),
            "clearance_l_h": round(self.clearance_l_h, 2),
            "half_life_h": _r(self.half_life_h),
            "half_life_normal_kidneys_h": _r(self.half_life_normal_h),
            "reported_half_life_h": list(self.reported_half_life_h)
            if self.reported_half_life_h
            else None,
            "daily_mg": self.daily_mg,
            "steady_state": self.steady_state,
            "steady_state_normal_kidneys": self.steady_state_normal,
            "time_to_steady_state_h": _r(self.time_to_steady_state_h),
            "accumulation_ratio": round(self.accumulation_ratio, 2)
            if self.accumulation_ratio is not None
            else None,
            "fold_vs_normal_kidneys": round(self.fold_vs_normal_kidneys, 2),
            "window_ng_ml": list(self.window) if self.window else None,
            "dialysis_h": [list(w) for w in self.dialysis_h],
            "subjects": self.subjects,
            "caveat": CAVEAT,
            "sources": list(self.sources),
            "judgments": list(self.judgments),
        }
        if with_curves:
            out["curves"] = self.curves.as_dict(every=2)
        return out


def _ss_figures(levels: FloatArray, typical: float, mean: FloatArray) -> dict[str, float]:
    """Typical steady-state average, trough, peak (ng/mL) and the band of the average."""
    lo, hi = np.quantile(mean, BAND)
    return {
        "average": _r(typical),
        "trough": _r(float(levels[0].min())),
        "peak": _r(float(levels[0].max())),
        "average_band_low": _r(float(lo)),
        "average_band_high": _r(float(hi)),
    }


def compute_level_summary(
    params: PkParameters,
    schedule: Schedule,
    crcl_ml_min: float | None,
    *,
    on_dialysis: bool = False,
    dialysis_starts_h: Sequence[float] = (),
    dialysis_hours: float | None = None,
    subjects: int = 1000,
    seed: int = 0,
    step_h: float = 0.5,
    tail_h: float = 24.0,
) -> PkSummary:
    """Level over the schedule (and `tail_h` after it) for a creatinine clearance, with the
    population band, the steady state and the comparison with normal kidneys.

    `crcl_ml_min` None means normal kidneys (or, `on_dialysis`, the knowledge's residual
    clearance for kidney failure). `dialysis_starts_h` are session starts, hours from the
    first dose.
    """
    if not schedule.times_h:
        raise ValueError("the schedule has no doses")
    crcl = _crcl(params, crcl_ml_min, on_dialysis)
    rf = float(renal_factor(crcl, params.nonrenal_fraction, params.reference_crcl)[0])
    sessions = _sessions(params, dialysis_starts_h, dialysis_hours)
    pop = _population(params, subjects, seed)
    cl_typ = params.cl * rf
    t = _grid(schedule.end_h + tail_h, step_h)
    doses = (schedule.times_h, schedule.amounts_mg)
    k_hd_pop = _k_dialysis(params, pop.v)
    band_lv = simulate_levels(
        t, *doses, pop.cl * rf, pop.v, pop.ka, dialysis_h=sessions, k_dialysis=k_hd_pop
    )
    low, high = _band(band_lv * NG_PER_ML)
    k_hd = _k_dialysis(params, params.v)
    person = simulate_levels(
        t, *doses, cl_typ, params.v, params.ka, dialysis_h=sessions, k_dialysis=k_hd
    )[0]
    normal = None
    if rf < 1.0 - 1e-9 or sessions:
        normal = _tuple(simulate_levels(t, *doses, params.cl, params.v, params.ka)[0] * NG_PER_ML)

    ss = ss_normal = None
    acc = None
    daily = None
    if schedule.period_h is not None:
        offsets, amounts = schedule.pattern()
        period = schedule.period_h
        daily = float(sum(amounts)) * 24.0 / period
        within = np.linspace(0.0, period, 97)[:-1]

        def figures(cl_scale: float) -> dict[str, float]:
            typ = steady_state_levels(within, offsets, amounts, period, params.cl * cl_scale,
                                      params.v, params.ka) * NG_PER_ML  # fmt: skip
            mean = sum(amounts) / (pop.cl * cl_scale * period) * NG_PER_ML
            typical = sum(amounts) / (params.cl * cl_scale * period) * NG_PER_ML
            return _ss_figures(typ, typical, mean)

        ss = figures(rf)
        ss_normal = figures(1.0) if rf < 1.0 - 1e-9 else ss
        acc = float(accumulation_ratio(cl_typ / params.v, period / max(len(offsets), 1))[0])
    t_half = float(half_life(cl_typ, params.v)[0])
    t_half_normal = float(half_life(params.cl, params.v)[0])
    names = [*_CORE, *(("hemodialysis_clearance", "bioavailability") if sessions else ())]
    if params.window:
        names += ["reference_plasma_low", "reference_plasma_high"]
    if crcl_ml_min is None and on_dialysis:
        names.append("dialysis_residual_crcl")
    judgments = tuple(n for n in names if n in params.judgments)
    return PkSummary(
        drug=params.drug,
        drug_name=params.drug_name,
        crcl_ml_min=crcl,
        crcl_assumed=crcl_ml_min is None,
        renal_factor=rf,
        clearance_l_h=cl_typ,
        half_life_h=t_half,
        half_life_normal_h=t_half_normal,
        reported_half_life_h=params.reported_half_life,
        daily_mg=daily,
        steady_state=ss,
        steady_state_normal=ss_normal,
        time_to_steady_state_h=float(time_to_steady_state(cl_typ / params.v, params.ka)[0]),
        accumulation_ratio=acc,
        fold_vs_normal_kidneys=1.0 / rf,
        window=params.window,
        dialysis_h=sessions,
        subjects=subjects,
        curves=Curves(
            times_h=_tuple(t),
            person=_tuple(person * NG_PER_ML),
            low=_tuple(low),
            high=_tuple(high),
            normal=normal,
            window=params.window,
            doses_h=schedule.times_h,
            dialysis_h=sessions,
            title=f"{params.drug_name}: level in the blood over time",
            person_label=f"typical person, creatinine clearance {crcl:.0f} mL/min",
        ),
        sources=params.sources_of(*names),
        judgments=judgments,
    )


# --- overdose -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    """A time or level for the typical person and the band around it; None where the
    event does not happen (the level never rises above the window)."""

    typical: float | None
    low: float | None
    high: float | None

    def as_dict(self) -> dict[str, float | None]:
        def r(x: float | None) -> float | None:
            return None if x is None else _r(x)

        return {"typical": r(self.typical), "band_low": r(self.low), "band_high": r(self.high)}

    def shifted(self, by: float) -> Spread:
        def s(x: float | None) -> float | None:
            return None if x is None else max(0.0, x - by)

        return Spread(s(self.typical), s(self.low), s(self.high))


def _spread(typical: float | None, values: FloatArray) -> Spread:
    ok = values[np.isfinite(values)]
    if ok.size < values.size * BAND[1]:  # fewer than 95 % of subjects reach it
        lo = float(np.quantile(ok, BAND[0])) if ok.size else None
        return Spread(typical, lo, None)
    lo, hi = np.quantile(ok, BAND)
    return Spread(typical, float(lo), float(hi))


def _first_below_after_peak(t: FloatArray, lv: FloatArray, limit: float) -> FloatArray:
    """Per subject, the first time after the peak when the level is below `limit`; nan if
    it never rose above it or has not fallen below it within the grid."""
    peak = np.argmax(lv, axis=1)
    after = np.arange(lv.shape[1])[None, :] > peak[:, None]
    below = (lv < limit) & after
    rose = lv.max(axis=1) >= limit
    idx = np.argmax(below, axis=1)
    found = below[np.arange(lv.shape[0]), idx] & rose
    return np.where(found, t[idx], np.nan)


@dataclass(frozen=True)
class OverdoseCourse:
    """The expected course of the level after one large oral ingestion."""

    drug: str
    amount_mg: float
    hours_ago: float | None
    crcl_ml_min: float
    crcl_assumed: bool
    half_life_h: float
    peak_level: Spread
    peak_h: Spread
    above_window_until_h: Spread
    level_now: Spread | None
    window: tuple[float, float] | None
    curves: Curves
    sources: tuple[str, ...]

    def as_dict(self, with_curves: bool = False) -> dict[str, Any]:
        ago = self.hours_ago
        out: dict[str, Any] = {
            "model": MODEL,
            "amount_mg": self.amount_mg,
            "crcl_ml_min": _r(self.crcl_ml_min),
            "crcl_assumed": self.crcl_assumed,
            "half_life_h": _r(self.half_life_h),
            "unit": "ng/mL",
            "peak_level_ng_ml": self.peak_level.as_dict(),
            "peak_h_after_ingestion": self.peak_h.as_dict(),
            "above_window_until_h_after_ingestion": self.above_window_until_h.as_dict(),
            "window_ng_ml": list(self.window) if self.window else None,
            "meaning": "Symptoms are expected to be worst around the peak and to ease as the "
            "level falls back towards the usual range; effects in the brain lag behind the "
            "blood level, so they can last longer than the curve suggests.",
            "caveat": CAVEAT,
            "sources": list(self.sources),
        }
        if ago is not None:
            out["hours_ago"] = ago
            out["level_now_ng_ml"] = self.level_now.as_dict() if self.level_now else None
            out["peak_h_from_now"] = self.peak_h.shifted(ago).as_dict()
            out["above_window_until_h_from_now"] = self.above_window_until_h.shifted(ago).as_dict()
        if with_curves:
            out["curves"] = self.curves.as_dict(every=2)
        return out


def compute_overdose_course(
    params: PkParameters,
    amount_mg: float,
    *,
    hours_ago: float | None,
    crcl_ml_min: float | None,
    on_dialysis: bool = False,
    dialysis_starts_h: Sequence[float] = (),
    subjects: int = 400,
    seed: int = 0,
    step_h: float = 0.5,
) -> OverdoseCourse:
    """When the level would be expected to peak after `amount_mg` swallowed at once, and when
    it would fall back under the top of the usual range, for the typical person and the band.

    Large overdoses can be absorbed more slowly than a normal dose (the label notes that
    absorption falls as the dose rises), so the real peak may come later than shown.
    """
    if amount_mg <= 0:
        raise ValueError("the amount must be positive")
    crcl = _crcl(params, crcl_ml_min, on_dialysis)
    rf = float(renal_factor(crcl, params.nonrenal_fraction, params.reference_crcl)[0])
    t_half = float(half_life(params.cl * rf, params.v)[0])
    horizon = min(240.0, max(48.0, 8.0 * t_half, (hours_ago or 0.0) + 12.0))
    t = _grid(horizon, step_h)
    dose = single(amount_mg)
    pop = _population(params, subjects, seed)
    sessions = _sessions(params, dialysis_starts_h, None)
    lv = simulate_levels(
        t,
        dose.times_h,
        dose.amounts_mg,
        pop.cl * rf,
        pop.v,
        pop.ka,
        dialysis_h=sessions,
        k_dialysis=_k_dialysis(params, pop.v),
    )
    lv *= NG_PER_ML
    typ = simulate_levels(
        t,
        dose.times_h,
        dose.amounts_mg,
        params.cl * rf,
        params.v,
        params.ka,
        dialysis_h=sessions,
        k_dialysis=_k_dialysis(params, params.v),
    )
    typ *= NG_PER_ML
    low, high = _band(lv)
    i_peak = int(np.argmax(typ[0]))
    peak_times = t[np.argmax(lv, axis=1)]
    window = params.window
    if window is not None:
        fade = _first_below_after_peak(t, lv, window[1])
        fade_typ = _first_below_after_peak(t, typ, window[1])[0]
        above = _spread(None if np.isnan(fade_typ) else float(fade_typ), fade)
    else:
        above = Spread(None, None, None)
    now = None
    if hours_ago is not None:
        j = int(np.clip(np.searchsorted(t, hours_ago), 0, t.size - 1))
        now = Spread(float(typ[0, j]), float(low[j]), float(high[j]))
    names = [*_CORE, "reference_plasma_high"]
    if sessions:
        names += ["hemodialysis_clearance", "bioavailability", "dialysis_session_hours"]
    return OverdoseCourse(
        drug=params.drug,
        amount_mg=float(amount_mg),
        hours_ago=hours_ago,
        crcl_ml_min=crcl,
        crcl_assumed=crcl_ml_min is None,
        half_life_h=t_half,
        peak_level=_spread(float(typ[0, i_peak]), lv.max(axis=1)),
        peak_h=_spread(float(t[i_peak]), peak_times),
        above_window_until_h=above,
        level_now=now,
        window=window,
        curves=Curves(
            times_h=_tuple(t),
            person=_tuple(typ[0]),
            low=_tuple(low),
            high=_tuple(high),
            normal=None,
            window=window,
            doses_h=dose.times_h,
            dialysis_h=sessions,
            title=f"{params.drug_name}: expected level after {amount_mg:g} mg at once",
            person_label=f"typical person, creatinine clearance {crcl:.0f} mL/min",
            since="it was swallowed",
            now_h=hours_ago,
        ),
        sources=params.sources_of(*names),
    )


# --- plans ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanLevel:
    """How the level moves across a plan's steps (a taper falls, a titration rises)."""

    crcl_ml_min: float
    crcl_assumed: bool
    steps: tuple[dict[str, Any], ...]
    below_window_day: int | None
    cleared_day: int | None
    curves: Curves
    sources: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": MODEL,
            "unit": "ng/mL",
            "crcl_ml_min": _r(self.crcl_ml_min),
            "crcl_assumed": self.crcl_assumed,
            "steps": list(self.steps),
            "below_window_from_day": self.below_window_day,
            "cleared_by_day": self.cleared_day,
            "caveat": CAVEAT,
            "sources": list(self.sources),
        }


def compute_plan_level(
    params: PkParameters,
    steps: Sequence[tuple[int, float, int]],
    crcl_ml_min: float | None = None,
    *,
    on_dialysis: bool = False,
    subjects: int = 400,
    seed: int = 0,
) -> PlanLevel:
    """The average level on the last day of each step of a plan given as (days, dose in mg
    per administration, doses a day), for the typical person and the band; and, for a plan
    that ends with a stop, the day the level is below the usual range and the day it is
    essentially gone (under 1 % of the level at the first step's end)."""
    schedule = from_steps(steps)
    if not schedule.times_h:
        raise ValueError("the plan has no doses")
    crcl = _crcl(params, crcl_ml_min, on_dialysis)
    rf = float(renal_factor(crcl, params.nonrenal_fraction, params.reference_crcl)[0])
    total_days = sum(d for d, _, _ in steps)
    days = max(total_days, int(np.ceil(schedule.end_h / 24.0)) + 1) + 3
    t = _grid(days * 24.0, 1.0)
    pop = _population(params, subjects, seed)
    lv = simulate_levels(t, schedule.times_h, schedule.amounts_mg, pop.cl * rf, pop.v, pop.ka)
    lv *= NG_PER_ML
    typ = simulate_levels(
        t, schedule.times_h, schedule.amounts_mg, params.cl * rf, params.v, params.ka
    )[0]
    typ *= NG_PER_ML
    low, high = _band(lv)

    def day_mean(x: FloatArray, day: int) -> float:
        return float(x[day * 24 : day * 24 + 24].mean())

    out: list[dict[str, Any]] = []
    day = 0
    for i, (n_days, dose, per_day) in enumerate(steps):
        day += n_days
        last = max(day - 1, 0)
        out.append(
            {
                "step": i + 1,
                "day": day,
                "dose_mg": dose,
                "doses_per_day": per_day,
                "average": _r(day_mean(typ, last)),
                "band_low": _r(day_mean(low, last)),
                "band_high": _r(day_mean(high, last)),
            }
        )
    ends_with_stop = steps[-1][2] == 0 or schedule.end_h < total_days * 24.0 - 24.0
    below = cleared = None
    if ends_with_stop:
        # the highest level from each hour on: the first day it stays under a limit
        ahead = np.maximum.accumulate(typ[::-1])[::-1]

        def stays_under(limit: float) -> int | None:
            hit = np.flatnonzero(ahead < limit)
            return int(t[hit[0]] // 24) + 1 if hit.size else None

        if params.window is not None:
            below = stays_under(params.window[0])
        cleared = stays_under(0.01 * float(out[0]["average"]))
    return PlanLevel(
        crcl_ml_min=crcl,
        crcl_assumed=crcl_ml_min is None,
        steps=tuple(out),
        below_window_day=below,
        cleared_day=cleared,
        curves=Curves(
            times_h=_tuple(t),
            person=_tuple(typ),
            low=_tuple(low),
            high=_tuple(high),
            normal=None,
            window=params.window,
            doses_h=schedule.times_h,
            dialysis_h=(),
            title=f"{params.drug_name}: level across the plan",
            person_label=f"typical person, creatinine clearance {crcl:.0f} mL/min",
        ),
        sources=params.sources_of(*_CORE),
    )
