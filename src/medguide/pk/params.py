"""The catalog's pharmacokinetic figures as one typed parameter set for the model.

`pk_parameters(drug)` reads a drug's `pharmacokinetics` entries (each with its value, range,
variability and sources) and returns `PkParameters`, or None when the drug lacks the figures
a one-compartment oral model needs (apparent clearance, apparent volume, absorption rate).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from medguide.knowledge.models.drug import Drug

REQUIRED = ("oral_clearance", "oral_volume", "absorption_rate_constant")


@dataclass(frozen=True)
class Figure:
    """One sourced figure as the model uses it."""

    name: str
    value: float
    unit: str | None
    low: float | None
    high: float | None
    cv: float | None
    sources: tuple[str, ...]
    judgment: bool = False
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.value, "unit": self.unit}
        if self.low is not None or self.high is not None:
            out["range"] = [self.low, self.high]
        if self.cv is not None:
            out["variability_cv"] = self.cv
        out["sources"] = list(self.sources)
        if self.judgment:
            out["judgment"] = True
            if self.note:
                out["note"] = self.note
        return out


@dataclass(frozen=True)
class PkParameters:
    """Typed figures for the one-compartment oral model of one drug (adults)."""

    drug: str
    drug_name: str
    figures: Mapping[str, Figure]

    def value(self, name: str, default: float | None = None) -> float | None:
        f = self.figures.get(name)
        return f.value if f is not None else default

    def _need(self, name: str, default: float) -> float:
        f = self.figures.get(name)
        return f.value if f is not None else default

    @property
    def cl(self) -> float:
        """Apparent oral clearance CL/F with normal kidneys, L/h."""
        return self.figures["oral_clearance"].value

    @property
    def v(self) -> float:
        """Apparent volume V/F, L."""
        return self.figures["oral_volume"].value

    @property
    def ka(self) -> float:
        """First-order absorption rate constant, 1/h."""
        return self.figures["absorption_rate_constant"].value

    @property
    def bioavailability(self) -> float:
        return self._need("bioavailability", 1.0)

    @property
    def nonrenal_fraction(self) -> float:
        """Part of clearance that does not depend on the kidneys (0..1); 1 when the knowledge
        does not say the drug is cleared by the kidneys."""
        return self._need("nonrenal_fraction_of_clearance", 1.0)

    @property
    def reference_crcl(self) -> float:
        return self._need("renal_reference_crcl", 100.0)

    @property
    def dialysis_clearance(self) -> float | None:
        """Clearance by haemodialysis (of the drug in plasma, not apparent), L/h."""
        return self.value("hemodialysis_clearance")

    @property
    def window(self) -> tuple[float, float] | None:
        """Reference plasma range in ng/mL, when the sources give one."""
        low = self.value("reference_plasma_low")
        high = self.value("reference_plasma_high")
        return (low, high) if low is not None and high is not None else None

    @property
    def reported_half_life(self) -> tuple[float, float] | None:
        f = self.figures.get("half_life")
        if f is None or f.low is None or f.high is None:
            return None
        return f.low, f.high

    def cv(self, name: str) -> float | None:
        f = self.figures.get(name)
        return f.cv if f is not None else None

    def sources_of(self, *names: str) -> tuple[str, ...]:
        out: list[str] = []
        for n in names:
            f = self.figures.get(n)
            if f is not None:
                out.extend(s for s in f.sources if s not in out)
        return tuple(out)

    @property
    def judgments(self) -> tuple[str, ...]:
        return tuple(n for n, f in self.figures.items() if f.judgment)

    def as_dict(self) -> dict[str, Any]:
        return {name: f.as_dict() for name, f in self.figures.items()}


def pk_parameters(drug: Drug) -> PkParameters | None:
    """The drug's model figures, or None when it has no oral clearance, volume and
    absorption rate in its knowledge file."""
    figures: dict[str, Figure] = {}
    for p in drug.pharmacokinetics:
        if p.value is None:
            continue
        r = p.range
        figures[p.name] = Figure(
            name=p.name,
            value=float(p.value),
            unit=p.unit,
            low=r.low if r is not None else None,
            high=r.high if r is not None else None,
            cv=p.variability_cv,
            sources=tuple(p.sources),
            judgment=p.judgment,
            note=p.note,
        )
    if not all(n in figures for n in REQUIRED):
        return None
    return PkParameters(drug=drug.id, drug_name=drug.name, figures=figures)
