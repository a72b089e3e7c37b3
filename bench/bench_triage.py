"""Triage figures (issue 5): `check_triage` in process, target p99 <= 1 ms.

Run: .venv/bin/python bench/bench_triage.py   (results go in bench/README.md)

Two figures:
- "check_triage": symptoms weighed against a prepared situation (the pure function);
- "check_now": the whole "what to do now" check of a request (situation from the request,
  triage, overdose or missed dose), as `medguide assess` runs it.
Inputs rotate through a table of realistic cases (a few words each, some measured values,
one unknown word), so no single string is timed again and again.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from timing import percentile

CASES: list[list[str]] = [
    ["can't wake him up", "breathing slow"],
    ["very sleepy", "muddled"],
    ["a bit sleepy", "dizzy"],
    ["seeing things", "agitated", "temp 39.4"],
    ["itchy all over", "spasms are back"],
    ["had a seizure"],
    ["breathing 7 a minute", "GCS 8"],
    ["feeling sick", "headache", "wibble"],
]
REQUESTS: list[dict[str, Any]] = [
    {"symptoms": ["seizure"], "events": [{"kind": "stopped", "days_ago": 4, "daily_dose_mg": 60}]},
    {"symptoms": ["very sleepy", "muddled"], "substances": ["alcohol"]},
    {
        "ingestion": {"drug": "baclofen", "amount": 1, "unit": "tablet", "strength_mg": 10},
        "patient": {"age_years": 3},
    },
    {
        "missed_dose": {"drug": "baclofen", "scheduled": "07:00", "next_due": "15:00"},
        "patient": {"timezone": "Europe/London"},
        "now": "2026-11-26T08:15:00+00:00",
    },
]


def report(name: str, times_us: list[float]) -> None:
    print(
        f"{name:<14} n={len(times_us)}  median {statistics.median(times_us):7.1f} us  "
        f"p99 {percentile(times_us, 99):7.1f} us  max {max(times_us):8.1f} us"
    )


def main() -> None:
    from medguide.clinical.context import build_context
    from medguide.clinical.request import AssessRequest
    from medguide.clinical.triage import Cue, Situation, check_now, check_triage
    from medguide.knowledge.loader import load_catalog

    cat = load_catalog()
    situation = Situation(
        (
            Cue("baclofen", "expected_side_effect", "any", "takes baclofen", False),
            Cue("baclofen", "withdrawal", "oral", "stopped 2 days ago"),
        )
    )
    n = 20_000
    for case in CASES:  # warm-up
        check_triage(cat.symptoms, case, situation)
    times = []
    for i in range(n):
        case = CASES[i % len(CASES)]
        t0 = time.perf_counter()
        check_triage(cat.symptoms, case, situation)
        times.append((time.perf_counter() - t0) * 1e6)
    report("check_triage", times)

    reqs = [
        AssessRequest.model_validate({"medications": [{"drug": "baclofen"}], **r}) for r in REQUESTS
    ]
    ctxs = [build_context(cat, r, r.now) for r in reqs]
    for ctx in ctxs:
        check_now(ctx)
    times = []
    for i in range(n // 4):
        ctx = ctxs[i % len(ctxs)]
        t0 = time.perf_counter()
        check_now(ctx)
        times.append((time.perf_counter() - t0) * 1e6)
    report("check_now", times)


if __name__ == "__main__":
    main()
