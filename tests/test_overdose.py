"""Overdose: amounts, thresholds, children, clinician notes, the intrathecal path."""

from __future__ import annotations

from typing import Any

import pytest

from medguide.clinical.context import build_context
from medguide.clinical.findings import TRIAGE_RANK
from medguide.clinical.overdose import (
    Ingested,
    OverdoseInputError,
    check_overdose,
    compute_amount_mg,
)
from medguide.clinical.request import AssessRequest
from medguide.clinical.triage import check_now
from medguide.knowledge.loader import load_catalog

CAT = load_catalog()
BACLOFEN = CAT.drugs["baclofen"]


def od(**kw: Any) -> Any:
    return check_overdose(BACLOFEN, Ingested(drug="baclofen", **kw))


@pytest.mark.parametrize(
    ("kw", "mg"),
    [
        ({"amount": 3, "unit": "tablets", "strength_mg": 20}, 60),
        ({"amount": 250, "unit": "mg"}, 250),
        ({"amount": 0.5, "unit": "g"}, 500),
        ({"amount": 20, "unit": "mL", "concentration": "5 mg/mL"}, 100),
        ({"amount": 20, "unit": "mL", "product": "ozobax_ds"}, 40),
        ({"amount": 20, "unit": "mL"}, 100),  # worst case: the strongest liquid (Fleqsuvy)
        ({"amount": 2, "unit": "tablets"}, 40),  # worst case: the strongest tablet
        ({"amount": 2, "unit": "packets", "product": "lyvispah"}, 40),
        ({"amount": 100, "unit": "mcg", "route": "intrathecal"}, 0.1),
    ],
)
def test_amounts(kw: dict[str, Any], mg: float) -> None:
    amount, _ = compute_amount_mg(
        BACLOFEN, Ingested(drug="baclofen", **kw), kw.get("route", "oral")
    )
    assert amount == pytest.approx(mg)


def test_worst_case_is_said() -> None:
    _, assumptions = compute_amount_mg(
        BACLOFEN, Ingested(drug="baclofen", amount=2, unit="tablets"), "oral"
    )
    assert assumptions and "20 mg" in assumptions[0]
    # and it reaches the person, not only the computed values
    r = od(amount=1, unit="tablet", age_years=3)
    assert any("assumed the strongest" in why for why in r.reasons)


@pytest.mark.parametrize(
    "kw", [{"amount": 2, "unit": "spoonfuls"}, {"amount": 5, "unit": "mL", "concentration": "x"}]
)
def test_unreadable_ingestions_are_refused(kw: dict[str, Any]) -> None:
    with pytest.raises(OverdoseInputError):
        od(**kw)


# (ingestion, expected level, advice that must be there)
CASES: list[tuple[dict[str, Any], str, set[str]]] = [
    # the case: a 3-year-old and one 10 mg tablet → poison centre
    (
        {"amount": 1, "unit": "tablet", "strength_mg": 10, "age_years": 3},
        "urgent",
        {"call_poison_center"},
    ),
    (
        {"amount": 1, "unit": "tablet", "strength_mg": 10, "age_years": 3, "symptomatic": True},
        "emergency",
        {"call_emergency_services", "call_poison_center"},
    ),
    (
        {"amount": 4, "unit": "tablets", "strength_mg": 20, "age_years": 15},
        "emergency",
        {"call_emergency_services"},
    ),
    ({"amount": None, "age_years": 2}, "emergency", {"call_poison_center"}),
    # adults
    ({"amount": 30, "unit": "mg", "age_years": 40}, "routine", {"avoid_driving_until_known"}),
    ({"amount": 150, "unit": "mg", "age_years": 40}, "urgent", {"call_poison_center"}),
    # audit: a whole day's maximum (80 mg) or more at once is not "watch at home"
    ({"amount": 79, "unit": "mg", "age_years": 40}, "routine", {"contact_prescriber"}),
    ({"amount": 80, "unit": "mg", "age_years": 40}, "urgent", {"call_poison_center"}),
    ({"amount": 100, "unit": "mg", "age_years": 40}, "urgent", {"call_poison_center"}),
    ({"amount": 5, "unit": "tablets", "age_years": 40}, "urgent", {"call_poison_center"}),
    (
        {"amount": 250, "unit": "mg", "age_years": 40},
        "emergency",
        {"call_emergency_services", "call_poison_center"},
    ),
    ({"amount": None}, "emergency", {"call_emergency_services"}),  # unknown amount: large
    ({"amount": 30, "unit": "mg", "intentional": True}, "emergency", {"call_emergency_services"}),
    ({"amount": 30, "unit": "mg", "kidney_ml_min": 20}, "urgent", {"call_poison_center"}),
    ({"amount": 30, "unit": "mg", "dialysis": True}, "urgent", {"consider_hemodialysis"}),
    ({"amount": 30, "unit": "mg", "co_ingestants": ("alcohol",)}, "urgent", {"call_poison_center"}),
    # intrathecal: always an emergency
    (
        {"amount": 500, "unit": "mcg", "route": "intrathecal"},
        "emergency",
        {"call_emergency_services"},
    ),
    (
        {"amount": 10, "unit": "mcg", "route": "intrathecal"},
        "emergency",
        {"call_emergency_services"},
    ),
]


