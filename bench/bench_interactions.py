"""Interaction figures (issue 4): screening a 10-medication list in process with the NDF-RT
layer loaded (target p99 <= 100 us), and catalog load with every monograph plus the pairwise
layer (target <= 300 ms).

Run: .venv/bin/python bench/bench_interactions.py   (results go in bench/README.md)

Three screening figures are reported:
- "repeat": the same 10-medication list again and again (pair results memoized, the usual
  case for a service that sees the same common drugs);
- "random, pairs known": a list of 10 not screened before (whole-list memo cleared), whose
  pairs have been seen (pair memo warm), the usual case once a process has run a while;
- "random, cold": both memos cleared before every screen (worst case, first screens of a
  process: every pair computed from the rules and the NDF-RT index).
"""

from __future__ import annotations

import random
import statistics
import time

from timing import percentile

TEN = [
    "baclofen",
    "oxycodone",
    "pregabalin",
    "tizanidine",
    "fluvoxamine",
    "sertraline",
    "zolpidem",
    "amitriptyline",
    "diazepam",
    "phenelzine",
]


def report(label: str, times_us: list[float], unit: str = "us") -> None:
    print(
        f"{label}: median {statistics.median(times_us):.1f} {unit}, "
        f"p99 {percentile(times_us, 99):.1f} {unit}, max {max(times_us):.1f} {unit} "
        f"({len(times_us)} runs)"
    )


def bench_load(runs: int = 20) -> list[float]:
    from medguide.knowledge.catalog import DATA_DIR, load_catalog_from
    from medguide.knowledge.interaction_index import interaction_index

    times = []
    for _ in range(runs):
        t = time.perf_counter()
        cat = load_catalog_from(DATA_DIR)
        interaction_index(cat)  # rules indexed and the NDF-RT table read and keyed
        times.append((time.perf_counter() - t) * 1000)
    return times


def bench_screen(runs: int = 20000) -> None:
    from medguide.clinical.interactions import ScreenItem, screen
    from medguide.knowledge.interaction_index import interaction_index
    from medguide.knowledge.loader import load_catalog

    cat = load_catalog()
    index = interaction_index(cat)
    ten = [n for n in TEN if n in cat.drugs]
    items = [ScreenItem(n, n, n) for n in ten]
    print(
        f"catalog: {len(cat.drugs)} drugs, {len(cat.interactions.rules)} rules, "
        f"{len(index.pairwise)} NDF-RT pairs; list: {len(items)} medications"
    )
    for _ in range(500):
        screen(cat, items)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        screen(cat, items)
        times.append((time.perf_counter() - t) * 1e6)
    report("screen 10, repeat", times)

    rng = random.Random(4)
    pool = [*sorted(cat.drugs), "warfarin", "acyclovir", "clarithromycin", "rifampicin"]
    lists = [
        [ScreenItem(n, n if n in cat.drugs else None, n) for n in rng.sample(pool, 10)]
        for _ in range(2000)
    ]
    for lst in lists:
        screen(cat, lst)
    times = []
    for i in range(runs // 4):
        lst = lists[i % len(lists)]
        index.results.clear()
        t = time.perf_counter()
        screen(cat, lst)
        times.append((time.perf_counter() - t) * 1e6)
    report("screen 10, random, pairs known", times)

    times = []
    for i in range(runs // 10):
        lst = lists[i % len(lists)]
        index.memo.clear()
        index.results.clear()
        t = time.perf_counter()
        screen(cat, lst)
        times.append((time.perf_counter() - t) * 1e6)
    report("screen 10, random, cold memo", times)


def bench_index(runs: int = 20) -> list[float]:
    from medguide.knowledge.interaction_index import build_index
    from medguide.knowledge.loader import load_catalog

    cat = load_catalog()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        build_index(cat)
        times.append((time.perf_counter() - t) * 1000)
    return times


def main() -> None:
    report("catalog load + interaction index (NDF-RT)", bench_load(), "ms")
    report("interaction index alone (rules + NDF-RT read and keyed)", bench_index(), "ms")
    bench_screen()


if __name__ == "__main__":
    main()
