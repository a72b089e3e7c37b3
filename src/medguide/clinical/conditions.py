"""Reading a patient's conditions: free text, SNOMED CT or ICD-10 → the condition vocabulary.

`resolve_condition(catalog, "fits")` and `resolve_condition(catalog, "ICD-10:G40.9")` both
give `seizure_disorder`. Text that is negated ("no epilepsy") or that matches nothing is not
guessed: it resolves to None and the caller lists it as not checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from medguide.knowledge.catalog import Catalog
from medguide.knowledge.models.conditions import Condition, ConditionFile

Method = Literal["word", "snomed", "icd10"]

_SNOMED = re.compile(
    r"^(?:(?:snomed(?:\s*ct)?|sct|http://snomed\.info/sct)\s*[:|#]\s*)?([1-9][0-9]{5,17})$",
    re.IGNORECASE,
)
_ICD = re.compile(
    r"^(?:icd[- ]?10(?:[- ]?cm)?\s*[:|#]\s*)?([A-Z][0-9]{2}(?:\.?[0-9A-Z]{1,4})?)$",
    re.IGNORECASE,
)
# A spinal cord injury written with its level ("T4 SCI", "C5 complete spinal cord injury",
# "injury at T-3"): cervical levels and T1 to T6 are "at T6 or above", where autonomic
# dysreflexia is a risk [S73]; lower levels stay plain spinal cord injury.
_CORD_LEVEL = re.compile(r"(?<![a-z0-9])([ct])\s?-?\s?([0-9]{1,2})(?![0-9])")
_CORD = "spinal_cord_injury"
_CORD_HIGH = "spinal_cord_injury_t6_or_above"
_NEGATION = re.compile(r"^(?:no|not|without|denies|never had|negative for|rule out|r/o)\b")


@dataclass(frozen=True)
class ResolvedCondition:
    query: str
    condition_id: str
    name: str
    method: Method
    matched: str
    ids: tuple[str, ...]  # the id and every broader id: what drug rules are matched against


def _closure(vocab: ConditionFile, cond: Condition) -> tuple[str, ...]:
    out: list[str] = [cond.id]
    queue = list(cond.broader)
    while queue:
        cid = queue.pop(0)
        if cid in out:
            continue
        out.append(cid)
        broader = vocab.get(cid)
        if broader is not None:
            queue.extend(broader.broader)
    return tuple(out)


def _norm_text(text: str) -> str:
    text = text.lower().replace("’", "'")
    text = re.sub(r"[^a-z0-9' -]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _norm_icd(code: str) -> str:
    return code.upper().replace(".", "")


def resolve_condition(catalog: Catalog, text_or_code: str) -> ResolvedCondition | None:
    """Map free text, a SNOMED CT concept id or an ICD-10 code to a vocabulary condition."""
    vocab = catalog.conditions
    query = text_or_code.strip()
    if not query:
        return None

    m = _SNOMED.match(query)
    if m:
        sid = m.group(1)
        for cond in vocab.conditions:
            if sid in cond.snomed:
                return ResolvedCondition(
                    query, cond.id, cond.name, "snomed", sid, _closure(vocab, cond)
                )
        return None

    m = _ICD.match(query)
    if m and _norm_text(query) not in {c.id for c in vocab.conditions}:
        code = _norm_icd(m.group(1))
        best: tuple[int, Condition, str] | None = None
        for cond in vocab.conditions:
            for prefix in cond.icd10:
                p = _norm_icd(prefix)
                if code.startswith(p) and (best is None or len(p) > best[0]):
                    best = (len(p), cond, prefix)
        if best is not None:
            _, cond, prefix = best
            return ResolvedCondition(
                query, cond.id, cond.name, "icd10", prefix, _closure(vocab, cond)
            )
        if any(ch.isdigit() for ch in query):
            return None

    text = _norm_text(query)
    if not text or _NEGATION.match(text):
        return None
    # Exact id or phrase first, then the longest phrase found as whole words in the text.
    found: tuple[int, Condition, str] | None = None
    for cond in vocab.conditions:
        for phrase in (cond.id.replace("_", " "), _norm_text(cond.name), *cond.words):
            if text == phrase:
                return ResolvedCondition(
                    query, cond.id, cond.name, "word", phrase, _closure(vocab, cond)
                )
            if re.search(rf"(?<![a-z0-9']){re.escape(phrase)}(?![a-z0-9'])", text) and (
                found is None or len(phrase) > found[0]
            ):
                found = (len(phrase), cond, phrase)
    if found is None:
        return None
    _, cond, phrase = found
    if cond.id == _CORD and _high_cord_level(text):
        high = vocab.get(_CORD_HIGH)
        if high is not None:
            cond = high
    return ResolvedCondition(query, cond.id, cond.name, "word", phrase, _closure(vocab, cond))


def _high_cord_level(text: str) -> bool:
    """True when the text names a cervical level or T1 to T6."""
    for region, number in _CORD_LEVEL.findall(text):
        level = int(number)
        if (region == "c" and 1 <= level <= 8) or (region == "t" and 1 <= level <= 6):
            return True
    return False
