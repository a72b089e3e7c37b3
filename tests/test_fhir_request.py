"""FHIR R4 in (the one mapping into the assessment contract) and out (DetectedIssue, plans as
MedicationRequest), on hand-built baclofen bundles and the Synthea bulk sample."""

from __future__ import annotations

import copy
import functools
import gzip
import json
import os
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from medguide.cli import app
from medguide.interop.fhir_export import dump_detected_issues, dump_plan_request
from medguide.interop.fhir_request import (
    doses_per_day,
    fhir_request_model,
    iter_resources,
    request_from_fhir,
)
from medguide.service import PlanQuery, ServiceError, plan_taper
from medguide.service.fhir import assess_fhir

FIXTURES = Path(__file__).parent / "fixtures" / "fhir"
SYNTHEA = Path(__file__).resolve().parents[2] / "shared" / "data" / "synthea-bulk-fhir-10-patients"
if not SYNTHEA.exists():  # a worktree beside the main checkout
    SYNTHEA = Path("/work/shared/data/synthea-bulk-fhir-10-patients")
NOW = datetime(2026, 11, 26, 14, 10, tzinfo=UTC)
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


@pytest.fixture(scope="module")
def catalog() -> Any:
    from medguide.knowledge.loader import load_catalog

    return load_catalog()


def bundle() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "baclofen_bundle.json").read_text())
    return data


def resource(doc: dict[str, Any], rid: str) -> dict[str, Any]:
    return next(r for r in iter_resources(doc) if r.get("id") == rid)


def test_baclofen_bundle_maps_to_the_request(catalog: Any) -> None:
    mapped = request_from_fhir(catalog, bundle(), now=NOW)
    patient = mapped.data["patient"]
    assert patient["age_years"] == 74
    assert patient["sex"] == "male"
    assert patient["egfr"] == 35  # the most recent eGFR, not the older 75
    assert patient["serum_creatinine_umol_l"] == 159
    meds = mapped.data["medications"]
    assert meds[0] == {
        "drug": "baclofen",
        "frequency": "QID",
        "route": "oral",
        "dose": 20.0,
        "unit": "mg",
    }
    # one 5 mg tablet every 6 hours: the RxNorm strength turns the count into mg
    assert mapped.orders[1].drug_id == "oxycodone"
    assert (meds[1]["dose"], meds[1]["unit"], meds[1]["frequency"]) == (5.0, "mg", "QID")
    assert meds[2]["drug"] == "gabapentin"  # a MedicationStatement
    ids = [o.resource_id for o in mapped.orders]
    assert ids == ["mr-baclofen", "mr-oxycodone", "ms-gabapentin"]
    assert mapped.patient_id == "pat-baclofen"


def test_baclofen_bundle_assessment(catalog: Any) -> None:
    result, _ = assess_fhir(catalog, bundle(), NOW)
    codes = {(f.code, f.drugs) for f in result.findings}
    assert ("renal_dose_adjustment", ("baclofen",)) in codes
    assert ("beers_kidney_avoid", ("baclofen",)) in codes
    assert any(code == "cns_depressant_burden" for code, _ in codes)
    renal = next(f for f in result.findings if f.code == "renal_dose_adjustment")
    # half of the 40 mg a day main's knowledge allows at this age
    assert renal.details["suggested_daily"] == {"amount": 20.0, "unit": "mg"}


def test_cli_assess_fhir() -> None:
    path = str(FIXTURES / "baclofen_bundle.json")
    result = CliRunner().invoke(app, ["assess", "--fhir", path, "--json"])
    assert result.exit_code == 0, result.stderr
    codes = {f["code"] for f in json.loads(result.stdout)["findings"]}
    assert "renal_dose_adjustment" in codes
    failing = CliRunner().invoke(app, ["assess", "--fhir", path, "--fail-on", "high"])
    assert failing.exit_code == 1


def test_cli_assess_fhir_without_medications(tmp_path: Path) -> None:
    only_patient = tmp_path / "p.json"
    only_patient.write_text(json.dumps({"resourceType": "Patient", "id": "x"}))
    result = CliRunner().invoke(app, ["assess", "--fhir", str(only_patient)])
    assert result.exit_code == 2
    assert "nothing to check" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_statuses_and_units_that_are_not_read(catalog: Any) -> None:
    doc = bundle()
    stopped = resource(doc, "mr-oxycodone")
    stopped["status"] = "stopped"
    scr = resource(doc, "scr-1")
    scr["valueQuantity"] = {"value": 1.8, "unit": "mmol/L", "code": "mmol/L"}
    gaba = resource(doc, "ms-gabapentin")
    gaba["dosage"][0]["doseAndRate"][0]["doseQuantity"] = {"value": 3, "code": "[drp]"}
    mapped = request_from_fhir(catalog, doc, now=NOW)
    assert [m["drug"] for m in mapped.data["medications"]] == ["baclofen", "gabapentin"]
    assert "serum_creatinine_umol_l" not in mapped.data["patient"]
    assert any("mmol/L" in n for n in mapped.notes)
    assert any("[drp]" in n for n in mapped.notes)
    result, _ = assess_fhir(catalog, doc, NOW)
    assert any(n.check == "fhir" for n in result.not_checked)


