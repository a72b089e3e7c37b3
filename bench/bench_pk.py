"""Pharmacokinetic simulation speed (issue 18).

Targets: at least 1,000,000 simulated subjects per second per core for a 7-day TID schedule
(closed form), reported as a ratio against a per-subject Python loop and against scipy's
ODE solver on the same problem; a 10,000-subject band with a plot in under 1 s.

The problem: baclofen 20 mg every 8 h for 7 days (21 doses), the level at every hour from
0 to 168 h (169 points), log-normal clearance, volume and absorption rate (CV 21 %, 22 %,
44 %). One process, one thread (numpy's element-wise work is single-threaded).

Run: .venv/bin/python bench/bench_pk.py
"""

from __future__ import annotations

import itertools
import math
import os
import statistics
import subprocess
import sys
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")


import numpy as np  # noqa: E402
from scipy.integrate import solve_ivp  # noqa: E402

from medguide.knowledge.loader import load_catalog  # noqa: E402
from medguide.pk.course import (  # noqa: E402
    compute_level_summary,
    compute_overdose_course,
    compute_plan_level,
)
from medguide.pk.model import sample_population, simulate_levels  # noqa: E402
from medguide.pk.params import pk_parameters  # noqa: E402
from medguide.pk.schedule import regular  # noqa: E402
from medguide.pk.steady import compute_steady_state  # noqa: E402

PARAMS = pk_parameters(load_catalog().drugs["baclofen"])
assert PARAMS is not None
SCHEDULE = regular(20.0, 3, 7)
TIMES = np.arange(0.0, 169.0, 1.0)
DOSE_T = np.array(SCHEDULE.times_h)
DOSE_A = np.array(SCHEDULE.amounts_mg)


def population(n: int, seed: int = 1):  # type: ignore[no-untyped-def]
    p = PARAMS
    assert p is not None
    return sample_population(p.cl, p.v, p.ka, cv_cl=0.21, cv_v=0.22, cv_ka=0.44, n=n, seed=seed)


def best_of(fn, repeat: int = 7) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def closed_form_rate() -> tuple[float, float]:
    """Subjects per second, best and median of batches of 10,000 (the level at 169 times)."""
    pop = population(10_000)

    def run() -> None:
        simulate_levels(TIMES, DOSE_T, DOSE_A, pop.cl, pop.v, pop.ka)

    run()
    samples, cpu = [], []
    for _ in range(15):
        t0, c0 = time.perf_counter(), time.process_time()
        run()
        samples.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    # CPU time of this process too: the machine is shared, and wall time includes waiting
    print(f"  (CPU time per batch: best {min(cpu) * 1e3:.1f} ms, median "
          f"{statistics.median(cpu) * 1e3:.1f} ms)")  # fmt: skip
    return 10_000 / min(samples), 10_000 / statistics.median(samples)


def python_loop_rate(n: int = 200) -> tuple[float, np.ndarray]:
    """The same closed form written as a plain loop: per subject, per time, per dose."""
    pop = population(n)
    out = np.zeros((n, TIMES.size))

    def run() -> None:
        for i in range(n):
            cl, v, ka = float(pop.cl[i]), float(pop.v[i]), float(pop.ka[i])
            k = cl / v
            b = ka / (v * (ka - k))
            for j, t in enumerate(TIMES.tolist()):
                c = 0.0
                for td, d in zip(SCHEDULE.times_h, SCHEDULE.amounts_mg, strict=True):
                    if td <= t:
                        c += d * (math.exp(-k * (t - td)) - math.exp(-ka * (t - td)))
                out[i, j] = b * c

    return n / best_of(run, 3), out


def ode_rate(n: int = 20) -> tuple[float, float]:
    """scipy's solve_ivp (LSODA would be no faster here; RK45 at rtol 1e-8), one subject at
    a time, integrated dose interval by dose interval, evaluated at the same 169 times.
    Returns (subjects per second, largest error against the closed form relative to the
    peak)."""
    pop = population(n)
    closed = simulate_levels(TIMES, DOSE_T, DOSE_A, pop.cl, pop.v, pop.ka)
    out = np.zeros((n, TIMES.size))
    cuts = [*SCHEDULE.times_h, float(TIMES[-1])]

    def run() -> None:
        for i in range(n):
            cl, v, ka = float(pop.cl[i]), float(pop.v[i]), float(pop.ka[i])
            k = cl / v
            y = np.zeros(2)
            for t0, t1 in itertools.pairwise(cuts):
                y[0] += 20.0
                sol = solve_ivp(
                    lambda _t, y, k=k, ka=ka: [-ka * y[0], ka * y[0] - k * y[1]],
                    (t0, t1),
                    y,
                    rtol=1e-8,
                    atol=1e-10,
                    dense_output=True,
                )
                m = (t0 <= TIMES) & (t1 >= TIMES)
                out[i, m] = sol.sol(TIMES[m])[1] / v
                y = sol.y[:, -1].copy()

    rate = n / best_of(run, 3)
    err = float(np.max(np.abs(out - closed)) / closed.max())
    return rate, err


