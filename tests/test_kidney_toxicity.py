"""Toxicity in kidney failure (issue 11 §5).

A drug that leaves by the kidneys builds up when they fail: confusion, somnolence or a fall in
consciousness in someone with reduced kidney function who takes it is suspected toxicity,
an emergency, and haemodialysis can remove the drug (S26, S29, S31, S33). The kidney values
come from the patient values worked out once (`ctx.patient`), from the conditions, or from
the events.
"""

from __future__ import annotations

from typing import Any

import pytest

from medguide.clinical.context import build_context
from medguide.clinical.request import AssessRequest
from medguide.clinical.triage import check_now
from medguide.codes import TRIAGE_RANK
from medguide.knowledge.loader import load_catalog

CAT = load_catalog()


def run(symptoms: list[str], **extra: Any) -> dict[str, Any]:
    extra.setdefault(
        "medications", [{"drug": "baclofen", "dose": 10, "unit": "mg", "frequency": "TID"}]
    )
    req = AssessRequest.model_validate({"symptoms": symptoms, **extra})
    r = check_now(build_context(CAT, req, req.now))
    return {
        "level": r.triage["level"] if r.triage else None,
        "state": r.triage["suspected_state"] if r.triage else None,
        "advice": r.advice,
        "tox": [f for f in r.findings if f.code == "suspected_toxicity"],
    }


# How reduced kidney function is told: a clearance, an eGFR, a creatinine, dialysis, a
# condition, an event.
KIDNEYS: dict[str, dict[str, Any]] = {
    "crcl 22": {"patient": {"crcl_ml_min": 22}},
    "egfr 40": {"patient": {"egfr": 40}},
    "creatinine 4.1": {
        "patient": {
            "serum_creatinine_mg_dl": 4.1,
            "age_years": 70,
            "weight_kg": 70,
            "sex": "female",
        }
    },
    "haemodialysis": {"patient": {"dialysis": "hemodialysis"}},
    "peritoneal dialysis": {"patient": {"dialysis": "peritoneal"}},
    "ckd condition": {"patient": {"conditions": ["chronic kidney disease"]}},
    "aki condition": {"patient": {"conditions": ["acute kidney injury"]}},
    "kidney worse event": {"events": [{"kind": "kidney_function_worse", "days_ago": 2}]},
    "dialysis started event": {"events": [{"kind": "dialysis_started", "days_ago": 5}]},
}
MENTAL = [
    "confused",
    "very sleepy",
    "encephalopathy",
    "not making sense",
    "somnolent",
    "muddled and seeing things",
]
CONSCIOUSNESS = [
    "can't wake him",
    "hard to rouse",
    "unresponsive",
    "gone floppy",
    "breathing very slowly",
]


@pytest.mark.parametrize("kidney", list(KIDNEYS))
@pytest.mark.parametrize("words", MENTAL)
def test_mental_change_with_kidney_failure_is_suspected_toxicity(kidney: str, words: str) -> None:
    r = run([words], **KIDNEYS[kidney])
    assert r["level"] == "emergency"
    assert r["state"] == "suspected_toxicity"
    assert r["tox"], "a suspected_toxicity finding"
    f = r["tox"][0]
    assert f.severity in ("high", "critical")
    assert {"consider_hemodialysis", "call_emergency_services"} <= set(r["advice"])
    assert r["advice"][0] == "call_emergency_services"
    assert {"S26"} <= set(f.sources), "the kidney-toxicity facts carry their sources"
    assert "baclofen" not in f.details.get("because", "")  # the reason is the kidneys


@pytest.mark.parametrize("kidney", list(KIDNEYS))
@pytest.mark.parametrize("words", CONSCIOUSNESS)
def test_fall_in_consciousness_with_kidney_failure_is_critical(kidney: str, words: str) -> None:
    r = run([words], **KIDNEYS[kidney])
    assert r["level"] == "emergency"
    assert r["tox"] and r["tox"][0].severity == "critical"
    assert "consider_hemodialysis" in r["advice"]


@pytest.mark.parametrize("kind", ["hemodialysis", "peritoneal"])
def test_dialysis_patient_who_took_more_than_prescribed(kind: str) -> None:
    r = run(
        [],
        patient={"dialysis": kind},
        ingestion={"drug": "baclofen", "amount": 30, "unit": "mg", "hours_ago": 3},
    )
    assert r["level"] == "emergency"
    assert r["tox"] and r["tox"][0].severity in ("high", "critical")
    assert {"consider_hemodialysis", "call_emergency_services"} <= set(r["advice"])


# Controls: the rule needs all three (kidneys, the drug, the signs).
CONTROLS: list[tuple[list[str], dict[str, Any], str]] = [
    # normal kidneys: confusion is urgent, not a dialysis case
    (["confused"], {"patient": {"crcl_ml_min": 95}}, "urgent"),
    (["confused"], {}, "urgent"),
    # reduced kidneys but a symptom that is no sign of build-up in the brain
    (["dry mouth"], {"patient": {"crcl_ml_min": 22}}, "urgent"),
    (["constipated"], {"patient": {"dialysis": "hemodialysis"}}, "urgent"),
    # reduced kidneys, confused, but not taking a drug the kidneys clear
    (
        ["confused"],
        {"patient": {"crcl_ml_min": 22}, "medications": [{"drug": "sertraline"}]},
        "urgent",
    ),
    # mildly reduced (above the knowledge's haemodialysis threshold)
    (["confused"], {"patient": {"crcl_ml_min": 70}}, "urgent"),
]


@pytest.mark.parametrize(("symptoms", "extra", "at_most"), CONTROLS)
def test_controls_get_no_haemodialysis(
    symptoms: list[str], extra: dict[str, Any], at_most: str
) -> None:
    r = run(symptoms, **extra)
    assert "consider_hemodialysis" not in r["advice"]
    assert not any(f.details.get("kidney") for f in r["tox"])
    assert TRIAGE_RANK[r["level"]] <= TRIAGE_RANK[at_most]


def test_no_drug_name_in_the_kidney_rule() -> None:
    import inspect

    import medguide.clinical.kidney_toxicity as kidney
    import medguide.clinical.symptom_reading as reading
    import medguide.clinical.triage as triage

    for module in (triage, kidney, reading):
        assert "baclofen" not in inspect.getsource(module).lower(), module.__name__
