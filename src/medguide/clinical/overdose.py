"""Too much of a drug: how much was taken, how it compares with reported toxic amounts, and
what to do now.

`check_overdose` turns an ingestion (tablets × strength, mL × concentration, or a mass) into an
amount in mg (mcg for intrathecal), and mg/kg when the weight is known, compares it with the
drug's knowledge thresholds (`Drug.overdose[].thresholds`) and returns a triage level, an
`overdose` finding and notes for clinicians (activated charcoal only early and with a protected
airway; haemodialysis when the kidneys are impaired). General safety floors, true for any drug:

- a child who may have swallowed someone's medicine goes to a poison centre (emergency care if
  there are symptoms);
- an ingestion without an amount is treated as possibly large;
- a deliberate ingestion needs emergency care whatever the amount;
- an intrathecal overdose (a pump or concentration error) is always an emergency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from medguide.clinical.amounts import LIQUID_FORMS
from medguide.clinical.findings import TRIAGE_RANK, Finding, NotChecked
from medguide.knowledge.models.base import Concentration, Quantity
from medguide.knowledge.models.drug import Drug, Overdose, OverdoseThreshold
from medguide.units import (
    COUNT_UNITS,
    UnknownUnit,
    convert_mass,
    convert_volume,
    is_mass,
    is_volume,
    normalize_unit,
)

_SOLID_FORMS = {
    "tablet": ("tablet", "orally_disintegrating_tablet", "capsule"),
    "packet": ("oral_granules",),
}

LEVEL_SEVERITY = {
    "self_care": "low",
    "routine": "moderate",
    "urgent": "high",
    "emergency": "critical",
}


class OverdoseInputError(ValueError):
    """An ingestion that cannot be read (an unknown unit, a volume with no concentration)."""


@dataclass(frozen=True)
class Ingested:
    """An ingestion as the overdose check reads it (built from the request at the edge)."""

    drug: str
    amount: float | None = None
    unit: str | None = None
    strength_mg: float | None = None
    concentration: str | None = None
    product: str | None = None
    hours_ago: float | None = None
    intentional: bool | None = None
    route: str = "oral"
    age_years: float | None = None
    weight_kg: float | None = None
    kidney_ml_min: float | None = None
    dialysis: bool = False
    co_ingestants: tuple[str, ...] = ()
    symptomatic: bool = False


@dataclass(frozen=True)
class OverdoseResult:
    level: str
    findings: tuple[Finding, ...]
    advice: tuple[str, ...]
    reasons: tuple[str, ...]
    computed: dict[str, Any] = field(default_factory=dict)
    not_checked: tuple[NotChecked, ...] = ()


def _max_level(*levels: str) -> str:
    return max(levels, key=lambda lv: TRIAGE_RANK[lv])


def _route_of(ing: Ingested) -> str:
    route = (ing.route or "oral").strip().lower()
    return "intrathecal" if route in {"intrathecal", "it", "pump", "itb"} else "oral"


def _section(drug: Drug, route: str) -> Overdose | None:
    exact = next((o for o in drug.overdose if o.route == route), None)
    return exact or next((o for o in drug.overdose if o.route == "any"), None)


def _to_mg(q: Quantity) -> float | None:
    return convert_mass(q.value, q.unit, "mg") if is_mass(q.unit) else None


def compute_amount_mg(drug: Drug, ing: Ingested, route: str) -> tuple[float | None, list[str]]:
    """The amount taken in mg, and the assumptions made to get it.

    Worst case where something is missing: the strongest tablet or liquid of the drug.
    """
    if ing.amount is None:
        return None, []
    try:
        unit = normalize_unit((ing.unit or "mg").strip().rstrip("."))
    except UnknownUnit:
        raise OverdoseInputError(
            f"unknown unit {ing.unit!r}; use mg, mcg, g, tablets, packets or mL"
        ) from None
    assumptions: list[str] = []
    if is_mass(unit):
        return convert_mass(ing.amount, unit, "mg"), assumptions
    if unit in COUNT_UNITS:
        kind = unit
        if ing.strength_mg is not None:
            return ing.amount * ing.strength_mg, assumptions
        strengths = [
            mg
            for p in drug.products
            if p.form in _SOLID_FORMS[kind] and (ing.product is None or p.id == ing.product)
            for q in p.strengths
            if (mg := _to_mg(q)) is not None
        ]
        if not strengths:
            raise OverdoseInputError(
                f"give the strength of each {kind} in mg; no {kind} strength of {drug.name} "
                "is known"
            )
        strongest = max(strengths)
        if len(set(strengths)) > 1:
            assumptions.append(
                f"strength not given: assumed the strongest {kind} ({strongest:g} mg)"
            )
        return ing.amount * strongest, assumptions
    if is_volume(unit):
        ml = convert_volume(ing.amount, unit, "mL")
        if ing.concentration:
            try:
                conc = Concentration.model_validate(ing.concentration)
            except ValueError:
                raise OverdoseInputError(
                    f"cannot read the concentration {ing.concentration!r}; write e.g. '5 mg/mL'"
                ) from None
            return ml * convert_mass(conc.per_ml, conc.amount_unit, "mg"), assumptions
        forms = ("intrathecal_injection",) if route == "intrathecal" else tuple(LIQUID_FORMS)
        concs = [
            c
            for p in drug.products
            if p.form in forms and (ing.product is None or p.id == ing.product)
            for c in (*((p.concentration,) if p.concentration else ()), *p.concentrations)
        ]
        if not concs:
            raise OverdoseInputError(
                f"give the concentration of the liquid (e.g. '5 mg/mL'); no {route} liquid of "
                f"{drug.name} is known"
            )
        per_ml = [convert_mass(c.per_ml, c.amount_unit, "mg") for c in concs]
        strongest = max(per_ml)
        if len(set(per_ml)) > 1:
            best = concs[per_ml.index(strongest)]
            assumptions.append(f"concentration not given: assumed the strongest liquid ({best})")
        return ml * strongest, assumptions
    raise OverdoseInputError(f"unknown unit {ing.unit!r}; use mg, mcg, g, tablets, packets or mL")


def _fmt_amount(mg: float, route: str) -> str:
    if route == "intrathecal":
        return f"{mg * 1000:g} mcg"
    return f"{mg:g} mg"


def _applies(t: OverdoseThreshold, child: bool) -> bool:
    return t.population == "any" or t.population == ("child" if child else "adult")


def _threshold_mg(t: OverdoseThreshold) -> float | None:
    if t.per_kg:
        unit = t.at_or_above.unit.removesuffix("/kg")
        return convert_mass(t.at_or_above.value, unit, "mg") if is_mass(unit) else None
    return _to_mg(t.at_or_above)


def _largest_daily_max_mg(drug: Drug, route: str) -> tuple[float, tuple[str, ...]] | None:
    """The largest maximum daily dose on the drug's dose rules for the route, in mg."""
    best: tuple[float, tuple[str, ...]] | None = None
    for rule in drug.dosing:
        if rule.route not in (route, "any") or rule.max_daily is None:
            continue
        mg = _to_mg(rule.max_daily)
        if mg is not None and (best is None or mg > best[0]):
            best = (mg, tuple(rule.sources))
    return best