def band_with_plot() -> tuple[float, float]:
    """compute_level_summary for 10,000 subjects (the 7-day TID curve every 30 minutes, CrCl
    25) plus the SVG picture: first in a fresh process (with the numpy and matplotlib
    imports), then warm."""
    code = (
        "import time; t0 = time.perf_counter();"
        "from medguide.knowledge.loader import load_catalog;"
        "from medguide.pk.params import pk_parameters;"
        "from medguide.pk.course import compute_level_summary;"
        "from medguide.pk.schedule import regular;"
        "from medguide.pk.plot import render_svg;"
        "p = pk_parameters(load_catalog().drugs['baclofen']);"
        "s = compute_level_summary(p, regular(20.0, 3, 7), 25.0, subjects=10000);"
        "svg = render_svg(s.curves); print(time.perf_counter() - t0)"
    )
    cold = min(
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(3)
    )
    from medguide.pk.plot import render_svg

    assert PARAMS is not None

    def run() -> None:
        s = compute_level_summary(PARAMS, SCHEDULE, 25.0, subjects=10_000)  # type: ignore[arg-type]
        render_svg(s.curves)

    run()
    return cold, best_of(run, 5)


def small_costs() -> None:
    assert PARAMS is not None
    p = PARAMS
    cases = {
        "assess: closed-form steady state (computed.pk)": lambda: compute_steady_state(
            p, 10.0, 3, 34.0
        ),
        "overdose: expected course, 200 subjects": lambda: compute_overdose_course(
            p, 250.0, hours_ago=2.0, crcl_ml_min=20.0, subjects=200
        ),
        "plan: level across a 30-day taper, 400 subjects": lambda: compute_plan_level(
            p, [(12, 15.0, 3), (6, 10.0, 3), (6, 10.0, 2), (3, 5.0, 2), (3, 5.0, 1), (1, 0.0, 0)]
        ),
        "summary, 1,000 subjects (medguide pk default)": lambda: compute_level_summary(
            p, SCHEDULE, 25.0, subjects=1000
        ),
    }
    for name, fn in cases.items():
        fn()
        t = best_of(fn, 20)
        print(f"  {name:52s} {t * 1e3:9.3f} ms")
    code = "import time; t0 = time.perf_counter(); import numpy; print(time.perf_counter() - t0)"
    imp = min(
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(5)
    )
    print(f"  {'numpy import in a fresh process':52s} {imp * 1e3:9.1f} ms")


def main() -> None:
    print(f"numpy {np.__version__}, Python {sys.version.split()[0]}, one thread")
    best, median = closed_form_rate()
    loop, loop_out = python_loop_rate()
    pop = population(200)
    closed = simulate_levels(TIMES, DOSE_T, DOSE_A, pop.cl, pop.v, pop.ka)
    loop_err = float(np.max(np.abs(loop_out - closed)) / closed.max())
    ode, ode_err = ode_rate()
    print("7-day TID, level at 169 hourly times:")
    print(f"  closed form, vectorised: {best:,.0f} subjects/s (median {median:,.0f})")
    print(f"  per-subject Python loop: {loop:,.0f} subjects/s -> closed form {best / loop:,.0f}x")
    print(f"    (largest difference from the closed form {loop_err:.1e} of the peak)")
    print(f"  scipy solve_ivp per subject: {ode:,.1f} subjects/s -> closed form {best / ode:,.0f}x")
    print(f"    (largest difference from the closed form {ode_err:.1e} of the peak)")
    cold, warm = band_with_plot()
    print("10,000-subject band (7 days every 30 min, CrCl 25) with the SVG picture:")
    print(f"  fresh process incl. imports and catalog: {cold:.2f} s; warm: {warm:.2f} s")
    print("Smaller costs:")
    small_costs()


if __name__ == "__main__":
    main()
