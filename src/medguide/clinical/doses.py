"""Order and dose checks, driven by the drug's dose rules (no drug names in code).

- `check_orders`: what could not be read or resolved (`unknown_drug`, also for a name matched
  only by its spelling, with `did_you_mean`; `ambiguous_order`; `error_prone_abbreviation`),
  a route the drug has no product for (`route_not_available`), and known drugs not covered.
- `check_doses`: the amount per dose in mg or mcg and the daily total per ingredient and
  route (`amounts`), and the limits: `max_daily_dose_exceeded` (inclusive: a total equal to
  the maximum is allowed), `max_single_dose_exceeded` (an intrathecal bolus against the
  screening limits), `max_doses_per_day_exceeded`, `titration_too_fast`, `dose_below_usual`,
  `unit_mismatch` (the amount, not the unit's name, is about a thousand times off the range
  the route is dosed in), `concentration_confusion`, `duplicate_ingredient`. An order whose
  amount or daily total cannot be counted is `ambiguous_order`, high: it is never passed.

Severities come from one table, `SEVERITY_RULES` (in `dose_severity.py`, shared with the
order reader), not from each rule:

| code | case | severity |
|---|---|---|
| `max_daily_dose_exceeded` | over the maximum, under 1.5 times it | high |
| `max_daily_dose_exceeded` | at or above 1.5 times the maximum | critical |
| `max_single_dose_exceeded` | over the largest single dose (or screening bolus) | high |
| `max_doses_per_day_exceeded` | more doses a day than the rule allows | high |
| `unit_mismatch` | an amount about a thousand times off the route's range | critical |
| `concentration_confusion` | an mL dose of a named liquid, where others exist | moderate |
| `concentration_confusion` | an mL dose with no product or concentration named | high |
| `concentration_confusion` | two concentrations that differ two-fold or more | high |
| `concentration_confusion` | two concentrations that differ under two-fold | moderate |
| `ambiguous_order` | an order whose amount or daily total cannot be counted | high |
| `route_not_available` | a route the drug has no product for | high |
| `unknown_drug` | a name that does not resolve | high |
| `unknown_drug` | a name matched only by its spelling (confirm it) | moderate |
| `dose_below_usual` | under a usual maintenance range | info |
| `titration_too_fast` | a new start above the first step of the schedule | moderate |
| `duplicate_ingredient` | the same ingredient in two or more orders | high |
| `error_prone_abbreviation` | a form on the ISMP list | moderate |

Totals are kept per route: oral doses are in mg and intrathecal in mcg, and the two are never
added (DESIGN.md, Knowledge).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Final

from medguide.clinical.amounts import (
    DailyTotal,
    Dose,
    liquids,
    route_of,
)
from medguide.clinical.context import Context
from medguide.clinical.dose_severity import SEVERITY_RULES, severity_of
from medguide.clinical.findings import CheckResult, Finding, NotChecked, unknown_drug_finding
from medguide.clinical.model import Order
from medguide.knowledge.catalog import Catalog
from medguide.knowledge.interaction_index import PairMemo
from medguide.knowledge.models.base import Quantity
from medguide.knowledge.models.drug import DoseRule, Drug
from medguide.units import convert_mass, fmt_number, is_mass

# ISMP's advice on liquid baclofen (prescribe in mg, show the concentration) is the source of
# the concentration check; the unit check leans on the route's own dose rules. [S8]


CRITICAL_FOLD: Final = 1.5  # a daily total at or above 1.5 × the maximum is critical
# An amount this many times beyond the whole range a route is dosed in (above its largest dose
# or below its smallest usual one) is read as a unit slip, not a dose choice: a mg/mcg slip
# is a thousand-fold, and the intended doses themselves span at most about 50-fold
# (intrathecal 24 to 1199 mcg a day in children, S10).
UNIT_SLIP_FOLD: Final = 30.0


_sev = severity_of
__all__ = ["SEVERITY_RULES", "applicable_rule", "bolus_rule", "check_doses", "check_orders"]


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
        else:
            if o.name.method == "fuzzy":
                findings.append(_spelling_only(o))
                suggestion = o.name.matched or o.name.ingredient
                not_checked.append(
                    NotChecked(
                        check="drug name",
                        reason=(
                            f"'{o.name.query}' matched {suggestion} only by its spelling; every "
                            f"check of this order rests on it being {suggestion}"
                        ),
                        drugs=(o.name.ingredient or o.name.query,),
                    )
                )
            if not o.name.covered:
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
        drug = ctx.catalog.drugs.get(o.name.drug_id) if o.name.drug_id else None
        if drug is not None:
            f = _route_not_available(o, drug)
            if f is not None:
                findings.append(f)
    return CheckResult(findings=tuple(findings), not_checked=tuple(not_checked))


def _spelling_only(o: Order) -> Finding:
    """A name matched only by its spelling is never silently accepted: confirm it."""
    suggestion = o.name.matched or o.name.ingredient
    return Finding(
        code="unknown_drug",
        severity=_sev("unknown_drug", "spelling_only"),
        message=(
            f"'{o.name.query}' is not a name medguide knows; did you mean {suggestion}? The "
            f"checks below were run for {suggestion}: confirm the name with the prescriber "
            "before relying on them."
        ),
        drugs=(o.name.ingredient or o.name.query,),
        details={
            "order": o.index,
            "text": o.text,
            "did_you_mean": suggestion,
            "score": o.name.score,
        },
        advice=("contact_prescriber",),
    )


def _route_not_available(o: Order, drug: Drug) -> Finding | None:
    """A route none of the drug's products is made for (intravenous or epidural baclofen)."""
    if not drug.products or o.route is None:
        return None
    routes = sorted({p.route for p in drug.products})
    if o.route in routes or "any" in routes:
        return None
    return Finding(
        code="route_not_available",
        severity=_sev("route_not_available"),
        message=(
            f"{drug.name} is not made to be given by the {o.route} route"
            + (f" ('{o.route_text}')" if o.route_text else "")
            + f"; its products are for {' and '.join(routes)} use only. Giving a product by a "
            "route it is not made for can be dangerous: confirm the route with the prescriber."
        ),
        drugs=(drug.id,),
        details={"order": o.index, "route": o.route, "product_routes": routes},
        advice=("contact_prescriber",),
        sources=tuple(dict.fromkeys(s for p in drug.products for s in p.sources)),
    )


