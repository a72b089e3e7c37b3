"""Answer a question in plain language from the knowledge, with its sources, or decline.

`answer_question(catalog, text)` is the one entry point. It finds what the question names
(entities), what kind of question it is (intents), and routes each part to what answers it:
a guide section, or a clinical function through the assessment (an interaction screen for a
second medicine or a substance, the missed-dose advice, triage for a red-flag symptom).
Every statement in an answer carries its source ids and the section it came from. A
red-flag symptom makes the answer open with emergency advice, even when the rest declines.
Full-text retrieval (FTS5, BM25) answers what no intent recognises; a weak match declines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from medguide.answers.decline import (
    MAX_QUESTION_CHARS,
    Decline,
    looks_foreign,
    looks_like_injection,
    make_decline,
)
from medguide.answers.entities import Entities, extract_entities
from medguide.answers.intents import (
    CONFIDENT,
    INTENT_SECTIONS,
    REFER_INTENTS,
    IntentResult,
    classify,
    split_question,
)
from medguide.answers.retrieval import GuideIndex, Hit, coverage, guide_index
from medguide.knowledge.catalog import Catalog

PartKind = Literal["emergency", "finding", "guide", "advice"]

# Words added to the search for each intent, so that "a beer" finds the item about alcohol
# and "forget a pill" the item about missed doses.
INTENT_QUERY: dict[str, str] = {
    "overview": "what is it",
    "uses": "used treat spasticity",
    "how_it_works": "works GABA",
    "onset": "start work hours days effect",
    "duration": "half-life hours",
    "how_to_take": "take food swallow",
    "dose": "dose maximum mg day",
    "missed_dose": "missed dose next double",
    "overdose": "overdose too much",
    "emergency": "overdose breathing emergency",
    "side_effects": "side effects",
    "warnings": "warning caution",
    "interaction_drug": "together sedation",
    "interaction_alcohol": "alcohol drowsiness sedation",
    "interaction_herbal": "herbal sedation",
    "interaction_food": "food",
    "pregnancy": "pregnancy pregnant",
    "breastfeeding": "breastfeeding milk infant",
    "children": "children years",
    "older_adults": "older adults elderly",
    "kidneys_liver": "kidney liver",
    "driving": "driving drive machinery alertness",
    "stopping": "stopping stop withdrawal slowly suddenly hallucinations seizures",
    "dependence": "dependence withdrawal addictive",
    "storage": "store storage dispose",
    "brand_names": "brand",
    "alternatives": "alternative instead",
    "pump": "intrathecal pump",
}
# Intents that run a clinical function through the assessment.
INTERACTION_INTENTS = frozenset(
    {"interaction_drug", "interaction_alcohol", "interaction_herbal", "interaction_food"}
)
EMERGENCY_ADVICE = ("call_emergency_services", "call_poison_center")
# Fallback retrieval: a BM25 score under this is a weak match and is declined.
MIN_RETRIEVAL_SCORE = 5.0
MIN_COVERAGE = 0.5  # and at least half the question's content words must be in the item
FALLBACK_CONFIDENCE = 0.45  # a retrieval answer is never a confident one
# Intents whose question people often ask in just these words; a close FAQ match goes first.
FAQ_FIRST = frozenset(
    {
        "uses",
        "how_it_works",
        "dependence",
        "alternatives",
        "children",
        "pregnancy",
        "interaction_alcohol",
        "storage",
        "side_effects",
    }
)
FAQ_MIN_SCORE = 5.0
# How many items of the answering section to show; a list (the products) is shown whole.
SECTION_LIMIT: dict[str, int] = {
    "brand_names": 8,
    "uses": 4,
    "interaction_alcohol": 2,
    "driving": 2,
    "interaction_drug": 2,
    "interaction_herbal": 2,
    "interaction_food": 2,
}
# Sections whose first item always belongs to an intent's answer ("who must not take it").
ALWAYS_LEAD: dict[str, tuple[str, ...]] = {"warnings": ("contraindications",)}
# Red flags that point to too much of a medicine in the body: only these bring the overdose
# section into an emergency answer (a swollen face or a suicidal thought is not an overdose).
OVERDOSE_FLAGS = frozenset(
    {
        "intentional_ingestion",
        "unrousable",
        "floppy",
        "slow_breathing",
        "breathing_difficulty",
        "seizure",
        "child ingestion",
    }
)
# Red flags are symptom ids of the one symptom vocabulary (knowledge/data/symptoms.yaml).
SELF_HARM_FLAGS = frozenset({"suicidal_thoughts"})
# A question about a detail the knowledge may not hold: the stems the answer must contain for
# the detail to count as answered. Missing → the answer is hedged and says what was not found.
DETAIL_STEMS: tuple[tuple[re.Pattern[str], tuple[str, ...], str], ...] = (
    (re.compile(r"\bcrush", re.I), ("crush",), "crushing tablets"),
    (re.compile(r"\bchew", re.I), ("chew",), "chewing tablets"),
    (
        re.compile(r"\b(split|cut|halve|break) (it|them|the|my|a|in half)", re.I),
        ("split", "scored", "half"),
        "splitting tablets",
    ),
    (re.compile(r"\bexpir|\bout of date\b", re.I), ("expir",), "expired medicine"),
    (re.compile(r"\bfreez|\bfrozen\b", re.I), ("freez", "frozen"), "freezing"),
    (re.compile(r"\bhot car\b|\bheat\b", re.I), ("heat", "hot", "temperature"), "heat"),
)
# Advice meant for poison-centre and hospital staff, not for a person asking at home.
NOT_FOR_PATIENTS = frozenset(
    {"not_covered_refer", "consider_activated_charcoal", "consider_hemodialysis"}
)
HEDGED = 0.45  # confidence of an answer that leaves part of the question open
_PER_DAY = re.compile(r"\b(a|per|each|every|in a|in one) day\b|\bdaily\b|/ ?day\b|\bdaily total\b")
_CHILD_INGESTION = re.compile(
    r"\b(baby|infant|toddler|child|kid|son|daughter|grand(child|son|daughter|kid)"
    r"|\d{1,2}[- ]?(year|yr|month)s?[- ]?old)\b.{0,40}\b(ate|eaten|swallowed|got into|chewed)\b",
    re.I,
)
_CHILD_AGE = re.compile(r"\b(\d{1,2})[- ]?(?:year|yr)s?[- ]?old\b|\baged? (\d{1,2})\b", re.I)
_STOPPED = re.compile(
    r"\b(stopped|quit|ran out|run out|came off|come off|cold turkey|weaned|skipped|missed"
    r"|haven'?t taken|have not taken|not taken)\b",
    re.I,
)
_PUMP = re.compile(r"\bpump\b|\bintrathecal\b|\bitb\b", re.I)
# Someone who has a symptom now: a person, then a verb of being or feeling.
_HAPPENING_TO = re.compile(
    r"\b(i|i'?m|he|she|they|we|my \w+|mom|mum|dad|husband|wife|son|daughter|partner)\b"
    r"[^.?!]{0,30}?\b(is|are|am|'s|has been|have been|seems?|keeps?|feels?|feeling|getting"
    r"|got|became|become|looks?)\b",
    re.I,
)
_PUMP_ALARM = re.compile(r"\balarm|\bbeep", re.I)
_DAYS_AGO = re.compile(r"\b(\d+|a|one|two|three|four|five|six|seven) (day|week)s? ago\b", re.I)
_NUMBER_WORDS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}


@dataclass(frozen=True)
class AnswerPart:
    kind: PartKind
    text: str
    sources: tuple[str, ...]
    drug: str | None = None
    section: str | None = None
    title: str | None = None
    judgment: bool = False
    code: str | None = None  # the finding or advice code it comes from

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "text": self.text,
            "sources": list(self.sources),
            "drug": self.drug,
            "section": self.section,
            "title": self.title,
            "judgment": self.judgment,
            "code": self.code,
        }


@dataclass(frozen=True)
class Answer:
    question: str
    status: Literal["answered", "declined"]
    intents: tuple[str, ...]
    confidence: float
    drug: str | None
    parts: tuple[AnswerPart, ...] = ()
    advice: tuple[str, ...] = ()
    triage: str | None = None
    decline: Decline | None = None
    not_checked: tuple[str, ...] = ()
    method: str = "intent"  # intent | retrieval | semantic | decline
    knowledge_version: str = ""
    entities: dict[str, Any] = field(default_factory=dict)

    @property
    def emergency(self) -> bool:
        return any(p.kind == "emergency" for p in self.parts)

    @property
    def confident(self) -> bool:
        return self.status == "answered" and self.confidence >= CONFIDENT

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s for p in self.parts for s in p.sources))

    @property
    def sections(self) -> tuple[str, ...]:
        return tuple(
            dict.fromkeys(f"{p.drug}:{p.section}" for p in self.parts if p.section and p.drug)
        )

    @property
    def text(self) -> str:
        """The whole answer as plain text, emergency advice first."""
        lines: list[str] = []
        for p in self.parts:
            src = f" [{', '.join(p.sources)}]" if p.sources else ""
            lines.append(f"{p.text}{src}")
        if self.decline is not None:
            lines.append(self.decline.message)
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "status": self.status,
            "intents": list(self.intents),
            "confidence": self.confidence,
            "confident": self.confident,
            "drug": self.drug,
            "emergency": self.emergency,
            "triage": self.triage,
            "answer": self.text,
            "parts": [p.as_dict() for p in self.parts],
            "sources": list(self.sources),
            "sections": list(self.sections),
            "advice": list(self.advice),
            "decline": self.decline.as_dict() if self.decline else None,
            "not_checked": list(self.not_checked),
            "method": self.method,
            "entities": self.entities,
            "knowledge_version": self.knowledge_version,
        }


@dataclass
class _Draft:
    parts: list[AnswerPart] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)
    triage: str | None = None

    def add_advice(self, codes: Iterable[str]) -> None:
        for c in codes:
            if c not in self.advice:
                self.advice.append(c)

    def add(self, part: AnswerPart) -> None:
        if all(p.text != part.text for p in self.parts):
            self.parts.append(part)


def default_drug(catalog: Catalog) -> str | None:
    """The drug a question that names none is about: the one full monograph, if only one."""
    full = [d.id for d in catalog.drugs.values() if d.depth == "full" and d.kind == "drug"]
    return full[0] if len(full) == 1 else None


def answer_question(
    catalog: Catalog,
    question: str,
    *,
    drug: str | None = None,
    semantic: bool = False,
) -> Answer:
    """Answer one question from the knowledge, or decline with who to ask."""
    version = catalog.version
    text = (question or "").strip()
    if not text:
        return _declined(question, "empty", version)
    if len(text) > MAX_QUESTION_CHARS:
        return _declined(question, "too_long", version)

    ents = extract_entities(catalog, text)
    draft = _Draft()
    if ents.red_flags:
        _emergency(catalog, draft, ents, drug or _focus(catalog, ents, None), text)
    elif _CHILD_INGESTION.search(text):
        # A child who may have swallowed a medicine: poison centre first, whatever is asked.
        _emergency(catalog, draft, ents, drug or _focus(catalog, ents, None), text, ingested=True)
    elif ents.symptoms and (_STOPPED.search(text) or _PUMP.search(text)):
        # Symptoms after stopping, missing doses or with a pump can be withdrawal: triage them.
        _situation(catalog, draft, ents, drug or _focus(catalog, ents, None), text)
    elif ents.symptoms and _HAPPENING_TO.search(text):
        # "my mum is very confused": a symptom someone has now, not a question about side
        # effects in general; triage says how soon to get help.
        _situation(catalog, draft, ents, drug or _focus(catalog, ents, None), text, now=True)

    if looks_like_injection(text):
        return _declined(question, "prompt_injection", version, draft, ents)
    if looks_foreign(text):
        return _declined(question, "other_language", version, draft, ents)

    parts = split_question(text)
    default = drug or default_drug(catalog)
    results = [classify(p, extract_entities(catalog, p), default) for p in parts]
    whole = classify(text, ents, default)
    intents = _intents(results, whole)
    conf = min((r.confidence for r in results if r.intent), default=whole.confidence)
    if whole.intent == "emergency" or ents.red_flags:
        conf = max(conf, whole.confidence)

    # A referral anywhere decides the whole answer: never half-answer a dose for a dog.
    refer = next((i for i in intents if i in REFER_INTENTS), None)
    if refer is None and whole.scores.get("animal"):
        refer = "animal"
    if refer is not None:
        return _declined(question, refer, version, draft, ents, intents=(refer,), conf=conf)

    focus = _focus(catalog, ents, drug, intents)
    if focus is None:
        names = ents.uncovered_drugs
        if names:
            return _declined(
                question,
                "not_covered_drug",
                version,
                draft,
                ents,
                intents,
                conf,
                names=", ".join(names),
            )
        return _declined(question, "weak_match", version, draft, ents, intents, conf)
    if ents.uncovered_drugs and any(i in INTERACTION_INTENTS for i in intents):
        return _declined(
            question,
            "not_covered_drug",
            version,
            draft,
            ents,
            intents,
            conf,
            names=", ".join(ents.uncovered_drugs),
        )

    if "alternatives" in intents and _same_drug_brands(catalog, ents, focus):
        # "Ozobax or Ozobax DS?": two products of one medicine, not an alternative medicine.
        intents = tuple(dict.fromkeys("brand_names" if i == "alternatives" else i for i in intents))
    index = guide_index(catalog)
    method = "intent"
    if not intents:
        hits = index.search(strip_names(text, ents, focus), drug=focus, limit=3)
        if semantic:
            from medguide.answers.semantic import rerank

            hits, used = rerank(text, hits)
            method = "semantic" if used else "retrieval"
        else:
            method = "retrieval"
        good = [
            h
            for h in hits
            if h.score >= MIN_RETRIEVAL_SCORE
            and coverage(strip_names(text, ents, focus), h.text) >= MIN_COVERAGE
        ]
        if not good:
            return _declined(question, "weak_match", version, draft, ents, (), conf)
        for h in good[:2]:
            draft.add(_guide_part(h))
        conf = min(conf, FALLBACK_CONFIDENCE)
    else:
        covered = False
        for intent, part_text in _intent_parts(intents, results, text):
            covered |= _compose(catalog, index, draft, intent, focus, part_text, ents)
        if not covered and not draft.parts:
            name = catalog.drugs[focus].name
            return _declined(
                question, "not_covered_topic", version, draft, ents, intents, conf, names=name
            )
        missing = _missing_details(text, draft)
        if missing:
            draft.not_checked.append(
                f"medguide's knowledge for {catalog.drugs[focus].name} says nothing about "
                f"{', '.join(missing)}: ask a pharmacist"
            )
            conf = min(conf, HEDGED)

    return Answer(
        question=question,
        status="answered",
        intents=intents,
        confidence=round(conf, 3),
        drug=focus,
        parts=tuple(draft.parts),
        advice=tuple(draft.advice),
        triage=draft.triage,
        not_checked=tuple(draft.not_checked),
        method=method,
        knowledge_version=version,
        entities=_entities_dict(ents),
    )


def _same_drug_brands(catalog: Catalog, ents: Entities, focus: str) -> bool:
    """Only one medicine is named, and by a brand or product name: a question about its
    forms, not about another medicine."""
    if len(ents.covered_drugs) != 1 or ents.uncovered_drugs:
        return False
    d = catalog.drugs[focus]
    names = {b.name.lower() for b in d.brands} | {d.name.lower(), *(n.lower() for n in d.synonyms)}
    low = " ".join(ents.words)
    return sum(1 for n in names if re.search(rf"\b{re.escape(n)}\b", low)) >= 2


def _missing_details(text: str, draft: _Draft) -> list[str]:
    body = " ".join(p.text.lower() for p in draft.parts)
    return [
        label
        for rx, stems, label in DETAIL_STEMS
        if rx.search(text) and not any(st in body for st in stems)
    ]


def strip_names(text: str, ents: Entities, focus: str | None) -> str:
    """The question without the focus medicine's names, which all of its guide would match."""
    for d in ents.drugs:
        if d.drug_id and d.drug_id == focus:
            text = re.sub(rf"\b{re.escape(d.query)}\b", " ", text, flags=re.IGNORECASE)
    return text


