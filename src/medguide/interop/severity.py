"""Finding severity → CDS Hooks card indicator and FHIR DetectedIssue.severity.

One table, used by every integration (DESIGN.md: "by one documented table"). CDS Hooks 2.0
cards know `info`, `warning` and `critical`; FHIR R4 DetectedIssue.severity knows `low`,
`moderate` and `high`. `critical` cards are kept for critical findings (a dose that must not
be given as it stands, help needed now), so that they stand out: a `high` finding (act before
the next dose, such as a kidney dose adjustment) is a `warning` card, as CDS Hooks uses the
word, and `high` in FHIR. Fewer critical cards is also the answer to alert fatigue.
"""

from __future__ import annotations

from collections.abc import Mapping

SEVERITY_TO_CDS: Mapping[str, str] = {
    "info": "info",
    "low": "info",
    "moderate": "warning",
    "high": "warning",
    "critical": "critical",
}
SEVERITY_TO_FHIR: Mapping[str, str] = {
    "info": "low",
    "low": "low",
    "moderate": "moderate",
    "high": "high",
    "critical": "high",
}
