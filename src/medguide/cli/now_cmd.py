"""`medguide triage`, `medguide missed-dose`, `medguide overdose`: what to do right now.

For people, in plain words: when the level is an emergency, that advice is printed first.
`--json` gives the same result for programs. Bad input is one `error:` line and exit code 2.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

from medguide.cli.common import (
    catalog,
    fail,
    fail_service,
    print_json,
    validated,
    wants_json,
)
from medguide.cli.words import ADVICE_TEXT, LEVEL_TEXT


def _say(text: str = "") -> None:
    typer.echo(text)


def _render(result: dict[str, Any], version: str) -> None:
    tri = result.get("triage") or {}
    level = tri.get("level")
    advice = list(result.get("advice") or [])
    if level == "emergency":
        _say(LEVEL_TEXT["emergency"])
        _say()
    elif level == "urgent" and "call_poison_center" in advice:
        # A swallowed overdose cannot wait for "today": the poison centre is called now.
        _say("URGENT: call a poison centre now.")
        _say()
    elif level:
        _say(LEVEL_TEXT[level])
        _say()
    if advice:
        _say("What to do:")
        for code in advice:
            _say(f"  - {ADVICE_TEXT.get(code, code)}")
        _say()
    if tri.get("reasons"):
        _say("Why:")
        for why in tri["reasons"]:
            _say(f"  - {why}")
        _say()
    if tri.get("suspected_state"):
        _say(f"Suspected: {tri['suspected_state'].replace('_', ' ')}")
    if tri.get("not_understood"):
        _say("Not understood: " + "; ".join(tri["not_understood"]))
    if tri.get("absent"):
        _say("Read as not present: " + ", ".join(a.replace("_", " ") for a in tri["absent"]))
    for f in result.get("findings") or []:
        _say(f"[{f['severity']}] {f['message']}")
        notes = (f.get("details") or {}).get("clinician_notes") or []
        if notes:
            _say("  For clinicians:")
            for n in notes:
                _say(f"    - {n}")
        if f.get("sources"):
            _say(f"  Sources: {', '.join(f['sources'])}")
    for n in result.get("not_checked") or []:
        _say(f"Not checked: {n['reason']}")
    _say(f"knowledge {version}")


def _now() -> datetime:
    """The clock, read at the edge: the service itself never reads it."""
    return datetime.now().astimezone()


def _show(result: Any) -> None:
    data = result.as_dict()
    if wants_json():
        print_json(data)
    else:
        _render(data, data["knowledge_version"])


def triage(
    symptoms: Annotated[
        list[str] | None, typer.Argument(help="What you notice, in your words.")
    ] = None,
    drug: Annotated[str | None, typer.Option(help="The medicine taken (e.g. baclofen).")] = None,
    route: Annotated[
        str, typer.Option(metavar="ROUTE", help="oral, or intrathecal (a pump).")
    ] = "oral",
    daily_dose: Annotated[float | None, typer.Option(help="Usual daily dose in mg.")] = None,
    stopped_days_ago: Annotated[float | None, typer.Option(help="Stopped N days ago.")] = None,
    missed_doses: Annotated[int | None, typer.Option(help="Doses missed in a row.")] = None,
    increased_days_ago: Annotated[
        float | None, typer.Option("--dose-increased-days-ago", help="Dose raised N days ago.")
    ] = None,
    new_drug: Annotated[list[str] | None, typer.Option(help="A medicine started recently.")] = None,
    substance: Annotated[
        list[str] | None, typer.Option(help="Alcohol, herbs, other drugs.")
    ] = None,
    alcohol: Annotated[bool, typer.Option("--alcohol", help="Alcohol was drunk.")] = False,
    kidney_worse: Annotated[
        bool, typer.Option("--kidney-worse", help="Kidney function got worse.")
    ] = False,
    dialysis: Annotated[bool, typer.Option("--dialysis", help="On dialysis.")] = False,
    pump_alarm: Annotated[
        bool, typer.Option("--pump-alarm", help="The intrathecal pump alarmed.")
    ] = False,
    refill_missed: Annotated[
        bool, typer.Option("--refill-missed", help="A pump refill was missed.")
    ] = False,
    wants_to_stop: Annotated[
        bool, typer.Option("--wants-to-stop", help="Wants to stop the medicine.")
    ] = False,
    last_dose_hours_ago: Annotated[
        float | None, typer.Option(help="Hours since last dose.")
    ] = None,
    new: Annotated[bool, typer.Option("--new", help="Started the medicine recently.")] = False,
    age: Annotated[float | None, typer.Option(help="Age in years.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """How urgent is it? Symptoms weighed with what happened (stopped, missed, increased...).

    Example: medguide triage "can't wake him" "breathing slow" --drug baclofen
    """
    from medguide.service import ServiceError, TriageQuery
    from medguide.service import triage as run_triage

    if route not in ("oral", "intrathecal"):
        fail("--route must be oral or intrathecal", field="route")
    query = validated(
        TriageQuery,
        {
            "symptoms": [s for s in (symptoms or []) if s.strip()],
            "drug": drug,
            "route": route,
            "daily_dose_mg": daily_dose,
            "stopped_days_ago": stopped_days_ago,
            "missed_doses": missed_doses,
            "increased_days_ago": increased_days_ago,
            "new_drugs": list(new_drug or ()),
            "substances": [*(substance or ()), *(["alcohol"] if alcohol else [])],
            "kidney_worse": kidney_worse,
            "dialysis": dialysis,
            "pump_alarm": pump_alarm,
            "refill_missed": refill_missed,
            "wants_to_stop": wants_to_stop,
            "last_dose_hours_ago": last_dose_hours_ago,
            "new": new,
            "age_years": age,
        },
    )
    try:
        result = run_triage(catalog(), query, _now())
    except ServiceError as exc:
        fail_service(exc)
    _show(result)


def _parse_now(text: str | None, tz: str | None) -> datetime:
    from medguide.clinical.missed_dose import MissedDoseError, parse_clock, parse_zone

    try:
        zone = parse_zone(tz, datetime.now().astimezone().tzinfo)
        current = datetime.now(zone)
        if text is None:
            return current
        if text[:4].isdigit() and "-" in text:
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                fail(f"--now {text!r} is not a real date and time")
            return moment if moment.tzinfo else moment.replace(tzinfo=zone)
        clock = parse_clock(text, "time now")
        from medguide.clinical.missed_dose import wall_clock

        return wall_clock(current.date(), clock, zone).astimezone(zone)
    except MissedDoseError as exc:
        fail(str(exc))


def missed_dose(
    drug: Annotated[str, typer.Option(help="The medicine (e.g. baclofen).")],
    missed: Annotated[str, typer.Option(help="When the missed dose was due (07:00).")],
    next_: Annotated[str | None, typer.Option("--next", help="When the next dose is due.")] = None,
    every: Annotated[float | None, typer.Option(help="Hours between doses, if no --next.")] = None,
    now: Annotated[str | None, typer.Option(help="The time now (default: the clock).")] = None,
    tz: Annotated[str | None, typer.Option(help="Time zone, e.g. Europe/London.")] = None,
    count: Annotated[int, typer.Option("--count", help="Doses missed in a row.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Forgot a dose? Take it now or skip it; never double.

    Example: medguide missed-dose --drug baclofen --missed 07:00 --next 15:00 --now 08:15
    """
    from medguide.service import MissedDoseQuery, ServiceError
    from medguide.service import missed_dose as advise

    query = validated(
        MissedDoseQuery,
        {
            "drug": drug,
            "missed": missed,
            "next_due": next_,
            "every_hours": every,
            "timezone": tz,
            "count": count,
        },
    )
    cat = catalog()
    moment = _parse_now(now, tz)
    try:
        a = advise(cat, query, moment)
    except ServiceError as exc:
        fail_service(exc)
    if as_json:
        print_json({**a.as_dict(), "knowledge_version": cat.version})
        return
    if a.withdrawal_risk:
        _say(LEVEL_TEXT["urgent"])
        _say()
    _say(a.message)
    _say()
    _say("What to do:")
    for code in a.advice:
        _say(f"  - {ADVICE_TEXT.get(code, code)}")
    for n in a.notes:
        _say(f"Note: {n}")
    _say(f"Sources: {', '.join(a.sources)}")
    _say(f"knowledge {cat.version}")