# --- doses --------------------------------------------------------------------------------


def applicable_rule(drug: Drug, route: str, age: float | None) -> DoseRule | None:
    """The daily dose rule for this route and age; adults' rule when the age is not known."""
    rules = [
        r
        for r in drug.dosing
        if r.route == route and r.max_daily is not None and r.phase != "screening"
    ]
    return _by_age(rules, age)


def bolus_rule(drug: Drug, route: str, age: float | None) -> DoseRule | None:
    """The rule a single bolus is checked against: the route's screening (test-dose) rule."""
    rules = [r for r in drug.dosing if r.route == route and r.phase == "screening" and r.max_single]
    return _by_age(rules, age)


def _by_age(rules: list[DoseRule], age: float | None) -> DoseRule | None:
    if age is not None:
        for r in rules:
            if r.age_years.contains(age):
                return r
        return None
    adult = [r for r in rules if r.population in ("adult", "any")]
    return adult[0] if adult else None


RANGE_MEMO_LIMIT = 5_000  # route ranges kept per catalog; the oldest go first
_NO_RANGE = ("none",)


def _route_range(
    catalog: Catalog, d: Dose, age: float | None
) -> tuple[float, float, float, float] | None:
    """`_route_range_of`, memoized on the catalog by drug, route, unit and age: a pure
    function of those when the drug is the catalog's own (it always is in an assessment)."""
    if catalog.drugs.get(d.drug.id) is not d.drug:
        return _route_range_of(d, age)
    memo = catalog.derived("doses.range_memo", lambda: PairMemo(limit=RANGE_MEMO_LIMIT))
    key = (d.drug.id, d.route, d.unit, type(age), age)
    found = memo.get(key)
    if found is None:
        found = _route_range_of(d, age) or _NO_RANGE
        memo.put(key, found)
    return None if found is _NO_RANGE else found


