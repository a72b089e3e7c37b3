"""Composing the parts that answer one intent from the guide sections of a drug."""

from __future__ import annotations

import re
from collections.abc import Iterable

from medguide.answers.dosecheck import add_dose_check
from medguide.answers.entities import Entities
from medguide.answers.intents import (
    INTENT_SECTIONS,
)
from medguide.answers.interactions import add_interaction
from medguide.answers.model import AnswerPart, Draft
from medguide.answers.reading import PUMP, child_age, strip_names
from medguide.answers.retrieval import GuideIndex, Hit
from medguide.answers.situation import OVERDOSE_FLAGS, add_emergency
from medguide.knowledge.catalog import Catalog

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
    "side_effects": 5,
    "overdose": 2,
    "emergency": 2,
    "pregnancy": 2,
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


def guide_part(h: Hit) -> AnswerPart:
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
    pump = bool(PUMP.search(text))
    age = child_age(text)
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


def _named_products(catalog: Catalog, focus: str, text: str, hits: list[Hit]) -> list[Hit]:
    """A question that names products ("Ozobax DS or Ozobax?") gets those products only."""
    low = text.lower()
    taken = low
    names = []
    for p in sorted(catalog.drugs[focus].products, key=lambda p: -len(p.id)):
        name = p.id.replace("_", " ")
        if re.search(rf"\b{re.escape(name)}\b", taken):
            names.append(p.name)
            taken = re.sub(rf"\b{re.escape(name)}\b", " ", taken)
    if not names:
        return hits
    return [h for h in hits if any(h.text.startswith(n) for n in names)] or hits


def _lifestyle_advice(catalog: Catalog, drug: str, hits: Iterable[Hit]) -> list[str]:
    texts = {h.text for h in hits if h.section == "lifestyle"}
    d = catalog.drugs[drug]
    return [entry.advice for entry in d.lifestyle if entry.advice and entry.text in texts]


# The advice that goes with an intent's answer, given when the drug's knowledge carries it
# (its lifestyle entries, its withdrawal and taper rules): the warning beside the fact.
COMPANION_ADVICE: dict[str, tuple[str, ...]] = {
    "side_effects": ("avoid_driving_until_known",),
    "driving": ("avoid_driving_until_known",),
    "interaction_alcohol": ("avoid_alcohol",),
    "interaction_drug": ("avoid_driving_until_known",),
    "dose": ("contact_prescriber",),
    "pregnancy": ("contact_prescriber",),
    "breastfeeding": ("contact_prescriber",),
    "kidneys_liver": ("contact_prescriber",),
    "older_adults": ("contact_prescriber",),
    "pump": ("contact_prescriber",),
    "conditions": ("contact_prescriber",),
    "warnings": ("contact_prescriber",),
}
ALWAYS_ADVICE = frozenset({"contact_prescriber"})  # needs no entry in the knowledge


def companion_advice(catalog: Catalog, intent: str, focus: str) -> list[str]:
    d = catalog.drugs[focus]
    known = {e.advice for e in d.lifestyle if e.advice}
    return [a for a in COMPANION_ADVICE.get(intent, ()) if a in known or a in ALWAYS_ADVICE]


DOSE_FINDINGS = frozenset(
    {
        "max_daily_dose_exceeded",
        "max_single_dose_exceeded",
        "max_doses_per_day_exceeded",
        "pediatric_max_exceeded",
        "concentration_confusion",
        "renal_avoid",
        "renal_dose_adjustment",
        "geriatric_dose_caution",
        "titration_too_fast",
    }
)


def compose(
    catalog: Catalog,
    index: GuideIndex,
    draft: Draft,
    intent: str,
    focus: str,
    text: str,
    ents: Entities,
) -> bool:
    """Add the parts that answer one intent; False when the knowledge has nothing for it."""
    raw = text
    text = strip_names(text, ents, focus)
    query = f"{text} {INTENT_QUERY.get(intent, '')}"
    before = len(draft.parts)
    if intent in INTERACTION_INTENTS:
        add_interaction(catalog, index, draft, intent, focus, text, ents)
    elif intent == "missed_dose":
        add_missed_dose(catalog, draft, focus, text)
    elif intent in {"overdose", "emergency"}:
        add_emergency(catalog, draft, ents, focus, text, ingested=intent == "overdose")
        if intent == "emergency" and not set(ents.red_flags) & OVERDOSE_FLAGS:
            # Not about too much of the medicine: the overdose section does not answer it.
            return len(draft.parts) > before
    elif intent == "dose" and not any(p.code in DOSE_FINDINGS for p in draft.parts):
        # a regimen the situation already checked is not checked again as a day's total
        if not any(p.title == "Assessment" and p.code for p in draft.parts):
            add_dose_check(catalog, draft, focus, text, ents)
    elif intent == "pregnancy" and catalog.drugs[focus].withdrawal:
        # Pregnancy is no reason to stop on one's own: a sudden stop risks withdrawal.
        draft.add_advice(("contact_prescriber", "do_not_stop_abruptly"))
    elif intent == "stopping" or intent == "dependence":
        d = catalog.drugs[focus]
        if d.taper is not None or d.withdrawal:
            draft.add_advice(("do_not_stop_abruptly", "gradual_taper", "contact_prescriber"))
    if intent == "pump":
        secs = INTENT_SECTIONS["pump"]
        if not re.search(r"\b(too much|overdose|od|drowsy|sleepy|breath\w*|refill\w* this)", text):
            secs = tuple(s for s in secs if s != "overdose")
        pump_hits = index.search(query, drug=focus, sections=secs, limit=4)
        for h in pump_hits:
            draft.add(guide_part(h))
        return bool(pump_hits)

    sections = INTENT_SECTIONS.get(intent, ())
    guide = index.guides.get(focus)
    primary = next((s for s in sections if guide and guide.section(s)), None)
    hits: list[Hit] = []
    if intent in FAQ_FIRST and primary != "faq":
        # A question people often ask has a short, checked answer: give it first.
        faq = index.search(text, drug=focus, sections=("faq",), limit=1)
        if faq and faq[0].score >= FAQ_MIN_SCORE:
            draft.add(guide_part(faq[0]))
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
        if intent in {"overdose", "emergency"} and not PUMP.search(text):
            # An ingestion by mouth: the pump's overdose figures do not apply.
            hits = [h for h in hits if not h.text.startswith("Intrathecal")] or hits
        if primary == "products":
            hits = _named_products(catalog, focus, raw, hits)
        for h in hits:
            draft.add(guide_part(h))
        for extra in sections[sections.index(primary) + 1 :]:
            more = index.search(query, drug=focus, sections=(extra,), limit=1)
            if intent in FILTERED_INTENTS:
                more = _for_group(catalog, intent, focus, more, text, ents, fallback=False)
            if intent in INTERACTION_INTENTS:
                more = _about_named(catalog, intent, focus, more, ents)
            for h in more:
                if h.score >= MIN_RETRIEVAL_SCORE:
                    draft.add(guide_part(h))
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
    if len(draft.parts) > before:
        draft.add_advice(companion_advice(catalog, intent, focus))
    return len(draft.parts) > before


_CLOCK = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*(am|pm)\b|\b(\d{1,2}):(\d{2})\b", re.I)
_SEVERAL = re.compile(
    r"\b(\d+|two|three|four|five|several|few|couple of)\s+(days|doses|pills|tablets)\b", re.I
)


def add_missed_dose(catalog: Catalog, draft: Draft, focus: str, text: str) -> None:
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
