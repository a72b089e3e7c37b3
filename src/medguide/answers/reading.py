"""Small readings of a question's words shared by the answer's parts."""

from __future__ import annotations

import re

from medguide.answers.entities import Entities

PUMP = re.compile(r"\bpump\b|\bintrathecal\b|\bitb\b", re.I)

CHILD_AGE = re.compile(r"\b(\d{1,2})[- ]?(?:year|yr)s?[- ]?old\b|\baged? (\d{1,2})\b", re.I)


def child_age(text: str) -> float | None:
    m = CHILD_AGE.search(text)
    return float(m.group(1) or m.group(2)) if m else None


def strip_names(text: str, ents: Entities, focus: str | None) -> str:
    """The question without the focus medicine's names, which all of its guide would match."""
    for d in ents.drugs:
        if d.drug_id and d.drug_id == focus:
            text = re.sub(rf"\b{re.escape(d.query)}\b", " ", text, flags=re.IGNORECASE)
    return text
