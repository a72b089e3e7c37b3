"""The person in front of you: age (older adults, children), pregnancy and breastfeeding, and
conditions. Every rule comes from the drug's knowledge file (`age_rules`, `reproduction`,
`conditions`); this module only matches them to the patient.

- Age rules match on route and age (`low`/`high` inclusive, `below` exclusive), then on
  what else they name: kidney function under a threshold, a daily dose at or above a
  threshold, a new start only, a daily maximum or a mg/kg/day maximum.
- Where a value a rule needs is missing (age, weight, kidney function, a complete daily
  total), the rule is listed in `not_checked`, never passed.
- mg/kg/day is shown in `computed["dose_per_kg"]` whenever weight and a daily total are known.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from medguide.clinical.amounts import route_of
from medguide.clinical.conditions import ResolvedCondition, resolve_condition
from medguide.clinical.context import Context
from medguide.clinical.findings import SEVERITY_RANK, CheckResult, Finding, NotChecked, Severity
from medguide.clinical.kidney import KidneyFunction, dialysis_label
from medguide.knowledge.models.base import Quantity
from medguide.knowledge.models.drug import AgeRule, Drug, ReproductionNote
from medguide.units import fmt_number, mass_in_unit

# Ages at which a pregnancy or breastfeeding question is worth asking when it is unanswered.
CHILDBEARING_AGE = (12.0, 55.0)


@dataclass(frozen=True)
class _Total:
    route: str
    amount: float | None  # None when the daily total is incomplete
    unit: str
    starting: bool


def _rule_q(q: Quantity, unit: str) -> float | None:
    """A rule's quantity in the total's unit (mg/kg compares as mg), or None if unrelated."""
    return mass_in_unit(q.value, q.unit, unit)


def _totals(ctx: Context, drug: Drug) -> list[_Total]:
    out = []
    for t in ctx.daily_totals:
        if t.drug_id != drug.id:
            continue
        starting = ctx.starting(drug.id, t.orders)
        out.append(_Total(t.route, t.amount if t.complete else None, t.unit, starting))
    return out


def _route_ok(rule_route: str, route: str) -> bool:
    return rule_route in ("any", route)


class _Acc:
    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.not_checked: list[NotChecked] = []
        self.per_kg: dict[str, Any] = {}

    def skip(self, check: str, reason: str, drug: Drug) -> None:
        item = NotChecked(check, reason, (drug.id,))
        if item not in self.not_checked:
            self.not_checked.append(item)


# --- age ------------------------------------------------------------------------------------


def _age_rule(
    ctx: Context, acc: _Acc, drug: Drug, rule: AgeRule, total: _Total, kidney: KidneyFunction
) -> None:
    patient = ctx.request.patient
    age = patient.age_years
    assert age is not None
    details: dict[str, Any] = {
        "rule": rule.id,
        "age_years": age,
        "route": total.route,
        "judgment": rule.judgment,
    }
    if rule.note:
        details["note"] = rule.note
    why: list[str] = []

    if rule.when_starting and not total.starting:
        return
    if rule.kidney_below is not None:
        value = kidney.value_for("either")
        if kidney.dialysis is not None:
            details["kidney"] = {"dialysis": kidney.dialysis}
            why.append(f"on {dialysis_label(kidney.dialysis)}")
        elif value is None:
            acc.skip(rule.code, f"{rule.text.split('.')[0]}: kidney function unknown", drug)
            return
        elif value.value >= rule.kidney_below:
            return
        else:
            details["kidney"] = {
                "measure": value.measure,
                "value": round(value.value, 1),
                "unit": value.unit,
                "formula": value.formula,
            }
            why.append(value.label())
    limits = (rule.daily_dose_at_or_above, rule.max_daily, rule.max_daily_per_kg)
    if any(q is not None for q in limits) and total.amount is None:
        acc.skip(
            rule.code,
            f"the daily total of {drug.name} is not known, so {rule.id} was not checked",
            drug,
        )
        return
    daily = total.amount
    if daily is not None:
        details["daily"] = {"amount": daily, "unit": total.unit}
    if rule.daily_dose_at_or_above is not None:
        assert daily is not None
        threshold = _rule_q(rule.daily_dose_at_or_above, total.unit)
        if threshold is None or daily < threshold:
            return
        details["threshold_daily"] = {"amount": threshold, "unit": total.unit}
        why.append(f"{fmt_number(daily)} {total.unit} a day")
    exceeded: list[str] = []
    if rule.max_daily is not None:
        assert daily is not None
        cap = _rule_q(rule.max_daily, total.unit)
        if cap is not None:
            details["max_daily"] = {"amount": cap, "unit": total.unit}
            if daily > cap:
                exceeded.append(
                    f"{fmt_number(daily)} {total.unit} a day is above {fmt_number(cap)}"
                )
    if rule.max_daily_per_kg is not None:
        assert daily is not None
        cap = _rule_q(rule.max_daily_per_kg, total.unit)
        if patient.weight_kg is None:
            acc.skip(
                rule.code,
                f"weight unknown, so the {rule.max_daily_per_kg}/day limit "
                f"for {drug.name} was not checked",
                drug,
            )
        elif cap is not None:
            per_kg = daily / patient.weight_kg
            details["per_kg_daily"] = {
                "amount": round(per_kg, 2),
                "unit": f"{total.unit}/kg/day",
                "weight_kg": patient.weight_kg,
            }
            details["max_daily_per_kg"] = {"amount": cap, "unit": f"{total.unit}/kg/day"}
            if per_kg > cap:
                exceeded.append(f"{per_kg:.2f} {total.unit}/kg/day is above {fmt_number(cap)}")
    if (rule.max_daily is not None or rule.max_daily_per_kg is not None) and not exceeded:
        return
    if exceeded:
        why.extend(exceeded)
    reason = "; ".join(why)
    advice: tuple[str, ...] = ("contact_prescriber",)
    if rule.kidney_below is not None:
        advice = ("contact_prescriber", "monitor_mental_status")
    if exceeded:
        advice = ("reduce_dose", "contact_prescriber")
    acc.findings.append(
        Finding(
            code=rule.code,
            severity=rule.severity,
            message=f"{drug.name}, age {fmt_number(age)}"
            + (f" ({reason})" if reason else "")
            + f": {rule.text}",
            drugs=(drug.id,),
            details=details,
            advice=advice,
            sources=rule.sources,
        )
    )


def _age(ctx: Context, acc: _Acc, drug: Drug, totals: list[_Total], kidney: KidneyFunction) -> None:
    patient = ctx.request.patient
    if patient.weight_kg is not None:
        for t in totals:
            if t.amount is not None:
                acc.per_kg[f"{drug.id}:{t.route}"] = {
                    "drug": drug.id,
                    "route": t.route,
                    "amount": round(t.amount / patient.weight_kg, 2),
                    "unit": f"{t.unit}/kg/day",
                    "weight_kg": patient.weight_kg,
                }
    rules = [r for r in drug.age_rules if any(_route_ok(r.route, t.route) for t in totals)]
    if not rules:
        return
    if patient.age_years is None:
        acc.skip(
            "age",
            f"age unknown: older-adult and child rules for {drug.name} were not checked",
            drug,
        )
        return
    for rule in rules:
        if not rule.age_years.contains(patient.age_years):
            continue
        for t in totals:
            if _route_ok(rule.route, t.route):
                _age_rule(ctx, acc, drug, rule, t, kidney)


# --- pregnancy and breastfeeding ---------------------------------------------------------


def _worst(notes: Iterable[ReproductionNote], default: Severity) -> Severity:
    sev: Severity = default
    for n in notes:
        if n.severity is not None and SEVERITY_RANK[n.severity] > SEVERITY_RANK[sev]:
            sev = n.severity
    return sev


def _repro_finding(
    code: str,
    drug: Drug,
    notes: list[ReproductionNote],
    default: Severity,
    lead: str,
    advice: tuple[str, ...],
) -> Finding:
    return Finding(
        code=code,
        severity=_worst(notes, default),
        message=f"{drug.name} — {lead}: " + " ".join(n.text for n in notes),
        drugs=(drug.id,),
        details={"statements": [n.text for n in notes], "judgment": any(n.judgment for n in notes)},
        advice=advice,
        sources=tuple(dict.fromkeys(s for n in notes for s in n.sources)),
    )


def _reproduction(ctx: Context, acc: _Acc, drug: Drug, routes: set[str]) -> None:
    patient = ctx.request.patient
    rep = drug.reproduction

    def pick(notes: Iterable[ReproductionNote]) -> list[ReproductionNote]:
        return [n for n in notes if any(_route_ok(n.route, r) for r in routes)]

    pregnancy = pick(rep.pregnancy)
    neonatal = pick(rep.neonatal)
    fetal = pick((rep.fetal_toxicity,) if rep.fetal_toxicity else ())
    lactation = pick(rep.lactation)
    could_be = patient.sex != "male" and (
        patient.age_years is None or CHILDBEARING_AGE[0] <= patient.age_years <= CHILDBEARING_AGE[1]
    )
    if patient.pregnant:
        if pregnancy:
            acc.findings.append(
                _repro_finding(
                    "pregnancy_caution",
                    drug,
                    pregnancy,
                    "moderate",
                    "in pregnancy",
                    ("contact_prescriber",),
                )
            )
        if neonatal:
            acc.findings.append(
                _repro_finding(
                    "neonatal_withdrawal_risk",
                    drug,
                    neonatal,
                    "moderate",
                    "withdrawal in the newborn",
                    ("do_not_stop_abruptly", "gradual_taper", "contact_prescriber"),
                )
            )
        if fetal:
            acc.findings.append(
                _repro_finding(
                    "fetal_toxicity",
                    drug,
                    fetal,
                    "high",
                    "harm to the unborn child",
                    ("contact_prescriber",),
                )
            )
    elif patient.pregnant is None and could_be and (pregnancy or neonatal or fetal):
        acc.skip(
            "pregnancy",
            f"pregnancy status not given; {drug.name} has pregnancy cautions that were not checked",
            drug,
        )
    if patient.breastfeeding:
        if lactation:
            acc.findings.append(
                _repro_finding(
                    "lactation_info",
                    drug,
                    lactation,
                    "low",
                    "while breastfeeding",
                    ("do_not_stop_abruptly", "contact_prescriber"),
                )
            )
    elif patient.breastfeeding is None and could_be and lactation:
        acc.skip(
            "breastfeeding",
            f"breastfeeding status not given; {drug.name} has "
            "breastfeeding information that was not checked",
            drug,
        )


# --- conditions -----------------------------------------------------------------------------


def _conditions(acc: _Acc, drug: Drug, routes: set[str], resolved: list[ResolvedCondition]) -> None:
    for cond in resolved:
        for rule in drug.conditions:
            if rule.condition not in cond.ids:
                continue
            if not any(_route_ok(rule.route, r) for r in routes):
                continue
            acc.findings.append(
                Finding(
                    code=rule.code,
                    severity=rule.severity,
                    message=f"{drug.name} with {cond.name}: {rule.text}",
                    drugs=(drug.id,),
                    details={
                        "condition": cond.condition_id,
                        "rule_condition": rule.condition,
                        "from": cond.query,
                        "matched_by": cond.method,
                        "route": rule.route,
                        "judgment": rule.judgment,
                    },
                    advice=("contact_prescriber",)
                    if rule.code
                    in ("contraindicated_condition", "hepatic_caution", "condition_caution")
                    else (),
                    sources=rule.sources,
                )
            )


def check_populations(ctx: Context) -> CheckResult:
    """Older adults, children, pregnancy and breastfeeding, and conditions."""
    acc = _Acc()
    patient = ctx.request.patient
    kidney = ctx.patient.kidney

    resolved: list[ResolvedCondition] = []
    computed_conditions: list[dict[str, Any]] = []
    for text in patient.conditions:
        hit = resolve_condition(ctx.catalog, text)
        if hit is None:
            acc.not_checked.append(
                NotChecked(
                    "conditions",
                    f"condition {text!r} is not in the vocabulary (or is negated); "
                    "its cautions were not checked",
                )
            )
            computed_conditions.append({"query": text, "condition": None})
        else:
            resolved.append(hit)
            computed_conditions.append(
                {
                    "query": text,
                    "condition": hit.condition_id,
                    "name": hit.name,
                    "matched_by": hit.method,
                }
            )

    drug_ids = tuple(dict.fromkeys(o.name.drug_id for o in ctx.orders if o.name.drug_id))
    for drug_id in drug_ids:
        drug = ctx.catalog.drug(drug_id)
        if drug is None:
            continue
        routes = {route_of(o, drug) for o in ctx.orders if o.name.drug_id == drug_id}
        totals = _totals(ctx, drug)
        _age(ctx, acc, drug, totals, kidney)
        _reproduction(ctx, acc, drug, routes)
        _conditions(acc, drug, routes, resolved)

    computed: dict[str, Any] = {}
    if acc.per_kg:
        computed["dose_per_kg"] = list(acc.per_kg.values())
    if computed_conditions:
        computed["conditions"] = computed_conditions
    return CheckResult(
        findings=tuple(acc.findings), not_checked=tuple(acc.not_checked), computed=computed
    )