def _intents(results: Sequence[IntentResult], whole: IntentResult) -> tuple[str, ...]:
    found = [r.intent for r in results if r.intent]
    if whole.intent == "emergency":
        found.insert(0, "emergency")
    if not found and whole.intent:
        found.append(whole.intent)
    return tuple(dict.fromkeys(found))


def _intent_parts(
    intents: Sequence[str], results: Sequence[IntentResult], text: str
) -> list[tuple[str, str]]:
    out = []
    for intent in intents:
        part = next((r.text for r in results if r.intent == intent), text)
        out.append((intent, part))
    return out


def _focus(
    catalog: Catalog, ents: Entities, drug: str | None, intents: Sequence[str] = ()
) -> str | None:
    if drug is not None and drug in catalog.drugs:
        return drug
    covered = [d for d in ents.covered_drugs if catalog.drugs[d].kind == "drug"]
    if covered:
        if any(i in INTERACTION_INTENTS or i == "alternatives" for i in intents):
            # The fuller guide explains an interaction or a comparison best.
            full = [d for d in covered if catalog.drugs[d].depth == "full"]
            return (full or covered)[0]
        return covered[0]
    if ents.uncovered_drugs:
        return None
    own = [s for s in ents.substances if s in catalog.drugs]
    if own and intents and not any(i in INTERACTION_INTENTS for i in intents):
        return own[0]  # a question about a substance or herbal itself
    return default_drug(catalog)


