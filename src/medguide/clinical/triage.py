"""What to do right now: symptom triage, overdose, missed doses and stopping.

`check_triage` weighs reported symptoms with the person's situation (doses stopped or missed,
a recent dose increase, an added sedating drug or alcohol, worse kidney function or dialysis,
an intrathecal pump) and returns a level (`self_care` < `routine` < `urgent` < `emergency`),
the suspected state, the reasons and advice codes. The rules live in
`knowledge/data/symptoms.yaml`: each symptom's everyday words, measured signs, red flags and
links to drug states. Red flags always reach `emergency`; words that are not understood are
listed back and never lower a level.

Symptoms are read by `medguide.clinical.symptom_reading` (re-exported here as `read_symptom`);
toxicity in kidney failure is `medguide.clinical.kidney_toxicity`.

`check_now` is the assessment's entry point: it builds the situation from the request and runs
triage, the overdose check, the missed-dose advice and the stopping advice.

>>> from medguide.knowledge.loader import load_catalog
>>> t = check_triage(load_catalog().symptoms, ["can't wake him up"], Situation())
>>> t.level, t.symptoms
('emergency', ('unrousable',))
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from medguide.clinical.context import Context
from medguide.clinical.findings import TRIAGE_RANK, CheckResult, Finding, NotChecked
from medguide.clinical.symptom_reading import Reading as Reading
from medguide.clinical.symptom_reading import read_symptom as read_symptom
from medguide.knowledge.catalog import Catalog
from medguide.knowledge.models.drug import Drug
from medguide.knowledge.models.symptoms import (
    Symptom,
    SymptomFile,
    SymptomLink,
)

LEVEL_SEVERITY: Mapping[str, str] = {
    "self_care": "low",
    "routine": "moderate",
    "urgent": "high",
    "emergency": "critical",
}
# When two states explain the same level, the one reported first is the likelier to harm.
STATE_PRIORITY: Mapping[str, int] = {
    "overdose": 3,
    "withdrawal": 2,
    "toxicity": 1,
    "expected_side_effect": 0,
}
STATE_NAME: Mapping[str, str] = {
    "overdose": "overdose",
    "withdrawal": "suspected_withdrawal",
    "toxicity": "suspected_toxicity",
    "expected_side_effect": "expected_side_effect",
}
_STATE_FINDING: Mapping[str, str] = {
    "withdrawal": "suspected_withdrawal",
    "toxicity": "suspected_toxicity",
    "expected_side_effect": "expected_side_effect",
    "overdose": "overdose",
}
_LEVEL_ADVICE: Mapping[str, tuple[str, ...]] = {
    "emergency": ("call_emergency_services",),
    "urgent": ("contact_prescriber",),
    "routine": (),
    "self_care": (),
}
_INTRATHECAL_WORDS = frozenset({"intrathecal", "it", "itb", "pump", "spinal"})


# ---------------------------------------------------------------------------- situation


@dataclass(frozen=True)
class Cue:
    """Something in the situation that makes a drug state possible, with the reason why."""

    drug: str
    state: str  # expected_side_effect | toxicity | overdose | withdrawal
    route: str  # oral | intrathecal | any
    reason: str
    alert: bool = True  # False: a standing fact (takes the drug, has a pump), not an event
    # The least level for a symptom explained by this cue: a drug that leaves by the kidneys
    # builds up with kidney failure or dialysis, where sleepiness can turn into coma (S26).
    floor: str | None = None


@dataclass(frozen=True)
class Situation:
    """The person's situation as triage needs it; built from the request by `situation_of`."""

    cues: tuple[Cue, ...] = ()
    intrathecal: bool = False

    def has(self, drug: str, state: str, route: str = "any") -> bool:
        return any(self._fits(c, drug, state, route) for c in self.cues)

    def floor(self, drug: str, state: str, route: str = "any") -> str | None:
        floors = [c.floor for c in self.cues if c.floor and self._fits(c, drug, state, route)]
        return _max_level(floors) if floors else None

    def reasons(self, drug: str, state: str, route: str = "any") -> tuple[str, ...]:
        return tuple(c.reason for c in self.cues if self._fits(c, drug, state, route))

    @staticmethod
    def _fits(c: Cue, drug: str, state: str, route: str) -> bool:
        return (
            c.drug == drug
            and c.state == state
            and (route == "any" or c.route == "any" or c.route == route)
        )

    @property
    def after_stopping(self) -> bool:
        return any(c.state == "withdrawal" and c.alert for c in self.cues)


# ---------------------------------------------------------------------------- triage


@dataclass(frozen=True)
class Triage:
    level: str
    reasons: tuple[str, ...]
    suspected_state: str | None
    not_understood: tuple[str, ...]
    symptoms: tuple[str, ...] = ()
    red_flags: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    advice: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()  # symptoms the person said are not there
    measured: bool = False  # a measured value was read (even a normal one)
    check_for: tuple[str, ...] = ()  # red flags to look for when words were not read

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "reasons": list(self.reasons),
            "suspected_state": self.suspected_state,
            "not_understood": list(self.not_understood),
            "symptoms": list(self.symptoms),
            "red_flags": list(self.red_flags),
            "absent": list(self.absent),
            "check_for": list(self.check_for),
        }


