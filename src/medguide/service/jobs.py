"""The service's jobs: each turns a query into the clinical model, runs the clinical
functions and returns their typed result. Pure over (catalog, query, now): no I/O, no clock.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from medguide.clinical.assess import Assessment
from medguide.clinical.assess import assess as _assess
from medguide.clinical.findings import NotChecked
from medguide.clinical.request import AssessRequest
from medguide.knowledge.catalog import Catalog
from medguide.knowledge.models.drug import Drug
from medguide.service.errors import ServiceError
from medguide.service.queries import (
    MissedDoseQuery,
    OverdoseQuery,
    PkQuery,
    PkResult,
    PlanQuery,
    PlanResult,
    TriageQuery,
)

if TYPE_CHECKING:
    from medguide.answers.answer import Answer
    from medguide.answers.guide import Guide
    from medguide.clinical.missed_dose import MissedDoseAdvice


def _field_of(exc: ValidationError) -> str | None:
    loc = exc.errors()[0]["loc"]
    return ".".join(str(p) for p in loc) or None


def _request(data: dict[str, Any]) -> AssessRequest:
    try:
        return AssessRequest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ServiceError(str(first["msg"]), field=_field_of(exc)) from None


def covered_drug(catalog: Catalog, name: str) -> Drug:
    """The catalog drug a name stands for (brand, synonym, misspelling), or a clear error."""
    from medguide.knowledge.names import resolve_name

    r = resolve_name(catalog, name)
    drug = catalog.drug(r.drug_id) if r.drug_id else None
    if drug is None:
        raise ServiceError(_not_covered(catalog, name, r), kind="not_found", field="drug")
    return drug


def _not_covered(catalog: Catalog, name: str, r: Any) -> str:
    """Why a name has no monograph, in the words that fit what is known of it."""
    entry = catalog.class_entries.get(r.class_entry) if r.class_entry else None
    if entry is not None and entry.ingredients:
        parts = " and ".join(catalog.display_name(i) for i in entry.ingredients)
        guides = [i for i in entry.ingredients if i in catalog.drugs]
        more = f"; see the guide of {' or '.join(guides)}" if guides else ""
        return f"{name!r} is a combination of {parts}{more}"
    if entry is not None:
        classes = ", ".join(catalog.classes[c].name for c in entry.classes) or "a combination"
        return (
            f"{name!r} is {entry.name}, known by class only ({classes}), no monograph. Its "
            "interactions are screened by class; ask a pharmacist about anything else"
        )
    if r.ingredient:
        return (
            f"{name!r} is {r.ingredient}, a known medicine that medguide does not cover yet; "
            "ask a pharmacist"
        )
    return f"unknown drug {name!r}; see `medguide drugs`"


# --- the assessment and what to do now -----------------------------------------------------


def _check_names(catalog: Catalog, request: AssessRequest) -> None:
    """Contradictions only the catalog can see: a `replaces` naming another drug, a pump
    block for a drug with no intrathecal product. One clear error; nothing guessed."""
    from medguide.knowledge.names import resolve_name

    def drug_id(name: str | None) -> str | None:
        return resolve_name(catalog, name).drug_id if name else None

    for i, med in enumerate(request.medications):
        prior = med.replaces
        if prior is None or prior.drug is None:
            continue
        new = drug_id(med.drug) or (drug_id(med.text.split()[0]) if med.text else None)
        old = drug_id(prior.drug)
        if new and old and new != old:
            raise ServiceError(
                f"'replaces' names {prior.drug!r}, another drug than the order's; a switch "
                "to another drug is a new order beside a stopped one, not a change of dose",
                field=f"medications.{i}.replaces.drug",
            )
    pump = request.pump
    if pump is not None:
        found = drug_id(pump.drug)
        drug = catalog.drug(found) if found else None
        if drug is not None and not any(p.route == "intrathecal" for p in drug.products):
            raise ServiceError(
                f"a pump block names {pump.drug!r}, which has no intrathecal product",
                field="pump.drug",
            )


def _question_events(catalog: Catalog, request: AssessRequest, intents: tuple[str, ...]) -> Any:
    """A question about stopping, asked with a regimen, is a wish to stop that regimen: the
    assessment then plans the person's own taper."""
    if "stopping" not in intents or any(e.kind == "wants_to_stop" for e in request.events):
        return request
    from medguide.clinical.request import Event

    events = [Event(kind="wants_to_stop")] if request.medications else []
    return request.model_copy(update={"events": (*request.events, *events)})


