"""Results as FHIR R4 resources (plain dicts): findings as DetectedIssue, plans as a
MedicationRequest whose dosageInstruction is the plan's sequenced Dosage list.

DetectedIssue.severity comes from the one severity table (`interop/severity.py`). The finding
code is the `code` of the issue, in medguide's own code system; the message is `detail`, the
source ids are in `reference`, the advice codes are `mitigation` actions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from medguide.clinical.plans import Plan
from medguide.interop.fhir import dump_dosages
from medguide.interop.fhir_request import RXNORM
from medguide.interop.severity import SEVERITY_TO_FHIR
from medguide.knowledge.catalog import Catalog

FINDING_SYSTEM = "https://medguide.invalid/fhir/CodeSystem/finding"
ADVICE_SYSTEM = "https://medguide.invalid/fhir/CodeSystem/advice"
SOURCE_BASE = "https://medguide.invalid/sources/"


def dump_detected_issues(
    result: Mapping[str, Any],
    *,
    patient: str | None = None,
    implicated: Mapping[str, Sequence[str]] | None = None,
) -> list[dict[str, Any]]:
    """The findings of an assessment (its `as_dict()`) as DetectedIssue dicts.

    `patient` is a reference ("Patient/123"); `implicated` maps a drug id to the references
    of the orders of that drug ("MedicationRequest/abc").
    """
    issues: list[dict[str, Any]] = []
    for n, f in enumerate(result.get("findings") or (), start=1):
        issue: dict[str, Any] = {
            "resourceType": "DetectedIssue",
            "id": f"medguide-{n}",
            "status": "final",
            "code": {
                "coding": [{"system": FINDING_SYSTEM, "code": f["code"]}],
                "text": f["code"].replace("_", " "),
            },
            "severity": SEVERITY_TO_FHIR[f["severity"]],
            "detail": f["message"],
        }
        if patient:
            issue["patient"] = {"reference": patient}
        refs = [
            {"reference": ref}
            for drug in f.get("drugs") or ()
            for ref in (implicated or {}).get(drug, ())
        ]
        if refs:
            issue["implicated"] = refs
        if f.get("sources"):
            issue["reference"] = SOURCE_BASE + ",".join(f["sources"])
        if f.get("advice"):
            issue["mitigation"] = [
                {"action": {"coding": [{"system": ADVICE_SYSTEM, "code": a}], "text": a}}
                for a in f["advice"]
            ]
        issues.append(issue)
    return issues


def dump_plan_request(
    catalog: Catalog, plan: Plan, *, patient: str | None = None
) -> dict[str, Any]:
    """A plan as a proposed MedicationRequest with one Dosage per step, in order."""
    drug = catalog.drug(plan.drug)
    coding: list[dict[str, Any]] = []
    if drug is not None and drug.codes.rxcui:
        coding.append({"system": RXNORM, "code": drug.codes.rxcui, "display": drug.name})
    request: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "status": "draft",
        "intent": "proposal",
        "medicationCodeableConcept": {"coding": coding, "text": plan.drug_name},
        "subject": {"reference": patient or "Patient/unknown"},
        "note": [{"text": f"medguide {plan.kind} plan: a proposal for the prescriber"}],
        "dosageInstruction": dump_dosages(plan),
    }
    return request
