"""Older adults, children, pregnancy and breastfeeding, conditions (issue 3)."""

from __future__ import annotations

import json
from dataclasses import replace
from types import MappingProxyType

import pytest

from medguide.clinical.conditions import resolve_condition
from medguide.clinical.context import Context
from medguide.clinical.model import Order, Resolved
from medguide.clinical.populations import check_populations
from medguide.clinical.request import AssessRequest
from medguide.knowledge.catalog import Catalog
from medguide.knowledge.loader import load_catalog
from medguide.knowledge.models.drug import Drug


def _resolved(drug_id: str) -> Resolved:
    return Resolved(drug_id, drug_id, drug_id, None, drug_id, "exact", 1.0)


def ctx_for(
    patient: dict[str, object],
    dose: float = 10,
    per_day: float | None = 3,
    route: str = "oral",
    unit: str = "mg",
    new: bool = False,
    drug_id: str = "baclofen",
    catalog: Catalog | None = None,
) -> Context:
    request = AssessRequest.model_validate({"patient": patient, "medications": [{"drug": drug_id}]})
    order = Order(
        index=0,
        text=drug_id,
        name=_resolved(drug_id),
        dose=dose,
        unit=unit,
        route=route,
        doses_per_day=per_day,
        new=new,
    )
    return Context(
        catalog=catalog or load_catalog(), request=request, now=None, orders=(order,), substances=()
    )


def codes(ctx: Context) -> set[str]:
    return {f.code for f in check_populations(ctx).findings}


OLD_MAN = {"age_years": 82, "weight_kg": 70, "sex": "male", "serum_creatinine_mg_dl": 1.8}


def test_the_82_year_old_gets_beers_and_encephalopathy_on_a_new_start() -> None:
    result = check_populations(ctx_for(OLD_MAN, new=True))
    by_code = {f.code: f for f in result.findings}
    beers = by_code["beers_kidney_avoid"]
    assert beers.sources == ("S28",) and beers.details["kidney"]["value"] == pytest.approx(
        31.3, abs=0.05
    )
    assert "monitor_mental_status" in beers.advice
    assert by_code["encephalopathy_risk"].sources == ("S27",)
    assert "geriatric_dose_caution" not in by_code  # 30 mg/day is below the 40 mg flag


@pytest.mark.parametrize(
    ("patient", "dose", "per_day", "new", "expected", "absent"),
    [
        (OLD_MAN, 10, 3, False, {"beers_kidney_avoid"}, {"encephalopathy_risk"}),
        (OLD_MAN, 5, 3, True, {"beers_kidney_avoid"}, {"encephalopathy_risk"}),  # 15 < 20
        (
            {**OLD_MAN, "serum_creatinine_mg_dl": 0.7},
            10,
            3,
            True,
            set(),
            {"beers_kidney_avoid", "encephalopathy_risk"},
        ),
        (
            {"age_years": 70, "crcl_ml_min": 90},
            15,
            4,
            False,
            {"geriatric_dose_caution"},
            {"beers_kidney_avoid"},
        ),
        ({"age_years": 70, "dialysis": "hemodialysis"}, 5, 1, False, {"beers_kidney_avoid"}, set()),
        (
            {"age_years": 64, "crcl_ml_min": 30},
            15,
            4,
            True,
            set(),
            {"beers_kidney_avoid", "geriatric_dose_caution", "encephalopathy_risk"},
        ),
    ],
)
def test_older_adult_table(
    patient: dict[str, object],
    dose: float,
    per_day: float,
    new: bool,
    expected: set[str],
    absent: set[str],
) -> None:
    found = codes(ctx_for(patient, dose=dose, per_day=per_day, new=new))
    assert expected <= found
    assert not (absent & found)


