"""Score `medguide ask` on the blind question set (tests/eval/blind/questions.yaml) and on
the in-repo set, and measure what each retrieval layer adds on the blind set.

Variants: the full answerer; without the consumer vocabulary's synonyms and question kinds
(BM25 over the knowledge's own words only; fillers and the Spanish glossary kept); and with
the optional semantic re-ranking when the `semantic` extra is installed. Also latency per
question (p50, p99) and the first question of a fresh process.

Run: .venv/bin/python bench/bench_blind.py [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from timing import percentile

from medguide.answers import answer_question
from medguide.answers.evaluate import evaluate, evaluate_blind, load_blind, load_cases
from medguide.answers.semantic import available
from medguide.knowledge.consumer_words import ConsumerWords, consumer_vocabulary
from medguide.knowledge.loader import load_catalog

ROOT = Path(__file__).resolve().parent.parent
BLIND = ROOT / "tests" / "eval" / "blind" / "questions.yaml"
IN_REPO = ROOT / "tests" / "eval" / "questions.yaml"


def _blind(cat: Any, **kw: Any) -> dict[str, Any]:
    s = evaluate_blind(cat, load_blind(BLIND), **kw).summary()
    return {k: s[k] for k in ("passed", "pass_rate", "unsafe", "answerable_declined")}


def _without_synonyms(cat: Any) -> ConsumerWords:
    full = consumer_vocabulary(cat)
    return ConsumerWords(full.fillers, full.not_medicines, full.spellings, (), (), full.spanish)


def _first_question_ms() -> dict[str, float]:
    """A fresh process: imports, the catalog (from its cache) and the first question, timed
    apart; bytecode caching on, as on a normal install."""
    code = (
        "import time; t0=time.perf_counter();"
        "from medguide.knowledge.loader import load_catalog;"
        "from medguide.answers import answer_question;"
        "t1=time.perf_counter(); c=load_catalog(); t2=time.perf_counter();"
        "answer_question(c, 'my 2 year old got into my baclofen'); t3=time.perf_counter();"
        "print((t1-t0)*1000, (t2-t1)*1000, (t3-t2)*1000)"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    runs = []
    for _ in range(7):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        runs.append([float(x) for x in out.stdout.split()])
    runs = runs[1:]  # the first run may write the bytecode
    return {
        "imports": round(statistics.median(r[0] for r in runs), 1),
        "catalog": round(statistics.median(r[1] for r in runs), 1),
        "first_question": round(statistics.median(r[2] for r in runs), 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    cat = load_catalog()
    out: dict[str, Any] = {"blind": _blind(cat)}
    full = consumer_vocabulary(cat)
    cat._derived["consumer_words"] = _without_synonyms(cat)  # BM25 on the knowledge's words
    out["blind_without_synonyms"] = _blind(cat)
    cat._derived["consumer_words"] = full
    if available():
        out["blind_semantic"] = _blind(cat, semantic=True)
        cat._derived["consumer_words"] = _without_synonyms(cat)
        out["blind_semantic_without_synonyms"] = _blind(cat, semantic=True)
        cat._derived["consumer_words"] = full
    else:
        out["blind_semantic"] = "the `semantic` extra is not installed"
    out["in_repo"] = evaluate(cat, load_cases(IN_REPO)).summary()

    qs = [c.q for c in load_blind(BLIND)] + [c.q for c in load_cases(IN_REPO)]
    times: list[float] = []
    for _ in range(args.repeat):
        for q in qs:
            t = time.perf_counter()
            answer_question(cat, q)
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    out["latency_ms"] = {
        "p50": round(statistics.median(times), 2),
        "p99": round(percentile(times, 99), 2),
        "max": round(times[-1], 2),
        "calls": len(times),
    }
    out["fresh_process_ms"] = _first_question_ms()
    out["knowledge_version"] = cat.version
    if args.json:
        print(json.dumps(out, indent=2))
        return
    for k, v in out.items():
        print(f"{k:34} {v}")


if __name__ == "__main__":
    main()
