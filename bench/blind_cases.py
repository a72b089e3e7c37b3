"""Score `assess` on the blind clinical cases (tests/eval/blind/cases/cases.yaml).

.venv/bin/python bench/blind_cases.py          # summary
.venv/bin/python bench/blind_cases.py -v       # every failing case with its problems
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

from medguide.evaluation import evaluate_cases
from medguide.knowledge.loader import load_catalog

CASES = Path(__file__).parent.parent / "tests" / "eval" / "blind" / "cases" / "cases.yaml"


def main() -> None:
    cases = yaml.safe_load(CASES.read_text(encoding="utf-8"))["cases"]
    report = evaluate_cases(load_catalog(), cases)
    if "-v" in sys.argv:
        for o in report.outcomes:
            if not o.passed:
                mark = "UNSAFE " if o.unsafe else ""
                print(f"{mark}{o.id}: {'; '.join(o.problems)}")
    print(json.dumps(report.summary(), indent=2))


if __name__ == "__main__":
    main()