def test_five_year_old_on_15_mg_qid_is_flagged_with_mg_per_kg() -> None:
    result = check_populations(
        ctx_for({"age_years": 5, "weight_kg": 18, "sex": "female"}, dose=15, per_day=4)
    )
    by_code = {f.code: f for f in result.findings}
    assert "pediatric_label_not_established" in by_code
    f = by_code["pediatric_max_exceeded"]
    assert f.details["per_kg_daily"]["amount"] == pytest.approx(3.33, abs=0.01)
    assert f.details["max_daily"]["amount"] == 40
    assert "3.33 mg/kg/day" in f.message and "reduce_dose" in f.advice
    (per_kg,) = result.computed["dose_per_kg"]
    assert per_kg["amount"] == pytest.approx(3.33, abs=0.01) and per_kg["unit"] == "mg/kg/day"


@pytest.mark.parametrize(
    ("age", "weight", "dose", "per_day", "flagged"),
    [
        (5, 18, 5, 3, False),  # 15 mg/day, 0.83 mg/kg/day
        (5, 18, 10, 4, True),  # 40 mg/day is at the ceiling, but 2.2 mg/kg/day is over
        (5, 30, 10, 4, False),  # 40 mg/day, 1.33 mg/kg/day
        (9, 30, 20, 3, False),  # 60 mg/day is the 8-11 ceiling
        (9, 30, 20, 4, True),
        (1, 9, 15, 3, True),  # 45 mg/day over 40
        (12, 40, 20, 4, False),  # adult limits from 12: no paediatric ceiling
    ],
)
def test_pediatric_maxima(
    age: float, weight: float, dose: float, per_day: float, flagged: bool
) -> None:
    found = codes(ctx_for({"age_years": age, "weight_kg": weight}, dose=dose, per_day=per_day))
    assert ("pediatric_max_exceeded" in found) is flagged
    assert ("pediatric_label_not_established" in found) is (age < 12)


def test_missing_values_are_listed_not_passed() -> None:
    no_age = check_populations(ctx_for({}))
    assert any(n.check == "age" for n in no_age.not_checked)
    no_weight = check_populations(ctx_for({"age_years": 5}, dose=5))
    assert any("weight unknown" in n.reason for n in no_weight.not_checked)
    no_kidney = check_populations(ctx_for({"age_years": 80}))
    assert any(n.check == "beers_kidney_avoid" for n in no_kidney.not_checked)
    unread = check_populations(ctx_for({"age_years": 80, "crcl_ml_min": 90}, per_day=None))
    assert any(n.check == "geriatric_dose_caution" for n in unread.not_checked)


def test_intrathecal_under_four() -> None:
    found = codes(
        ctx_for(
            {"age_years": 3, "weight_kg": 14}, dose=50, unit="mcg", per_day=1, route="intrathecal"
        )
    )
    assert "pediatric_age_below_label" in found
    assert "pediatric_label_not_established" not in found  # that one is for oral use


def test_pregnancy_and_breastfeeding() -> None:
    result = check_populations(
        ctx_for({"age_years": 30, "sex": "female", "pregnant": True, "breastfeeding": True})
    )
    by_code = {f.code: f for f in result.findings}
    assert {"pregnancy_caution", "neonatal_withdrawal_risk", "lactation_info"} <= set(by_code)
    neo = by_code["neonatal_withdrawal_risk"]
    assert "do_not_stop_abruptly" in neo.advice and "gradual_taper" in neo.advice
    assert neo.severity == "high"
    assert "withdrawal" in by_code["lactation_info"].message
    assert "fetal_toxicity" not in by_code  # baclofen has no such statement


def test_unknown_pregnancy_status_is_not_checked() -> None:
    result = check_populations(ctx_for({"age_years": 30, "sex": "female"}))
    assert {n.check for n in result.not_checked} >= {"pregnancy", "breastfeeding"}
    male = check_populations(ctx_for({"age_years": 30, "sex": "male"}))
    assert not {n.check for n in male.not_checked} & {"pregnancy", "breastfeeding"}


def _catalog_with(drug: Drug) -> Catalog:
    base = load_catalog()
    return replace(base, drugs=MappingProxyType({**base.drugs, drug.id: drug}))


