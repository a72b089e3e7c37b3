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
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from medguide.answers.compose import (
    DETAIL_STEMS,
    FALLBACK_CONFIDENCE,
    INTERACTION_INTENTS,
    MIN_COVERAGE,
    MIN_RETRIEVAL_SCORE,
    compose,
    guide_part,
)
from medguide.answers.decline import (
    MAX_QUESTION_CHARS,
    covered_list,
    looks_foreign,
    looks_like_injection,
    make_decline,
)
from medguide.answers.entities import STOPWORDS, Entities, extract_entities
from medguide.answers.intents import (
    INTENT_SECTIONS,
    REFER_INTENTS,
    IntentResult,
    classify,
    split_question,
)
from medguide.answers.model import Answer, AnswerPart, Draft
from medguide.answers.reading import strip_names
from medguide.answers.retrieval import GuideIndex, Hit, coverage, guide_index
from medguide.answers.situation import add_situation, implied_intent
from medguide.answers.spanish import in_spanish, looks_spanish
from medguide.answers.wording import advice_parts
from medguide.knowledge.catalog import Catalog
from medguide.knowledge.consumer_words import consumer_vocabulary

__all__ = ["Answer", "AnswerPart", "answer_question", "default_drug", "with_parts"]

HEDGED = 0.45  # confidence of an answer that leaves part of the question open


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
        return declined(question, "empty", version)
    if len(text) > MAX_QUESTION_CHARS:
        return declined(question, "too_long", version)
    if looks_spanish(text) and not looks_like_injection(text):
        # Understood through the Spanish glossary; the safety parts are given in Spanish.
        english = consumer_vocabulary(catalog).from_spanish(text)
        return in_spanish(_answer(catalog, question, english, drug, semantic))
    return _answer(catalog, question, text, drug, semantic)


