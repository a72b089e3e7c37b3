"""What every check sees: the catalog, the request, the time, the parsed orders, and the
person's values worked out once.

Every patient value a rule turns on (kidney function with its formula, age band) is derived
here, once, and every check reads it from the context: the same person gets the same answer
whichever way the kidneys were entered (a measured clearance, or a serum creatinine).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Literal

from medguide.clinical.amounts import DailyTotal, Dose, compute_daily_totals, compute_doses
from medguide.clinical.kidney_function import KidneyFunction, compute_kidney_function
from medguide.clinical.model import Order, Resolved
from medguide.clinical.orders import parse_medication
from medguide.clinical.request import AssessRequest, Patient
from medguide.knowledge.catalog import Catalog
from medguide.knowledge.names import resolve_name

AgeBand = Literal["infant", "child", "adolescent", "adult", "older_adult"]
# Age bands for display and grouping; each rule still applies its own age limits from the
# knowledge. 65 is the age of the Beers criteria (S30) for older adults.
_AGE_BANDS: tuple[tuple[float, AgeBand], ...] = (
    (1.0, "infant"),
    (12.0, "child"),
    (18.0, "adolescent"),
    (65.0, "adult"),
)


def age_band(age_years: float | None) -> AgeBand | None:
    """The age band of an age in years, or None when the age is not known.

    >>> age_band(0.5), age_band(7), age_band(16), age_band(40), age_band(82), age_band(None)
    ('infant', 'child', 'adolescent', 'adult', 'older_adult', None)
    """
    if age_years is None:
        return None
    for below, band in _AGE_BANDS:
        if age_years < below:
            return band
    return "older_adult"


@dataclass(frozen=True)
class PatientValues:
    """The person's values, derived once per assessment and read by every check."""

    kidney: KidneyFunction
    age_years: float | None
    age_band: AgeBand | None
    weight_kg: float | None
    kidney_error: str | None = None

    @property
    def kidney_ml_min(self) -> float | None:
        """Creatinine clearance (or eGFR when that is all there is), measured or estimated."""
        value = self.kidney.value_for("either")
        return value.value if value is not None else None

    @property
    def on_dialysis(self) -> bool:
        return self.kidney.dialysis is not None


def compute_patient_values(patient: Patient) -> PatientValues:
    try:
        kidney, error = compute_kidney_function(patient), None
    except ValueError as exc:  # out-of-range inputs that slipped past the request limits
        kidney = KidneyFunction(missing=(str(exc),))
        error = str(exc)
    return PatientValues(
        kidney=kidney,
        age_years=patient.age_years,
        age_band=age_band(patient.age_years),
        weight_kg=patient.weight_kg,
        kidney_error=error,
    )


@dataclass(frozen=True)
class Context:
    catalog: Catalog
    request: AssessRequest
    now: datetime | None
    orders: tuple[Order, ...]
    substances: tuple[Resolved, ...]
    computed: Mapping[str, Any] = field(default_factory=dict)

    # Worked out once per assessment and shared by every check that needs them.
    @cached_property
    def patient(self) -> PatientValues:
        return compute_patient_values(self.request.patient)

    @cached_property
    def doses(self) -> tuple[Dose, ...]:
        return compute_doses(self.catalog, self.orders)

    @cached_property
    def daily_totals(self) -> tuple[DailyTotal, ...]:
        return compute_daily_totals(self.doses)

    @cached_property
    def naive_to(self) -> frozenset[str]:
        """Catalog ids of the drugs the person has never taken (patient.naive_to, any name)."""
        ids = (resolve_name(self.catalog, n).drug_id for n in self.request.patient.naive_to)
        return frozenset(i for i in ids if i)

    def starting(self, drug_id: str, order_indexes: tuple[int, ...]) -> bool:
        """A first start: the person is naive to the drug, or every order of it is new and
        none of them replaces an earlier regimen (a change of dose is not a first start)."""
        meds = self.request.medications
        return drug_id in self.naive_to or (
            bool(order_indexes)
            and all(self.orders[i].new for i in order_indexes)
            and not any(i < len(meds) and meds[i].replaces for i in order_indexes)
        )

    def orders_of(self, drug_id: str) -> tuple[Order, ...]:
        return tuple(o for o in self.orders if o.name.drug_id == drug_id)


def build_context(catalog: Catalog, request: AssessRequest, now: datetime | None) -> Context:
    orders = tuple(parse_medication(catalog, med, i) for i, med in enumerate(request.medications))
    substances = tuple(resolve_name(catalog, s) for s in request.substances)
    resolved = {
        o.text: {
            "ingredient": o.name.ingredient,
            "covered": o.name.covered,
            "matched": o.name.matched,
            "method": o.name.method,
            "product": o.name.product_id,
        }
        for o in orders
    }
    return Context(
        catalog=catalog,
        request=request,
        now=now,
        orders=orders,
        substances=substances,
        computed={"resolved": resolved},
    )