def _route_range_of(d: Dose, age: float | None) -> tuple[float, float, float, float] | None:
    """(smallest single, largest single, smallest daily, largest daily) the route is dosed
    in, in the dose's unit, from the rules for this age (adults' when it is unknown)."""
    rules = [
        r
        for r in d.drug.dosing
        if r.route == d.route and (age is None or r.age_years.contains(age))
    ]
    if age is None:
        rules = [r for r in rules if r.population in ("adult", "any")] or rules
    single: list[float] = []
    day: list[float] = []

    def q(x: Quantity) -> float:
        return convert_mass(x.value, x.unit, d.unit)

    for r in rules:
        for x in (r.start, r.max_single):
            if x is not None and is_mass(x.unit):
                single.append(q(x))
        if r.start is not None and is_mass(r.start.unit):
            day.append(q(r.start) * (r.start_doses_per_day or 1))
        for x in (r.max_daily, *(r.usual_daily or ())):
            if x is not None and is_mass(x.unit):
                day.append(q(x))
                if r.max_single is None:
                    single.append(q(x))
    if not single or not day:
        return None
    return min(single), max(single), min(day), max(day)


def _unit_mismatch(catalog: Catalog, d: Dose, age: float | None) -> Finding | None:
    """An amount that, read in its unit, is about a thousand times off everything the route is
    dosed in (intrathecal "300 mg/day"). Amounts are compared, not unit names: 0.3 mg/day is
    300 mcg/day, and 0.02 g is 20 mg."""
    written = d.order.unit
    if written is None or not is_mass(written) or d.order.per_kg:
        return None
    bounds = _route_range(catalog, d, age)
    if bounds is None:
        return None
    lo1, hi1, lo_day, hi_day = bounds
    checks = [(d.amount, lo1, hi1, "one dose"), (d.daily, lo_day, hi_day, "the daily total")]
    for value, lo, hi, what in checks:
        if value is None or value <= 0:
            continue
        if value >= UNIT_SLIP_FOLD * hi:
            times, side, ref = value / hi, "above", hi
        elif value * UNIT_SLIP_FOLD <= lo:
            times, side, ref = lo / value, "below", lo
        else:
            continue
        other = "mcg" if written == "mg" else "mg" if written in ("mcg", "g") else None
        explained = ""
        fold = round(times)
        if other is not None:
            # what the order would give had it been written in the other unit
            swapped = value * convert_mass(1.0, other, written)
            if lo / 10 <= swapped <= hi * CRITICAL_FOLD:
                factor = convert_mass(1.0, written, other)
                fold = round(max(factor, 1 / factor))
                explained = (
                    f" Read in {other} it would be an ordinary amount ({fmt_number(swapped)} "
                    f"{d.unit}): this looks like {other} meant and {written} written, a "
                    f"{fmt_number(fold)}-fold error."
                )
        sources = tuple(
            dict.fromkeys(s for r in d.drug.dosing if r.route == d.route for s in r.sources)
        )
        return Finding(
            code="unit_mismatch",
            severity=_sev("unit_mismatch"),
            message=(
                f"{d.drug.name} by the {d.route} route: {what} of this order is "
                f"{fmt_number(value)} {d.unit} ({fmt_number(d.order.dose or 0)} "
                f"{written} as written), about {fmt_number(round(times))} times {side} what "
                f"the route is dosed in ({fmt_number(ref)} {d.unit}).{explained} Confirm the "
                "unit with the prescriber before any dose is given."
            ),
            drugs=(d.drug.id,),
            details={
                "order": d.order.index,
                "written_unit": written,
                "expected_unit": d.unit,
                "amount": value,
                "times_the_range": times,
                "fold": fold,
                "route": d.route,
            },
            advice=("contact_prescriber",),
            sources=sources,
        )
    return None


