"""The one table of severities for the order and dose checks (doses.py shows it for people).

The reader of orders (`orders.py`) and the dose checks (`doses.py`) both take their severities
from here, so a severity is decided once, by case, never inside a rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from medguide.codes import Severity

SEVERITY_RULES: Final[Mapping[str, Mapping[str, Severity]]] = {
    "max_daily_dose_exceeded": {"default": "high", "at_or_above_1.5x": "critical"},
    "max_single_dose_exceeded": {"default": "high"},
    "max_doses_per_day_exceeded": {"default": "high"},
    "unit_mismatch": {"default": "critical"},
    "concentration_confusion": {
        "named_product": "moderate",
        "unnamed_product": "high",
        "two_fold_or_more": "high",
        "under_two_fold": "moderate",
    },
    "ambiguous_order": {"default": "high"},
    "route_not_available": {"default": "high"},
    "unknown_drug": {"default": "high", "spelling_only": "moderate"},
    "dose_below_usual": {"default": "info"},
    "titration_too_fast": {"default": "moderate"},
    "duplicate_ingredient": {"default": "high"},
    "error_prone_abbreviation": {"default": "moderate"},
}
"""The one table of dose-check severities (the module docstring shows it for people)."""


def severity_of(code: str, case: str = "default") -> Severity:
    """The severity of a finding code in one of its cases (KeyError for an unknown pair)."""
    return SEVERITY_RULES[code][case]
