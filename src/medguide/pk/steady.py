"""Steady-state figures of an evenly spaced regimen in closed form, with the standard library
only (no numpy), so the assessment can report them for a reduced-kidney patient at almost
no cost.

For doses D every tau hours, k = CL/V, the level at time t after a dose at steady state is
``D ka / (V (ka - k)) * (exp(-k t) / (1 - exp(-k tau)) - exp(-ka t) / (1 - exp(-ka tau)))``;
the average is ``D / (CL tau)``. The population band of the average follows from the
log-normal clearance: its centiles are the median times exp(-/+ 1.645 omega).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

from medguide.pk.params import PkParameters

Z90: Final = 1.6448536269514722  # 95th centile of the standard normal: a 5-95 % band
CAVEAT: Final = (
    "An illustration from published average figures and their spread (a one-compartment "
    "model), not a prediction for this person. Real levels differ from person to person; "
    "do not change a dose because of this picture."
)
_NAMES: Final = (
    "oral_clearance",
    "oral_volume",
    "absorption_rate_constant",
    "nonrenal_fraction_of_clearance",
    "renal_reference_crcl",
    "half_life",
)


def clearance_fraction(params: PkParameters, crcl_ml_min: float) -> float:
    """Part of normal clearance left at a creatinine clearance (see model.renal_factor)."""
    x = min(max(crcl_ml_min / params.reference_crcl, 0.0), 1.0)
    f = params.nonrenal_fraction
    return f + (1.0 - f) * x


def _level(d: float, cl: float, v: float, ka: float, tau: float, t: float) -> float:
    k = cl / v
    if abs(ka - k) < 1e-6 * ka:
        k = ka * (1.0 - 1e-6)
    a = d * ka / (v * (ka - k))
    return a * (
        math.exp(-k * t) / -math.expm1(-k * tau) - math.exp(-ka * t) / -math.expm1(-ka * tau)
    )


def _peak_time(cl: float, v: float, ka: float, tau: float) -> float:
    k = cl / v
    if abs(ka - k) < 1e-6 * ka:
        k = ka * (1.0 - 1e-6)
    t = math.log((ka * -math.expm1(-k * tau)) / (k * -math.expm1(-ka * tau))) / (ka - k)
    return min(max(t, 0.0), tau)


@dataclass(frozen=True)
class SteadyState:
    """Steady state of `dose_mg` every `interval_h` at a creatinine clearance, and with
    normal kidneys, for the typical person (ng/mL) with the band of the average."""

    drug: str
    dose_mg: float
    interval_h: float
    crcl_ml_min: float
    clearance_fraction: float
    half_life_h: float
    half_life_normal_h: float
    average: float
    trough: float
    peak: float
    average_band: tuple[float, float]
    average_normal: float
    time_to_steady_state_h: float
    accumulation_ratio: float
    window: tuple[float, float] | None
    sources: tuple[str, ...]
    judgments: tuple[str, ...]

    @property
    def fold_vs_normal_kidneys(self) -> float:
        return 1.0 / self.clearance_fraction

    def as_dict(self) -> dict[str, Any]:
        def r(x: float) -> float:
            return round(x, 1)

        return {
            "drug": self.drug,
            "model": "one-compartment oral model, steady state in closed form",
            "dose_mg": self.dose_mg,
            "interval_h": r(self.interval_h),
            "crcl_ml_min": r(self.crcl_ml_min),
            "clearance_fraction_of_normal": round(self.clearance_fraction, 3),
            "half_life_h": r(self.half_life_h),
            "half_life_normal_kidneys_h": r(self.half_life_normal_h),
            "unit": "ng/mL",
            "steady_state": {
                "average": r(self.average),
                "trough": r(self.trough),
                "peak": r(self.peak),
                "average_band_low": r(self.average_band[0]),
                "average_band_high": r(self.average_band[1]),
            },
            "steady_state_normal_kidneys_average": r(self.average_normal),
            "time_to_steady_state_h": r(self.time_to_steady_state_h),
            "accumulation_ratio": round(self.accumulation_ratio, 2),
            "fold_vs_normal_kidneys": round(self.fold_vs_normal_kidneys, 2),
            "window_ng_ml": list(self.window) if self.window else None,
            "caveat": CAVEAT,
            "sources": list(self.sources),
            "judgments": list(self.judgments),
        }


def compute_steady_state(
    params: PkParameters,
    dose_mg: float,
    doses_per_day: float,
    crcl_ml_min: float | None,
    *,
    on_dialysis: bool = False,
) -> SteadyState:
    """Steady state of `dose_mg` taken `doses_per_day` times a day, evenly spaced.

    >>> from medguide.knowledge.loader import load_catalog
    >>> from medguide.pk.params import pk_parameters
    >>> p = pk_parameters(load_catalog().drug("baclofen"))
    >>> s = compute_steady_state(p, 20.0, 3, 25.0)
    >>> round(s.fold_vs_normal_kidneys, 2), round(s.average)
    (2.11, 454)
    """
    if dose_mg <= 0 or doses_per_day <= 0:
        raise ValueError("a steady state needs a positive dose and frequency")
    if crcl_ml_min is None:
        crcl = (params.value("dialysis_residual_crcl", 5.0) or 5.0) if on_dialysis else None
    else:
        crcl = crcl_ml_min
    crcl_v = params.reference_crcl if crcl is None else float(crcl)
    frac = clearance_fraction(params, crcl_v)
    cl, v, ka = params.cl * frac, params.v, params.ka
    tau = 24.0 / doses_per_day
    ug = 1000.0  # mg/L to ng/mL
    omega = math.sqrt(math.log1p((params.cv("oral_clearance") or 0.0) ** 2))
    avg = dose_mg / (cl * tau) * ug
    k = cl / v
    names = [*_NAMES, *(("reference_plasma_low", "reference_plasma_high") if params.window else ())]
    if crcl_ml_min is None and on_dialysis:
        names.append("dialysis_residual_crcl")
    return SteadyState(
        drug=params.drug,
        dose_mg=dose_mg,
        interval_h=tau,
        crcl_ml_min=crcl_v,
        clearance_fraction=frac,
        half_life_h=math.log(2.0) / k,
        half_life_normal_h=math.log(2.0) * v / params.cl,
        average=avg,
        trough=_level(dose_mg, cl, v, ka, tau, 0.0) * ug,
        peak=_level(dose_mg, cl, v, ka, tau, _peak_time(cl, v, ka, tau)) * ug,
        # the average is proportional to 1 / CL: a high clearance gives the low end
        average_band=(avg * math.exp(-Z90 * omega), avg * math.exp(Z90 * omega)),
        average_normal=dose_mg / (params.cl * tau) * ug,
        time_to_steady_state_h=-math.log(0.1) / min(k, ka),
        accumulation_ratio=1.0 / -math.expm1(-k * tau),
        window=params.window,
        sources=params.sources_of(*names),
        judgments=tuple(n for n in names if n in params.judgments),
    )
