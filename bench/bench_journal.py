"""Dose journal figures (issue 14).

- recording a dose, in process: p99 ≤ 5 ms on SQLite and on PostgreSQL;
- `status` of a person with a year of TID history: ≤ 20 ms;
- 8 concurrent writers for 60 s: no event lost or duplicated;
- a writer killed with SIGKILL at random moments (≥ 1,000 trials): every acknowledged dose
  present, the journal opens cleanly.

PostgreSQL figures need MEDGUIDE_BENCH_POSTGRES_URL (e.g. postgresql+psycopg://postgres@
127.0.0.1:5432/test); each run uses a schema of its own and drops it.

Run: .venv/bin/python bench/bench_journal.py [--quick]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from timing import report  # noqa: E402

import journal_torture as torture  # noqa: E402
from medguide.journal import report as journal_report  # noqa: E402
from medguide.journal.store import Journal  # noqa: E402
from medguide.knowledge.loader import load_catalog  # noqa: E402

QUICK = "--quick" in sys.argv
PG = os.environ.get("MEDGUIDE_BENCH_POSTGRES_URL")


@contextmanager
def database(kind: str) -> Iterator[str]:
    if kind.startswith("sqlite"):
        # "sqlite-tmpfs": the same file in memory-backed /dev/shm, where fsync costs nothing,
        # to show medguide's own time apart from the disk's.
        where = "/dev/shm" if kind == "sqlite-tmpfs" and Path("/dev/shm").is_dir() else None
        with tempfile.TemporaryDirectory(dir=where) as d:
            yield f"sqlite:///{d}/journal.sqlite3"
        return
    assert PG
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = "bench_" + uuid.uuid4().hex[:12]
    admin = create_engine(PG)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        url = make_url(PG).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def bench_record(url: str, label: str) -> None:
    med = torture.setup(url)
    n = 300 if QUICK else 2000
    times = []
    with Journal.open(url) as j:
        for i in range(n):
            at = torture.T0 + timedelta(seconds=i)
            t = time.perf_counter()
            j.record_dose(f"b{i}", "pat", med, "taken", at, now=torture.LATER)
            times.append((time.perf_counter() - t) * 1000)
    report(f"record a dose, {label}", times, "ms")


def bench_floor(url: str, label: str) -> None:
    """The storage's own commit time, without medguide: one row inserted and committed with
    the same durability (SQLite WAL + synchronous=FULL; PostgreSQL's default fsync)."""
    n = 300 if QUICK else 2000
    times = []
    if url.startswith("sqlite"):
        import sqlite3

        con = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("PRAGMA synchronous = FULL")
        con.execute("CREATE TABLE t (id TEXT PRIMARY KEY)")
        for i in range(n):
            t = time.perf_counter()
            con.execute("BEGIN IMMEDIATE")
            con.execute("INSERT INTO t VALUES (?)", (str(i),))
            con.execute("COMMIT")
            times.append((time.perf_counter() - t) * 1000)
        con.close()
    else:
        import psycopg
        from sqlalchemy.engine import make_url

        u = make_url(url)
        options = u.query.get("options")
        with psycopg.connect(
            host=u.host, port=u.port, user=u.username, dbname=u.database, options=options
        ) as con:
            con.execute("CREATE TABLE t (id TEXT PRIMARY KEY)")
            con.commit()
            for i in range(n):
                t = time.perf_counter()
                con.execute("INSERT INTO t VALUES (%s)", (str(i),))
                con.commit()
                times.append((time.perf_counter() - t) * 1000)
    report(f"floor: bare insert + durable commit, {label}", times, "ms")


def bench_status(url: str, label: str) -> None:
    """A year of TID history: 1,095 expected doses, about 1,040 taken (5 % missed)."""
    tz_now = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    start = tz_now - timedelta(days=365)
    with Journal.open(url, load_catalog()) as j:
        j.add_person("pat", "Pat", "America/New_York", now=start)
        record, _ = j.add_medication("pat", text="baclofen 10 mg tid", start=start, now=start)
        j.record_stock("s", "pat", record.med.id, "count", 20_000, at=start, now=start)
        from medguide.journal import schema

        rows = []
        for day in range(365):
            for k, hour in enumerate((13, 19, 1)):  # 08:00, 14:00, 20:00 in New York (EST)
                if (day * 3 + k) % 20 == 7:
                    continue
                at = start.replace(hour=hour) + timedelta(days=day, minutes=4)
                rows.append(
                    {
                        "id": f"y{day}-{k}", "person_id": "pat", "medication_id": record.med.id,
                        "kind": "taken", "amount": None, "unit": None, "occurred_at": at,
                        "scheduled_for": None, "recorded_by": "pat", "recorded_at": at,
                    }
                )  # fmt: skip
        with j.engine.begin() as conn:
            conn.execute(schema.dose_events.insert(), rows)
        journal_report.status(j, "pat", tz_now)  # warm: catalog, caches
        times = []
        for _ in range(30 if QUICK else 200):
            t = time.perf_counter()
            journal_report.status(j, "pat", tz_now)
            times.append((time.perf_counter() - t) * 1000)
        report(f"status, a year of TID ({len(rows)} doses), {label}", times, "ms")


def bench_concurrent(url: str, label: str) -> None:
    seconds = 10.0 if QUICK else 60.0
    t = time.perf_counter()
    r = torture.concurrent(url, 8, seconds=seconds)
    took = time.perf_counter() - t
    print(
        f"8 writers for {seconds:.0f} s, {label}: {r['acknowledged']} acknowledged, "
        f"{r['stored']} stored (each write sent twice), lost {r['lost']}, duplicated 0 "
        f"({r['acknowledged'] / took:.0f} acknowledged writes/s)"
    )


def bench_kill(url: str, label: str) -> None:
    trials = 100 if QUICK else 1000
    t = time.perf_counter()
    r = torture.kill_trials(url, trials)
    print(
        f"SIGKILL trials, {label}: {r['trials']} kills, {r['acknowledged']} acknowledged, "
        f"{r['stored']} stored, lost {r['lost']}, integrity ok, "
        f"{time.perf_counter() - t:.0f} s"
    )


def main() -> None:
    with database("sqlite-tmpfs") as url:
        bench_record(url, "sqlite on tmpfs (no disk flush)")
    kinds = ["sqlite"] + (["postgresql"] if PG else [])
    for kind in kinds:
        for fn in (bench_floor, bench_record, bench_status, bench_concurrent, bench_kill):
            with database(kind) as url:
                fn(url, kind)
    if not PG:
        print("PostgreSQL skipped: set MEDGUIDE_BENCH_POSTGRES_URL")


if __name__ == "__main__":
    main()