def overdose(
    drug: Annotated[str, typer.Option(help="What was swallowed (e.g. baclofen).")],
    tablets: Annotated[float | None, typer.Option(help="Number of tablets.")] = None,
    strength: Annotated[float | None, typer.Option(help="mg in each tablet.")] = None,
    ml: Annotated[float | None, typer.Option("--ml", help="Millilitres of liquid.")] = None,
    concentration: Annotated[str | None, typer.Option(help="Liquid strength, '5 mg/mL'.")] = None,
    mg: Annotated[float | None, typer.Option("--mg", help="Total amount in mg.")] = None,
    mcg: Annotated[float | None, typer.Option("--mcg", help="Total amount in mcg.")] = None,
    hours_ago: Annotated[float | None, typer.Option(help="Hours since it was taken.")] = None,
    intentional: Annotated[
        bool | None, typer.Option("--intentional/--accidental", help="On purpose or not.")
    ] = None,
    route: Annotated[
        str | None,
        typer.Option(
            metavar="ROUTE",
            help="oral or intrathecal (default: the product's route, else oral).",
        ),
    ] = None,
    age: Annotated[float | None, typer.Option(help="Age in years.")] = None,
    weight: Annotated[float | None, typer.Option(help="Weight in kg.")] = None,
    crcl: Annotated[float | None, typer.Option(help="Kidney function, CrCl mL/min.")] = None,
    dialysis: Annotated[bool, typer.Option("--dialysis", help="On dialysis.")] = False,
    also: Annotated[list[str] | None, typer.Option(help="Also taken (alcohol, ...).")] = None,
    symptom: Annotated[list[str] | None, typer.Option(help="Symptoms now.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Someone took too much, or a child may have swallowed some: what now?

    Example: medguide overdose --drug baclofen --tablets 1 --strength 10 --age 3
    """
    from medguide.service import OverdoseQuery, ServiceError
    from medguide.service import overdose as run_overdose

    if route is not None and route not in ("oral", "intrathecal"):
        fail("--route must be oral or intrathecal", field="route")
    query = validated(
        OverdoseQuery,
        {
            "drug": drug,
            "tablets": tablets,
            "strength_mg": strength,
            "ml": ml,
            "concentration": concentration,
            "mg": mg,
            "mcg": mcg,
            "hours_ago": hours_ago,
            "intentional": intentional,
            "route": route,
            "age_years": age,
            "weight_kg": weight,
            "crcl_ml_min": crcl,
            "dialysis": dialysis,
            "also": list(also or ()),
            "symptoms": list(symptom or ()),
        },
    )
    try:
        result = run_overdose(catalog(), query, _now())
    except ServiceError as exc:
        fail_service(exc)
    _show(result)


def register(app: typer.Typer) -> None:
    app.command("triage")(triage)
    app.command("missed-dose")(missed_dose)
    app.command("overdose")(overdose)
