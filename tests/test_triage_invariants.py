"""Safety invariants of what `check_now` returns, over generated symptoms and situations.

- a red flag present ⇒ emergency, whatever else is said or has happened;
- words that cannot be read never lower the level, and alone are never below urgent;
- no two pieces of advice that exclude each other (`codes.EXCLUSIVE_ADVICE`), and no advice
  the level rules out (an emergency with "take the missed dose now", "not urgent" with
  "contact the prescriber today").
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medguide.clinical.context import build_context
from medguide.clinical.request import AssessRequest
from medguide.clinical.triage import check_now
from medguide.codes import EXCLUSIVE_ADVICE, TRIAGE_RANK
from medguide.knowledge.loader import load_catalog

CAT = load_catalog()
VOCAB = CAT.symptoms

RED = sorted(w for s in VOCAB.symptoms if s.red_flag and not s.red_flag_when for w in s.words)
ANY_WORDS = sorted(w for s in VOCAB.symptoms for w in s.words)
NEGATED = sorted(f"no {w}" for s in VOCAB.symptoms for w in s.words if len(w.split()) <= 2)
UNREAD = st.from_regex(r"\A[qxz][qxzvkj]{3,9}\Z", fullmatch=True)

patients = st.sampled_from(
    [
        {},
        {"crcl_ml_min": 22},
        {"egfr": 45},
        {"crcl_ml_min": 95},
        {"dialysis": "hemodialysis"},
        {"conditions": ["chronic kidney disease"]},
        {"age_years": 4, "weight_kg": 16},
        {"age_years": 84},
    ]
)
events = st.lists(
    st.sampled_from(
        [
            {"kind": "stopped", "days_ago": 2, "daily_dose_mg": 60},
            {"kind": "dose_increased", "days_ago": 1},
            {"kind": "kidney_function_worse"},
            {"kind": "wants_to_stop"},
            {"kind": "pump_alarm"},
            {"kind": "started_drug", "drug": "zolpidem"},
        ]
    ),
    max_size=2,
    unique_by=lambda e: e["kind"],
)
extras = st.fixed_dictionaries(
    {},
    optional={
        "missed_dose": st.sampled_from(
            [
                {"drug": "baclofen", "scheduled": "13:00", "next_due": "21:00"},
                {"drug": "baclofen", "scheduled": "08:00", "next_due": "15:00"},
                {"drug": "baclofen", "scheduled": "08:00", "consecutive_missed": 3},
            ]
        ),
        "ingestion": st.sampled_from(
            [
                {"drug": "baclofen", "amount": 30, "unit": "mg", "hours_ago": 2},
                {"drug": "baclofen", "amount": 400, "unit": "mg", "hours_ago": 1},
                {"drug": "baclofen"},
            ]
        ),
        "substances": st.just(["alcohol"]),
        "last_dose_hours_ago": st.sampled_from([2.0, 60.0]),
    },
)
medications = st.sampled_from(
    [
        [{"text": "baclofen 10 mg tid"}],
        [{"text": "Gablofen 300 mcg/day intrathecal"}],
        [{"text": "baclofen 20 mg qid"}, {"text": "oxycodone 5 mg q6h"}],
        [{"drug": "sertraline"}],
    ]
)
symptom_lists = st.lists(st.sampled_from([*ANY_WORDS, *NEGATED]), max_size=3)


def run(symptoms: list[str], meds: Any, patient: Any, evs: Any, extra: Any) -> Any:
    req = AssessRequest.model_validate(
        {
            "medications": meds,
            "patient": patient,
            "events": evs,
            "symptoms": symptoms,
            "now": "2026-11-26T14:10:00-05:00",
            **extra,
        }
    )
    return check_now(build_context(CAT, req, req.now))


def consistent(result: Any) -> None:
    advice = set(result.advice)
    for pair in EXCLUSIVE_ADVICE:
        assert not pair <= advice, (pair, result.advice)
    if result.triage:
        level = result.triage["level"]
        if level == "emergency":
            assert result.advice[0] == "call_emergency_services"
            assert "take_missed_dose_now" not in advice
        if TRIAGE_RANK[level] < TRIAGE_RANK["urgent"]:
            assert "contact_prescriber" not in advice, result
            assert "call_emergency_services" not in advice


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(symptom_lists, medications, patients, events, extras)
def test_advice_never_contradicts_itself(
    symptoms: list[str], meds: Any, patient: Any, evs: Any, extra: Any
) -> None:
    consistent(run(symptoms, meds, patient, evs, extra))


# A red flag said alone or after a negated clause: the negation never reaches across.
FRAMES = [
    "{flag}",
    "no {other} but {flag}",
    "denies {other}; {flag}",
    "{flag}, no {other}",
    "not {other}. {flag}",
    "{flag} but no {other}",
]


@SETTINGS
@given(
    symptom_lists,
    st.sampled_from(RED),
    st.sampled_from(FRAMES),
    st.sampled_from(ANY_WORDS),
    medications,
    patients,
    events,
    extras,
)
def test_a_red_flag_present_is_an_emergency(
    symptoms: list[str],
    flag: str,
    frame: str,
    other: str,
    meds: Any,
    patient: Any,
    evs: Any,
    extra: Any,
) -> None:
    said = frame.format(flag=flag, other=other)
    result = run([*symptoms, said], meds, patient, evs, extra)
    assert result.triage is not None
    assert result.triage["level"] == "emergency", (said, result.triage)
    consistent(result)


@SETTINGS
@given(symptom_lists, UNREAD, medications, patients, events, extras)
def test_unknown_words_never_lower_the_level(
    symptoms: list[str], unread: str, meds: Any, patient: Any, evs: Any, extra: Any
) -> None:
    before = run(symptoms, meds, patient, evs, extra).triage
    after = run([*symptoms, unread], meds, patient, evs, extra)
    assert after.triage is not None
    level = after.triage["level"]
    assert TRIAGE_RANK[level] >= TRIAGE_RANK["urgent"], after.triage
    if before is not None:
        assert TRIAGE_RANK[level] >= TRIAGE_RANK[before["level"]]
    assert after.triage["reasons"][0].startswith("not understood")
    consistent(after)


# ------------------------------------------------------------------ the examples, as a table

# (what was said and happened, advice that must not be there, advice that must)
NO_CONTRADICTION: list[tuple[dict[str, Any], set[str], set[str]]] = [
    # an emergency never carries "take the missed dose now"
    (
        {
            "symptoms": ["can't wake him"],
            "missed_dose": {"drug": "baclofen", "scheduled": "13:00", "next_due": "21:00"},
        },
        {"take_missed_dose_now"},
        {"call_emergency_services"},
    ),
    (
        {
            "symptoms": ["chest pain"],
            "missed_dose": {"drug": "baclofen", "scheduled": "13:00", "next_due": "21:00"},
        },
        {"take_missed_dose_now"},
        {"call_emergency_services"},
    ),
    # kidney toxicity found late in check_now still holds the missed dose
    (
        {
            "symptoms": ["confused"],
            "patient": {"dialysis": "hemodialysis"},
            "missed_dose": {"drug": "baclofen", "scheduled": "13:00", "next_due": "21:00"},
        },
        {"take_missed_dose_now"},
        {"consider_hemodialysis", "skip_missed_dose"},
    ),
    # an overdose with a missed dose: skip, never "take it now" beside it
    (
        {
            "ingestion": {"drug": "baclofen", "amount": 250, "unit": "mg", "hours_ago": 1},
            "missed_dose": {"drug": "baclofen", "scheduled": "13:00", "next_due": "21:00"},
        },
        {"take_missed_dose_now"},
        {"skip_missed_dose"},
    ),
    # "not urgent" never beside "contact the prescriber today"
    ({"events": [{"kind": "wants_to_stop"}]}, {"contact_prescriber"}, {"gradual_taper"}),
    ({"symptoms": ["a bit sleepy"]}, {"contact_prescriber"}, set()),
]


@pytest.mark.parametrize(("extra", "never", "always"), NO_CONTRADICTION)
def test_examples_never_contradict(
    extra: dict[str, Any], never: set[str], always: set[str]
) -> None:
    req = AssessRequest.model_validate(
        {
            "medications": [{"text": "baclofen 10 mg tid"}],
            "now": "2026-11-26T14:10:00-05:00",
            **extra,
        }
    )
    result = check_now(build_context(CAT, req, req.now))
    assert not never & set(result.advice), result.advice
    assert always <= set(result.advice), result.advice
    consistent(result)