def assess(catalog: Catalog, request: AssessRequest, now: datetime | None = None) -> Assessment:
    """Every check on one request (DESIGN.md, "The assessment contract").

    A `question` is answered in the context of the regimen, and its answer comes back with
    the assessment.
    """
    _check_names(catalog, request)
    if not (request.question and request.question.strip()):
        return _assess(catalog, request, now)
    from dataclasses import replace

    from medguide.answers import answer_question

    reply = answer_question(catalog, request.question)
    result = _assess(catalog, _question_events(catalog, request, reply.intents), now)
    advice = tuple(dict.fromkeys([*result.advice, *reply.advice]))
    return replace(result, advice=advice, answer=reply.as_dict())


def triage(catalog: Catalog, query: TriageQuery, now: datetime | None = None) -> Assessment:
    """How urgent it is: the symptoms weighed with the medicine and what happened."""
    words = [s for s in query.symptoms if s.strip()]
    if query.drug is None:
        result = _assess(catalog, _request({"symptoms": words}), now)
        note = NotChecked("situation", "no medicine given; the symptoms were weighed on their own")
        return result.with_not_checked(note)
    drug = covered_drug(catalog, query.drug)
    daily = query.daily_dose_mg
    events: list[dict[str, Any]] = []
    if query.stopped_days_ago is not None:
        events.append(
            {"kind": "stopped", "days_ago": query.stopped_days_ago, "daily_dose_mg": daily}
        )
    if query.increased_days_ago is not None:
        events.append(
            {"kind": "dose_increased", "days_ago": query.increased_days_ago, "daily_dose_mg": daily}
        )
    events += [{"kind": "started_drug", "drug": d} for d in query.new_drugs]
    for flag, kind in (
        (query.kidney_worse, "kidney_function_worse"),
        (query.pump_alarm, "pump_alarm"),
        (query.refill_missed, "pump_refill_missed"),
        (query.wants_to_stop, "wants_to_stop"),
    ):
        if flag:
            events.append({"kind": kind})
    rule = drug.missed_dose
    threshold = rule.consecutive_missed_withdrawal_risk if rule else None
    if query.missed_doses and threshold and query.missed_doses >= threshold:
        events.append({"kind": "doses_missed", "daily_dose_mg": daily})
    data: dict[str, Any] = {
        "medications": [{"drug": query.drug, "route": query.route, "new": query.new}],
        "symptoms": words,
        "events": events,
        "substances": list(query.substances),
        "patient": {
            "age_years": query.age_years,
            **({"dialysis": "hemodialysis"} if query.dialysis else {}),
        },
        "last_dose_hours_ago": query.last_dose_hours_ago,
    }
    return _assess(catalog, _request(data), now)


def _product_route(catalog: Catalog, name: str) -> str | None:
    """The route of the product a name stands for (Gablofen is intrathecal), if it names one."""
    from medguide.knowledge.names import resolve_name

    r = resolve_name(catalog, name)
    drug = catalog.drug(r.drug_id) if r.drug_id else None
    product = drug.product(r.product_id) if drug and r.product_id else None
    return product.route if product else None


def overdose(catalog: Catalog, query: OverdoseQuery, now: datetime | None = None) -> Assessment:
    """What happens next after too much was taken, and who to call."""
    covered_drug(catalog, query.drug)
    amount, unit = query.amount()
    route = query.route or _product_route(catalog, query.drug) or "oral"
    data: dict[str, Any] = {
        "ingestion": {
            "drug": query.drug,
            "amount": amount,
            "unit": unit,
            "strength_mg": query.strength_mg,
            "concentration": query.concentration,
            "hours_ago": query.hours_ago,
            "intentional": query.intentional,
            "route": route,
        },
        "patient": {
            "age_years": query.age_years,
            "weight_kg": query.weight_kg,
            "crcl_ml_min": query.crcl_ml_min,
            **({"dialysis": "hemodialysis"} if query.dialysis else {}),
        },
        "substances": list(query.also),
        "symptoms": list(query.symptoms),
    }
    return _assess(catalog, _request(data), now)


