"""The clinical model: resolved names and medication orders, as frozen dataclasses.

Outside shapes (free text, structured fields, FHIR) are turned into these at the edge; the
checks compute on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from medguide.clinical.findings import Finding

ResolveMethod = Literal[
    "exact", "brand", "synonym", "salt", "fuzzy", "vocabulary", "substance", "none"
]


@dataclass(frozen=True)
class Resolved:
    """What a name resolved to.

    `drug_id` is set when the catalog has a knowledge file for the ingredient (`covered`);
    `ingredient` alone means a known drug that is not covered yet (from the public name
    lists); neither means the name did not resolve (an `unknown_drug` finding).
    """

    query: str
    ingredient: str | None
    drug_id: str | None
    product_id: str | None
    matched: str | None
    method: ResolveMethod
    score: float
    provenance: str | None = None
    # id of the class entry it resolved to (known by class, no monograph); `ingredient` is
    # then that id too
    class_entry: str | None = None

    @property
    def covered(self) -> bool:
        return self.drug_id is not None

    @property
    def coverage(self) -> Literal["monograph", "class_entry", "name_only", "unknown"]:
        """How much medguide knows: a monograph, a class entry (classes, no monograph), the
        name only (public name lists), or nothing."""
        if self.drug_id is not None:
            return "monograph"
        if self.class_entry is not None:
            return "class_entry"
        return "name_only" if self.ingredient is not None else "unknown"

    @property
    def known(self) -> bool:
        return self.ingredient is not None


@dataclass(frozen=True)
class Order:
    """One medication order as read from text or structured fields.

    `dose`/`unit` are per administration as written ("10 mL", "1 tablet", "50 mcg"); when
    `dose_is_daily` the written dose is a daily total to be divided ("20 mg/day divided QID").
    `doses_per_day` is None when the frequency is missing or could not be read.
    """

    index: int
    text: str
    name: Resolved
    dose: float | None
    unit: str | None
    route: str | None
    doses_per_day: float | None
    interval_hours: float | None = None
    frequency_text: str | None = None
    dose_is_daily: bool = False
    prn: bool = False
    bolus: bool = False
    new: bool = False
    started: date | None = None
    issues: tuple[Finding, ...] = ()
