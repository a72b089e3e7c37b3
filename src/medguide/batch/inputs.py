"""Reading the inputs with DuckDB: FHIR Bulk NDJSON, or a tabular prescription export.

NDJSON files are read line by line (DuckDB's CSV reader with no delimiter, so every line keeps
its number), checked and picked apart with DuckDB's JSON functions (`json_valid`,
`json_extract_string`), and joined per patient in SQL. DuckDB's `read_ndjson` would drop a
malformed line with `ignore_errors` but not say which; the line reader can.

What cannot be used is counted by kind, with the first few places it was seen:

| kind | what |
|---|---|
| `malformed_line` | a line that is not a JSON object with a `resourceType` |
| `not_ndjson` | a file in which no line is a JSON object (or that cannot be read as text) |
| `unknown_type` | a `resourceType` that is not a FHIR R4 resource |
| `no_medication_code` | a medication order with no medication code, text or reference |
| `unresolved_patient` | a resource whose patient reference names no Patient in the input |
| `no_drug` (tabular) | a row with an empty drug column |

Resources of real FHIR types that screening does not read (AllergyIntolerance, Encounter, …)
and orders that are not active are counted as "not used", which is not a skip.
"""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

READ_TYPES = ("Patient", "MedicationRequest", "MedicationStatement", "Observation", "Condition")
MED_TYPES = ("MedicationRequest", "MedicationStatement")
# The other FHIR R4 resource types: present in a Bulk export, not needed for screening.
OTHER_R4_TYPES = frozenset(
    """Account ActivityDefinition AdverseEvent AllergyIntolerance Appointment AppointmentResponse
    AuditEvent Basic Binary BiologicallyDerivedProduct BodyStructure Bundle CapabilityStatement
    CarePlan CareTeam CatalogEntry ChargeItem ChargeItemDefinition Claim ClaimResponse
    ClinicalImpression CodeSystem Communication CommunicationRequest CompartmentDefinition
    Composition ConceptMap Consent Contract Coverage CoverageEligibilityRequest
    CoverageEligibilityResponse DetectedIssue Device DeviceDefinition DeviceMetric DeviceRequest
    DeviceUseStatement DiagnosticReport DocumentManifest DocumentReference EffectEvidenceSynthesis
    Encounter Endpoint EnrollmentRequest EnrollmentResponse EpisodeOfCare EventDefinition Evidence
    EvidenceVariable ExampleScenario ExplanationOfBenefit FamilyMemberHistory Flag Goal
    GraphDefinition Group GuidanceResponse HealthcareService ImagingStudy Immunization
    ImmunizationEvaluation ImmunizationRecommendation ImplementationGuide InsurancePlan Invoice
    Library Linkage List Location Measure MeasureReport Media Medication MedicationAdministration
    MedicationDispense MedicationKnowledge MessageDefinition MessageHeader MolecularSequence
    NamingSystem NutritionOrder ObservationDefinition OperationDefinition OperationOutcome
    Organization OrganizationAffiliation Parameters PaymentNotice PaymentReconciliation Person
    PlanDefinition Practitioner PractitionerRole Procedure Provenance Questionnaire
    QuestionnaireResponse RelatedPerson RequestGroup ResearchDefinition ResearchElementDefinition
    ResearchStudy ResearchSubject RiskAssessment RiskEvidenceSynthesis Schedule SearchParameter
    ServiceRequest Slot Specimen SpecimenDefinition StructureDefinition StructureMap Subscription
    Substance SupplyDelivery SupplyRequest Task TerminologyCapabilities TestReport TestScript
    ValueSet VerificationResult VisionPrescription""".split()  # noqa: SIM905
)
ACTIVE_REQUEST = ("active", "draft", "on-hold")
ACTIVE_STATEMENT = ("active", "intended")
KIDNEY_LOINC_PATTERN = r'"(2160-0|33914-3|62238-1|98979-8)"'
FIRST_PLACES = 5  # places kept per kind of bad input


