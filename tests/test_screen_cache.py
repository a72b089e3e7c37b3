"""The memos that make screening fast change no result.

Screening a partition (`screen_partition`: warm memos on the catalog, identical requests
assessed once) must give exactly the rows of mapping and assessing every patient on its own
with every memo emptied first (`request_from_fhir` → `fhir_request_model` →
`service.assess`): on a generated sample where many patients share a regimen, and on one where
every order is different. Nothing here is timed.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pytest

from medguide import service
from medguide.batch.demo import make_demo
from medguide.batch.work import PatientItems, age_band, kidney_stage, screen_partition
from medguide.clinical.findings import NotChecked
from medguide.interop.fhir_request import fhir_request_model, request_from_fhir
from medguide.knowledge.catalog import Catalog
from medguide.knowledge.interaction_index import PairMemo
from medguide.knowledge.loader import load_catalog

NOW = datetime(2026, 12, 1)


def _items(folder: Path) -> list[PatientItems]:
    """Each patient's resources as JSON text, the Patient first, then file order."""
    by_patient: dict[str, list[str]] = defaultdict(list)
    for kind in ("Patient", "Condition", "MedicationRequest", "Observation"):
        for line in (folder / f"{kind}.000.ndjson").read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            pid = r["id"] if kind == "Patient" else r["subject"]["reference"].split("/")[1]
            by_patient[pid].append(line)
    return [(pid, "fhir", texts) for pid, texts in sorted(by_patient.items())]


def _forget(catalog: Catalog) -> None:
    catalog.pair_memo.clear()
    for value in catalog._derived.values():
        if isinstance(value, PairMemo):
            value.clear()


def _direct(catalog: Catalog, items: list[PatientItems]) -> tuple[list[tuple[str, ...]], int]:
    """Every patient mapped and assessed alone, with no memo holding anything."""
    rows: list[tuple[str, ...]] = []
    not_checked = 0
    for pid, _, texts in items:
        _forget(catalog)
        mapped = request_from_fhir(catalog, [json.loads(t) for t in texts], now=NOW)
        request = fhir_request_model(catalog, mapped)
        result = service.assess(catalog, request, NOW)
        result = result.with_not_checked(*(NotChecked("fhir", n) for n in mapped.notes))
        not_checked += len(result.not_checked)
        band = age_band((mapped.data.get("patient") or {}).get("age_years"))
        stage = kidney_stage(result.computed.get("kidney"))
        for f in result.findings:
            rows.append(
                (pid, f.code, f.severity, "; ".join(f.drugs), f.message, band, stage,
                 result.knowledge_version)
            )  # fmt: skip
    return sorted(rows), not_checked


def _distinct(folder: Path) -> None:
    """Give every order of the sample its own dose and frequency: no two are alike."""
    path = folder / "MedicationRequest.000.ndjson"
    rng = random.Random(3)
    lines = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        r = json.loads(line)
        dosage = r["dosageInstruction"][0]
        dosage["doseAndRate"][0]["doseQuantity"]["value"] = 0.5 + i * 0.25
        dosage["timing"]["repeat"]["frequency"] = rng.randint(1, 4)
        lines.append(json.dumps(r))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("distinct", [False, True], ids=["shared-regimens", "distinct-orders"])
def test_memos_change_no_finding(tmp_path: Path, distinct: bool) -> None:
    make_demo(150, tmp_path, seed=11)
    if distinct:
        _distinct(tmp_path)
    items = _items(tmp_path)
    catalog = load_catalog()
    want, want_not_checked = _direct(catalog, items)
    # cached: memos warm from a first pass, then the partition as the workers run it
    screen_partition(0, items, NOW.isoformat())
    got = screen_partition(1, items, NOW.isoformat())
    assert got.rows == want
    assert sum(got.not_checked.values()) == want_not_checked
    assert got.patients == len(items)
    if not distinct:
        # the sample does repeat: the memos were used, not bypassed
        memo = catalog.derived("orders.parse_memo", PairMemo)
        assert 0 < len(memo) < got.medications


def test_repeated_request_in_another_position_is_read_again() -> None:
    """A parsed order is kept by its fields and its position: the same order as the second
    medicine is named "Medication 2", never served from the first position's entry."""
    from medguide.clinical.request import AssessRequest

    catalog = load_catalog()
    one = AssessRequest.model_validate({"medications": [{"text": "baclofen 10 mg"}]})
    two = AssessRequest.model_validate(
        {"medications": [{"text": "lisinopril 10 mg daily"}, {"text": "baclofen 10 mg"}]}
    )
    a = service.assess(catalog, one, NOW)
    b = service.assess(catalog, two, NOW)
    assert any("Medication 1 ('baclofen 10 mg')" in f.message for f in a.findings)
    assert any("Medication 2 ('baclofen 10 mg')" in f.message for f in b.findings)
    # 10 and 10.0 are the same value but not the same input type: equal requests, same result
    c = service.assess(
        catalog, AssessRequest.model_validate({"medications": [{"drug": "baclofen", "dose": 10}]})
    )
    d = service.assess(
        catalog,
        AssessRequest.model_validate({"medications": [{"drug": "baclofen", "dose": 10.0}]}),
    )
    assert c.as_dict() == d.as_dict()
