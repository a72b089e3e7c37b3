"""When not to answer, and who to ask instead.

A decline is an answer too: it carries the advice code `not_covered_refer`, a plain reason
and the person or service that can help. Questions that need a person (a new dose, a
diagnosis), that are about animals, money or the law, that name a medicine with no
knowledge file, that match the knowledge only weakly, or that are not questions at all
(empty, very long, another language, instructions aimed at the software) are declined.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from medguide.knowledge.catalog import Catalog

MAX_QUESTION_CHARS = 1000


@dataclass(frozen=True)
class Decline:
    reason: str  # stable code, one of DECLINE_REASONS
    message: str  # for people
    refer_to: str | None

    def as_dict(self) -> dict[str, str | None]:
        return {"reason": self.reason, "message": self.message, "refer_to": self.refer_to}


PRESCRIBER = "your prescriber (the doctor, nurse or pharmacist who prescribes it)"
PHARMACIST = "a pharmacist"

DECLINE_REASONS: Mapping[str, tuple[str, str | None]] = {
    "empty": ("Please type a question about a medicine.", None),
    "too_long": (
        f"That is longer than {MAX_QUESTION_CHARS} characters. Please ask one short question "
        "at a time.",
        None,
    ),
    "prompt_injection": (
        "medguide only answers questions about medicines from its sourced knowledge, and its "
        "rules cannot be switched off. Ask your question plainly, or ask a pharmacist.",
        PHARMACIST,
    ),
    "other_language": (
        "medguide answers questions in English only for now. A pharmacist can help in your "
        "language.",
        PHARMACIST,
    ),
    "animal": (
        "medguide covers medicines for people only. Doses and risks differ in animals; ask a "
        "veterinarian, or an animal poison line if an animal has swallowed a medicine.",
        "a veterinarian",
    ),
    "cost_access": (
        "Prices, insurance cover and where to buy medicines are outside what medguide knows. "
        "Your pharmacist or your insurance plan can answer this. A prescription medicine needs "
        "a prescription from your doctor or prescriber; one sold online without it can be fake "
        "or the wrong strength.",
        "your pharmacist or insurance plan",
    ),
    "legal": (
        "medguide does not give legal advice. Ask a lawyer or the relevant authority; a "
        "pharmacist can explain the prescription rules where you live.",
        "a lawyer or the relevant authority",
    ),
    "dose_change": (
        "medguide cannot set or change anyone's dose or prescription. Only your prescriber can "
        "do that, after looking at your situation. Do not change the dose on your own, and do "
        "not stop suddenly.",
        PRESCRIBER,
    ),
    "identify_pill": (
        "medguide does not describe what tablets or liquids look like, so it cannot identify "
        "one. The pharmacy label and the leaflet in the pack say what it should be, and a "
        "pharmacist can check it. If someone may have swallowed a tablet that is not theirs, "
        "call a poison centre.",
        PHARMACIST,
    ),
    "misuse": (
        "medguide will not help with using a medicine to get high. Taking more baclofen than "
        "prescribed, or with alcohol or other drugs, is dangerous: it can slow breathing and "
        "cause seizures, coma or death. If drug or alcohol use is hard to control, a doctor can "
        "help in confidence (in the US the SAMHSA helpline 1-800-662-4357 is free and open day "
        "and night). If someone has already taken too much, call emergency services now.",
        "a doctor, or a confidential helpline",
    ),
    "covert": (
        "medguide will not help give a medicine to anyone without their knowledge. It is "
        "dangerous (it can slow breathing and cause coma, and nobody would know to watch for "
        "it) and it is a crime in most places. If someone is having trouble sleeping, their "
        "doctor can help. If they have already been given some, call a poison centre or "
        "emergency services now.",
        "their doctor; a poison centre if it has happened",
    ),
    "diagnosis": (
        "medguide cannot diagnose a condition. Please see your doctor about your symptoms.",
        "your doctor",
    ),
    "not_covered_drug": (
        "medguide has no knowledge file for {names} yet, so it cannot answer this safely. Ask "
        "a pharmacist or your doctor, who can check it against everything you take. medguide "
        "covers {covered}.",
        PHARMACIST,
    ),
    "not_covered_topic": (
        "The knowledge for {names} does not cover this yet. Ask a pharmacist or your prescriber.",
        PHARMACIST,
    ),
    "weak_match": (
        "I could not find a clear answer to that in medguide's knowledge, and I will not guess. "
        "Ask a pharmacist or your prescriber.",
        PHARMACIST,
    ),
}


def make_decline(reason: str, **fmt: str) -> Decline:
    message, refer = DECLINE_REASONS[reason]
    if "{covered}" in message:
        fmt.setdefault("covered", "baclofen in full and a set of other medicines in brief")
    return Decline(reason, message.format(**fmt) if fmt else message, refer)


def covered_list(catalog: Catalog) -> str:
    """What medguide covers, for a decline of a medicine it does not: the full guides by
    name, then how many more in brief with a few examples."""
    full = sorted(d.name for d in catalog.drugs.values() if d.kind == "drug" and d.depth == "full")
    brief = sorted(d.name for d in catalog.drugs.values() if d.kind == "drug" and d.depth != "full")
    some = ", ".join(brief[:6])
    return (
        f"{' and '.join(full) or 'no medicine'} in full, and {len(brief)} other medicines in "
        f"brief (such as {some}); `medguide drugs` lists them all"
    )


_INJECTION = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(rules?|instructions?|guidelines?"
    r"|prompts?|safety|restrictions?|programming|limits?)\b"
    r"|\bsystem prompt\b|\bjailbreak|\bdeveloper mode\b|\bno (rules|restrictions|limits)\b"
    r"|\bpretend (to be|you are|you're)\b|\byou are now\b|\bact as (a|an|my|if)\b"
    r"|\bdo anything now\b|<\s*/?\s*(script|system|instructions?)\b|\{\{.*\}\}"
    r"|^\s*\[?(system|assistant|developer|admin)\]?\s*:|\b(unrestricted|uncensored|unfiltered)\b"
    r"|\bwithout (any )?(rules|restrictions|filters|safety)\b",
    re.IGNORECASE,
)

_ENGLISH = frozenset(
    [
        "the",
        "a",
        "an",
        "is",
        "are",
        "can",
        "i",
        "my",
        "me",
        "it",
        "of",
        "to",
        "with",
        "and",
        "or",
        "what",
        "how",
        "do",
        "does",
        "should",
        "take",
        "for",
        "on",
        "in",
        "if",
        "will",
        "this",
        "that",
        "be",
        "you",
    ]
)
_FOREIGN = frozenset(
    # Spanish, French, German, Italian, Portuguese function words and medicine words that are
    # not English words.
    [
        "que",
        "el",
        "los",
        "las",
        "puedo",
        "tomar",
        "con",
        "para",
        "una",
        "por",
        "del",
        "cual",
        "cuál",
        "cómo",
        "como",
        "qué",
        "dosis",
        "embarazo",
        "tengo",
        "debo",
        "puede",
        "mi",
        "es",
        "y",
        "o",
        "se",
        "al",
        "lo",
        "je",
        "peux",
        "avec",
        "les",
        "des",
        "est",
        "pour",
        "une",
        "du",
        "prendre",
        "quelle",
        "enceinte",
        "mon",
        "ma",
        "suis",
        "dois",
        "peut",
        "et",
        "ich",
        "kann",
        "mit",
        "und",
        "ist",
        "der",
        "die",
        "das",
        "nicht",
        "nehmen",
        "darf",
        "wie",
        "viel",
        "meine",
        "mein",
        "ein",
        "eine",
        "schwanger",
        "posso",
        "prendere",
        "della",
        "sono",
        "che",
        "il",
        "gli",
        "mio",
        "sto",
        "gravidanza",
        "não",
        "com",
        "tomar",
        "grávida",
        "minha",
        "meu",
        "é",
        # More Spanish and French words people use in medicine questions.
        "manejar",
        "conducir",
        "tomo",
        "efectos",
        "secundarios",
        "embarazada",
        "lactancia",
        "máxima",
        "maxima",
        "alcool",
        "grossesse",
        "allaitement",
        "effets",
        "secondaires",
        "conduire",
        "maximale",
        "médicament",
        "medicamento",
        "baclofeno",
        "baclofène",
        "si",
        "mañana",
        "noche",
        "niño",
        "bebé",
        "enfant",
    ]
)


def looks_like_injection(text: str) -> bool:
    return bool(_INJECTION.search(text))


def looks_foreign(text: str) -> bool:
    """Not English: mostly non-Latin letters, or more foreign than English function words."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    non_latin = sum(1 for c in letters if ord(c) > 0x24F)
    if non_latin / len(letters) > 0.3:
        return True
    words = re.findall(r"[^\W\d_]+", text.lower())
    foreign = sum(1 for w in words if w in _FOREIGN and w not in _ENGLISH)
    foreign += text.count("¿") + text.count("¡")  # Spanish question and exclamation marks
    english = sum(1 for w in words if w in _ENGLISH)
    return foreign >= 2 and foreign > english
