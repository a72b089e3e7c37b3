"""Finding severity → CDS Hooks card indicator and FHIR DetectedIssue.severity.

One table, used by every integration (DESIGN.md: "by one documented table"). CDS Hooks 2.0
cards know `info`, `warning` and `critical`; FHIR R4 DetectedIssue.severity knows `low`,
`moderate` and `high`. A `high` finding is a card the clinician must not miss, so it is
`critical` there.
"""

from __future__ import annotations

from collections.abc import Mapping

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
