"""Safety first: what is happening to someone, triaged before anything is retrieved."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from medguide.answers.entities import Entities
from medguide.answers.model import AnswerPart, Draft
from medguide.answers.reading import PUMP, child_age
from medguide.answers.retrieval import guide_index
from medguide.knowledge.catalog import Catalog

EMERGENCY_ADVICE = ("call_emergency_services", "call_poison_center")

# section into an emergency answer (a swollen face or a suicidal thought is not an overdose).
OVERDOSE_FLAGS = frozenset(
    {
        "too much taken",
        "cannot be woken",
        "unresponsive",
        "breathing problem",
        "unrousable",
        "slow_breathing",
        "breathing_difficulty",
        "seizure",
        "child ingestion",
    }
)
# Red-flag labels of the entity patterns → the symptom in the vocabulary that sources them.
FLAG_SYMPTOM = {
    "cannot be woken": "unrousable",
    "unresponsive": "unrousable",
    "breathing problem": "slow_breathing",
    "self-harm": "suicidal_thoughts",
    "fever with rigidity": "very_high_fever",
}
SELF_HARM_FLAGS = frozenset({"self-harm", "suicidal_thoughts"})

NOT_FOR_PATIENTS = frozenset(
    {"not_covered_refer", "consider_activated_charcoal", "consider_hemodialysis"}
)

CHILD_INGESTION = re.compile(
    r"\b(baby|infant|toddler|child|kid|son|daughter|grand(child|son|daughter|kid)"
    r"|\d{1,2}[- ]?(year|yr|month)s?[- ]?old)\b.{0,40}\b(ate|eaten|swallowed|got into|chewed)\b",
    re.I,
)
STOPPED = re.compile(
    r"\b(stopped|quit|ran out|run out|came off|come off|cold turkey|weaned|skipped|missed"
    r"|haven'?t taken|have not taken|not taken)\b",
    re.I,
)
# Someone who has a symptom now: a person, then a verb of being or feeling.
HAPPENING_TO = re.compile(
    r"\b(i|i'?m|he|she|they|we|my \w+|mom|mum|dad|husband|wife|son|daughter|partner)\b"
    r"[^.?!]{0,30}?\b(is|are|am|'s|has been|have been|seems?|keeps?|feels?|feeling|getting"
    r"|got|became|become|looks?)\b",
    re.I,
)
_PUMP_ALARM = re.compile(r"\balarm|\bbeep", re.I)
_DAYS_AGO = re.compile(r"\b(\d+|a|one|two|three|four|five|six|seven) (day|week)s? ago\b", re.I)
_NUMBER_WORDS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}


def _flag_sources(catalog: Catalog, flags: Iterable[str]) -> tuple[tuple[str, ...], bool]:
    """Sources (and the judgment mark) of the symptom entries behind the red flags."""
    wanted = {FLAG_SYMPTOM.get(f, f) for f in flags}
    syms = [x for x in getattr(catalog.symptoms, "symptoms", ()) if x.id in wanted]
    return tuple(dict.fromkeys(s for x in syms for s in x.sources)), any(x.judgment for x in syms)


def _opener(
    catalog: Catalog, ents: Entities, focus: str | None, child: bool
) -> tuple[str, tuple[str, ...], bool]:
    """The emergency advice that opens the answer, worded for what was said."""
    flags = set(ents.red_flags)
    od_sources: tuple[str, ...] = ()
    if focus is not None:
        guide = guide_index(catalog).guides.get(focus)
        sec = guide.section("overdose") if guide else None
        if sec is not None:
            od_sources = tuple(dict.fromkeys(s for it in sec.items[:2] for s in it.sources))
    if flags & SELF_HARM_FLAGS:
        srcs, judg = _flag_sources(catalog, flags & SELF_HARM_FLAGS)
        return (
            "If you or someone else may act on thoughts of suicide or self-harm: call emergency "
            "services now, or a suicide and crisis line, and do not stay alone. If tablets have "
            "been taken, tell them which and how many.",
            srcs or od_sources,
            True if not srcs else judg,
        )
    if flags and not flags & OVERDOSE_FLAGS:
        wanted = {FLAG_SYMPTOM.get(f, f) for f in flags}
        sym = next((x for x in getattr(catalog.symptoms, "symptoms", ()) if x.id in wanted), None)
        if sym is not None:
            # The vocabulary's own sourced words for the sign, after the call to make.
            return f"Call emergency services now. {sym.text}", sym.sources, sym.judgment
    if child:
        return (
            "A child may have swallowed a medicine: call a poison centre now, even if the child "
            "seems well. Call emergency services if the child is very sleepy, hard to wake, "
            "breathing slowly or badly, or has a seizure.",
            od_sources,
            False,
        )
    return (
        "If someone may have taken too much, is very hard to wake, is breathing slowly or "
        "badly, or has a seizure: call emergency services now. If they are awake and well, "
        "call a poison centre for advice straight away; do not wait for signs.",
        od_sources,
        False,
    )


def add_emergency(
    catalog: Catalog,
    draft: Draft,
    ents: Entities,
    focus: str | None,
    text: str,
    *,
    ingested: bool = False,
) -> None:
    """Open with emergency advice; add what triage found."""
    if any(p.kind == "emergency" for p in draft.parts):
        return
    child = bool(CHILD_INGESTION.search(text))
    message, sources, judgment = _opener(catalog, ents, focus, child)
    opener = AnswerPart(
        "emergency",
        message,
        sources,
        focus,
        "overdose",
        "Emergency",
        judgment,
        "call_emergency_services",
    )
    draft.parts.insert(0, opener)
    poison = child or ingested or bool(set(ents.red_flags) & OVERDOSE_FLAGS)
    draft.add_advice(EMERGENCY_ADVICE if poison or not ents.red_flags else EMERGENCY_ADVICE[:1])
    if focus is None:
        return
    try:
        from medguide.clinical.assess import assess
        from medguide.clinical.request import AssessRequest, Ingestion, Medication, Patient

        ingestion = None
        patient = Patient()
        mass = [a for a in ents.amounts if a.unit in {"mg", "g", "mcg"}]
        count = [a for a in ents.amounts if a.unit == "tablet"]
        if "too much taken" in ents.red_flags or mass or ingested or child:
            age = child_age(text)
            if child and age is not None and age < 18:
                patient = Patient(age_years=age)
            if child and age is None:
                # A child of unknown age: the amount is not read, so it counts as possibly
                # large; the child's size decides the risk and we do not guess it.
                ingestion = Ingestion(drug=focus)
            elif count:
                ingestion = Ingestion(
                    drug=focus,
                    amount=count[0].value,
                    unit="tablet",
                    strength_mg=mass[0].value if mass and mass[0].unit == "mg" else None,
                )
            else:
                amount = mass[0] if mass else None
                ingestion = Ingestion(
                    drug=focus,
                    amount=amount.value if amount else None,
                    unit=amount.unit if amount else None,
                )
        symptoms = ents.symptom_phrases or tuple(ents.red_flags)
        request = AssessRequest(
            patient=patient,
            medications=(Medication(drug=focus),),
            symptoms=symptoms,
            ingestion=ingestion,
        )
        result = assess(catalog, request)
    except (ImportError, ValueError, KeyError, NotImplementedError) as exc:
        draft.not_checked.append(f"triage could not run: {exc}")
        draft.triage = "emergency" if ents.red_flags else None
        return
    _add_triage(draft, result, focus, "overdose", escalate=bool(ents.red_flags))


def _add_triage(draft: Draft, result: Any, focus: str, section: str, *, escalate: bool) -> None:
    level = str(result.triage["level"]) if result.triage else None
    # The answer can be escalated by a red flag here, never calmed below what triage says.
    draft.triage = "emergency" if escalate else level
    for f in result.findings:
        if f.code in {
            "overdose",
            "suspected_toxicity",
            "suspected_withdrawal",
            "expected_side_effect",
        }:
            draft.add(
                AnswerPart(
                    "finding",
                    f.message,
                    tuple(f.sources),
                    focus,
                    section,
                    "Assessment",
                    False,
                    f.code,
                )
            )
            draft.add_advice(a for a in f.advice if a not in NOT_FOR_PATIENTS)
    if result.triage:
        advice = (str(a) for a in result.triage.get("advice", ()) or ())
        draft.add_advice(a for a in advice if a not in NOT_FOR_PATIENTS)


def add_situation(
    catalog: Catalog,
    draft: Draft,
    ents: Entities,
    focus: str | None,
    text: str,
    *,
    now: bool = False,
) -> None:
    """Symptoms someone has now (after stopping or missing doses, with a pump, or simply
    described as present): run triage with that context, and open with emergency advice when
    triage says it is one (withdrawal can kill), or with "get advice today" when urgent."""
    if focus is None:
        return
    pump = bool(PUMP.search(text))
    days = None
    m = _DAYS_AGO.search(text)
    if m:
        n = m.group(1).lower()
        days = float(_NUMBER_WORDS.get(n, 0) or int(n)) * (7 if m.group(2).lower() == "week" else 1)
    try:
        from medguide.clinical.assess import assess
        from medguide.clinical.request import AssessRequest, Event, Medication

        events = []
        if STOPPED.search(text):
            kind = "doses_missed" if re.search(r"\b(skipped|missed)\b", text, re.I) else "stopped"
            events.append(Event(kind=kind, drug=focus, days_ago=days))
        if pump and _PUMP_ALARM.search(text):
            events.append(Event(kind="pump_alarm", drug=focus))
        request = AssessRequest(
            medications=(Medication(drug=focus, route="intrathecal" if pump else None),),
            symptoms=ents.symptom_phrases or ents.symptoms,
            events=tuple(events),
        )
        result = assess(catalog, request)
    except (ImportError, ValueError, KeyError, NotImplementedError) as exc:
        draft.not_checked.append(f"triage could not run: {exc}")
        return
    level = str(result.triage["level"]) if result.triage else None
    if level == "emergency":
        srcs = tuple(
            dict.fromkeys(
                s
                for f in result.findings
                if f.code in {"suspected_withdrawal", "suspected_toxicity"}
                for s in f.sources
            )
        )
        if not srcs:
            guide = guide_index(catalog).guides.get(focus)
            sec = guide.section("stopping") if guide else None
            srcs = tuple(
                dict.fromkeys(s for it in (sec.items[:2] if sec else ()) for s in it.sources)
            )
        draft.parts.insert(
            0,
            AnswerPart(
                "emergency",
                "These signs after stopping or missing doses, or with a pump problem, can be "
                "withdrawal, which can become dangerous quickly: call emergency services now and "
                "say when the last dose was taken or what the pump did.",
                srcs,
                focus,
                "stopping",
                "Emergency",
                False,
                "call_emergency_services",
            ),
        )
        draft.add_advice(("call_emergency_services",))
    elif level == "urgent":
        srcs = tuple(dict.fromkeys(s for f in result.findings for s in f.sources))
        if srcs:
            draft.parts.insert(
                0,
                AnswerPart(
                    "emergency",
                    "What you describe needs advice today: contact the prescriber or a "
                    "pharmacist now. Call emergency services if the person cannot be woken, "
                    "breathing slows, or a seizure starts.",
                    srcs,
                    focus,
                    "side_effects" if now else "stopping",
                    "Get advice today",
                    False,
                    "contact_prescriber",
                ),
            )
            draft.add_advice(("contact_prescriber",))
    _add_triage(draft, result, focus, "side_effects" if now else "stopping", escalate=False)