@dataclass
class Skipped:
    """Input that could not be used, by kind: a count and the first few places."""

    counts: dict[str, int] = field(default_factory=dict)
    places: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, count: int, places: Iterable[str]) -> None:
        if count <= 0:
            return
        self.counts[kind] = self.counts.get(kind, 0) + count
        kept = self.places.setdefault(kind, [])
        for p in places:
            if len(kept) >= FIRST_PLACES:
                break
            kept.append(p)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, Any]:
        return {k: {"count": v, "first": self.places.get(k, [])} for k, v in self.counts.items()}


def ndjson_files(inputs: Iterable[Path]) -> list[Path]:
    """The `.ndjson` and `.ndjson.gz` files of the inputs (folders are searched), sorted."""
    out: list[Path] = []
    for path in inputs:
        if path.is_dir():
            out.extend(
                p
                for p in path.rglob("*")
                if p.is_file() and p.name.endswith((".ndjson", ".ndjson.gz"))
            )
        else:
            out.append(path)
    return sorted(set(out))


def _readable_text(path: Path) -> bool:
    """Whether the file opens as (gzip'd) UTF-8 text: a binary file is not NDJSON."""
    try:
        opener: Any = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rb") as fh:
            head = fh.read(4096)
        head.decode("utf-8")
    except (OSError, UnicodeDecodeError, EOFError):
        return False
    return b"\x00" not in head


