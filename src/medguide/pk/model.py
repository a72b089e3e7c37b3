"""One-compartment oral model with first-order absorption, by closed-form superposition.

The model (amounts are apparent: clearance and volume are CL/F and V/F, so a dose enters as
written)::

    dA_gut/dt = -ka A_gut                      (a dose D adds D to A_gut)
    dA/dt     =  ka A_gut - k(t) A,   k = CL/V (+ CL_HD / (F V) during a dialysis session)
    level     =  A / V

With a constant k the level after doses D_i at t_i is the sum of one-dose curves::

    C(t) = ka / (V (ka - k)) * sum_i D_i (exp(-k (t - t_i)) - exp(-ka (t - t_i)))

Each of the two sums is carried from one event (a dose, an output time, the start or end of a
dialysis session) to the next by multiplying with exp(-rate * gap), so a 7-day schedule costs
a handful of multiplications per subject per time point and the exponentials are taken once
per distinct gap, not once per dose and time. When k changes (a dialysis session) the pair of
sums is re-based exactly at the switch. Every parameter may be an array over subjects; the
work is vectorised over subjects, never a Python loop per subject.

Pure functions of numbers and arrays: no catalog, no I/O, no clock. Randomness only through
an explicit seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
ArrayLike = float | Sequence[float] | FloatArray

LN2: Final = float(np.log(2.0))
_DEGENERATE: Final = 1e-6  # |ka - k| below this fraction of ka is moved apart (see _b_factor)
_CHUNK: Final = 16384  # subjects per block: the running sums stay in the CPU cache


def _arr(x: ArrayLike) -> FloatArray:
    return np.atleast_1d(np.asarray(x, dtype=np.float64))


def renal_factor(
    crcl_ml_min: ArrayLike, nonrenal_fraction: float, reference_crcl: float
) -> FloatArray:
    """Fraction of the normal clearance left at a creatinine clearance.

    ``nonrenal + (1 - nonrenal) * min(CrCl / reference, 1)``: the kidney part of clearance
    falls in proportion to creatinine clearance (baclofen's renal clearance follows it,
    Wuis 1989/1990, Vlavonou 2014); above the reference nothing is extrapolated.

    >>> float(renal_factor(30.0, 0.3, 100.0)[0])
    0.51
    """
    x = np.clip(_arr(crcl_ml_min) / reference_crcl, 0.0, 1.0)
    out: FloatArray = nonrenal_fraction + (1.0 - nonrenal_fraction) * x
    return out


def half_life(cl: ArrayLike, v: ArrayLike) -> FloatArray:
    """Elimination half-life in h from clearance (L/h) and volume (L).

    >>> round(float(half_life(11.6, 72.8)[0]), 2)
    4.35
    """
    out: FloatArray = LN2 * _arr(v) / _arr(cl)
    return out


def accumulation_ratio(k: ArrayLike, interval_h: float) -> FloatArray:
    """How many times higher the steady-state level is than after the first dose, for doses
    every `interval_h` (1 / (1 - exp(-k tau))); never below 1."""
    out: FloatArray = 1.0 / -np.expm1(-_arr(k) * interval_h)
    return out


def time_to_steady_state(k: ArrayLike, ka: ArrayLike, fraction: float = 0.9) -> FloatArray:
    """Hours of regular dosing until the level is within `fraction` of its steady state
    (governed by the slower of absorption and elimination): -ln(1 - fraction) / min(k, ka)."""
    out: FloatArray = -np.log1p(-fraction) / np.minimum(_arr(k), _arr(ka))
    return out


def sample_lognormal(
    median: float, cv: float | None, n: int, rng: np.random.Generator
) -> FloatArray:
    """`n` values of a log-normal parameter with its median and coefficient of variation
    (omega = sqrt(ln(1 + CV^2))); a missing CV gives the median for everyone."""
    if not cv:
        return np.full(n, median, dtype=np.float64)
    omega = float(np.sqrt(np.log1p(cv * cv)))
    out: FloatArray = median * np.exp(omega * rng.standard_normal(n))
    return out


@dataclass(frozen=True)
class Population:
    """Per-subject parameters: apparent clearance (L/h, normal kidneys), apparent volume (L),
    absorption rate constant (1/h)."""

    cl: FloatArray
    v: FloatArray
    ka: FloatArray

    @property
    def size(self) -> int:
        return int(self.cl.shape[0])


def sample_population(
    cl: float,
    v: float,
    ka: float,
    *,
    cv_cl: float | None,
    cv_v: float | None,
    cv_ka: float | None,
    n: int,
    seed: int = 0,
) -> Population:
    """`n` subjects around the typical values, parameters independent and log-normal."""
    if n < 1:
        raise ValueError("a population needs at least one subject")
    rng = np.random.default_rng(seed)
    return Population(
        cl=sample_lognormal(cl, cv_cl, n, rng),
        v=sample_lognormal(v, cv_v, n, rng),
        ka=sample_lognormal(ka, cv_ka, n, rng),
    )


def _b_factor(ka: FloatArray, k: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(k, ka / (ka - k)), with k moved a millionth away from ka where the two coincide (the
    closed form divides by ka - k; the shift changes the level by about a millionth)."""
    close = np.abs(ka - k) < _DEGENERATE * ka
    if close.any():
        k = np.where(close, ka * (1.0 - _DEGENERATE), k)
    b: FloatArray = ka / (ka - k)
    return k, b


