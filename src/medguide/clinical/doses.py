"""Order and dose checks, driven by the drug's dose rules (no drug names in code).

- `check_orders`: what could not be read or resolved (`unknown_drug`, `ambiguous_order`,
  `error_prone_abbreviation`), and known drugs not covered yet.
- `check_doses`: the amount per dose in mg or mcg (tablets × strength, mL × concentration),
  the daily total per ingredient and route, and the limits: `max_daily_dose_exceeded`
  (inclusive: a total equal to the maximum is allowed), `max_single_dose_exceeded`,
  `max_doses_per_day_exceeded`, `titration_too_fast`, `dose_below_usual`, `unit_mismatch`,
  `concentration_confusion`, `duplicate_ingredient`.

Totals are kept per route: oral doses are in mg and intrathecal in mcg, and the two are never
added (DESIGN.md, Knowledge).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from medguide.clinical.context import Context
from medguide.clinical.findings import CheckResult, Finding, NotChecked, unknown_drug_finding
from medguide.clinical.model import Order
from medguide.knowledge.models.drug import DoseRule, Drug, Product
from medguide.units import convert_mass, is_mass

# ISMP's advice on liquid baclofen (prescribe in mg, show the concentration) is the source of
# the concentration check; the unit check leans on the product's own units. [S8]
LIQUID_FORMS = frozenset({"oral_solution", "oral_suspension"})
NAIVE_FLAGS = {"baclofen_naive": "baclofen"}  # request field → drug it speaks of


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


def _fmt(x: float) -> str:
    """A number for people: 100000 → "100,000", 0.15 → "0.15"."""
    return f"{x:,.0f}" if x == int(x) else f"{x:,.4g}"


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


def _liquids(drug: Drug, route: str) -> tuple[Product, ...]:
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


def dose_of(ctx: Context, order: Order) -> Dose | None:
    drug = ctx.catalog.drug(order.name.drug_id) if order.name.drug_id else None
    if drug is None:
        return None
    route = route_of(order, drug)
    unit = route_unit(drug, route)
    amount, why = _amount(order, drug, route, unit)
    per_day = order.doses_per_day
    if per_day is None and order.bolus:
        per_day = 1.0
    return Dose(order, drug, route, amount, unit, per_day, why)


def compute_doses(ctx: Context) -> tuple[Dose, ...]:
    return tuple(d for d in (dose_of(ctx, o) for o in ctx.orders) if d is not None)


def compute_daily_totals(ctx: Context) -> tuple[DailyTotal, ...]:
    """Daily total per (ingredient, route), flagged incomplete when an order could not count."""
    groups: dict[tuple[str, str], list[Dose]] = defaultdict(list)
    for d in ctx.doses:
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


# --- orders -----------------------------------------------------------------------------


def check_orders(ctx: Context) -> CheckResult:
    findings: list[Finding] = []
    not_checked: list[NotChecked] = []
    for o in ctx.orders:
        findings.extend(o.issues)
        if not o.name.known:
            findings.append(unknown_drug_finding(o.name.query, {"order": o.index, "text": o.text}))
        elif o.name.class_entry is not None:  # known by class: interactions screened
            not_checked.append(
                NotChecked(
                    check="doses",
                    reason=f"doses of {o.name.query} not checked: known by class only, "
                    "no monograph (its interactions were screened by class)",
                    drugs=(o.name.class_entry,),
                )
            )
        elif not o.name.covered:
            not_checked.append(
                NotChecked(
                    check="all checks",
                    reason=(
                        f"'{o.name.query}' is {o.name.ingredient}, a known medicine that "
                        f"medguide does not cover yet ({o.name.provenance or 'name list'}); "
                        "its dose, kidney and interaction checks were not run"
                    ),
                    drugs=(o.name.ingredient or o.name.query,),
                )
            )
    return CheckResult(findings=tuple(findings), not_checked=tuple(not_checked))


# --- doses --------------------------------------------------------------------------------


def applicable_rule(drug: Drug, route: str, age: float | None) -> DoseRule | None:
    """The dose rule for this route and age; adults' rule when the age is not known."""
    rules = [r for r in drug.dosing if r.route == route and r.max_daily is not None]
    if age is not None:
        for r in rules:
            if r.age_years.contains(age):
                return r
        return None
    adult = [r for r in rules if r.population in ("adult", "any")]
    return adult[0] if adult else None


def _unit_mismatch(d: Dose) -> Finding | None:
    written = d.order.unit
    if written is None or not is_mass(written) or written == d.unit:
        return None
    fold = convert_mass(1.0, written, d.unit)
    rules = [r for r in d.drug.dosing if r.route == d.route]
    sources = tuple(dict.fromkeys(s for r in rules for s in r.sources))
    return Finding(
        code="unit_mismatch",
        severity="critical",
        message=(
            f"{d.drug.name} by the {d.route} route is dosed in {d.unit}, but this order is in "
            f"{written}: {_fmt(d.order.dose or 0)} {written} is {_fmt((d.order.dose or 0) * fold)} "
            f"{d.unit}, a {fold:g}-fold difference. Confirm the unit with the prescriber "
            "before any dose is given."
        ),
        drugs=(d.drug.id,),
        details={
            "order": d.order.index,
            "written_unit": written,
            "expected_unit": d.unit,
            "fold": fold,
            "route": d.route,
        },
        advice=("contact_prescriber",),
        sources=sources,
    )