def test_medication_reference_and_timing_code(catalog: Any) -> None:
    med = {
        "resourceType": "Medication",
        "id": "med-ozobax",
        "code": {"coding": [{"system": RXNORM, "code": "999999", "display": "Ozobax DS"}]},
    }
    order = {
        "resourceType": "MedicationRequest",
        "id": "o1",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "Patient/x"},
        "medicationReference": {"reference": "Medication/med-ozobax"},
        "dosageInstruction": [
            {
                "timing": {"code": {"coding": [{"code": "BID"}]}},
                "doseAndRate": [{"doseQuantity": {"value": 5, "unit": "mL", "code": "mL"}}],
            }
        ],
    }
    mapped = request_from_fhir(catalog, [med, order], now=NOW)
    assert mapped.data["medications"] == [
        {"drug": "Ozobax DS", "frequency": "BID", "dose": 5.0, "unit": "mL"}
    ]
    assert mapped.orders[0].drug_id == "baclofen"


def test_a_draft_replaces_the_active_order_of_the_same_drug(catalog: Any) -> None:
    doc = bundle()
    draft = copy.deepcopy(resource(doc, "mr-baclofen"))
    draft["id"], draft["status"] = "draft-1", "draft"
    draft["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] = 10
    mapped = request_from_fhir(catalog, doc, now=NOW, drafts=[draft])
    drugs = [m["drug"] for m in mapped.data["medications"]]
    assert drugs.count("baclofen") == 1
    assert mapped.data["medications"][0]["dose"] == 10
    assert any("mr-baclofen" in n and "replaces" in n for n in mapped.notes)
    result, _ = assess_fhir(catalog, doc, NOW, drafts=[draft])
    assert "duplicate_ingredient" not in {f.code for f in result.findings}


@pytest.mark.parametrize(
    ("repeat", "expected"),
    [
        ({"frequency": 1, "period": 1, "periodUnit": "d"}, ("daily", 1.0)),
        ({"frequency": 3, "period": 1, "periodUnit": "d"}, ("TID", 3.0)),
        ({"frequency": 1, "period": 8, "periodUnit": "h"}, ("TID", 3.0)),
        ({"frequency": 1, "period": 4, "periodUnit": "h"}, ("q4h", 6.0)),
        ({"frequency": 5, "period": 1, "periodUnit": "d"}, ("5 times a day", 5.0)),
    ],
)
def test_timing(catalog: Any, repeat: dict[str, Any], expected: tuple[str, float]) -> None:
    dosage = {
        "timing": {"repeat": repeat},
        "doseAndRate": [{"doseQuantity": {"value": 5, "unit": "mg", "code": "mg"}}],
    }
    order = {
        "resourceType": "MedicationRequest",
        "id": "t",
        "status": "active",
        "medicationCodeableConcept": {"text": "baclofen"},
        "dosageInstruction": [dosage],
    }
    mapped = request_from_fhir(catalog, order, now=NOW)
    assert mapped.data["medications"][0]["frequency"] == expected[0]
    assert doses_per_day(dosage) == pytest.approx(expected[1])


def test_out_of_range_values_are_dropped_and_said(catalog: Any) -> None:
    doc = bundle()
    resource(doc, "egfr-1")["valueQuantity"]["value"] = 900
    resource(doc, "egfr-0")["valueQuantity"]["value"] = 900
    resource(doc, "mr-baclofen")["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"][
        "value"
    ] = 1e9
    mapped = request_from_fhir(catalog, doc, now=NOW)
    request = fhir_request_model(catalog, mapped)
    assert request.patient.egfr is None
    assert "baclofen" not in [m.drug for m in request.medications]
    assert any("egfr" in n for n in mapped.notes)
    assert any("MedicationRequest/mr-baclofen was not checked" in n for n in mapped.notes)
    # the order indices still point at the right resources
    assert [o.resource_id for o in mapped.orders] == ["mr-oxycodone", "ms-gabapentin"]


def _synthea(name: str) -> list[dict[str, Any]]:
    with gzip.open(SYNTHEA / f"{name}.000.ndjson.gz", "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


@pytest.mark.skipif(not SYNTHEA.exists(), reason="shared Synthea sample not present")
def test_synthea_bulk_patients(catalog: Any) -> None:
    by_patient: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in _synthea("MedicationRequest") + _synthea("Condition"):
        by_patient[r["subject"]["reference"].split("/")[-1]].append(r)
    assessed = 0
    for patient in _synthea("Patient"):
        resources = [patient, *by_patient[patient["id"]]]
        mapped = request_from_fhir(catalog, resources, now=NOW)
        assert mapped.data["patient"]["age_years"] >= 0
        if "medications" not in mapped.data:
            with pytest.raises(ServiceError):
                assess_fhir(catalog, resources, NOW)
            continue
        result, _ = assess_fhir(catalog, resources, NOW)
        assessed += 1
        assert result.knowledge_version == catalog.version
    assert assessed >= 8
    # lisinopril 10 MG Oral Tablet, 1 a day: an amount in mg from the RxNorm name
    triple = next(
        p
        for p in _synthea("Patient")
        if any(
            "lisinopril" in json.dumps(r) and "Naproxen" in json.dumps(by_patient[p["id"]])
            for r in by_patient[p["id"]]
        )
    )
    mapped = request_from_fhir(catalog, [triple, *by_patient[triple["id"]]], now=NOW)
    lis = next(m for m in mapped.data["medications"] if m["drug"] == "lisinopril")
    assert (lis["dose"], lis["unit"], lis["frequency"]) == (10.0, "mg", "daily")


def test_detected_issues_validate_as_fhir(catalog: Any) -> None:
    from fhir.resources.R4B.detectedissue import DetectedIssue

    result, _ = assess_fhir(catalog, bundle(), NOW)
    issues = dump_detected_issues(
        result.as_dict(),
        patient="Patient/pat-baclofen",
        implicated={"baclofen": ["MedicationRequest/mr-baclofen"]},
    )
    assert len(issues) == len(result.findings)
    for issue in issues:
        DetectedIssue.model_validate(issue)
    renal = next(i for i in issues if i["code"]["coding"][0]["code"] == "renal_dose_adjustment")
    assert renal["severity"] == "high"
    assert renal["implicated"] == [{"reference": "MedicationRequest/mr-baclofen"}]


def test_plan_as_medication_request(catalog: Any) -> None:
    from fhir.resources.R4B.medicationrequest import MedicationRequest

    query = PlanQuery(drug="baclofen", dose=20, unit="mg", frequency="QID", start=date(2026, 3, 2))
    plan = plan_taper(catalog, query).plan
    out = dump_plan_request(catalog, plan, patient="Patient/p")
    MedicationRequest.model_validate(out)
    sequences = [d["sequence"] for d in out["dosageInstruction"]]
    assert sequences == sorted(sequences) and sequences[0] == 1
    assert out["medicationCodeableConcept"]["coding"][0]["code"] == "1292"


@functools.cache
def _shared_catalog() -> Any:
    from medguide.knowledge.loader import load_catalog

    return load_catalog()


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-10, 10**6)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "resourceType",
                    "id",
                    "status",
                    "entry",
                    "resource",
                    "dosageInstruction",
                    "doseAndRate",
                    "doseQuantity",
                    "value",
                    "code",
                    "unit",
                    "timing",
                    "repeat",
                    "frequency",
                    "period",
                    "periodUnit",
                    "coding",
                    "system",
                    "birthDate",
                    "valueQuantity",
                    "medicationCodeableConcept",
                    "medicationReference",
                    "reference",
                    "contained",
                    "route",
                    "text",
                    "display",
                    "gender",
                ]
            ),
            children,
            max_size=6,
        )
    ),
    max_leaves=30,
)
_types = st.sampled_from(
    ["Bundle", "Patient", "MedicationRequest", "MedicationStatement", "Observation", "Condition"]
)


@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(doc=_json, kind=_types, status=st.sampled_from(["active", "draft", "final", None]))
def test_fuzzed_fhir_gives_a_result_or_a_clear_error(
    doc: Any, kind: str, status: str | None
) -> None:
    catalog = _shared_catalog()
    if isinstance(doc, dict):
        doc = {**doc, "resourceType": kind, **({"status": status} if status else {})}
        if kind == "Bundle":
            doc["entry"] = [{"resource": {**doc, "resourceType": "MedicationRequest"}}]
    try:
        assess_fhir(catalog, doc, NOW)
    except ServiceError as exc:
        assert exc.message
