"""FHIR R4 resources (plain dicts) → the data of an `AssessRequest`.

The one mapping from FHIR into the assessment contract, shared by `medguide assess --fhir`,
the CDS Hooks services and (later) population screening. Plain dicts in, plain request data
out: no FHIR library, so a Bulk export can be read as fast as JSON parses.

- Patient.birthDate, gender → `patient.age_years` (whole years on the day of `now`), `sex`.
- Observation with LOINC 2160-0 (serum creatinine) in UCUM `mg/dL` or `umol/L` →
  `patient.serum_creatinine_mg_dl` or `serum_creatinine_umol_l`, the most recent one.
- Observation with LOINC 33914-3, 62238-1 or 98979-8 (eGFR) in `mL/min/{1.73_m2}` →
  `patient.egfr`, the most recent one.
- Condition (clinicalStatus active) with a SNOMED CT or ICD-10 coding →
  `patient.conditions` as `SNOMED:…` or `ICD-10:…`.
- MedicationRequest (active, draft, on-hold) and MedicationStatement (active, intended) →
  `medications`. The medication (a CodeableConcept or a referenced Medication) becomes
  `drug`: the catalog drug whose `codes.rxcui` matches an RxNorm coding, else the name read
  from the coding's display or the text.
- dosageInstruction[0]: doseAndRate[0].doseQuantity → `dose`, `unit` (UCUM `ug` is mcg; a
  count of tablets of an RxNorm "10 MG Oral Tablet" is an amount in mg); timing.repeat
  frequency/period/periodUnit or timing.code → `frequency` (`daily`, `BID`, `TID`, `QID`,
  `N times a day`, `qNh`); route (SNOMED CT), else the dose form → `route`;
  asNeededBoolean → `prn`.

What cannot be mapped (a value in a unit other than those above, a medication with no name,
an observation without a value) is never guessed: it is reported in `notes`, which the doors
pass on as "not checked".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from medguide.knowledge.catalog import Catalog

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10 = ("http://hl7.org/fhir/sid/icd-10-cm", "http://hl7.org/fhir/sid/icd-10")

CREATININE_LOINC = frozenset({"2160-0"})
EGFR_LOINC = frozenset({"33914-3", "62238-1", "98979-8"})
EGFR_UNITS = frozenset({"mL/min/{1.73_m2}", "mL/min/1.73m2", "mL/min/1.73_m2"})

# Statuses that mean the medicine is being taken or about to be (a draft order is the one a
# CDS Hooks service is asked about). Stopped, completed and entered-in-error are left out.
REQUEST_STATUSES = frozenset({"active", "draft", "on-hold"})
STATEMENT_STATUSES = frozenset({"active", "intended"})
OBSERVATION_STATUSES = frozenset({"final", "amended", "corrected", "preliminary"})

MAX_NESTING = 6  # bundles in bundles in lists: deeper than this is not read

ROUTE_CODES: Mapping[str, str] = {
    "26643006": "oral",
    "72607000": "intrathecal",
    "34206005": "subcutaneous",
    "47625008": "intravenous",
    "78421000": "intramuscular",
}
_UCUM_DOSE: Mapping[str, str] = {
    "mg": "mg",
    "ug": "mcg",
    "mcg": "mcg",
    "g": "g",
    "mL": "mL",
    "ml": "mL",
    "{tbl}": "tablet",
    "{tablet}": "tablet",
    "{tablets}": "tablet",
    "TAB": "tablet",
    "tablet": "tablet",
    "{capsule}": "tablet",
    "{cap}": "tablet",
    "{packet}": "packet",
}
_TIMING_CODES: Mapping[str, str] = {
    "QD": "daily",
    "BID": "BID",
    "TID": "TID",
    "QID": "QID",
    "Q4H": "q4h",
    "Q6H": "q6h",
    "Q8H": "q8h",
    "Q12H": "q12h",
}
_PER_DAY_WORDS: Mapping[int, str] = {1: "daily", 2: "BID", 3: "TID", 4: "QID"}

# An RxNorm clinical drug name: "baclofen 10 MG Oral Tablet", "24 HR metoprolol succinate
# 100 MG Extended Release Oral Tablet", "Ozobax 1 MG/ML Oral Solution".
_SCD = re.compile(
    r"^(?:\d+\s*(?:HR|ML)\s+)?(?P<name>.+?)\s+(?P<value>\d+(?:\.\d+)?)\s*"
    r"(?P<unit>MG|MCG|UG)(?P<per>/ML)?\b(?P<form>.*)$",
    re.IGNORECASE,
)


@dataclass
class FhirOrder:
    """One medication the request was given, and where it came from."""

    index: int  # its position in the request's `medications`
    resource_type: str
    resource_id: str | None
    status: str | None
    drug_id: str | None
    resource: Mapping[str, Any]


@dataclass
class FhirRequest:
    """The request data mapped from FHIR, what could not be mapped, and the order sources."""

    data: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    orders: list[FhirOrder] = field(default_factory=list)
    patient_id: str | None = None


# --- reading the resources ------------------------------------------------------------------


def iter_resources(doc: Any, _depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every resource in a Bundle (nested bundles too, a few levels deep), a list of
    resources, or one resource."""
    if _depth > MAX_NESTING:
        return
    if isinstance(doc, list):
        for item in doc:
            yield from iter_resources(item, _depth + 1)
        return
    if not isinstance(doc, dict):
        return
    if doc.get("resourceType") == "Bundle":
        entries = doc.get("entry")
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, dict):
                yield from iter_resources(entry.get("resource"), _depth + 1)
        return
    if isinstance(doc.get("resourceType"), str):
        yield doc


