"""The kidney dose rules of each drug, read against the person's kidney function.

The kidney function itself (Cockcroft–Gault, CKD-EPI 2021, measured values, dialysis) is
worked out once per assessment in `kidney_function.py` and read here from the context.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from medguide.clinical.context import Context
from medguide.clinical.findings import CheckResult, Finding, NotChecked
from medguide.clinical.kidney_function import (
    AGE_RANGE,
    CREATININE_UMOL_PER_MG_DL,
    SCR_MG_DL_RANGE,
    WEIGHT_KG_RANGE,
    KidneyFunction,
    KidneyValue,
    Measure,
    Sex,
    WeightBasis,
    compute_crcl_cockcroft_gault,
    compute_egfr_ckd_epi_2021,
    compute_ideal_body_weight,
    compute_kidney_function,
    creatinine_mg_dl,
)
from medguide.clinical.limits import Ceiling, normal_kidney_max
from medguide.knowledge.models.drug import Drug, Renal, RenalBand
from medguide.units import fmt_number

__all__ = [
    "AGE_RANGE",
    "CREATININE_UMOL_PER_MG_DL",
    "SCR_MG_DL_RANGE",
    "WEIGHT_KG_RANGE",
    "KidneyFunction",
    "KidneyValue",
    "Measure",
    "RenalDecision",
    "Sex",
    "WeightBasis",
    "check_kidney",
    "compute_crcl_cockcroft_gault",
    "compute_egfr_ckd_epi_2021",
    "compute_ideal_body_weight",
    "compute_kidney_function",
    "creatinine_mg_dl",
    "dialysis_label",
    "renal_daily_cap",
    "renal_decision",
]

# --- rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenalDecision:
    """The kidney band that applies to a drug, and the value that chose it."""

    band: RenalBand
    value: KidneyValue | None  # None when dialysis chose it
    dialysis: str | None

    def driver(self) -> dict[str, Any]:
        if self.dialysis is not None:
            return {"dialysis": self.dialysis}
        assert self.value is not None
        return {
            "measure": self.value.measure,
            "value": round(self.value.value, 1),
            "unit": self.value.unit,
            "formula": self.value.formula,
        }

    def describe(self) -> str:
        if self.dialysis is not None:
            return dialysis_label(self.dialysis)
        assert self.value is not None
        return self.value.label()


def dialysis_label(dialysis: str) -> str:
    """'hemodialysis' or 'peritoneal dialysis', for messages."""
    return dialysis if dialysis.endswith("dialysis") else f"{dialysis} dialysis"


def _in_band(band: RenalBand, x: float) -> bool:
    return (band.at_or_above is None or x >= band.at_or_above) and (
        band.below is None or x < band.below
    )


def renal_decision(renal: Renal, kidney: KidneyFunction) -> RenalDecision | None:
    """The band for this kidney function; dialysis uses the dialysis rule, or else the
    lowest band (dialysis is kidney failure)."""
    if kidney.dialysis is not None:
        if renal.dialysis is not None:
            return RenalDecision(renal.dialysis, None, kidney.dialysis)
        lowest = [b for b in renal.bands if b.at_or_above is None]
        return RenalDecision(lowest[0], None, kidney.dialysis) if lowest else None
    for band in renal.bands:
        value = kidney.value_for(band.measure)
        if value is not None and _in_band(band, value.value):
            return RenalDecision(band, value, None)
    return None


def renal_daily_cap(
    renal: Renal, kidney: KidneyFunction, usual_daily: float, unit: str
) -> tuple[float, RenalDecision] | None:
    """The highest daily amount the kidney rule allows for a usual daily amount; never above
    it. None when no band limits the dose."""
    decision = renal_decision(renal, kidney)
    if decision is None or decision.band.action == "none":
        return None
    band = decision.band
    if band.action == "reduce":
        assert band.dose_factor is not None
        return min(usual_daily, usual_daily * band.dose_factor), decision
    fallback = band.if_unavoidable_daily
    if fallback is not None and fallback.unit == unit:
        return min(usual_daily, fallback.value), decision
    return 0.0, decision


def _solid_step(drug: Drug, route: str, unit: str) -> float | None:
    """The smallest whole tablet or packet strength of the drug's current products for the
    route, in `unit`; None when it has none in that unit."""
    values = [
        q.value
        for p in drug.products
        if p.route == route and p.status == "current" and p.form in ("tablet", "oral_granules")
        for q in p.strengths
        if q.unit == unit
    ]
    return min(values) if values else None


def _renal_finding(
    drug: Drug,
    decision: RenalDecision,
    daily: float | None,
    unit: str,
    route: str,
    reference: Ceiling | None,
) -> Finding | None:
    band = decision.band
    details: dict[str, Any] = {
        "kidney": decision.driver(),
        "band": {"at_or_above": band.at_or_above, "below": band.below, "measure": band.measure},
        "route": route,
        "current_daily": {"amount": daily, "unit": unit} if daily is not None else None,
        "judgment": band.judgment,
    }
    if band.note:
        details["note"] = band.note
    if band.action == "reduce":
        assert band.dose_factor is not None
        factor = band.dose_factor
        details["dose_factor"] = factor
        if reference is None:
            details["suggested_daily"] = None
            what = f"about {factor:g} × the usual daily dose (no maximum is known to scale)"
            severity = band.severity
        else:
            # The kidney-adjusted maximum: the factor of what this person could otherwise
            # take (clinical/limits.py), rounded down to what the solid products can make.
            limit = reference.amount * factor
            step = _solid_step(drug, route, unit)
            if step is not None and limit >= step:
                limit = math.floor(limit / step + 1e-9) * step
            details["kidney_max_daily"] = {"amount": limit, "unit": unit}
            details["reference_max_daily"] = {"amount": reference.amount, "unit": unit}
            over = daily is not None and daily > limit + 1e-9
            suggested = min(daily, limit) if daily is not None else limit
            details["suggested_daily"] = {"amount": suggested, "unit": unit}
            severity = band.severity if over or daily is None else "info"
            shown = (
                f"{fmt_number(daily)} {unit} a day is ordered"
                if daily is not None
                else "the daily total is not known"
            )
            what = (
                f"at most about {fmt_number(limit)} {unit} a day ({factor:g} × the "
                f"{fmt_number(reference.amount)} {unit} a day otherwise allowed); {shown}"
            )
            if daily is not None and not over:
                what += ", within it"
        return Finding(
            code="renal_dose_adjustment",
            severity=severity,
            message=f"{drug.name}: with {decision.describe()}, the dose is lower: {what}. "
            f"{band.text}",
            drugs=(drug.id,),
            details=details,
            advice=("reduce_dose", "contact_prescriber") if severity != "info" else (),
            sources=band.sources,
        )
    if band.action == "avoid":
        fallback = band.if_unavoidable_daily
        if fallback is not None:
            amount = (
                fallback.value
                if daily is None or fallback.unit != unit
                else min(daily, fallback.value)
            )
            details["if_unavoidable_daily"] = {"amount": amount, "unit": fallback.unit}
            details["suggested_daily"] = {"amount": amount, "unit": fallback.unit}
        return Finding(
            code="renal_avoid",
            severity=band.severity,
            message=f"{drug.name}: with {decision.describe()}, avoid it. {band.text}",
            drugs=(drug.id,),
            details=details,
            advice=("contact_prescriber", "monitor_mental_status"),
            sources=band.sources,
        )
    return None


def check_kidney(ctx: Context) -> CheckResult:
    """Kidney function (computed["kidney"]) and each covered drug's kidney rules."""

    if ctx.patient.kidney_error is not None:
        return CheckResult(not_checked=(NotChecked("kidney", ctx.patient.kidney_error),))
    kidney = ctx.patient.kidney
    findings: list[Finding] = []
    not_checked: list[NotChecked] = []
    pk: dict[str, Any] = {}  # issue 18: level figures for reduced kidneys
    totals = ctx.daily_totals
    drug_ids = tuple(dict.fromkeys(o.name.drug_id for o in ctx.orders if o.name.drug_id))
    for drug_id in drug_ids:
        drug = ctx.catalog.drug(drug_id)
        if drug is None:
            continue
        renal = drug.renal
        if renal is None:
            not_checked.append(
                NotChecked(
                    "kidney", f"the knowledge has no kidney rules for {drug.name}", (drug.id,)
                )
            )
            continue
        mine = [
            t
            for t in totals
            if t.drug_id == drug_id and (renal.route == "any" or t.route == renal.route)
        ]
        if not mine:
            continue
        if not kidney.known:
            if renal.renally_cleared:
                why = "; ".join(kidney.missing) or "no kidney values"
                not_checked.append(
                    NotChecked(
                        "renal_function_unknown",
                        f"{drug.name} is cleared by the kidneys, but kidney function is unknown "
                        f"({why}); give serum creatinine with age, weight and sex, a measured "
                        "creatinine clearance or eGFR, or the dialysis status",
                        (drug.id,),
                    )
                )
            continue
        decision = renal_decision(renal, kidney)
        if decision is None:
            continue
        if decision.value is not None and kidney.missing:
            # A value was found, but another one could not be worked out: say which and why,
            # so the reader knows the decision rests on the value that was available.
            not_checked.append(
                NotChecked(
                    "kidney",
                    "; ".join(kidney.missing)
                    + f"; {decision.value.label()} was used for {drug.name}",
                    (drug.id,),
                )
            )
        for total in mine:
            daily = total.amount if total.complete else None
            reference = normal_kidney_max(
                drug, total.route, total.unit, ctx.patient.age_years, ctx.patient.weight_kg
            )
            finding = _renal_finding(drug, decision, daily, total.unit, total.route, reference)
            if finding is not None:
                findings.append(finding)
        # --- issue 18 (pharmacokinetics): the steady-state level against normal kidneys ---
        if decision.band.action != "none":
            level = _pk_figures(ctx, drug, kidney)
            if level is not None:
                pk[drug.id] = level
    computed: dict[str, Any] = {"kidney": kidney.as_dict()}
    if pk:
        computed["pk"] = pk
    return CheckResult(
        findings=tuple(findings),
        not_checked=tuple(not_checked),
        computed=computed,
    )


def _pk_figures(ctx: Context, drug: Drug, kidney: KidneyFunction) -> dict[str, Any] | None:
    """Issue 18: the closed-form steady state of the drug's oral orders at this kidney
    function (`medguide.pk.steady`, standard library only), or None when the knowledge has
    no model figures or the orders give no dose and frequency. An illustration, never a
    prediction for the person; the figures say so."""
    from medguide.pk.params import pk_parameters
    from medguide.pk.steady import compute_steady_state

    params = pk_parameters(drug)
    doses = [
        d
        for d in ctx.doses
        if d.drug.id == drug.id
        and d.route == "oral"
        and d.unit == "mg"
        and d.amount
        and d.doses_per_day
        and not d.order.prn
    ]
    if params is None or not doses:
        return None
    daily = sum(d.amount * d.doses_per_day for d in doses if d.amount and d.doses_per_day)
    per_day = max(d.doses_per_day or 0.0 for d in doses)
    value = kidney.value_for("crcl")
    figures = compute_steady_state(
        params,
        daily / per_day,
        per_day,
        value.value if value is not None else None,
        on_dialysis=kidney.dialysis is not None,
    ).as_dict()
    if len(doses) > 1:
        figures["assumption"] = "several orders: their daily total taken in even doses"
    return figures
