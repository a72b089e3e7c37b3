"""The words medguide speaks, at ground level: finding, advice and triage codes, severities.

Codes are stable (docs/codes.md, generated from this module and checked by a test); programs
key on them. Messages are for people and may change. Every other layer imports from here and
this module imports nothing of medguide.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

Severity = Literal["info", "low", "moderate", "high", "critical"]
SEVERITY_RANK: Mapping[str, int] = {"info": 0, "low": 1, "moderate": 2, "high": 3, "critical": 4}

TriageLevel = Literal["self_care", "routine", "urgent", "emergency"]
TRIAGE_RANK: Mapping[str, int] = {"self_care": 0, "routine": 1, "urgent": 2, "emergency": 3}

# Each finding code with its group and what it means, for programs and for docs/codes.md.
FINDINGS: Mapping[str, tuple[str, str]] = {
    "max_daily_dose_exceeded": ("dose", "the daily total of an ingredient by a route is above the maximum of its dose rule"),
    "max_single_dose_exceeded": ("dose", "one administration is above the largest single dose"),
    "max_doses_per_day_exceeded": ("dose", "more administrations a day than the dose rule allows"),
    "titration_too_fast": ("dose", "a first start above the first step of the titration schedule"),
    "dose_below_usual": ("dose", "a daily total below the usual maintenance range (information)"),
    "renal_dose_adjustment": ("kidney", "kidney function calls for a lower dose; the suggested daily amount is in details"),
    "renal_avoid": ("kidney", "kidney function at which the drug is best avoided"),
    "renal_function_unknown": ("kidney", "a renally cleared drug, but no kidney value was given"),
    "beers_kidney_avoid": ("older adults", "Beers criteria: avoid or lower in an older adult at this kidney function"),
    "geriatric_dose_caution": ("older adults", "a dose in an older adult above the cautious range"),
    "encephalopathy_risk": ("older adults", "a combination of age, kidneys and dose known for confusion and encephalopathy"),
    "pediatric_label_not_established": ("children", "the label has not established use at this age"),
    "pediatric_age_below_label": ("children", "younger than the youngest age on the label"),
    "pediatric_max_exceeded": ("children", "above the age-band or per-kg maximum for a child"),
    "unit_mismatch": ("units and orders", "the unit is of the wrong kind or size for the route (a mg/mcg slip)"),
    "concentration_confusion": ("units and orders", "a liquid or pump dose that depends on which concentration is used"),
    "error_prone_abbreviation": ("units and orders", "an ISMP error-prone abbreviation, symbol or dose designation"),
    "ambiguous_order": ("units and orders", "an order that cannot be read or counted with confidence"),
    "unknown_drug": ("units and orders", "a name that was not recognised, or was matched only by its spelling"),
    "route_not_available": ("units and orders", "a route the drug has no product for, or that its label rules out"),
    "duplicate_ingredient": ("duplicates", "the same ingredient ordered more than once"),
    "duplicate_therapy": ("duplicates", "two drugs of the same therapeutic class"),
    "interaction": ("interactions", "two drugs (or a drug and a substance) that interact; severity and what to do in details"),
    "cns_depressant_burden": ("interactions", "three or more sedating drugs or substances together (one finding for the group)"),
    "hypotension_burden": ("interactions", "several blood-pressure-lowering drugs together (one finding for the group)"),
    "qt_prolongation_burden": ("interactions", "two or more QT-prolonging drugs together (one finding for the group)"),
    "withdrawal_risk": ("states", "a situation that can bring on withdrawal (a stop, a large cut, missed doses, a pump problem)"),
    "suspected_withdrawal": ("states", "symptoms that point to withdrawal"),
    "suspected_toxicity": ("states", "symptoms that point to too much of the drug (build-up, kidney failure)"),
    "expected_side_effect": ("states", "symptoms a known, usually mild side effect explains"),
    "overdose": ("states", "an amount taken, or delivered, above what is safe"),
    "pregnancy_caution": ("reproduction", "a caution for use in pregnancy"),
    "neonatal_withdrawal_risk": ("reproduction", "near term: the newborn can have withdrawal"),
    "lactation_info": ("reproduction", "what is known about breastfeeding"),
    "fetal_toxicity": ("reproduction", "harm to the unborn child is known"),
    "condition_caution": ("conditions", "a condition that calls for caution with the drug"),
    "contraindicated_condition": ("conditions", "a condition in which the drug must not be used"),
    "not_indicated": ("conditions", "a use the drug is not approved or shown to work for"),
    "hepatic_caution": ("conditions", "liver disease or liver tests that call for caution"),
}  # fmt: skip
FINDING_CODES: frozenset[str] = frozenset(FINDINGS)

ADVICE: Mapping[str, str] = {
    "take_missed_dose_now": "take the missed dose now",
    "skip_missed_dose": "skip the missed dose; take the next at the usual time",
    "do_not_double": "never take two doses together to catch up",
    "do_not_take_all_missed_doses": "do not take several missed doses at once",
    "contact_prescriber": "contact the prescriber, pharmacist or pump team today",
    "call_emergency_services": "call emergency services now",
    "call_poison_center": "call a poison centre now",
    "gradual_taper": "stop only by lowering the dose step by step",
    "do_not_stop_abruptly": "do not stop suddenly",
    "avoid_driving_until_known": "do not drive until the effect is known",
    "avoid_alcohol": "avoid alcohol",
    "not_covered_refer": "not covered here: ask a clinician or pharmacist",
    "consider_activated_charcoal": "for clinicians: activated charcoal may be considered",
    "consider_hemodialysis": "for clinicians: haemodialysis may be considered",
    "monitor_mental_status": "someone should watch alertness and confusion",
    "reduce_dose": "the dose may need lowering",
}
ADVICE_CODES: frozenset[str] = frozenset(ADVICE)

SEVERITIES: Mapping[str, str] = {
    "info": "for information; nothing to act on",
    "low": "worth knowing; act at the next review",
    "moderate": "act on it: change or monitor",
    "high": "act before the next dose",
    "critical": "act now: a dose must not be given as it stands, or help is needed now",
}
TRIAGE_LEVELS: Mapping[str, str] = {
    "self_care": "usually fine to manage at home",
    "routine": "mention it at the next visit",
    "urgent": "a clinician, pump team or poison centre today",
    "emergency": "emergency services now",
}


def render_markdown(exit_codes: Mapping[str, tuple[int, str]]) -> str:
    """docs/codes.md: every code medguide speaks, generated from this registry."""
    lines = [
        "# The codes medguide speaks",
        "",
        "Generated from `src/medguide/codes.py` (`medguide knowledge codes`); a test checks that",
        "this file is current. Codes are stable: programs key on them. Wording may change.",
        "",
        "## Finding codes",
        "",
        "| code | group | meaning |",
        "|---|---|---|",
        *(f"| `{c}` | {g} | {m} |" for c, (g, m) in FINDINGS.items()),
        "",
        "## Severities (lowest first)",
        "",
        "| severity | meaning |",
        "|---|---|",
        *(f"| `{s}` | {m} |" for s, m in SEVERITIES.items()),
        "",
        "## Advice codes",
        "",
        "| code | meaning |",
        "|---|---|",
        *(f"| `{c}` | {m} |" for c, m in ADVICE.items()),
        "",
        "## Triage levels (lowest first)",
        "",
        "| level | meaning |",
        "|---|---|",
        *(f"| `{lv}` | {m} |" for lv, m in TRIAGE_LEVELS.items()),
        "",
        "## Exit codes of the `medguide` command",
        "",
        "| code | name | meaning |",
        "|---|---|---|",
        *(f"| {n} | `{name}` | {m} |" for name, (n, m) in exit_codes.items()),
        "",
    ]
    return "\n".join(lines)


# Advice that must never appear together, and which one stands when both come up: the safer.
EXCLUSIVE_ADVICE: Mapping[frozenset[str], str] = {
    frozenset({"take_missed_dose_now", "skip_missed_dose"}): "skip_missed_dose",
}
# Advice an emergency, or a suspected overdose or build-up, rules out: never more of a drug
# that may already be too much.
RULED_OUT_BY_EMERGENCY: frozenset[str] = frozenset({"take_missed_dose_now"})