def _codings(concept: Any) -> list[dict[str, Any]]:
    if not isinstance(concept, dict):
        return []
    coding = concept.get("coding")
    return [c for c in coding if isinstance(c, dict)] if isinstance(coding, list) else []


def _code_in(concept: Any, system: str, codes: frozenset[str]) -> bool:
    return any(
        c.get("system") == system and _str(c.get("code")) in codes for c in _codings(concept)
    )


def _str(value: Any) -> str | None:
    """A string member, or None: FHIR from outside may put anything anywhere."""
    return value if isinstance(value, str) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _when(resource: Mapping[str, Any]) -> str:
    """A sortable time for an observation (ISO strings sort by time within one zone)."""
    for key in ("effectiveDateTime", "issued"):
        if isinstance(resource.get(key), str):
            return str(resource[key])
    period = resource.get("effectivePeriod")
    if isinstance(period, dict) and isinstance(period.get("end") or period.get("start"), str):
        return str(period.get("end") or period.get("start"))
    return ""


def _age(birth: Any, today: date) -> float | None:
    if not isinstance(birth, str):
        return None
    try:
        born = date.fromisoformat(birth[:10]) if len(birth) >= 10 else None
    except ValueError:
        return None
    if born is None or born > today:
        return None
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return float(years)


def _rxcui_index(catalog: Catalog) -> dict[str, str]:
    """RxNorm code → catalog drug id (built once per catalog)."""
    return catalog.derived(
        "fhir.rxcui",
        lambda: {d.codes.rxcui: d.id for d in catalog.drugs.values() if d.codes.rxcui},
    )


def _medication_concept(
    resource: Mapping[str, Any], by_ref: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any] | None:
    concept = resource.get("medicationCodeableConcept")
    if isinstance(concept, dict):
        return concept
    ref = resource.get("medicationReference")
    if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
        target = ref["reference"]
        if target.startswith("#"):
            contained = resource.get("contained")
            for c in contained if isinstance(contained, list) else ():
                if isinstance(c, dict) and c.get("id") == target[1:]:
                    code = c.get("code")
                    return code if isinstance(code, dict) else None
        med = by_ref.get(target)
        if med is not None and isinstance(med.get("code"), dict):
            return dict(med["code"])
        if isinstance(ref.get("display"), str):
            return {"text": ref["display"]}
    return None


NAME_MEMO_LIMIT = 2_000  # medication concepts read per catalog; the oldest go first


