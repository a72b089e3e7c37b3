"""Schema of one drug's knowledge file (`knowledge/data/drugs/<id>.yaml`).

A full monograph (baclofen) fills most sections; a compact one (an interacting drug) fills
identity, classes, dosing limits and the few facts the checks need. Sections that are prose
for people are `Sourced` statements; sections that drive checks are structured rules, each
with its sources.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from medguide.knowledge.models.base import (
    Code,
    Concentration,
    Model,
    Quantity,
    Range,
    Route,
    Severity,
    Sourced,
    SourceId,
)
from medguide.knowledge.models.symptoms import TriageLevel

Frequency = Literal["very_common", "common", "uncommon", "rare", "unknown"]
Kind = Literal["drug", "substance", "herbal"]
Depth = Literal["full", "compact"]


class Codes(Model):
    rxcui: str | None = None
    unii: str | None = None
    atc: tuple[str, ...] = ()
    drugbank: str | None = None


class Brand(Model):
    name: str
    route: Route | None = None
    status: Literal["current", "historical", "non_us"] = "current"
    product: str | None = Field(default=None, description="id of the product it names")


class Indication(Sourced):
    condition: str
    route: Route = "any"
    status: Literal["approved", "off_label", "other_jurisdiction", "not_indicated"]


class Product(Model):
    """A marketed form. Solid forms have a strength; liquids a concentration."""

    id: Code
    name: str
    route: Route
    form: Literal[
        "tablet",
        "orally_disintegrating_tablet",
        "capsule",
        "oral_solution",
        "oral_suspension",
        "oral_granules",
        "injection",
        "intrathecal_injection",
        "patch",
        "beverage",
        "herb",
    ]
    strengths: tuple[Quantity, ...] = ()
    concentration: Concentration | None = None
    concentrations: tuple[Concentration, ...] = ()
    status: Literal["current", "historical"] = "current"
    note: str | None = None
    sources: tuple[SourceId, ...] = Field(min_length=1)


class TitrationStep(Model):
    day_from: int = Field(ge=1)
    day_to: int | None = Field(default=None, ge=1)
    dose: Quantity
    doses_per_day: int = Field(ge=1, le=12)


class DoseRule(Model):
    """Dose limits for one population and route; drives the dose checks."""

    id: Code
    route: Route
    population: Literal["adult", "pediatric", "geriatric", "any"] = "adult"
    age_years: Range = Range()
    start: Quantity | None = None
    start_doses_per_day: int | None = None
    usual_daily: tuple[Quantity, Quantity] | None = None
    max_daily: Quantity | None = None
    max_single: Quantity | None = None
    max_doses_per_day: int | None = None
    max_daily_per_kg: Quantity | None = Field(default=None, description="unit mg/kg or mcg/kg")
    titration: tuple[TitrationStep, ...] = ()
    step_interval_days: int | None = None
    label_status: Literal["label", "literature", "guideline", "judgment"] = "label"
    phase: Literal["screening", "titration", "maintenance"] | None = Field(
        default=None, description="for intrathecal rules: test bolus or pump maintenance"
    )
    origin: Literal["spinal", "cerebral"] | None = Field(
        default=None, description="origin of the spasticity the rule is for, when it matters"
    )
    text: str
    sources: tuple[SourceId, ...] = Field(min_length=1)


class RenalBand(Model):
    """What to do when kidney function falls in a band (mL/min; CrCl or eGFR)."""

    below: float | None = Field(default=None, description="applies when value < below")
    at_or_above: float | None = None
    measure: Literal["crcl", "egfr", "either"] = "crcl"
    action: Literal["none", "reduce", "avoid"]
    dose_factor: float | None = Field(default=None, gt=0, le=1)
    if_unavoidable_daily: Quantity | None = None
    severity: Severity
    text: str
    sources: tuple[SourceId, ...] = Field(min_length=1)
    judgment: bool = False
    note: str | None = None


class Renal(Model):
    """Kidney rules. `bands` must not overlap for one measure; `route` is where they apply
    (oral baclofen is cleared by the kidneys; an intrathecal dose is not adjusted by them)."""

    renally_cleared: bool
    route: Route = "any"
    fraction_unchanged_urine: Range | None = None
    bands: tuple[RenalBand, ...] = ()
    dialysis: RenalBand | None = None
    summary: Sourced | None = None

    @model_validator(mode="after")
    def _bands_sane(self) -> Renal:
        for band in (*self.bands, *(b for b in (self.dialysis,) if b is not None)):
            if band.action == "reduce" and band.dose_factor is None:
                raise ValueError("a 'reduce' band needs a dose_factor")
            if band.action != "reduce" and band.dose_factor is not None:
                raise ValueError("only a 'reduce' band has a dose_factor")
        return self


class AgeRule(Model):
    """Older-adult or child rules (Beers, label age limits, literature maxima)."""

    id: Code
    code: Code = Field(description="finding code it raises")
    route: Route = "any"
    age_years: Range
    kidney_below: float | None = Field(default=None, description="eGFR or CrCl threshold")
    daily_dose_at_or_above: Quantity | None = None
    max_daily: Quantity | None = None
    max_daily_per_kg: Quantity | None = None
    when_starting: bool = Field(
        default=False, description="applies to the starting dose of a new prescription only"
    )
    severity: Severity
    text: str
    sources: tuple[SourceId, ...] = Field(min_length=1)
    judgment: bool = False
    note: str | None = None


class AdverseEffect(Model):
    """One adverse effect. `frequency` bands: very_common >= 10 %, common 1-10 %,
    uncommon 0.1-1 %, rare < 0.1 % or described by the label only as rare, unknown when no
    source gives a rate. Where a label gives a range, the band follows its upper end."""

    name: str
    frequency: Frequency
    percent: Range | None = None
    serious: bool = False
    symptom: Code | None = Field(default=None, description="id in the symptom vocabulary")
    sources: tuple[SourceId, ...] = Field(min_length=1)
    judgment: bool = False
    note: str | None = None


class DrugWarning(Sourced):
    id: Code
    title: str
    boxed: bool = False
    route: Route = "any"


class ConditionRule(Sourced):
    """A condition that changes use: a caution, a contraindication or a non-indication."""

    condition: Code
    code: Literal[
        "condition_caution", "contraindicated_condition", "not_indicated", "hepatic_caution"
    ]
    severity: Severity
    route: Route = "any"


class ReproductionNote(Sourced):
    """A pregnancy or lactation statement; `severity` overrides the finding's default."""

    severity: Severity | None = None
    route: Route = "any"


