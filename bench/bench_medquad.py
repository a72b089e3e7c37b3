"""Coverage of `medguide ask` on the MedQuAD MedlinePlus drug questions for the drugs
medguide covers (../shared/data/medquad-drug-questions, CC BY 4.0, questions only: the
answers were removed by the MedQuAD authors). Counts answers and declines, by question type,
and prints ten answers for a spot check (every 14th question, so the pick is fixed).

Run: .venv/bin/python bench/bench_medquad.py [--json] [--file CSV]
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import Counter
from pathlib import Path

from medguide.answers import answer_question
from medguide.knowledge.loader import load_catalog

DATA = (
    Path(__file__).resolve().parent.parent.parent
    / "shared"
    / "data"
    / "medquad-drug-questions"
    / "medquad_mplusdrugs_questions_target_drugs.csv"
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", type=Path, default=DATA)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not args.file.exists():
        raise SystemExit(f"not found: {args.file} (the shared data folder beside the repository)")
    cat = load_catalog()
    rows = list(csv.DictReader(args.file.open(encoding="utf-8")))
    status: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    by_type: dict[str, Counter[str]] = {}
    samples = []
    for i, row in enumerate(rows):
        a = answer_question(cat, row["question"])
        status[a.status] += 1
        by_type.setdefault(row["qtype"], Counter())[a.status] += 1
        if a.decline:
            reasons[a.decline.reason] += 1
        if i % 14 == 0 and len(samples) < 10:
            first = a.parts[0].text if a.parts else (a.decline.message if a.decline else "")
            samples.append(
                {
                    "q": row["question"],
                    "status": a.status,
                    "drug": a.drug,
                    "intents": list(a.intents),
                    "first": first[:160],
                    "sources": list(a.sources)[:6],
                }
            )
    out = {
        "questions": len(rows),
        "answered": status["answered"],
        "declined": status["declined"],
        "decline_reasons": dict(reasons),
        "by_type": {k: dict(v) for k, v in sorted(by_type.items())},
        "spot_check": samples,
    }
    if args.json:
        print(json.dumps(out, indent=2))
        return
    for k in ("questions", "answered", "declined", "decline_reasons"):
        print(f"{k:16} {out[k]}")
    for t, c in out["by_type"].items():  # type: ignore[union-attr]
        print(f"  {t:40} {dict(c)}")
    for s in samples:
        print(
            f"- {s['q']}\n  {s['status']} {s['drug']} {s['intents']}: {s['first']} {s['sources']}"
        )


if __name__ == "__main__":
    main()