def _max_level(levels: Iterable[str], floor: str = "self_care") -> str:
    return max((floor, *levels), key=lambda lv: TRIAGE_RANK[lv])


def _drugs_of(situation: Situation) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c.drug for c in situation.cues))


def _red_flag(
    s: Symptom, situation: Situation, mental_others: bool, others: frozenset[str] = frozenset()
) -> str | None:
    """Why the symptom is an emergency here, or None."""
    if not s.red_flag:
        return None
    if not s.red_flag_when:
        return f"{s.name.lower()} is a red flag"
    if "after_stopping" in s.red_flag_when and situation.after_stopping:
        return f"{s.name.lower()} after doses were stopped or missed is a red flag"
    if "intrathecal" in s.red_flag_when and situation.intrathecal:
        return f"{s.name.lower()} with an intrathecal pump is a red flag"
    if "with_confusion" in s.red_flag_when and mental_others:
        return f"{s.name.lower()} with confusion is a red flag"
    if "with_symptom" in s.red_flag_when:
        with_ = [o for o in s.red_flag_with if o in others]
        if with_:
            return f"{s.name.lower()} with {with_[0].replace('_', ' ')} is a red flag"
    return None


def check_triage(
    vocab: SymptomFile,
    symptoms: Sequence[str],
    situation: Situation,
) -> Triage:
    """Triage reported symptoms in a situation. Pure; the same input gives the same result."""
    readings = [read_symptom(vocab, text) for text in symptoms if text.strip()]
    not_understood: list[str] = []
    unknown = False  # something in a phrase was not read with certainty
    unread: list[str] = []  # phrases of which nothing at all was read
    for r in readings:
        if r.problem:
            not_understood.append(f"{r.text} ({r.problem})")
            unknown = True
        elif not r.symptoms and not r.measures and not r.absent:
            not_understood.append(r.text)
            unread.append(r.text)
            unknown = True
        elif r.leftover:
            # A word we could not read may be what matters ("vomiting blood"): never let the
            # words we did read make the level lower than for an unread phrase.
            not_understood.append(r.leftover)
            unknown = True
        for typed, meant in r.guessed:
            not_understood.append(f"{typed} (read as {meant!r})")
            unknown = True
    by_id = {s.id: s for s in vocab.symptoms}
    matched_ids = dict.fromkeys(sid for r in readings for sid in r.symptoms if sid in by_id)
    matched = [by_id[sid] for sid in matched_ids]
    absent = tuple(
        dict.fromkeys(a for r in readings for a in r.absent if a in by_id and a not in matched_ids)
    )
    measured_only = any(r.measures for r in readings)

    drugs = _drugs_of(situation)
    reasons: list[str] = []
    red_flags: list[str] = []
    advice: list[str] = []
    levels: list[str] = []
    # (state, route, drug) → [(symptom, link)] for the findings
    states: dict[tuple[str, str, str], list[tuple[Symptom, SymptomLink]]] = {}
    best: tuple[int, int, str] | None = None  # (level rank, state priority, state)

    for s in matched:
        mental_others = any(o.mental_status and o.id != s.id for o in matched)
        applicable = [
            link
            for link in s.links
            if link.drug in drugs and situation.has(link.drug, link.state, link.route)
        ]
        level = _max_level(lk.level for lk in applicable) if applicable else s.level
        for lk in applicable:
            least = situation.floor(lk.drug, lk.state, lk.route)
            if least:
                level = _max_level([level], least)
        flag = _red_flag(s, situation, mental_others, frozenset(matched_ids) - {s.id})
        if flag:
            level = "emergency"
            red_flags.append(s.id)
            reasons.append(flag)
        levels.append(level)
        if applicable:
            # The most serious state explains the symptom; lesser ones are not reported.
            top = max(applicable, key=lambda lk: (TRIAGE_RANK[lk.level], STATE_PRIORITY[lk.state]))
            states.setdefault((top.state, _link_route(top, situation), top.drug), []).append(
                (s, top)
            )
            advice.extend(top.advice)
            why = "; ".join(situation.reasons(top.drug, top.state, top.route)[:2])
            reasons.append(
                f"{s.name.lower()}: points to {_state_words(top.state, top.drug)}"
                + (f" ({why})" if why and top.state != "expected_side_effect" else "")
            )
            key = (TRIAGE_RANK[top.level], STATE_PRIORITY[top.state], top.state)
            best = key if best is None or key > best else best
        elif not flag:
            reasons.append(f"{s.name.lower()}: {_LEVEL_WORDS[level]}")

    # Situations that are risky even without a matching symptom.
    for drug in drugs:
        alerts = [
            c.reason
            for c in situation.cues
            if c.alert and c.drug == drug and c.state == "withdrawal" and c.route == "intrathecal"
        ]
        if alerts:
            levels.append("urgent")
            reasons.extend(why for why in alerts if why not in reasons)

    check_for: tuple[str, ...] = ()
    if unread:
        # A description we could not read at all may be the worst one ("he's gone all
        # strange"): say so first, list the red flags to look for, and ask for a clinician
        # today at least (G-nhs-999: when unsure, get help the same day).
        levels.append("urgent")
        advice.append("not_covered_refer")
        check_for = tuple(item.text for item in vocab.red_flag_checklist)
        reasons.insert(
            0,
            "not understood: " + "; ".join(repr(t) for t in unread) + " (words we cannot read "
            "are never rated below urgent; check for the red flags listed)",
        )
    if unknown:
        # What we could not read might be serious: never self-care, and say so.
        levels.append("routine")
        advice.append("not_covered_refer")
        rest = [n for n in not_understood if n not in unread]
        if rest:
            reasons.append("some words were not understood: " + "; ".join(rest))
    for a in absent:
        reasons.append(f"read as not present: {by_id[a].name.lower()}")
    if measured_only and not matched:
        reasons.append("the measured values given are not in the alarm range")
    level = _max_level(levels) if levels else "self_care"
    advice = [*_LEVEL_ADVICE[level], *advice]

    findings = tuple(_state_findings(states, situation))
    suspected = STATE_NAME[best[2]] if best is not None else None
    if best is not None and best[2] == "expected_side_effect" and TRIAGE_RANK[level] > best[0]:
        suspected = None  # something worse than a side effect is going on, cause unknown
    return Triage(
        level=level,
        reasons=tuple(dict.fromkeys(reasons)),
        suspected_state=suspected,
        not_understood=tuple(not_understood),
        symptoms=tuple(s.id for s in matched),
        red_flags=tuple(red_flags),
        findings=findings,
        advice=tuple(dict.fromkeys(advice)),
        absent=absent,
        measured=measured_only,
        check_for=check_for,
    )


