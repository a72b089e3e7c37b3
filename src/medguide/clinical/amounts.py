"""Amounts: what one administration of an order delivers, and the daily total per ingredient.

Tablets × strength, mL × concentration, a written mass as it is. Totals are kept per route:
oral doses are in mg and intrathecal in mcg, and the two are never added (DESIGN.md,
Knowledge). Worked out once per assessment (the context holds them) and read by every check.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from medguide.clinical.model import Order
from medguide.knowledge.catalog import Catalog
from medguide.knowledge.models.drug import Drug, Product
from medguide.units import convert_mass, is_mass

# Product forms that are liquids measured in mL (one table for every check and plan).
LIQUID_FORMS = frozenset({"oral_solution", "oral_suspension"})


@dataclass(frozen=True)
class Dose:
    """The amount of one administration of an order, in the route's unit."""

    order: Order
    drug: Drug
    route: str
    amount: float | None  # in `unit`; None when it could not be worked out
    unit: str  # "mg" or "mcg"
    doses_per_day: float | None
    why_unknown: str | None = None

    @property
    def daily(self) -> float | None:
        if self.amount is None or self.doses_per_day is None:
            return None
        return self.amount * self.doses_per_day


@dataclass(frozen=True)
class DailyTotal:
    """The daily amount of one ingredient by one route, across every order."""

    drug_id: str
    route: str
    amount: float
    unit: str
    complete: bool
    orders: tuple[int, ...]


def route_of(order: Order, drug: Drug) -> str:
    """The order's route, else the named product's, else oral (how most orders are written)."""
    if order.route:
        return order.route
    product = drug.product(order.name.product_id) if order.name.product_id else None
    return product.route if product else "oral"


def route_unit(drug: Drug, route: str) -> str:
    """The mass unit the knowledge doses this route in (mg for oral, mcg for intrathecal)."""
    for rule in drug.dosing:
        if rule.route == route:
            for q in (rule.max_daily, rule.start, rule.max_single):
                if q is not None and is_mass(q.unit):
                    return q.unit
    for product in drug.products:
        if product.route == route:
            if product.concentration is not None:
                return product.concentration.amount_unit
            if product.concentrations:
                return product.concentrations[0].amount_unit
            for s in product.strengths:
                if is_mass(s.unit):
                    return s.unit
    return "mg"


def liquids(drug: Drug, route: str) -> tuple[Product, ...]:
    return tuple(
        p
        for p in drug.products
        if p.route == route and p.form in LIQUID_FORMS and p.concentration is not None
    )


def _amount(order: Order, drug: Drug, route: str, unit: str) -> tuple[float | None, str | None]:
    """Amount per administration in `unit`, or None and the reason."""
    if order.dose is None or order.unit is None:
        return None, "the dose could not be read"
    dose = (
        order.dose / order.doses_per_day
        if order.dose_is_daily and order.doses_per_day
        else (order.dose)
    )
    if order.dose_is_daily and not order.doses_per_day:
        return None, "a daily dose without the number of doses a day"
    if is_mass(order.unit):
        return convert_mass(dose, order.unit, unit), None
    product = drug.product(order.name.product_id) if order.name.product_id else None
    if order.unit == "mL":
        if product is None or product.concentration is None:
            return None, "a volume without a named product, so the concentration is unknown"
        per_ml = convert_mass(product.concentration.per_ml, product.concentration.amount_unit, unit)
        return dose * per_ml, None
    if order.unit in ("tablet", "packet"):
        strengths = product.strengths if product else ()
        if len(strengths) != 1:
            return None, f"a count of {order.unit}s without a single known strength"
        s = strengths[0]
        return dose * convert_mass(s.value, s.unit, unit), None
    return None, f"the unit {order.unit!r} cannot be turned into an amount"


def dose_of(catalog: Catalog, order: Order) -> Dose | None:
    drug = catalog.drug(order.name.drug_id) if order.name.drug_id else None
    if drug is None:
        return None
    route = route_of(order, drug)
    unit = route_unit(drug, route)
    amount, why = _amount(order, drug, route, unit)
    per_day = order.doses_per_day
    if per_day is None and order.bolus:
        per_day = 1.0
    return Dose(order, drug, route, amount, unit, per_day, why)


def compute_doses(catalog: Catalog, orders: Iterable[Order]) -> tuple[Dose, ...]:
    """The amount of each order of a covered drug (orders of other drugs have none)."""
    return tuple(d for d in (dose_of(catalog, o) for o in orders) if d is not None)


def compute_daily_totals(doses: Iterable[Dose]) -> tuple[DailyTotal, ...]:
    """Daily total per (ingredient, route), flagged incomplete when an order could not count."""
    groups: dict[tuple[str, str], list[Dose]] = defaultdict(list)
    for d in doses:
        groups[(d.drug.id, d.route)].append(d)
    totals = []
    for (drug_id, route), doses in groups.items():
        known = [d.daily for d in doses if d.daily is not None]
        totals.append(
            DailyTotal(
                drug_id=drug_id,
                route=route,
                amount=sum(known),
                unit=doses[0].unit,
                complete=len(known) == len(doses),
                orders=tuple(d.order.index for d in doses),
            )
        )
    return tuple(totals)