def compute_expected_course(drug: Drug, amount_mg: float, ing: Ingested) -> dict[str, Any] | None:
    """Issue 18: when the level would be expected to peak and to fall back under the top of
    the usual range after an oral ingestion (`medguide.pk.course`), with the population band;
    None when the knowledge has no model figures. An illustration, never a prediction."""
    from medguide.pk.params import pk_parameters

    params = pk_parameters(drug)
    if params is None:
        return None
    from medguide.pk.course import compute_overdose_course

    course = compute_overdose_course(
        params,
        amount_mg,
        hours_ago=ing.hours_ago,
        crcl_ml_min=ing.kidney_ml_min,
        on_dialysis=ing.dialysis,
        subjects=200,
    )
    out = course.as_dict()
    peak, until = course.peak_h, course.above_window_until_h
    text = (
        "Expected course (an illustration, not a prediction): the level peaks about "
        f"{peak.typical:g} h after it was taken"
    )
    if until.typical is not None:
        band = (
            f" (9 in 10 people {until.low:.0f}-{until.high:.0f} h)"
            if until.low is not None and until.high is not None
            else ""
        )
        text += (
            f" and falls back under the top of the usual range after about "
            f"{until.typical:.0f} h{band}; symptoms can outlast it"
        )
    if course.crcl_assumed and not ing.dialysis:
        out["note"] = "kidney function not given: normal kidneys assumed"
        text += "; normal kidneys assumed, with weak kidneys it lasts far longer"
    weak = ing.dialysis or (ing.kidney_ml_min is not None and ing.kidney_ml_min < 30)
    if weak and until.typical is not None and params.dialysis_clearance is not None:
        # With failing kidneys, what one haemodialysis session starting now would change.
        now = ing.hours_ago or 0.0
        with_hd = compute_overdose_course(
            params,
            amount_mg,
            hours_ago=ing.hours_ago,
            crcl_ml_min=ing.kidney_ml_min,
            on_dialysis=ing.dialysis,
            dialysis_starts_h=(now,),
            subjects=200,
        )
        hd_until = with_hd.above_window_until_h
        out["with_hemodialysis_now"] = {
            "session_h": [list(w) for w in with_hd.curves.dialysis_h],
            "above_window_until_h_after_ingestion": hd_until.as_dict(),
            "sources": list(with_hd.sources),
        }
        if hd_until.typical is not None:
            text += (
                f"; one haemodialysis session starting now would shorten that to about "
                f"{hd_until.typical:.0f} h"
            )
    out["summary"] = text + "."
    return out


