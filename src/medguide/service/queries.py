"""The queries of the service's jobs other than the assessment, validated at the boundary.

Each door fills one of these from its own shape (command-line options, a JSON body, a form)
and the service turns it into the clinical model. Limits turn absurd values into a clear
error naming the field (a daily dose of 99,999 mg, a count of 10,000 missed doses).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from medguide.clinical.request import Patient, Strict

if TYPE_CHECKING:  # an assessment never needs the planner, nor numpy, loaded
    from medguide.clinical.kidney_function import KidneyFunction
    from medguide.clinical.plans import Plan
    from medguide.pk.course import PkSummary

Route = Literal["oral", "intrathecal"]

# The largest oral daily dose any monograph allows is far below this; above it a number is
# a slip (an extra zero, a unit mix-up), not a regimen to reason about.
MAX_DAILY_DOSE_MG = 5_000.0
MAX_MISSED_IN_A_ROW = 100  # about a month of doses taken four times a day


class TriageQuery(Strict):
    """How urgent is it: what a person notices, with what happened."""

    symptoms: tuple[str, ...] = Field(default=(), max_length=50)
    drug: str | None = Field(default=None, max_length=200)
    route: Route = "oral"
    daily_dose_mg: float | None = Field(default=None, gt=0, le=MAX_DAILY_DOSE_MG)
    stopped_days_ago: float | None = Field(default=None, ge=0, le=3650)
    missed_doses: int | None = Field(default=None, ge=1, le=MAX_MISSED_IN_A_ROW)
    increased_days_ago: float | None = Field(default=None, ge=0, le=3650)
    new_drugs: tuple[str, ...] = Field(default=(), max_length=20)
    substances: tuple[str, ...] = Field(default=(), max_length=20)
    kidney_worse: bool = False
    dialysis: bool = False
    pump_alarm: bool = False
    refill_missed: bool = False
    wants_to_stop: bool = False
    last_dose_hours_ago: float | None = Field(default=None, ge=0, le=24 * 365)
    new: bool = False
    age_years: float | None = Field(default=None, ge=0, le=125)

    @property
    def has_events(self) -> bool:
        return bool(
            self.stopped_days_ago is not None
            or self.missed_doses is not None
            or self.increased_days_ago is not None
            or self.new_drugs
            or self.kidney_worse
            or self.pump_alarm
            or self.refill_missed
            or self.wants_to_stop
        )

    @model_validator(mode="after")
    def _enough(self) -> TriageQuery:
        if self.drug is None and (
            self.has_events or self.substances or self.dialysis or self.last_dose_hours_ago
        ):
            raise ValueError("give the medicine (drug) with what happened, e.g. drug=baclofen")
        said = any(s.strip() for s in self.symptoms)
        if not said and not self.has_events and self.last_dose_hours_ago is None:
            raise ValueError("say what you notice, or what happened (e.g. stopped 2 days ago)")
        return self


class OverdoseQuery(Strict):
    """Someone took too much, or a child may have swallowed some."""

    drug: str = Field(max_length=200)
    tablets: float | None = Field(default=None, gt=0, le=10_000)
    strength_mg: float | None = Field(default=None, gt=0, le=10_000)
    ml: float | None = Field(default=None, gt=0, le=10_000)
    concentration: str | None = Field(default=None, max_length=40)
    mg: float | None = Field(default=None, gt=0, le=1_000_000)
    mcg: float | None = Field(default=None, gt=0, le=1_000_000_000)
    hours_ago: float | None = Field(default=None, ge=0, le=24 * 30)
    intentional: bool | None = None
    route: Route | None = None  # None: the named product's route, else oral
    age_years: float | None = Field(default=None, ge=0, le=125)
    weight_kg: float | None = Field(default=None, gt=0.3, le=400)
    crcl_ml_min: float | None = Field(default=None, ge=0, le=250)
    dialysis: bool = False
    also: tuple[str, ...] = Field(default=(), max_length=20)
    symptoms: tuple[str, ...] = Field(default=(), max_length=50)

    @model_validator(mode="after")
    def _one_amount(self) -> OverdoseQuery:
        given = [x for x in (self.tablets, self.ml, self.mg, self.mcg) if x is not None]
        if len(given) > 1:
            raise ValueError("give the amount one way: tablets, mL, mg or mcg")
        if self.strength_mg is not None and self.tablets is None:
            raise ValueError("a tablet strength goes with a number of tablets")
        if self.concentration is not None and self.ml is None:
            raise ValueError("a concentration goes with a volume in mL")
        return self

    def amount(self) -> tuple[float | None, str | None]:
        for value, unit in (
            (self.tablets, "tablet"),
            (self.ml, "mL"),
            (self.mg, "mg"),
            (self.mcg, "mcg"),
        ):
            if value is not None:
                return value, unit
        return None, None


class MissedDoseQuery(Strict):
    """A forgotten dose: when it was due, and when the next one is."""

    drug: str = Field(max_length=200)
    missed: str = Field(max_length=40)
    next_due: str | None = Field(default=None, max_length=40)
    every_hours: float | None = Field(default=None, gt=0, le=72)
    timezone: str | None = Field(default=None, max_length=64)
    count: int = Field(default=1, ge=1, le=MAX_MISSED_IN_A_ROW)


class PlanQuery(Strict):
    """A titration or a taper for one drug and one person."""

    drug: str = Field(max_length=200)
    start: date
    # "60 mg", "60 mg/day", "300 mcg": the unit is read, never dropped
    target: str | None = Field(default=None, max_length=40)
    dose: float | None = Field(default=None, gt=0, le=100_000)
    unit: str | None = Field(default=None, max_length=20)
    frequency: str | None = Field(default=None, max_length=80)
    step_days: int | None = Field(default=None, ge=1, le=90)
    product: str | None = Field(default=None, max_length=80)
    route: Route | None = None
    on_drug_days: int | None = Field(default=None, ge=0, le=36_500)
    days: int | None = Field(default=None, ge=1, le=730)
    patient: Patient = Patient()


@dataclass(frozen=True)
class PlanResult:
    """A plan with the kidney function it was made for."""

    plan: Plan
    kidney: KidneyFunction
    knowledge_version: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan.as_dict(),
            "kidney": self.kidney.as_dict(),
            "knowledge_version": self.knowledge_version,
        }


class PkQuery(Strict):
    """What a regimen does to the level over time, for one person (issue 18)."""

    drug: str = Field(default="baclofen", max_length=200)
    dose: float = Field(gt=0, le=100_000)
    unit: str = Field(default="mg", max_length=20)
    frequency: str = Field(max_length=80)
    days: int = Field(default=7, ge=1, le=90)
    times_h: tuple[float, ...] | None = Field(default=None, max_length=12)  # hours of the day
    product: str | None = Field(default=None, max_length=80)
    missed: tuple[int, ...] = Field(default=(), max_length=100)  # dose numbers, from 1
    extra: tuple[tuple[float, float], ...] = Field(default=(), max_length=100)  # (hour, mg)
    dialysis_at_h: tuple[float, ...] = Field(default=(), max_length=60)  # session starts
    session_hours: float | None = Field(default=None, gt=0, le=24)
    subjects: int = Field(default=1000, ge=10, le=200_000)
    seed: int = Field(default=0, ge=0)
    patient: Patient = Patient()


@dataclass(frozen=True)
class PkResult:
    """The level summary with the regimen and kidney function it was computed for."""

    summary: PkSummary
    kidneys: str
    dose_mg: float
    doses_per_day: int
    days: int
    doses: int
    knowledge_version: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "pk": self.summary.as_dict(),
            "schedule": {
                "dose_mg": self.dose_mg,
                "doses_per_day": self.doses_per_day,
                "days": self.days,
                "doses": self.doses,
            },
            "kidneys": self.kidneys,
            "knowledge_version": self.knowledge_version,
        }