def _concentration(d: Dose) -> Finding | None:
    if d.order.unit != "mL":
        return None
    liquids = _liquids(d.drug, d.route)
    concentrations = sorted({p.concentration.per_ml for p in liquids if p.concentration})
    if len(concentrations) < 2:
        return None
    vol = d.order.dose or 0
    readings = {
        p.name: f"{_fmt(vol * p.concentration.per_ml)} {p.concentration.amount_unit}"
        for p in liquids
        if p.concentration
    }
    named = d.amount is not None
    product = d.drug.product(d.order.name.product_id) if d.order.name.product_id else None
    sources = tuple(dict.fromkeys(s for p in liquids for s in p.sources))
    what = (
        f"as {product.name} ({product.concentration}) it is {_fmt(d.amount or 0)} {d.unit}"
        if named and product and product.concentration
        else "the product is not named"
    )
    return Finding(
        code="concentration_confusion",
        severity="moderate" if named else "high",
        message=(
            f"A {d.drug.name} liquid dose written in mL depends on the concentration: "
            f"{_fmt(vol)} mL is "
            + ", ".join(f"{v} as {k}" for k, v in readings.items())
            + f". Here {what}. Prescribe liquid doses in {d.unit} and state the concentration."
        ),
        drugs=(d.drug.id,),
        details={
            "order": d.order.index,
            "volume_ml": vol,
            "readings": readings,
            "concentrations_per_ml": concentrations,
        },
        advice=("contact_prescriber",),
        sources=sources,
    )


def _limit_findings(d: Dose, rule: DoseRule) -> Iterable[Finding]:
    if d.amount is None:
        return
    if rule.max_single is not None and d.amount > convert_mass(
        rule.max_single.value, rule.max_single.unit, d.unit
    ):
        yield Finding(
            code="max_single_dose_exceeded",
            severity="high",
            message=(
                f"One dose of {_fmt(d.amount)} {d.unit} {d.drug.name} is above the largest "
                f"single dose of {rule.max_single}."
            ),
            drugs=(d.drug.id,),
            details={
                "order": d.order.index,
                "dose": d.amount,
                "unit": d.unit,
                "max_single": str(rule.max_single),
                "rule": rule.id,
            },
            advice=("contact_prescriber",),
            sources=rule.sources,
        )
    if (
        rule.max_doses_per_day is not None
        and d.doses_per_day is not None
        and d.doses_per_day > rule.max_doses_per_day
    ):
        yield Finding(
            code="max_doses_per_day_exceeded",
            severity="moderate",
            message=(
                f"{d.drug.name} is ordered {_fmt(d.doses_per_day)} times a day; the rule allows "
                f"at most {rule.max_doses_per_day}."
            ),
            drugs=(d.drug.id,),
            details={
                "order": d.order.index,
                "doses_per_day": d.doses_per_day,
                "max_doses_per_day": rule.max_doses_per_day,
                "rule": rule.id,
            },
            advice=("contact_prescriber",),
            sources=rule.sources,
        )


def _daily_findings(ctx: Context, total: DailyTotal, rule: DoseRule) -> Iterable[Finding]:
    drug = ctx.catalog.drugs[total.drug_id]
    assert rule.max_daily is not None
    limit = convert_mass(rule.max_daily.value, rule.max_daily.unit, total.unit)
    if total.amount > limit:  # equal is allowed: 20 mg four times a day is the maximum
        yield Finding(
            code="max_daily_dose_exceeded",
            severity="critical" if total.amount >= 2 * limit else "high",
            message=(
                f"The {total.route} {drug.name} ordered adds up to {_fmt(total.amount)} "
                f"{total.unit} a day, above the maximum of {_fmt(limit)} {total.unit} a day."
            ),
            drugs=(drug.id,),
            details={
                "daily_total": total.amount,
                "unit": total.unit,
                "max_daily": limit,
                "route": total.route,
                "orders": list(total.orders),
                "rule": rule.id,
            },
            advice=("reduce_dose", "contact_prescriber"),
            sources=rule.sources,
        )
    if rule.usual_daily is not None:
        low = convert_mass(rule.usual_daily[0].value, rule.usual_daily[0].unit, total.unit)
        started_now = any(ctx.orders[i].new for i in total.orders)
        if total.complete and not started_now and 0 < total.amount < low:
            yield Finding(
                code="dose_below_usual",
                severity="info",
                message=(
                    f"{_fmt(total.amount)} {total.unit} a day of {drug.name} is below the usual "
                    f"range ({rule.usual_daily[0]}–{rule.usual_daily[1]} a day). That can be "
                    "right (kidney function, age, tolerance); it is shown for information."
                ),
                drugs=(drug.id,),
                details={"daily_total": total.amount, "usual_low": low, "rule": rule.id},
                sources=rule.sources,
            )


