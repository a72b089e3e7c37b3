"""The assessment request (DESIGN.md, "The assessment contract").

One shape drives the CLI, the HTTP API and the web forms. It is validated here, at the
boundary, with limits that turn absurd values (age 300, weight 0 kg, dose -5) into a clear
error naming the field instead of a computed answer.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from medguide.units import UnknownUnit, normalize_unit

MAX_MEDICATIONS = 100  # a list longer than this is refused, not screened slowly


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Patient(Strict):
    age_years: float | None = Field(default=None, ge=0, le=125)
    weight_kg: float | None = Field(default=None, gt=0.3, le=400)
    height_cm: float | None = Field(default=None, gt=20, le=260)
    sex: Literal["male", "female"] | None = None
    serum_creatinine_mg_dl: float | None = Field(default=None, ge=0.1, le=25)
    serum_creatinine_umol_l: float | None = Field(default=None, ge=9, le=2200)
    crcl_ml_min: float | None = Field(default=None, ge=0, le=250)
    egfr: float | None = Field(default=None, ge=0, le=250)
    dialysis: Literal["none", "hemodialysis", "peritoneal"] | None = None
    pregnant: bool | None = None
    breastfeeding: bool | None = None
    conditions: tuple[str, ...] = ()
    baclofen_naive: bool | None = None
    timezone: str | None = None

    @model_validator(mode="after")
    def _one_creatinine(self) -> Patient:
        if self.serum_creatinine_mg_dl is not None and self.serum_creatinine_umol_l is not None:
            raise ValueError("give serum creatinine in mg/dL or in µmol/L, not both")
        return self


class Medication(Strict):
    """Either free text ("baclofen 10 mg tid") or structured fields, or both."""

    text: str | None = Field(default=None, max_length=500)
    drug: str | None = Field(default=None, max_length=200)
    dose: float | None = Field(default=None, gt=0, le=100_000)
    unit: str | None = Field(default=None, max_length=20)
    route: str | None = Field(default=None, max_length=40)
    frequency: str | None = Field(default=None, max_length=80)
    new: bool = False
    started: date | None = None
    prn: bool = False

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, unit: str | None) -> str | None:
        if unit is None:
            return None
        try:
            normalize_unit(unit)  # kept as written, so error-prone spellings are still flagged
            return unit
        except UnknownUnit as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _something(self) -> Medication:
        if not (self.text and self.text.strip()) and not (self.drug and self.drug.strip()):
            raise ValueError("a medication needs 'text' or 'drug'")
        return self


class Ingestion(Strict):
    drug: str = Field(max_length=200)
    amount: float | None = Field(default=None, gt=0, le=1_000_000)
    unit: str | None = Field(default=None, max_length=20)
    strength_mg: float | None = Field(default=None, gt=0, le=10_000)
    concentration: str | None = Field(default=None, max_length=40)  # liquids: "5 mg/mL"
    hours_ago: float | None = Field(default=None, ge=0, le=24 * 30)
    intentional: bool | None = None
    route: str | None = None


class MissedDose(Strict):
    drug: str = Field(max_length=200)
    scheduled: str = Field(max_length=40)
    next_due: str | None = Field(default=None, max_length=40)
    interval_hours: float | None = Field(default=None, gt=0, le=72)
    consecutive_missed: int = Field(default=1, ge=1, le=100)


class Event(Strict):
    """Something that happened: a dose stopped or increased, a pump alarm, a new drug."""

    kind: Literal[
        "stopped",
        "dose_increased",
        "dose_decreased",
        "doses_missed",
        "started_drug",
        "pump_alarm",
        "pump_refill_missed",
        "kidney_function_worse",
        "dialysis_started",
        "wants_to_stop",
    ]
    drug: str | None = None
    daily_dose_mg: float | None = Field(default=None, ge=0, le=10_000)
    days_ago: float | None = Field(default=None, ge=0, le=3650)


class AssessRequest(Strict):
    patient: Patient = Patient()
    medications: tuple[Medication, ...] = Field(default=(), max_length=MAX_MEDICATIONS)
    substances: tuple[str, ...] = ()
    symptoms: tuple[str, ...] = ()
    ingestion: Ingestion | None = None
    missed_dose: MissedDose | None = None
    last_dose_hours_ago: float | None = Field(default=None, ge=0, le=24 * 365)
    events: tuple[Event, ...] = ()
    now: datetime | None = None

    @model_validator(mode="after")
    def _something_to_check(self) -> AssessRequest:
        # A toddler who takes no medicine and swallowed a grandparent's tablets is the
        # commonest poison-centre call: no regimen is needed when there is something else.
        if not (
            self.medications
            or self.ingestion is not None
            or self.symptoms
            or self.missed_dose is not None
            or self.events
        ):
            raise ValueError(
                "a request needs at least one of medications, ingestion, symptoms, "
                "missed_dose or events"
            )
        return self