def _entities_dict(ents: Entities) -> dict[str, Any]:
    return {
        "drugs": [d.drug_id or d.ingredient or d.query for d in ents.drugs],
        "not_covered": list(ents.uncovered_drugs),
        "substances": list(ents.substances),
        "symptoms": list(ents.symptoms),
        "red_flags": list(ents.red_flags),
        "amounts": [{"value": a.value, "unit": a.unit} for a in ents.amounts],
    }


def _declined(
    question: str,
    reason: str,
    version: str,
    draft: _Draft | None = None,
    ents: Entities | None = None,
    intents: Sequence[str] = (),
    conf: float = 0.0,
    **fmt: str,
) -> Answer:
    draft = draft or _Draft()
    draft.add_advice(("not_covered_refer",))
    return Answer(
        question=question,
        status="declined",
        intents=tuple(intents),
        confidence=round(conf, 3),
        drug=None,
        parts=tuple(draft.parts),
        advice=tuple(draft.advice),
        triage=draft.triage,
        decline=make_decline(reason, **fmt),
        not_checked=tuple(draft.not_checked),
        method="decline",
        knowledge_version=version,
        entities=_entities_dict(ents) if ents else {},
    )


# ---------------------------------------------------------------------------------- parts


def _guide_part(h: Hit) -> AnswerPart:
    return AnswerPart("guide", h.text, h.sources, h.drug_id, h.section, h.title, h.judgment)