def missed_dose(catalog: Catalog, query: MissedDoseQuery, now: datetime) -> MissedDoseAdvice:
    """Take it now or skip it; never double. `now` must carry its time zone."""
    from medguide.clinical.missed_dose import MissedDoseError, advise_missed_dose

    drug = covered_drug(catalog, query.drug)
    if drug.missed_dose is None:
        raise ServiceError(
            f"no missed-dose rule is recorded for {drug.name}; ask a pharmacist",
            kind="not_found",
            field="drug",
        )
    zone: str | tzinfo | None = query.timezone or now.tzinfo
    try:
        return advise_missed_dose(
            drug.missed_dose,
            missed=query.missed,
            next_due=query.next_due,
            interval_hours=query.every_hours,
            now=now,
            tz=zone,
            consecutive_missed=query.count,
            drug=drug.id,
        )
    except MissedDoseError as exc:
        raise ServiceError(str(exc)) from None


# --- plans ---------------------------------------------------------------------------------

_DAILY = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(mg|mcg|µg|ug|g)?\s*(?:/\s*(?:day|d|24\s*h))?\s*(?:a day|daily)?\s*$",
    re.IGNORECASE,
)


def _daily_amount(text: str | None, route_unit: str, what: str) -> float | None:
    """A daily amount such as "60 mg" or "300 mcg/day" in the route's unit (mg or mcg).

    The written unit is kept: "20 mcg" for an oral drug dosed in mg is 0.02 mg, never 20 mg.
    """
    from medguide.units import convert_mass, normalize_unit

    if text is None:
        return None
    m = _DAILY.match(text)
    if not m:
        raise ServiceError(f"{what} {text!r} is not a daily amount such as '60 mg'", field=what)
    value = float(m.group(1))
    unit = normalize_unit(m.group(2)) if m.group(2) else route_unit
    return convert_mass(value, unit, route_unit)


def _plan_order(catalog: Catalog, query: PlanQuery) -> tuple[Drug, str | None, int | None, float]:
    """(drug, product id, doses a day, dose in the written unit) from the names given."""
    from medguide.clinical.orders import parse_medication
    from medguide.clinical.request import Medication

    drug = covered_drug(catalog, query.drug)
    try:
        med = Medication(
            drug=query.drug, dose=query.dose, unit=query.unit, frequency=query.frequency
        )
    except ValidationError as exc:
        raise ServiceError(str(exc.errors()[0]["msg"]), field=_field_of(exc)) from None
    order = parse_medication(catalog, med, 0)
    per_day: int | None = None
    if query.frequency is not None:
        if order.doses_per_day is None:
            raise ServiceError(
                f"frequency {query.frequency!r} cannot be read (try TID, QID, 'twice a day')",
                field="frequency",
            )
        if abs(order.doses_per_day - round(order.doses_per_day)) > 1e-9:
            raise ServiceError(
                f"frequency {query.frequency!r} is not a whole number of doses a day",
                field="frequency",
            )
        per_day = round(order.doses_per_day)
    return drug, order.name.product_id, per_day, order.dose or query.dose or 0.0


def _kidney(query: PlanQuery) -> Any:
    from medguide.clinical.context import compute_patient_values

    values = compute_patient_values(query.patient)
    if values.kidney_error is not None:
        raise ServiceError(values.kidney_error, field="patient")
    return values.kidney


def _route(drug: Drug, query: PlanQuery, product_id: str | None) -> str:
    if query.route is not None:
        return query.route
    # A named product (Gablofen) brings its route, so a pump product reaches the intrathecal
    # refusal and its referral rather than an "oral" mismatch.
    named = drug.product(product_id) if product_id else None
    return named.route if named is not None else "oral"


