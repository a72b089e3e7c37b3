"""Benchmark `medguide ask` on the in-repo evaluation set (tests/eval/questions.yaml).

Reports intent accuracy, answer-fact recall, decline precision and recall, confident wrong
answers, and latency p50/p99 per question (the index is built before timing; no semantic
extra). Run: .venv/bin/python bench/bench_answers.py [--repeat N] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from timing import percentile

from medguide.answers import answer_question
from medguide.answers.evaluate import evaluate, load_cases
from medguide.knowledge.loader import load_catalog

EVAL = Path(__file__).resolve().parent.parent / "tests" / "eval" / "questions.yaml"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    cat = load_catalog()
    cases = load_cases(EVAL)
    t0 = time.perf_counter()
    report = evaluate(cat, cases)  # also warms the index and the name lists
    warm_s = time.perf_counter() - t0

    times: list[float] = []
    for _ in range(args.repeat):
        for c in cases:
            t = time.perf_counter()
            answer_question(cat, c.q)
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p50 = statistics.median(times)
    p99 = percentile(times, 99)
    out = {
        **report.summary(),
        "latency_ms_p50": round(p50, 2),
        "latency_ms_p99": round(p99, 2),
        "latency_ms_max": round(times[-1], 2),
        "timed_calls": len(times),
        "first_pass_s": round(warm_s, 2),
        "knowledge_version": cat.version,
    }
    if args.json:
        print(json.dumps(out, indent=2))
        return
    for k, v in out.items():
        print(f"{k:20} {v}")
    for o in report.outcomes:
        if o.problems:
            flag = "CONFIDENT-WRONG " if o.confident_wrong else ""
            print(f"  {flag}{o.case.q[:70]!r}: {'; '.join(o.problems)}")


if __name__ == "__main__":
    main()
