"""The words medguide speaks: findings, advice and triage codes, and their severities.

Codes are stable (DESIGN.md, "The words it speaks"); programs key on them. Messages are for
people and may change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from medguide.codes import (
    ADVICE_CODES,
    FINDING_CODES,
    SEVERITY_RANK,
    TRIAGE_RANK,
    Severity,
    TriageLevel,
)


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


__all__ = [
    "ADVICE_CODES",
    "FINDING_CODES",
    "SEVERITY_RANK",
    "TRIAGE_RANK",
    "CheckResult",
    "Finding",
    "NotChecked",
    "Severity",
    "TriageLevel",
    "drop_superseded",
    "sort_findings",
]