def load_ndjson(con: Any, files: list[Path], skipped: Skipped) -> dict[str, int]:
    """Read the files into table `raw` and view `res` (file, line, kind, pid, text) of the
    usable resources; count what was skipped or not used. Returns the "not used" counts by
    kind.

    Each line is parsed as it is read, once for validity and once for all the fields wanted
    (`json_extract_string` with a list of paths), into columns beside its text; the checks
    after that read only those columns, and `res` is a view, so the texts are stored once."""
    con.execute(
        """
        CREATE OR REPLACE TABLE raw (file VARCHAR, line BIGINT, nonblank BOOLEAN, ok BOOLEAN,
                                     kind VARCHAR, status VARCHAR, pid VARCHAR,
                                     nocode BOOLEAN, kidney BOOLEAN, text VARCHAR)
        """
    )
    for path in files:
        name = str(path)
        if not _readable_text(path):
            skipped.add("not_ndjson", 1, [name])
            continue
        try:
            con.execute(_READ_LINES_SQL, [name, name, KIDNEY_LOINC_PATTERN])
        except Exception as exc:  # a file DuckDB cannot read as lines at all
            if type(exc).__module__.startswith("duckdb") or "duckdb" in type(exc).__name__:
                skipped.add("not_ndjson", 1, [name])
                continue
            raise
        ok_lines = con.execute(
            "SELECT count(*) FILTER (ok), count(*) FILTER (nonblank) FROM raw WHERE file = ?",
            [name],
        ).fetchone()
        if ok_lines is not None and ok_lines[0] == 0 and ok_lines[1] > 0:
            con.execute("DELETE FROM raw WHERE file = ?", [name])
            skipped.add("not_ndjson", 1, [name])
    bad = con.execute("SELECT count(*) FROM raw WHERE nonblank AND NOT ok").fetchone()
    first = con.execute(
        "SELECT file || ':' || line FROM raw WHERE nonblank AND NOT ok ORDER BY file, line LIMIT ?",
        [FIRST_PLACES],
    ).fetchall()
    skipped.add("malformed_line", bad[0] if bad else 0, [r[0] for r in first])
    not_used: dict[str, int] = {}
    for kind, count in con.execute(
        "SELECT coalesce(kind, '(none)'), count(*) FROM raw WHERE ok "
        "AND (kind IS NULL OR kind NOT IN (SELECT unnest(?::VARCHAR[]))) GROUP BY 1 "
        "ORDER BY min(struct_pack(f := file, l := line))",  # the kind seen first, first
        [list(READ_TYPES)],
    ).fetchall():
        if kind in OTHER_R4_TYPES:
            not_used[kind] = count
        else:
            places = con.execute(
                "SELECT file || ':' || line FROM raw WHERE ok AND coalesce(kind, '(none)') = ? "
                "ORDER BY file, line LIMIT ?",
                [kind, FIRST_PLACES],
            ).fetchall()
            skipped.add("unknown_type", count, [f"{p[0]} ({kind})" for p in places])
    # medication orders with nothing to say which medicine
    _skip_from(con, "raw WHERE ok AND nocode", "no_medication_code", skipped)
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE patient_ids AS
        SELECT DISTINCT pid FROM raw WHERE ok AND kind = 'Patient' AND pid IS NOT NULL
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE unresolved AS
        SELECT file, line FROM raw
        WHERE ok AND kind IN ('MedicationRequest', 'MedicationStatement', 'Observation',
                              'Condition')
          AND pid NOT IN (SELECT pid FROM patient_ids)
        """
    )
    _skip_from(con, "unresolved", "unresolved_patient", skipped)
    inactive = con.execute(
        """
        SELECT count(*) FROM raw
        WHERE ok AND ((kind = 'MedicationRequest' AND coalesce(status, '') NOT IN ('active',
               'draft', 'on-hold'))
           OR (kind = 'MedicationStatement' AND coalesce(status, '') NOT IN ('active',
               'intended')))
        """
    ).fetchone()
    if inactive and inactive[0]:
        not_used["medication orders not active"] = inactive[0]
    other_obs = con.execute(
        "SELECT count(*) FROM raw WHERE ok AND kind = 'Observation' AND NOT kidney"
    ).fetchone()
    if other_obs and other_obs[0]:
        not_used["observations other than creatinine and eGFR"] = other_obs[0]
    con.execute(
        """
        CREATE OR REPLACE VIEW res AS
        SELECT p.file, p.line, p.kind, p.pid, p.text FROM raw p
        WHERE p.ok
          AND p.kind IN ('Patient', 'Condition', 'MedicationRequest', 'MedicationStatement',
                         'Observation')
          AND p.pid IS NOT NULL AND p.pid <> ''
          AND (p.kind = 'Patient' OR p.pid IN (SELECT pid FROM patient_ids))
          AND NOT coalesce(p.nocode, false)
          AND (p.kind <> 'MedicationRequest' OR p.status IN ('active', 'draft', 'on-hold'))
          AND (p.kind <> 'MedicationStatement' OR p.status IN ('active', 'intended'))
          AND (p.kind <> 'Observation' OR p.kidney)
        """
    )
    return not_used


def drop_ndjson(con: Any) -> None:
    """Drop what `load_ndjson` made, once the partitions are in table `work`."""
    con.execute("DROP VIEW res")
    con.execute("DROP TABLE raw")


# One pass over a file's lines: the line number, whether the line is blank, whether it is a
# JSON object, and for one its type, status and patient (one parse for all the paths), whether
# a medication order names no medicine and whether an observation is a kidney value. CASE
# evaluates a branch only for the rows it selects, so a malformed line is never parsed.
_READ_LINES_SQL = """
INSERT INTO raw
SELECT file, line, nonblank, ok, kind, status,
       CASE WHEN kind = 'Patient' THEN j[3]
            WHEN ok THEN regexp_replace(coalesce(j[4], j[5], ''), '^(.*/)?(Patient/|urn:uuid:)',
                                        '')
       END AS pid,
       CASE WHEN kind IN ('MedicationRequest', 'MedicationStatement') THEN
            json_extract(text, '$.medicationReference') IS NULL
            AND coalesce(json_array_length(text, '$.medicationCodeableConcept.coding'), 0) = 0
            AND json_extract_string(text, '$.medicationCodeableConcept.text') IS NULL
       END AS nocode,
       CASE WHEN kind = 'Observation' THEN regexp_matches(text, $3) END AS kidney,
       text
