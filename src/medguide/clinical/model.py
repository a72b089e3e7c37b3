"""The clinical model: resolved names and medication orders, as frozen dataclasses.

Outside shapes (free text, structured fields, FHIR) are turned into these at the edge; the
checks compute on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from medguide.clinical.findings import Finding
from medguide.knowledge.resolved import Resolved, ResolveMethod

__all__ = ["DosePart", "Order", "ResolveMethod", "Resolved"]


@dataclass(frozen=True)
class DosePart:
    """One part of an order with different doses by time ("10 mg BID + 20 mg HS")."""

    dose: float
    unit: str
    doses_per_day: float
    when: str


@dataclass(frozen=True)
class Order:
    """One medication order as read from text or structured fields.

    `dose`/`unit` are per administration as written ("10 mL", "1 tablet", "50 mcg"); when
    `dose_is_daily` the written dose is a daily total to be divided ("20 mg/day divided QID").
    `doses_per_day` is None when the frequency is missing or could not be read.

    What the order itself states beside the dose: `strength` (mass per tablet or packet,
    "10 mg tablet, 1 tablet"), `concentration` (mass per mL, "5 mg/mL suspension 20 mL"),
    `per_kg` (the dose is per kg of body weight), `daily_factor` (24 for a rate per hour).
    A range ("10-20 mg") is read at its top, with its low end in `dose_low`; an order with
    different doses by time has its `parts` (then `dose` is the largest part and
    `doses_per_day` their sum). `notes` say how the order was read, for people.
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
    strength: tuple[float, str] | None = None
    concentration: tuple[float, str] | None = None
    per_kg: bool = False
    daily_factor: float = 1.0
    dose_low: float | None = None
    parts: tuple[DosePart, ...] = ()
    notes: tuple[str, ...] = ()
    route_text: str | None = None
    source: str = "medication"
    max_daily: tuple[float, str] | None = None  # a stated ceiling a day ("max 40 mg/day")