def _is_new(ctx: Context, total: DailyTotal) -> bool:
    naive = {drug for flag, drug in NAIVE_FLAGS.items() if getattr(ctx.request.patient, flag)}
    return total.drug_id in naive or all(ctx.orders[i].new for i in total.orders)


def _titration(ctx: Context, total: DailyTotal, rule: DoseRule) -> Finding | None:
    if not rule.titration or not _is_new(ctx, total):
        return None
    first = rule.titration[0]
    first_daily = convert_mass(first.dose.value, first.dose.unit, total.unit) * first.doses_per_day
    if total.amount <= first_daily:
        return None
    drug = ctx.catalog.drugs[total.drug_id]
    return Finding(
        code="titration_too_fast",
        severity="moderate",
        message=(
            f"{drug.name} is being started at {_fmt(total.amount)} {total.unit} a day; the "
            f"schedule starts at {first.dose} {first.doses_per_day} times a day "
            f"({_fmt(first_daily)} {total.unit} a day) and rises step by step."
        ),
        drugs=(drug.id,),
        details={
            "daily_total": total.amount,
            "first_step_daily": first_daily,
            "step_interval_days": rule.step_interval_days,
            "rule": rule.id,
        },
        advice=("contact_prescriber",),
        sources=rule.sources,
    )


def _duplicates(ctx: Context) -> Iterable[Finding]:
    by_drug: dict[str, list[Order]] = defaultdict(list)
    for o in ctx.orders:
        if o.name.drug_id:
            by_drug[o.name.drug_id].append(o)
    for drug_id, orders in by_drug.items():
        if len(orders) < 2:
            continue
        drug = ctx.catalog.drugs[drug_id]
        routes = {route_of(o, drug) for o in orders}
        yield Finding(
            code="duplicate_ingredient",
            severity="high",
            message=(
                f"{len(orders)} orders contain the same medicine, {drug.name}: "
                + "; ".join(f"'{o.text}'" for o in orders)
                + ". Together they add up; check that this is intended."
            ),
            drugs=(drug_id,),
            details={"orders": [o.index for o in orders]},
            advice=("contact_prescriber",),
            # the reason it matters is the limit the orders add up against
            sources=tuple(
                dict.fromkeys(
                    s
                    for r in drug.dosing
                    if r.max_daily is not None and r.route in routes and r.population != "pediatric"
                    for s in r.sources
                )
            )
            or drug.sources,
        )


def check_doses(ctx: Context) -> CheckResult:
    findings: list[Finding] = []
    not_checked: list[NotChecked] = []
    age = ctx.request.patient.age_years
    for d in ctx.doses:
        for f in (_unit_mismatch(d), _concentration(d)):
            if f is not None:
                findings.append(f)
        rule = applicable_rule(d.drug, d.route, age)
        if rule is not None:
            findings.extend(_limit_findings(d, rule))
        if d.amount is None:
            not_checked.append(
                NotChecked("dose", f"order '{d.order.text}': {d.why_unknown}", (d.drug.id,))
            )
        elif d.doses_per_day is None:
            not_checked.append(
                NotChecked(
                    "daily dose",
                    f"order '{d.order.text}': how often it is taken is not known",
                    (d.drug.id,),
                )
            )
    totals = ctx.daily_totals
    for total in totals:
        rule = applicable_rule(ctx.catalog.drugs[total.drug_id], total.route, age)
        if not total.complete:
            not_checked.append(
                NotChecked(
                    "maximum daily dose",
                    f"the daily total of {total.route} {total.drug_id} is incomplete "
                    f"({_fmt(total.amount)} {total.unit} counted); the orders above could not all "
                    "be counted",
                    (total.drug_id,),
                )
            )
        if rule is None:
            not_checked.append(
                NotChecked(
                    "maximum daily dose",
                    f"no dose rule for {total.route} {total.drug_id}"
                    + (f" at age {age:g}" if age is not None else ""),
                    (total.drug_id,),
                )
            )
            continue
        if age is None:
            not_checked.append(
                NotChecked(
                    "age-specific dose limits",
                    f"age not given; {total.route} {total.drug_id} was checked against the adult "
                    "rule",
                    (total.drug_id,),
                )
            )
        findings.extend(_daily_findings(ctx, total, rule))
        f = _titration(ctx, total, rule)
        if f is not None:
            findings.append(f)
    findings.extend(_duplicates(ctx))
    computed = {
        "daily_totals": [
            {
                "drug": t.drug_id,
                "route": t.route,
                "amount": round(t.amount, 4),
                "unit": t.unit,
                "complete": t.complete,
                "orders": list(t.orders),
            }
            for t in totals
        ]
    }
    return CheckResult(findings=tuple(findings), not_checked=tuple(not_checked), computed=computed)