def _link_route(link: SymptomLink, situation: Situation) -> str:
    if link.route != "any":
        return link.route
    return "intrathecal" if situation.intrathecal else "oral"


def _state_words(state: str, drug: str) -> str:
    return {
        "withdrawal": f"{drug} withdrawal",
        "toxicity": f"too much {drug} building up (toxicity)",
        "overdose": f"{drug} overdose",
        "expected_side_effect": f"a known side effect of {drug}",
    }[state]


_LEVEL_WORDS: Mapping[str, str] = {
    "emergency": "call emergency services now",
    "urgent": "needs a clinician today",
    "routine": "mention it to your clinician at the next visit",
    "self_care": "usually passes on its own",
}
_STATE_MESSAGE: Mapping[str, str] = {
    "withdrawal": "These symptoms may be {drug} withdrawal{route}: stopping or missing {drug} "
    "can cause it, and it can become dangerous.",
    "toxicity": "These symptoms may mean {drug} is building up or adding to other sedating "
    "substances (toxicity).",
    "expected_side_effect": "These are known side effects of {drug}; mild ones often settle in "
    "the first weeks.",
    "serious_side_effect": "This can be a side effect of {drug}, but at this level it is serious "
    "whatever the cause: get help as advised, and say which medicines are taken.",
    "overdose": "These symptoms fit a {drug} overdose.",
}


def _state_findings(
    states: Mapping[tuple[str, str, str], list[tuple[Symptom, SymptomLink]]],
    situation: Situation,
) -> Iterable[Finding]:
    for (state, route, drug), pairs in states.items():
        if state == "overdose":
            continue  # the overdose check makes that finding
        level = _max_level(
            (lk.level for _, lk in pairs), situation.floor(drug, state, route) or "self_care"
        )
        route_words = " (intrathecal pump)" if route == "intrathecal" else ""
        yield Finding(
            code=_STATE_FINDING[state],
            severity=LEVEL_SEVERITY[level],  # type: ignore[arg-type]
            message=_STATE_MESSAGE[
                "serious_side_effect"
                if state == "expected_side_effect" and TRIAGE_RANK[level] >= TRIAGE_RANK["urgent"]
                else state
            ].format(drug=drug, route=route_words),
            drugs=(drug,),
            details={
                "route": route,
                "level": level,
                "symptoms": list(dict.fromkeys(s.id for s, _ in pairs)),
                "because": list(situation.reasons(drug, state, route)),
                "judgment": any(lk.judgment for _, lk in pairs),
            },
            advice=tuple(
                dict.fromkeys((*_LEVEL_ADVICE[level], *(a for _, lk in pairs for a in lk.advice)))
            ),
            sources=tuple(dict.fromkeys(src for _, lk in pairs for src in lk.sources)),
        )


# ---------------------------------------------------------------------------- the request


def _is_intrathecal(route: str | None) -> bool:
    return bool(route) and any(
        w in _INTRATHECAL_WORDS for w in re.split(r"\W+", (route or "").lower())
    )


def _sedating(catalog: Catalog, drug: Drug) -> bool:
    return any(
        "cns_depressant" in cls.properties
        for cid in drug.classes
        if (cls := catalog.classes.get(cid)) is not None
    )


def _days(value: float | None) -> str:
    if value is None:
        return ""
    if value < 1:
        return " today" if value == 0 else f" {value * 24:g} hours ago"
    return f" {value:g} day{'s' if value != 1 else ''} ago"