def _answer(catalog: Catalog, question: str, text: str, drug: str | None, semantic: bool) -> Answer:
    version = catalog.version

    index = guide_index(catalog)
    ents = _unknown_names(catalog, extract_entities(catalog, text, index.words), text, index.words)
    draft = Draft()
    # Safety first: whatever else is asked, a situation (an amount swallowed, symptoms now,
    # a stop, a dose, a pump alarm) is assessed and an urgent one opens the answer.
    reading = add_situation(catalog, draft, ents, drug or _focus(catalog, ents, None), text)

    if looks_like_injection(text):
        return declined(question, "prompt_injection", version, draft, ents)
    if looks_foreign(text):
        return declined(question, "other_language", version, draft, ents)

    said = consumer_vocabulary(catalog).respell(text)  # "can u up my dose"
    parts = split_question(said)
    default = drug or default_drug(catalog)
    results = [
        classify(
            p,
            _unknown_names(catalog, extract_entities(catalog, p, index.words), p, index.words),
            default,
        )
        for p in parts
    ]
    if len(results) > 1:
        # a part that names no kind of question may say it in everyday words ("is loopy normal")
        results = [r if r.intent else _vocabulary_intent(catalog, r) for r in results]
    whole = classify(said, ents, default)
    intents = _intents(results, whole)
    conf = min((r.confidence for r in results if r.intent), default=whole.confidence)
    if whole.intent == "emergency" or ents.red_flags:
        conf = max(conf, whole.confidence)

    # A referral anywhere decides the whole answer: never half-answer a dose for a dog.
    refer = next((i for i in intents if i in REFER_INTENTS), None)
    if refer is None and whole.scores.get("animal"):
        refer = "animal"
    if refer is not None:
        if refer == "misuse" and "alcohol" in ents.substances:
            draft.add_advice(("avoid_alcohol",))
        return declined(question, refer, version, draft, ents, intents=(refer,), conf=conf)
    if not intents:
        # Everyday words that ask a known kind of question ("stay in ur system" is about how
        # long it lasts); from the consumer vocabulary.
        intents = tuple(
            i for i in consumer_vocabulary(catalog).intents_of(text) if i in INTENT_SECTIONS
        )
    # What the situation showed is answered even when the words name no intent.
    implied = implied_intent(reading, draft)
    added = None  # composed from, but not among the intents the words named
    if implied is not None and implied not in intents:
        added = implied if intents else None
        intents = (*intents, implied)

    focus = _focus(catalog, ents, drug, intents)
    if focus is None:
        names = ents.uncovered_drugs
        if names:
            return declined(
                question,
                "not_covered_drug",
                version,
                draft,
                ents,
                intents,
                conf,
                names=", ".join(names),
                covered=covered_list(catalog),
            )
        return declined(question, "weak_match", version, draft, ents, intents, conf)
    partner_done = False
    if ents.uncovered_drugs and any(i in INTERACTION_INTENTS for i in intents):
        # A covered medicine with one medguide does not cover: what is known about the covered
        # one's effect with other sedating medicines, and that the pair was not screened.
        _uncovered_partner(catalog, index, draft, focus, ents.uncovered_drugs)
        partner_done = True
    if "alternatives" in intents and _same_drug_brands(catalog, ents, focus):
        # "Ozobax or Ozobax DS?": two products of one medicine, not an alternative medicine.
        intents = tuple(dict.fromkeys("brand_names" if i == "alternatives" else i for i in intents))
    method = "intent"
    if not intents:
        query = f"{strip_names(text, ents, focus)} {consumer_vocabulary(catalog).expand(text)}"
        hits = index.search(query, drug=focus, limit=3)
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
            return declined(question, "weak_match", version, draft, ents, (), conf)
        for h in good[:2]:
            draft.add(guide_part(h))
        conf = min(conf, FALLBACK_CONFIDENCE)
    else:
        covered = False
        for intent, part_text in _intent_parts(intents, results, text):
            if partner_done and intent in INTERACTION_INTENTS:
                covered = True
                continue
            covered |= compose(catalog, index, draft, intent, focus, part_text, ents)
        if not covered and not draft.parts:
            name = catalog.drugs[focus].name
            return declined(
                question, "not_covered_topic", version, draft, ents, intents, conf, names=name
            )
        missing = _missing_details(text, draft)
        if missing:
            draft.not_checked.append(
                f"medguide's knowledge for {catalog.drugs[focus].name} says nothing about "
                f"{', '.join(missing)}: ask a pharmacist"
            )
            conf = min(conf, HEDGED)

    for part in advice_parts(catalog, focus, draft):
        draft.add(part)
    return Answer(
        question=question,
        status="answered",
        intents=tuple(i for i in intents if i != added),
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


# After another medicine is named: "with my wellbutrin", "and my xanax".
_PARTNER_SLOT = re.compile(
    r"\b(?:with|and|plus|alongside|on) (?:my|his|her|their|the)\s+([a-z][a-z-]{3,})\b"
)
_DRUG_SLOT = re.compile(
    r"\b(how much|how many|dose of|dosage of|doses of|dose for|injecting|inject|taking|take|on"
    r"|of my|with my|with)\s+([a-z][a-z-]{3,})\b"
)


def _unknown_names(catalog: Catalog, ents: Entities, text: str, known: frozenset[str]) -> Entities:
    """Words taken for medicine names: a laboratory value ("creatinine clearance 25") or a
    guessed word the knowledge itself uses is not one; a word nobody knows in the place of a
    medicine ("how much ozempic") is."""
    low = text.lower()

    def lab(word: str) -> bool:
        return bool(re.search(rf"\b{re.escape(word.lower())}\s+(clearance|levels?|tests?|\d)", low))

    unknown = [w for w in ents.unknown_drugs if not lab(w)]
    drugs = tuple(d for d in ents.drugs if d.drug_id is not None or not lab(d.query))
    vocab = consumer_vocabulary(catalog)
    fillers = vocab.fillers | vocab.not_medicines
    slots = [m.group(2) for m in _DRUG_SLOT.finditer(low)] if not drugs else []
    slots += [m.group(1) for m in _PARTNER_SLOT.finditer(low)] if drugs else []
    named = {d.query.lower() for d in drugs}
    for w in slots:
        if w not in named:
            new = w not in known and w not in STOPWORDS and w not in fillers and w not in unknown
            if new and not vocab.expand(w) and w not in ents.substances:
                unknown.append(w)
    return replace(ents, drugs=drugs, unknown_drugs=tuple(unknown))


def _uncovered_partner(
    catalog: Catalog, index: GuideIndex, draft: Draft, focus: str, names: Sequence[str]
) -> None:
    guide = index.guides.get(focus)
    for sec_id in ("lifestyle", "warnings"):
        sec = guide.section(sec_id) if guide else None
        if sec is None:
            continue
        for i, it in enumerate(sec.items):
            low = it.text.lower()
            if "sedat" in low and ("breath" in low or "alcohol" in low):
                draft.add(
                    guide_part(Hit(focus, sec.id, sec.title, i, it.text, it.sources, False, 0.0))
                )
                break
    listed = ", ".join(names)
    name = catalog.drugs[focus].name
    draft.add(
        AnswerPart(
            "finding",
            f"medguide has no knowledge file for {listed}, so {name} with {listed} was not "
            f"screened. Ask a pharmacist before taking them together; they can check "
            "everything you take.",
            (),
            focus,
            "interactions",
            "Not checked",
            True,
            "not_covered_refer",
        )
    )
    draft.add_advice(("contact_prescriber",))
    draft.not_checked.append(f"interaction of {name} with {listed}: no knowledge file")


def _same_drug_brands(catalog: Catalog, ents: Entities, focus: str) -> bool:
    """Only one medicine is named, and by a brand or product name: a question about its
    forms, not about another medicine."""
    if len(ents.covered_drugs) != 1 or ents.uncovered_drugs:
        return False
    d = catalog.drugs[focus]
    names = {b.name.lower() for b in d.brands} | {d.name.lower(), *(n.lower() for n in d.synonyms)}
    low = " ".join(ents.words)
    return sum(1 for n in names if re.search(rf"\b{re.escape(n)}\b", low)) >= 2


def _missing_details(text: str, draft: Draft) -> list[str]:
    body = " ".join(p.text.lower() for p in draft.parts)
    return [
        label
        for rx, stems, label in DETAIL_STEMS
        if rx.search(text) and not any(st in body for st in stems)
    ]


def _vocabulary_intent(catalog: Catalog, r: IntentResult) -> IntentResult:
    found = [i for i in consumer_vocabulary(catalog).intents_of(r.text) if i in INTENT_SECTIONS]
    return replace(r, intent=found[0], confidence=0.5) if found else r


def _intents(results: Sequence[IntentResult], whole: IntentResult) -> tuple[str, ...]:
    found = [r.intent for r in results if r.intent]
    if whole.intent == "emergency":
        found.insert(0, "emergency")
    if (
        len(results) > 1
        and whole.scores.get("interaction_drug", 0) >= 4
        and "interaction_drug" not in found
    ):
        # two medicines named in different parts ("morphine pump plus baclofen pump")
        found.append("interaction_drug")
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
        if any(i in INTERACTION_INTENTS or i in {"alternatives", "pump"} for i in intents):
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


def declined(
    question: str,
    reason: str,
    version: str,
    draft: Draft | None = None,
    ents: Entities | None = None,
    intents: Sequence[str] = (),
    conf: float = 0.0,
    **fmt: str,
) -> Answer:
    draft = draft or Draft()
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


def with_parts(answer: Answer, parts: Sequence[AnswerPart]) -> Answer:
    return replace(answer, parts=tuple(parts))