def _name_and_strength(
    catalog: Catalog, concept: Mapping[str, Any], rxcui: Mapping[str, str]
) -> tuple[str | None, str | None, tuple[float, str] | None, str]:
    """(drug name for the request, catalog drug id, strength per unit of form, form words).

    It reads only the RxNorm codes, the displays and the text of the concept; those, exactly
    as read, are the key of a bounded memo on the catalog (an export repeats its products)."""
    from medguide.knowledge.interaction_index import PairMemo

    codings = _codings(concept)
    rx_codes = tuple(str(c.get("code")) for c in codings if c.get("system") == RXNORM)
    texts = [str(c["display"]) for c in codings if isinstance(c.get("display"), str)]
    if isinstance(concept.get("text"), str):
        texts.append(str(concept["text"]))
    key = (rx_codes, tuple(texts))
    memo = catalog.derived("fhir.name_memo", lambda: PairMemo(limit=NAME_MEMO_LIMIT))
    found = memo.get(key)
    if found is None:
        found = _read_name(catalog, rx_codes, texts, rxcui)
        memo.put(key, found)
    name, drug_id, strength, form = found
    return name, drug_id, strength, form


def _read_name(
    catalog: Catalog, rx_codes: tuple[str, ...], texts: list[str], rxcui: Mapping[str, str]
) -> tuple[str | None, str | None, tuple[float, str] | None, str]:
    from medguide.knowledge.names import resolve_name

    drug_id: str | None = None
    for code in rx_codes:
        if code in rxcui:
            drug_id = rxcui[code]
            break
    strength: tuple[float, str] | None = None
    form = ""
    name: str | None = None
    for text in texts:
        m = _SCD.match(text.strip())
        if m:
            if m.group("per") is None:
                strength = (float(m.group("value")), m.group("unit").lower().replace("ug", "mcg"))
            form = m.group("form").strip().lower()
            name = name or m.group("name").strip()
        else:
            name = name or text.strip()
    if drug_id is None and name:
        r = resolve_name(catalog, name)
        drug_id = r.drug_id
        if not r.known:
            # the whole display may still name a brand ("Ozobax DS oral solution")
            for text in texts:
                whole = resolve_name(catalog, text)
                if whole.known:
                    drug_id, name = whole.drug_id, text
                    break
    if drug_id is not None:
        drug = catalog.drug(drug_id)
        if drug is not None and (name is None or resolve_name(catalog, name).drug_id != drug_id):
            name = drug.name
    return name, drug_id, strength, form


def _frequency(timing: Any) -> tuple[str | None, str | None]:
    """(frequency words the order reader knows, a note when it could not be mapped)."""
    if not isinstance(timing, dict):
        return None, None
    for c in _codings(timing.get("code")):
        code = str(c.get("code") or "").upper()
        if code in _TIMING_CODES:
            return _TIMING_CODES[code], None
    repeat = timing.get("repeat")
    if not isinstance(repeat, dict):
        return None, None
    freq = repeat.get("frequency", 1)
    period = _number(repeat.get("period"))
    unit = repeat.get("periodUnit")
    if not isinstance(freq, int) or isinstance(freq, bool) or freq < 1 or period is None:
        return None, "timing.repeat without a usable frequency and period"
    if period <= 0:
        return None, "timing.repeat.period must be above zero"
    hours = {"h": 1.0, "d": 24.0, "wk": 168.0, "min": 1 / 60}.get(str(unit))
    if hours is None:
        return None, f"timing.repeat.periodUnit {unit!r} is not one of min, h, d, wk"
    per_day = freq * 24.0 / (period * hours)
    if abs(per_day - round(per_day)) < 1e-9 and 1 <= round(per_day) <= 24:
        n = round(per_day)
        if freq == 1 and unit == "h" and n > 4:
            return f"q{period:g}h", None
        return _PER_DAY_WORDS.get(n, f"{n} times a day"), None
    if freq == 1 and unit == "h":
        return f"q{period:g}h", None
    return None, f"a timing of {freq} every {period:g} {unit} is not a whole number a day"


