"""The assessment request (DESIGN.md, "The assessment contract").

One shape drives the CLI, the HTTP API and the web forms. It is validated here, at the
boundary, with limits that turn absurd values (age 300, weight 0 kg, dose -5) into a clear
error naming the field instead of a computed answer.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from medguide.units import UnknownUnit, normalize_unit, parse_concentration, parse_rate_unit

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
    # weeks since the last menstrual period; near term the newborn's withdrawal is the risk
    gestational_age_weeks: float | None = Field(default=None, ge=0, le=45)
    breastfeeding: bool | None = None
    # the breastfed infant's age: newborns and preterm infants are the ones at risk
    infant_age_months: float | None = Field(default=None, ge=0, le=60)
    alt_u_l: float | None = Field(default=None, ge=0, le=20_000)  # liver: alanine transaminase
    conditions: tuple[str, ...] = Field(default=(), max_length=100)
    # drugs the person has never taken (a first start follows the titration schedule)
    naive_to: tuple[str, ...] = Field(default=(), max_length=50)
    timezone: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _consistent(self) -> Patient:
        if self.serum_creatinine_mg_dl is not None and self.serum_creatinine_umol_l is not None:
            raise ValueError("give serum creatinine in mg/dL or in µmol/L, not both")
        if self.pregnant and self.sex == "male":
            raise ValueError("pregnant is true for a patient whose sex is male; check the record")
        if self.gestational_age_weeks is not None and self.pregnant is False:
            raise ValueError("gestational_age_weeks is given but pregnant is false")
        if self.infant_age_months is not None and self.breastfeeding is False:
            raise ValueError("infant_age_months is given but breastfeeding is false")
        return self

    @property
    def is_pregnant(self) -> bool:
        return bool(self.pregnant) or self.gestational_age_weeks is not None


def _clock(value: str) -> str:
    """A clock time "HH:MM" (24-hour)."""
    import re

    if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", value.strip()):
        raise ValueError(f"time {value!r} is not HH:MM (24-hour)")
    return value.strip()


def _concentration_text(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parse_concentration(value)
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    return value


def _unit_text(unit: str | None) -> str | None:
    if unit is None:
        return None
    if parse_rate_unit(unit) is not None:
        return unit
    try:
        normalize_unit(unit)  # kept as written, so error-prone spellings are still flagged
        return unit
    except UnknownUnit as exc:
        raise ValueError(str(exc)) from None


# Frequencies that agree with a rate unit (a rate is a daily amount delivered continuously).
_ONCE_A_DAY = frozenset(
    {"daily", "once daily", "once a day", "qd", "od", "q24h", "every 24 hours",
     "continuous", "continuously", "per day", "a day", "/day"}
)  # fmt: skip


class _Regimen(Strict):
    """What an order and the regimen it replaces both say: the medicine and how it is taken."""

    text: str | None = Field(default=None, max_length=500)
    drug: str | None = Field(default=None, max_length=200)
    dose: float | None = Field(default=None, gt=0, le=100_000)
    unit: str | None = Field(default=None, max_length=20)
    route: str | None = Field(default=None, max_length=40)
    frequency: str | None = Field(default=None, max_length=80)
    # amount per mL of a liquid or a pump reservoir: "2000 mcg/mL", "5 mg/mL"
    concentration: str | None = Field(default=None, max_length=40)
    started: date | None = None

    _unit = field_validator("unit")(classmethod(lambda cls, v: _unit_text(v)))
    _conc = field_validator("concentration")(classmethod(lambda cls, v: _concentration_text(v)))


class PriorRegimen(_Regimen):
    """The regimen an order replaces (reconciliation; a draft order beside the active one)."""

    @model_validator(mode="after")
    def _something(self) -> PriorRegimen:
        # the drug defaults to the new order's own: a change of dose of the same medicine
        if not (self.text and self.text.strip()) and self.dose is None:
            raise ValueError("'replaces' needs the old dose (or its text)")
        return self


class Medication(_Regimen):
    """Either free text ("baclofen 10 mg tid") or structured fields, or both."""

    times: tuple[str, ...] = Field(default=(), max_length=24)  # clock times of the doses
    new: bool = False
    prn: bool = False
    replaces: PriorRegimen | None = None

    @field_validator("times")
    @classmethod
    def _clock_times(cls, times: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_clock(t) for t in times)

    @model_validator(mode="after")
    def _something(self) -> Medication:
        if not (self.text and self.text.strip()) and not (self.drug and self.drug.strip()):
            raise ValueError("a medication needs 'text' or 'drug'")
        rate = self.unit is not None and parse_rate_unit(self.unit) is not None
        if rate and self.frequency and self.frequency.strip().lower() not in _ONCE_A_DAY:
            raise ValueError(
                f"unit {self.unit!r} is a rate; a frequency of {self.frequency!r} "
                "contradicts it (a rate needs no frequency)"
            )
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
    """A missed dose: when it was due, or how many in a row were missed."""

    drug: str = Field(max_length=200)
    scheduled: str | None = Field(default=None, max_length=40)
    next_due: str | None = Field(default=None, max_length=40)
    interval_hours: float | None = Field(default=None, gt=0, le=72)
    consecutive_missed: int = Field(default=1, ge=1, le=100)


class Pump(Strict):
    """An intrathecal pump: what it holds, what it was told, and what it is saying."""

    drug: str = Field(max_length=200)
    daily_dose: float | None = Field(default=None, gt=0, le=100_000)
    unit: str | None = Field(default=None, max_length=20)  # mcg/day, mg/day, mcg/h
    concentration: str | None = Field(default=None, max_length=40)  # in the reservoir
    programmed_concentration: str | None = Field(default=None, max_length=40)  # pump setting
    alarm: str | None = Field(default=None, max_length=200)  # low reservoir, occlusion, …
    refill_due: date | None = None
    refill_overdue_days: float | None = Field(default=None, ge=0, le=3650)
    last_refill: date | None = None
    bolus_mcg: float | None = Field(default=None, gt=0, le=100_000)

    _unit = field_validator("unit")(classmethod(lambda cls, v: _unit_text(v)))
    _conc = field_validator("concentration", "programmed_concentration")(
        classmethod(lambda cls, v: _concentration_text(v))
    )

    @model_validator(mode="after")
    def _dose_with_unit(self) -> Pump:
        if self.daily_dose is not None and self.unit is None:
            raise ValueError("pump.daily_dose needs its unit (e.g. mcg/day)")
        return self


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
    substances: tuple[str, ...] = Field(default=(), max_length=50)
    symptoms: tuple[str, ...] = Field(default=(), max_length=50)
    ingestion: Ingestion | None = None
    missed_dose: MissedDose | None = None
    pump: Pump | None = None
    last_dose_hours_ago: float | None = Field(default=None, ge=0, le=24 * 365)
    events: tuple[Event, ...] = Field(default=(), max_length=50)
    question: str | None = Field(default=None, max_length=1000)
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
            or self.pump is not None
            or self.events
            or (self.question and self.question.strip())
        ):
            raise ValueError(
                "a request needs at least one of medications, ingestion, symptoms, "
                "missed_dose, pump, events or question"
            )
        md = self.missed_dose
        if (
            md is not None
            and md.scheduled is None
            and md.consecutive_missed < 2
            and self.last_dose_hours_ago is None
        ):
            raise ValueError(
                "missed_dose needs 'scheduled' (when it was due), or 'consecutive_missed' "
                "of 2 or more, or last_dose_hours_ago"
            )
        if self.now is not None and not (1900 <= self.now.year <= 2200):
            raise ValueError(f"now {self.now.isoformat()} is far outside the present")
        return self