FROM (
    SELECT *, j[1] AS kind, j[2] AS status FROM (
        SELECT *, CASE WHEN ok THEN json_extract_string(text, ['$.resourceType', '$.status',
                  '$.id', '$.subject.reference', '$.patient.reference']) END AS j
        FROM (
            SELECT $1 AS file, row_number() OVER () AS line,
                   text IS NOT NULL AND trim(text) <> '' AS nonblank,
                   json_valid(text) AND left(ltrim(text), 1) = '{' AS ok, text
            FROM read_csv($2, columns = {'text': 'VARCHAR'}, delim = chr(1), quote = '',
                          escape = '', header = false, auto_detect = false,
                          strict_mode = false, null_padding = true)
        )
    )
)
"""


def _skip_from(con: Any, table: str, kind: str, skipped: Skipped) -> None:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    places = con.execute(
        f"SELECT file || ':' || line FROM {table} ORDER BY file, line LIMIT {FIRST_PLACES}"
    ).fetchall()
    skipped.add(kind, row[0] if row else 0, [p[0] for p in places])


def partition_ndjson(con: Any, batch_patients: int) -> int:
    """Table `work` (part, pid, kind, file, line, text): the resources of the patients with
    medicines, sorted by partition so one partition is read without scanning the others.
    Table `pmeds` (pid, meds, part) counts each patient's orders and gives its partition
    (computed once a patient: the 128-bit remainder is the costly part, not the hash).
    Returns the number of partitions. Texts are not gathered into lists here: that
    aggregation cannot spill to disk."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE pcount AS
        SELECT pid, count(*) AS meds FROM res
        WHERE kind IN ('MedicationRequest', 'MedicationStatement') GROUP BY pid
        """
    )
    row = con.execute("SELECT count(*) FROM pcount").fetchone()
    n = row[0] if row else 0
    parts = max(1, -(-n // max(1, batch_patients)))
    con.execute(
        f"""
        CREATE OR REPLACE TABLE pmeds AS
        SELECT pid, meds, CAST(md5_number(pid) % {parts} AS INTEGER) AS part FROM pcount
        """
    )
    con.execute("DROP TABLE pcount")
    con.execute(
        """
        CREATE OR REPLACE TABLE work AS
        SELECT m.part, r.pid, r.kind, r.file, r.line, r.text
        FROM res r JOIN pmeds m ON r.pid = m.pid
        ORDER BY m.part, r.pid, r.kind <> 'Patient', r.file, r.line
        """
    )
    return parts


def patients_without_medicines(con: Any) -> int:
    row = con.execute(
        "SELECT count(DISTINCT pid) FROM res WHERE kind = 'Patient' "
        "AND pid NOT IN (SELECT pid FROM pmeds)"
    ).fetchone()
    return int(row[0]) if row else 0


def partition_items(con: Any, part: int) -> list[tuple[str, str, list[str]]]:
    rows = con.execute(
        "SELECT pid, list(text ORDER BY kind <> 'Patient', file, line) FROM work "
        "WHERE part = ? GROUP BY pid ORDER BY pid",
        [part],
    ).fetchall()
    return [(pid, "fhir", list(items)) for pid, items in rows]


# --- tabular exports ---------------------------------------------------------------------

# MIMIC-III demo PRESCRIPTIONS: one admission (hadm_id) is one patient-admission.
MIMIC_COLUMNS = {
    "patient": "hadm_id",
    "subject": "subject_id",
    "drug": "drug",
    "dose": "dose_val_rx",
    "unit": "dose_unit_rx",
    "route": "route",
    "start": "startdate",
}
ROUTES = {
    "PO": "oral",
    "NG": "oral",
    "PO/NG": "oral",
    "ORAL": "oral",
    "OG": "oral",
    "IV": "intravenous",
    "IV DRIP": "intravenous",
    "IV BOLUS": "intravenous",
    "SC": "subcutaneous",
    "SUBCUT": "subcutaneous",
    "IM": "intramuscular",
    "IT": "intrathecal",
}
DOSE_UNITS = {"mg": "mg", "mcg": "mcg", "g": "g", "ml": "mL", "tab": "tablet"}


def load_table(
    con: Any,
    path: Path,
    columns: dict[str, str],
    skipped: Skipped,
    patients_file: Path | None = None,
) -> None:
    """Read a CSV or Parquet prescription export into table `tab` (pid, drug, dose, unit,
    route, start, sex), one row per distinct medicine of a patient (the latest start)."""
    name = str(path)
    quoted = "'" + name.replace("'", "''") + "'"
    reader = (
        f"read_parquet({quoted})"
        if name.endswith(".parquet")
        else f"read_csv({quoted}, header = true, all_varchar = true)"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE src AS SELECT * FROM {reader}")
    have = {r[0].lower(): r[0] for r in con.execute("DESCRIBE src").fetchall()}

    def col(key: str) -> str:
        wanted = columns.get(key)
        if wanted is None or wanted.lower() not in have:
            return "NULL"
        return f'CAST("{have[wanted.lower()]}" AS VARCHAR)'

    if (
        columns.get("patient", "").lower() not in have
        or columns.get("drug", "").lower() not in have
    ):
        raise ValueError(
            f"{name}: the columns for patient ({columns.get('patient')}) and drug "
            f"({columns.get('drug')}) must be present; found {sorted(have.values())}"
        )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE rows AS
        SELECT row_number() OVER () + 1 AS line, {col("patient")} AS pid,
               {col("subject")} AS subject, trim({col("drug")}) AS drug,
               {col("dose")} AS dose, {col("unit")} AS unit, {col("route")} AS route,
               {col("start")} AS start
        FROM src
        """
    )
    empty = con.execute(
        "SELECT count(*) FROM rows WHERE drug IS NULL OR drug = '' OR pid IS NULL OR pid = ''"
    ).fetchone()
    first = con.execute(
        "SELECT ? || ':' || line FROM rows WHERE drug IS NULL OR drug = '' OR pid IS NULL "
        "OR pid = '' ORDER BY line LIMIT ?",
        [name, FIRST_PLACES],
    ).fetchall()
    skipped.add("no_drug", empty[0] if empty else 0, [r[0] for r in first])
    sex = "NULL"
    dob = "NULL"
    if patients_file is not None and patients_file.exists():
        con.execute(
            "CREATE OR REPLACE TEMP TABLE pfile AS "
            "SELECT * FROM read_csv(?, header = true, all_varchar = true)",
            [str(patients_file)],
        )
        pcols = {r[0].lower() for r in con.execute("DESCRIBE pfile").fetchall()}
        birth = "dob" if "dob" in pcols else None
        con.execute(
            "CREATE OR REPLACE TEMP TABLE pts AS SELECT CAST(subject_id AS VARCHAR) AS subject, "
            f"lower(gender) AS gender, {'CAST(dob AS VARCHAR)' if birth else 'NULL'} AS dob "
            "FROM pfile"
        )
        sex = (
            "(SELECT CASE gender WHEN 'm' THEN 'male' WHEN 'f' THEN 'female' END "
            "FROM pts WHERE pts.subject = r.subject LIMIT 1)"
        )
        # '' marks a patients file without a date of birth for this subject (said per
        # patient); NULL means no patients file at all (nothing to say)
        dob = "coalesce((SELECT dob FROM pts WHERE pts.subject = r.subject LIMIT 1), '')"
    con.execute(
        f"""
        CREATE OR REPLACE TABLE tab AS
        SELECT pid, drug, dose, unit, route, {sex} AS sex, {dob} AS dob, first_start FROM (
            SELECT r.*, row_number() OVER (PARTITION BY pid, lower(drug)
                                           ORDER BY start DESC NULLS LAST, line DESC) AS k,
                   min(TRY_CAST(start AS DATE)) OVER (PARTITION BY pid) AS first_start
            FROM rows r WHERE drug IS NOT NULL AND drug <> '' AND pid IS NOT NULL AND pid <> ''
        ) r WHERE k = 1
        """
    )