def test_fetal_toxicity_for_any_drug_that_declares_it() -> None:
    drug = Drug.model_validate_json(
        json.dumps(
            {
                "id": "testopril",
                "name": "testopril",
                "reproduction": {
                    "fetal_toxicity": {
                        "text": "Drugs acting on the renin-angiotensin system harm the fetus.",
                        "sources": ["S68"],
                        "severity": "critical",
                    }
                },
            }
        )
    )
    result = check_populations(
        ctx_for(
            {"age_years": 30, "sex": "female", "pregnant": True},
            drug_id="testopril",
            catalog=_catalog_with(drug),
        )
    )
    (f,) = result.findings
    assert (f.code, f.severity, f.sources) == ("fetal_toxicity", "critical", ("S68",))


@pytest.mark.parametrize(
    ("text", "condition"),
    [
        ("epilepsy", "seizure_disorder"),
        ("Fits since childhood", "seizure_disorder"),
        ("G40.909", "seizure_disorder"),
        ("ICD-10:G40.9", "seizure_disorder"),
        ("SNOMED:84757009", "seizure_disorder"),
        ("http://snomed.info/sct|230690007", "stroke"),
        ("CVA 2019", "stroke"),
        ("schizophrenia", "psychosis"),
        ("Parkinson’s disease", "parkinsons_disease"),
        ("S24.102A", "spinal_cord_injury_t6_or_above"),
        ("S24.104A", "spinal_cord_injury"),
        ("tetraplegia after a fall", "spinal_cord_injury_t6_or_above"),
        # Regression: a written cord level decides "T6 or above" (autonomic dysreflexia).
        ("T4 spinal cord injury", "spinal_cord_injury_t6_or_above"),
        ("C5 complete spinal cord injury", "spinal_cord_injury_t6_or_above"),
        ("SCI at T-6", "spinal_cord_injury_t6_or_above"),
        ("T8 spinal cord injury", "spinal_cord_injury"),
        ("L1 SCI", "spinal_cord_injury"),
        ("MS", "multiple_sclerosis"),
        ("cirrhosis", "liver_disease"),
        ("K70.30", "liver_disease"),
        ("type 2 diabetes", "diabetes"),
        ("CKD stage 4", "kidney_disease"),
        ("no epilepsy", None),
        ("banana", None),
        ("Z99.9", None),
        ("12345678", None),
    ],
)
def test_condition_vocabulary(text: str, condition: str | None) -> None:
    hit = resolve_condition(load_catalog(), text)
    assert (hit.condition_id if hit else None) == condition


def test_broader_condition_ids() -> None:
    hit = resolve_condition(load_catalog(), "S14.1")
    assert hit is not None and hit.ids == ("spinal_cord_injury_t6_or_above", "spinal_cord_injury")


@pytest.mark.parametrize(
    ("conditions", "route", "expected"),
    [
        (["epilepsy"], "oral", {"condition_caution"}),
        (["stroke"], "oral", {"condition_caution", "not_indicated"}),
        (["stroke"], "intrathecal", {"condition_caution"}),
        (["cirrhosis"], "oral", {"hepatic_caution"}),
        (["rheumatoid arthritis with rheumatic muscle spasm"], "oral", {"not_indicated"}),
        (["multiple sclerosis"], "oral", set()),
        (["T4 spinal cord injury"], "oral", {"condition_caution"}),  # regression
        (["T10 spinal cord injury"], "oral", set()),
    ],
)
def test_condition_findings(conditions: list[str], route: str, expected: set[str]) -> None:
    unit, dose = ("mcg", 100) if route == "intrathecal" else ("mg", 10)
    result = check_populations(
        ctx_for(
            {"age_years": 40, "sex": "male", "conditions": conditions},
            route=route,
            unit=unit,
            dose=dose,
            per_day=1,
        )
    )
    found = {f.code for f in result.findings}
    assert found == expected
    assert all(f.sources for f in result.findings)


def test_unknown_condition_is_not_checked() -> None:
    result = check_populations(ctx_for({"age_years": 40, "conditions": ["gout of the soul"]}))
    assert any("gout of the soul" in n.reason for n in result.not_checked)
