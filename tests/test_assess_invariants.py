"""Invariants of the whole assessment, over generated requests.

Whatever a valid request holds (odd order text, missing values, unknown words), the
assessment returns a result: no exception, every code from the stable lists, every cited
source in the bibliography, and the knowledge version reported.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medguide.clinical.assess import assess
from medguide.clinical.findings import ADVICE_CODES, FINDING_CODES, TRIAGE_RANK
from medguide.clinical.request import AssessRequest
from medguide.codes import EXCLUSIVE_ADVICE
from medguide.knowledge.loader import load_catalog

CAT = load_catalog()
WORDS = [
    "baclofen",
    "Lioresal",
    "Ozobax",
    "DS",
    "Fleqsuvy",
    "Lyvispah",
    "Gablofen",
    "oxycodone",
    "tizanidine",
    "fluvoxamine",
    "warfarin",
    "xyzzy",
    "10",
    "5",
    ".5",
    "5.0",
    "20",
    "100",
    "mg",
    "mcg",
    "mL",
    "tab",
    "tabs",
    "1-2",
    "tid",
    "qid",
    "bid",
    "qd",
    "q8h",
    "daily",
    "/day",
    "divided",
    "po",
    "intrathecal",
    "bolus",
    "prn",
    "three",
    "times",
    "a",
    "day",
    ",",
]
SYMPTOMS = [
    "very sleepy",
    "can't wake him",
    "breathing slow",
    "seeing things",
    "itchy all over",
    "burning up",
    "muddled",
    "no fever",
    "seizure",
    "temp 39.5",
    "blorp",
    "dizzy",
]

order_text = st.lists(st.sampled_from(WORDS), min_size=1, max_size=8).map(" ".join)
patient = st.fixed_dictionaries(
    {},
    optional={
        "age_years": st.floats(0, 125),
        "weight_kg": st.floats(1, 300),
        "sex": st.sampled_from(["male", "female"]),
        "serum_creatinine_mg_dl": st.floats(0.1, 25),
        "egfr": st.floats(0, 250),
        "dialysis": st.sampled_from(["none", "hemodialysis", "peritoneal"]),
        "pregnant": st.booleans(),
        "breastfeeding": st.booleans(),
        "conditions": st.lists(st.sampled_from(["epilepsy", "G40.909", "stroke", "zzz"])),
        "naive_to": st.sampled_from([(), ("baclofen",), ("Lioresal",)]),
    },
).filter(lambda p: not (p.get("pregnant") and p.get("sex") == "male"))  # refused at the door
request = st.fixed_dictionaries(
    {
        "medications": st.lists(
            st.builds(lambda t, new: {"text": t, "new": new}, order_text, st.booleans()),
            min_size=1,
            max_size=5,
        )
    },
    optional={
        "patient": patient,
        "substances": st.lists(st.sampled_from(["alcohol", "a glass of wine", "kava", "zz"])),
        "symptoms": st.lists(st.sampled_from(SYMPTOMS), max_size=3),
        "last_dose_hours_ago": st.floats(0, 200),
        "missed_dose": st.fixed_dictionaries(
            {
                "drug": st.just("baclofen"),
                "scheduled": st.sampled_from(["07:00", "13:00", "23:30"]),
            },
            optional={
                "next_due": st.sampled_from(["08:00", "15:00", "21:00", "00:30"]),
                "consecutive_missed": st.integers(1, 6),
            },
        ),
        "now": st.sampled_from(["2026-11-26T14:10:00-05:00", "2026-03-29T01:30:00+00:00"]),
        "ingestion": st.fixed_dictionaries(
            {"drug": st.sampled_from(["baclofen", "Ozobax", "xyzzy"])},
            optional={
                "amount": st.floats(0.5, 5000),
                "unit": st.sampled_from(["mg", "tablets", "mL"]),
                "hours_ago": st.floats(0, 48),
            },
        ),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request)
def test_assessment_always_answers_in_its_own_words(data: dict[str, Any]) -> None:
    result = assess(CAT, AssessRequest.model_validate(data))
    assert result.knowledge_version == CAT.version
    for f in result.findings:
        assert f.code in FINDING_CODES
        assert set(f.advice) <= ADVICE_CODES
        assert all(s in CAT.sources for s in f.sources), f
        assert f.message
    assert set(result.advice) <= ADVICE_CODES
    if result.triage is not None:
        assert result.triage["level"] in TRIAGE_RANK
    # never both "take the missed dose now" and an instruction to skip or hold it
    assert not {"take_missed_dose_now", "skip_missed_dose"} <= set(result.advice)
    # one answer: the level decides, nothing contradicts it
    for pair in EXCLUSIVE_ADVICE:
        assert not pair <= set(result.advice), result.advice
    holding = {f.code for f in result.findings} & {"overdose", "suspected_toxicity"}
    emergency = result.triage is not None and result.triage["level"] == "emergency"
    if emergency or holding:
        assert "take_missed_dose_now" not in result.advice
    if emergency:
        assert result.advice[0] in ("call_emergency_services", "call_poison_center")
    if "call_emergency_services" in result.advice:
        assert emergency
