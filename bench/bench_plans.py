"""Plan generation speed (issue 3 target: ≤ 1 ms a plan).

Run: .venv/bin/python bench/bench_plans.py
"""

from __future__ import annotations

import timeit
from datetime import date

from medguide.clinical.kidney import KidneyFunction, KidneyValue
from medguide.clinical.plans import plan_taper, plan_titration
from medguide.interop.fhir import dump_dosages
from medguide.interop.ical import dump_ical
from medguide.knowledge.loader import load_catalog


def main() -> None:
    drug = load_catalog().drugs["baclofen"]
    start = date(2026, 3, 2)
    kidney = KidneyFunction(crcl=KidneyValue("crcl", 31.3, "cockcroft_gault"))
    taper = plan_taper(drug, dose=20, doses_per_day=4, start=start)
    cases = {
        "titration, label schedule": lambda: plan_titration(drug, start=start, age_years=40),
        "titration, 82 y, CrCl 31, target 80": lambda: plan_titration(
            drug, start=start, age_years=82, kidney=kidney, target_daily=80
        ),
        "titration, 5 y 18 kg, Ozobax": lambda: plan_titration(
            drug, start=start, age_years=5, weight_kg=18, target_daily=60, product="ozobax"
        ),
        "taper, 20 mg QID (28 days)": lambda: plan_taper(
            drug, dose=20, doses_per_day=4, start=start
        ),
        "taper, 10 mL TID Ozobax": lambda: plan_taper(
            drug, dose=10, doses_per_day=3, dose_unit="mL", product="ozobax", start=start
        ),
        "export: FHIR Dosage of the 28-day taper": lambda: dump_dosages(taper),
        "export: .ics of the 28-day taper (120 events)": lambda: dump_ical(
            taper, "America/New_York"
        ),
    }
    for name, fn in cases.items():
        fn()
        n, _ = timeit.Timer(fn).autorange()
        best = min(timeit.repeat(fn, number=n, repeat=5)) / n
        print(f"{name:48s} {best * 1e6:10.1f} µs")


if __name__ == "__main__":
    main()
