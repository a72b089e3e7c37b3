"""`medguide plan titrate …` and `medguide plan taper …`: dated dose plans.

Output: a readable table (default), the plan as JSON (`--json`), FHIR R4 Dosage entries
(`--fhir`), and an iCalendar file with one event per dose (`--ics FILE`).
Bad input (an absurd creatinine, a weight in pounds without its unit, an unknown drug, a
malformed date) gives one `error:` line and a non-zero exit; nothing is computed from a guess.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from medguide.cli.common import catalog, fail, fail_service, print_json, validated
from medguide.units import convert_mass

if TYPE_CHECKING:
    from medguide.clinical.kidney import KidneyFunction
    from medguide.clinical.plans import Plan
    from medguide.service import PlanResult

plan_app = typer.Typer(
    name="plan",
    help="Titration and taper plans: dated doses, never above a maximum.",
    no_args_is_help=True,
)

_NUM_UNIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-zµμ/]*)\s*$")
_LB = {"lb", "lbs", "pound", "pounds"}
_KG = {"", "kg", "kgs", "kilo", "kilos", "kilogram", "kilograms"}
# A bare number above this for an age below the bound (years) is refused as a likely weight
# in pounds (the limits are about 1.5 times a 99th-centile weight). Writing the unit ("40 kg")
# accepts it.
_MAX_KG_FOR_AGE = (
    (1.0, 15.0),
    (3.0, 25.0),
    (6.0, 35.0),
    (10.0, 60.0),
    (14.0, 100.0),
    (18.0, 180.0),
    (200.0, 150.0),  # adults: a bare number over 150 is as likely pounds as kilograms
)


def _weight(text: str | None, age: float | None) -> float | None:
    if text is None:
        return None
    m = _NUM_UNIT.match(text)
    if not m:
        fail(f"weight {text!r} is not a number with an optional unit (kg or lb)")
    value, unit = float(m.group(1)), m.group(2).lower()
    if unit in _LB:
        return round(convert_mass(value, "lb", "kg"), 2)
    if unit not in _KG:
        fail(f"weight unit {m.group(2)!r} is not known; use kg or lb")
    if not unit:
        for below, most in _MAX_KG_FOR_AGE:
            if (age if age is not None else 99.0) < below and value > most:
                fail(
                    f"weight {value:g} without a unit is not plausible in kg"
                    + (f" at age {age:g}" if age is not None else "")
                    + f"; if it is in pounds write '{value:g} lb', or '{value:g} kg' if it is right"
                )
    return value


def _creatinine(text: str | None) -> tuple[float | None, float | None]:
    """(mg/dL, µmol/L); a bare number is mg/dL and must be plausible as such."""
    if text is None:
        return None, None
    m = _NUM_UNIT.match(text)
    if not m:
        fail(f"creatinine {text!r} is not a number with an optional unit (mg/dL or umol/L)")
    value, unit = float(m.group(1)), m.group(2).lower().replace("μ", "u").replace("µ", "u")
    if unit in ("umol/l", "umol"):
        if not 9 <= value <= 2200:
            fail(f"creatinine {value:g} µmol/L is outside the plausible 9-2200 µmol/L")
        return None, value
    if unit not in ("", "mg/dl"):
        fail(f"creatinine unit {m.group(2)!r} is not known; use mg/dL or umol/L")
    if not 0.1 <= value <= 25:
        hint = f"; if it is in µmol/L, write '{value:g} umol/L'" if value > 25 else ""
        fail(f"creatinine {value:g} mg/dL is outside the plausible 0.1-25 mg/dL{hint}")
    return value, None


def _date(text: str | None) -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"start date {text!r} is not a date in the form YYYY-MM-DD")


def _patient(
    age: float | None,
    weight: str | None,
    sex: str | None,
    height: float | None,
    creatinine: str | None,
    crcl: float | None,
    egfr: float | None,
    dialysis: str | None,
) -> dict[str, Any]:
    mg, umol = _creatinine(creatinine)
    return {
        "age_years": age,
        "weight_kg": _weight(weight, age),
        "sex": sex,
        "height_cm": height,
        "serum_creatinine_mg_dl": mg,
        "serum_creatinine_umol_l": umol,
        "crcl_ml_min": crcl,
        "egfr": egfr,
        "dialysis": dialysis,
    }


def _run(job: str, query: dict[str, Any]) -> PlanResult:
    from medguide import service

    q = validated(service.PlanQuery, query)
    try:
        run = service.plan_titrate if job == "titrate" else service.plan_taper
        return run(catalog(), q)
    except service.ServiceError as exc:
        fail_service(exc)


def _emit(
    result: PlanResult,
    as_json: bool,
    fhir: bool,
    ics: Path | None,
    timezone: str,
    times: str | None,
) -> None:
    from medguide.interop.ical import dump_ical, zone

    plan, kidney, version = result.plan, result.kidney, result.knowledge_version

    try:
        zone(timezone)
    except ValueError as exc:
        fail(str(exc))
    clock = tuple(t.strip() for t in times.split(",")) if times else None
    if clock:
        for t in clock:
            if not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", t):
                fail(f"time {t!r} is not HH:MM")
    if ics is not None:
        try:
            ics.write_bytes(dump_ical(plan, timezone, times=clock, knowledge_version=version))
        except OSError as exc:
            fail(f"cannot write {ics}: {exc.strerror}")
    if fhir:
        from medguide.interop.fhir import dump_dosages

        print_json(dump_dosages(plan))
    elif as_json:
        print_json(
            {
                "plan": plan.as_dict(),
                "kidney": kidney.as_dict(),
                "timezone": timezone,
                "knowledge_version": version,
            }
        )
    else:
        _render(plan, kidney)
        typer.echo(f"knowledge {version}")
    if ics is not None and not (fhir or as_json):
        doses = sum(s.days * s.doses_per_day for s in plan.steps)
        typer.echo(f"wrote {doses} dose events to {ics} (time zone {timezone})")


def _render(plan: Plan, kidney: KidneyFunction) -> None:
    head = f"{plan.drug_name} {plan.kind} plan ({plan.route}"
    if plan.product_name:
        head += f", {plan.product_name}"
        if plan.concentration:
            head += f" {plan.concentration}"
    typer.echo(head + ")")
    main = kidney.value_for("either")
    if kidney.dialysis:
        from medguide.clinical.kidney import dialysis_label

        typer.echo(f"kidneys: on {dialysis_label(kidney.dialysis)}")
    elif main is not None:
        typer.echo(f"kidneys: {main.label()}")
    for s in plan.steps:
        when = f"{s.start.isoformat()} to {s.end.isoformat()}" + (" and on" if s.ongoing else "")
        if s.doses_per_day == 0:
            typer.echo(f"  {s.start.isoformat()}: stop (no more doses)")
            continue
        vol = f" = {s.volume_ml:g} mL" if s.volume_ml is not None else ""
        if s.how is not None:
            vol = f" ({s.how})"
        typer.echo(
            f"  {when}: {s.dose:g} {s.unit}{vol} × {s.doses_per_day} a day "
            f"= {s.daily:g} {s.unit}/day"
        )
    if plan.max_daily is not None:
        typer.echo(f"maximum for this person: {plan.max_daily:g} {plan.unit}/day")
    if plan.level is not None:
        lv = plan.level
        path = " → ".join(f"day {s['day']} {s['average']:.0f}" for s in lv["steps"])
        typer.echo(f"level, typical person (ng/mL, daily average): {path}")
        if lv.get("cleared_by_day"):
            typer.echo(f"  essentially gone by day {lv['cleared_by_day']}")
        typer.echo(
            "  an illustration from published averages, not a prediction for you "
            f"[{', '.join(lv['sources'])}]"
        )
    for w in plan.warnings:
        src = f" [{', '.join(w.sources)}]" if w.sources else ""
        typer.echo(f"! {w.code}: {w.message}{src}")
    typer.echo(f"sources: {', '.join(plan.sources)}")


_Drug = Annotated[str, typer.Option("--drug", help="Drug or brand name, e.g. baclofen, Ozobax.")]
_Age = Annotated[float | None, typer.Option("--age", help="Age in years.")]
_Weight = Annotated[str | None, typer.Option("--weight", help="Weight: '70', '70 kg', '154 lb'.")]
_Sex = Annotated[str | None, typer.Option("--sex", metavar="SEX", help="male or female.")]
_Height = Annotated[float | None, typer.Option("--height", help="Height in cm.")]
_Creat = Annotated[
    str | None,
    typer.Option("--creatinine", help="Serum creatinine: '1.8' (mg/dL) or '159 umol/L'."),
]
_Crcl = Annotated[float | None, typer.Option("--crcl", help="Measured creatinine clearance.")]
_Egfr = Annotated[float | None, typer.Option("--egfr", help="eGFR in mL/min/1.73 m².")]
_Dial = Annotated[
    str | None,
    typer.Option("--dialysis", metavar="none|hemodialysis|peritoneal", help="Dialysis, if any."),
]
_Start = Annotated[str | None, typer.Option("--start", help="First day, YYYY-MM-DD (today).")]
_Tz = Annotated[str, typer.Option("--timezone", help="IANA zone for the calendar.")]
_Times = Annotated[str | None, typer.Option("--times", help="Dose times, e.g. 08:00,14:00,20:00.")]
_Json = Annotated[bool, typer.Option("--json", help="The plan as JSON.")]
_Fhir = Annotated[bool, typer.Option("--fhir", help="FHIR R4 Dosage entries as JSON.")]
_Ics = Annotated[Path | None, typer.Option("--ics", help="Write an iCalendar file.")]
_Product = Annotated[
    str | None,
    typer.Option("--product", help="Product id (e.g. ozobax, fleqsuvy) for liquid volumes."),
]
_Unit = Annotated[str | None, typer.Option("--unit", help="Unit of --dose: mg, mcg or mL.")]
_Freq = Annotated[str | None, typer.Option("--frequency", help="TID, QID, 'twice a day'…")]


@plan_app.command("titrate")
def titrate(
    drug: _Drug,
    target: Annotated[
        str | None, typer.Option("--target", help="Daily target, e.g. '60 mg'.")
    ] = None,
    dose: Annotated[float | None, typer.Option("--dose", help="Current dose, if any.")] = None,
    unit: _Unit = None,
    frequency: _Freq = None,
    start: _Start = None,
    step_days: Annotated[
        int | None, typer.Option("--step-days", help="Days per step (only slower than the label).")
    ] = None,
    product: _Product = None,
    age: _Age = None,
    weight: _Weight = None,
    sex: _Sex = None,
    height: _Height = None,
    creatinine: _Creat = None,
    crcl: _Crcl = None,
    egfr: _Egfr = None,
    dialysis: _Dial = None,
    timezone: _Tz = "UTC",
    times: _Times = None,
    as_json: _Json = False,
    fhir: _Fhir = False,
    ics: _Ics = None,
) -> None:
    """A step-by-step increase to the target, capped by kidney, age and label limits."""
    query = {
        "drug": drug,
        "start": _date(start),
        "target": target,
        "dose": dose,
        "unit": unit,
        "frequency": frequency,
        "step_days": step_days,
        "product": product,
        "patient": _patient(age, weight, sex, height, creatinine, crcl, egfr, dialysis),
    }
    _emit(_run("titrate", query), as_json, fhir, ics, timezone, times)


@plan_app.command("taper")
def taper(
    drug: _Drug,
    dose: Annotated[float, typer.Option("--dose", help="Current dose per administration.")],
    frequency: Annotated[str, typer.Option("--frequency", help="TID, QID, 'twice a day'…")],
    unit: _Unit = "mg",
    start: _Start = None,
    on_drug_days: Annotated[
        int | None, typer.Option("--on-drug-days", help="How many days it has been taken.")
    ] = None,
    days: Annotated[
        int | None, typer.Option("--days", help="A longer taper than the minimum.")
    ] = None,
    route: Annotated[
        str | None,
        typer.Option("--route", help="oral or intrathecal (default: the product's, else oral)."),
    ] = None,
    product: _Product = None,
    age: _Age = None,
    weight: _Weight = None,
    sex: _Sex = None,
    height: _Height = None,
    creatinine: _Creat = None,
    crcl: _Crcl = None,
    egfr: _Egfr = None,
    dialysis: _Dial = None,
    timezone: _Tz = "UTC",
    times: _Times = None,
    as_json: _Json = False,
    fhir: _Fhir = False,
    ics: _Ics = None,
) -> None:
    """A step-by-step reduction to zero that never rises and never stops a high dose at once."""
    if route is not None and route not in ("oral", "intrathecal"):
        fail("--route must be oral or intrathecal", field="route")
    query = {
        "drug": drug,
        "start": _date(start),
        "dose": dose,
        "unit": unit,
        "frequency": frequency,
        "route": route,
        "product": product,
        "on_drug_days": on_drug_days,
        "days": days,
        "patient": _patient(age, weight, sex, height, creatinine, crcl, egfr, dialysis),
    }
    _emit(_run("taper", query), as_json, fhir, ics, timezone, times)


def register(app: typer.Typer) -> None:
    app.add_typer(plan_app, name="plan")