def situation_of(ctx: Context) -> tuple[Situation, tuple[NotChecked, ...]]:
    """The triage situation of a request: drugs in play and the cues for each state."""
    from medguide.knowledge.names import resolve_name

    req = ctx.request
    cat = ctx.catalog
    not_checked: list[NotChecked] = []
    taken: list[str] = []
    intrathecal = False
    for o in ctx.orders:
        if o.name.drug_id and o.name.drug_id in cat.drugs:
            taken.append(o.name.drug_id)
            product = cat.drugs[o.name.drug_id].product(o.name.product_id or "")
            if (
                _is_intrathecal(o.route)
                or o.bolus
                or (product is not None and product.route == "intrathecal")
            ):
                intrathecal = True
    for e in req.events:
        if e.kind in ("pump_alarm", "pump_refill_missed"):
            intrathecal = True
    if req.ingestion is not None and _is_intrathecal(req.ingestion.route):
        intrathecal = True

    def resolve(name: str | None) -> str | None:
        if not name:
            return None
        r = resolve_name(cat, name)
        return r.drug_id if r.drug_id in cat.drugs else None

    extra = [
        resolve(x)
        for x in (
            req.ingestion.drug if req.ingestion else None,
            req.missed_dose.drug if req.missed_dose else None,
            *(e.drug for e in req.events if e.kind != "started_drug"),
        )
    ]
    drugs = list(dict.fromkeys([*taken, *(d for d in extra if d)]))
    route = "intrathecal" if intrathecal else "oral"
    cues: list[Cue] = []
    for d in drugs:
        cues.append(Cue(d, "expected_side_effect", "any", f"takes {d}", alert=False))

    def for_drugs(name: str | None) -> list[str]:
        own = resolve(name)
        return [own] if own else drugs

    # Sedating company: other orders, substances, newly started drugs.
    company: list[str] = []
    for o in ctx.orders:
        other = o.name.drug_id
        if other and other in cat.drugs and _sedating(cat, cat.drugs[other]):
            company.append(f"{'newly started ' if o.new else ''}{o.name.matched or other}")
    for r in ctx.substances:
        if r.drug_id and r.drug_id in cat.drugs:
            if _sedating(cat, cat.drugs[r.drug_id]):
                company.append(r.matched or r.drug_id)
        else:
            company.append(f"{r.query} (not in the catalog, counted as sedating)")
            not_checked.append(
                NotChecked(
                    "triage_substance",
                    f"{r.query!r} is not in the catalog; counted as possibly sedating",
                )
            )
    for e in req.events:
        if e.kind == "started_drug":
            if not e.drug:
                company.append("a new medicine (name not given, counted as sedating)")
                continue
            r = resolve_name(cat, e.drug)
            if r.drug_id and r.drug_id in cat.drugs:
                if _sedating(cat, cat.drugs[r.drug_id]):
                    company.append(f"newly started {r.matched or r.drug_id}{_days(e.days_ago)}")
            else:
                company.append(f"newly started {e.drug} (not in the catalog, counted as sedating)")
    for d in drugs:
        for c in dict.fromkeys(company):
            if not c.startswith(d) and not c.startswith(f"newly started {d}"):
                cues.append(Cue(d, "toxicity", "any", f"taken with {c}"))

    for e in req.events:
        dose = f" ({e.daily_dose_mg:g} mg a day)" if e.daily_dose_mg is not None else ""
        for d in for_drugs(e.drug):
            if e.kind in ("stopped", "doses_missed", "dose_decreased"):
                verb = {
                    "stopped": "stopped",
                    "doses_missed": "missed doses of",
                    "dose_decreased": "lowered the dose of",
                }[e.kind]
                cues.append(Cue(d, "withdrawal", route, f"{verb} {d}{_days(e.days_ago)}{dose}"))
            elif e.kind == "pump_alarm":
                cues.append(Cue(d, "withdrawal", "intrathecal", "the pump alarm went off"))
            elif e.kind == "pump_refill_missed":
                cues.append(Cue(d, "withdrawal", "intrathecal", "a pump refill was missed"))
            elif e.kind == "dose_increased":
                cues.append(
                    Cue(d, "toxicity", "any", f"the dose of {d} went up{_days(e.days_ago)}{dose}")
                )
            elif e.kind in ("kidney_function_worse", "dialysis_started"):
                drug = cat.drugs[d]
                if drug.renal is not None and drug.renal.renally_cleared:
                    what = (
                        "kidney function got worse"
                        if e.kind == "kidney_function_worse"
                        else "dialysis started"
                    )
                    cues.append(
                        Cue(
                            d,
                            "toxicity",
                            "any",
                            f"{what}{_days(e.days_ago)}; {d} leaves by the kidneys",
                            floor="urgent",
                        )
                    )

    # The kidney value every check reads: measured, or estimated from serum creatinine.
    kidney = ctx.patient.kidney_ml_min
    for d in drugs:
        drug = cat.drugs[d]
        if drug.renal is None or not drug.renal.renally_cleared:
            continue
        avoid_below = [
            b.below for b in drug.renal.bands if b.action == "avoid" and b.below is not None
        ]
        if ctx.patient.on_dialysis:
            cues.append(
                Cue(
                    d,
                    "toxicity",
                    "any",
                    f"on dialysis; {d} leaves by the kidneys",
                    floor="urgent",
                )
            )
        elif kidney is not None and avoid_below and kidney < max(avoid_below):
            cues.append(
                Cue(
                    d,
                    "toxicity",
                    "any",
                    f"kidney function {kidney:g} mL/min; {d} builds up",
                    floor="urgent",
                )
            )

    if req.missed_dose is not None:
        for d in for_drugs(req.missed_dose.drug):
            rule = cat.drugs[d].missed_dose
            n = req.missed_dose.consecutive_missed
            if (
                rule
                and rule.consecutive_missed_withdrawal_risk
                and (n >= rule.consecutive_missed_withdrawal_risk)
            ):
                cues.append(Cue(d, "withdrawal", route, f"{n} doses of {d} missed in a row"))
    if req.last_dose_hours_ago is not None:
        for d in drugs:
            for w in cat.drugs[d].withdrawal:
                gap = w.after_gap
                if gap and req.last_dose_hours_ago >= gap.hours and (w.route in (route, "any")):
                    cues.append(
                        Cue(
                            d,
                            "withdrawal",
                            route,
                            f"last dose of {d} {req.last_dose_hours_ago:g} hours ago",
                        )
                    )
    if req.ingestion is not None:
        ing_route = "intrathecal" if _is_intrathecal(req.ingestion.route) else "oral"
        for d in for_drugs(req.ingestion.drug):
            cues.append(Cue(d, "overdose", ing_route, f"an overdose of {d} is reported"))
    if intrathecal:
        for d in drugs:
            cues.append(
                Cue(
                    d,
                    "withdrawal",
                    "intrathecal",
                    "has an intrathecal pump; its delivery can fail without warning",
                    alert=False,
                )
            )
    return Situation(cues=tuple(dict.fromkeys(cues)), intrathecal=intrathecal), tuple(not_checked)


