"""Toxicity in kidney failure: a drug the kidneys clear builds up when they fail.

With kidney failure such a drug accumulates at ordinary doses, and altered consciousness is
the dominant sign, usually within 2 to 3 days of starting (S26, S33); haemodialysis then
clears it about as well as healthy kidneys would (S29, S31). So confusion, somnolence,
encephalopathy or a fall in consciousness in someone with reduced kidney function who takes
such a drug, or a dialysis patient who took more than prescribed, is suspected toxicity: an
emergency, and haemodialysis is worth considering.

The drug's own knowledge decides: `renal.renally_cleared`, the haemodialysis threshold of its
overdose section (`hemodialysis_kidney_below`) and the sources of both. Kidney values are read
from the patient values worked out once (`ctx.patient`), the conditions and the events. The
signs are the vocabulary's `toxicity_sign` symptoms. No drug is named here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from medguide.clinical.context import Context
from medguide.clinical.findings import Finding
from medguide.codes import Severity

# The condition that stands for reduced kidney function (CKD, acute kidney injury, kidney
# failure) in conditions.yaml.
KIDNEY_CONDITION = "kidney_disease"
_SIGN_WORDS: Mapping[str, str] = {
    "mental_state": "a change in mental state",
    "consciousness": "a fall in consciousness",
    "breathing": "slowed breathing",
}


@dataclass(frozen=True)
class KidneyToxicity:
    drug: str
    finding: Finding
    reason: str


def _ago(days: float | None) -> str:
    if days is None:
        return ""
    return " today" if days == 0 else f" {days:g} day{'s' if days != 1 else ''} ago"


def kidney_basis(ctx: Context, below: float | None) -> list[str]:
    """Why kidney function counts as reduced: dialysis, a clearance or eGFR under `below`
    (mL/min), a kidney condition, or an event (worse kidney function, dialysis started)."""
    from medguide.clinical.conditions import resolve_condition

    why: list[str] = []
    p = ctx.patient
    if p.on_dialysis:
        why.append("on dialysis")
    elif p.kidney_ml_min is not None and below is not None and p.kidney_ml_min < below:
        why.append(f"kidney function {p.kidney_ml_min:g} mL/min")
    for text in ctx.request.patient.conditions:
        r = resolve_condition(ctx.catalog, text)
        if r is not None and KIDNEY_CONDITION in r.ids:
            why.append(f"{text} (reduced kidney function)")
    for e in ctx.request.events:
        if e.kind == "kidney_function_worse":
            why.append(f"kidney function got worse{_ago(e.days_ago)}")
        elif e.kind == "dialysis_started":
            why.append(f"dialysis started{_ago(e.days_ago)}")
    return why


def check_kidney_toxicity(ctx: Context, symptoms: Sequence[str]) -> tuple[KidneyToxicity, ...]:
    """Suspected toxicity in kidney failure for each drug taken (or swallowed) that the
    kidneys clear, given the symptom ids read. Pure; empty when the rule does not apply."""
    from medguide.knowledge.names import resolve_name

    vocab = ctx.catalog.symptoms
    signs = {
        sid: s.toxicity_sign
        for sid in symptoms
        if (s := vocab.get(sid)) is not None and s.toxicity_sign is not None
    }
    ing = ctx.request.ingestion
    ingested = resolve_name(ctx.catalog, ing.drug).drug_id if ing is not None else None
    taken = [o.name.drug_id for o in ctx.orders if o.name.drug_id]
    out: list[KidneyToxicity] = []
    for d in dict.fromkeys([*taken, *([ingested] if ingested else [])]):
        drug = ctx.catalog.drugs.get(d)
        if drug is None or drug.renal is None or not drug.renal.renally_cleared:
            continue
        od = next((o for o in drug.overdose if o.route in ("oral", "any")), None)
        if od is None or od.hemodialysis is None:
            continue
        basis = kidney_basis(ctx, od.hemodialysis_kidney_below)
        took_more = d == ingested and ctx.patient.on_dialysis
        if not basis or not (signs or took_more):
            continue
        fall = bool({"consciousness", "breathing"} & set(signs.values()))
        worst: Severity = "critical" if fall else "high"
        seen = [_SIGN_WORDS[v] for v in dict.fromkeys(signs.values())]
        what = " and ".join(seen) if seen else "more taken than prescribed"
        summary = drug.renal.summary
        sources = tuple(
            dict.fromkeys([*(summary.sources if summary else ()), *od.hemodialysis.sources])
        )
        kidneys = "; ".join(basis)
        finding = Finding(
            code="suspected_toxicity",
            severity=worst,
            message=(
                f"{what[0].upper()}{what[1:]} with reduced kidney function ({kidneys}): "
                f"{drug.name} leaves by the kidneys and builds up when they fail, even at usual "
                "doses. Call emergency services now; in hospital, haemodialysis can remove it."
            ),
            drugs=(d,),
            details={
                "kidney": basis,
                "kidney_ml_min": ctx.patient.kidney_ml_min,
                "on_dialysis": ctx.patient.on_dialysis,
                "signs": list(signs),
                "fall_in_consciousness": fall,
                "took_more_than_prescribed": took_more,
                "because": kidneys,
            },
            advice=("call_emergency_services", "consider_hemodialysis", "monitor_mental_status"),
            sources=sources,
        )
        reason = f"{what} with reduced kidney function ({kidneys}): suspected {drug.name} toxicity"
        out.append(KidneyToxicity(d, finding, reason))
    return tuple(out)
