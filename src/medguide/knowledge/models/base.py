"""Building blocks shared by every knowledge model.

Every model is strict and frozen: unknown keys are rejected, values are not coerced
("10" is not 10), and a loaded catalog cannot be changed by accident. Files are validated in
pydantic's JSON mode so lists become tuples and literals come from plain strings.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SourceId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]

# Units a knowledge file may use. Mass units for doses, volume for liquids, concentrations
# for liquids and intrathecal products. Anything else is rejected at load.
MassUnit = Literal["mg", "mcg", "g"]
VolumeUnit = Literal["mL"]
DoseUnit = Literal["mg", "mcg", "g", "mL", "mg/kg", "mcg/kg", "tablet", "packet"]
Route = Literal["oral", "intrathecal", "intravenous", "intramuscular", "topical", "any"]
Severity = Literal["info", "low", "moderate", "high", "critical"]

_QUANTITY = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*([A-Za-z/]+)\s*$")


class Model(BaseModel):
    """Base for every knowledge model: strict, frozen, no unknown keys."""

    # defer_build: the validators are built on first validation, so a process that takes the
    # validated catalog from the cache (no validation at all) does not pay for building them.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)


class Quantity(Model):
    """A number with a unit, written in a file as "80 mg" or {value: 80, unit: mg}."""

    value: float = Field(ge=0)
    unit: DoseUnit

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: object) -> object:
        if isinstance(data, str):
            m = _QUANTITY.match(data)
            if not m:
                raise ValueError(f"expected a quantity such as '80 mg', got {data!r}")
            return {"value": float(m.group(1)), "unit": m.group(2)}
        return data

    def __str__(self) -> str:
        return f"{self.value:g} {self.unit}"


class Concentration(Model):
    """Amount of drug per volume, e.g. "5 mg/5 mL" or "2000 mcg/mL"."""

    amount: float = Field(gt=0)
    amount_unit: MassUnit
    per_volume_ml: float = Field(gt=0, default=1.0)

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: object) -> object:
        if isinstance(data, str):
            m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*(mg|mcg|g)\s*/\s*(\d+(?:\.\d+)?)?\s*mL\s*$", data)
            if not m:
                raise ValueError(f"expected a concentration such as '5 mg/5 mL', got {data!r}")
            per = float(m.group(3)) if m.group(3) else 1.0
            return {"amount": float(m.group(1)), "amount_unit": m.group(2), "per_volume_ml": per}
        return data

    @property
    def per_ml(self) -> float:
        """Amount in amount_unit in one millilitre."""
        return self.amount / self.per_volume_ml

    def __str__(self) -> str:
        per = "" if self.per_volume_ml == 1 else f"{self.per_volume_ml:g} "
        return f"{self.amount:g} {self.amount_unit}/{per}mL"


class Sourced(Model):
    """A clinical statement: our own words plus the bibliography ids that support it.

    `judgment` marks a call the team made where the sources are silent or disagree; the
    `note` says why.
    """

    text: str = Field(min_length=1)
    sources: tuple[SourceId, ...] = Field(min_length=1)
    judgment: bool = False
    note: str | None = None


class Range(Model):
    """A numeric range; either end may be open.

    `low` and `high` are inclusive. `below` is an exclusive upper end, for bands such as
    "2 to 7 years" (low 2, below 8) that must not overlap the next band.
    """

    low: float | None = None
    high: float | None = None
    below: float | None = None

    def contains(self, x: float) -> bool:
        return (
            (self.low is None or x >= self.low)
            and (self.high is None or x <= self.high)
            and (self.below is None or x < self.below)
        )
