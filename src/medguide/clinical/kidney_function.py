"""Kidney function: the estimates and the measured values, worked out once per person.

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

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from medguide.clinical.request import Patient

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
