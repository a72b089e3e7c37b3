"""The clinical model: resolved names and medication orders, as frozen dataclasses.

Outside shapes (free text, structured fields, FHIR) are turned into these at the edge; the
checks compute on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from medguide.clinical.findings import Finding
from medguide.knowledge.resolved import Resolved, ResolveMethod

__all__ = ["Order", "ResolveMethod", "Resolved"]


@dataclass(frozen=True)
class Order:
    """One medication order as read from text or structured fields.

    `dose`/`unit` are per administration as written ("10 mL", "1 tablet", "50 mcg"); when
    `dose_is_daily` the written dose is a daily total to be divided ("20 mg/day divided QID").
    `doses_per_day` is None when the frequency is missing or could not be read.
    """

    index: int
    text: str
    name: Resolved
    dose: float | None
    unit: str | None
    route: str | None
    doses_per_day: float | None
    interval_hours: float | None = None
    frequency_text: str | None = None
    dose_is_daily: bool = False
    prn: bool = False
    bolus: bool = False
    new: bool = False
    started: date | None = None
    issues: tuple[Finding, ...] = ()