# ---------------------------------------------------------------------------- check_now


@dataclass
class _Merge:
    findings: list[Finding] = field(default_factory=list)
    not_checked: list[NotChecked] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)
    computed: dict[str, Any] = field(default_factory=dict)


def check_now(ctx: Context) -> CheckResult:
    """Triage, overdose, missed dose and stopping for the request in `ctx`."""
    req = ctx.request
    acting = bool(
        req.symptoms
        or req.ingestion
        or req.missed_dose
        or req.events
        or req.last_dose_hours_ago is not None
    )
    if not acting:
        return CheckResult()
    situation, nc = situation_of(ctx)
    out = _Merge(not_checked=list(nc))
    suspected: str | None = None
    not_understood: tuple[str, ...] = ()

    tri = check_triage(ctx.catalog.symptoms, req.symptoms, situation)
    symptomatic = bool(tri.symptoms)
    if req.symptoms or situation.after_stopping:
        out.findings.extend(tri.findings)
        out.advice.extend(tri.advice)
        out.reasons.extend(tri.reasons)
        if tri.symptoms or tri.not_understood or tri.red_flags or tri.absent or tri.measured:
            out.levels.append(tri.level)
        suspected = tri.suspected_state
        not_understood = tri.not_understood

    if req.ingestion is not None:
        overdose_symptoms = any(
            lk.state == "overdose"
            for sid in tri.symptoms
            if (s := ctx.catalog.symptoms.get(sid)) is not None
            for lk in s.links
        )
        _overdose(ctx, out, overdose_symptoms or (symptomatic and bool(tri.red_flags)))
        if any(f.code == "overdose" for f in out.findings):
            suspected = "overdose"
    if req.missed_dose is not None:
        _missed(ctx, out)
    _stopping(ctx, situation, tri, out)
    _gap_without_symptoms(ctx, situation, out)
    if _kidney_toxicity(ctx, tri, out):
        suspected = "suspected_toxicity"

    if not out.levels:
        return CheckResult(
            findings=tuple(out.findings),
            not_checked=tuple(out.not_checked),
            computed=out.computed,
            advice=tuple(dict.fromkeys(out.advice)),
        )
    # The level is resolved once, after every part has spoken, by the same rules as the whole
    # assessment (clinical/advice.py: emergency advice makes an emergency and rules out "take
    # it now", the safer of two exclusive pieces of advice stands, the call comes first);
    # then the advice and the words this level rules out are dropped, so the answer never
    # contradicts itself.
    from medguide.clinical.advice import resolve_advice

    level = _max_level(out.levels)
    advice = (
        [*out.advice]
        if "call_poison_center" in out.advice
        else [*_LEVEL_ADVICE[level], *out.advice]
    )
    triage: dict[str, Any] = {
        "level": level,
        "reasons": list(dict.fromkeys(out.reasons)),
        "suspected_state": suspected,
        "not_understood": list(not_understood),
        "symptoms": list(tri.symptoms),
        "red_flags": list(tri.red_flags),
        "absent": list(tri.absent),
        "check_for": list(tri.check_for),
    }
    resolved = resolve_advice(out.findings, advice, triage, out.computed)
    final = dict(resolved.triage or triage)
    level = str(final["level"])
    final["reasons"] = _reasons_for(level, final["reasons"])
    return CheckResult(
        findings=tuple(out.findings),
        not_checked=tuple(out.not_checked),
        computed=dict(resolved.computed),
        advice=tuple(a for a in resolved.advice if a not in _RULED_OUT[level]),
        triage=final,
    )


# Advice a resolved level rules out: "not urgent" never beside "contact the prescriber
# today"; an emergency never beside "take the missed dose now".
_RULED_OUT: Mapping[str, frozenset[str]] = {
    "self_care": frozenset({"contact_prescriber"}),
    "routine": frozenset({"contact_prescriber"}),
    "urgent": frozenset(),
    "emergency": frozenset({"take_missed_dose_now"}),
}


