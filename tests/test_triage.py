"""Symptom triage: red flags, states, levels, controls, and the safety invariants."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medguide.clinical.context import build_context
from medguide.clinical.findings import ADVICE_CODES, TRIAGE_RANK
from medguide.clinical.request import AssessRequest
from medguide.clinical.triage import Cue, Situation, check_now, check_triage, read_symptom
from medguide.knowledge.loader import load_catalog
from medguide.knowledge.models.symptoms import normalize_words

CAT = load_catalog()
VOCAB = CAT.symptoms


def now_result(**request: Any) -> dict[str, Any]:
    request.setdefault("medications", [{"drug": "baclofen"}])
    req = AssessRequest.model_validate(request)
    result = check_now(build_context(CAT, req, req.now))
    return {
        "triage": dict(result.triage) if result.triage else None,
        "advice": result.advice,
        "codes": [f.code for f in result.findings],
        "findings": result.findings,
    }


# ------------------------------------------------------------------ the vocabulary


def test_vocabulary_is_large_and_linked_to_baclofen() -> None:
    assert len(VOCAB.symptoms) >= 30
    linked = {lk.drug for s in VOCAB.symptoms for lk in s.links}
    assert linked <= set(CAT.drugs)
    states = {(lk.state, lk.route) for s in VOCAB.symptoms for lk in s.links}
    for needed in [
        ("expected_side_effect", "any"),
        ("toxicity", "any"),
        ("overdose", "any"),
        ("withdrawal", "oral"),
        ("withdrawal", "intrathecal"),
        ("overdose", "intrathecal"),
    ]:
        assert needed in states


def test_link_advice_codes_are_known() -> None:
    for s in VOCAB.symptoms:
        for lk in s.links:
            assert set(lk.advice) <= ADVICE_CODES, (s.id, lk.advice)


def test_adverse_effects_point_at_real_symptoms() -> None:
    ids = {s.id for s in VOCAB.symptoms}
    pointed = [a.symptom for a in CAT.drugs["baclofen"].adverse_effects if a.symptom]
    assert len(pointed) >= 15
    assert set(pointed) <= ids


@pytest.mark.parametrize(
    ("text", "symptom"),
    [
        ("can't stay awake", "very_sleepy"),
        ("cant wake him up", "unrousable"),
        ("Can't wake her!", "unrousable"),
        ("breathing slow", "slow_breathing"),
        ("he's breathing very slowly", "slow_breathing"),
        ("seeing things", "hallucinations"),
        ("itchy all over", "itching"),
        ("burning up", "fever"),
        ("very sleepy", "very_sleepy"),
        ("a bit sleepy", "drowsy"),
        ("muddled", "confusion"),
        ("shaking/fitting", "seizure"),
        ("having a fit", "seizure"),
        ("pins and needles", "tingling"),
        ("trouble falling asleep", "insomnia"),
        ("spasms are worse", "spasticity_rebound"),
        ("lips swollen", "allergic_swelling"),
        ("Bäclofen made me dizzy", "dizzy"),
        # audit: ways of saying a red flag that used to fall through to "not understood"
        ("no breathing", "slow_breathing"),
        ("he isn't breathing", "slow_breathing"),
        ("NOT BREATHING", "slow_breathing"),
        ("not breathing normally", "slow_breathing"),
        ("no pulse", "no_pulse"),
        ("hard to breathe", "breathing_difficulty"),
        ("short of breath", "breathless"),
        ("wakes only when shaken", "very_sleepy"),
        # misspellings, read as the one known word they are a letter away from
        ("siezure", "seizure"),
        ("seezure", "seizure"),
        ("unconcious", "unrousable"),
        ("halucinating", "hallucinations"),
        ("breathing slowley", "slow_breathing"),
    ],
)
def test_everyday_words(text: str, symptom: str) -> None:
    assert symptom in read_symptom(VOCAB, text).symptoms


# (phrase, read as present, read as absent)
NEGATIONS: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    ("no fever", (), ("fever",)),
    ("not sleepy", (), ("drowsy",)),
    ("no seizure, just sleepy", ("drowsy",), ("seizure",)),
    ("never had a seizure but very sleepy", ("very_sleepy",), ("seizure",)),
    ("not confused", (), ("confusion",)),
    # a break or a pronoun between the "no" and the symptom: the symptom stands
    ("no, he is having a seizure", ("seizure",), ()),
    ("No he's fitting", ("seizure",), ()),
    ("no longer fitting", ("seizure",), ()),  # there was a fit
    # phrases that carry their own negation are read whole
    ("not breathing", ("slow_breathing",), ()),
    ("not responding", ("unrousable",), ()),
    ("won't wake up", ("unrousable",), ()),
    # a common word one letter from a symptom word is not read as it
    ("sitting up, drowsy", ("drowsy",), ()),
]


@pytest.mark.parametrize(("text", "present", "absent"), NEGATIONS)
def test_negation(text: str, present: tuple[str, ...], absent: tuple[str, ...]) -> None:
    r = read_symptom(VOCAB, text)
    assert r.symptoms == present, r
    assert r.absent == absent, r


def test_a_misspelling_is_listed_back_and_keeps_the_floor() -> None:
    t = check_triage(VOCAB, ["a bit drowzy"], Situation())
    assert t.symptoms == ("drowsy",)
    assert t.not_understood == ("drowzy (read as 'drowsy')",)
    assert t.level == "routine"  # a guess is never read as reassurance


def test_leftover_words_keep_the_floor() -> None:
    # "blood" is not understood; the sickness we did read must not make it self-care
    t = check_triage(VOCAB, ["vomiting blood"], Situation())
    assert t.not_understood == ("blood",)
    assert t.level == "routine"
    assert "not_covered_refer" in t.advice


def test_serious_side_effect_is_not_called_mild() -> None:
    r = now_result(symptoms=["seizure"])
    f = next(f for f in r["findings"] if f.code == "expected_side_effect")
    assert f.severity == "critical"
    assert "settle" not in f.message and "serious" in f.message


@pytest.mark.parametrize(
    ("text", "symptom"),
    [
        ("breathing 6 a minute", "slow_breathing"),
        ("RR 8", "slow_breathing"),
        ("resp rate 9", "slow_breathing"),
        ("temp 39.5", "fever"),
        ("temperature 40.2C", "very_high_fever"),
        ("temp 104 F", "very_high_fever"),
        ("pulse 42", "slow_heart"),
        ("heart rate 130", "fast_heart"),
        ("BP 82/50", "faint"),
        ("GCS 7", "unrousable"),
        ("GCS 12", "very_sleepy"),
        ("AVPU P", "unrousable"),
        ("avpu v", "very_sleepy"),
        ("temp 34.2", "cold"),
    ],
)
def test_measured_signs(text: str, symptom: str) -> None:
    assert symptom in read_symptom(VOCAB, text).symptoms


@pytest.mark.parametrize("text", ["breathing 16 a minute", "temp 37.0", "pulse 72", "GCS 15"])
def test_normal_measurements_are_not_symptoms(text: str) -> None:
    r = read_symptom(VOCAB, text)
    assert r.symptoms == ()
    assert r.measures  # understood, not "not understood"
    assert check_triage(VOCAB, [text], Situation()).not_understood == ()


def test_impossible_measurement_is_not_understood() -> None:
    t = check_triage(VOCAB, ["temp 70"], Situation())
    assert t.not_understood and "not a possible value" in t.not_understood[0]


def test_normalize_words() -> None:
    assert normalize_words("Can't wake HIM up!") == "cant wake up"


# ------------------------------------------------------------------ red flags

ALWAYS = [s for s in VOCAB.symptoms if s.red_flag and not s.red_flag_when]
SITUATIONS = {
    "none": Situation(),
    "expected": Situation((Cue("baclofen", "expected_side_effect", "any", "takes it", False),)),
    "withdrawal": Situation((Cue("baclofen", "withdrawal", "oral", "stopped"),)),
    "toxicity": Situation((Cue("baclofen", "toxicity", "any", "dose up"),)),
    "intrathecal": Situation(
        (Cue("baclofen", "withdrawal", "intrathecal", "pump", False),), intrathecal=True
    ),
}


@pytest.mark.parametrize("symptom", [s.id for s in ALWAYS])
@pytest.mark.parametrize("where", list(SITUATIONS))
def test_unconditional_red_flags_are_always_emergencies(symptom: str, where: str) -> None:
    s = VOCAB.get(symptom)
    assert s is not None
    t = check_triage(VOCAB, [s.words[0]], SITUATIONS[where])
    assert t.level == "emergency"
    assert symptom in t.red_flags
    assert "call_emergency_services" in t.advice


def test_every_brief_red_flag_is_present() -> None:
    ids = {s.id for s in ALWAYS}
    assert {"unrousable", "slow_breathing", "seizure"} <= ids


# ------------------------------------------------------------------ clinical cases

# (symptoms, request extras, level, suspected state)
CASES: list[tuple[list[str], dict[str, Any], str, str | None]] = [
    # the case: stopped 60 mg a day four days ago, then a seizure
    (
        ["seizure"],
        {"events": [{"kind": "stopped", "days_ago": 4, "daily_dose_mg": 60}]},
        "emergency",
        "suspected_withdrawal",
    ),
    # hallucinations after stopping: a red flag
    (
        ["seeing things"],
        {"events": [{"kind": "stopped", "days_ago": 2}]},
        "emergency",
        "suspected_withdrawal",
    ),
    (
        ["seeing things"],
        {"events": [{"kind": "doses_missed"}]},
        "emergency",
        "suspected_withdrawal",
    ),
    (["seeing things"], {"last_dose_hours_ago": 30}, "emergency", "suspected_withdrawal"),
    # high fever with confusion
    (["burning up", "confused"], {}, "emergency", None),
    (["temp 39", "muddled"], {}, "emergency", None),
    # fever after stopping
    (
        ["fever"],
        {"events": [{"kind": "stopped", "days_ago": 1}]},
        "emergency",
        "suspected_withdrawal",
    ),
    # intrathecal withdrawal signs
    (["itchy all over"], {"events": [{"kind": "pump_alarm"}]}, "emergency", "suspected_withdrawal"),
    (
        ["spasms are back"],
        {"events": [{"kind": "pump_refill_missed"}]},
        "emergency",
        "suspected_withdrawal",
    ),
    (
        ["pins and needles"],
        {"medications": [{"drug": "baclofen", "route": "intrathecal"}]},
        "emergency",
        "suspected_withdrawal",
    ),
    # oral withdrawal without red flags: urgent
    (
        ["agitated", "spasms worse"],
        {"events": [{"kind": "stopped", "days_ago": 2}]},
        "urgent",
        "suspected_withdrawal",
    ),
    # toxicity: increase, sedating company, kidneys
    (["very sleepy", "muddled"], {"substances": ["alcohol"]}, "urgent", "suspected_toxicity"),
    (
        ["muddled"],
        {"events": [{"kind": "dose_increased", "days_ago": 2}]},
        "urgent",
        "suspected_toxicity",
    ),
    (["confused"], {"events": [{"kind": "kidney_function_worse"}]}, "urgent", "suspected_toxicity"),
    (["very drowsy"], {"events": [{"kind": "dialysis_started"}]}, "urgent", "suspected_toxicity"),
    (["confused"], {"patient": {"crcl_ml_min": 20}}, "urgent", "suspected_toxicity"),
    (
        ["drowsy"],
        {"events": [{"kind": "started_drug", "drug": "zolpidem"}]},
        "routine",
        "suspected_toxicity",
    ),
    # expected mild effects early in treatment stay low
    (
        ["a bit sleepy", "dizzy"],
        {"medications": [{"drug": "baclofen", "new": True}]},
        "self_care",
        "expected_side_effect",
    ),
    (["feeling sick"], {}, "self_care", "expected_side_effect"),
    (["headache", "constipated"], {}, "self_care", "expected_side_effect"),
    (["low mood"], {}, "routine", "expected_side_effect"),
    # other levels
    (["can't pee"], {}, "urgent", "expected_side_effect"),
    (["rash"], {}, "urgent", "expected_side_effect"),
    (["itchy"], {}, "routine", None),
    # audit regressions
    (["no fever", "confused"], {}, "urgent", "expected_side_effect"),  # "no fever" is no fever
    (["confused"], {}, "urgent", "expected_side_effect"),  # new confusion: a clinician today
    (["no pulse"], {}, "emergency", None),
    (
        ["siezure"],
        {"events": [{"kind": "stopped", "days_ago": 2}]},
        "emergency",
        "suspected_withdrawal",
    ),
    (["no seizure", "a bit sleepy"], {}, "self_care", "expected_side_effect"),
    (["temp 38"], {}, "self_care", None),  # a normal reading still gets an answer
    (["no fever"], {}, "self_care", None),
    # build-up with failing kidneys: sleepiness needs a clinician today
    (["drowsy"], {"patient": {"dialysis": "hemodialysis"}}, "urgent", "suspected_toxicity"),
    (["a bit sleepy"], {"patient": {"crcl_ml_min": 20}}, "urgent", "suspected_toxicity"),
    (["short of breath"], {"substances": ["alcohol"]}, "emergency", "suspected_toxicity"),
]


@pytest.mark.parametrize(("symptoms", "extra", "level", "state"), CASES)
def test_cases(symptoms: list[str], extra: dict[str, Any], level: str, state: str | None) -> None:
    r = now_result(symptoms=symptoms, **extra)
    assert r["triage"]["level"] == level, r["triage"]
    assert r["triage"]["suspected_state"] == state, r["triage"]
    if level == "emergency":
        assert r["advice"][0] == "call_emergency_services"
    if state in ("suspected_withdrawal", "suspected_toxicity", "expected_side_effect"):
        assert state in r["codes"]
        assert all(f.sources for f in r["findings"])


def test_mild_effects_carry_driving_and_alcohol_advice() -> None:
    r = now_result(symptoms=["a bit sleepy"], medications=[{"drug": "baclofen", "new": True}])
    assert {"avoid_driving_until_known", "avoid_alcohol"} <= set(r["advice"])
    assert "call_emergency_services" not in r["advice"]


# Controls: things that must not escalate.
@pytest.mark.parametrize(
    ("symptoms", "extra", "at_most"),
    [
        (["seeing things"], {}, "urgent"),  # a hallucination without a stop is not a red flag
        (["fever"], {}, "routine"),  # fever alone, no confusion, no stop, no pump
        (["itchy all over"], {}, "routine"),  # itching without a pump
        (["tired"], {}, "self_care"),
        (
            ["a bit sleepy"],
            {"events": [{"kind": "started_drug", "drug": "amlodipine"}]},
            "self_care",
        ),  # a new drug that does not sedate
        (
            ["headache"],
            {"medications": [{"drug": "baclofen", "route": "intrathecal"}]},
            "self_care",
        ),  # a pump alone does not make every symptom urgent
    ],
)
def test_controls_do_not_escalate(symptoms: list[str], extra: dict[str, Any], at_most: str) -> None:
    r = now_result(symptoms=symptoms, **extra)
    assert TRIAGE_RANK[r["triage"]["level"]] <= TRIAGE_RANK[at_most], r["triage"]


@pytest.mark.parametrize(
    "extra",
    [
        {"last_dose_hours_ago": 48},
        {"events": [{"kind": "doses_missed", "days_ago": 1}]},
        {
            "missed_dose": {
                "drug": "baclofen",
                "scheduled": "07:00",
                "next_due": "15:00",
                "consecutive_missed": 3,
            },
            "now": "2026-11-26T10:00:00+00:00",
        },
    ],
)
def test_a_gap_without_symptoms_is_a_withdrawal_risk(extra: dict[str, Any]) -> None:
    r = now_result(**extra)
    assert r["triage"] is not None and r["triage"]["level"] == "urgent"
    assert "withdrawal_risk" in r["codes"]
    assert {"contact_prescriber", "do_not_take_all_missed_doses"} <= set(r["advice"])
    assert all(f.sources for f in r["findings"])


def test_held_missed_dose_gives_no_contrary_reason() -> None:
    r = now_result(
        missed_dose={"drug": "baclofen", "scheduled": "07:00", "next_due": "15:00"},
        ingestion={"drug": "baclofen", "amount": 300, "unit": "mg", "intentional": True},
        now="2026-11-26T10:00:00+00:00",
    )
    assert "take_missed_dose_now" not in r["advice"]
    assert not any(w.startswith("Take the missed dose") for w in r["triage"]["reasons"])


def test_stopped_without_symptoms_is_a_withdrawal_risk() -> None:
    r = now_result(events=[{"kind": "stopped", "days_ago": 1, "daily_dose_mg": 60}])
    assert r["triage"]["level"] == "urgent"
    assert "withdrawal_risk" in r["codes"]
    assert "contact_prescriber" in r["advice"]


def test_wanting_to_stop_gives_taper_advice() -> None:
    r = now_result(
        medications=[{"text": "baclofen 20 mg tid"}],
        events=[{"kind": "wants_to_stop"}],
        now="2026-11-26T10:00:00+00:00",
    )
    assert {"do_not_stop_abruptly", "gradual_taper", "contact_prescriber"} <= set(r["advice"])
    f = next(f for f in r["findings"] if f.code == "withdrawal_risk")
    plan = f.details.get("plan")
    if plan is not None:  # the taper planner is installed
        daily = [s["daily"] for s in plan["steps"]]
        assert daily == sorted(daily, reverse=True) and daily[-1] == 0


def test_nothing_to_triage_gives_no_triage() -> None:
    assert now_result()["triage"] is None


def test_not_understood_is_listed_and_not_self_care() -> None:
    r = now_result(symptoms=["flibbertigibbet"])
    assert r["triage"]["not_understood"] == ["flibbertigibbet"]
    assert r["triage"]["level"] == "routine"
    assert "not_covered_refer" in r["advice"]


def test_partly_understood_phrase_echoes_the_rest() -> None:
    t = check_triage(VOCAB, ["very sleepy since lunchtime"], Situation())
    assert t.symptoms == ("very_sleepy",)
    assert t.not_understood == ("lunchtime",)  # "since" is a small word of no weight
    assert t.level == "urgent"


# ------------------------------------------------------------------ invariants

PHRASES = sorted({w for s in VOCAB.symptoms for w in s.words})
RED = sorted(s.words[0] for s in ALWAYS)
situations = st.sampled_from(list(SITUATIONS.values()))
words = st.lists(st.sampled_from(PHRASES), max_size=4)
junk = st.lists(st.text(alphabet="qxzjkvw ", min_size=1, max_size=12), max_size=3)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=words, flag=st.sampled_from(RED), where=situations)
def test_adding_a_red_flag_never_lowers_the_level(
    base: list[str], flag: str, where: Situation
) -> None:
    before = check_triage(VOCAB, base, where).level
    after = check_triage(VOCAB, [*base, flag], where).level
    assert after == "emergency"
    assert TRIAGE_RANK[after] >= TRIAGE_RANK[before]


@settings(max_examples=200, deadline=None)
@given(base=words, extra=st.sampled_from(PHRASES), where=situations)
def test_adding_a_symptom_never_lowers_the_level(
    base: list[str], extra: str, where: Situation
) -> None:
    before = check_triage(VOCAB, base, where).level
    after = check_triage(VOCAB, [*base, extra], where).level
    assert TRIAGE_RANK[after] >= TRIAGE_RANK[before]


@settings(max_examples=200, deadline=None)
@given(base=words, noise=junk, where=situations)
def test_unknown_words_never_lower_the_level(
    base: list[str], noise: list[str], where: Situation
) -> None:
    before = check_triage(VOCAB, base, where)
    after = check_triage(VOCAB, [*base, *noise], where)
    assert TRIAGE_RANK[after.level] >= TRIAGE_RANK[before.level]
    for n in noise:
        if n.strip() and not read_symptom(VOCAB, n).symptoms:
            assert n in after.not_understood


@settings(max_examples=200, deadline=None)
@given(
    base=words,
    flag=st.sampled_from(RED),
    lead=st.sampled_from(["no, ", "No! ", "no he is ", "not sure but ", "NO. "]),
    where=situations,
)
def test_a_red_flag_after_a_break_is_never_read_as_absent(
    base: list[str], flag: str, lead: str, where: Situation
) -> None:
    t = check_triage(VOCAB, [*base, lead + flag], where)
    assert t.level == "emergency"
    assert t.red_flags


@settings(max_examples=200, deadline=None)
@given(base=words, extra=st.sampled_from(PHRASES), where=situations)
def test_saying_a_symptom_is_absent_never_raises_the_level(
    base: list[str], extra: str, where: Situation
) -> None:
    # "no <phrase>" read as absent must not add a level; when the phrase carries its own
    # negation ("not breathing") it is read whole and may raise it, which is right.
    r = read_symptom(VOCAB, "without " + extra)
    if r.symptoms == ():
        assert r.absent  # the phrase was read, as absent
        before = check_triage(VOCAB, base, where).level
        after = check_triage(VOCAB, [*base, "without " + extra], where).level
        # only the floor for words left over may lift it, never to more than routine
        assert TRIAGE_RANK[after] <= max(TRIAGE_RANK[before], TRIAGE_RANK["routine"])
        if not r.leftover:
            assert after == before


@settings(max_examples=100, deadline=None)
@given(base=words, where=situations)
def test_triage_is_deterministic(base: list[str], where: Situation) -> None:
    assert check_triage(VOCAB, base, where) == check_triage(VOCAB, base, where)