def _merge_windows(windows: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for start, end in sorted(windows):
        if end < start:
            raise ValueError(f"a dialysis session ends ({end:g} h) before it starts ({start:g} h)")
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        elif end > start:
            out.append((start, end))
    return out


# Event kinds, in the order they are applied when they fall at the same time.
_SWITCH, _DOSE, _OUT = 0, 1, 2


def simulate_levels(
    times_h: ArrayLike,
    dose_times_h: ArrayLike,
    dose_amounts: ArrayLike,
    cl: ArrayLike,
    v: ArrayLike,
    ka: ArrayLike,
    *,
    dialysis_h: Sequence[tuple[float, float]] = (),
    k_dialysis: ArrayLike = 0.0,
) -> FloatArray:
    """Level (amount per volume: mg/L for mg and L) at each time, for each subject.

    `cl`, `v`, `ka` (and `k_dialysis`, the extra elimination rate during a session in 1/h)
    are scalars or arrays over subjects; `dialysis_h` are (start, end) session windows in h.
    Returns an array of shape (subjects, times). Times may be in any order; before the first
    dose the level is 0.

    >>> lv = simulate_levels([0.0, 2.0, 24.0], [0.0], [20.0], 11.6, 72.8, 1.64)
    >>> [round(float(x), 4) for x in lv[0]]
    [0.0, 0.2098, 0.0066]
    """
    t_out = _arr(times_h)
    t_dose = _arr(dose_times_h)
    amounts = _arr(dose_amounts)
    if t_dose.shape != amounts.shape:
        raise ValueError("dose times and amounts differ in length")
    cl_a, v_a, ka_a, khd_a = np.broadcast_arrays(_arr(cl), _arr(v), _arr(ka), _arr(k_dialysis))
    n = cl_a.shape[0]
    if np.any(cl_a <= 0) or np.any(v_a <= 0) or np.any(ka_a <= 0) or np.any(khd_a < 0):
        raise ValueError("clearance, volume and absorption rate must be positive")
    if np.any(amounts < 0):
        raise ValueError("a dose cannot be negative")

    windows = _merge_windows(dialysis_h)
    # One sorted list of events shared by every subject.
    ev_t = [float(x) for x in t_dose] + [float(x) for x in t_out]
    ev_kind = [_DOSE] * t_dose.size + [_OUT] * t_out.size
    ev_arg = list(range(t_dose.size)) + list(range(t_out.size))
    for start, end in windows:
        ev_t += [start, end]
        ev_kind += [_SWITCH, _SWITCH]
        ev_arg += [1, 0]  # the regime switched to
    order = sorted(range(len(ev_t)), key=lambda i: (ev_t[i], ev_kind[i]))
    times = np.array([ev_t[i] for i in order], dtype=np.float64)
    gaps = np.diff(times, prepend=times[0] if times.size else 0.0)
    uniq, gap_index = np.unique(gaps, return_inverse=True)

    out = np.empty((n, t_out.size), dtype=np.float64, order="F")
    for lo in range(0, n, _CHUNK):
        hi = min(n, lo + _CHUNK)
        _run_block(
            out[lo:hi],
            [ev_kind[i] for i in order],
            [ev_arg[i] for i in order],
            gap_index,
            uniq,
            amounts,
            cl_a[lo:hi],
            v_a[lo:hi],
            ka_a[lo:hi],
            khd_a[lo:hi],
        )
    return out


def _run_block(
    out: FloatArray,
    kinds: list[int],
    args: list[int],
    gap_index: npt.NDArray[np.intp],
    uniq: FloatArray,
    amounts: FloatArray,
    cl: FloatArray,
    v: FloatArray,
    ka: FloatArray,
    k_hd: FloatArray,
) -> None:
    m = cl.shape[0]
    k0, b0 = _b_factor(ka, cl / v)
    k1, b1 = _b_factor(ka, cl / v + k_hd)
    rates = ((k0, b0), (k1, b1))
    # exp(-rate * gap) for every distinct gap, computed once per block.
    decay_a = np.exp(-np.outer(uniq, ka))
    decay_k: list[FloatArray | None] = [None, None]
    decay_k[0] = np.exp(-np.outer(uniq, k0))
    if any(kd == _SWITCH for kd in kinds):
        decay_k[1] = np.exp(-np.outer(uniq, k1))
    zero_gap = np.flatnonzero(uniq == 0.0)
    skip = int(zero_gap[0]) if zero_gap.size else -1

    s_k = np.zeros(m)  # sum of D_i exp(-k (t - t_i)), re-based at each switch
    s_a = np.zeros(m)  # sum of D_i exp(-ka (t - t_i)): the amount in the gut
    regime_of = np.zeros(out.shape[1], dtype=np.intp)
    regime = 0
    started = False
    multiply, subtract = np.multiply, np.subtract
    for kind, arg, gi in zip(kinds, args, gap_index.tolist(), strict=True):
        if started and gi != skip:
            dk = decay_k[regime]
            assert dk is not None
            multiply(s_k, dk[gi], out=s_k)
            multiply(s_a, decay_a[gi], out=s_a)
        if kind == _OUT:
            # central amount / B; the level B (s_k - s_a) / V is scaled once at the end
            subtract(s_k, s_a, out=out[:, arg])
            regime_of[arg] = regime
        elif kind == _DOSE:
            d = amounts[arg]
            if d:
                s_k += d
                s_a += d
                started = True
        elif arg != regime:
            # same central amount A = B_old (s_k - s_a), new rate: s_k' = A / B_new + s_a
            multiply(s_k - s_a, rates[regime][1] / rates[arg][1], out=s_k)
            s_k += s_a
            regime = arg
    scale0 = rates[0][1] / v
    out *= scale0[:, None]
    if regime_of.any():
        fix = rates[1][1] / rates[0][1]
        for col in np.flatnonzero(regime_of == 1).tolist():
            out[:, col] *= fix


def steady_state_levels(
    times_in_period_h: ArrayLike,
    dose_offsets_h: ArrayLike,
    dose_amounts: ArrayLike,
    period_h: float,
    cl: ArrayLike,
    v: ArrayLike,
    ka: ArrayLike,
) -> FloatArray:
    """Level at steady state of a schedule that repeats every `period_h` (doses at the
    offsets within the period), at times within the period; shape (subjects, times).

    Each dose contributes exp(-rate * ((t - o) mod P)) / (1 - exp(-rate P)) to each sum: the
    geometric series of every earlier repetition, in closed form.
    """
    t = _arr(times_in_period_h)
    offs = _arr(dose_offsets_h)
    amounts = _arr(dose_amounts)
    cl_a, v_a, ka_a = np.broadcast_arrays(_arr(cl), _arr(v), _arr(ka))
    k, b = _b_factor(ka_a, cl_a / v_a)
    lag = np.mod(t[:, None] - offs[None, :], period_h)  # (times, doses)
    out = np.zeros((cl_a.shape[0], t.size))
    for rate, sign in ((k, 1.0), (ka_a, -1.0)):
        series = 1.0 / -np.expm1(-rate * period_h)  # (subjects,)
        terms = np.exp(-rate[:, None, None] * lag[None, :, :]) @ amounts  # (subjects, times)
        out += sign * terms * series[:, None]
    res: FloatArray = out * (b / v_a)[:, None]
    return res
