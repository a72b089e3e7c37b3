"""Doors that agree: a plan applies every limit the assessment applies, so its own doses,
checked through `assess`, raise no dose, kidney or age finding above information (issue 11).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from medguide import service
from medguide.clinical.request import AssessRequest
from medguide.knowledge.loader import load_catalog

CAT = load_catalog()
LIMIT_CODES = {
    "max_daily_dose_exceeded",
    "max_single_dose_exceeded",
    "max_doses_per_day_exceeded",
    "renal_dose_adjustment",
    "renal_avoid",
    "pediatric_max_exceeded",
    "geriatric_dose_caution",
}
PEOPLE: list[dict[str, Any]] = [
    {"age_years": 82, "weight_kg": 70, "sex": "male", "serum_creatinine_mg_dl": 1.8},
    {"age_years": 45, "weight_kg": 80, "sex": "female", "crcl_ml_min": 65},
    {"age_years": 45, "weight_kg": 80, "sex": "male", "crcl_ml_min": 40},
    {"age_years": 30, "weight_kg": 70, "sex": "male", "crcl_ml_min": 110},
    {"age_years": 70, "weight_kg": 60, "sex": "female", "crcl_ml_min": 90},
    {"age_years": 15, "weight_kg": 50},
    {"age_years": 8, "weight_kg": 25},
]


@pytest.mark.parametrize(
    "patient", PEOPLE, ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items())
)
@pytest.mark.parametrize("target", [None, "80 mg", "40 mg"])
def test_a_titration_passes_its_own_assessment(patient: dict[str, Any], target: str | None) -> None:
    query = service.PlanQuery(
        drug="baclofen", start=date(2026, 12, 1), target=target, patient=patient
    )  # type: ignore[arg-type]
    try:
        plan = service.plan_titrate(CAT, query).plan
    except service.ServiceError:
        # only a child below the label's age may be refused; an adult always gets a plan
        assert patient["age_years"] < 12
        return
    for step in plan.steps:
        if not step.doses_per_day:
            continue
        order = {
            "drug": "baclofen",
            "dose": step.dose,
            "unit": plan.unit,
            "frequency": f"{step.doses_per_day} times a day",
        }
        result = service.assess(
            CAT, AssessRequest.model_validate({"patient": patient, "medications": [order]})
        )
        over = [
            (f.code, f.severity, f.message)
            for f in result.findings
            if f.code in LIMIT_CODES and f.severity != "info"
        ]
        assert not over, (step.daily, over)


def test_the_82_year_old_is_told_one_thing() -> None:
    patient = PEOPLE[0]
    plan = service.plan_titrate(
        CAT,
        service.PlanQuery(drug="baclofen", start=date(2026, 12, 1), patient=patient),  # type: ignore[arg-type]
    ).plan
    result = service.assess(
        CAT,
        AssessRequest.model_validate(
            {"patient": patient, "medications": [{"text": "baclofen 10 mg tid"}]}
        ),
    )
    renal = next(f for f in result.findings if f.code == "renal_dose_adjustment")
    # the assessment's kidney maximum is the plan's maximum, and the message's arithmetic
    # matches its factor
    assert renal.details["kidney_max_daily"]["amount"] == plan.max_daily
    factor = renal.details["dose_factor"]
    assert (
        renal.details["kidney_max_daily"]["amount"]
        <= factor * renal.details["reference_max_daily"]["amount"]
    )
    assert plan.steps[-1].daily <= plan.max_daily
