"""Kidney function and the kidney dose rules of each drug.

Estimates
- Creatinine clearance by Cockcroft–Gault [S76], in mL/min:
  ``(140 − age) × weight / (72 × SCr mg/dL)``, × 0.85 for women. The weight is the **actual
  body weight by default**: that is what Vlavonou 2014 [S25] used to build the baclofen kidney
  bands, and it needs no height. `weight_basis="ideal"` uses the Devine ideal body weight
  [devine_1974] (or the actual weight if lower); `"adjusted"` uses ideal + 0.4 × (actual −
  ideal) when the actual weight is above ideal. Both need the height. The formula is for
  adults and is not computed under 18 years.
- eGFR by the race-free CKD-EPI 2021 creatinine equation [ckd_epi_2021], in
  mL/min/1.73 m²: ``142 × min(SCr/κ, 1)^α × max(SCr/κ, 1)^−1.200 × 0.9938^age`` (× 1.012 for
  women; κ 0.7 women, 0.9 men; α −0.241 women, −0.302 men). Adults only.
- Serum creatinine in µmol/L is turned into mg/dL by dividing by 88.4.
- A measured creatinine clearance or eGFR, when given, is used instead of the estimate.
- Dialysis (haemodialysis or peritoneal) overrides both: the drug's `dialysis` rule applies.

Every decision reports which value drove it (measure, value, formula, inputs).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from medguide.clinical.context import Context
from medguide.clinical.findings import CheckResult, Finding, NotChecked
from medguide.clinical.request import Patient
from medguide.knowledge.models.drug import Drug, Renal, RenalBand

CREATININE_UMOL_PER_MG_DL = 88.4
WeightBasis = Literal["actual", "ideal", "adjusted"]
Measure = Literal["crcl", "egfr"]
Sex = Literal["male", "female"]

# Plausibility limits for the formulas' inputs; outside them nothing is computed from a guess.
SCR_MG_DL_RANGE = (0.1, 25.0)
WEIGHT_KG_RANGE = (0.3, 400.0)
AGE_RANGE = (0.0, 125.0)


@dataclass(frozen=True)
class KidneyValue:
    """One kidney-function value with where it came from."""

    measure: Measure
    value: float
    formula: Literal["cockcroft_gault", "ckd_epi_2021", "measured"]
    inputs: Mapping[str, Any] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    note: str | None = None

    @property
    def unit(self) -> str:
        return "mL/min" if self.measure == "crcl" else "mL/min/1.73m2"

    def label(self) -> str:
        name = {"crcl": "creatinine clearance", "egfr": "eGFR"}[self.measure]
        how = {
            "cockcroft_gault": "Cockcroft–Gault",
            "ckd_epi_2021": "CKD-EPI 2021",
            "measured": "measured",
        }[self.formula]
        return f"{name} {self.value:.0f} {self.unit} ({how})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "value": round(self.value, 1),
            "unit": self.unit,
            "formula": self.formula,
            "inputs": dict(self.inputs),
            "sources": list(self.sources),
            **({"note": self.note} if self.note else {}),
        }


@dataclass(frozen=True)
class KidneyFunction:
    """What is known about a patient's kidneys."""

    crcl: KidneyValue | None = None
    egfr: KidneyValue | None = None
    dialysis: Literal["hemodialysis", "peritoneal"] | None = None
    missing: tuple[str, ...] = ()

    @property
    def known(self) -> bool:
        return self.dialysis is not None or self.crcl is not None or self.egfr is not None

    def value_for(self, measure: Literal["crcl", "egfr", "either"]) -> KidneyValue | None:
        """The value a rule asks for; `either` prefers creatinine clearance (the dosing
        studies' measure), and each falls back to the other when it is all there is."""
        if measure == "egfr":
            return self.egfr or self.crcl
        return self.crcl or self.egfr

    def as_dict(self) -> dict[str, Any]:
        main = self.value_for("either")
        out: dict[str, Any] = {
            "value": round(main.value, 1) if main else None,
            "measure": main.measure if main else None,
            "unit": main.unit if main else None,
            "formula": main.formula if main else None,
            "inputs": dict(main.inputs) if main else {},
            "crcl": self.crcl.as_dict() if self.crcl else None,
            "egfr": self.egfr.as_dict() if self.egfr else None,
            "dialysis": self.dialysis,
        }
        if self.missing:
            out["missing"] = list(self.missing)
        return out