def _section_items(
    index: GuideIndex, drug: str, section: str, query: str, limit: int, lead: bool = False
) -> list[Hit]:
    """The items of one section that best answer `query`; all of a short section. With
    `lead`, the section's first item (its summary) is always among them."""
    guide = index.guides.get(drug)
    sec = guide.section(section) if guide else None
    if sec is None:
        return []
    if len(sec.items) <= limit:
        return [
            Hit(drug, sec.id, sec.title, i, it.text, it.sources, it.judgment, 0.0)
            for i, it in enumerate(sec.items)
        ]
    hits = index.search(query, drug=drug, sections=(section,), limit=limit)
    if not hits:
        hits = [
            Hit(drug, sec.id, sec.title, i, it.text, it.sources, it.judgment, 0.0)
            for i, it in enumerate(sec.items[:limit])
        ]
    if lead and all(h.index != 0 for h in hits):
        it = sec.items[0]
        hits = [
            Hit(drug, sec.id, sec.title, 0, it.text, it.sources, it.judgment, 0.0),
            *hits[: limit - 1],
        ]
    return sorted(hits, key=lambda h: h.index)


FILTERED_INTENTS = frozenset({"pregnancy", "breastfeeding", "children", "dose"})
_CHILD_WORDS = re.compile(
    r"\b(child|children|kid|kids|toddler|infant|baby|teen|teenager|pediatric|paediatric|son"
    r"|daughter|boy|girl)\b",
    re.I,
)
_FOOD_WORDS = ("food", "meal", "eat", "grapefruit", "juice", "caffeine", "coffee", "diet")