def _route(dosage: Mapping[str, Any], form: str) -> str | None:
    for c in _codings(dosage.get("route")):
        if c.get("system") == SNOMED and str(c.get("code")) in ROUTE_CODES:
            return ROUTE_CODES[str(c.get("code"))]
    if "intrathecal" in form:
        return "intrathecal"
    if "oral" in form or "tablet" in form or "capsule" in form:
        return "oral"
    return None


def _medication(
    catalog: Catalog,
    resource: Mapping[str, Any],
    by_ref: Mapping[str, Mapping[str, Any]],
    rxcui: Mapping[str, str],
    notes: list[str],
) -> tuple[dict[str, Any], str | None] | None:
    what = f"{resource.get('resourceType')}/{resource.get('id', '?')}"
    concept = _medication_concept(resource, by_ref)
    if concept is None:
        notes.append(f"{what}: no medication code or name, so it was not checked")
        return None
    name, drug_id, strength, form = _name_and_strength(catalog, concept, rxcui)
    if not name:
        notes.append(f"{what}: the medication has no name to read, so it was not checked")
        return None
    med: dict[str, Any] = {"drug": name[:200]}
    dosages = resource.get("dosageInstruction") or resource.get("dosage") or ()
    dosage = dosages[0] if isinstance(dosages, list) and dosages else None
    if isinstance(dosage, dict):
        if dosage.get("asNeededBoolean") is True:
            med["prn"] = True
        frequency, problem = _frequency(dosage.get("timing"))
        if frequency:
            med["frequency"] = frequency
        if problem:
            notes.append(f"{what}: {problem}")
        route = _route(dosage, form)
        if route:
            med["route"] = route
        _dose(dosage, strength, med, what, notes)
        if len(dosages) > 1:
            notes.append(f"{what}: only the first of {len(dosages)} dosage instructions was read")
    else:
        route = _route({}, form)
        if route:
            med["route"] = route
        notes.append(f"{what}: no dosage instruction, so the dose of {name} was not checked")
    return med, drug_id


def _dose(
    dosage: Mapping[str, Any],
    strength: tuple[float, str] | None,
    med: dict[str, Any],
    what: str,
    notes: list[str],
) -> None:
    rates = dosage.get("doseAndRate")
    first = rates[0] if isinstance(rates, list) and rates and isinstance(rates[0], dict) else {}
    qty = first.get("doseQuantity")
    if not isinstance(qty, dict):
        if first.get("doseRange") is not None:
            notes.append(f"{what}: a range of doses is not read; confirm the dose")
        return
    value = _number(qty.get("value"))
    if value is None or value <= 0:
        notes.append(f"{what}: doseQuantity has no positive value")
        return
    code = qty.get("code") or qty.get("unit")
    unit = _UCUM_DOSE.get(str(code)) if code is not None else None
    if code is None or unit == "tablet":
        # A count of units of the product: with a clinical-drug strength it is an amount.
        if strength is not None:
            med["dose"], med["unit"] = value * strength[0], strength[1]
            return
        if code is None:
            notes.append(f"{what}: doseQuantity has no unit and the product strength is unknown")
            return
    if unit is None:
        notes.append(f"{what}: dose unit {code!r} is not one medguide reads (mg, ug, g, mL)")
        return
    med["dose"], med["unit"] = value, unit


# --- the mapping ---------------------------------------------------------------------------


