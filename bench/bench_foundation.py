"""Foundation figures (issue 2): catalog load, in-process assess, cold `medguide assess`.

Run: .venv/bin/python bench/bench_foundation.py   (results go in bench/README.md)
"""

from __future__ import annotations

import json
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from timing import percentile

HERE = Path(__file__).parent
CASE = HERE / "cases" / "five_medications.json"


def bench_catalog_load(runs: int = 30) -> list[float]:
    from medguide.knowledge.catalog import DATA_DIR, load_catalog_from

    times = []
    for _ in range(runs):
        t = time.perf_counter()
        load_catalog_from(DATA_DIR)
        times.append((time.perf_counter() - t) * 1000)
    return times


def bench_cached_load(runs: int = 30) -> list[float]:
    """What a process pays when the validated catalog is in the cache: hash the files,
    unpickle, attach the interaction index."""
    import os
    import tempfile

    from medguide.knowledge import catalog as catalog_module
    from medguide.knowledge import loader

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MEDGUIDE_CACHE_DIR"] = tmp
        os.environ.pop("MEDGUIDE_NO_CACHE", None)
        loader.store(catalog_module.load_catalog_from(catalog_module.DATA_DIR))
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            version = catalog_module.compute_version()
            assert loader.load(version) is not None
            times.append((time.perf_counter() - t) * 1000)
    return times


def bench_assess(runs: int = 5000) -> list[float]:
    from medguide.clinical.assess import assess
    from medguide.clinical.request import AssessRequest
    from medguide.knowledge.loader import load_catalog

    cat = load_catalog()
    request = AssessRequest.model_validate(json.loads(CASE.read_text()))
    for _ in range(200):  # warm caches (name index, vocabulary, regexes)
        assess(cat, request)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        assess(cat, request)
        times.append((time.perf_counter() - t) * 1000)
    return times


FLOOR = f"{sys.executable} -c 'import typer, pydantic; pydantic.BaseModel'"


def bench_cold_cli(cmd: str | None = None, runs: int = 20) -> str:
    exe = Path(sys.executable).with_name("medguide")
    cmd = cmd or f"{exe} assess --json {CASE}"
    if shutil.which("hyperfine"):
        import tempfile

        with tempfile.NamedTemporaryFile(suffix=".json") as tmp:
            subprocess.run(
                [
                    "hyperfine",
                    "-N",
                    "--warmup",
                    "3",
                    "--runs",
                    str(runs),
                    "--export-json",
                    tmp.name,
                    "--style",
                    "none",
                    cmd,
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            res = json.loads(Path(tmp.name).read_text())["results"][0]
        return (
            f"hyperfine: mean {res['mean'] * 1000:.0f} ms, median "
            f"{res['median'] * 1000:.0f} ms, min {res['min'] * 1000:.0f} ms ({runs} runs)"
        )
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(shlex.split(cmd), capture_output=True, check=True)
        times.append((time.perf_counter() - t) * 1000)
    return f"perf_counter: median {statistics.median(times):.0f} ms ({runs} runs)"


def main() -> None:
    load = bench_catalog_load()
    print(
        f"catalog load, validated from the files: median {statistics.median(load):.1f} ms, "
        f"max {max(load):.1f} ms (target <= 150 ms)"
    )
    cached = bench_cached_load()
    print(
        f"catalog load, from the cache: median {statistics.median(cached):.1f} ms, "
        f"max {max(cached):.1f} ms"
    )
    a = bench_assess()
    print(
        f"assess, five medications: median {statistics.median(a):.3f} ms, "
        f"p99 {percentile(a, 99):.3f} ms (targets <= 0.5 / <= 2 ms)"
    )
    print(f"cold `medguide assess case.json`: {bench_cold_cli()} (target <= 400 ms)")
    print(f"floor, `python -c 'import typer, pydantic'`: {bench_cold_cli(FLOOR)}")


if __name__ == "__main__":
    main()
