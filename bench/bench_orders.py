"""Name resolution + order reading for a five-medication request, in process.

Target (issue 2): resolve + parse of five medications well under 0.2 ms in total, warm.
Run: .venv/bin/python bench/bench_orders.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import time

from timing import percentile

from medguide.clinical.orders import _read_text, parse_medication
from medguide.clinical.request import Medication
from medguide.knowledge.loader import load_catalog
from medguide.knowledge.names import resolve_name

MEDICATIONS = (
    Medication(text="Lioresal 10 mg tid"),
    Medication(text="Lyvispah 10 mg three times a day"),
    Medication(text="Ozobax DS 15 mL QID"),
    Medication(text="baclofen 100 mg intrathecal bolus"),
    Medication(text="baclofene 5mg tds"),
)
NAMES = ("baclofen", "Ozobax DS", "Baclo-fen", "baclofin", "warfarin")


def _time(fn: object, rounds: int) -> list[float]:
    assert callable(fn)
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - t0) / 1e3)
    return samples


def _report(label: str, samples: list[float]) -> None:
    p99 = percentile(samples, 99)
    print(f"{label:44} median {statistics.median(samples):7.1f} µs   p99 {p99:7.1f} µs")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5000)
    rounds = parser.parse_args().rounds
    catalog = load_catalog()

    t0 = time.perf_counter()
    resolve_name(catalog, "warfarin")  # loads and indexes the public name lists
    print(f"first vocabulary lookup (load + index): {(time.perf_counter() - t0) * 1e3:.0f} ms")

    def parse_five() -> None:
        for i, med in enumerate(MEDICATIONS):
            parse_medication(catalog, med, i)

    def parse_five_uncached() -> None:
        _read_text.cache_clear()  # every text read afresh, as in a request never seen before
        for i, med in enumerate(MEDICATIONS):
            parse_medication(catalog, med, i)

    def resolve_five() -> None:
        for name in NAMES:
            resolve_name(catalog, name)

    def resolve_exact_five() -> None:
        for name in NAMES[:3]:
            resolve_name(catalog, name)
        resolve_name(catalog, "Lioresal")
        resolve_name(catalog, "Gablofen")

    for fn in (parse_five, parse_five_uncached, resolve_five, resolve_exact_five):
        _time(fn, 200)  # warm-up
    _report("parse_medication x5, texts seen before", _time(parse_five, rounds))
    _report("parse_medication x5, texts never seen", _time(parse_five_uncached, rounds))
    _report("resolve_name x5 (exact, fuzzy, vocabulary)", _time(resolve_five, rounds))
    _report("resolve_name x5 (exact hits only)", _time(resolve_exact_five, rounds))


if __name__ == "__main__":
    main()