def _child_age(text: str) -> float | None:
    m = _CHILD_AGE.search(text)
    return float(m.group(1) or m.group(2)) if m else None


def _for_group(
    catalog: Catalog,
    intent: str,
    focus: str,
    hits: list[Hit],
    text: str,
    ents: Entities,
    *,
    fallback: bool = True,
) -> list[Hit]:
    """Keep the items for the person asked about: pregnancy items for a pregnancy question,
    milk items for breastfeeding, the age band of the child, adult oral doses by default."""
    d = catalog.drugs[focus]
    if intent in {"pregnancy", "breastfeeding"}:
        r = d.reproduction
        milk = {n.text for n in r.lactation}
        if intent == "breastfeeding":
            return [h for h in hits if h.text in milk] or hits
        # The summary first, then what matters most near birth (withdrawal in the newborn).
        newborn = {n.text for n in r.neonatal}
        kept = [h for h in hits if h.text not in milk] or hits
        return sorted(kept, key=lambda h: (h.index != 0, h.text not in newborn, h.index))
    ranges = {x.text: x.age_years for x in d.dosing}
    ranges.update({x.text: x.age_years for x in d.age_rules})
    pump = bool(_PUMP.search(text))
    age = _child_age(text)
    if intent == "dose" and age is None and not _CHILD_WORDS.search(text):
        adult = {x.text for x in d.dosing if x.population in {"adult", "any", "geriatric"}}
        route = {x.text: x.route for x in d.dosing}
        kept = [
            h
            for h in hits
            if h.section != "dosing"
            or (h.text in adult and (pump or route.get(h.text) != "intrathecal"))
        ]
        return kept or (hits if fallback else [])
    if age is None:
        return hits
    route = {x.text: x.route for x in d.dosing}
    route.update({x.text: x.route for x in d.age_rules})
    fit = [
        h
        for h in hits
        if (h.text not in ranges or ranges[h.text].contains(age))
        and (pump or route.get(h.text) != "intrathecal")
    ]
    if intent == "children":
        # The dose line for this age band (the adult label from 12).
        grown = [x for x in d.dosing if x.age_years.contains(age) and x.route == "oral"]
        fit += [
            Hit(focus, "dosing", "Doses", i, x.text, x.sources, x.label_status == "judgment", 0.0)
            for i, x in enumerate(grown)
        ]
    return fit or (hits[:1] if fallback else [])