def check_overdose(drug: Drug, ing: Ingested) -> OverdoseResult:
    """Assess one ingestion of `drug`. Raises OverdoseInputError when it cannot be read."""
    route = _route_of(ing)
    section = _section(drug, route)
    not_checked: list[NotChecked] = []
    reasons: list[str] = []
    notes: list[str] = []
    sources: list[str] = []
    crossed: list[OverdoseThreshold] = []

    amount_mg, assumptions = compute_amount_mg(drug, ing, route)
    child_below = section.child_below_years if section else 18.0
    child = ing.age_years is not None and ing.age_years < child_below
    per_kg = amount_mg / ing.weight_kg if amount_mg is not None and ing.weight_kg else None
    thresholds = [t for t in (section.thresholds if section else ()) if _applies(t, child)]
    computed: dict[str, Any] = {
        "drug": drug.id,
        "route": route,
        "amount_mg": None if amount_mg is None else round(amount_mg, 4),
        "amount": None if amount_mg is None else _fmt_amount(amount_mg, route),
        "mg_per_kg": None if per_kg is None else round(per_kg, 3),
        "population": "child" if child else "adult",
        "assumptions": assumptions,
    }

    # --- issue 18 (pharmacokinetics): the expected course of the level, an illustration ---
    if route == "oral" and amount_mg:
        if child:
            not_checked.append(
                NotChecked("pk_course", "the level course uses adult figures", (drug.id,))
            )
        else:
            course = compute_expected_course(drug, amount_mg, ing)
            if course is not None:
                computed["course"] = course
                notes.append(course["summary"])

    reasons.extend(f"{a} (worst case)" for a in assumptions)
    if section is None:
        level = "urgent"
        reasons.append(
            f"no {route} overdose figures are recorded for {drug.name}; treat it as serious"
        )
        not_checked.append(
            NotChecked("overdose_thresholds", f"no {route} overdose knowledge", (drug.id,))
        )
    elif amount_mg is None:
        level = _max_level("urgent", *(t.level or "urgent" for t in thresholds))
        reasons.append("the amount taken is not known: treated as possibly large")
        sources.extend(s for t in thresholds for s in t.sources)
    else:
        level = "routine"
        for t in thresholds:
            limit = _threshold_mg(t)
            if t.per_kg and per_kg is None:
                not_checked.append(
                    NotChecked(
                        "overdose_mg_per_kg", "weight not given for a per-kg threshold", (drug.id,)
                    )
                )
                continue
            value = per_kg if t.per_kg else amount_mg
            if limit is not None and value is not None and value >= limit - 1e-9:
                crossed.append(t)
                level = _max_level(level, t.level or "urgent")
                sources.extend(t.sources)
                reasons.append(
                    f"{_fmt_amount(amount_mg, route)} is at or above "
                    f"{t.at_or_above}{' (per kg)' if t.per_kg else ''}: {t.effect}"
                )
        day_max = _largest_daily_max_mg(drug, route)
        if not crossed and day_max is not None and amount_mg >= day_max[0] - 1e-9:
            # More than a whole day's maximum at once: not a case to watch at home.
            level = _max_level(level, "urgent")
            sources.extend(day_max[1])
            reasons.append(
                f"{_fmt_amount(amount_mg, route)} at once is at least the most allowed in a "
                f"whole day ({_fmt_amount(day_max[0], route)}): call a poison centre"
            )
        elif not crossed and child:
            reasons.append(
                f"{_fmt_amount(amount_mg, route)} is below the amounts reported in young "
                "people, but a small child can be harmed by less"
            )
        elif not crossed:
            reasons.append(
                f"{_fmt_amount(amount_mg, route)} is below the amounts reported to cause "
                "serious poisoning; watch for sleepiness and do not drive"
            )

    if route == "intrathecal":
        level = "emergency"
        reasons.append("an intrathecal overdose (pump or concentration error) is an emergency")
    if child:
        level = _max_level(level, "emergency" if ing.symptomatic else "urgent")
        reasons.append(
            "a child may have swallowed it: call a poison centre now"
            + (" (symptoms: emergency services)" if ing.symptomatic else "")
        )
    elif ing.symptomatic:
        level = _max_level(
            level, "urgent" if amount_mg is not None and not crossed else "emergency"
        )
        reasons.append("symptoms after the ingestion")
    if ing.intentional:
        level = _max_level(level, "emergency")
        reasons.append("taken on purpose: emergency care, whatever the amount")
    kidney_impaired = ing.dialysis or (
        ing.kidney_ml_min is not None
        and section is not None
        and section.hemodialysis_kidney_below is not None
        and ing.kidney_ml_min < section.hemodialysis_kidney_below
    )
    if kidney_impaired:
        level = _max_level(level, "urgent")
        reasons.append(
            "kidney function is reduced: the drug builds up, even small excess amounts can poison"
        )
    if ing.co_ingestants:
        bumped = {"self_care": "routine", "routine": "urgent"}.get(level, level)
        level = _max_level(level, bumped)
        reasons.append("also taken: " + ", ".join(ing.co_ingestants) + " (adds to the sedation)")

    advice: list[str] = []
    if level == "emergency":
        advice.append("call_emergency_services")
    if TRIAGE_RANK[level] >= TRIAGE_RANK["urgent"] or child:
        advice.append("call_poison_center")
    else:
        advice += ["avoid_driving_until_known", "avoid_alcohol", "contact_prescriber"]
    # Decontamination and dialysis are for amounts that may poison, not for the floors above.
    serious = (
        amount_mg is None
        or bool(crossed)
        or ing.symptomatic
        or bool(ing.intentional)
        or kidney_impaired
    ) and TRIAGE_RANK[level] >= TRIAGE_RANK["urgent"]
    if section is not None and route == "oral" and serious and section.charcoal_window_hours:
        window = section.charcoal_window_hours
        if ing.hours_ago is None or ing.hours_ago <= window:
            advice.append("consider_activated_charcoal")
            when = (
                "time since ingestion unknown; only if within "
                if ing.hours_ago is None
                else "within "
            )
            notes.append(
                f"Activated charcoal: may be considered ({when}about {window:g} h), only with "
                "an intact or protected airway; not routine."
            )
        else:
            notes.append(
                f"Activated charcoal: {ing.hours_ago:g} h after ingestion is beyond the "
                f"{window:g} h window; no evidence of benefit."
            )
    if section is not None and section.hemodialysis is not None and serious:
        hd = section.hemodialysis
        sources.extend(hd.sources)
        if kidney_impaired:
            advice.append("consider_hemodialysis")
            notes.append(
                "Haemodialysis: consider in serious poisoning, since kidney function is impaired."
            )
        elif ing.kidney_ml_min is None and not ing.dialysis:
            not_checked.append(
                NotChecked(
                    "hemodialysis",
                    "kidney function not given; haemodialysis helps only when the "
                    "kidneys are impaired",
                    (drug.id,),
                )
            )
        else:
            notes.append("Haemodialysis: not routinely useful with normal kidney function.")
    if section is not None:
        notes.extend(m.text for m in section.management)
        sources.extend(s for m in section.management for s in m.sources)
    if route == "intrathecal" and section is None:
        notes.append("Stop the pump and seek emergency care; no intrathecal figures recorded.")

    who = "A child" if child else "Someone"
    how_much = computed["amount"] or "an unknown amount"
    message = (
        f"{who} may have taken {how_much} of {drug.name}"
        + (" into the spine (intrathecal)" if route == "intrathecal" else "")
        + f". {_LEVEL_TEXT[level]}"
    )
    finding = Finding(
        code="overdose",
        severity=LEVEL_SEVERITY[level],  # type: ignore[arg-type]
        message=message,
        drugs=(drug.id,),
        details={
            **computed,
            "level": level,
            "hours_ago": ing.hours_ago,
            "intentional": ing.intentional,
            "co_ingestants": list(ing.co_ingestants),
            "thresholds_crossed": [
                {
                    "at_or_above": str(t.at_or_above),
                    "per_kg": t.per_kg,
                    "population": t.population,
                    "effect": t.effect,
                    "sources": list(t.sources),
                }
                for t in crossed
            ],
            "clinician_notes": notes,
        },
        advice=tuple(dict.fromkeys(advice)),
        sources=tuple(dict.fromkeys(sources)) or tuple(drug.sources),
    )
    return OverdoseResult(
        level=level,
        findings=(finding,),
        advice=tuple(dict.fromkeys(advice)),
        reasons=tuple(reasons),
        computed=computed,
        not_checked=tuple(not_checked),
    )


_LEVEL_TEXT = {
    "emergency": "Call emergency services now.",
    "urgent": "Call a poison centre now for advice.",
    "routine": "Serious poisoning is unlikely; watch for unusual sleepiness and get help if it "
    "appears.",
    "self_care": "Serious poisoning is unlikely.",
}