def _reasons_for(level: str, reasons: Iterable[str]) -> list[str]:
    """The reasons, said-first ones first, without wording of a lower level than the one
    resolved ("headache: mention it at the next visit" beside an emergency)."""
    out: list[str] = []
    for r in dict.fromkeys(reasons):
        for lv, words in _LEVEL_WORDS.items():
            if TRIAGE_RANK[lv] < TRIAGE_RANK[level] and r.endswith(f": {words}"):
                r = f"{r[: -len(words) - 2]}: also reported"
        out.append(r)
    first = [r for r in out if r.startswith("not understood")]
    return list(dict.fromkeys([*first, *out]))


def _overdose(ctx: Context, out: _Merge, symptomatic: bool) -> None:
    from medguide.clinical.overdose import Ingested, check_overdose
    from medguide.knowledge.names import resolve_name

    ing = ctx.request.ingestion
    assert ing is not None
    r = resolve_name(ctx.catalog, ing.drug)
    drug = ctx.catalog.drugs.get(r.drug_id or "")
    if drug is None:
        out.levels.append("urgent")
        out.advice.append("call_poison_center")
        out.reasons.append(
            f"{ing.drug!r} is not in the catalog: call a poison centre for "
            "advice on the amount taken"
        )
        out.not_checked.append(NotChecked("overdose", f"{ing.drug!r} is not covered"))
        return
    p = ctx.request.patient
    company = tuple(
        s.matched or s.query
        for s in ctx.substances
        if not s.drug_id or _sedating(ctx.catalog, ctx.catalog.drugs[s.drug_id])
        if s.drug_id in ctx.catalog.drugs or not s.drug_id
    )
    try:
        result = check_overdose(
            drug,
            Ingested(
                drug=drug.id,
                amount=ing.amount,
                unit=ing.unit,
                strength_mg=ing.strength_mg,
                concentration=ing.concentration,
                product=r.product_id,
                hours_ago=ing.hours_ago,
                intentional=ing.intentional,
                route=ing.route or "oral",
                age_years=p.age_years,
                weight_kg=p.weight_kg,
                kidney_ml_min=ctx.patient.kidney_ml_min,
                dialysis=ctx.patient.on_dialysis,
                co_ingestants=company,
                symptomatic=symptomatic,
            ),
        )
    except ValueError as exc:
        out.levels.append("urgent")
        out.advice.append("call_poison_center")
        out.reasons.append(f"the amount could not be worked out ({exc}): call a poison centre")
        out.not_checked.append(NotChecked("overdose_amount", str(exc), (drug.id,)))
        return
    out.findings.extend(result.findings)
    out.not_checked.extend(result.not_checked)
    out.advice.extend(result.advice)
    out.reasons.extend(result.reasons)
    out.levels.append(result.level)
    out.computed["overdose"] = result.computed


def _missed(ctx: Context, out: _Merge) -> None:
    from medguide.clinical.missed_dose import advise_missed_dose
    from medguide.knowledge.names import resolve_name

    md = ctx.request.missed_dose
    assert md is not None
    r = resolve_name(ctx.catalog, md.drug)
    drug = ctx.catalog.drugs.get(r.drug_id or "")
    if drug is None or drug.missed_dose is None:
        out.not_checked.append(
            NotChecked("missed_dose", f"no missed-dose rule for {md.drug!r}; ask a pharmacist")
        )
        out.advice.extend(("do_not_double", "contact_prescriber"))
        out.levels.append("routine")
        return
    if md.scheduled is None:  # a run of missed doses, or a long gap: no one dose to place
        _missed_run(ctx, drug, md.consecutive_missed, out)
        return
    now = ctx.now
    if now is None:
        out.not_checked.append(
            NotChecked("missed_dose", "the current time is not known ('now' missing)", (drug.id,))
        )
        out.advice.append("do_not_double")
        return
    zone = ctx.request.patient.timezone
    if now.tzinfo is None:
        # A wall-clock "now" with a wall-clock schedule: both are the person's local time.
        from datetime import UTC

        now = now.replace(tzinfo=UTC) if zone is None else now
        out.computed["now_assumed"] = (
            "'now' had no time zone: it was read as the person's wall-clock time"
            + (f" in {zone}" if zone else ", like the schedule's clock times")
        )
        zone = zone or "UTC"
    interval = md.interval_hours
    next_due = md.next_due
    if next_due is None and interval is None:
        next_due = _next_clock_time(ctx, drug.id, md.scheduled)
    if next_due is None and interval is None:
        per_day = [
            o.interval_hours or (24 / o.doses_per_day if o.doses_per_day else None)
            for o in ctx.orders_of(drug.id)
        ]
        interval = next((x for x in per_day if x), None)
    try:
        a = advise_missed_dose(
            drug.missed_dose,
            missed=md.scheduled,
            next_due=next_due,
            interval_hours=interval,
            now=now,
            tz=zone,
            consecutive_missed=md.consecutive_missed,
            drug=drug.id,
        )
    except ValueError as exc:
        out.not_checked.append(NotChecked("missed_dose", str(exc), (drug.id,)))
        out.advice.append("do_not_double")
        out.levels.append("routine")
        out.reasons.append(f"missed dose: {exc}")
        return
    out.computed["missed_dose"] = a.as_dict()
    out.advice.extend(a.advice)
    out.reasons.append(a.message)
    out.levels.append("urgent" if a.withdrawal_risk else "self_care")
    if a.withdrawal_risk:
        out.findings.append(_missed_run_finding(drug, f"{a.consecutive_missed} doses", None))


