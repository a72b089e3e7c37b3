"""What a name resolved to: the knowledge-level result of name resolution."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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
