"""Titration and taper plans: dated steps of dose, doses a day and daily total.

Both are pure functions of a `Drug` (its knowledge file) and the patient's values; the
rules come from the file: the titration schedule, step interval and maxima
(`Drug.dosing`), the kidney bands (`Drug.renal`), the age rules (`Drug.age_rules`) and the
taper rule (`Drug.taper`).

Guarantees (tested with Hypothesis):
- no step is above an applicable maximum (label, kidney, age, mg/kg, the person's target);
- a titration step never rises by more than the largest rise of the label schedule and never
  comes sooner than the label interval;
- a taper never rises, reaches zero, lasts at least `Taper.min_days` (longer after long use
  or high doses), and its last dose before zero is small (`Taper.final_daily_max`);
- an intrathecal taper or titration is refused with a referral to the pump team.

Whole doses: a tablet dose is a multiple of the smallest tablet strength, made of whole
tablets (the knowledge does not say which strengths are scored, and the smallest tablet is
usually not, so no plan relies on splitting one); granules a multiple of the smallest packet;
a liquid a multiple of 0.5 mL of the chosen product. Each tablet step says which tablets make
the dose, and says so plainly when a dose the person already takes needs a half tablet. When
the schedule's starting dose cannot be made from whole tablets (young children) and no product
was named, an oral liquid is chosen instead. These are judgment calls.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, Literal

from medguide.clinical.amounts import LIQUID_FORMS, route_unit
from medguide.clinical.kidney import KidneyFunction, renal_decision
from medguide.clinical.limits import normal_kidney_max
from medguide.knowledge.models.base import Quantity
from medguide.knowledge.models.drug import DoseRule, Drug, Product
from medguide.units import mass_in_unit

PlanKind = Literal["titration", "taper"]
LIQUID_STEP_ML = 0.5  # smallest volume step measured with an oral syringe (judgment)
_EPS = 1e-9


class PlanError(ValueError):
    """A plan that cannot be made; the message says why and who to ask instead."""

    def __init__(self, message: str, sources: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.sources = sources


@dataclass(frozen=True)
class PlanStep:
    """One stretch of days on the same dose. `dose` is per administration, in `unit`."""

    index: int
    start: date
    end: date  # inclusive
    dose: float
    unit: str
    doses_per_day: int
    daily: float
    volume_ml: float | None = None
    ongoing: bool = False  # the last titration step: carry on at this dose
    how: str | None = None  # which tablets make the dose, for tablet plans
    half_tablet: bool = False  # the dose needs a tablet to be split

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "step": self.index,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "days": self.days,
            "dose": self.dose,
            "unit": self.unit,
            "doses_per_day": self.doses_per_day,
            "daily": self.daily,
        }
        if self.volume_ml is not None:
            out["volume_ml"] = self.volume_ml
        if self.how is not None:
            out["how"] = self.how
        if self.half_tablet:
            out["half_tablet"] = True
        if self.ongoing:
            out["ongoing"] = True
        return out


@dataclass(frozen=True)
class PlanCap:
    """A limit the plan respects, and why."""

    kind: Literal["label", "kidney", "age", "weight", "target", "first_step", "current"]
    daily: float
    unit: str
    reason: str
    sources: tuple[str, ...] = ()
    judgment: bool = False
    exclusive: bool = False  # the plan stays strictly below it (a caution "at or above")

    @property
    def limit(self) -> float:
        return self.daily - 1e-6 if self.exclusive else self.daily

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "daily": round(self.daily, 3),
            "unit": self.unit,
            "reason": self.reason,
            "sources": list(self.sources),
            "judgment": self.judgment,
            "exclusive": self.exclusive,
        }


@dataclass(frozen=True)
class PlanWarning:
    code: str
    message: str
    sources: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "sources": list(self.sources)}


@dataclass(frozen=True)
class Plan:
    kind: PlanKind
    drug: str
    drug_name: str
    route: str
    unit: str
    steps: tuple[PlanStep, ...]
    max_daily: float | None  # the lowest applicable maximum
    caps: tuple[PlanCap, ...] = ()
    warnings: tuple[PlanWarning, ...] = ()
    sources: tuple[str, ...] = ()
    product: str | None = None
    product_name: str | None = None
    concentration: str | None = None
    inputs: Mapping[str, Any] = field(default_factory=dict)
    level: Mapping[str, Any] | None = None  # issue 18: the level across the plan (with_level)

    @property
    def end(self) -> date:
        return self.steps[-1].end

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "drug": self.drug,
            "route": self.route,
            "unit": self.unit,
            "product": self.product,
            "product_name": self.product_name,
            "concentration": self.concentration,
            "max_daily": self.max_daily,
            "steps": [s.as_dict() for s in self.steps],
            "caps": [c.as_dict() for c in self.caps],
            "warnings": [w.as_dict() for w in self.warnings],
            "sources": list(self.sources),
            "inputs": dict(self.inputs),
            **({"level": dict(self.level)} if self.level is not None else {}),
        }


def with_level(
    plan: Plan, drug: Drug, crcl_ml_min: float | None, on_dialysis: bool = False
) -> Plan:
    """Issue 18: the plan with how the level moves across its steps (`medguide.pk.course`;
    an illustration, never a prediction), for oral plans in mg of a drug with model figures;
    otherwise the plan unchanged. numpy is imported only here."""
    from medguide.pk.params import pk_parameters

    params = pk_parameters(drug)
    if params is None or plan.route != "oral" or plan.unit != "mg" or not plan.steps:
        return plan
    from medguide.pk.course import compute_plan_level

    steps = [(s.days, s.dose, s.doses_per_day) for s in plan.steps]
    level = compute_plan_level(params, steps, crcl_ml_min, on_dialysis=on_dialysis)
    return replace(plan, level=level.as_dict())


# --- helpers --------------------------------------------------------------------------------


def _q(q: Quantity | None, unit: str) -> float | None:
    return None if q is None else mass_in_unit(q.value, q.unit, unit)


def _choose_product(drug: Drug, route: str, product_id: str | None) -> Product | None:
    if product_id is not None:
        product = drug.product(product_id)
        if product is None:
            names = ", ".join(p.id for p in drug.products if p.route == route) or "none"
            raise PlanError(f"{drug.name} has no product {product_id!r} (known: {names})")
        if product.route != route:
            raise PlanError(f"{product.name} is for {product.route} use, not {route}")
        return product
    current = [p for p in drug.products if p.route == route and p.status == "current"]
    solid = [p for p in current if p.form == "tablet"]
    pool = solid or current
    return pool[0] if pool else None


def _increment(product: Product | None, unit: str) -> float:
    """The smallest dose step (see the module docstring)."""
    if product is None:
        return 1.0
    if product.form in LIQUID_FORMS and product.concentration is not None:
        per_ml = mass_in_unit(product.concentration.per_ml, product.concentration.amount_unit, unit)
        if per_ml is not None:
            return per_ml * LIQUID_STEP_ML
    strengths = [v for v in (_q(s, unit) for s in product.strengths) if v]
    return min(strengths) if strengths else 1.0


_COUNT = {1: "one", 2: "two", 3: "three", 4: "four"}


def _tablets(product: Product | None, dose: float, unit: str) -> tuple[str | None, bool]:
    """Which whole tablets make `dose` (fewest tablets), and whether a half tablet is needed."""
    if product is None or product.form != "tablet" or dose <= 0:
        return None, False
    strengths = sorted((v for v in (_q(s, unit) for s in product.strengths) if v), reverse=True)
    if not strengths:
        return None, False
    left = dose
    parts: list[str] = []
    for strength in strengths:
        n = _units(left, strength)
        if n:
            parts.append(
                f"{_COUNT.get(n, str(n))} {strength:g} {unit} tablet" + ("s" if n > 1 else "")
            )
            left -= n * strength
    if left < _EPS:
        return " + ".join(parts), False
    smallest = strengths[-1]
    if abs(left - smallest / 2) < _EPS:
        parts.append(f"half a {smallest:g} {unit} tablet")
        return " + ".join(parts), True
    return None, False


def _units(x: float, inc: float) -> int:
    """How many whole increments fit in x (rounded down, tolerant of float noise)."""
    return math.floor(x / inc + _EPS)


def _volume(product: Product | None, dose: float, unit: str) -> float | None:
    if product is None or product.form not in LIQUID_FORMS or product.concentration is None:
        return None
    per_ml = mass_in_unit(product.concentration.per_ml, product.concentration.amount_unit, unit)
    return None if not per_ml else round(dose / per_ml, 2)


def _rule_for(drug: Drug, route: str, age: float | None) -> DoseRule | None:
    rules = [r for r in drug.dosing if r.route == route and r.phase in (None, "titration")]
    if age is not None:
        return next((r for r in rules if r.age_years.contains(age)), None)
    return next((r for r in rules if r.population in ("adult", "any")), None)


def _refuse_route(drug: Drug, route: str) -> None:
    taper = drug.taper
    if taper is not None and taper.route not in ("any", route):
        ref = taper.refer_other_routes
        if ref is not None:
            raise PlanError(f"no {route} plan is made here: {ref.text}", ref.sources)
        raise PlanError(f"no {route} plan is made here; the treating team sets it")


def _cap_min(caps: list[PlanCap]) -> float | None:
    return min((c.limit for c in caps), default=None)


# --- titration ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reg:
    dose: float
    dpd: int

    @property
    def daily(self) -> float:
        return self.dose * self.dpd


def _fit(limit: float, dpd: int, inc: float, max_single: float | None, max_dpd: int) -> _Reg | None:
    """The largest whole-dose regimen with daily ≤ limit, keeping `dpd` doses a day when it
    can, else fewer doses a day (never more than `max_dpd`)."""
    for n in range(min(dpd, max_dpd), 0, -1):
        k = _units(limit / n, inc)
        if max_single is not None:
            k = min(k, _units(max_single, inc))
        if k >= 1:
            return _Reg(k * inc, n)
    return None


def _extend(
    prev: _Reg, limit: float, rise: float, inc: float, max_single: float | None, max_dpd: int
) -> _Reg | None:
    """The next regimen above `prev`: at most `rise` more a day, within `limit`, keeping or
    adding doses a day up to `max_dpd`."""
    best: _Reg | None = None
    ceiling = min(limit, prev.daily + rise)
    for n in range(prev.dpd, max(prev.dpd, max_dpd) + 1):
        k = _units(ceiling / n, inc)
        if max_single is not None:
            k = min(k, _units(max_single, inc))
        reg = _Reg(k * inc, n)
        if k >= 1 and reg.daily > prev.daily + _EPS and (best is None or reg.daily > best.daily):
            best = reg
    return best


def _age_caps(
    drug: Drug,
    route: str,
    unit: str,
    age: float | None,
    weight: float | None,
    kidney: KidneyFunction | None,
    caps: list[PlanCap],
    warnings: list[PlanWarning],
    first: list[PlanCap],
) -> None:
    if age is None:
        if drug.age_rules:
            warnings.append(
                PlanWarning(
                    "age_unknown",
                    "Age not given: older-adult and child limits were not applied; "
                    "the adult schedule is shown.",
                )
            )
        return
    for rule in drug.age_rules:
        if rule.route not in ("any", route) or not rule.age_years.contains(age):
            continue
        if rule.kidney_below is not None:
            value = kidney.value_for("either") if kidney else None
            on_dialysis = kidney is not None and kidney.dialysis is not None
            if value is None and not on_dialysis:
                warnings.append(
                    PlanWarning(
                        "renal_function_unknown",
                        "Kidney function not given, so this rule could not be checked: "
                        + rule.text,
                        rule.sources,
                    )
                )
                continue
            if not on_dialysis and value is not None and value.value >= rule.kidney_below:
                continue
        threshold = _q(rule.daily_dose_at_or_above, unit)
        if rule.when_starting and threshold is not None:
            first.append(
                PlanCap(
                    "first_step",
                    threshold,
                    unit,
                    f"first dose below {threshold:g} {unit}/day: {rule.text}",
                    rule.sources,
                    rule.judgment,
                    exclusive=True,
                )
            )
            continue
        if threshold is not None:
            caps.append(
                PlanCap(
                    "age", threshold, unit, rule.text, rule.sources, rule.judgment, exclusive=True
                )
            )
            warnings.append(PlanWarning(rule.code, rule.text, rule.sources))
            continue
        cap = _q(rule.max_daily, unit)
        if cap is not None:
            caps.append(PlanCap("age", cap, unit, rule.text, rule.sources, rule.judgment))
        per_kg = _q(rule.max_daily_per_kg, unit)
        if per_kg is not None:
            if weight is None:
                raise PlanError(
                    f"weight is needed: at age {age:g} the limit is {rule.max_daily_per_kg}/day",
                    rule.sources,
                )
            caps.append(
                PlanCap(
                    "weight",
                    per_kg * weight,
                    unit,
                    f"{per_kg:g} {unit}/kg/day × {weight:g} kg: {rule.text}",
                    rule.sources,
                    rule.judgment,
                )
            )
        if cap is None and per_kg is None:
            warnings.append(PlanWarning(rule.code, rule.text, rule.sources))


def plan_titration(
    drug: Drug,
    *,
    start: date,
    route: str = "oral",
    age_years: float | None = None,
    weight_kg: float | None = None,
    kidney: KidneyFunction | None = None,
    target_daily: float | None = None,
    step_days: int | None = None,
    product: str | None = None,
    current_daily: float | None = None,
) -> Plan:
    """A dated schedule from the starting dose up to the target (in the route's unit/day).

    The label schedule comes from the dose rule for the route and age; `step_days` may slow
    it down, never speed it up. Kidney and age limits cap it; it never passes a maximum.
    """
    _refuse_route(drug, route)
    unit = route_unit(drug, route)
    rule = _rule_for(drug, route, age_years)
    if rule is None:
        raise PlanError(
            f"the knowledge has no {route} dose rule for {drug.name}"
            + (f" at age {age_years:g}" if age_years is not None else "")
        )
    chosen = _choose_product(drug, route, product)
    inc = _increment(chosen, unit)
    caps: list[PlanCap] = []
    first: list[PlanCap] = []
    warnings: list[PlanWarning] = []
    sources: list[str] = list(rule.sources)
    start_dose_q = _q(rule.start, unit)
    if (
        product is None
        and chosen is not None
        and chosen.form == "tablet"
        and start_dose_q is not None
        and abs(start_dose_q / inc - round(start_dose_q / inc)) > 1e-6
    ):
        liquid = next(
            (
                p
                for p in drug.products
                if p.route == route and p.status == "current" and p.form in LIQUID_FORMS
            ),
            None,
        )
        if liquid is not None:
            warnings.append(
                PlanWarning(
                    "liquid_chosen",
                    f"The starting dose of {start_dose_q:g} {unit} cannot be made from whole "
                    f"{chosen.name.split(' (')[0].lower()} ({inc:g} {unit} is the smallest), so "
                    f"the plan uses {liquid.name}; ask the pharmacist before splitting tablets.",
                    liquid.sources,
                )
            )
            chosen = liquid
            inc = _increment(chosen, unit)

    # The schedule the knowledge gives: explicit steps, or start dose raised by the start
    # dose at each interval (the paediatric references' "add one starting dose a week").
    interval = rule.step_interval_days
    if rule.titration:
        base = [
            (
                _q(s.dose, unit),
                s.doses_per_day,
                (s.day_to - s.day_from + 1) if s.day_to else (interval or 1),
            )
            for s in rule.titration
        ]
    elif rule.start is not None and rule.start_doses_per_day and interval:
        start_dose = _q(rule.start, unit)
        assert start_dose is not None
        base = [(start_dose, rule.start_doses_per_day, interval)]
        warnings.append(
            PlanWarning(
                "schedule_from_start_dose",
                f"The knowledge gives a starting dose and interval, not a step table; each step "
                f"adds one starting dose ({start_dose:g} {unit}) to every dose. {rule.text}",
                rule.sources,
            )
        )
    else:
        raise PlanError(
            f"the knowledge has no titration schedule for {route} {drug.name}"
            + (f" at age {age_years:g}" if age_years is not None else "")
            + "; the prescriber sets the doses",
            rule.sources,
        )
    if any(d is None for d, _, _ in base):
        raise PlanError(f"the titration steps of {rule.id} are not in {unit}")
    steps_in = [(float(d), n, days) for d, n, days in base if d is not None]
    rises = [b[0] * b[1] - a[0] * a[1] for a, b in itertools.pairwise(steps_in)]
    max_rise = max([r for r in rises if r > 0] or [steps_in[0][0] * steps_in[0][1]])
    min_len = min(days for _, _, days in steps_in)
    if interval is not None:
        min_len = max(min_len, interval)
    if step_days is not None and step_days < min_len:
        raise PlanError(
            f"steps every {step_days} days are faster than the label's "
            f"{min_len} days; medguide only slows a titration down",
            rule.sources,
        )
    length = max(step_days or min_len, min_len)

    max_single = _q(rule.max_single, unit)
    max_dpd = rule.max_doses_per_day or max(n for _, n, _ in steps_in)
    label_max = _q(rule.max_daily, unit)
    if label_max is not None:
        caps.append(
            PlanCap("label", label_max, unit, rule.text, rule.sources, rule.label_status != "label")
        )

    factor = 1.0
    if drug.renal is not None and drug.renal.route in ("any", route):
        if kidney is None or not kidney.known:
            if drug.renal.renally_cleared:
                warnings.append(
                    PlanWarning(
                        "renal_function_unknown",
                        f"{drug.name} leaves the body through the kidneys and kidney function was "
                        "not given: the plan assumes normal kidneys. Check it first if kidney "
                        "disease is possible.",
                        drug.renal.summary.sources if drug.renal.summary else (),
                    )
                )
        else:
            decision = renal_decision(drug.renal, kidney)
            if decision is not None and decision.band.action != "none":
                band = decision.band
                # the same kidney-adjusted maximum the assessment applies (clinical/limits.py)
                reference = normal_kidney_max(drug, route, unit, age_years, weight_kg)
                usual = (
                    reference.amount
                    if reference is not None
                    else label_max
                    if label_max is not None
                    else max(d * n for d, n, _ in steps_in)
                )
                if band.action == "reduce":
                    assert band.dose_factor is not None
                    factor = band.dose_factor
                    kcap = usual * factor
                    why = (
                        f"{decision.describe()}: at most {factor:g} × the {usual:g} {unit}/day "
                        f"otherwise allowed. {band.text}"
                    )
                else:
                    fb = _q(band.if_unavoidable_daily, unit)
                    kcap = fb if fb is not None else 0.0
                    why = f"{decision.describe()}: avoid. {band.text}"
                    warnings.append(PlanWarning("renal_avoid", why, band.sources))
                caps.append(PlanCap("kidney", kcap, unit, why, band.sources, band.judgment))
                sources.extend(band.sources)
    _age_caps(drug, route, unit, age_years, weight_kg, kidney, caps, warnings, first)
    cap = _cap_min(caps)
    if target_daily is not None:
        if cap is not None and target_daily > cap + _EPS:
            warnings.append(
                PlanWarning(
                    "target_above_maximum",
                    f"The target of {target_daily:g} {unit}/day is above the maximum for this "
                    f"person ({cap:g} {unit}/day); the plan stops at the maximum.",
                )
            )
        caps.append(PlanCap("target", target_daily, unit, "the target dose asked for"))
        cap = _cap_min(caps)
    limit = cap if cap is not None else max(d * n for d, n, _ in steps_in)
    if limit < inc - _EPS:
        raise PlanError(
            f"the maximum for this person ({limit:g} {unit}/day) is below the "
            f"smallest dose step ({inc:g} {unit}); ask the prescriber",
            tuple(s for c in caps for s in c.sources),
        )

    # Build the regimens: scaled label steps, then rises beyond them up to the target.
    # A rise never exceeds the label's largest rise, even after rounding to whole doses.
    regs: list[_Reg] = []
    for dose, n, _ in steps_in:
        want = min(dose * n * factor, limit)
        while True:
            prev_daily = regs[-1].daily if regs else 0.0
            reg = _fit(min(want, prev_daily + max_rise), n, inc, max_single, max_dpd)
            if reg is None or reg.daily <= prev_daily + _EPS:
                break
            regs.append(reg)
            if reg.daily >= want - _EPS:
                break
        if regs and regs[-1].daily >= limit - _EPS:
            break
    if target_daily is not None:
        while regs and regs[-1].daily < limit - _EPS:
            nxt = _extend(regs[-1], limit, max_rise, inc, max_single, max_dpd)
            if nxt is None:
                break
            regs.append(nxt)
    if not regs:
        raise PlanError(f"no whole-dose step fits under {limit:g} {unit}/day")
    if (
        target_daily is not None
        and regs[-1].daily < target_daily - _EPS
        and (cap is None or target_daily <= cap)
    ):
        warnings.append(
            PlanWarning(
                "target_not_reached",
                f"The target cannot be met in whole doses of {inc:g} {unit}; the plan stops at "
                f"{regs[-1].daily:g} {unit}/day.",
            )
        )
    first_cap = _cap_min(first)
    if first_cap is not None and regs[0].daily > first_cap:
        reg = _fit(first_cap, regs[0].dpd, inc, max_single, max_dpd)
        if reg is None:
            raise PlanError("no starting dose fits under the first-step limit")
        regs = [reg, *(r for r in regs[1:] if r.daily > reg.daily)]
        for c in first:
            warnings.append(PlanWarning("first_step_limit", c.reason, c.sources))
    if current_daily is not None:
        regs = [r for r in regs if r.daily > current_daily + _EPS]
        if not regs:
            raise PlanError(
                f"the current {current_daily:g} {unit}/day is already at or above "
                "what this plan would reach; no increase is planned"
            )

    steps: list[PlanStep] = []
    day = start
    for i, reg in enumerate(regs, start=1):
        end = day + timedelta(days=length - 1)
        steps.append(
            PlanStep(
                i,
                day,
                end,
                reg.dose,
                unit,
                reg.dpd,
                reg.daily,
                _volume(chosen, reg.dose, unit),
                ongoing=i == len(regs),
                how=_tablets(chosen, reg.dose, unit)[0],
            )
        )
        day = end + timedelta(days=1)
    for c in caps:
        sources.extend(c.sources)
    return Plan(
        kind="titration",
        drug=drug.id,
        drug_name=drug.name,
        route=route,
        unit=unit,
        steps=tuple(steps),
        max_daily=min((c.daily for c in caps), default=None),
        caps=tuple(caps + first),
        warnings=tuple(warnings),
        sources=tuple(dict.fromkeys(sources)),
        product=chosen.id if chosen else None,
        product_name=chosen.name if chosen else None,
        concentration=str(chosen.concentration) if chosen and chosen.concentration else None,
        inputs={
            "rule": rule.id,
            "step_days": length,
            "dose_step": inc,
            "target_daily": target_daily,
            "age_years": age_years,
            "weight_kg": weight_kg,
        },
    )


# --- taper ----------------------------------------------------------------------------------


def _taper_reg(target: float, prev: _Reg, inc: float) -> _Reg:
    """The whole-dose regimen closest to `target` a day, never with more doses a day or a
    bigger single dose than `prev` (ties keep more doses a day)."""
    best: _Reg | None = None
    for n in range(prev.dpd, 0, -1):
        k = min(round(target / n / inc + _EPS), _units(prev.dose, inc))
        if k < 1:
            continue
        reg = _Reg(k * inc, n)
        if best is None or abs(reg.daily - target) < abs(best.daily - target) - _EPS:
            best = reg
    return best or _Reg(inc, 1)


def plan_taper(
    drug: Drug,
    *,
    dose: float,
    doses_per_day: int,
    start: date,
    route: str = "oral",
    dose_unit: str | None = None,
    on_drug_days: int | None = None,
    min_days: int | None = None,
    product: str | None = None,
    age_years: float | None = None,
) -> Plan:
    """From the current regimen to zero, never rising, over at least the knowledge's minimum.

    `dose` is per administration in `dose_unit` (the route's unit by default; "mL" needs a
    liquid `product`). `on_drug_days` (how long it has been taken) lengthens the taper after
    long use; `min_days` may lengthen it, never shorten it.
    """
    taper = drug.taper
    if taper is None:
        raise PlanError(f"the knowledge has no taper rule for {drug.name}; ask the prescriber")
    _refuse_route(drug, route)
    unit = route_unit(drug, route)
    chosen = _choose_product(drug, route, product)
    if doses_per_day < 1 or doses_per_day > 12:
        raise PlanError("doses a day must be between 1 and 12")
    given = dose_unit or unit
    if given == "mL":
        conc = chosen.concentration if chosen else None
        if conc is None:
            raise PlanError("a dose in mL needs a liquid product (its concentration)")
        per_ml = mass_in_unit(conc.per_ml, conc.amount_unit, unit)
        assert per_ml is not None
        amount = dose * per_ml
    else:
        converted = mass_in_unit(dose, given, unit)
        if converted is None:
            raise PlanError(f"a dose in {given!r} cannot be turned into {unit}")
        amount = converted
    if amount <= 0:
        raise PlanError("the current dose must be above zero")
    inc = min(_increment(chosen, unit), amount)
    d0 = amount * doses_per_day
    sources = list(taper.sources)
    warnings: list[PlanWarning] = [PlanWarning("do_not_stop_abruptly", taper.text, taper.sources)]
    caps: list[PlanCap] = [PlanCap("current", d0, unit, "never above the current dose")]
    rule = _rule_for(drug, route, age_years)
    label_max = _q(rule.max_daily, unit) if rule else None
    if label_max is not None and rule is not None:
        caps.append(PlanCap("label", label_max, unit, rule.text, rule.sources))
        if d0 > label_max + _EPS:
            # Dropping at once to the maximum is itself a sudden large cut, and planning
            # above the maximum is never done: the prescriber sets this taper. A figure this
            # high is often a mix-up of liquid strengths (5 mg/5 mL against 5 mg/mL) [S8].
            raise PlanError(
                f"the current {d0:g} {unit} a day is above the maximum of {label_max:g} "
                f"{unit} a day. First check the product and its strength (a liquid's mg per "
                "mL is easy to misread). If the dose is right, its taper must be planned by "
                "the prescriber; do not stop or cut it suddenly",
                tuple(dict.fromkeys((*rule.sources, *taper.sources, "S8"))),
            )

    days = taper.min_days
    why = [f"at least {taper.min_days} days"]
    if taper.long_use_days is not None and taper.long_use_min_days is not None:
        if on_drug_days is None:
            # Unknown duration is treated as long use: the slower taper is the safer guess.
            if taper.long_use_min_days > days:
                days = taper.long_use_min_days
                why.append(f"{days} days because the length of use is not known")
            warnings.append(
                PlanWarning(
                    "duration_unknown",
                    f"How long it has been taken was not given, so the plan takes the slower "
                    f"course meant for more than {taper.long_use_days} days of use "
                    f"({taper.long_use_min_days} days or more).",
                    taper.sources,
                )
            )
        elif on_drug_days >= taper.long_use_days and taper.long_use_min_days > days:
            days = taper.long_use_min_days
            why.append(f"{days} days after {on_drug_days} days of use")
    high = _q(taper.high_daily, unit)
    if (
        high is not None
        and taper.high_dose_min_days is not None
        and d0 >= high - _EPS
        and taper.high_dose_min_days > days
    ):
        days = taper.high_dose_min_days
        why.append(f"{days} days from {d0:g} {unit}/day")
    if min_days is not None and min_days > days:
        days = min_days
        why.append(f"{days} days as asked")
    elif min_days is not None and min_days < days:
        warnings.append(
            PlanWarning(
                "taper_lengthened",
                f"A {min_days}-day taper is shorter than the minimum; {days} days are planned.",
                taper.sources,
            )
        )
    final_max = _q(taper.final_daily_max, unit)
    step = taper.step_days

    top = min(d0, label_max) if label_max is not None else d0
    m = max(2, math.ceil(days / step))
    regs: list[_Reg] = []
    for _ in range(60):  # lengthen until the last dose before zero is small enough
        regs = []
        prev = _Reg(amount, doses_per_day)
        for k in range(1, m + 1):
            bound = min(prev.daily, top)
            reg = _taper_reg(min(d0 * (m + 1 - k) / (m + 1), bound), prev, inc)
            if k == 1 and reg.daily >= d0 - _EPS and d0 > inc + _EPS:
                bound = d0 - inc  # the first step is a real reduction
            if reg.daily > bound + _EPS:
                reg = _fit(bound, prev.dpd, inc, prev.dose, prev.dpd) or prev
            regs.append(reg)
            prev = reg
        if final_max is None or regs[-1].daily <= final_max + _EPS:
            break
        m += 1
    # Merge equal neighbours into longer steps.
    merged: list[tuple[_Reg, int]] = []
    for reg in regs:
        if (
            merged
            and abs(merged[-1][0].daily - reg.daily) < _EPS
            and (merged[-1][0].dpd == reg.dpd)
        ):
            merged[-1] = (reg, merged[-1][1] + step)
        else:
            merged.append((reg, step))
    steps: list[PlanStep] = []
    day = start
    for i, (reg, n_days) in enumerate(merged, start=1):
        end = day + timedelta(days=n_days - 1)
        how, half = _tablets(chosen, reg.dose, unit)
        steps.append(
            PlanStep(
                i,
                day,
                end,
                reg.dose,
                unit,
                reg.dpd,
                reg.daily,
                _volume(chosen, reg.dose, unit),
                how=how,
                half_tablet=half,
            )
        )
        day = end + timedelta(days=1)
    if any(s.half_tablet for s in steps):
        warnings.append(
            PlanWarning(
                "half_tablet",
                "Some doses need half a tablet. Ask the pharmacist whether your tablets can be "
                "split; if not, an oral liquid measures these doses more exactly.",
                chosen.sources if chosen else (),
            )
        )
    steps.append(
        PlanStep(
            len(steps) + 1,
            day,
            day,
            0.0,
            unit,
            0,
            0.0,
            0.0 if _volume(chosen, 1.0, unit) is not None else None,
        )
    )
    if final_max is not None:
        caps.append(
            PlanCap(
                "label",
                final_max,
                unit,
                f"last dose before stopping at most {final_max:g} {unit}/day",
                taper.sources,
                taper.judgment,
            )
        )
    return Plan(
        kind="taper",
        drug=drug.id,
        drug_name=drug.name,
        route=route,
        unit=unit,
        steps=tuple(steps),
        max_daily=min(d0, label_max) if label_max is not None else d0,
        caps=tuple(caps),
        warnings=tuple(warnings),
        sources=tuple(dict.fromkeys(sources)),
        product=chosen.id if chosen else None,
        product_name=chosen.name if chosen else None,
        concentration=str(chosen.concentration) if chosen and chosen.concentration else None,
        inputs={
            "current_daily": d0,
            "days": days,
            "why": why,
            "step_days": step,
            "dose_step": inc,
            "on_drug_days": on_drug_days,
        },
    )


def shift_plan(plan: Plan, days: int) -> Plan:
    """The same plan moved by `days` (for calendars that start later)."""
    delta = timedelta(days=days)
    return replace(
        plan, steps=tuple(replace(s, start=s.start + delta, end=s.end + delta) for s in plan.steps)
    )
