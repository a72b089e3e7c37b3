"""One screening run: read, partition by patient, assess each partition on an engine, write.

Output folder:

- `findings.parquet`, `findings.csv`: one row per finding (patient, code, severity, drugs,
  message, age band, kidney stage, knowledge version);
- `summary.json`: counts by finding and severity, patients affected, what could not be
  checked and why, skipped input by kind; `not_counted` groups per drug the orders with no
  frequency (one `ambiguous_order` row each in the findings files), and `to_review` counts
  the other findings; `age_not_known` says for how many patients the age could not be read
  and why;
- `manifest.json`: the input's fingerprint, the partitions, those completed (for resuming);
- `parts/`: one Parquet file and one JSON tally per completed partition.

Every file is written under a temporary name and moved into place with `os.replace`, so an
interrupted run (Ctrl-C, SIGKILL) never leaves half a file; rerun the same command and the
completed partitions are kept.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from medguide.batch.inputs import Skipped
from medguide.batch.work import FINDING_COLUMNS, PartitionResult

SEVERITY_ORDER = ("critical", "high", "moderate", "low", "info")


@dataclass
class ScreenOptions:
    inputs: list[Path]
    out: Path
    now: datetime
    engine: str = "local"
    scheduler: str | None = None
    workers: int | None = None
    batch_patients: int = 2000
    columns: dict[str, str] | None = None  # tabular input: column mapping
    patients_file: Path | None = None
    progress: bool = True
    memory_limit: str = "1GB"  # DuckDB's, for reading and joining


@dataclass
class ScreenRun:
    summary: dict[str, Any]
    skipped: Skipped = field(default_factory=Skipped)


def write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Write through `write(tmp)` to a temporary name beside `path`, then move it in place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text_atomic(path: Path, text: str) -> None:
    def w(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())

    write_atomic(path, w)


def _write_part(parts: Path, result: PartitionResult) -> None:
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    columns = list(zip(*result.rows, strict=True)) if result.rows else [()] * len(FINDING_COLUMNS)
    table = pa.table(
        {
            name: pa.array(list(col), type=pa.string())
            for name, col in zip(FINDING_COLUMNS, columns, strict=True)
        }
    )
    write_atomic(parts / f"part-{result.partition:05d}.parquet", lambda t: pq.write_table(table, t))
    write_text_atomic(parts / f"part-{result.partition:05d}.json", json.dumps(result.as_dict()))


def _is_tabular(inputs: list[Path]) -> bool:
    return any(p.is_file() and p.name.endswith((".csv", ".csv.gz", ".parquet")) for p in inputs)


def screen(opts: ScreenOptions) -> ScreenRun:
    """Run (or resume) a screening of `opts.inputs` into `opts.out`."""
    import duckdb

    from medguide.batch import inputs as inp

    out = opts.out
    parts_dir = out / "parts"
    parts_dir.mkdir(parents=True, exist_ok=True)
    skipped = Skipped()
    not_used: dict[str, int] = {}
    # The joins live in a database file in the output folder (removed at the end), so DuckDB
    # can move what does not fit its memory limit to disk: memory stays flat with the input.
    db_path = out / ".screen.duckdb"
    for stale_db in (db_path, db_path.with_name(db_path.name + ".wal")):
        stale_db.unlink(missing_ok=True)
    con = duckdb.connect(str(db_path))
    con.execute(f"SET memory_limit = '{opts.memory_limit}'")
    con.execute(f"SET temp_directory = '{out / '.screen.tmp'}'")
    con.execute("SET preserve_insertion_order = true")
    tabular = _is_tabular(opts.inputs)
    if tabular:
        files = list(opts.inputs)
        columns = opts.columns or dict(inp.MIMIC_COLUMNS)
        for path in files:  # one table at a time; several would be unioned
            inp.load_table(con, path, columns, skipped, opts.patients_file)
        n_parts = inp.partition_table(con, opts.batch_patients)
        no_meds = 0
        items_of: Callable[[int], list[Any]] = lambda part: inp.table_items(con, part)  # noqa: E731
    else:
        files = inp.ndjson_files(opts.inputs)
        not_used = inp.load_ndjson(con, files, skipped)
        n_parts = inp.partition_ndjson(con, opts.batch_patients)
        no_meds = inp.patients_without_medicines(con)
        inp.drop_ndjson(con)
        items_of = lambda part: inp.partition_items(con, part)  # noqa: E731

    fp = inp.fingerprint(
        files, {"now": opts.now.isoformat(), "batch": opts.batch_patients, "cols": opts.columns}
    )
    manifest_path = out / "manifest.json"
    done: set[int] = set()
    if manifest_path.exists():
        old = json.loads(manifest_path.read_text(encoding="utf-8"))
        if old.get("fingerprint") == fp and old.get("partitions") == n_parts:
            done = {
                p
                for p in old.get("completed", [])
                if (parts_dir / f"part-{p:05d}.parquet").exists()
                and (parts_dir / f"part-{p:05d}.json").exists()
            }
    if not done:
        for stale in parts_dir.glob("part-*"):
            stale.unlink()
    manifest: dict[str, Any] = {
        "fingerprint": fp,
        "partitions": n_parts,
        "completed": sorted(done),
        "inputs": [str(f) for f in files],
        "now": opts.now.isoformat(),
    }
    write_text_atomic(manifest_path, json.dumps(manifest, indent=1))
    todo = [p for p in range(n_parts) if p not in done]
    total_meds = _count_meds(con, tabular)

    def finished(result: PartitionResult) -> None:
        _write_part(parts_dir, result)
        done.add(result.partition)
        manifest["completed"] = sorted(done)
        write_text_atomic(manifest_path, json.dumps(manifest, indent=1))

    now_iso = opts.now.isoformat()
    runner = _run_dask if opts.engine == "dask" else _run_local
    with _Progress(opts.progress and sys.stderr.isatty(), total_meds, n_parts, len(done)) as bar:
        for result in runner(opts, todo, items_of, now_iso):
            finished(result)
            bar.advance(result.medications)
    con.close()
    for db_file in (db_path, db_path.with_name(db_path.name + ".wal")):
        db_file.unlink(missing_ok=True)
    shutil.rmtree(out / ".screen.tmp", ignore_errors=True)
    summary = _combine(out, parts_dir, n_parts, skipped, not_used, no_meds, tabular)
    return ScreenRun(summary=summary, skipped=skipped)


def _count_meds(con: Any, tabular: bool) -> int:
    if tabular:
        row = con.execute("SELECT count(*) FROM tab").fetchone()
    else:
        row = con.execute("SELECT coalesce(sum(meds), 0) FROM pmeds").fetchone()
    return int(row[0]) if row else 0


def _run_local(
    opts: ScreenOptions, todo: list[int], items_of: Callable[[int], list[Any]], now_iso: str
) -> Iterator[PartitionResult]:
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

    from medguide.batch.work import init_worker, screen_partition

    if not todo:
        return
    workers = opts.workers or max(1, min(len(todo), os.cpu_count() or 1))
    if workers == 1 or len(todo) == 1:
        init_worker()
        for part in todo:
            yield screen_partition(part, items_of(part), now_iso)
        return
    import multiprocessing

    # forkserver: a worker does not inherit the reading process's memory (DuckDB's buffers)
    ctx = multiprocessing.get_context("forkserver")
    pool = ProcessPoolExecutor(max_workers=workers, initializer=init_worker, mp_context=ctx)
    try:
        pending: set[Future[PartitionResult]] = set()
        queue = list(todo)
        while queue or pending:
            while queue and len(pending) < workers * 2:  # bounded: memory stays flat
                part = queue.pop(0)
                pending.add(pool.submit(screen_partition, part, items_of(part), now_iso))
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                yield fut.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_dask(
    opts: ScreenOptions, todo: list[int], items_of: Callable[[int], list[Any]], now_iso: str
) -> Iterator[PartitionResult]:
    from dask.distributed import Client, as_completed

    from medguide.batch.work import screen_partition

    if not todo:
        return
    if not opts.scheduler:
        raise ValueError("--engine dask needs --scheduler tcp://HOST:PORT")
    with Client(opts.scheduler) as client:  # type: ignore[no-untyped-call]
        futures = [
            client.submit(screen_partition, part, items_of(part), now_iso, pure=False)
            for part in todo
        ]
        for fut in as_completed(futures):  # type: ignore[no-untyped-call]
            yield fut.result()


class _Progress:
    """A rich progress bar on stderr with medication orders per second, or nothing."""

    def __init__(self, show: bool, total: int, parts: int, done_parts: int) -> None:
        self.show = show
        self.total = total
        self.progress: Any = None
        self.task: Any = None

    def __enter__(self) -> _Progress:
        if self.show:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self.progress = Progress(
                TextColumn("screening"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]} orders/s"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
            )
            self.progress.start()
            self.task = self.progress.add_task("screen", total=self.total, rate="-")
        return self

    def advance(self, n: int) -> None:
        if self.progress is not None:
            self.progress.advance(self.task, n)
            speed = self.progress.tasks[0].speed
            self.progress.update(self.task, rate=f"{speed:,.0f}" if speed else "-")

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()


def _combine(
    out: Path,
    parts_dir: Path,
    n_parts: int,
    skipped: Skipped,
    not_used: dict[str, int],
    no_meds: int,
    tabular: bool,
) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect()
    glob = str(parts_dir / "part-*.parquet")
    con.execute(
        f"CREATE TABLE f AS SELECT * FROM read_parquet('{glob}') ORDER BY patient, code, "
        "drugs, severity, message"
    )
    pq_path = out / "findings.parquet"
    csv_path = out / "findings.csv"
    write_atomic(pq_path, lambda t: con.execute(f"COPY f TO '{t}' (FORMAT parquet)"))
    write_atomic(csv_path, lambda t: con.execute(f"COPY f TO '{t}' (FORMAT csv, HEADER)"))
    by_code, by_severity = _tally(con, "code", "TRUE"), _tally(con, "severity", "TRUE")
    row = con.execute("SELECT count(DISTINCT patient) FROM f").fetchone()
    affected = int(row[0]) if row else 0
    not_counted, to_review = _grouped(con)
    tallies = Counter[str]()
    not_checked: Counter[str] = Counter()
    not_checked_patients: Counter[str] = Counter()
    for p in range(n_parts):
        t = json.loads((parts_dir / f"part-{p:05d}.json").read_text(encoding="utf-8"))
        for k in ("patients", "medications", "assessed", "not_assessed"):
            tallies[k] += int(t[k])
        not_checked.update(t["not_checked"])
        not_checked_patients.update(t["not_checked_patients"])
    con.close()
    summary: dict[str, Any] = {
        "input": "tabular" if tabular else "fhir-ndjson",
        "patients_screened": tallies["patients"],
        "patients_without_active_medicines": no_meds,
        "medications_screened": tallies["medications"],
        "distinct_requests_assessed": tallies["assessed"],
        "patients_not_assessed": tallies["not_assessed"],
        "patients_with_findings": affected,
        "findings": sum(v["findings"] for v in by_code.values()),
        "by_code": by_code,
        "by_severity": {s: by_severity[s] for s in SEVERITY_ORDER if s in by_severity},
        "not_counted": not_counted,
        "to_review": to_review,
        "not_checked": [
            {"reason": r, "times": n, "patients": not_checked_patients.get(r, 0)}
            for r, n in not_checked.most_common(25)
        ],
        "age_not_known": [
            {"reason": r.removeprefix("input: "), "patients": n}
            for r, n in sorted(not_checked_patients.items())
            if r.startswith("input: age not known")
        ],
        "not_used": not_used,
        "skipped": skipped.as_dict(),
        "skipped_total": skipped.total,
    }
    write_text_atomic(out / "summary.json", json.dumps(summary, indent=1))
    return summary


# An order with no frequency cannot be counted into a daily total: the assessment says so
# with an `ambiguous_order` (high) finding per order. In a population (MIMIC lists most
# orders without one) those rows would bury every other finding, so the summary and the
# report group them per drug under "could not be checked"; the findings files keep each row.
NO_FREQUENCY_SQL = (
    "code = 'ambiguous_order' AND message LIKE "
    "'%) cannot be read with confidence: no frequency (how often). It was not guessed;%'"
)


def _tally(con: Any, column: str, where: str) -> dict[str, dict[str, int]]:
    """Findings and patients by `column` (most findings first, then by name: a stable
    order in summary.json)."""
    return {
        key: {"findings": n, "patients": p}
        for key, n, p in con.execute(
            f"SELECT {column}, count(*), count(DISTINCT patient) FROM f WHERE {where} "
            f"GROUP BY {column} ORDER BY count(*) DESC, {column}"
        ).fetchall()
    }


def _grouped(con: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the orders with no frequency, per drug; the counts of the other findings)."""
    row = con.execute(
        f"SELECT count(*), count(DISTINCT patient) FROM f WHERE {NO_FREQUENCY_SQL}"
    ).fetchone()
    by_drug = [
        {"drug": drug or "(medicine not recognised)", "orders": n, "patients": p}
        for drug, n, p in con.execute(
            f"SELECT drugs, count(*), count(DISTINCT patient) FROM f WHERE {NO_FREQUENCY_SQL} "
            "GROUP BY drugs ORDER BY count(*) DESC, drugs"
        ).fetchall()
    ]
    not_counted = {
        "reason": "no frequency (how often), so the order could not be counted",
        "finding": "ambiguous_order",
        "orders": int(row[0]) if row else 0,
        "patients": int(row[1]) if row else 0,
        "by_drug": by_drug,
    }
    rest = f"NOT ({NO_FREQUENCY_SQL})"
    by_code, by_severity = _tally(con, "code", rest), _tally(con, "severity", rest)
    row = con.execute(f"SELECT count(*), count(DISTINCT patient) FROM f WHERE {rest}").fetchone()
    to_review = {
        "findings": int(row[0]) if row else 0,
        "patients": int(row[1]) if row else 0,
        "by_code": by_code,
        "by_severity": {s: by_severity[s] for s in SEVERITY_ORDER if s in by_severity},
    }
    return not_counted, to_review