def plan_titrate(catalog: Catalog, query: PlanQuery) -> PlanResult:
    """A step-by-step increase to the target, capped by kidney, age and label limits."""
    from medguide.clinical.amounts import route_unit
    from medguide.clinical.plans import PlanError, plan_titration
    from medguide.units import convert_mass, is_mass

    kidney = _kidney(query)
    drug, named_product, per_day, written = _plan_order(catalog, query)
    product = query.product or named_product
    route = _route(drug, query, product)
    unit = route_unit(drug, route)
    current = None
    if query.dose is not None:
        if per_day is None:
            raise ServiceError("a current dose needs its frequency", field="frequency")
        written_unit = query.unit or unit
        if not is_mass(written_unit):
            raise ServiceError(
                f"for a titration give the current dose in {unit}, not {written_unit}",
                field="unit",
            )
        current = convert_mass(written, written_unit, unit) * per_day
    try:
        plan = plan_titration(
            drug,
            start=query.start,
            age_years=query.patient.age_years,
            weight_kg=query.patient.weight_kg,
            kidney=kidney,
            route=route,
            target_daily=_daily_amount(query.target, unit, "target"),
            step_days=query.step_days,
            product=product,
            current_daily=current,
        )
    except PlanError as exc:
        raise ServiceError(str(exc)) from None
    return PlanResult(_with_level(plan, drug, kidney), kidney, catalog.version)


def plan_taper(catalog: Catalog, query: PlanQuery) -> PlanResult:
    """A step-by-step reduction to zero that never rises and never stops a high dose at once."""
    from medguide.clinical.plans import PlanError
    from medguide.clinical.plans import plan_taper as _plan_taper

    if query.dose is None or query.frequency is None:
        raise ServiceError("a taper needs the current dose and its frequency", field="dose")
    unit = query.unit or "mg"
    if unit not in ("mg", "mcg", "g", "mL"):
        raise ServiceError(f"unit {unit!r} is not one of mg, mcg, g, mL", field="unit")
    kidney = _kidney(query)
    drug, named_product, per_day, _ = _plan_order(
        catalog, query.model_copy(update={"dose": None, "unit": None})
    )
    assert per_day is not None
    product = query.product or named_product
    try:
        plan = _plan_taper(
            drug,
            dose=query.dose,
            doses_per_day=per_day,
            start=query.start,
            route=_route(drug, query, product),
            dose_unit=unit,
            on_drug_days=query.on_drug_days,
            min_days=query.days,
            product=product,
            age_years=query.patient.age_years,
        )
    except PlanError as exc:
        raise ServiceError(str(exc)) from None
    return PlanResult(_with_level(plan, drug, kidney), kidney, catalog.version)


def _with_level(plan: Any, drug: Drug, kidney: Any) -> Any:
    """Issue 18: the plan with how the level moves across its steps, for these kidneys."""
    from medguide.clinical.plans import with_level

    value = kidney.value_for("crcl")
    return with_level(plan, drug, value.value if value else None, kidney.dialysis is not None)


# --- pharmacokinetics (issue 18) -------------------------------------------------------------

_MASS_MG = {"mg": 1.0, "g": 1000.0, "mcg": 0.001}


