"""A plan as FHIR R4 `Dosage` entries (plain dicts).

One `Dosage` per plan step, in order (`sequence` 1, 2, …): the dose per administration with
UCUM units, how many times a day, the dates the step applies (`timing.repeat.boundsPeriod`)
and the most per day (`maxDosePerPeriod`, one Ratio in R4). The last step of a titration has
no end date: it is the dose to carry on with. A taper ends with a step saying to stop.
"""

from __future__ import annotations

from typing import Any

from medguide.clinical.plans import Plan, PlanStep

UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
# SNOMED CT route concepts (as in the FHIR route-codes value set).
ROUTES: dict[str, tuple[str, str]] = {
    "oral": ("26643006", "Oral route"),
    "intrathecal": ("72607000", "Intrathecal route"),
}


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": round(value, 4), "unit": unit, "system": UCUM, "code": unit}


def _times_a_day(n: int) -> str:
    return {1: "once a day", 2: "twice a day"}.get(n, f"{n} times a day")


def dosage_of_step(plan: Plan, step: PlanStep, text: str | None = None) -> dict[str, Any]:
    bounds: dict[str, str] = {"start": step.start.isoformat()}
    if not step.ongoing:
        bounds["end"] = step.end.isoformat()
    dosage: dict[str, Any] = {"sequence": step.index}
    if step.doses_per_day == 0:
        dosage["text"] = text or f"Stop {plan.drug_name} from {step.start.isoformat()}."
        dosage["timing"] = {"repeat": {"boundsPeriod": bounds}}
        return dosage
    volume = f" ({step.volume_ml:g} mL)" if step.volume_ml is not None else ""
    if step.how is not None:
        volume = f" ({step.how})"
    dosage["text"] = text or (
        f"{step.dose:g} {step.unit}{volume} {_times_a_day(step.doses_per_day)} "
        f"({step.daily:g} {step.unit} a day) from {step.start.isoformat()}"
        + ("" if step.ongoing else f" to {step.end.isoformat()}")
    )
    dosage["timing"] = {
        "repeat": {
            "boundsPeriod": bounds,
            "frequency": step.doses_per_day,
            "period": 1,
            "periodUnit": "d",
        }
    }
    if plan.route in ROUTES:
        code, display = ROUTES[plan.route]
        dosage["route"] = {"coding": [{"system": SNOMED, "code": code, "display": display}]}
    dosage["doseAndRate"] = [{"doseQuantity": _quantity(step.dose, step.unit)}]
    if plan.max_daily is not None:
        dosage["maxDosePerPeriod"] = {
            "numerator": _quantity(plan.max_daily, plan.unit),
            "denominator": {"value": 1, "unit": "d", "system": UCUM, "code": "d"},
        }
    return dosage


def dump_dosages(plan: Plan) -> list[dict[str, Any]]:
    """The plan's steps as FHIR R4 Dosage dicts, in order."""
    return [dosage_of_step(plan, s) for s in plan.steps]
