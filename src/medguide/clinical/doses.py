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

from medguide.clinical.amounts import (
    DailyTotal,
    Dose,
    liquids,
    route_of,
)
from medguide.clinical.context import Context
from medguide.clinical.findings import CheckResult, Finding, NotChecked, unknown_drug_finding
from medguide.clinical.model import Order
from medguide.knowledge.models.drug import DoseRule, Drug
from medguide.units import convert_mass, fmt_number, is_mass

# ISMP's advice on liquid baclofen (prescribe in mg, show the concentration) is the source of
# the concentration check; the unit check leans on the product's own units. [S8]


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
            f"{written}: {fmt_number(d.order.dose or 0)} {written} is "
            f"{fmt_number((d.order.dose or 0) * fold)} "
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
    options = liquids(d.drug, d.route)
    concentrations = sorted({p.concentration.per_ml for p in options if p.concentration})
    if len(concentrations) < 2:
        return None
    vol = d.order.dose or 0
    readings = {
        p.name: f"{fmt_number(vol * p.concentration.per_ml)} {p.concentration.amount_unit}"
        for p in options
        if p.concentration
    }
    named = d.amount is not None
    product = d.drug.product(d.order.name.product_id) if d.order.name.product_id else None
    sources = tuple(dict.fromkeys(s for p in options for s in p.sources))
    what = (
        f"as {product.name} ({product.concentration}) it is {fmt_number(d.amount or 0)} {d.unit}"
        if named and product and product.concentration
        else "the product is not named"
    )
    return Finding(
        code="concentration_confusion",
        severity="moderate" if named else "high",
        message=(
            f"A {d.drug.name} liquid dose written in mL depends on the concentration: "
            f"{fmt_number(vol)} mL is "
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
                f"One dose of {fmt_number(d.amount)} {d.unit} {d.drug.name} is above the largest "
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
                f"{d.drug.name} is ordered {fmt_number(d.doses_per_day)} times a day; the rule "
                f"allows at most {rule.max_doses_per_day}."
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
                f"The {total.route} {drug.name} ordered adds up to {fmt_number(total.amount)} "
                f"{total.unit} a day, above the maximum of {fmt_number(limit)} {total.unit} a day."
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
                    f"{fmt_number(total.amount)} {total.unit} a day of {drug.name} is below the "
                    f"usual range ({rule.usual_daily[0]}–{rule.usual_daily[1]} a day). That can be "
                    "right (kidney function, age, tolerance); it is shown for information."
                ),
                drugs=(drug.id,),
                details={"daily_total": total.amount, "usual_low": low, "rule": rule.id},
                sources=rule.sources,
            )


def _is_new(ctx: Context, total: DailyTotal) -> bool:
    return ctx.starting(total.drug_id, total.orders)


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
            f"{drug.name} is being started at {fmt_number(total.amount)} {total.unit} a day; the "
            f"schedule starts at {first.dose} {first.doses_per_day} times a day "
            f"({fmt_number(first_daily)} {total.unit} a day) and rises step by step."
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
                    f"({fmt_number(total.amount)} {total.unit} counted); the orders above could "
                    "not all be counted",
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
