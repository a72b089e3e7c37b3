"""Interaction figures (issue 4): screening a 10-medication list in process with the NDF-RT
layer loaded (target p99 <= 100 us), and catalog load with every monograph plus the pairwise
layer (target <= 300 ms).

Run: .venv/bin/python bench/bench_interactions.py   (results go in bench/README.md)

Three screening figures are reported (only pairs are memoized, in a bounded memo on the
catalog; whole lists never are):
- "repeat": the same 10-medication list again and again (its pairs in the memo);
- "random, pairs known": lists of 10 whose pairs have been seen (pair memo warm), the usual
  case once a process has run a while;
- "random, cold": the pair memo cleared before every screen (worst case, first screens of a
  process: every pair computed from the rules and the NDF-RT index).

Then the memory figure: 150,000 new random lists through one process; the pair memo's size
and the process's peak RSS growth are printed (the memo is bounded by PAIR_MEMO_LIMIT).
"""

from __future__ import annotations

import random
import statistics
import sys
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
        t = time.perf_counter()
        screen(cat, lst)
        times.append((time.perf_counter() - t) * 1e6)
    report("screen 10, random, pairs known", times)

    times = []
    for i in range(runs // 10):
        lst = lists[i % len(lists)]
        cat.pair_memo.clear()
        t = time.perf_counter()
        screen(cat, lst)
        times.append((time.perf_counter() - t) * 1e6)
    report("screen 10, random, cold memo", times)


def bench_memory(lists: int = 150_000) -> None:
    import resource

    from medguide.clinical.interactions import ScreenItem, screen
    from medguide.knowledge.loader import load_catalog

    cat = load_catalog()
    # monographs and class entries: a pair space far larger than the memo bound
    pool = [
        *sorted(cat.drugs),
        *sorted(k for k, e in cat.class_entries.items() if not e.ingredients),
    ]
    rng = random.Random(11)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_memo = 0
    t = time.perf_counter()
    for _ in range(lists):
        names = rng.sample(pool, 10)
        screen(cat, [ScreenItem(n, n if n in cat.drugs else None, n) for n in names])
        peak_memo = max(peak_memo, len(cat.pair_memo))
    took = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{lists} new lists of 10 from {len(pool)} ingredients: pair memo at most "
        f"{peak_memo} entries (limit {cat.pair_memo.limit}), "
        f"peak RSS {before:.0f} -> {after:.0f} MiB, "
        f"{took / lists * 1e6:.0f} us a list"
    )


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
    if sys.argv[1:] == ["--memory"]:
        bench_memory()
        return
    report("catalog load + interaction index (NDF-RT)", bench_load(), "ms")
    report("interaction index alone (rules + NDF-RT read and keyed)", bench_index(), "ms")
    bench_screen()
    bench_memory()


if __name__ == "__main__":
    main()
