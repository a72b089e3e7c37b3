"""The red-flag table: how people say it, negated and not, and the level each must reach.

Written before looking at how the matcher reads words. Each row is a phrasing a patient or a
carer might type, with the least level it must reach and, for controls, the most. The classes
follow a standard emergency-symptom list (NHS "When to call 999", source `G-nhs-999`):
suicidal intent, intentional ingestion, chest pain, stroke signs, seizure, breathing,
consciousness, sudden confusion, high fever with rigidity, severe allergic reaction, heavy
bleeding. Every door that reads symptoms (`check_triage`, `check_now`, `ask`, the `triage`
command) must agree.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from medguide.clinical.context import build_context
from medguide.clinical.request import AssessRequest
from medguide.clinical.triage import Situation, check_now, check_triage
from medguide.codes import TRIAGE_RANK
from medguide.knowledge.loader import load_catalog

CAT = load_catalog()
VOCAB = CAT.symptoms


class Row(NamedTuple):
    text: str
    at_least: str
    at_most: str = "emergency"


def _rows(at_least: str, at_most: str, *texts: str) -> list[Row]:
    return [Row(t, at_least, at_most) for t in texts]


E, U, R, S = "emergency", "urgent", "routine", "self_care"

TABLE: dict[str, list[Row]] = {
    "suicidal_intent": _rows(
        E,
        E,
        "wants to kill himself",
        "she wants to kill herself",
        "I want to kill myself",
        "he said he wants to die",
        "talking about ending it all",
        "thinking of ending my life",
        "suicidal",
        "feeling suicidal",
        "says she'd be better off dead",
        "I don't want to be alive anymore",
        "planning to end my life",
        "threatening to take his own life",
        "thoughts of suicide",
        "Wants to kill himself!!",
    )
    + _rows(U, E, "has been self-harming", "cut herself on purpose"),
    "intentional_ingestion": _rows(
        E,
        E,
        "took the whole bottle",
        "took all my pills",
        "he swallowed a handful of tablets",
        "took an overdose",
        "she overdosed on purpose",
        "took the whole packet",
        "swallowed all of her baclofen",
        "took loads of tablets to end it",
        "took 30 tablets at once",
        "took too many tablets on purpose",
        "deliberately took extra pills",
        "Took the WHOLE bottle.",
    )
    + _rows(
        U,
        E,
        "the child got into the pill bottle",
        "toddler ate some of grandma's tablets",
    ),
    "chest_pain": _rows(
        E,
        E,
        "chest pain",
        "pain in my chest",
        "crushing chest pain",
        "tight chest",
        "chest feels tight and heavy",
        "pressure in the chest",
        "pain spreading down my left arm",
        "chest hurts",
        "sharp pain in his chest",
        "chest pains",
        "squeezing feeling in my chest",
        "Chest Pain.",
        "cheast pain",
    ),
    "stroke_signs": _rows(
        E,
        E,
        "slurred speech",
        "speech is slurred",
        "slurring her words",
        "face drooping on one side",
        "face has dropped",
        "one side of his face is droopy",
        "can't lift one arm",
        "arm weakness on one side",
        "sudden weakness on one side",
        "can't get her words out",
        "words coming out wrong",
        "sudden loss of vision",
        "mouth drooping",
        "numb down one side",
        "can't speak properly",
    ),
    "seizure": _rows(
        E,
        E,
        "fitting",
        "he's fitting",
        "having a fit",
        "had a seizure",
        "seizure",
        "convulsing",
        "convulsions",
        "shaking and drooling, eyes rolled back",
        "jerking all over and not responding",
        "eyes rolled back",
        "body went stiff and started jerking",
        "fit lasting five minutes",
        "he's fitting!!!",
        "siezure",
    ),
    "breathing": _rows(
        E,
        E,
        "not breathing",
        "he's not breathing",
        "stopped breathing",
        "can't breathe",
        "cant breathe",
        "CAN'T BREATHE!!",
        "struggling to breathe",
        "gasping for air",
        "breathing very slowly",
        "breathing slow",
        "barely breathing",
        "choking",
        "lips blue",
        "lips are blue",
        "blue lips",
        "lips turning blue",
        "going blue",
        "breathing is shallow and slow",
        "long pauses between breaths",
        "making grunting noises when breathing",
        "severe shortness of breath",
        "can't catch his breath",
        "too breathless to speak",
        "snoring and can't be woken",
        "brething slow",
        "lips a bit blue",
        "blue around the mouth",
        "breathing noisy",
    ),
    "consciousness": _rows(
        E,
        E,
        "won't wake up",
        "won't wake up.",
        "can't wake him",
        "cant wake her up",
        "hard to rouse",
        "difficult to wake",
        "unresponsive",
        "not responding",
        "unconscious",
        "unconsious",
        "passed out",
        "collapsed",
        "out cold",
        "floppy",
        "gone floppy",
        "she's all floppy",
        "floppy and won't wake up",
        "keeps passing out",
        "fainted and hasn't come round",
        "in a coma",
        "limp and unresponsive",
        "eyes open but not responding",
        "blacked out",
        "hasn't been able to wake him since lunch",
        "couldn't wake her this morning",
    )
    + _rows(U, E, "can't stay awake", "can't keep his eyes open"),
    "sudden_confusion": _rows(
        E,
        E,
        "not making sense",
        "he's not making any sense",
        "suddenly confused",
        "doesn't know who I am",
        "doesn't know where she is",
        "talking gibberish",
        "doesn't recognise me",
    )
    + _rows(U, E, "confused", "muddled", "a bit confused", "very confused and drowsy"),
    "fever_with_rigidity": _rows(
        E,
        E,
        "high fever and stiff neck",
        "high temperature and a stiff neck",
        "fever, stiff neck and can't stand light",
        "burning up and muscles rigid",
        "very hot and stiff as a board",
        "high fever with rigid muscles",
        "fever and a rash that doesn't fade under a glass",
    )
    + _rows(R, E, "fever", "high temperature"),
    "severe_allergic_reaction": _rows(
        E,
        E,
        "lips swelling up",
        "tongue swelling",
        "throat closing up",
        "swollen face and can't breathe",
        "face and lips swollen",
        "hives and throat feels tight",
        "anaphylaxis",
        "allergic reaction, mouth swelling",
        "throat is tight and swallowing is hard",
        "wheezing and hives after the tablet",
    ),
    "heavy_bleeding": _rows(
        E,
        E,
        "vomiting blood",
        "coughing up blood",
        "bleeding heavily and won't stop",
    ),
    "heart_rhythm": _rows(
        U,
        E,
        "racing heart",
        "heart racing",
        "heart pounding",
        "palpitations",
        "heart beating really fast",
        "very slow pulse",
    )
    + _rows(E, E, "heart racing and chest pain"),
    # A negation cue negates only its own clause; a negated red flag is not there.
    "negated": _rows(
        S,
        R,
        "no chest pain",
        "denies chest pain",
        "no fever",
        "no seizures",
        "hasn't had a fit",
        "no breathing problems",
        "no trouble breathing",
        "breathing is fine",
        "breathing normally",
        "not confused",
        "no slurred speech",
        "no swelling of the lips",
        "not suicidal",
        "denies suicidal thoughts",
        "no thoughts of harming herself",
        "without chest pain",
        "never had a seizure",
        "no shortness of breath",
        "no headache",
        "free of chest pain",
        "nothing wrong with his breathing",
        "awake and alert",
        "no blue lips",
        "no stiff neck",
        "didn't pass out",
        "doesn't want to hurt himself",
        "no rash",
        "not drowsy",
        "no fever and no chest pain",
        "denies chest pain or shortness of breath",
        "no seizures, no breathing problems",
        "not suicidal and not confused",
        "no chest pain, breathing normally",
        "no pain",
        "no symptoms",
        "feeling fine",
        "without any fever or rash",
        "denies any suicidal thoughts",
        "never had a seizure before",
        "no more fits",
    ),
    # "Not breathing" is not the absence of a breathing problem: it is the worst one.
    "negative_words_that_are_red_flags": _rows(
        E,
        E,
        "isn't breathing",
        "no pulse",
        "not waking up",
        "no response when I shake him",
        "not moving and not breathing",
        "won't respond",
        "no longer breathing",
        "not conscious",
        "not able to speak",
    ),
    # The negation stops at the clause: the red flag after "but", ";" or "." stays.
    "clause_scope": _rows(
        E,
        E,
        "no fever but can't wake him",
        "no fever, but can't wake him",
        "no chest pain but struggling to breathe",
        "not confused, but having a seizure",
        "denies chest pain; lips are blue",
        "no rash. she is fitting",
        "doesn't have a temperature but won't wake up",
        "not in pain, just very floppy",
        "no headache but slurred speech",
        "breathing is fine but she had a fit",
        "no fever although his lips are blue",
        "no nausea; took the whole bottle",
        "not sleepy, but chest pain",
        "denies fever. says he wants to kill himself",
        "no vomiting, however unresponsive",
        "not dizzy but face drooping",
        "no fever and no cough, but she collapsed",
    ),
    # A negation word that compares rather than negates: the symptom is there.
    "comparison_not_negation": _rows(
        E,
        E,
        "never had chest pain like this",
        "never had chest pain like this before",
        "I've never had a headache this bad, and now slurred speech",
    )
    + _rows(U, E, "I've never been this confused", "never felt so sleepy, can't stay awake"),
    # Words we cannot read never lower the level: at least "talk to a clinician today".
    "not_understood": _rows(
        U,
        E,
        "something is very wrong with him",
        "he's just not himself",
        "acting really strange",
        "she looks awful",
        "weird episode earlier",
        "zonked",
        "feels off",
        "xyzzy",
        "funny turn",
        "my mum is poorly",
        "glazed eyes and odd colour",
        "went all wobbly and grey",
        "making strange noises",
        "pale and clammy",
        "something happened to dad",
        "he's gone quiet and strange",
        "behaving oddly since this morning",
        "not right at all",
        "not feeling well",
        "feeling unwell",
    ),
    # Controls: everyday effects that must not be escalated.
    "controls": _rows(
        S,
        R,
        "a bit sleepy",
        "slightly drowsy in the first week",
        "mild nausea",
        "dry mouth",
        "a little dizzy when standing",
        "tired",
        "feeling tired",
        "mild headache",
        "constipated",
        "a bit weak",
        "trouble sleeping",
        "peeing more often",
        "upset stomach",
        "muscles feel weak",
        "sleepy",
        "nauseous",
        "feeling sick",
        "runny nose",
        "chest cold",
        "sore arm",
        "hiccups",
        "legs feel heavy",
        "slept badly",
        "feeling dozy",
    )
    + _rows(
        S,
        U,
        "feeling a little low",
        "blurred vision",
        "dizzy",
        "heartburn",
        "a bit breathless climbing stairs",
        "heart racing after coffee",
        "tingling in fingers",
        "a bit wobbly on my feet",
    ),
}

ROWS = [(cls, row) for cls, rows in TABLE.items() for row in rows]

# Rows that fail on the engine today; each fix removes rows. strict xfail: a row that starts
# passing must be taken off this list.
PENDING: frozenset[str] = frozenset()


def _param(cls: str, row: Row) -> Any:
    key = f"{cls}:{row.text}"
    marks = [pytest.mark.xfail(strict=True, reason="pending")] if key in PENDING else []
    return pytest.param(cls, row, id=key, marks=marks)


PARAMS = [_param(c, r) for c, r in ROWS]


def test_table_is_large() -> None:
    assert len(ROWS) >= 200
    assert len({r.text for _, r in ROWS}) == len(ROWS), "a phrasing is listed twice"


def _now(symptoms: list[str], **extra: Any) -> dict[str, Any]:
    extra.setdefault("medications", [{"drug": "baclofen"}])
    req = AssessRequest.model_validate({"symptoms": symptoms, **extra})
    result = check_now(build_context(CAT, req, req.now))
    assert result.triage is not None
    return {"triage": dict(result.triage), "advice": result.advice}


def _between(level: str, row: Row) -> bool:
    return TRIAGE_RANK[row.at_least] <= TRIAGE_RANK[level] <= TRIAGE_RANK[row.at_most]


@pytest.mark.parametrize(("cls", "row"), PARAMS)
def test_check_triage_level(cls: str, row: Row) -> None:
    t = check_triage(VOCAB, [row.text], Situation())
    assert _between(t.level, row), (row, t.level, t.reasons)
    if row.at_least == E and cls != "not_understood":
        assert t.red_flags, f"{row.text!r}: an emergency names the red flag it saw"
    if cls == "not_understood" and not t.symptoms:
        assert t.not_understood, "what was not read is said"


@pytest.mark.parametrize(("cls", "row"), PARAMS)
def test_check_now_level(cls: str, row: Row) -> None:
    out = _now([row.text])
    tri = out["triage"]
    assert _between(tri["level"], row), (row, tri)
    if tri["level"] == E:
        assert out["advice"][0] == "call_emergency_services"
    if cls == "not_understood" and not tri["symptoms"]:
        assert tri["not_understood"]
        # Said first, with the red flags to check for.
        assert tri["reasons"][0].startswith("not understood"), tri["reasons"]
        assert tri["check_for"], "the red flags to look for are listed"


def test_check_now_table_with_symptoms_together() -> None:
    """A harmless phrase beside a red flag never takes the emergency away."""
    for cls, row in ROWS:
        if row.at_least != E or f"{cls}:{row.text}" in PENDING:
            continue
        tri = _now(["a bit sleepy", row.text, "dry mouth"])["triage"]
        assert tri["level"] == E, (cls, row.text, tri)


# ------------------------------------------------------------------ the `ask` door

# `ask` reads a question with the same vocabulary and reader: a red flag in a question about
# someone now opens the answer with the emergency; a negated one does not.
ASK_CLASSES = ("negated", "clause_scope", "negative_words_that_are_red_flags")


@pytest.mark.parametrize(
    ("cls", "row"),
    [
        pytest.param(c, r, id=f"{c}:{r.text}")
        for c, r in ROWS
        if r.at_least == E or c in ASK_CLASSES
    ],
)
def test_ask_reads_the_same_red_flags(cls: str, row: Row) -> None:
    from medguide.answers.answer import answer_question

    a = answer_question(CAT, f"my dad takes baclofen. {row.text}")
    opens = bool(a.parts) and a.parts[0].kind == "emergency"
    if row.at_least == E:
        assert opens, (row.text, [p.kind for p in a.parts])
        assert "call_emergency_services" in a.advice
    elif cls == "negated":
        assert not opens, (row.text, a.parts[0].title if a.parts else None)


# ------------------------------------------------------------------ the vocabulary's red flags


def test_every_red_flag_is_sourced_and_on_the_checklist() -> None:
    """Each unconditional red flag cites a source and is among the red flags a person is
    asked to check for when their words could not be read."""
    listed = {sid for item in VOCAB.red_flag_checklist for sid in item.symptoms}
    for s in VOCAB.symptoms:
        if s.red_flag and not s.red_flag_when:
            assert s.sources, s.id
            assert s.id in listed, f"{s.id} is a red flag missing from red_flag_checklist"
    assert all("G-nhs-999" in item.sources for item in VOCAB.red_flag_checklist)
    assert "G-nhs-999" in CAT.sources
