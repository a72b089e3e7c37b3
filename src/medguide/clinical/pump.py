"""An intrathecal pump's own checks: what it really delivers when the reservoir holds another
concentration than the pump was told.

A pump doses by volume: it delivers the programmed daily amount divided by the programmed
concentration, in mL, whatever is in the reservoir. Filled with a stronger solution than
programmed, it delivers that many times the dose (an intrathecal overdose: breathing can
slow and stop); with a weaker one, a fraction (withdrawal). The labels make matching the
concentration to the pump's setting a step of every refill (S10, S12).

The rate itself, the alarms and a late refill are checked elsewhere, like any other dose
and event (see `normalize.py`).
"""

from __future__ import annotations

from medguide.clinical.context import Context
from medguide.clinical.findings import CheckResult, Finding, NotChecked, Severity
from medguide.knowledge.models.drug import Drug
from medguide.units import convert_mass, fmt_number, parse_concentration, parse_rate_unit

# A fold error at or above this is an overdose in progress: emergency, not a call tomorrow.
# (Team judgment: the labels give no fold threshold; twice the dose is where a tolerated
# intrathecal regimen becomes a clear overdose risk.)
EMERGENCY_FOLD = 2.0


def _pump_sources(drug: Drug) -> tuple[str, ...]:
    sources = [s for p in drug.products if p.route == "intrathecal" for s in p.sources]
    return tuple(dict.fromkeys(sources)) or ("S10",)


def check_pump(ctx: Context) -> CheckResult:
    pump = ctx.request.pump
    if pump is None:
        return CheckResult()
    from medguide.knowledge.names import resolve_name

    drug_id = resolve_name(ctx.catalog, pump.drug).drug_id
    drug = ctx.catalog.drug(drug_id) if drug_id else None
    if drug is None:
        return CheckResult(
            not_checked=(NotChecked("pump", f"the pump's drug {pump.drug!r} is not covered"),)
        )
    if pump.concentration is None or pump.programmed_concentration is None:
        return CheckResult(
            not_checked=(
                NotChecked(
                    "pump_concentration",
                    "the reservoir's concentration and the pump's programmed concentration "
                    "were not both given, so the delivered dose was not checked against them",
                    (drug.id,),
                ),
            )
        )
    real, real_unit = parse_concentration(pump.concentration)
    told, told_unit = parse_concentration(pump.programmed_concentration)
    fold = convert_mass(real, real_unit, "mcg") / convert_mass(told, told_unit, "mcg")
    computed: dict[str, object] = {"concentration_fold": round(fold, 3)}
    delivered: float | None = None
    if pump.daily_dose is not None and pump.unit is not None:
        rate = parse_rate_unit(pump.unit) or (pump.unit.split("/")[0], 1.0)
        programmed = convert_mass(pump.daily_dose * rate[1], rate[0], "mcg")
        delivered = programmed * fold
        computed.update(programmed_daily_mcg=programmed, delivered_daily_mcg=round(delivered, 1))
    if abs(fold - 1.0) < 0.01:
        return CheckResult(computed={"pump": computed})
    amount = (
        f": it is delivering about {fmt_number(round(delivered))} mcg a day instead of "
        f"{fmt_number(round(delivered / fold))} mcg"
        if delivered is not None
        else ""
    )
    what = (
        f"The {drug.name} pump holds {pump.concentration} but is programmed for "
        f"{pump.programmed_concentration}, {fmt_number(round(fold, 2))} times the dose{amount}."
    )
    sources = _pump_sources(drug)
    if fold > 1:
        severity: Severity = "critical" if fold >= EMERGENCY_FOLD else "high"
        findings = (
            Finding(
                "concentration_confusion",
                severity,
                what + " Call the pump team now; watch breathing and alertness.",
                (drug.id,),
                {**computed, "direction": "more than programmed"},
                ("call_emergency_services",) if fold >= EMERGENCY_FOLD else ("contact_prescriber",),
                sources,
            ),
            Finding(
                "overdose",
                severity,
                f"Intrathecal {drug.name} overdose risk: too much reaches the spinal fluid. "
                "Sleepiness, weakness, slow breathing or coma can follow.",
                (drug.id,),
                computed,
                ("call_emergency_services", "monitor_mental_status")
                if fold >= EMERGENCY_FOLD
                else ("contact_prescriber", "monitor_mental_status"),
                sources,
            ),
        )
        level = "emergency" if fold >= EMERGENCY_FOLD else "urgent"
        reason = f"pump concentration {fmt_number(round(fold, 2))}-fold above its setting"
    else:
        findings = (
            Finding(
                "concentration_confusion",
                "high",
                what + " Call the pump team today: too little can bring on withdrawal.",
                (drug.id,),
                {**computed, "direction": "less than programmed"},
                ("contact_prescriber", "do_not_stop_abruptly"),
                sources,
            ),
            Finding(
                "withdrawal_risk",
                "high",
                f"The pump delivers less {drug.name} than prescribed: withdrawal (itching, "
                "rebound spasms, fever, a fast heart rate, confusion) can follow.",
                (drug.id,),
                computed,
                ("contact_prescriber", "monitor_mental_status"),
                sources,
            ),
        )
        level, reason = "urgent", "pump delivers less than its setting"
    triage = {
        "level": level,
        "reasons": [reason],
        "suspected_state": "overdose" if fold > 1 else None,
        "not_understood": [],
        "symptoms": [],
        "red_flags": [],
        "absent": [],
    }
    return CheckResult(findings=findings, computed={"pump": computed}, triage=triage)