def _concentration(ctx: Context, d: Dose) -> Finding | None:
    if d.order.unit != "mL" or d.order.parts:
        return None
    product = d.drug.product(d.order.name.product_id) if d.order.name.product_id else None
    stated = d.order.concentration
    if stated is not None and product is not None and product.concentration is not None:
        pc = product.concentration
        per_ml = convert_mass(stated[0], stated[1], pc.amount_unit)
        if abs(per_ml - pc.per_ml) > 1e-9:
            return _two_concentrations(
                d,
                f"{fmt_number(stated[0])} {stated[1]}/mL (stated)",
                f"{fmt_number(pc.per_ml)} {pc.amount_unit}/mL ({product.name})",
                max(per_ml, pc.per_ml) / min(per_ml, pc.per_ml),
                product.sources,
            )
    if stated is not None:
        return None  # the order says what is in each mL
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
    named = d.amount is not None and product is not None
    sources = tuple(dict.fromkeys(s for p in options for s in p.sources))
    what = (
        f"as {product.name} ({product.concentration}) it is {fmt_number(d.amount or 0)} {d.unit}"
        if named and product and product.concentration
        else "the product is not named"
    )
    return Finding(
        code="concentration_confusion",
        severity=_sev("concentration_confusion", "named_product" if named else "unnamed_product"),
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


def _two_concentrations(d: Dose, a: str, b: str, fold: float, sources: tuple[str, ...]) -> Finding:
    case = "two_fold_or_more" if fold >= 2 else "under_two_fold"
    return Finding(
        code="concentration_confusion",
        severity=_sev("concentration_confusion", case),
        message=(
            f"Two concentrations for one {d.drug.name} order: {a} and {b}, "
            f"{fmt_number(fold)} times apart. The same volume then delivers "
            f"{fmt_number(fold)} times more or less drug. Confirm which is meant before any "
            "dose is given."
        ),
        drugs=(d.drug.id,),
        details={"order": d.order.index, "concentrations": [a, b], "fold": fold},
        advice=("contact_prescriber",),
        sources=sources,
    )


def _limit_findings(d: Dose, rule: DoseRule, bolus: bool) -> Iterable[Finding]:
    if d.amount is None:
        return
    if rule.max_single is not None and d.amount > convert_mass(
        rule.max_single.value, rule.max_single.unit, d.unit
    ):
        kind = "test bolus" if bolus else "single dose"
        yield Finding(
            code="max_single_dose_exceeded",
            severity=_sev("max_single_dose_exceeded"),
            message=(
                f"One dose of {fmt_number(d.amount)} {d.unit} {d.drug.name} is above the largest "
                f"{kind} of {rule.max_single}" + _range_note(d) + "."
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
        and not bolus
    ):
        yield Finding(
            code="max_doses_per_day_exceeded",
            severity=_sev("max_doses_per_day_exceeded"),
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


def _range_note(d: Dose) -> str:
    if d.order.dose_low is not None:
        return " (the order is a range; it was checked at the top of the range)"
    return ""


def _below_usual_applies(ctx: Context, drug: Drug, total: DailyTotal, rule: DoseRule) -> bool:
    """Only for a usual *maintenance* range, never for a titration start, and not where the
    knowledge lowers the expectation for this person (an older adult's age rule)."""
    if not rule.usual_is_maintenance or rule.usual_daily is None:
        return False
    if any(ctx.orders[i].new for i in total.orders if i < len(ctx.orders)):
        return False
    if _is_new(ctx, total):
        return False
    age = ctx.patient.age_years
    return not (
        age is not None
        and any(
            a.code == "geriatric_dose_caution"
            and a.route in ("any", total.route)
            and a.age_years.contains(age)
            for a in drug.age_rules
        )
    )


def _daily_findings(ctx: Context, total: DailyTotal, rule: DoseRule) -> Iterable[Finding]:
    drug = ctx.catalog.drugs[total.drug_id]
    assert rule.max_daily is not None
    limit = convert_mass(rule.max_daily.value, rule.max_daily.unit, total.unit)
    ranged = any(
        d.order.dose_low is not None
        for d in ctx.doses
        if d.drug.id == total.drug_id and d.route == total.route
    )
    if total.amount > limit:  # equal is allowed: 20 mg four times a day is the maximum
        critical = total.amount >= CRITICAL_FOLD * limit
        yield Finding(
            code="max_daily_dose_exceeded",
            severity=_sev("max_daily_dose_exceeded", "at_or_above_1.5x" if critical else "default"),
            message=(
                f"The {total.route} {drug.name} ordered adds up to {fmt_number(total.amount)} "
                f"{total.unit} a day, above the maximum of {fmt_number(limit)} {total.unit} a day"
                + (" (a range of doses was checked at the top of the range)" if ranged else "")
                + "."
            ),
            drugs=(drug.id,),
            details={
                "daily_total": total.amount,
                "unit": total.unit,
                "max_daily": limit,
                "route": total.route,
                "orders": list(total.orders),
                "rule": rule.id,
                "times_max": total.amount / limit if limit else None,
            },
            advice=("reduce_dose", "contact_prescriber"),
            sources=rule.sources,
        )
    if rule.usual_daily is not None and _below_usual_applies(ctx, drug, total, rule):
        # the lowest usual maintenance dose of every rule that could be this person's (spinal
        # or cerebral origin are not known from an order)
        age = ctx.patient.age_years
        lows = [
            convert_mass(r.usual_daily[0].value, r.usual_daily[0].unit, total.unit)
            for r in drug.dosing
            if r.route == total.route
            and r.usual_is_maintenance
            and r.usual_daily is not None
            and r.population == rule.population
            and (age is None or r.age_years.contains(age))
        ]
        low = min(lows) if lows else 0.0
        if total.complete and 0 < total.amount < low:
            yield Finding(
                code="dose_below_usual",
                severity=_sev("dose_below_usual"),
                message=(
                    f"{fmt_number(total.amount)} {total.unit} a day of {total.route} "
                    f"{drug.name} is below the usual maintenance doses, which start at "
                    f"{fmt_number(low)} {total.unit} a day. That can be right (kidney function, "
                    "age, tolerance); it is shown for information."
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
        severity=_sev("titration_too_fast"),
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
            severity=_sev("duplicate_ingredient"),
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


def _uncounted(d: Dose) -> Finding | None:
    """An order of a covered drug whose daily total cannot be counted is a finding, not only a
    "not checked" line: `--fail-on high` must not pass an order nobody could read."""
    if d.daily is not None:
        return None
    if any(f.code == "ambiguous_order" for f in d.order.issues):
        return None  # the reader already said why
    if d.why_unknown is not None:
        why = d.why_unknown
    elif d.order.prn:
        why = "it is taken as needed with no most-frequent interval, so the daily total is open"
    else:
        why = "how often it is taken is not known"
    return Finding(
        code="ambiguous_order",
        severity=_sev("ambiguous_order"),
        message=(
            f"Medication {d.order.index + 1} ('{d.order.text}'): "
            + ("the daily total" if d.amount is not None else "the amount")
            + f" of {d.drug.name} it gives cannot be counted: {why}. It was not guessed and "
            "its dose limits were not checked; confirm the order with the prescriber."
        ),
        drugs=(d.drug.id,),
        details={"medication": d.order.index, "field": "amount", "problem": why},
        advice=("contact_prescriber",),
    )


def check_doses(ctx: Context) -> CheckResult:
    findings: list[Finding] = []
    not_checked: list[NotChecked] = []
    age = ctx.request.patient.age_years
    for d in ctx.doses:
        for f in (_unit_mismatch(ctx.catalog, d, age), _concentration(ctx, d), _uncounted(d)):
            if f is not None:
                findings.append(f)
        single = bolus_rule(d.drug, d.route, age) if d.order.bolus else None
        rule = single or applicable_rule(d.drug, d.route, age)
        if rule is not None:
            findings.extend(_limit_findings(d, rule, single is not None))
        if d.order.bolus and single is None and d.route == "intrathecal":
            not_checked.append(
                NotChecked(
                    "bolus",
                    f"no screening rule for a bolus at this age ({d.order.text})",
                    (d.drug.id,),
                )
            )
        if d.amount is None and d.why_unknown is not None:
            not_checked.append(
                NotChecked("dose", f"order '{d.order.text}': {d.why_unknown}", (d.drug.id,))
            )
        elif d.daily is None:
            not_checked.append(
                NotChecked(
                    "daily dose",
                    f"order '{d.order.text}': how often it is taken is not known",
                    (d.drug.id,),
                )
            )
    totals = ctx.daily_totals
    for total in totals:
        drug = ctx.catalog.drugs[total.drug_id]
        rule = applicable_rule(drug, total.route, age)
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
        if (
            rule.population == "pediatric"
            and rule.max_daily_per_kg is None
            and total.route != "oral"
        ):
            not_checked.append(
                NotChecked(
                    "dose per kg",
                    f"the sources give no per-kg limit for {total.route} {drug.name} in "
                    "children; the daily total was checked against the age band only",
                    (total.drug_id,),
                )
            )
        findings.extend(_daily_findings(ctx, total, rule))
        f = _titration(ctx, total, rule)
        if f is not None:
            findings.append(f)
    findings.extend(_duplicates(ctx))
    computed: dict[str, object] = {
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
        ],
        "doses": [d.as_dict() for d in ctx.doses],
    }
    return CheckResult(findings=tuple(findings), not_checked=tuple(not_checked), computed=computed)