@pytest.mark.parametrize(("kw", "level", "advice"), CASES)
def test_cases(kw: dict[str, Any], level: str, advice: set[str]) -> None:
    r = od(**kw)
    assert r.level == level, r.reasons
    assert advice <= set(r.advice), r.advice
    (finding,) = r.findings
    assert finding.code == "overdose"
    assert finding.sources
    assert "do_not_double" not in r.advice


def test_mg_per_kg() -> None:
    r = od(amount=1, unit="tablet", strength_mg=10, age_years=3, weight_kg=14)
    assert r.computed["mg_per_kg"] == pytest.approx(10 / 14, abs=1e-3)
    assert r.computed["population"] == "child"


@pytest.mark.parametrize(
    ("hours", "charcoal"), [(0.5, True), (1.0, True), (None, True), (3.0, False)]
)
def test_charcoal_only_early(hours: float | None, charcoal: bool) -> None:
    r = od(amount=400, unit="mg", hours_ago=hours)
    assert ("consider_activated_charcoal" in r.advice) is charcoal
    notes = " ".join(r.findings[0].details["clinician_notes"])
    assert "airway" in notes


def test_no_charcoal_for_a_small_amount() -> None:
    assert "consider_activated_charcoal" not in od(amount=20, unit="mg", hours_ago=0.5).advice


@pytest.mark.parametrize(
    ("kw", "dialysis"),
    [
        ({"kidney_ml_min": 20}, True),
        ({"dialysis": True}, True),
        ({"kidney_ml_min": 100}, False),
        ({"kidney_ml_min": 70}, False),
    ],
)
def test_hemodialysis_only_with_impaired_kidneys(kw: dict[str, Any], dialysis: bool) -> None:
    r = od(amount=400, unit="mg", **kw)
    assert ("consider_hemodialysis" in r.advice) is dialysis
    if not dialysis:
        assert any("not routinely" in n for n in r.findings[0].details["clinician_notes"])


def test_hemodialysis_unknown_kidneys_is_not_checked() -> None:
    r = od(amount=400, unit="mg")
    assert any(n.check == "hemodialysis" for n in r.not_checked)


def test_intrathecal_path_has_its_own_management() -> None:
    r = od(amount=500, unit="mcg", route="intrathecal")
    notes = " ".join(r.findings[0].details["clinician_notes"]).lower()
    assert "pump" in notes
    assert r.computed["amount"] == "500 mcg"
    assert "consider_activated_charcoal" not in r.advice


@pytest.mark.parametrize("amount", [1, 10, 60, 150, 200, 1000, None])
def test_a_child_always_reaches_the_poison_centre(amount: float | None) -> None:
    r = od(amount=amount, unit="mg", age_years=4)
    assert "call_poison_center" in r.advice
    assert TRIAGE_RANK[r.level] >= TRIAGE_RANK["urgent"]


@pytest.mark.parametrize("mg", [0.5, 10, 80, 149, 150, 199, 200, 300, 2000])
def test_level_never_falls_as_the_amount_rises(mg: float) -> None:
    a, b = od(amount=mg, unit="mg"), od(amount=mg * 2, unit="mg")
    assert TRIAGE_RANK[b.level] >= TRIAGE_RANK[a.level]


def test_through_the_request() -> None:
    req = AssessRequest.model_validate(
        {
            "medications": [{"drug": "baclofen"}],
            "ingestion": {"drug": "baclofen", "amount": 1, "unit": "tablet", "strength_mg": 10},
            "patient": {"age_years": 3},
        }
    )
    result = check_now(build_context(CAT, req, None))
    assert result.triage is not None
    assert result.triage["level"] == "urgent"
    assert result.triage["suspected_state"] == "overdose"
    assert "call_poison_center" in result.advice


def test_symptoms_with_an_ingestion_escalate() -> None:
    req = AssessRequest.model_validate(
        {
            "medications": [{"drug": "baclofen"}],
            "ingestion": {"drug": "baclofen", "amount": 1, "unit": "tablet", "strength_mg": 10},
            "patient": {"age_years": 3},
            "symptoms": ["very sleepy"],
        }
    )
    result = check_now(build_context(CAT, req, None))
    assert result.triage is not None and result.triage["level"] == "emergency"
    assert result.advice[0] == "call_emergency_services"


def test_unknown_drug_ingestion_goes_to_poison_centre() -> None:
    req = AssessRequest.model_validate(
        {"medications": [{"drug": "baclofen"}], "ingestion": {"drug": "zzqx", "amount": 3}}
    )
    result = check_now(build_context(CAT, req, None))
    assert result.triage is not None and result.triage["level"] == "urgent"
    assert "call_poison_center" in result.advice
