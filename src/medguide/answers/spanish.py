"""Questions in Spanish: understood through the glossary of the consumer vocabulary, and
answered with the safety parts (the opening action and every piece of advice) in Spanish.
The rest of the answer stays in English and the answer says so."""

from __future__ import annotations

import re
from dataclasses import replace

from medguide.answers.model import Answer, AnswerPart
from medguide.answers.wording import ADVICE_ES, NOT_TRANSLATED_ES, OPENER_ES
from medguide.knowledge.consumer_words import fold

# Words that are Spanish and not English; two of them (or one with a Spanish drug name or
# an accent or ¿) make a question Spanish.
_MARKERS = frozenset(
    [
        "que",
        "para",
        "sirve",
        "puedo",
        "tomar",
        "tomo",
        "toma",
        "se",
        "con",
        "sin",
        "comida",
        "es",
        "esta",
        "mi",
        "hijo",
        "hija",
        "esposo",
        "esposa",
        "mama",
        "papa",
        "tiene",
        "anos",
        "efectos",
        "secundarios",
        "dosis",
        "olvide",
        "dejar",
        "golpe",
        "peligroso",
        "embarazada",
        "pecho",
        "manejar",
        "conducir",
        "pastillas",
        "comio",
        "dormido",
        "dormida",
        "confundida",
        "confundido",
        "fiebre",
        "alta",
        "rigido",
        "bomba",
        "sonando",
        "cada",
        "horas",
        "mucho",
        "malo",
        "hago",
        "del",
        "el",
        "la",
        "las",
        "los",
        "una",
        "unas",
        "manana",
    ]
)
_SPANISH_NAMES = re.compile(r"\bbaclofeno\b", re.I)


def looks_spanish(text: str) -> bool:
    words = re.findall(r"[a-z]+", fold(text))
    hits = sum(1 for w in words if w in _MARKERS)
    if _SPANISH_NAMES.search(text) or "¿" in text or re.search(r"[ñáéíóú]", text.lower()):
        hits += 1
    return hits >= 2 and hits * 3 >= len(words)


def in_spanish(answer: Answer) -> Answer:
    """The answer with its safety parts in Spanish first, then a note, then the rest."""
    spanish: list[AnswerPart] = []
    rest: list[AnswerPart] = []
    for p in answer.parts:
        if p.kind == "emergency" and p.code is not None and p.code in OPENER_ES:
            spanish.append(replace(p, text=OPENER_ES[p.code], title="Qué hacer ahora"))
            rest.append(p)
        elif p.kind == "advice" and p.code is not None and p.code in ADVICE_ES:
            spanish.append(replace(p, text=ADVICE_ES[p.code], title="Qué hacer"))
        else:
            rest.append(p)
    if answer.decline is None and not spanish:
        spanish.append(
            AnswerPart(
                "advice",
                ADVICE_ES["not_covered_refer"],
                (),
                answer.drug,
                None,
                "Qué hacer",
                False,
                "not_covered_refer",
            )
        )
    note = AnswerPart("advice", NOT_TRANSLATED_ES, (), answer.drug, None, "Idioma", False, None)
    parts = [*spanish, note, *rest] if rest or answer.decline else spanish
    return replace(answer, parts=tuple(parts), language="es")
