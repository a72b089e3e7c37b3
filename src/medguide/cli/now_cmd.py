"""`medguide triage`, `medguide missed-dose`, `medguide overdose`: what to do right now.

For people, in plain words: when the level is an emergency, that advice is printed first.
`--json` gives the same result for programs. Bad input is one `error:` line and exit code 2.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

from medguide.cli.common import catalog, fail, print_json
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
    if tri.get("check_for"):  # words not read: say so first, with the red flags to check
        _say(
            "Not understood: " + "; ".join(tri["not_understood"]) + ". Call emergency "
            "services now if any of these is happening:"
        )
        for flag in tri["check_for"]:
            _say(f"  - {flag}")
        _say()
    if level == "urgent" and "call_poison_center" in advice:
        # A swallowed overdose cannot wait for "today": the poison centre is called now.
        _say("URGENT: call a poison centre now.")
        _say()
    elif level and level != "emergency":
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
    if tri.get("not_understood") and not tri.get("check_for"):
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


def _request(data: dict[str, Any]) -> Any:
    from pydantic import ValidationError

    from medguide.cli.common import describe_validation_error
    from medguide.clinical.request import AssessRequest

    try:
        return AssessRequest.model_validate(data)
    except ValidationError as exc:
        fail(describe_validation_error(exc))


def _run_now(data: dict[str, Any], now: datetime | None) -> tuple[dict[str, Any], str]:
    from medguide.clinical.context import build_context
    from medguide.clinical.triage import check_now

    cat = catalog()
    req = _request(data)
    result = check_now(build_context(cat, req, now or req.now))
    return {
        "triage": dict(result.triage) if result.triage else None,
        "advice": list(result.advice),
        "findings": [f.as_dict() for f in result.findings],
        "computed": dict(result.computed),
        "not_checked": [n.as_dict() for n in result.not_checked],
        "knowledge_version": cat.version,
    }, cat.version


def _covered(name: str) -> str:
    from medguide.knowledge.names import resolve_name

    cat = catalog()
    r = resolve_name(cat, name)
    if not r.drug_id or r.drug_id not in cat.drugs:
        fail(f"unknown drug {name!r}; see `medguide drugs`", 3)
    return r.drug_id


def triage(
    symptoms: Annotated[
        list[str] | None, typer.Argument(help="What you notice, in your words.")
    ] = None,
    drug: Annotated[str | None, typer.Option(help="The medicine taken (e.g. baclofen).")] = None,
    route: Annotated[str, typer.Option(help="oral or intrathecal (pump).")] = "oral",
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
    alcohol: Annotated[bool, typer.Option(help="Alcohol was drunk.")] = False,
    kidney_worse: Annotated[bool, typer.Option(help="Kidney function got worse.")] = False,
    dialysis: Annotated[bool, typer.Option(help="On dialysis.")] = False,
    pump_alarm: Annotated[bool, typer.Option(help="The intrathecal pump alarmed.")] = False,
    refill_missed: Annotated[bool, typer.Option(help="A pump refill was missed.")] = False,
    wants_to_stop: Annotated[bool, typer.Option(help="Wants to stop the medicine.")] = False,
    last_dose_hours_ago: Annotated[
        float | None, typer.Option(help="Hours since last dose.")
    ] = None,
    new: Annotated[bool, typer.Option(help="Started the medicine recently.")] = False,
    age: Annotated[float | None, typer.Option(help="Age in years.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """How urgent is it? Symptoms weighed with what happened (stopped, missed, increased...).

    Example: medguide triage "can't wake him" "breathing slow" --drug baclofen
    """
    words = [s for s in (symptoms or []) if s.strip()]
    events: list[dict[str, Any]] = []
    if stopped_days_ago is not None:
        events.append(
            {"kind": "stopped", "days_ago": stopped_days_ago, "daily_dose_mg": daily_dose}
        )
    if missed_doses is not None and missed_doses < 1:
        fail("--missed-doses must be 1 or more")
    if increased_days_ago is not None:
        events.append(
            {"kind": "dose_increased", "days_ago": increased_days_ago, "daily_dose_mg": daily_dose}
        )
    events += [{"kind": "started_drug", "drug": d} for d in new_drug or ()]
    for flag, kind in (
        (kidney_worse, "kidney_function_worse"),
        (pump_alarm, "pump_alarm"),
        (refill_missed, "pump_refill_missed"),
        (wants_to_stop, "wants_to_stop"),
    ):
        if flag:
            events.append({"kind": kind})
    substances = [*(substance or ()), *(["alcohol"] if alcohol else [])]
    if route not in ("oral", "intrathecal"):
        fail("--route must be oral or intrathecal")
    if drug is None:
        if events or substances or dialysis or last_dose_hours_ago is not None:
            fail("give --drug with the events (e.g. --drug baclofen)")
        if not words:
            fail('say what you notice, e.g. medguide triage "very sleepy"')
        _symptoms_only(words, as_json)
        return
    drug_id = _covered(drug)
    rule = catalog().drugs[drug_id].missed_dose
    threshold = rule.consecutive_missed_withdrawal_risk if rule else None
    if missed_doses and threshold and missed_doses >= threshold:
        events.append({"kind": "doses_missed", "daily_dose_mg": daily_dose})
    if not words and not events and last_dose_hours_ago is None:
        fail("say what you notice, or what happened (e.g. --stopped-days-ago 2)")
    med: dict[str, Any] = {"drug": drug, "route": route, "new": new}
    data: dict[str, Any] = {
        "medications": [med],
        "symptoms": words,
        "events": events,
        "substances": substances,
        "patient": {"age_years": age, **({"dialysis": "hemodialysis"} if dialysis else {})},
        "last_dose_hours_ago": last_dose_hours_ago,
    }
    result, version = _run_now(data, datetime.now().astimezone())
    if as_json:
        print_json(result)
    else:
        _render(result, version)


def _symptoms_only(words: list[str], as_json: bool) -> None:
    from medguide.clinical.triage import Situation, check_triage

    cat = catalog()
    t = check_triage(cat.symptoms, words, Situation())
    advice = list(t.advice)
    if t.level == "emergency" and "call_emergency_services" not in advice:
        advice.insert(0, "call_emergency_services")
    result = {
        "triage": t.as_dict(),
        "advice": advice,
        "findings": [f.as_dict() for f in t.findings],
        "not_checked": [
            {
                "check": "situation",
                "reason": "no medicine given (--drug); symptoms were weighed on their own",
                "drugs": [],
            }
        ],
        "knowledge_version": cat.version,
    }
    if as_json:
        print_json(result)
    else:
        _render(result, cat.version)


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
    from medguide.clinical.missed_dose import MissedDoseError, advise_missed_dose

    drug_id = _covered(drug)
    cat = catalog()
    rule = cat.drugs[drug_id].missed_dose
    if rule is None:
        fail(f"no missed-dose rule is recorded for {drug}; ask a pharmacist", 3)
    if count < 1:
        fail("--count must be 1 or more")
    moment = _parse_now(now, tz)
    try:
        a = advise_missed_dose(
            rule,
            missed=missed,
            next_due=next_,
            interval_hours=every,
            now=moment,
            tz=tz or moment.tzinfo,
            consecutive_missed=count,
            drug=drug_id,
        )
    except MissedDoseError as exc:
        fail(str(exc))
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
    route: Annotated[str, typer.Option(help="oral, or intrathecal for a pump error.")] = "oral",
    age: Annotated[float | None, typer.Option(help="Age in years.")] = None,
    weight: Annotated[float | None, typer.Option(help="Weight in kg.")] = None,
    crcl: Annotated[float | None, typer.Option(help="Kidney function, CrCl mL/min.")] = None,
    dialysis: Annotated[bool, typer.Option(help="On dialysis.")] = False,
    also: Annotated[list[str] | None, typer.Option(help="Also taken (alcohol, ...).")] = None,
    symptom: Annotated[list[str] | None, typer.Option(help="Symptoms now.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Someone took too much, or a child may have swallowed some: what now?

    Example: medguide overdose --drug baclofen --tablets 1 --strength 10 --age 3
    """
    given = [x for x in (tablets, ml, mg, mcg) if x is not None]
    if len(given) > 1:
        fail("give the amount one way: --tablets, --ml, --mg or --mcg")
    if strength is not None and tablets is None:
        fail("--strength goes with --tablets")
    if concentration is not None and ml is None:
        fail("--concentration goes with --ml")
    if route not in ("oral", "intrathecal"):
        fail("--route must be oral or intrathecal")
    _covered(drug)
    amount, unit = None, None
    if tablets is not None:
        amount, unit = tablets, "tablet"
    elif ml is not None:
        amount, unit = ml, "mL"
    elif mg is not None:
        amount, unit = mg, "mg"
    elif mcg is not None:
        amount, unit = mcg, "mcg"
    data: dict[str, Any] = {
        "medications": [{"drug": drug, "route": route}],
        "ingestion": {
            "drug": drug,
            "amount": amount,
            "unit": unit,
            "strength_mg": strength,
            "concentration": concentration,
            "hours_ago": hours_ago,
            "intentional": intentional,
            "route": route,
        },
        "patient": {
            "age_years": age,
            "weight_kg": weight,
            "crcl_ml_min": crcl,
            **({"dialysis": "hemodialysis"} if dialysis else {}),
        },
        "substances": list(also or ()),
        "symptoms": list(symptom or ()),
    }
    result, version = _run_now(data, datetime.now().astimezone())
    if as_json:
        print_json(result)
    else:
        _render(result, version)


def register(app: typer.Typer) -> None:
    app.command("triage")(triage)
    app.command("missed-dose")(missed_dose)
    app.command("overdose")(overdose)