def _next_clock_time(ctx: Context, drug_id: str, scheduled: str) -> str | None:
    """The dose after `scheduled` in the order's own clock times ("times"), if it has them."""
    for o in ctx.orders_of(drug_id):
        times = sorted(ctx.request.medications[o.index].times)
        if scheduled.strip() in times and len(times) > 1:
            return times[(times.index(scheduled.strip()) + 1) % len(times)]
    return None


def _missed_run_finding(drug: Drug, what: str, hours: float | None) -> Finding:
    rule = drug.missed_dose
    assert rule is not None
    signs = [w for w in drug.withdrawal if w.route in ("oral", "any")]
    return Finding(
        code="withdrawal_risk",
        severity="high",
        message=(
            f"{what} of {drug.name} missed: going without it can bring on withdrawal. Do not "
            "take the missed doses together; call the prescriber today for how to restart. "
            "Get emergency help for fever, confusion, hallucinations, a fit or stiff muscles."
        ),
        drugs=(drug.id,),
        details={
            "missed": what,
            "hours_since_last_dose": hours,
            "threshold": rule.consecutive_missed_withdrawal_risk,
        },
        advice=("do_not_take_all_missed_doses", "contact_prescriber", "do_not_double"),
        sources=tuple(
            dict.fromkeys([*rule.sources, *(s for w in signs for x in w.signs for s in x.sources)])
        ),
    )


def _missed_run(ctx: Context, drug: Drug, count: int, out: _Merge) -> None:
    """Several doses missed in a row, or a day or more since the last dose."""
    rule = drug.missed_dose
    assert rule is not None
    hours = ctx.request.last_dose_hours_ago
    threshold = rule.consecutive_missed_withdrawal_risk
    # The gap the knowledge counts as an interruption (withdrawal.after_gap; a judgment call).
    gaps = [w.after_gap.hours for w in drug.withdrawal if w.after_gap and w.route != "intrathecal"]
    long_gap = hours is not None and bool(gaps) and hours >= min(gaps)
    if (threshold is not None and count >= threshold) or long_gap:
        what = f"{count} doses" if count > 1 else f"{hours:g} hours" if hours else "doses"
        out.findings.append(_missed_run_finding(drug, what, hours))
        out.advice.extend(("do_not_take_all_missed_doses", "contact_prescriber", "do_not_double"))
        out.levels.append("urgent")
        out.reasons.append(f"{what} of {drug.name} missed: risk of withdrawal")
        return
    out.advice.extend(("do_not_double", "contact_prescriber"))
    out.levels.append("routine")
    out.reasons.append(f"{count} dose(s) of {drug.name} missed; do not double the next one")


def _stopping(ctx: Context, situation: Situation, tri: Triage, out: _Merge) -> None:
    """A wish or plan to stop, or a stop that already happened without symptoms yet."""
    req = ctx.request
    for e in req.events:
        if e.kind not in ("wants_to_stop", "stopped", "pump_alarm", "pump_refill_missed"):
            continue
        drugs = [
            d for d in _drugs_of(situation) if not e.drug or d == (_resolve_id(ctx, e.drug) or d)
        ]
        for d in drugs:
            drug = ctx.catalog.drugs[d]
            if e.kind == "wants_to_stop":
                _plan_stop(ctx, drug, e.daily_dose_mg, out)
            elif not any(f.code == "suspected_withdrawal" and d in f.drugs for f in out.findings):
                withdrawal = [
                    w
                    for w in drug.withdrawal
                    if w.route in ("intrathecal" if situation.intrathecal else "oral", "any")
                ]
                if not withdrawal:
                    continue
                why = (
                    f"stopped{_days(e.days_ago)}"
                    if e.kind == "stopped"
                    else "pump alarm"
                    if e.kind == "pump_alarm"
                    else "missed pump refill"
                )
                srcs = tuple(
                    dict.fromkeys(s for w in withdrawal for x in w.signs for s in x.sources)
                )
                out.findings.append(
                    Finding(
                        code="withdrawal_risk",
                        severity="high",
                        message=(
                            f"{drug.name}: {why}. Withdrawal can follow within days and can be "
                            "dangerous; call the prescriber (or the pump team) today and get "
                            "emergency help for fever, confusion, hallucinations or a fit."
                        ),
                        drugs=(d,),
                        details={
                            "event": e.kind,
                            "days_ago": e.days_ago,
                            "daily_dose_mg": e.daily_dose_mg,
                            "route": withdrawal[0].route,
                        },
                        advice=("contact_prescriber", "monitor_mental_status"),
                        sources=srcs,
                    )
                )
                out.advice.extend(("contact_prescriber", "monitor_mental_status"))
                out.levels.append("urgent")
                out.reasons.append(f"{drug.name} {why}: risk of withdrawal")