def partition_table(con: Any, batch_patients: int) -> int:
    row = con.execute("SELECT count(DISTINCT pid) FROM tab").fetchone()
    n = row[0] if row else 0
    parts = max(1, -(-n // max(1, batch_patients)))
    con.execute(
        f"""
        CREATE OR REPLACE TABLE work AS
        SELECT CAST(md5_number(pid) % {parts} AS INTEGER) AS part, pid,
               list(struct_pack(drug := drug, dose := dose, unit := unit, route := route)
                    ORDER BY lower(drug)) AS meds, any_value(sex) AS sex,
               any_value(dob) AS dob, min(first_start) AS first_start
        FROM tab GROUP BY pid
        """
    )
    return parts


def _number(text: Any) -> float | None:
    try:
        value = float(str(text).replace(",", ""))
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


MIMIC_OLDEST = 89  # MIMIC-III shifts the birth date of anyone older (to about 300 years)
ADULT_FROM = 16  # MIMIC-III has neonates and adults from 16, no other children


def age_from_birth(dob: str | None, at: date | None) -> tuple[float | None, str | None]:
    """(age in whole years on the day `at`, or None; what to say when it is not known),
    read the way MIMIC-III writes dates of birth.

    - `2094-03-05 00:00:00`: the age is exact. Above 89 the date was shifted on purpose
      (MIMIC moves it about 300 years back for anyone over 89), so the age is not known.
    - `3/5/94 0:00` (a two-digit year, as a spreadsheet rewrote most of the demo's dates):
      the age is known modulo 100. MIMIC ages run from 0 to 89 or are shifted to about 300,
      whose remainder is small; so a remainder from 16 to 89 is the age, anything else could
      be a child or a shifted patient over 89, and is not known.
    - Nothing is guessed: no date, no start date to reckon from, or a date not read give None.
    """
    if dob is None:
        return None, None  # no patients file
    text = dob.strip()
    if not text:
        return None, "age not known: the patients file gives no date of birth"
    if at is None:
        return None, "age not known: no order start date to reckon the age from"
    iso = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})", text)
    short = re.match(r"^(\d{1,2})/(\d{1,2})/(\d{2})(?:\s|$)", text)
    try:
        if iso:
            born = date(int(iso[1]), int(iso[2]), int(iso[3]))
            years = at.year - born.year - ((at.month, at.day) < (born.month, born.day))
            if years < 0:
                return None, "age not known: the date of birth is after the orders"
            if years > MIMIC_OLDEST:
                return None, (
                    "age not known: over eighty-nine (MIMIC shifts the date of birth of "
                    "anyone older on purpose; the age is not given)"
                )
            return float(years), None
        if short:
            month, day, yy = int(short[1]), int(short[2]), int(short[3])
            date(2000, month, day)  # a real calendar day (29 February is one in 2000)
            years = (at.year % 100 - yy - ((at.month, at.day) < (month, day))) % 100
            if ADULT_FROM <= years <= MIMIC_OLDEST:
                return float(years), None
            return None, (
                "age not known: a two-digit year of birth cannot tell a child from a patient "
                "over eighty-nine whose date MIMIC shifted"
            )
    except ValueError:
        pass
    return None, "age not known: the date of birth is not a date medguide reads"