def _check(name: str, value: float, bounds: tuple[float, float], unit: str) -> None:
    low, high = bounds
    if not (low <= value <= high):
        raise ValueError(f"{name} {value:g} {unit} is outside {low:g}-{high:g} {unit}")


def creatinine_mg_dl(value: float, unit: Literal["mg/dL", "umol/L"]) -> float:
    """Serum creatinine in mg/dL from mg/dL or µmol/L (÷ 88.4)."""
    mg = value if unit == "mg/dL" else value / CREATININE_UMOL_PER_MG_DL
    _check("serum creatinine", mg, SCR_MG_DL_RANGE, "mg/dL")
    return mg


def compute_ideal_body_weight(height_cm: float, sex: Sex) -> float:
    """Devine ideal body weight in kg: 50 (men) or 45.5 (women) + 2.3 kg per inch over 5 ft."""
    inches_over_5ft = height_cm / 2.54 - 60.0
    base = 50.0 if sex == "male" else 45.5
    return max(base + 2.3 * inches_over_5ft, 1.0)


def compute_crcl_cockcroft_gault(
    age_years: float,
    weight_kg: float,
    scr_mg_dl: float,
    sex: Sex,
    *,
    height_cm: float | None = None,
    weight_basis: WeightBasis = "actual",
) -> KidneyValue:
    """Creatinine clearance (mL/min) by Cockcroft–Gault.

    >>> round(compute_crcl_cockcroft_gault(82, 70, 1.8, "male").value, 1)
    31.3
    """
    _check("age", age_years, AGE_RANGE, "years")
    if age_years < 18:
        raise ValueError("Cockcroft–Gault is for adults (18 years and over)")
    _check("weight", weight_kg, WEIGHT_KG_RANGE, "kg")
    _check("serum creatinine", scr_mg_dl, SCR_MG_DL_RANGE, "mg/dL")
    weight = weight_kg
    inputs: dict[str, Any] = {
        "age_years": age_years,
        "weight_kg": weight_kg,
        "serum_creatinine_mg_dl": round(scr_mg_dl, 3),
        "sex": sex,
        "weight_basis": weight_basis,
    }
    sources: tuple[str, ...] = ("S76",)
    if weight_basis != "actual":
        if height_cm is None:
            raise ValueError(f"{weight_basis} body weight needs the height")
        ibw = compute_ideal_body_weight(height_cm, sex)
        if weight_basis == "ideal":
            weight = min(ibw, weight_kg)
        else:
            weight = ibw + 0.4 * (weight_kg - ibw) if weight_kg > ibw else weight_kg
        inputs.update(height_cm=height_cm, ideal_body_weight_kg=round(ibw, 1))
        sources = ("S76", "devine_1974")
    inputs["weight_used_kg"] = round(weight, 1)
    value = (140.0 - age_years) * weight / (72.0 * scr_mg_dl)
    if sex == "female":
        value *= 0.85
    return KidneyValue("crcl", max(value, 0.0), "cockcroft_gault", inputs, sources)


def compute_egfr_ckd_epi_2021(age_years: float, sex: Sex, scr_mg_dl: float) -> KidneyValue:
    """eGFR (mL/min/1.73 m²) by the race-free CKD-EPI 2021 creatinine equation.

    >>> round(compute_egfr_ckd_epi_2021(82, "male", 1.8).value)
    37
    """
    _check("age", age_years, AGE_RANGE, "years")
    if age_years < 18:
        raise ValueError("CKD-EPI 2021 is for adults (18 years and over)")
    _check("serum creatinine", scr_mg_dl, SCR_MG_DL_RANGE, "mg/dL")
    female = sex == "female"
    kappa = 0.7 if female else 0.9
    alpha = -0.241 if female else -0.302
    ratio = scr_mg_dl / kappa
    value = 142.0 * min(ratio, 1.0) ** alpha * max(ratio, 1.0) ** -1.200 * 0.9938**age_years
    if female:
        value *= 1.012
    inputs = {"age_years": age_years, "sex": sex, "serum_creatinine_mg_dl": round(scr_mg_dl, 3)}
    return KidneyValue("egfr", value, "ckd_epi_2021", inputs, ("ckd_epi_2021",))