def request_from_fhir(
    catalog: Catalog,
    resources: Iterable[Mapping[str, Any]] | Mapping[str, Any],
    *,
    now: datetime | None = None,
    drafts: Iterable[Mapping[str, Any]] = (),
) -> FhirRequest:
    """The assessment request data for the resources given.

    `resources` is a Bundle, one resource or any iterable of resources; `drafts` are orders
    being written (CDS Hooks `draftOrders`): they come first in `medications`, and an active
    order of the same drug beside one is taken as the regimen it replaces (a change, not a
    duplicate), so it is left out and said so in `notes`.
    """
    everything = list(
        iter_resources(list(resources) if not isinstance(resources, Mapping) else resources)
    )
    draft_list = list(iter_resources(list(drafts)))
    by_ref = {
        f"{r['resourceType']}/{r['id']}": r
        for r in [*everything, *draft_list]
        if isinstance(r.get("id"), str)
    }
    out = FhirRequest(data={})
    notes = out.notes
    today = (now or datetime.now()).date()
    patient: dict[str, Any] = {}
    creatinine: list[tuple[str, str, float]] = []
    egfr: list[tuple[str, float]] = []
    conditions: list[str] = []
    rxcui = _rxcui_index(catalog)
    meds: list[tuple[dict[str, Any], str | None, Mapping[str, Any], bool]] = []

    for r in draft_list:
        if r.get("resourceType") in ("MedicationRequest", "MedicationStatement"):
            got = _medication(catalog, r, by_ref, rxcui, notes)
            if got is not None:
                meds.append((got[0], got[1], r, True))

    for r in everything:
        kind = r.get("resourceType")
        if kind == "Patient" and out.patient_id is None:
            out.patient_id = r.get("id") if isinstance(r.get("id"), str) else None
            age = _age(r.get("birthDate"), today)
            if age is not None:
                patient["age_years"] = age
            if r.get("gender") in ("male", "female"):
                patient["sex"] = r["gender"]
        elif kind == "Observation":
            _observation(r, creatinine, egfr, notes)
        elif kind == "Condition":
            _condition(r, conditions)
        elif kind == "MedicationRequest" and _str(r.get("status")) in REQUEST_STATUSES:
            got = _medication(catalog, r, by_ref, rxcui, notes)
            if got is not None:
                meds.append((got[0], got[1], r, r.get("status") == "draft"))
        elif kind == "MedicationStatement" and _str(r.get("status")) in STATEMENT_STATUSES:
            got = _medication(catalog, r, by_ref, rxcui, notes)
            if got is not None:
                meds.append((got[0], got[1], r, False))

    if creatinine:
        _, unit, value = max(creatinine)
        patient["serum_creatinine_mg_dl" if unit == "mg/dL" else "serum_creatinine_umol_l"] = value
    if egfr:
        patient["egfr"] = max(egfr)[1]
    if conditions:
        patient["conditions"] = sorted(set(conditions))

    drafted = {drug_id for _, drug_id, _, is_draft in meds if is_draft and drug_id}
    medications: list[dict[str, Any]] = []
    seen_ids: set[str] = set()
    for med, drug_id, resource, is_draft in meds:
        rid = resource.get("id") if isinstance(resource.get("id"), str) else None
        key = f"{resource.get('resourceType')}/{rid}" if rid else None
        if key is not None and key in seen_ids:
            continue  # a draft also present in the prefetch
        if key is not None:
            seen_ids.add(key)
        if not is_draft and drug_id in drafted:
            notes.append(
                f"the active order {key or '(no id)'} of {med['drug']} was taken as the regimen "
                "the draft order replaces, not as a second order"
            )
            continue
        out.orders.append(
            FhirOrder(
                index=len(medications),
                resource_type=str(resource.get("resourceType")),
                resource_id=rid,
                status=resource.get("status") if isinstance(resource.get("status"), str) else None,
                drug_id=drug_id,
                resource=resource,
            )
        )
        medications.append(med)
    if patient:
        out.data["patient"] = patient
    if medications:
        out.data["medications"] = medications
    if now is not None:
        out.data["now"] = now.isoformat()
    return out


