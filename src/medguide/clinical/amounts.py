"""Amounts: what one administration of an order delivers, and the daily total per ingredient.

Tablets or packets × strength (the order's own, else the product's only one), mL ×
concentration (the order's own, else the product's), a dose per kg × the patient's weight, a
rate × 24 for a rate per hour, a written mass as it is. An order with different doses by time
adds its parts. Totals are kept per route: oral doses are in mg and intrathecal in mcg, and
the two are never added (DESIGN.md, Knowledge). Worked out once per assessment (the context
holds them) and read by every check; `how` says in words how each amount was worked out.

Nothing is guessed: an amount that cannot be worked out is None with the reason, and so is
the daily total that depends on it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from medguide.clinical.model import Order
from medguide.knowledge.catalog import Catalog
from medguide.knowledge.models.drug import Drug, Product
from medguide.units import convert_mass, fmt_number, is_mass

# Product forms that are liquids measured in mL (one table for every check and plan).
LIQUID_FORMS = frozenset({"oral_solution", "oral_suspension"})


@dataclass(frozen=True)
class Dose:
    """The amount of one administration of an order, and its daily total, in the route's
    unit (mg or mcg). `amount` is None for a continuous rate (only the daily total is known)
    or when it could not be worked out (`why_unknown`)."""

    order: Order
    drug: Drug
    route: str
    amount: float | None  # in `unit`
    unit: str  # "mg" or "mcg"
    doses_per_day: float | None
    why_unknown: str | None = None
    daily: float | None = None
    how: str = ""
    stated_daily: bool = False  # the order states a daily total or a rate

    def as_dict(self) -> dict[str, object]:
        return {
            "order": self.order.index if self.order.source == "medication" else "pump",
            "text": self.order.text,
            "drug": self.drug.id,
            "route": self.route,
            "amount": _round(self.amount),
            "unit": self.unit,
            "doses_per_day": self.doses_per_day,
            "daily": _round(self.daily),
            "daily_stated": _round(self.daily) if self.stated_daily else None,
            "how": self.how or (self.why_unknown or ""),
            "unknown": self.why_unknown,
        }


def _quantity(value: float, unit: str) -> str:
    """ "2 tablets", "1 packet", "20 mL"."""
    plural = unit in ("tablet", "packet") and value != 1
    return f"{fmt_number(value)} {unit}{'s' if plural else ''}"


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


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


def _per_written_unit(
    order: Order, unit_written: str, drug: Drug, unit: str
) -> tuple[float | None, str, str | None]:
    """(amount in `unit` of one written unit, how, why unknown)."""
    if is_mass(unit_written):
        return convert_mass(1.0, unit_written, unit), "", None
    product = drug.product(order.name.product_id) if order.name.product_id else None
    if unit_written == "mL":
        if order.concentration is not None:
            per_ml, c_unit = order.concentration
            how = f"{fmt_number(per_ml)} {c_unit}/mL as stated"
            return convert_mass(per_ml, c_unit, unit), how, None
        if product is not None and product.concentration is not None:
            c = product.concentration
            how = f"{fmt_number(c.per_ml)} {c.amount_unit}/mL ({product.name})"
            return convert_mass(c.per_ml, c.amount_unit, unit), how, None
        if product is not None and len(product.concentrations) > 1:
            listed = ", ".join(str(c) for c in product.concentrations)
            return None, "", f"{product.name} comes as {listed}; the concentration is not stated"
        return None, "", "a volume without a stated concentration or a named liquid product"
    if unit_written in ("tablet", "packet"):
        if order.strength is not None:
            value, s_unit = order.strength
            how = f"{fmt_number(value)} {s_unit} each, as written"
            return convert_mass(value, s_unit, unit), how, None
        strengths = product.strengths if product else ()
        if product is not None and len(strengths) == 1 and is_mass(strengths[0].unit):
            s = strengths[0]
            return convert_mass(s.value, s.unit, unit), f"{s} each ({product.name})", None
        if product is not None and strengths:
            listed = ", ".join(str(s) for s in strengths)
            return None, "", f"{product.name} comes as {listed}; the strength is not stated"
        return None, "", f"a count of {unit_written}s without a stated strength"
    return None, "", f"the unit {unit_written!r} cannot be turned into an amount"


def dose_of(catalog: Catalog, order: Order, weight_kg: float | None = None) -> Dose | None:
    drug = catalog.drug(order.name.drug_id) if order.name.drug_id else None
    if drug is None:
        return None
    route = route_of(order, drug)
    unit = route_unit(drug, route)
    per_day = order.doses_per_day
    if per_day is None and order.bolus:
        per_day = 1.0

    def unknown(why: str) -> Dose:
        return Dose(order, drug, route, None, unit, per_day, why, None, "")

    if order.dose is None or order.unit is None:
        return unknown("the dose could not be read")
    notes = [n for n in order.notes if not n.startswith("different doses by time")]
    if order.parts:
        total = 0.0
        largest = 0.0
        pieces = []
        for part in order.parts:
            factor, how, why = _per_written_unit(order, part.unit, drug, unit)
            if factor is None:
                return unknown(why or "a part could not be counted")
            amount = part.dose * factor
            largest = max(largest, amount)
            total += amount * part.doses_per_day
            pieces.append(
                f"{_quantity(part.dose, part.unit)} {part.when}"
                f" ({fmt_number(amount)} {unit} × {fmt_number(part.doses_per_day)})"
            )
        how = " + ".join(pieces) + f" = {fmt_number(total)} {unit} a day"
        return Dose(order, drug, route, largest, unit, per_day, None, total, how)

    factor, how_unit, why = _per_written_unit(order, order.unit, drug, unit)
    if factor is None:
        return unknown(why or "the amount could not be worked out")
    written = order.dose
    steps = [_quantity(written, order.unit)]
    if order.unit in ("tablet", "packet", "mL") or how_unit:
        steps.append(f"× {how_unit}")
    if order.per_kg:
        if weight_kg is None:
            per = "day" if order.dose_is_daily else "dose"
            return unknown(
                f"a weight-based dose ({fmt_number(written)} {order.unit}/kg/{per}) and no "
                "weight for the patient"
            )
        written = written * weight_kg
        steps = [f"{fmt_number(order.dose)} {order.unit}/kg × {fmt_number(weight_kg)} kg"]
    value = written * factor
    if order.dose_is_daily:
        stated = value * order.daily_factor
        rate = " × 24 h" if order.daily_factor == 24 else ""
        if order.daily_factor == 24:
            steps[0] = f"{fmt_number(order.dose)} {order.unit}/h"
        worked = " ".join(steps) + rate
        result = f"{fmt_number(stated)} {unit} a day"
        how = result if worked == result[: -len(" a day")] else f"{worked} = {result}"
        each = stated / per_day if per_day else None
        if each is not None and per_day is not None and per_day < 1:
            how += f", {fmt_number(each)} {unit} every {fmt_number(1 / per_day)} days"
        elif each is not None:
            how += f", {fmt_number(each)} {unit} in each of {fmt_number(per_day or 0)} doses"
        else:
            how += " (a stated daily total or a rate; no single dose)"
        how = "; ".join([how, *notes])
        return Dose(order, drug, route, each, unit, per_day, None, stated, how, True)
    result = f"{fmt_number(value)} {unit} a dose"
    how = result if steps == [result[: -len(" a dose")]] else " ".join(steps) + " = " + result
    daily = value * per_day if per_day is not None else None
    if daily is not None:
        how += f"; × {fmt_number(per_day or 0)} a day = {fmt_number(daily)} {unit} a day"
    if order.prn and order.max_daily is not None:
        cap_value, cap_unit = order.max_daily
        cap_factor, _, _ = _per_written_unit(order, cap_unit, drug, unit)
        if cap_factor is not None:
            cap = cap_value * cap_factor
            daily = cap if daily is None else min(daily, cap)
            how += f"; as needed, at most {fmt_number(cap)} {unit} a day as stated"
    how = "; ".join([how, *notes])
    return Dose(order, drug, route, value, unit, per_day, None, daily, how)


def compute_doses(
    catalog: Catalog, orders: Iterable[Order], weight_kg: float | None = None
) -> tuple[Dose, ...]:
    """The amount of each order of a covered drug (orders of other drugs have none)."""
    return tuple(d for d in (dose_of(catalog, o, weight_kg) for o in orders) if d is not None)


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
