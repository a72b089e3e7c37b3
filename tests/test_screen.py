"""Population screening (`medguide screen`): the Synthea sample, the MIMIC-III demo
prescriptions (ODbL; MIMIC-III Clinical Database Demo v1.4, Johnson et al. 2016, PhysioNet),
bad input counted by kind, resuming after an interruption, and the Dask engine giving the same
findings as the local one. Data kept small: CI has two shared cores."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from medguide.batch.demo import make_demo
from medguide.batch.run import ScreenOptions, screen
from medguide.cli import app
from medguide.cli.exitcodes import INPUT_SKIPPED

duckdb = pytest.importorskip("duckdb")

SYNTHEA = Path("/work/shared/data/synthea-bulk-fhir-10-patients")
MIMIC = Path("/work/shared/data/mimic-iii-demo-prescriptions")
NOW = datetime(2026, 12, 1, 9, 0)


def _opts(inputs: list[Path], out: Path, **kw: Any) -> ScreenOptions:
    kw.setdefault("progress", False)
    kw.setdefault("workers", 1)
    return ScreenOptions(inputs=inputs, out=out, now=NOW, **kw)


def _findings(out: Path) -> list[tuple[Any, ...]]:
    return duckdb.sql(f"SELECT * FROM read_parquet('{out / 'findings.parquet'}')").fetchall()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("demo")
    make_demo(300, d, seed=5)
    return d


@pytest.mark.skipif(not SYNTHEA.exists(), reason="shared Synthea sample not present")
def test_synthea_sample_cli(tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = tmp_path / "report.html"
    r = CliRunner().invoke(
        app,
        ["screen", str(SYNTHEA), "-o", str(out), "--now", "2026-12-01", "-q",
         "--report", str(report), "--json"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    summary = json.loads(r.output)
    assert summary["patients_screened"] == 10  # 13 patients, 10 with an active order
    assert summary["patients_without_active_medicines"] == 3
    assert summary["medications_screened"] == 23
    assert summary["not_used"]["AllergyIntolerance"] == 11
    assert summary["skipped"] == {}
    assert summary["findings"] == sum(v["findings"] for v in summary["by_code"].values())
    rows = _findings(out)
    assert len(rows) == summary["findings"]
    assert all(row[7].startswith("kb-") for row in rows)  # knowledge version on every row
    assert (out / "findings.csv").read_text().startswith("patient,code,severity,drugs,message")
    page = report.read_text()
    assert "<svg" in page and "<script" not in page and "http://" not in page.split("<svg")[0]
    assert not list(out.rglob("*.tmp"))


@pytest.mark.skipif(not MIMIC.exists(), reason="shared MIMIC-III demo not present")
def test_mimic_baclofen_admissions_with_opioid_and_gabapentin(tmp_path: Path) -> None:
    rx = MIMIC / "PRESCRIPTIONS.csv.gz"
    run = screen(_opts([rx], tmp_path, patients_file=MIMIC / "PATIENTS.csv.gz"))
    assert run.summary["patients_screened"] == 122  # admissions
    rows = duckdb.sql(
        f"""
        SELECT CAST(hadm_id AS VARCHAR) FROM read_csv('{rx}', all_varchar = true)
        GROUP BY hadm_id
        HAVING bool_or(drug ILIKE '%baclofen%') AND bool_or(drug ILIKE '%gabapentin%')
           AND bool_or(regexp_matches(lower(drug),
                       'fentanyl|morphine|hydromorphone|oxycodone|methadone'))
        """
    ).fetchall()
    expected = {r[0] for r in rows}
    assert len(expected) >= 10
    cns = {
        r[0] for r in _findings(tmp_path) if r[1] == "cns_depressant_burden" and "baclofen" in r[3]
    }
    assert expected <= cns
    from medguide.batch.report import write_report

    write_report(tmp_path, run.summary, tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text()
    assert "ODbL" in page and "cns_depressant_burden" in page
    # orders with no frequency: one line per drug in the summary and the report, every row
    # still in the findings file
    summary = run.summary
    nc = summary["not_counted"]
    all_rows = _findings(tmp_path)
    no_freq = [r for r in all_rows if r[1] == "ambiguous_order" and "no frequency" in r[4]]
    assert nc["orders"] == len(no_freq) > 1000
    assert sum(d["orders"] for d in nc["by_drug"]) == nc["orders"]
    assert summary["findings"] == len(all_rows)
    assert summary["to_review"]["findings"] == len(all_rows) - nc["orders"]
    assert "could not be counted (no frequency)" in page
    review = page.split("<h2>Review first</h2>")[1].split("<h2")[0]
    assert "no frequency (how often)" not in review
    # ages: read from the date of birth where MIMIC gives one; over 89 it is shifted on
    # purpose and said to be not known, never made up
    bands = {r[0]: r[5] for r in all_rows}
    assert sum(b == "unknown" for b in bands.values()) == 9
    assert sum(b != "unknown" for b in bands.values()) >= 100
    assert [a["patients"] for a in summary["age_not_known"]] == [9]
    assert "eighty-nine" in summary["age_not_known"][0]["reason"]
    assert "Age not known" in page


@pytest.mark.parametrize(
    ("dob", "at", "age"),
    [
        ("2094-03-05 00:00:00", "2164-10-23", 70.0),
        ("2094-03-05 00:00:00", "2164-03-04", 69.0),
        ("1895-05-17 00:00:00", "2195-05-17", None),  # shifted: over 89
        ("2/27/46 0:00", "2129-05-02", 83.0),
        ("2/27/46 0:00", "2129-02-26", 82.0),
        ("6/5/90 0:00", "2196-08-14", None),  # remainder 6: a child, or shifted over 89
        ("2/30/46 0:00", "2129-05-02", None),  # not a calendar day
        ("born in spring", "2129-05-02", None),
        ("", "2129-05-02", None),
        ("2/27/46 0:00", None, None),  # nothing to reckon from
    ],
)
def test_age_from_mimic_birth_dates(dob: str, at: str | None, age: float | None) -> None:
    from datetime import date

    from medguide.batch.inputs import age_from_birth

    got, note = age_from_birth(dob, date.fromisoformat(at) if at else None)
    assert got == age
    assert (note is None) == (age is not None)
    if note is not None:
        assert note.startswith("age not known")
    assert age_from_birth(None, date(2129, 1, 1)) == (None, None)  # no patients file


def _bad_input(d: Path) -> None:
    good_patient = {"resourceType": "Patient", "id": "p1", "birthDate": "1950-01-01"}
    order = {
        "resourceType": "MedicationRequest",
        "id": "m1",
        "status": "active",
        "medicationCodeableConcept": {"text": "baclofen 10 MG Oral Tablet"},
        "subject": {"reference": "Patient/p1"},
    }
    lines = [
        json.dumps(good_patient),
        "{not json",
        json.dumps(order),
        json.dumps({"resourceType": "Spaceship", "id": "x"}),
        json.dumps({**order, "id": "m2", "medicationCodeableConcept": {}}),
        json.dumps({**order, "id": "m3", "subject": {"reference": "Patient/nobody"}}),
        "",
    ]
    (d / "all.ndjson").write_text("\n".join(lines))
    (d / "table.ndjson").write_text("a,b,c\n1,2,3\n")


def test_bad_input_counted_by_kind_and_run_goes_on(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    _bad_input(src)
    out = tmp_path / "out"
    r = CliRunner().invoke(
        app, ["screen", str(src), "-o", str(out), "--now", "2026-12-01", "-q", "--json"]
    )
    assert r.exit_code == INPUT_SKIPPED == 6, r.output
    s = json.loads(r.output)
    skipped = s["skipped"]
    assert skipped["malformed_line"]["count"] == 1
    assert skipped["malformed_line"]["first"] == [f"{src / 'all.ndjson'}:2"]
    assert skipped["unknown_type"]["count"] == 1
    assert skipped["no_medication_code"]["first"] == [f"{src / 'all.ndjson'}:5"]
    assert skipped["unresolved_patient"]["first"] == [f"{src / 'all.ndjson'}:6"]
    assert skipped["not_ndjson"]["first"] == [str(src / "table.ndjson")]
    assert s["patients_screened"] == 1 and s["medications_screened"] == 1


def test_interrupted_run_resumes_and_matches_a_clean_run(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean = tmp_path / "clean"
    screen(_opts([demo], clean, batch_patients=60))
    from medguide.batch import run as run_mod

    real = run_mod._write_part
    calls = {"n": 0}

    def flaky(parts: Path, result: Any) -> None:
        if calls["n"] == 2:
            raise KeyboardInterrupt
        calls["n"] += 1
        real(parts, result)

    out = tmp_path / "resumed"
    monkeypatch.setattr(run_mod, "_write_part", flaky)
    with pytest.raises(KeyboardInterrupt):
        screen(_opts([demo], out, batch_patients=60))
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["completed"]) == 2 and manifest["partitions"] == 5
    assert not (out / "findings.parquet").exists()
    monkeypatch.setattr(run_mod, "_write_part", real)
    done_before = {p.name: p.stat().st_mtime_ns for p in (out / "parts").glob("*.parquet")}
    screen(_opts([demo], out, batch_patients=60))
    kept = {p.name: p.stat().st_mtime_ns for p in (out / "parts").glob("*.parquet")}
    assert all(kept[name] == t for name, t in done_before.items())  # not redone
    assert _findings(out) == _findings(clean)
    assert not list(out.rglob("*.tmp"))


def test_process_pool_matches_one_process(demo: Path, tmp_path: Path) -> None:
    one = screen(_opts([demo], tmp_path / "one", batch_patients=100))
    two = screen(_opts([demo], tmp_path / "two", batch_patients=100, workers=2))
    assert _findings(tmp_path / "one") == _findings(tmp_path / "two")
    assert one.summary == two.summary


def test_dask_local_cluster_matches_local(demo: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("dask.distributed")
    local = screen(_opts([demo], tmp_path / "local", batch_patients=100))
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        dask_run = screen(
            _opts([demo], tmp_path / "dask", batch_patients=100, engine="dask",
                  scheduler=cluster.scheduler_address)
        )  # fmt: skip
    assert _findings(tmp_path / "dask") == _findings(tmp_path / "local")
    assert dask_run.summary == local.summary
    assert local.summary["by_code"]["cns_depressant_burden"]["patients"] > 0


def test_demo_is_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert make_demo(40, a, seed=3) == make_demo(40, b, seed=3)
    for f in a.iterdir():
        assert f.read_bytes() == (b / f.name).read_bytes()
    c = tmp_path / "c"
    make_demo(40, c, seed=4)
    assert (c / "MedicationRequest.000.ndjson").read_bytes() != (
        a / "MedicationRequest.000.ndjson"
    ).read_bytes()


def test_sigkill_mid_run_resumes_without_half_files(demo: Path, tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    cmd = [sys.executable, "-m", "medguide", "screen", str(demo), "--now", "2026-12-01T09:00",
           "-q", "--batch", "30", "--workers", "1"]  # fmt: skip
    out = tmp_path / "killed"
    proc = subprocess.Popen([*cmd, "-o", str(out)], stdout=subprocess.DEVNULL)
    manifest = out / "manifest.json"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if manifest.exists() and len(json.loads(manifest.read_text())["completed"]) >= 2:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    completed = json.loads(manifest.read_text())["completed"]
    assert 2 <= len(completed) < 10
    for name in [f"part-{p:05d}" for p in completed]:  # what the manifest names is whole
        assert duckdb.sql(f"SELECT count(*) FROM '{out / 'parts' / name}.parquet'").fetchall()
    subprocess.run([*cmd, "-o", str(out)], check=True, stdout=subprocess.DEVNULL)
    clean = tmp_path / "clean"
    subprocess.run([*cmd, "-o", str(clean)], check=True, stdout=subprocess.DEVNULL)
    assert _findings(out) == _findings(clean)
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