def _gap_without_symptoms(ctx: Context, situation: Situation, out: _Merge) -> None:
    """Doses missed, or a long gap since the last dose, with no symptoms (yet): a withdrawal
    risk that needs the prescriber today, not silence."""
    for d in _drugs_of(situation):
        if any(
            f.code in ("suspected_withdrawal", "withdrawal_risk") and d in f.drugs
            for f in out.findings
        ):
            continue
        why = [
            c.reason
            for c in situation.cues
            if c.drug == d
            and c.alert
            and c.state == "withdrawal"
            and not c.reason.startswith("lowered the dose")
        ]
        drug = ctx.catalog.drugs[d]
        signs = [w for w in drug.withdrawal if w.route in ("oral", "any")]
        if not why or not signs:
            continue
        out.findings.append(
            Finding(
                code="withdrawal_risk",
                severity="high",
                message=(
                    f"{drug.name}: {why[0]}. Going without it can bring on withdrawal; do not "
                    "take the missed doses together. Call the prescriber today, and get "
                    "emergency help for fever, confusion, hallucinations or a fit."
                ),
                drugs=(d,),
                details={"because": why},
                advice=("contact_prescriber", "do_not_take_all_missed_doses", "do_not_double"),
                sources=tuple(dict.fromkeys(s for w in signs for x in w.signs for s in x.sources)),
            )
        )
        out.advice.extend(("contact_prescriber", "do_not_take_all_missed_doses", "do_not_double"))
        out.levels.append("urgent")
        out.reasons.append(f"{why[0]}: risk of withdrawal")


def _kidney_toxicity(ctx: Context, tri: Triage, out: _Merge) -> bool:
    """Toxicity in kidney failure (`check_kidney_toxicity`), merged into what check_now says:
    its finding explains the symptoms and replaces the milder readings of them."""
    from medguide.clinical.kidney_toxicity import check_kidney_toxicity

    found = check_kidney_toxicity(ctx, tri.symptoms)
    for k in found:
        out.findings = [
            f
            for f in out.findings
            if not (k.drug in f.drugs and f.code in ("suspected_toxicity", "expected_side_effect"))
        ]
        out.findings.append(k.finding)
        out.advice.extend(("call_emergency_services", "consider_hemodialysis"))
        out.levels.append("emergency")
        out.reasons.append(k.reason)
    return bool(found)


def _resolve_id(ctx: Context, name: str) -> str | None:
    from medguide.knowledge.names import resolve_name

    r = resolve_name(ctx.catalog, name)
    return r.drug_id


def _plan_stop(ctx: Context, drug: Drug, daily_mg: float | None, out: _Merge) -> None:
    taper = drug.taper
    sources = (
        tuple(taper.sources)
        if taper
        else tuple(s for w in drug.withdrawal for x in w.prevention for s in x.sources)
    )
    details: dict[str, Any] = {"min_days": taper.min_days if taper else None}
    plan, why_not = _taper_plan(ctx, drug, daily_mg)
    if plan is not None:
        details["plan"] = plan
    else:
        out.not_checked.append(NotChecked("taper_plan", why_not or "no taper plan", (drug.id,)))
    out.findings.append(
        Finding(
            code="withdrawal_risk",
            severity="moderate",
            message=(
                f"Do not stop {drug.name} suddenly. Lower the dose step by step"
                + (f" over at least {taper.min_days} days" if taper else "")
                + ", with a plan from your prescriber."
            ),
            drugs=(drug.id,),
            details=details,
            advice=("do_not_stop_abruptly", "gradual_taper", "contact_prescriber"),
            sources=sources or tuple(drug.sources),
        )
    )
    out.advice.extend(("do_not_stop_abruptly", "gradual_taper", "contact_prescriber"))
    out.levels.append("routine")
    out.reasons.append(f"wants to stop {drug.name}: taper, never stop abruptly")


def _taper_plan(ctx: Context, drug: Drug, daily_mg: float | None) -> tuple[Any, str | None]:
    """A taper plan from the dosing work's planner, or (None, why not)."""
    try:
        from medguide.clinical.plans import plan_taper
    except ImportError:
        return None, "the taper planner is not installed; the prescriber plans the taper"
    if ctx.now is None:
        return None, "no taper plan without the current date ('now')"
    order = next((o for o in ctx.orders_of(drug.id) if o.dose and o.doses_per_day), None)
    if order is None or not order.doses_per_day or not order.dose:
        known = f" (only {daily_mg:g} mg a day)" if daily_mg else ""
        return (
            None,
            f"no taper plan: the current dose and how often it is taken are not known{known}",
        )
    dpd = round(order.doses_per_day)
    dose = order.dose / dpd if order.dose_is_daily else order.dose
    try:
        plan = plan_taper(
            drug,
            dose=dose,
            doses_per_day=dpd,
            start=ctx.now.date(),
            route="intrathecal" if _is_intrathecal(order.route) else "oral",
            dose_unit=order.unit,
            product=order.name.product_id,
            age_years=ctx.request.patient.age_years,
            # long use lengthens the taper (the knowledge's taper rule)
            on_drug_days=(ctx.now.date() - order.started).days if order.started else None,
        )
    except ValueError as exc:
        return None, f"no taper plan: {exc}"
    return plan.as_dict(), None
