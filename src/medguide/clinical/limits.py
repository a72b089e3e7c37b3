"""The most one person may take a day: one limit for every door (the assessment and plans).

The kidney rules of the knowledge lower a dose by a factor ("about half the usual dose",
S25, S26). That factor applies to what the person could otherwise take, not to whatever was
ordered: otherwise every dose would be "too high" and a plan checked through the assessment
would never pass. So the kidney-adjusted maximum is

    factor × the maximum for this person with normal kidneys,

where the normal-kidney maximum is the label's maximum for the route and age, lowered by the
age rules that set a ceiling (an older adult's caution threshold, a child's age-band or
per-kg maximum). Plans stop at it; the assessment flags an order above it and suggests it.
"""

from __future__ import annotations

from dataclasses import dataclass

from medguide.knowledge.models.drug import DoseRule, Drug
from medguide.units import mass_in_unit


@dataclass(frozen=True)
class Ceiling:
    amount: float
    unit: str
    why: str
    sources: tuple[str, ...]


def dose_rule(drug: Drug, route: str, age: float | None) -> DoseRule | None:
    """The dose rule with a maximum for this route and age; adults' when the age is unknown."""
    rules = [r for r in drug.dosing if r.route == route and r.max_daily is not None]
    if age is not None:
        return next((r for r in rules if r.age_years.contains(age)), None)
    return next((r for r in rules if r.population in ("adult", "any")), None)


def normal_kidney_ceilings(
    drug: Drug, route: str, unit: str, age: float | None, weight: float | None
) -> list[Ceiling]:
    """Every daily ceiling for this person that does not depend on the kidneys."""
    out: list[Ceiling] = []
    rule = dose_rule(drug, route, age)
    if rule is not None and rule.max_daily is not None:
        label = mass_in_unit(rule.max_daily.value, rule.max_daily.unit, unit)
        if label is not None:
            out.append(Ceiling(label, unit, f"the maximum of {rule.max_daily} a day", rule.sources))
    if age is None:
        return out
    for ar in drug.age_rules:
        if ar.route not in ("any", route) or not ar.age_years.contains(age):
            continue
        if ar.kidney_below is not None or ar.when_starting:
            continue  # kidney-dependent and starting-dose rules are not ceilings of their own
        for q, why in ((ar.max_daily, "at this age"), (ar.daily_dose_at_or_above, "caution from")):
            amount = mass_in_unit(q.value, q.unit, unit) if q is not None else None
            if amount is not None:
                out.append(Ceiling(amount, unit, f"{why} {q}", ar.sources))
        per_kg = ar.max_daily_per_kg
        if per_kg is not None and weight is not None:
            amount = mass_in_unit(per_kg.value, per_kg.unit, unit)
            if amount is not None:
                out.append(Ceiling(amount * weight, unit, f"{per_kg} a day", ar.sources))
    return out


def normal_kidney_max(
    drug: Drug, route: str, unit: str, age: float | None, weight: float | None
) -> Ceiling | None:
    """The lowest of the ceilings that do not depend on the kidneys, or None without any."""
    ceilings = normal_kidney_ceilings(drug, route, unit, age, weight)
    return min(ceilings, key=lambda c: c.amount) if ceilings else None