def compute_kidney_function(
    patient: Patient, weight_basis: WeightBasis = "actual"
) -> KidneyFunction:
    """Everything the patient's values allow: measured values first, then the estimates."""
    missing: list[str] = []
    scr: float | None = None
    scr_input: dict[str, Any] = {}
    if patient.serum_creatinine_mg_dl is not None:
        scr = creatinine_mg_dl(patient.serum_creatinine_mg_dl, "mg/dL")
    elif patient.serum_creatinine_umol_l is not None:
        scr = creatinine_mg_dl(patient.serum_creatinine_umol_l, "umol/L")
        scr_input = {"serum_creatinine_umol_l": patient.serum_creatinine_umol_l}

    crcl: KidneyValue | None = None
    if patient.crcl_ml_min is not None:
        crcl = KidneyValue(
            "crcl", patient.crcl_ml_min, "measured", {"crcl_ml_min": patient.crcl_ml_min}
        )
    elif scr is not None:
        need = {"age": patient.age_years, "weight": patient.weight_kg, "sex": patient.sex}
        lacking = [k for k, v in need.items() if v is None]
        if lacking:
            missing.append("creatinine clearance needs " + ", ".join(lacking))
        elif patient.age_years is not None and patient.age_years < 18:
            missing.append("creatinine clearance (Cockcroft–Gault) is not used under 18 years")
        else:
            assert patient.age_years is not None and patient.weight_kg is not None
            assert patient.sex is not None
            basis = weight_basis if patient.height_cm is not None else "actual"
            crcl = compute_crcl_cockcroft_gault(
                patient.age_years,
                patient.weight_kg,
                scr,
                patient.sex,
                height_cm=patient.height_cm,
                weight_basis=basis,
            )
            if scr_input:
                crcl = replace(crcl, inputs={**crcl.inputs, **scr_input})

    egfr: KidneyValue | None = None
    if patient.egfr is not None:
        egfr = KidneyValue("egfr", patient.egfr, "measured", {"egfr": patient.egfr})
    elif scr is not None:
        if patient.age_years is None or patient.sex is None:
            missing.append("eGFR needs age and sex")
        elif patient.age_years < 18:
            missing.append("eGFR (CKD-EPI 2021) is not used under 18 years")
        else:
            egfr = compute_egfr_ckd_epi_2021(patient.age_years, patient.sex, scr)
            if scr_input:
                egfr = replace(egfr, inputs={**egfr.inputs, **scr_input})
    if scr is None and crcl is None and egfr is None:
        missing.append("no serum creatinine, creatinine clearance or eGFR")

    dialysis = patient.dialysis if patient.dialysis in ("hemodialysis", "peritoneal") else None
    return KidneyFunction(crcl, egfr, dialysis, tuple(missing))


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


def _fmt(x: float) -> str:
    return f"{x:.4g}"


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
    drug: Drug, decision: RenalDecision, daily: float | None, unit: str, route: str
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
        if daily is not None:
            # Rounded down to what the solid products can make (whole tablets or packets),
            # else to 0.5 of the unit: a kidney adjustment never raises a dose.
            exact = daily * factor
            step = _solid_step(drug, route, unit)
            suggested = min(daily, int(exact * 2) / 2)
            if step is not None and exact >= step:
                suggested = min(suggested, math.floor(exact / step + 1e-9) * step)
            details["suggested_daily"] = {"amount": suggested, "unit": unit}
            what = (
                f"about {_fmt(suggested)} {unit} a day instead of {_fmt(daily)} {unit} "
                f"(× {factor:g})"
            )
        else:
            details["suggested_daily"] = None
            what = f"about {factor:g} × the usual daily dose (the current total is not known)"
        return Finding(
            code="renal_dose_adjustment",
            severity=band.severity,
            message=f"{drug.name}: with {decision.describe()}, give a lower dose: {what}. "
            f"{band.text}",
            drugs=(drug.id,),
            details=details,
            advice=("reduce_dose", "contact_prescriber"),
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

    try:
        kidney = compute_kidney_function(ctx.request.patient)
    except ValueError as exc:  # out-of-range values that slipped past the request limits
        return CheckResult(not_checked=(NotChecked("kidney", str(exc)),))
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
            finding = _renal_finding(drug, decision, daily, total.unit, total.route)
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
