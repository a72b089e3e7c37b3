"""Breadth figures (issue 13): coverage of real prescriptions, "not checked" lines per
baclofen admission, and catalog load from the cache with the class entries.

Run: .venv/bin/python bench/bench_breadth.py   (results go in bench/README.md)

Needs ../shared/data (MIMIC-III demo prescriptions, Synthea sample). Figures:
- MIMIC demo rows and Synthea MedicationRequests covered by a monograph or a class entry;
- for each MIMIC admission with baclofen, its medicine list (distinct DRUG names) through
  `medguide interactions` (in process): the "not checked" lines, the unknown names, and
  whether the CNS-depressant finding names every CNS depressant on the list;
- the same lists through the branch point (`--baseline PATH` to a checkout of it) for the
  "before" column;
- catalog load from the cache (hash the files, unpickle, index attached): median and p90 of
  30 loads in one process.
"""

from __future__ import annotations

import csv
import gzip
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from timing import percentile

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
MIMIC = SHARED / "mimic-iii-demo-prescriptions" / "PRESCRIPTIONS.csv.gz"
SYNTHEA = SHARED / "synthea-bulk-fhir-10-patients" / "MedicationRequest.000.ndjson.gz"


def mimic_rows() -> list[dict[str, str]]:
    with gzip.open(MIMIC, "rt", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def coverage() -> None:
    from medguide.knowledge.coverage import compute_coverage
    from medguide.knowledge.loader import load_catalog

    cat = load_catalog()
    cov = compute_coverage(cat, (r["DRUG"] for r in mimic_rows()))
    print(
        f"MIMIC demo: {cov.total} rows; monograph {cov.share('monograph'):.1%}, class entry "
        f"{cov.share('class_entry'):.1%}, name only {cov.share('name_only'):.2%}, unknown "
        f"{cov.share('unknown'):.2%}; covered {cov.share('monograph', 'class_entry'):.2%}"
    )
    print(f"  not covered: {dict(cov.uncovered.most_common())}")
    names = []
    with gzip.open(SYNTHEA, "rt", encoding="utf-8") as fh:
        for line in fh:
            concept = json.loads(line).get("medicationCodeableConcept", {})
            names.append(concept.get("text") or concept.get("coding", [{}])[0].get("display"))
    cov = compute_coverage(cat, names)
    print(
        f"Synthea sample: {cov.total} MedicationRequests; covered "
        f"{cov.share('monograph', 'class_entry'):.2%} (monograph {cov.share('monograph'):.1%})"
    )


def admissions() -> dict[str, list[str]]:
    lists: dict[str, list[str]] = defaultdict(list)
    rows = mimic_rows()
    baclofen = {r["HADM_ID"] for r in rows if "baclofen" in r["DRUG"].lower()}
    for r in rows:
        name = r["DRUG"].strip()
        if r["HADM_ID"] in baclofen and name not in lists[r["HADM_ID"]]:
            lists[r["HADM_ID"]].append(name)
    return dict(sorted(lists.items()))


def baclofen_admissions() -> None:
    from medguide.cli.interactions_cmd import run_screen
    from medguide.knowledge.loader import load_catalog
    from medguide.knowledge.names import resolve_ingredients

    cat = load_catalog()
    lines, unknown_lines, complete_cns = [], [], 0
    for hadm, names in admissions().items():
        report = run_screen(names, {})
        lines.append(len(report["not_checked"]) + len(report["unknown"]))
        unknown_lines.append(len(report["unknown"]))
        cns = {
            cat.index.key_for(r.drug_id, r.ingredient)
            for n in names
            for r in resolve_ingredients(cat, n)
            if r.known
        }
        cns = {k for k in cns if k and "cns_depressant" in cat.index.drug_properties.get(k, ())}
        burden = next((f for f in report["findings"] if f["code"] == "cns_depressant_burden"), None)
        found = set(burden["drugs"]) if burden else set()
        complete_cns += cns <= found
        print(
            f"  admission {hadm}: {len(names)} names, {report['summary']['ingredients']} "
            f"ingredients, not checked {lines[-1]} (unknown {unknown_lines[-1]}), CNS burden "
            f"{burden['severity'] if burden else None} with {len(found)}/{len(cns)} members"
        )
    print(
        f"baclofen admissions: {len(lines)}; 'not checked' lines per admission: median "
        f"{statistics.median(lines)}, max {max(lines)}; CNS finding with every member in "
        f"{complete_cns}/{len(lines)}"
    )


def baseline(path: Path) -> None:
    """The same admissions through another checkout (the branch point): its not-checked
    lines per admission, from its own `run_screen` (the CLI core) in a subprocess."""
    import subprocess

    code = (
        "import json,sys\n"
        "from medguide.cli.interactions_cmd import run_screen\n"
        "lists=json.load(sys.stdin)\n"
        "out=[]\n"
        "for names in lists:\n"
        "    names=names[:50]\n"  # the branch point screened at most 50 names
        "    r=run_screen(names,{})\n"
        "    out.append(len(r['not_checked'])+len(r['unknown']))\n"
        "print(json.dumps(out))\n"
    )
    lists = list(admissions().values())
    res = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(lists),
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(path / "src"), "MEDGUIDE_NO_CACHE": "1"},
        check=True,
    )
    got = json.loads(res.stdout)
    print(f"baseline ({path}): not-checked lines per admission {sorted(got)}")


def cached_load(runs: int = 30) -> None:
    import os
    import tempfile

    from medguide.knowledge import catalog as catalog_module
    from medguide.knowledge import loader

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MEDGUIDE_CACHE_DIR"] = tmp
        os.environ.pop("MEDGUIDE_NO_CACHE", None)
        cat = catalog_module.load_catalog_from(catalog_module.DATA_DIR)
        loader.store(cat)
        times, cpu = [], []
        for _ in range(runs):
            t, c = time.perf_counter(), time.process_time()
            version = catalog_module.compute_version()
            assert loader.load(version) is not None
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
    print(
        f"catalog load from the cache ({len(cat.drugs)} monographs, {len(cat.class_entries)} "
        f"class entries, index attached): median {statistics.median(times):.1f} ms, p90 "
        f"{percentile(times, 90):.1f} ms, min {min(times):.1f} ms; CPU time median "
        f"{statistics.median(cpu):.1f} ms ({runs} runs)"
    )


def main() -> None:
    if sys.argv[1:] == ["--load"]:
        cached_load()
        return
    coverage()
    baclofen_admissions()
    if len(sys.argv) > 2 and sys.argv[1] == "--baseline":
        baseline(Path(sys.argv[2]))
    cached_load()


if __name__ == "__main__":
    main()
