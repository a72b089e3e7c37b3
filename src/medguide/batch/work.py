"""The per-partition function: a batch of patients in, finding rows and tallies out.

Both engines run `screen_partition` unchanged (a local process pool, or Dask workers), so
their results are the same. Each process loads the catalog once (`init_worker`, or on the
first call). Within a batch, patients whose mapped requests are identical (same medicines,
same age, same kidney values, same conditions) are assessed once.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from medguide.knowledge.catalog import Catalog

# One patient: (patient id, "fhir" or "request", the items). For "fhir" the items are the
# patient's resources as JSON text; for "request" one JSON text of request data (tabular input).
PatientItems = tuple[str, str, list[str]]

FINDING_COLUMNS = (
    "patient",
    "code",
    "severity",
    "drugs",
    "message",
    "age_band",
    "kidney_stage",
    "knowledge_version",
)

_CATALOG: Catalog | None = None


def init_worker() -> None:
    """Load the catalog once in this process (the process pool's initializer)."""
    worker_catalog()


def worker_catalog() -> Catalog:
    global _CATALOG
    if _CATALOG is None:
        from medguide.knowledge.loader import load_catalog

        _CATALOG = load_catalog()
    return _CATALOG


@dataclass
class PartitionResult:
    """What one partition gives back: finding rows (tuples in FINDING_COLUMNS order) and
    tallies the summary adds up."""

    partition: int
    rows: list[tuple[str, ...]] = field(default_factory=list)
    patients: int = 0
    medications: int = 0
    assessed: int = 0  # distinct requests actually assessed (after de-duplication)
    not_assessed: int = 0  # patients whose request could not be built
    not_checked: Counter[str] = field(default_factory=Counter)
    not_checked_patients: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "partition": self.partition,
            "patients": self.patients,
            "medications": self.medications,
            "assessed": self.assessed,
            "not_assessed": self.not_assessed,
            "not_checked": dict(self.not_checked),
            "not_checked_patients": dict(self.not_checked_patients),
        }


def age_band(age: Any) -> str:
    if not isinstance(age, int | float):
        return "unknown"
    for limit, band in ((18, "<18"), (45, "18-44"), (65, "45-64"), (75, "65-74"), (85, "75-84")):
        if age < limit:
            return band
    return "85+"


def kidney_stage(kidney: Any) -> str:
    """The KDIGO G stage of the kidney value the assessment used (eGFR, else the creatinine
    clearance as a stand-in), or "unknown"."""
    if not isinstance(kidney, dict) or not isinstance(kidney.get("value"), int | float):
        return "unknown"
    value = float(kidney["value"])
    for limit, stage in ((15, "G5"), (30, "G4"), (45, "G3b"), (60, "G3a"), (90, "G2")):
        if value < limit:
            return stage
    return "G1"


_REASON_KEYS: dict[tuple[str, str], str] = {}
_REASON_KEYS_LIMIT = 50_000


def _reason_key(check: str, reason: str) -> str:
    """A not-checked reason without the patient-specific part (resource ids, names), so that
    reasons count up across patients. Memoized per process (bounded): reasons repeat."""
    found = _REASON_KEYS.get((check, reason))
    if found is None:
        if len(_REASON_KEYS) >= _REASON_KEYS_LIMIT:
            _REASON_KEYS.clear()
        found = _REASON_KEYS[(check, reason)] = _reason_key_of(check, reason)
    return found


def _reason_key_of(check: str, reason: str) -> str:
    import re

    text = re.sub(r"(MedicationRequest|MedicationStatement|Observation)/\S+", r"\1/…", reason)
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", text)
    text = re.sub(r"\d+(\.\d+)?", "N", text)
    return f"{check}: {text}"[:160]


def screen_partition(partition: int, patients: list[PatientItems], now_iso: str) -> PartitionResult:
    """Assess every patient of one partition, as `medguide.service.assess` does one request."""
    from pydantic import ValidationError

    from medguide.clinical.findings import NotChecked
    from medguide.interop.fhir_request import FhirRequest, fhir_request_model, request_from_fhir
    from medguide.service import assess

    catalog = worker_catalog()
    now = datetime.fromisoformat(now_iso)
    out = PartitionResult(partition)
    cache: dict[str, Any] = {}
    for patient_id, kind, items in patients:
        out.patients += 1
        if kind == "fhir":
            mapped = request_from_fhir(catalog, [json.loads(s) for s in items], now=now)
        else:  # tabular: the request data, then what could not be read from the row
            mapped = FhirRequest(data=json.loads(items[0]), notes=list(items[1:]))
            mapped.data["now"] = now_iso
        out.medications += len(mapped.data.get("medications") or ())
        key = json.dumps(mapped.data, sort_keys=True, default=str)
        got = cache.get(key)
        if got is None:
            notes_before = len(mapped.notes)
            try:
                request = fhir_request_model(catalog, mapped)
            except ValidationError as exc:
                msg = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
                got = (None, [f"not assessed: {msg}"])
            else:
                got = (assess(catalog, request, now), mapped.notes[notes_before:])
                out.assessed += 1
            cache[key] = got
            base_notes = mapped.notes[:notes_before]
        else:
            base_notes = mapped.notes
        result, validation_notes = got
        notes = [*base_notes, *validation_notes]
        if result is None:
            out.not_assessed += 1
            for note in notes:
                out.not_checked[_reason_key("request", note)] += 1
            continue
        if notes:
            source = "fhir" if kind == "fhir" else "input"
            result = result.with_not_checked(*(NotChecked(source, n) for n in notes))
        seen: set[str] = set()
        for nc in result.not_checked:
            reason = _reason_key(nc.check, nc.reason)
            out.not_checked[reason] += 1
            if reason not in seen:
                out.not_checked_patients[reason] += 1
                seen.add(reason)
        band = age_band((mapped.data.get("patient") or {}).get("age_years"))
        stage = kidney_stage(result.computed.get("kidney"))
        for f in result.findings:
            out.rows.append(
                (
                    patient_id,
                    f.code,
                    f.severity,
                    "; ".join(f.drugs),
                    f.message,
                    band,
                    stage,
                    result.knowledge_version,
                )
            )
    out.rows.sort()
    return out
