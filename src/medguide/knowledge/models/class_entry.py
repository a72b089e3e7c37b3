"""Schema of class entries (`knowledge/data/class_entries.tsv`): medicines known by class.

A class entry is the smallest thing medguide can know about a medicine: its ingredient
name, the names people write for it (synonyms, brands), the classes it belongs to (each with
the source that places it there), whether it is cleared by the kidneys, and its UNII and
RxNorm codes where known. It holds no doses and no prose, so a class entry never stands in for
a monograph: every answer that uses one says "known by class, no monograph".

A combination product (Percocet, Sinemet) is an entry of kind `combination` that lists its
`ingredients` (ids of monographs or other class entries) and no classes of its own; each
ingredient is screened.

The file is validated row by row with `ClassEntryRow` (strict, like every knowledge file) and
kept in the catalog as frozen `ClassEntry` dataclasses (cheap to unpickle from the cache).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field, model_validator

from medguide.knowledge.models.base import Code, Model, SourceId

EntryKind = Literal[
    "drug",
    "substance",
    "herbal",
    "fluid",
    "electrolyte",
    "nutrient",
    "vaccine",
    "diluent",
    "combination",
]


class Membership(Model):
    """One class an ingredient belongs to, and the source that says so."""

    class_id: Code
    source: SourceId


class ClassEntryRow(Model):
    """One row of class_entries.tsv, as validated at load."""

    id: Code
    name: str = Field(min_length=1)
    kind: EntryKind
    classes: tuple[Membership, ...] = ()
    ingredients: tuple[Code, ...] = ()
    renally_cleared: bool | None = None
    unii: str | None = Field(default=None, pattern=r"^[A-Z0-9]{10}$")
    rxcui: str | None = Field(default=None, pattern=r"^[0-9]{1,8}$")
    synonyms: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _shape(self) -> ClassEntryRow:
        if self.kind == "combination":
            if len(self.ingredients) < 2:
                raise ValueError("a combination lists at least two ingredients")
            if self.classes:
                raise ValueError("a combination takes its classes from its ingredients")
        else:
            if self.ingredients:
                raise ValueError("only a combination lists ingredients")
            if not self.classes:
                raise ValueError("a class entry belongs to at least one class")
        ids = [m.class_id for m in self.classes]
        if len(ids) != len(set(ids)):
            raise ValueError("a class is listed twice")
        return self


@dataclass(frozen=True, slots=True)
class ClassEntry:
    """A medicine known by its classes only (no monograph): see the module docstring."""

    id: str
    name: str
    kind: str
    memberships: tuple[tuple[str, str], ...]  # (class id, source id)
    ingredients: tuple[str, ...]
    renally_cleared: bool | None
    unii: str | None
    rxcui: str | None
    synonyms: tuple[str, ...]
    brands: tuple[str, ...]

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.memberships)

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s for _, s in self.memberships))

    @classmethod
    def from_row(cls, row: ClassEntryRow) -> ClassEntry:
        return cls(
            id=row.id,
            name=row.name,
            kind=row.kind,
            memberships=tuple((m.class_id, m.source) for m in row.classes),
            ingredients=row.ingredients,
            renally_cleared=row.renally_cleared,
            unii=row.unii,
            rxcui=row.rxcui,
            synonyms=row.synonyms,
            brands=row.brands,
        )


# Columns of class_entries.tsv, in order (the file's header row must match).
COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "kind",
    "classes",
    "ingredients",
    "renal",
    "unii",
    "rxcui",
    "synonyms",
    "brands",
)


def parse_row(cols: list[str]) -> dict[str, object]:
    """A TSV row as the dict `ClassEntryRow` validates (lists split, blanks dropped)."""

    def split(text: str, sep: str) -> list[str]:
        return [p.strip() for p in text.split(sep) if p.strip()]

    rec = dict(zip(COLUMNS, cols, strict=True))
    renal = {"yes": True, "no": False, "": None}.get(rec["renal"].strip(), rec["renal"])
    classes = []
    for item in split(rec["classes"], " "):
        class_id, sep, source = item.partition("@")
        classes.append({"class_id": class_id, "source": source} if sep else {"class_id": item})
    out: dict[str, object] = {
        "id": rec["id"].strip(),
        "name": rec["name"].strip(),
        "kind": rec["kind"].strip(),
        "classes": classes,
        "ingredients": split(rec["ingredients"], " "),
        "renally_cleared": renal,
        "synonyms": split(rec["synonyms"], "|"),
        "brands": split(rec["brands"], "|"),
    }
    for key in ("unii", "rxcui"):
        if rec[key].strip():
            out[key] = rec[key].strip()
    return out