def pk(catalog: Catalog, query: PkQuery) -> PkResult:
    """The level of a regimen over time for the person's kidneys: steady state, time to it
    and accumulation against normal kidneys, with the population band and the sources. An
    illustration from published averages, never a prediction for the person."""
    from medguide.clinical.context import compute_patient_values
    from medguide.clinical.orders import parse_medication
    from medguide.clinical.request import Medication
    from medguide.pk.params import pk_parameters

    patient = query.patient
    if patient.age_years is not None and patient.age_years < 18:
        raise ServiceError(
            "the model uses adult figures; it is not computed under 18 years", field="patient"
        )
    if query.dialysis_at_h and patient.dialysis not in (None, "hemodialysis"):
        raise ServiceError("dialysis sessions are for haemodialysis", field="dialysis_at_h")
    if query.dialysis_at_h and patient.dialysis is None:
        patient = patient.model_copy(update={"dialysis": "hemodialysis"})
    values = compute_patient_values(patient)
    if values.kidney_error is not None:
        raise ServiceError(values.kidney_error, field="patient")
    kidney = values.kidney
    on_dialysis = kidney.dialysis is not None
    crcl = kidney.value_for("crcl")
    if crcl is not None:
        crcl_value: float | None = crcl.value
        kidneys = crcl.label()
    elif on_dialysis:
        crcl_value, kidneys = None, "on dialysis, no creatinine clearance given"
    elif patient.serum_creatinine_mg_dl is not None or patient.serum_creatinine_umol_l is not None:
        raise ServiceError(
            "; ".join(kidney.missing) or "creatinine clearance could not be worked out",
            field="patient",
        )
    else:
        crcl_value, kidneys = None, "not given: normal kidneys assumed"

    drug = covered_drug(catalog, query.drug)
    order = parse_medication(catalog, Medication(drug=query.drug, frequency=query.frequency), 0)
    per = order.doses_per_day
    if per is None:
        raise ServiceError(
            f"frequency {query.frequency!r} cannot be read (try TID, QID, 'twice a day')",
            field="frequency",
        )
    if abs(per - round(per)) > 1e-9 or round(per) < 1:
        raise ServiceError(
            f"frequency {query.frequency!r} is not a whole number of doses a day",
            field="frequency",
        )
    per_day = round(per)
    params = pk_parameters(drug)
    if params is None:
        raise ServiceError(
            f"the knowledge has no pharmacokinetic figures for {drug.name}", kind="not_found"
        )
    dose_mg = _pk_dose_mg(drug, query.product or order.name.product_id, query.dose, query.unit)
    schedule = _pk_schedule(query, dose_mg, per_day)
    from medguide.pk.course import compute_level_summary

    try:
        summary = compute_level_summary(
            params,
            schedule,
            crcl_value,
            on_dialysis=on_dialysis,
            dialysis_starts_h=query.dialysis_at_h,
            dialysis_hours=query.session_hours,
            subjects=query.subjects,
            seed=query.seed,
        )
    except ValueError as exc:
        raise ServiceError(str(exc)) from None
    return PkResult(
        summary=summary,
        kidneys=kidneys,
        dose_mg=dose_mg,
        doses_per_day=per_day,
        days=query.days,
        doses=len(schedule.times_h),
        knowledge_version=catalog.version,
    )


def _pk_dose_mg(drug: Drug, product_id: str | None, dose: float, unit: str) -> float:
    if unit in _MASS_MG:
        return dose * _MASS_MG[unit]
    if unit == "mL":
        chosen = drug.product(product_id) if product_id else None
        conc = chosen.concentration if chosen is not None else None
        if conc is None:
            raise ServiceError(
                "a dose in mL needs a liquid product (e.g. Ozobax, or product fleqsuvy)",
                field="unit",
            )
        return float(dose * conc.per_ml * _MASS_MG[conc.amount_unit])
    raise ServiceError(f"unit {unit!r} is not one of mg, g, mcg, mL", field="unit")


def _pk_schedule(query: PkQuery, dose_mg: float, per_day: int) -> Any:
    from medguide.pk.schedule import add_dose, miss, regular

    try:
        s = regular(dose_mg, per_day, query.days, query.times_h)
    except ValueError as exc:
        raise ServiceError(str(exc), field="times_h") from None
    for n in query.missed:
        if not 1 <= n <= len(s.times_h):
            raise ServiceError(
                f"missed dose {n}: the schedule has doses 1 to {len(s.times_h)}", field="missed"
            )
        s = miss(s, n - 1)
    for at_h, mg in query.extra:
        if at_h < 0 or mg <= 0:
            raise ServiceError("an extra dose needs a time from 0 h and an amount", field="extra")
        s = add_dose(s, at_h, mg)
    return s


# --- questions and the guide ---------------------------------------------------------------


def answer(
    catalog: Catalog, question: str, *, drug: str | None = None, semantic: bool = False
) -> Answer:
    """A question in plain words, answered from the knowledge with its sources, or declined."""
    from medguide.answers import answer_question

    drug_id = covered_drug(catalog, drug).id if drug is not None else None
    return answer_question(catalog, question, drug=drug_id, semantic=semantic)


def guide(catalog: Catalog, drug: str) -> Guide:
    """The guide for people of one drug, by any of its names."""
    from medguide.answers.guide import build_guide

    return build_guide(catalog, covered_drug(catalog, drug).id)