def _observation(
    r: Mapping[str, Any],
    creatinine: list[tuple[str, str, float]],
    egfr: list[tuple[str, float]],
    notes: list[str],
) -> None:
    if _str(r.get("status")) not in OBSERVATION_STATUSES:
        return
    code = r.get("code")
    is_creatinine = _code_in(code, LOINC, CREATININE_LOINC)
    is_egfr = _code_in(code, LOINC, EGFR_LOINC)
    if not (is_creatinine or is_egfr):
        return
    what = f"Observation/{r.get('id', '?')}"
    qty = r.get("valueQuantity")
    value = _number(qty.get("value")) if isinstance(qty, dict) else None
    unit = _str(qty.get("code") or qty.get("unit")) if isinstance(qty, dict) else None
    if value is None:
        notes.append(f"{what}: no numeric value, so it was not used")
        return
    if is_creatinine:
        if unit in ("mg/dL", "umol/L"):
            creatinine.append((_when(r), str(unit), value))
        else:
            notes.append(f"{what}: serum creatinine in {unit!r}; only mg/dL and umol/L are read")
    elif unit in EGFR_UNITS:
        egfr.append((_when(r), value))
    else:
        notes.append(f"{what}: eGFR in {unit!r}; only mL/min/{{1.73_m2}} is read")


def _condition(r: Mapping[str, Any], out: list[str]) -> None:
    status = [_str(c.get("code")) for c in _codings(r.get("clinicalStatus"))]
    if status and not set(status) & {"active", "recurrence", "relapse"}:
        return
    for c in _codings(r.get("code")):
        code = c.get("code")
        if not isinstance(code, str):
            continue
        if c.get("system") == SNOMED:
            out.append(f"SNOMED:{code}")
        elif _str(c.get("system")) in ICD10:
            out.append(f"ICD-10:{code}")


def fhir_request_model(catalog: Catalog, mapped: FhirRequest) -> Any:
    """The validated `AssessRequest`, dropping a patient value the request refuses (and saying
    so) rather than refusing the whole record. Raises pydantic's ValidationError otherwise."""
    from pydantic import ValidationError

    from medguide.clinical.request import AssessRequest

    data = dict(mapped.data)
    limit = len(data.get("patient") or {}) + len(data.get("medications") or ()) + 1
    for _ in range(limit):
        try:
            model = AssessRequest.model_validate(data)
            mapped.data = data
            return model
        except ValidationError as exc:
            loc = exc.errors()[0]["loc"]
            msg = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
            if len(loc) >= 2 and loc[0] == "patient" and isinstance(loc[1], str):
                patient = dict(data.get("patient") or {})
                value = patient.pop(loc[1], None)
                data["patient"] = patient
                mapped.notes.append(f"patient {loc[1]} {value!r} was not used: {msg}")
                continue
            if len(loc) >= 2 and loc[0] == "medications" and isinstance(loc[1], int):
                meds = list(data.get("medications") or ())
                index = loc[1]
                dropped = meds.pop(index)
                order = next((o for o in mapped.orders if o.index == index), None)
                where = f"{order.resource_type}/{order.resource_id}" if order else dropped
                mapped.notes.append(f"{where} was not checked: {msg}")
                mapped.orders = [o for o in mapped.orders if o.index != index]
                for o in mapped.orders:
                    if o.index > index:
                        o.index -= 1
                if meds:
                    data["medications"] = meds
                else:
                    data.pop("medications", None)
                continue
            raise
    return AssessRequest.model_validate(data)


def doses_per_day(dosage: Mapping[str, Any]) -> float | None:
    """How many administrations a day a Dosage's timing gives, or None if it cannot say."""
    timing = dosage.get("timing")
    if not isinstance(timing, dict):
        return None
    for c in _codings(timing.get("code")):
        code = str(c.get("code") or "").upper()
        fixed = {"QD": 1.0, "BID": 2.0, "TID": 3.0, "QID": 4.0}.get(code)
        if fixed is not None:
            return fixed
        if code in ("Q4H", "Q6H", "Q8H", "Q12H"):
            return 24.0 / float(code[1:-1])
    repeat = timing.get("repeat")
    if not isinstance(repeat, dict):
        return None
    freq = repeat.get("frequency", 1)
    period = _number(repeat.get("period"))
    hours = {"h": 1.0, "d": 24.0, "wk": 168.0}.get(str(repeat.get("periodUnit")))
    if not isinstance(freq, int) or isinstance(freq, bool) or freq < 1 or not period or not hours:
        return None
    if period <= 0:
        return None
    return freq * 24.0 / (period * hours)
