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

FINDING_CODES: frozenset[str] = frozenset(
    {
        "max_daily_dose_exceeded",
        "max_single_dose_exceeded",
        "max_doses_per_day_exceeded",
        "titration_too_fast",
        "dose_below_usual",
        "renal_dose_adjustment",
        "renal_avoid",
        "renal_function_unknown",
        "beers_kidney_avoid",
        "geriatric_dose_caution",
        "pediatric_label_not_established",
        "pediatric_age_below_label",
        "pediatric_max_exceeded",
        "unit_mismatch",
        "concentration_confusion",
        "error_prone_abbreviation",
        "ambiguous_order",
        "unknown_drug",
        "duplicate_ingredient",
        "duplicate_therapy",
        "interaction",
        "cns_depressant_burden",
        "hypotension_burden",
        "withdrawal_risk",
        "suspected_withdrawal",
        "suspected_toxicity",
        "overdose",
        "pregnancy_caution",
        "neonatal_withdrawal_risk",
        "lactation_info",
        "fetal_toxicity",
        "condition_caution",
        "contraindicated_condition",
        "not_indicated",
        "hepatic_caution",
        "encephalopathy_risk",
        "expected_side_effect",
    }
)

ADVICE_CODES: frozenset[str] = frozenset(
    {
        "take_missed_dose_now",
        "skip_missed_dose",
        "do_not_double",
        "do_not_take_all_missed_doses",
        "contact_prescriber",
        "call_emergency_services",
        "call_poison_center",
        "gradual_taper",
        "do_not_stop_abruptly",
        "avoid_driving_until_known",
        "avoid_alcohol",
        "not_covered_refer",
        "consider_activated_charcoal",
        "consider_hemodialysis",
        "monitor_mental_status",
        "reduce_dose",
    }
)

# Advice that cannot stand together in one answer. In each pair the first gives way to the
# second when both are reached: never more of a drug when skipping, an emergency, a poison
# centre or dialysis is advised.
EXCLUSIVE_ADVICE: tuple[tuple[str, str], ...] = (
    ("take_missed_dose_now", "skip_missed_dose"),
    ("take_missed_dose_now", "call_emergency_services"),
    ("take_missed_dose_now", "call_poison_center"),
    ("take_missed_dose_now", "consider_hemodialysis"),
    ("take_missed_dose_now", "consider_activated_charcoal"),
)
