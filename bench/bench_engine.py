"""Engine figures (issue 9): cold start against the import floor, and memory over a long run.

    .venv/bin/python bench/bench_engine.py            # both
    .venv/bin/python bench/bench_engine.py --cold     # cold `assess --json` / floor ratio
    .venv/bin/python bench/bench_engine.py --memory 200000

The cold figure is the ratio of `medguide assess --json case.json` to
`python -c "import pydantic, typer"` measured in the same run (the floor), so a noisy machine
moves both. Memory: RSS and the interaction memo's size after every 25,000 new assessments.
"""

from __future__ import annotations

import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
CASE = HERE / "cases" / "five_medications.json"


def _times(cmd: list[str], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        out.append((time.perf_counter() - t) * 1000)
    return out


def cold(runs: int = 20) -> None:
    exe = str(Path(sys.executable).with_name("medguide"))
    subprocess.run([exe, "assess", "--json", str(CASE)], capture_output=True, check=True)
    floor, cli = [], []
    for _ in range(runs):  # interleaved, so both see the same load
        floor += _times([sys.executable, "-c", "import pydantic, typer"], 1)
        cli += _times([exe, "assess", "--json", str(CASE)], 1)
    f, c = statistics.median(floor), statistics.median(cli)
    print(
        f"cold: floor median {f:.0f} ms, assess --json median {c:.0f} ms, "
        f"ratio {c / f:.2f} (target <= 2.0); min {min(cli):.0f} / {min(floor):.0f} ms"
    )


def memory(n: int = 200_000) -> None:
    from medguide import service
    from medguide.clinical.request import AssessRequest
    from medguide.knowledge.loader import load_catalog

    cat = load_catalog()
    drugs = ["baclofen", "oxycodone", "gabapentin", "lorazepam", "sertraline", "tizanidine",
             "lisinopril", "metoprolol", "ibuprofen", "zolpidem", "duloxetine", "tramadol",
             "morphine", "diazepam", "pregabalin", "amitriptyline", "clonazepam"]  # fmt: skip
    rng = random.Random(9)
    t0 = time.perf_counter()
    for i in range(1, n + 1):
        meds = [
            {"text": f"{rng.choice(drugs)} {rng.randint(1, 400)} mg {rng.choice(['tid', 'bid'])}"}
            for _ in range(rng.randint(2, 8))
        ]
        req = AssessRequest.model_validate(
            {"patient": {"age_years": rng.randint(18, 95)}, "medications": meds}
        )
        service.assess(cat, req)
        if i % 25_000 == 0:
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"{i:>7} assessments: peak RSS {rss:.0f} MiB, pair memo {len(cat.pair_memo)}, "
                f"derived indexes {len(cat._derived)}, {i / (time.perf_counter() - t0):.0f}/s",
                flush=True,
            )


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or "--cold" in args:
        cold()
    if not args or "--memory" in args:
        n = int(args[args.index("--memory") + 1]) if "--memory" in args else 200_000
        memory(n)