class Reproduction(Model):
    pregnancy: tuple[ReproductionNote, ...] = ()
    neonatal: tuple[ReproductionNote, ...] = ()
    lactation: tuple[ReproductionNote, ...] = ()
    fetal_toxicity: ReproductionNote | None = None


class OverdoseThreshold(Model):
    """A reported amount and what was seen at or above it.

    `level` is the care an ingestion at or above the amount needs (None: urgent, a poison
    centre today). With `per_kg` the amount is per kilogram of body weight.
    """

    at_or_above: Quantity
    per_kg: bool = False
    population: Literal["adult", "child", "any"] = "any"
    effect: str
    level: TriageLevel | None = None
    sources: tuple[SourceId, ...] = Field(min_length=1)
    judgment: bool = False
    note: str | None = None


class Overdose(Model):
    """What is known about too much of the drug by one route.

    `child_below_years`: under this age the `child` thresholds apply. `hemodialysis_kidney_below`:
    the CrCl or eGFR (mL/min) under which haemodialysis is worth considering in a serious
    poisoning (dialysis-dependent patients always qualify).
    """

    route: Route = "oral"
    signs: tuple[Sourced, ...] = ()
    thresholds: tuple[OverdoseThreshold, ...] = ()
    management: tuple[Sourced, ...] = ()
    charcoal_window_hours: float | None = Field(default=None, gt=0)
    hemodialysis: Sourced | None = None
    hemodialysis_kidney_below: float | None = Field(default=None, gt=0)
    child_below_years: float = Field(default=18, gt=0, le=18)


class GapRule(Model):
    """A gap since the last dose long enough to count as stopping, for withdrawal."""

    hours: float = Field(gt=0)
    text: str
    sources: tuple[SourceId, ...] = Field(min_length=1)
    judgment: bool = False
    note: str | None = None


class Withdrawal(Model):
    route: Route = "oral"
    boxed: bool = False
    signs: tuple[Sourced, ...] = ()
    onset: Sourced | None = None
    prevention: tuple[Sourced, ...] = ()
    management: tuple[Sourced, ...] = ()
    after_gap: GapRule | None = None


class Taper(Model):
    """How to come off a drug: the shortest taper, when to go slower, and the last step.

    `route` is where a planned taper applies; for any other route `refer_other_routes`
    says who manages it instead (an intrathecal pump is tapered by its team, not a plan).
    """

    route: Route = "any"
    min_days: int = Field(ge=1)
    long_use_days: int | None = Field(default=None, description="taper longer after this")
    long_use_min_days: int | None = Field(default=None, ge=1)
    high_daily: Quantity | None = Field(default=None, description="at or above: go slower")
    high_dose_min_days: int | None = Field(default=None, ge=1)
    step_days: int = Field(default=3, ge=1, description="days between reductions")
    final_daily_max: Quantity | None = Field(
        default=None, description="the last daily dose before stopping is at most this"
    )
    text: str
    sources: tuple[SourceId, ...] = Field(min_length=1)
    judgment: bool = False
    note: str | None = None
    refer_other_routes: Sourced | None = None


class MissedDose(Model):
    skip_if_next_within_hours: float = Field(gt=0)
    never_double: bool = True
    consecutive_missed_withdrawal_risk: int | None = Field(default=None, ge=1)
    text: str
    sources: tuple[SourceId, ...] = Field(min_length=1)
    judgment: bool = False
    note: str | None = None


class Lifestyle(Sourced):
    id: Code
    advice: Code | None = None


class Alternative(Sourced):
    name: str
    drug: Code | None = Field(default=None, description="catalog id when it has a file")