def _about_named(
    catalog: Catalog, intent: str, focus: str, hits: list[Hit], ents: Entities
) -> list[Hit]:
    """Interaction items that are about what the question names, not any sedating medicine."""
    if intent == "interaction_food":
        words = [*_FOOD_WORDS, *ents.substances]
        return [h for h in hits if any(w in h.text.lower() for w in words)]
    others = [d for d in ents.covered_drugs if d != focus]
    if not others:
        return hits
    names: set[str] = set()
    for o in others:
        od = catalog.drugs[o]
        names |= {od.id.replace("_", " "), od.name.lower(), *(b.name.lower() for b in od.brands)}
    return [h for h in hits if any(n in h.text.lower() for n in names)]


def _dose_amount(catalog: Catalog, draft: _Draft, focus: str, text: str, ents: Entities) -> None:
    """ "Is 120 mg ok?": the amount is checked as a day's total by the dose checks."""
    amounts = [
        a
        for a in ents.amounts
        if a.unit in {"mg", "g", "mcg", "mL"}
        # "5mg/ml" is a strength, not an amount taken.
        and not re.search(re.escape(a.text) + r"\s*/", text)
    ]
    if not amounts:
        return
    a = amounts[0]
    name = next((d.query for d in ents.drugs if d.drug_id == focus and d.query != d.drug_id), focus)
    route = "intrathecal" if _PUMP.search(text) else None
    try:
        from medguide.clinical.assess import assess
        from medguide.clinical.request import AssessRequest, Medication

        med = Medication(drug=name, dose=a.value, unit=a.unit, frequency="daily", route=route)
        result = assess(catalog, AssessRequest(medications=(med,)))
    except (ImportError, ValueError, KeyError, NotImplementedError) as exc:
        draft.not_checked.append(f"dose check could not run: {exc}")
        return
    flagged = False
    for f in result.findings:
        if f.code in {
            "max_daily_dose_exceeded",
            "max_single_dose_exceeded",
            "concentration_confusion",
            "unit_mismatch",
        }:
            flagged = True
            draft.add(
                AnswerPart(
                    "finding",
                    f.message,
                    tuple(f.sources),
                    focus,
                    "dosing",
                    "Dose check",
                    False,
                    f.code,
                )
            )
            draft.add_advice(a for a in f.advice if a != "reduce_dose")
    totals = [t for t in result.computed.get("daily_totals", ()) if t.get("drug") == focus]
    rule = next(
        (
            r
            for r in catalog.drugs[focus].dosing
            if r.max_daily is not None and r.population == "adult" and r.route == (route or "oral")
        ),
        None,
    )
    if not flagged and totals and rule is not None and rule.max_daily is not None:
        total = totals[0]
        amount = f"{total['amount']:g} {total['unit']}"
        said = f"{a.value:g} {a.unit}"
        lead = f"{said} is {amount}. " if said != amount else ""
        draft.add(
            AnswerPart(
                "finding",
                f"{lead}Taken as a whole day's total, {amount} is not above the labelled "
                f"maximum of {rule.max_daily} a day{_ages(rule.age_years.low)}. Your own dose is "
                "the one "
                "your prescriber set; do not raise it on your own.",
                rule.sources,
                focus,
                "dosing",
                "Dose check",
                False,
                None,
            )
        )
    if not _PER_DAY.search(text):
        draft.not_checked.append(
            f"{a.value:g} {a.unit} was checked as a whole day's total; as one dose, compare it "
            "with the dose schedule shown"
        )


def _ages(low: float | None) -> str:
    return f" (from age {low:g})" if low else ""


def _lifestyle_advice(catalog: Catalog, drug: str, hits: Iterable[Hit]) -> list[str]:
    texts = {h.text for h in hits if h.section == "lifestyle"}
    d = catalog.drugs[drug]
    return [entry.advice for entry in d.lifestyle if entry.advice and entry.text in texts]


