"""Schema of interaction rules (`knowledge/data/interactions.yaml`).

Three kinds of rule live in that file:

- `rules`: pairwise rules. Each carries the W3C minimum information model for a potential
  drug-drug interaction: the two interacting sides (drug ids, class ids or class properties,
  optionally a route), the clinical consequence (`effect`), the `mechanism`, a `severity`
  (minor / moderate / major / contraindicated), the `management` (with advice codes where one
  fits), the `evidence` behind it and its `sources`. A severity that no source gives is marked
  `severity_judgment: true` with a `note` saying why.
- `groups`: whole-regimen rules. When `min_count` or more ingredients share a class property
  (three CNS depressants, three blood-pressure-lowering drugs), one burden finding replaces the
  pair alerts among them that the rules tag with the same group.
- `duplicates`: two different ingredients of the same therapeutic class → `duplicate_therapy`.

`pairwise_layers` describes imported pairwise data (the VA NDF-RT 2014 set): where the file
lies, how its severities map onto ours, and which source it is cited as.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from medguide.codes import ADVICE_CODES
from medguide.knowledge.models.base import Code, Model, Route, SourceId

InteractionSeverity = Literal["minor", "moderate", "major", "contraindicated"]
INTERACTION_SEVERITY_RANK: dict[str, int] = {
    "minor": 1,
    "moderate": 2,
    "major": 3,
    "contraindicated": 4,
}

# Interaction severity → finding severity (DESIGN.md severities). One table, used by every
# interaction and burden finding: minor → low, moderate → moderate, major → high,
# contraindicated → critical.
INTERACTION_TO_FINDING_SEVERITY: dict[str, Literal["low", "moderate", "high", "critical"]] = {
    "minor": "low",
    "moderate": "moderate",
    "major": "high",
    "contraindicated": "critical",
}

# What the statement rests on, strongest first. `label` = product information; `regulatory`
# = a regulator's safety communication; `guideline` = a consensus list (e.g. the ONC
# high-priority list); `study` / `case_report` = published observations; `theoretical` = the
# pharmacology predicts it; `judgment` = the team's call where the sources are silent.
Evidence = Literal[
    "label",
    "regulatory",
    "guideline",
    "study",
    "case_report",
    "database",
    "theoretical",
    "judgment",
]


class Side(Model):
    """One side of a rule. An ingredient matches when it is one of `drugs`, belongs to one of
    `classes` (or a child class), or belongs to a class with one of `properties` — and does
    not belong to any of `except_classes`. `route` narrows the side to that route."""

    drugs: tuple[Code, ...] = ()
    classes: tuple[Code, ...] = ()
    properties: tuple[Code, ...] = ()
    except_classes: tuple[Code, ...] = ()
    route: Route | None = None

    @model_validator(mode="after")
    def _something(self) -> Side:
        if not (self.drugs or self.classes or self.properties):
            raise ValueError("a side needs drugs, classes or properties")
        return self

    def describe(self) -> str:
        parts = [*self.drugs, *self.classes, *(f"any {p}" for p in self.properties)]
        text = " / ".join(parts)
        return f"{text} ({self.route})" if self.route else text


class Management(Model):
    """What to do, in words, and the advice codes it amounts to."""

    text: str = Field(min_length=1)
    advice: tuple[Code, ...] = ()

    @model_validator(mode="after")
    def _known_advice(self) -> Management:
        unknown = sorted(set(self.advice) - ADVICE_CODES)
        if unknown:
            raise ValueError(f"unknown advice code(s) {unknown}")
        return self


class _Judged(Model):
    severity_judgment: bool = False
    note: str | None = None
    sources: tuple[SourceId, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _judgment_has_note(self) -> _Judged:
        if self.severity_judgment and not (self.note and self.note.strip()):
            raise ValueError("severity_judgment: true needs a note saying why")
        return self


class InteractionRule(_Judged):
    """A pairwise rule (W3C minimum information model for potential DDIs)."""

    id: Code
    a: Side
    b: Side
    effect: str = Field(min_length=1, description="clinical consequence")
    mechanism: str = Field(min_length=1)
    severity: InteractionSeverity
    management: Management
    evidence: Evidence
    group: Code | None = Field(
        default=None,
        description="id of a group rule whose burden finding absorbs this pair alert",
    )


class Escalation(_Judged):
    """A row of a group's severity table: when distinct members of the group fill every
    side of `requires` (one member a side), the group finding takes `severity` at least."""

    id: Code
    requires: tuple[Side, ...] = Field(min_length=2)
    severity: InteractionSeverity
    effect: str = Field(min_length=1)


class GroupRule(_Judged):
    """Whole-regimen rule: `min_count` or more ingredients with `property` → one finding.
    `escalations` is its severity table (most severe row that fits wins)."""

    id: Code
    property: Code
    min_count: int = Field(ge=2, le=20)
    code: Literal["cns_depressant_burden", "hypotension_burden", "qt_prolongation_burden"]
    severity: InteractionSeverity
    effect: str = Field(min_length=1)
    management: Management
    evidence: Evidence
    escalations: tuple[Escalation, ...] = ()


class DuplicateRule(_Judged):
    """Two different ingredients of one of `classes` → `duplicate_therapy`."""

    id: Code
    classes: tuple[Code, ...] = Field(min_length=1)
    severity: InteractionSeverity
    effect: str = Field(min_length=1)
    management: Management
    evidence: Evidence


class PairwiseLayer(Model):
    """An imported pairwise data set (e.g. VA NDF-RT 2014) and how to read it."""

    id: Code
    file: str = Field(pattern=r"^[a-z0-9_]+/[a-z0-9_.-]+$", description="path under data/")
    provenance: str = Field(min_length=1, description="shown with every pair it gives")
    severity_map: dict[str, InteractionSeverity]
    note: str = Field(min_length=1)
    sources: tuple[SourceId, ...] = Field(min_length=1)


class InteractionFile(Model):
    """The interactions file."""

    rules: tuple[InteractionRule, ...] = ()
    groups: tuple[GroupRule, ...] = ()
    duplicates: tuple[DuplicateRule, ...] = ()
    pairwise_layers: tuple[PairwiseLayer, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> InteractionFile:
        ids = [
            *(r.id for r in self.rules),
            *(g.id for g in self.groups),
            *(d.id for d in self.duplicates),
            *(p.id for p in self.pairwise_layers),
        ]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate rule id(s): {dup}")
        groups = {g.id for g in self.groups}
        for rule in self.rules:
            if rule.group is not None and rule.group not in groups:
                raise ValueError(f"rule {rule.id}: unknown group {rule.group!r}")
        return self
