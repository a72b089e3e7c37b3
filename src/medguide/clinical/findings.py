"""The words medguide speaks: findings, advice and triage codes, and their severities.

Codes are stable (DESIGN.md, "The words it speaks"); programs key on them. Messages are for
people and may change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

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
        "qt_prolongation_burden",
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

# Severity of a finding → CDS Hooks card indicator and FHIR DetectedIssue.severity.
# One table, used by every integration (DESIGN.md: "by one documented table").
SEVERITY_TO_CDS: Mapping[str, str] = {
    "info": "info",
    "low": "info",
    "moderate": "warning",
    "high": "critical",
    "critical": "critical",
}
SEVERITY_TO_FHIR: Mapping[str, str] = {
    "info": "low",
    "low": "low",
    "moderate": "moderate",
    "high": "high",
    "critical": "high",
}


@dataclass(frozen=True)
class Finding:
    """One thing a check found, with the drugs it concerns and the sources behind it."""

    code: str
    severity: Severity
    message: str
    drugs: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    advice: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.code not in FINDING_CODES:
            raise ValueError(f"unknown finding code {self.code!r}")
        unknown = set(self.advice) - ADVICE_CODES
        if unknown:
            raise ValueError(f"unknown advice code(s) {sorted(unknown)}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "drugs": list(self.drugs),
            "message": self.message,
            "details": dict(self.details),
            "advice": list(self.advice),
            "sources": list(self.sources),
        }


@dataclass(frozen=True)
class NotChecked:
    """Something that could not be checked, and why. Never passed in silence."""

    check: str
    reason: str
    drugs: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "reason": self.reason, "drugs": list(self.drugs)}


@dataclass(frozen=True)
class CheckResult:
    """What one group of checks returns; the assessment merges them."""

    findings: tuple[Finding, ...] = ()
    not_checked: tuple[NotChecked, ...] = ()
    computed: Mapping[str, Any] = field(default_factory=dict)
    advice: tuple[str, ...] = ()
    triage: Mapping[str, Any] | None = None


def unknown_drug_finding(query: str, details: Mapping[str, Any] | None = None) -> Finding:
    """The one `unknown_drug` finding for a name that did not resolve, for every command:
    nothing about an unrecognised medicine was checked, so it is serious (`high`) and the
    advice is to ask the prescriber."""
    return Finding(
        code="unknown_drug",
        severity="high",
        message=(
            f"'{query}' is not a medicine medguide recognises; nothing about it was checked. "
            "Check the spelling or ask a pharmacist."
        ),
        drugs=(query,),
        details=dict(details or {}),
        advice=("contact_prescriber",),
    )


# A more specific finding replaces a general one about the same drugs, so one problem gives
# one alert (a child over the age-band maximum is told once, with the mg/kg figure).
SUPERSEDES: Mapping[str, frozenset[str]] = {
    "pediatric_max_exceeded": frozenset({"max_daily_dose_exceeded"}),
}


def drop_superseded(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Leave out each finding that a more specific one about the same drugs replaces."""
    items = tuple(findings)
    replaced = {(code, f.drugs) for f in items for code in SUPERSEDES.get(f.code, frozenset())}
    return tuple(f for f in items if (f.code, f.drugs) not in replaced)


def sort_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Most severe first; stable within a severity."""
    return tuple(sorted(findings, key=lambda f: -SEVERITY_RANK[f.severity]))