def _compose(
    catalog: Catalog,
    index: GuideIndex,
    draft: _Draft,
    intent: str,
    focus: str,
    text: str,
    ents: Entities,
) -> bool:
    """Add the parts that answer one intent; False when the knowledge has nothing for it."""
    text = strip_names(text, ents, focus)
    query = f"{text} {INTENT_QUERY.get(intent, '')}"
    before = len(draft.parts)
    if intent in INTERACTION_INTENTS:
        _interaction(catalog, index, draft, intent, focus, text, ents)
    elif intent == "missed_dose":
        _missed_dose(catalog, draft, focus, text)
    elif intent in {"overdose", "emergency"}:
        _emergency(catalog, draft, ents, focus, text, ingested=intent == "overdose")
        if intent == "emergency" and not set(ents.red_flags) & OVERDOSE_FLAGS:
            # Not about too much of the medicine: the overdose section does not answer it.
            return len(draft.parts) > before
    elif intent == "dose":
        _dose_amount(catalog, draft, focus, text, ents)
    elif intent == "pregnancy" and catalog.drugs[focus].withdrawal:
        # Pregnancy is no reason to stop on one's own: a sudden stop risks withdrawal.
        draft.add_advice(("contact_prescriber", "do_not_stop_abruptly"))
    elif intent == "stopping" or intent == "dependence":
        d = catalog.drugs[focus]
        if d.taper is not None or d.withdrawal:
            draft.add_advice(("do_not_stop_abruptly", "gradual_taper", "contact_prescriber"))
    if intent == "pump":
        pump_hits = index.search(query, drug=focus, sections=INTENT_SECTIONS["pump"], limit=4)
        for h in pump_hits:
            draft.add(_guide_part(h))
        return bool(pump_hits)

    sections = INTENT_SECTIONS.get(intent, ())
    guide = index.guides.get(focus)
    primary = next((s for s in sections if guide and guide.section(s)), None)
    hits: list[Hit] = []
    if intent in FAQ_FIRST and primary != "faq":
        # A question people often ask has a short, checked answer: give it first.
        faq = index.search(text, drug=focus, sections=("faq",), limit=1)
        if faq and faq[0].score >= FAQ_MIN_SCORE:
            draft.add(_guide_part(faq[0]))
    if primary is not None:
        limit = SECTION_LIMIT.get(intent, 3)
        if primary == "faq":
            limit = 1
        if intent in FILTERED_INTENTS:
            # Every item, then only those for this person's group (age, pregnancy or milk).
            hits = _section_items(index, focus, primary, query, 50)
            hits = _for_group(catalog, intent, focus, hits, text, ents)[:limit]
        else:
            hits = _section_items(
                index,
                focus,
                primary,
                query,
                limit,
                lead=intent not in INTERACTION_INTENTS and primary != "faq",
            )
        if intent in INTERACTION_INTENTS:
            hits = _about_named(catalog, intent, focus, hits, ents)
        if intent in {"interaction_alcohol", "driving", "interaction_food", "interaction_herbal"}:
            # Only the items about this topic, not the whole everyday-life list.
            hits = [h for h in hits if h.score > 0] or hits[:1]
        if intent in {"overdose", "emergency"} and not _PUMP.search(text):
            # An ingestion by mouth: the pump's overdose figures do not apply.
            hits = [h for h in hits if not h.text.startswith("Intrathecal")] or hits
        for h in hits:
            draft.add(_guide_part(h))
        for extra in sections[sections.index(primary) + 1 :]:
            more = index.search(query, drug=focus, sections=(extra,), limit=1)
            if intent in FILTERED_INTENTS:
                more = _for_group(catalog, intent, focus, more, text, ents, fallback=False)
            if intent in INTERACTION_INTENTS:
                more = _about_named(catalog, intent, focus, more, ents)
            for h in more:
                if h.score >= MIN_RETRIEVAL_SCORE:
                    draft.add(_guide_part(h))
                    hits.append(h)
    for always in ALWAYS_LEAD.get(intent, ()):
        sec = guide.section(always) if guide else None
        if sec is not None and sec.items:
            first = sec.items[0]
            draft.add(
                AnswerPart(
                    "guide", first.text, first.sources, focus, sec.id, sec.title, first.judgment
                )
            )
    draft.add_advice(_lifestyle_advice(catalog, focus, hits))
    return len(draft.parts) > before


