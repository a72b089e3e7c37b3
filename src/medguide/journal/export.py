"""The journal out: CSV of dose events, JSON of the history, and FHIR R4 MedicationStatement
resources with adherence (plain dicts; the tests validate them with fhir.resources R4B).

R4 MedicationStatement has no adherence element (R5 added one), so adherence is carried in
an extension with the counts and the period, and in a note for people.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from medguide.journal import views as v
from medguide.journal.report import build_views, event_dict
from medguide.journal.store import Journal

ADHERENCE_URL = "https://medguide.invalid/fhir/StructureDefinition/adherence"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
UCUM_CODES = {"mg": "mg", "mcg": "ug", "g": "g", "mL": "mL"}
CSV_FIELDS = (
    "id", "medication", "drug", "kind", "at", "scheduled_for", "amount", "unit", "recorded_by",
)  # fmt: skip


def dump_csv(journal: Journal, person_id: str, now: datetime, days: int) -> str:
    snap = journal.snapshot(person_id, now - timedelta(days=days))
    tz = snap.person.tz
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    w.writeheader()
    for e in snap.events:
        if e.occurred_at <= now:
            w.writerow(event_dict(e, snap, tz))
    return buf.getvalue()


def _fhir_id(text: str) -> str:
    """FHIR ids allow letters, digits, '-' and '.', at most 64."""
    return re.sub(r"[^A-Za-z0-9.-]", "-", text)[:64]


def _timing(med: v.Med) -> dict[str, Any]:
    s = med.schedule
    if s.kind == "clock" and s.times:
        return {
            "repeat": {
                "frequency": len(s.times),
                "period": 1,
                "periodUnit": "d",
                "timeOfDay": [t.strftime("%H:%M:%S") for t in s.times],
            }
        }
    if s.kind == "interval" and s.interval_hours:
        return {"repeat": {"frequency": 1, "period": s.interval_hours, "periodUnit": "h"}}
    if s.kind == "prn" and med.min_interval_hours:
        return {"repeat": {"frequency": 1, "period": med.min_interval_hours, "periodUnit": "h"}}
    return {}


def dump_fhir(journal: Journal, person_id: str, now: datetime, days: int) -> dict[str, Any]:
    """A collection Bundle with one MedicationStatement per medicine."""
    now = now.astimezone(UTC)
    since = now - timedelta(days=days)
    snap = journal.snapshot(person_id, since)
    pv = build_views(journal.catalog, snap, since, now)
    tz = snap.person.tz
    entries = []
    for record, view in pv.meds:
        med = record.med
        drug = journal.catalog.drug(med.drug_id)
        rxcui = drug.codes.rxcui if drug is not None else None
        past = [s for s in view.slots if s.slot.due <= now]
        counts = v.adherence(past, tz, "week")
        taken = sum(a.taken for a in counts)
        expected = sum(a.expected for a in counts)
        concept: dict[str, Any] = {"text": med.drug_name}
        if rxcui:
            concept["coding"] = [{"system": RXNORM, "code": rxcui, "display": med.drug_name}]
        dosage: dict[str, Any] = {"text": record.order_text, "asNeededBoolean": med.prn}
        timing = _timing(med)
        if timing:
            dosage["timing"] = timing
        if med.dose is not None:
            q: dict[str, Any] = {"value": med.dose, "unit": med.unit}
            if med.unit in UCUM_CODES:
                q |= {"system": UCUM, "code": UCUM_CODES[med.unit]}
            dosage["doseAndRate"] = [{"doseQuantity": q}]
        start = max(med.started_at, since)
        period = {"start": start.astimezone(tz).isoformat(), "end": now.astimezone(tz).isoformat()}
        adherence: list[dict[str, Any]] = [
            {"url": "taken", "valueInteger": taken},
            {"url": "expected", "valueInteger": expected},
            {"url": "period", "valuePeriod": period},
        ]
        if expected:
            adherence.append({"url": "ratio", "valueDecimal": round(taken / expected, 4)})
        resource: dict[str, Any] = {
            "resourceType": "MedicationStatement",
            "id": _fhir_id(med.id),
            "status": "stopped" if med.stopped_at and med.stopped_at <= now else "active",
            "medicationCodeableConcept": concept,
            "subject": {"reference": f"Patient/{_fhir_id(snap.person.id)}"},
            "effectivePeriod": {
                "start": med.started_at.astimezone(tz).isoformat(),
                **({"end": med.stopped_at.astimezone(tz).isoformat()} if med.stopped_at else {}),
            },
            "dateAsserted": now.astimezone(tz).isoformat(),
            "dosage": [dosage],
            "extension": [{"url": ADHERENCE_URL, "extension": adherence}],
        }
        if expected:
            resource["note"] = [
                {
                    "text": f"Adherence from {period['start'][:10]} to {period['end'][:10]}: "
                    f"{taken} of {expected} scheduled doses taken "
                    f"({100 * taken / expected:.0f}%)."
                }
            ]
        entries.append({"fullUrl": f"urn:medguide:medication:{med.id}", "resource": resource})
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": now.isoformat(),
        "entry": entries,
    }
