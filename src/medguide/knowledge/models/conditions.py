"""Schema of the condition vocabulary (`knowledge/data/conditions.yaml`).

A small vocabulary: the conditions that drug rules (`Drug.conditions`) name, each with the
words people use for it and its codes in SNOMED CT and ICD-10, so that free text ("fits",
"MS"), a SNOMED CT concept id or an ICD-10 code all reach the same id.

ICD-10 entries are prefixes: "G40" matches G40.9 and G40.909. The longest matching prefix
wins, so a narrower condition (spinal cord injury at T6 or above, S24.102) beats a broader
one (spinal cord injury, S24.1).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, model_validator

from medguide.knowledge.models.base import Code, Model, SourceId

SnomedId = Annotated[str, Field(pattern=r"^[1-9][0-9]{5,17}$")]
Icd10Prefix = Annotated[str, Field(pattern=r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$")]


class Condition(Model):
    id: Code
    name: str = Field(min_length=1)
    words: tuple[str, ...] = Field(default=(), description="lower-case words people use")
    snomed: tuple[SnomedId, ...] = ()
    icd10: tuple[Icd10Prefix, ...] = ()
    broader: tuple[Code, ...] = Field(default=(), description="ids this condition is a kind of")
    text: str | None = None
    sources: tuple[SourceId, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _lower_words(self) -> Condition:
        for w in self.words:
            if w != w.lower().strip() or not re.search(r"[a-z]", w):
                raise ValueError(f"condition {self.id}: word {w!r} must be lower-case text")
        return self


class ConditionFile(Model):
    conditions: tuple[Condition, ...] = Field(default=())

    @model_validator(mode="after")
    def _consistent(self) -> ConditionFile:
        ids = [c.id for c in self.conditions]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate condition id(s): {dup}")
        known = set(ids)
        seen_words: dict[str, str] = {}
        for c in self.conditions:
            bad = [b for b in c.broader if b not in known or b == c.id]
            if bad:
                raise ValueError(f"condition {c.id}: unknown broader id(s) {bad}")
            for w in (c.name.lower(), *c.words):
                other = seen_words.setdefault(w, c.id)
                if other != c.id:
                    raise ValueError(f"word {w!r} names both {other} and {c.id}")
        return self

    def get(self, condition_id: str) -> Condition | None:
        return next((c for c in self.conditions if c.id == condition_id), None)