def _interaction(
    catalog: Catalog,
    index: GuideIndex,
    draft: _Draft,
    intent: str,
    focus: str,
    text: str,
    ents: Entities,
) -> None:
    others = [d for d in ents.covered_drugs if d != focus]
    substances = [s for s in ents.substances if s in catalog.drugs]
    not_covered = [s for s in ents.substances if s not in catalog.drugs]
    if not_covered:
        draft.not_checked.append(
            f"no knowledge file for {', '.join(not_covered)}: interaction not screened"
        )
    if not others and not substances:
        return
    try:
        from medguide.clinical.assess import assess
        from medguide.clinical.request import AssessRequest, Medication

        request = AssessRequest(
            medications=tuple(Medication(drug=d) for d in (focus, *others)),
            substances=tuple(substances),
        )
        result = assess(catalog, request)
    except (ImportError, ValueError, KeyError, NotImplementedError) as exc:
        draft.not_checked.append(f"interaction check could not run: {exc}")
        return
    names = {focus, *others, *substances}
    for f in result.findings:
        if f.code not in {"interaction", "cns_depressant_burden", "hypotension_burden"}:
            continue
        if f.drugs and not names & set(f.drugs) and f.code == "interaction":
            continue
        draft.add(
            AnswerPart(
                "finding",
                f.message,
                tuple(f.sources),
                focus,
                "interactions",
                "Interaction check",
                False,
                f.code,
            )
        )
        draft.add_advice(f.advice)
    if "alcohol" in substances and "avoid_alcohol" not in draft.advice:
        d = catalog.drugs[focus]
        draft.add_advice(e.advice for e in d.lifestyle if e.advice == "avoid_alcohol")
    if not any(p.kind == "finding" for p in draft.parts):
        pair = " and ".join(catalog.drugs[x].name for x in (focus, *others, *substances))
        draft.add(
            AnswerPart(
                "finding",
                f"medguide's interaction rules list nothing for {pair}. That is not proof the "
                "combination is safe: ask a pharmacist, who can check everything you take.",
                (),
                focus,
                "interactions",
                "Interaction check",
                True,
                None,
            )
        )


_CLOCK = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*(am|pm)\b|\b(\d{1,2}):(\d{2})\b", re.I)
_SEVERAL = re.compile(
    r"\b(\d+|two|three|four|five|several|few|couple of)\s+(days|doses|pills|tablets)\b", re.I
)


def _missed_dose(catalog: Catalog, draft: _Draft, focus: str, text: str) -> None:
    d = catalog.drugs[focus]
    rule = d.missed_dose
    if rule is None:
        return
    draft.add_advice(("take_missed_dose_now", "skip_missed_dose"))
    if rule.never_double:
        draft.add_advice(("do_not_double",))
    if _SEVERAL.search(text) and rule.consecutive_missed_withdrawal_risk:
        draft.add_advice(("do_not_take_all_missed_doses", "contact_prescriber"))
    times = _CLOCK.findall(text)
    if times:
        try:
            from medguide.clinical.assess import assess
            from medguide.clinical.request import AssessRequest, Medication, MissedDose

            clock = [m.group(0) for m in _CLOCK.finditer(text)]
            missed = MissedDose(
                drug=focus, scheduled=clock[0], next_due=clock[1] if len(clock) > 1 else None
            )
            result = assess(
                catalog, AssessRequest(medications=(Medication(drug=focus),), missed_dose=missed)
            )
        except (ImportError, ValueError, KeyError, NotImplementedError) as exc:
            draft.not_checked.append(f"missed-dose advice could not run: {exc}")
            return
        draft.add_advice(a for a in result.advice if a != "not_covered_refer")


def _flag_sources(catalog: Catalog, flags: Iterable[str]) -> tuple[tuple[str, ...], bool]:
    """Sources (and the judgment mark) of the symptom entries behind the red flags."""
    wanted = set(flags)
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
        wanted = set(flags)
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


def _emergency(
    catalog: Catalog,
    draft: _Draft,
    ents: Entities,
    focus: str | None,
    text: str,
    *,
    ingested: bool = False,
) -> None:
    """Open with emergency advice; add what triage found."""
    if any(p.kind == "emergency" for p in draft.parts):
        return
    child = bool(_CHILD_INGESTION.search(text))
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
        if "intentional_ingestion" in ents.red_flags or mass or ingested or child:
            age = _child_age(text)
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


def _add_triage(draft: _Draft, result: Any, focus: str, section: str, *, escalate: bool) -> None:
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


def _situation(
    catalog: Catalog,
    draft: _Draft,
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
    pump = bool(_PUMP.search(text))
    days = None
    m = _DAYS_AGO.search(text)
    if m:
        n = m.group(1).lower()
        days = float(_NUMBER_WORDS.get(n, 0) or int(n)) * (7 if m.group(2).lower() == "week" else 1)
    try:
        from medguide.clinical.assess import assess
        from medguide.clinical.request import AssessRequest, Event, Medication

        events = []
        if _STOPPED.search(text):
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


def with_parts(answer: Answer, parts: Sequence[AnswerPart]) -> Answer:
    return replace(answer, parts=tuple(parts))
