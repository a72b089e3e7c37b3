"""Population screening figures (issue 17): orders screened per second end to end on a
generated export, against the floor of DuckDB reading the same files alone; peak memory;
Dask (2-worker LocalCluster) against the local process pool on the same input.

    .venv/bin/python bench/bench_screen.py --orders 100000 --dask-orders 20000

Each measurement runs in a fresh process (`medguide screen`, wall clock, peak RSS of the
process and of its largest worker from getrusage).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ORDERS_PER_PATIENT = 1.872  # what the generator gives on average (seed 17)
PY = sys.executable


def _run(code: str) -> dict[str, float]:
    out = subprocess.run([PY, "-c", code], capture_output=True, text=True)
    if out.returncode:
        sys.exit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _fresh(path: Path) -> str:
    """An empty output folder: a folder with a finished run would only be resumed."""
    shutil.rmtree(path, ignore_errors=True)
    return str(path)


SCREEN = """
import json, resource, time
from datetime import datetime
from pathlib import Path
from medguide.batch.run import ScreenOptions, screen
t = time.perf_counter()
run = screen(ScreenOptions(inputs=[Path({src!r})], out=Path({out!r}), now=datetime(2026, 12, 1),
             progress=False, workers={workers}, engine={engine!r}, scheduler={scheduler!r}))
wall = time.perf_counter() - t
me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({{"wall": wall, "orders": run.summary["medications_screened"],
                  "rss_main_mb": me, "rss_worker_mb": kids}}))
"""

FLOOR = """
import json, time, duckdb
t = time.perf_counter()
con = duckdb.connect()
n = con.execute(
    "SELECT count(*), count(DISTINCT json_extract_string(text, '$.subject.reference')) FROM "
    "read_csv({glob!r}, columns = {{'text': 'VARCHAR'}}, delim = chr(1), quote = '', "
    "escape = '', header = false, auto_detect = false)"
).fetchone()
line = time.perf_counter() - t
t = time.perf_counter()
m = con.execute("SELECT count(*) FROM read_ndjson_objects({glob!r})").fetchone()
objects = time.perf_counter() - t
print(json.dumps({{"lines": n[0], "line_reader_s": line, "read_ndjson_objects_s": objects}}))
"""

DASK = """
import json, time
from datetime import datetime
from pathlib import Path
from dask.distributed import LocalCluster
from medguide.batch.run import ScreenOptions, screen
with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                  dashboard_address=None) as cluster:
    t = time.perf_counter()
    run = screen(ScreenOptions(inputs=[Path({src!r})], out=Path({out!r}),
                 now=datetime(2026, 12, 1), progress=False, engine="dask",
                 scheduler=cluster.scheduler_address))
    wall = time.perf_counter() - t
print(json.dumps({{"wall": wall, "orders": run.summary["medications_screened"]}}))
"""


def _demo(root: Path, orders: int) -> Path:
    from medguide.batch.demo import make_demo

    d = root / f"demo-{orders}"
    if not (d / "Patient.000.ndjson").exists():
        make_demo(round(orders / ORDERS_PER_PATIENT), d, seed=17)
    return d


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, nargs="+", default=[100_000])
    ap.add_argument("--dask-orders", type=int, default=20_000)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    root = args.workdir or Path(tempfile.mkdtemp(prefix="bench-screen-"))
    for n in args.orders:
        src = _demo(root, n)
        floor = _run(FLOOR.format(glob=str(src / "*.ndjson")))
        r = _run(
            SCREEN.format(src=str(src), out=_fresh(root / f"out-{n}"), workers=2,
                          engine="local", scheduler=None)
        )  # fmt: skip
        print(
            f"{r['orders']:>9,} orders: local 2 workers {r['wall']:.1f} s = "
            f"{r['orders'] / r['wall']:,.0f} orders/s; peak RSS main {r['rss_main_mb']:.0f} MB, "
            f"largest worker {r['rss_worker_mb']:.0f} MB; floor (DuckDB reading the "
            f"{floor['lines']:,} lines alone) {floor['line_reader_s']:.2f} s = "
            f"{r['orders'] / floor['line_reader_s']:,.0f} orders/s, read_ndjson_objects "
            f"{floor['read_ndjson_objects_s']:.2f} s"
        )
    if args.dask_orders:
        src = _demo(root, args.dask_orders)
        loc = _run(
            SCREEN.format(src=str(src), out=_fresh(root / "out-dask-local"), workers=2,
                          engine="local", scheduler=None)
        )  # fmt: skip
        dsk = _run(DASK.format(src=str(src), out=_fresh(root / "out-dask")))
        print(
            f"{loc['orders']:>9,} orders: local 2 workers {loc['wall']:.1f} s "
            f"({loc['orders'] / loc['wall']:,.0f}/s); Dask LocalCluster 2 workers "
            f"{dsk['wall']:.1f} s ({dsk['orders'] / dsk['wall']:,.0f}/s)"
        )
    print(f"load average {Path('/proc/loadavg').read_text().split()[:3]}; data in {root}")


if __name__ == "__main__":
    main()