def table_items(con: Any, part: int) -> list[tuple[str, str, list[str]]]:
    """Request data per patient of one partition, from the tabular rows. A dose that is not
    one number (a range such as "1-2") or a unit medguide does not read is left out, and the
    order is checked by name. The age, where the patients file gives a date of birth, is the
    age on the first order's start date (`age_from_birth`); each item is the request data as
    JSON, then what could not be read (notes)."""
    import json

    out = []
    for pid, meds, sex, dob, first_start in con.execute(
        "SELECT pid, meds, sex, dob, first_start FROM work WHERE part = ? ORDER BY pid", [part]
    ).fetchall():
        medications = []
        for m in meds:
            # "OxycoDONE (Immediate Release)", "Heparin Flush (10 units/ml)": the words in
            # brackets are a qualifier of the product, not part of the medicine's name
            name = re.sub(r"\s*\([^)]*\)", " ", str(m["drug"])).strip() or str(m["drug"])
            med: dict[str, Any] = {"drug": " ".join(name.split())}
            dose = _number(m["dose"])
            unit = DOSE_UNITS.get(str(m["unit"] or "").strip().lower())
            if dose is not None and unit is not None:
                med["dose"] = dose
                med["unit"] = unit
            route = ROUTES.get(str(m["route"] or "").strip().upper())
            if route is not None:
                med["route"] = route
            medications.append(med)
        data: dict[str, Any] = {"medications": medications}
        patient: dict[str, Any] = {}
        age, note = age_from_birth(dob, first_start)
        if age is not None:
            patient["age_years"] = age
        if sex in ("male", "female"):
            patient["sex"] = sex
        if patient:
            data["patient"] = patient
        out.append((str(pid), "request", [json.dumps(data), *([note] if note else [])]))
    return out


def fingerprint(paths: Iterable[Path], options: dict[str, Any]) -> str:
    """What identifies a run's input, so that a resumed run does not mix two inputs."""
    import hashlib
    import json

    parts = []
    for p in paths:
        st = os.stat(p)
        parts.append([str(p), st.st_size, st.st_mtime_ns])
    blob = json.dumps([parts, options], sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]
