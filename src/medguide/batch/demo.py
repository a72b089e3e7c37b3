"""A deterministic FHIR Bulk export of any size, grown from the Synthea 10-patient sample.

Each generated patient takes the sex and birth year of one of the sample's patients (shifted
by up to ten years) and its active orders, and gets a seeded mix of the medicines whose
combinations screening is for: baclofen with opioids, gabapentinoids, benzodiazepines and
antihypertensives, at usual doses, with an eGFR (and often a creatinine) spread across the CKD
stages. Same N and seed, same files, byte for byte.
"""

from __future__ import annotations

import gzip
import json
import random
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

SAMPLE = Path("/work/shared/data/synthea-bulk-fhir-10-patients")
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"

# (display, per-dose tablets, doses a day); the strength is in the RxNorm clinical drug name.
# Each group: probability a patient has one of it, then the choices.
GROUPS: list[tuple[float, list[tuple[str, str, int]]]] = [
    (
        0.35,
        [
            ("baclofen 10 MG Oral Tablet", "197446", 3),
            ("baclofen 20 MG Oral Tablet", "197447", 3),
            ("baclofen 5 MG Oral Tablet", "1292346", 3),
        ],
    ),
    (
        0.30,
        [
            ("oxycodone hydrochloride 5 MG Oral Tablet", "1049621", 4),
            ("morphine sulfate 15 MG Oral Tablet", "892645", 3),
            ("tramadol hydrochloride 50 MG Oral Tablet", "835603", 3),
            ("hydromorphone hydrochloride 2 MG Oral Tablet", "897696", 4),
        ],
    ),
    (
        0.25,
        [
            ("gabapentin 300 MG Oral Capsule", "310431", 3),
            ("pregabalin 75 MG Oral Capsule", "483440", 2),
        ],
    ),
    (
        0.15,
        [
            ("diazepam 5 MG Oral Tablet", "197591", 2),
            ("lorazepam 1 MG Oral Tablet", "197901", 2),
            ("alprazolam 0.5 MG Oral Tablet", "308048", 3),
        ],
    ),
    (
        0.45,
        [
            ("lisinopril 10 MG Oral Tablet", "314076", 1),
            ("amlodipine 5 MG Oral Tablet", "197361", 1),
            ("hydrochlorothiazide 25 MG Oral Tablet", "310798", 1),
            ("24 HR metoprolol succinate 100 MG Extended Release Oral Tablet", "866412", 1),
        ],
    ),
    (0.15, [("zolpidem tartrate 10 MG Oral Tablet", "854873", 1)]),
    (0.10, [("tizanidine 4 MG Oral Tablet", "313406", 3)]),
]
# eGFR bands across the CKD stages (G1 … G5) and how common each is in the demo
EGFR_BANDS = [
    ((90, 120), 0.35),
    ((60, 89), 0.30),
    ((45, 59), 0.13),
    ((30, 44), 0.10),
    ((15, 29), 0.07),
    ((8, 14), 0.05),
]


def _sample_patients(sample: Path) -> list[dict[str, Any]]:
    path = sample / "Patient.000.ndjson.gz"
    if not path.exists():
        return [
            {"gender": "female", "birthDate": "1950-04-02"},
            {"gender": "male", "birthDate": "1962-09-15"},
        ]
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [
            {"gender": r.get("gender", "female"), "birthDate": r.get("birthDate", "1960-01-01")}
            for r in map(json.loads, fh)
        ]


def _order(pid: str, oid: str, display: str, code: str, per_day: int) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": oid,
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": code, "display": display}],
            "text": display,
        },
        "subject": {"reference": f"Patient/{pid}"},
        "dosageInstruction": [
            {
                "timing": {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet", "code": "{tbl}"}}],
            }
        ],
    }


def make_demo(n: int, out: Path, *, seed: int = 17, sample: Path = SAMPLE) -> dict[str, int]:
    """Write Patient, MedicationRequest, Observation and Condition NDJSON for `n` patients."""
    rng = random.Random(seed)
    base = _sample_patients(sample)
    ns = uuid.UUID(int=seed)
    out.mkdir(parents=True, exist_ok=True)
    counts = {"patients": 0, "orders": 0, "observations": 0, "conditions": 0}
    names = ("Patient", "MedicationRequest", "Observation", "Condition")
    dump = json.JSONEncoder(separators=(",", ":")).encode
    with ExitStack() as stack:
        files = {
            k: stack.enter_context(open(out / f"{k}.000.ndjson", "w", encoding="utf-8"))
            for k in names
        }
        for i in range(n):
            pid = str(uuid.uuid5(ns, f"p{i}"))
            tmpl = base[i % len(base)]
            year = int(tmpl["birthDate"][:4]) + rng.randint(-10, 10)
            birth = f"{max(1925, min(2008, year))}{tmpl['birthDate'][4:]}"
            patient = {
                "resourceType": "Patient",
                "id": pid,
                "gender": tmpl["gender"],
                "birthDate": birth.replace("-02-29", "-02-28"),
            }
            files["Patient"].write(dump(patient) + "\n")
            counts["patients"] += 1
            k = 0
            for prob, choices in GROUPS:
                if rng.random() < prob:
                    display, code, per_day = rng.choice(choices)
                    oid = f"{pid[:8]}-m{k}"
                    files["MedicationRequest"].write(
                        dump(_order(pid, oid, display, code, per_day)) + "\n"
                    )
                    k += 1
            if k == 0:  # everyone in the demo has at least one active order
                display, code, per_day = rng.choice(GROUPS[4][1])
                files["MedicationRequest"].write(
                    dump(_order(pid, f"{pid[:8]}-m0", display, code, per_day)) + "\n"
                )
                k = 1
            counts["orders"] += k
            (lo, hi) = rng.choices([b for b, _ in EGFR_BANDS], [w for _, w in EGFR_BANDS])[0]
            egfr = rng.randint(lo, hi)
            obs = {
                "resourceType": "Observation",
                "id": f"{pid[:8]}-egfr",
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "98979-8"}]},
                "subject": {"reference": f"Patient/{pid}"},
                "effectiveDateTime": "2026-11-01T08:00:00Z",
                "valueQuantity": {
                    "value": egfr,
                    "unit": "mL/min/1.73m2",
                    "code": "mL/min/{1.73_m2}",
                },
            }
            files["Observation"].write(dump(obs) + "\n")
            counts["observations"] += 1
            if rng.random() < 0.05:
                cond = {
                    "resourceType": "Condition",
                    "id": f"{pid[:8]}-c0",
                    "clinicalStatus": {"coding": [{"code": "active"}]},
                    "code": {
                        "coding": [
                            {
                                "system": "http://snomed.info/sct",
                                "code": "84757009",
                                "display": "Epilepsy",
                            }
                        ]
                    },
                    "subject": {"reference": f"Patient/{pid}"},
                }
                files["Condition"].write(dump(cond) + "\n")
                counts["conditions"] += 1
    return counts
