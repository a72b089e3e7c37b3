"""Crash and concurrency harness for the journal, shared by the tests and bench/bench_journal.py.

Writers are forked children that record doses and acknowledge each one on a pipe only
after the write returned (the commit is durable). The parent kills a writer with SIGKILL at
a random moment, then checks that every acknowledged dose is in the journal and that the
journal still opens cleanly.
"""

from __future__ import annotations

import os
import random
import select
import signal
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

T0 = datetime(2026, 1, 1, tzinfo=UTC)
LATER = datetime(2030, 1, 1, tzinfo=UTC)


def setup(url: str) -> str:
    """A person with baclofen TID; returns the medication id."""
    from medguide.journal.store import Journal

    with Journal.open(url) as j:
        j.add_person("pat", "Pat", "UTC", now=T0)
        record, _ = j.add_medication(
            "pat", drug="baclofen", dose=10, unit="mg", frequency="tid", start=T0, now=T0
        )
        return record.med.id


def _child(
    url: str, med: str, prefix: str, start: int, count: int | None, fd: int, retry: bool
) -> None:
    code = 0
    try:
        from medguide.journal.store import Journal

        j = Journal.open(url)
        os.write(fd, b"@ready\n")
        i = start
        while count is None or i < start + count:
            eid = f"{prefix}{i}"
            at = T0 + timedelta(seconds=i)
            j.record_dose(eid, "pat", med, "taken", at, now=LATER)
            if retry:  # the same write again (a client retry) must not add a second dose
                j.record_dose(eid, "pat", med, "taken", at, now=LATER)
            os.write(fd, f"{eid}\n".encode())
            i += 1
        j.close()
    except BaseException as exc:  # reported to the parent; the child never returns
        os.write(fd, f"!{type(exc).__name__}: {exc}\n".encode())
        code = 1
    finally:
        os._exit(code)


def _wait_ready(fd: int) -> bytes:
    """Read until the writer says it has opened the journal; returns what came after."""
    buf = b""
    while b"@ready\n" not in buf:
        data = os.read(fd, 65536)
        if not data:
            break
        buf += data
    return buf


def _read_all(fd: int, first: bytes = b"") -> list[str]:
    chunks = [first]
    while True:
        data = os.read(fd, 65536)
        if not data:
            break
        chunks.append(data)
    os.close(fd)
    return b"".join(chunks).decode().split()


def spawn(
    url: str, med: str, prefix: str, start: int, count: int | None, retry: bool = False
) -> tuple[int, int]:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(r)
        _child(url, med, prefix, start, count, w, retry)
    os.close(w)
    return pid, r


def acknowledged(ids: list[str]) -> list[str]:
    ids = [x for x in ids if x != "@ready"]
    errors = [x for x in ids if x.startswith("!")]
    if errors:
        raise AssertionError(f"a writer failed: {' '.join(ids[ids.index(errors[0]) :])}")
    return ids


def present(url: str) -> set[str]:
    from sqlalchemy import select

    from medguide.journal import schema
    from medguide.journal.store import Journal

    with Journal.open(url) as j, j.engine.connect() as conn:
        return set(conn.execute(select(schema.dose_events.c.id)).scalars())


def integrity_ok(url: str) -> bool:
    if not url.startswith("sqlite"):
        return True
    path = Path(url.removeprefix("sqlite:///"))
    con = sqlite3.connect(path)
    try:
        return bool(con.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
    finally:
        con.close()


def kill_trials(
    url: str, trials: int, *, max_delay: float = 0.06, seed: int = 14
) -> dict[str, int]:
    """Kill a writer `trials` times at random moments; check after each kill that the journal
    opens and every acknowledged dose is there. Returns counts."""
    rng = random.Random(seed)
    med = setup(url)
    acked: set[str] = set()
    next_i = 0
    for _ in range(trials):
        pid, fd = spawn(url, med, "k", next_i, None)
        first = _wait_ready(fd)  # kill during writes, not while the process starts
        time.sleep(rng.uniform(0.0, max_delay))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        got = acknowledged(_read_all(fd, first))
        acked.update(got)
        next_i += len(got) + 1  # the unacknowledged one may or may not be in; never reused
    # one last writer that finishes normally proves the journal is writable after the kills
    pid, fd = spawn(url, med, "k", next_i, 5)
    os.waitpid(pid, 0)
    acked.update(acknowledged(_read_all(fd)))
    stored = present(url)
    missing = acked - stored
    assert not missing, f"acknowledged doses lost: {sorted(missing)[:5]}"
    assert integrity_ok(url)
    return {
        "trials": trials,
        "acknowledged": len(acked),
        "stored": len(stored),
        "lost": len(missing),
    }


def concurrent(
    url: str, writers: int, *, per_writer: int | None = None, seconds: float | None = None
) -> dict[str, int]:
    """`writers` processes writing at once (each write also retried once); every
    acknowledged event is stored once, none twice, none lost."""
    med = setup(url)
    procs = [spawn(url, med, f"w{k}-", 0, per_writer, retry=True) for k in range(writers)]
    if seconds is not None:
        time.sleep(seconds)
        for pid, _ in procs:
            os.kill(pid, signal.SIGTERM)
    acked: list[str] = []
    fds = {fd for _, fd in procs}
    buffers: dict[int, list[bytes]] = {fd: [] for fd in fds}
    while fds:
        ready, _, _ = select.select(list(fds), [], [])
        for fd in ready:
            data = os.read(fd, 65536)
            if data:
                buffers[fd].append(data)
            else:
                fds.discard(fd)
                os.close(fd)
    for pid, _ in procs:
        os.waitpid(pid, 0)
    for chunks in buffers.values():
        ids = b"".join(chunks).decode().split()
        # a writer stopped by SIGTERM reports how it was stopped; that is not a failure
        acked += [x for x in ids if not x.startswith(("!", "@"))]
        bad = [x for x in ids if x.startswith("!") and "SystemExit" not in x and seconds is None]
        assert not bad, bad
    stored = present(url)
    assert len(acked) == len(set(acked))
    missing = set(acked) - stored
    assert not missing, f"lost {len(missing)}"
    return {
        "writers": writers,
        "acknowledged": len(acked),
        "stored": len(stored),
        "lost": len(missing),
    }