class Faq(Model):
    question: str
    answer: str
    section: Code
    sources: tuple[SourceId, ...] = Field(min_length=1)


class GlanceRow(Sourced):
    """One row of the at-a-glance summary of a drug."""

    aspect: Code


class Correction(Model):
    """Where the seed article is wrong or silent, the position we take and why."""

    topic: Code
    article_says: str
    position: str
    sources: tuple[SourceId, ...] = Field(min_length=1)


class InteractionNote(Sourced):
    """Interactions by class as prose for the guide. The prose and the structured rules are
    one thing: every note names the rules (interactions.yaml) that screen what it states,
    or says `no_interaction: true` when it records that none is known; `drugs` gives
    concrete other drugs it speaks of (tests screen them and expect the named rules)."""

    with_: str = Field(alias="with")
    rules: tuple[Code, ...] = ()
    no_interaction: bool = False
    drugs: tuple[Code, ...] = ()

    @model_validator(mode="after")
    def _linked(self) -> InteractionNote:
        if bool(self.rules) == self.no_interaction:
            raise ValueError("an interaction note names its rules, or says no_interaction: true")
        return self


class PkParameter(Sourced):
    """One pharmacokinetic figure with its unit, the spread the sources report, and, for the
    simulation's population band, the between-person variability (a coefficient of variation
    of a log-normal parameter). A value the team had to choose is marked `judgment`."""

    name: Code
    value: float | None = None
    unit: str | None = None
    range: Range | None = Field(
        default=None, description="spread of the published figures (low..high, same unit)"
    )
    variability_cv: float | None = Field(
        default=None, ge=0, le=2, description="between-person CV (0.21 = 21 %), log-normal"
    )

    @model_validator(mode="after")
    def _value_in_range(self) -> PkParameter:
        r = self.range
        if r is not None and self.value is not None and not r.contains(self.value):
            raise ValueError(f"{self.name}: value {self.value:g} is outside its range")
        return self


class Drug(Model):
    """One drug, substance or herbal product."""

    id: Code
    name: str
    kind: Kind = "drug"
    depth: Depth = "compact"
    synonyms: tuple[str, ...] = ()
    brands: tuple[Brand, ...] = ()
    salts: tuple[str, ...] = ()
    codes: Codes = Codes()
    classes: tuple[Code, ...] = ()
    summary: Sourced | None = None
    mechanism: tuple[Sourced, ...] = ()
    indications: tuple[Indication, ...] = ()
    products: tuple[Product, ...] = ()
    how_to_take: tuple[Sourced, ...] = ()
    dosing: tuple[DoseRule, ...] = ()
    renal: Renal | None = None
    hepatic: tuple[Sourced, ...] = ()
    age_rules: tuple[AgeRule, ...] = ()
    special_populations: tuple[Sourced, ...] = ()
    adverse_effects: tuple[AdverseEffect, ...] = ()
    warnings: tuple[DrugWarning, ...] = ()
    contraindications: tuple[Sourced, ...] = ()
    conditions: tuple[ConditionRule, ...] = ()
    reproduction: Reproduction = Reproduction()
    interactions: tuple[InteractionNote, ...] = ()
    overdose: tuple[Overdose, ...] = ()
    withdrawal: tuple[Withdrawal, ...] = ()
    taper: Taper | None = None
    missed_dose: MissedDose | None = None
    lifestyle: tuple[Lifestyle, ...] = ()
    alternatives: tuple[Alternative, ...] = ()
    pharmacokinetics: tuple[PkParameter, ...] = ()
    storage: tuple[Sourced, ...] = ()
    faq: tuple[Faq, ...] = ()
    at_a_glance: tuple[GlanceRow, ...] = ()
    corrections: tuple[Correction, ...] = ()
    sources: tuple[SourceId, ...] = Field(default=(), description="sources for identity/codes")

    @model_validator(mode="after")
    def _unique_ids(self) -> Drug:
        for name, items in (
            ("products", self.products),
            ("dosing", self.dosing),
            ("warnings", self.warnings),
            ("age_rules", self.age_rules),
        ):
            ids = [i.id for i in items]
            dup = {i for i in ids if ids.count(i) > 1}
            if dup:
                raise ValueError(f"duplicate {name} id(s): {sorted(dup)}")
        return self

    def product(self, product_id: str) -> Product | None:
        return next((p for p in self.products if p.id == product_id), None)


class DrugClass(Model):
    """A class with the properties interaction rules turn on."""

    id: Code
    name: str
    atc: tuple[str, ...] = ()
    properties: tuple[Code, ...] = ()
    parent: Code | None = None
    text: str | None = None
    sources: tuple[SourceId, ...] = Field(min_length=1)


class Source(Model):
    """A bibliography entry."""

    id: SourceId
    title: str
    kind: Literal[
        "label",
        "guideline",
        "paper",
        "review",
        "monograph",
        "database",
        "patient_info",
        "secondary",
        "dataset",
    ]
    year: int | None = None
    url: str | None = None
    note: str | None = None
    tier: Literal["primary", "secondary", "low"] = "primary"
