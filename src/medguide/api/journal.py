"""The dose journal over HTTP, under /api/v1/journal: per person, with a bearer token.

`GET /api/v1/journal` says whose a token is and which journals it opens. A token
(`medguide journal token issue`) opens its person's journal and those of the
patients the person is a linked caregiver of; any other journal answers 404 exactly as one
that does not exist, so a token cannot be used to learn who else is in the journal. Every
request on a journal is written to the audit log (`medguide journal audit`), refusals too.
The routes are the CLI's commands; the journal package does the work.

Routes are plain `def`: the database calls block, so FastAPI runs them in its thread pool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from medguide.api.deps import client_key, rate_limited, strict_body
from medguide.api.problems import problem_responses
from medguide.api.responses import FastJSON
from medguide.service.errors import ServiceError

if TYPE_CHECKING:
    from medguide.journal.access import Action, Holder, Outcome
    from medguide.journal.store import Journal, Person

T = TypeVar("T")

router = APIRouter(
    tags=["journal"],
    responses=problem_responses(400, 401, 404, 413, 422, 429, 503),
    dependencies=[Depends(rate_limited)],
)
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="journal token",
    description="A token from `medguide journal token issue`.",
)
_open_lock = threading.Lock()

PersonId = Annotated[str, Path(min_length=1, max_length=64, description="whose journal")]
EntryId = Annotated[
    str, Field(min_length=1, max_length=64, description="your id: sent again, recorded once")
]
MedName = Annotated[str, Field(min_length=1, max_length=200, description="name or id")]


# --- bodies --------------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MedicationIn(_Body):
    """A medicine from an order text (`order`) or fields, as `medguide journal add-med`."""

    id: EntryId | None = None
    order: str | None = Field(None, min_length=1, max_length=500, examples=["baclofen 10 mg tid"])
    drug: str | None = Field(None, min_length=1, max_length=200)
    dose: float | None = Field(None, gt=0, le=100_000)
    unit: str | None = Field(None, min_length=1, max_length=20)
    frequency: str | None = Field(None, min_length=1, max_length=100)
    times: list[Annotated[str, Field(pattern=r"^\d{2}:\d{2}$")]] = Field(
        default_factory=list, max_length=24
    )
    amounts: list[Annotated[float, Field(gt=0, le=100_000)]] = Field(
        default_factory=list, max_length=24
    )
    every_hours: float | None = Field(None, gt=0, le=168)
    first_dose: AwareDatetime | None = None
    prn: bool = False
    min_interval_hours: float | None = Field(None, gt=0, le=168)
    max_per_day: int | None = Field(None, ge=1, le=48)
    start: AwareDatetime | None = None
    grace_minutes: int = Field(60, ge=0, le=1440)


class StopIn(_Body):
    at: AwareDatetime | None = Field(None, description="when it was stopped (default: now)")


class DoseIn(_Body):
    id: EntryId
    medication: MedName
    kind: Literal["taken", "skipped", "late", "extra"] = "taken"
    at: AwareDatetime | None = Field(None, description="when (default: now)")
    amount: float | None = Field(None, gt=0, le=100_000)
    unit: str | None = Field(None, min_length=1, max_length=20)
    scheduled_for: AwareDatetime | None = None


class SymptomIn(_Body):
    id: EntryId
    text: str = Field(min_length=1, max_length=1000)
    at: AwareDatetime | None = None


class StockIn(_Body):
    id: EntryId
    medication: MedName
    kind: Literal["count", "refill"]
    quantity: float = Field(ge=0, le=10_000_000, description="in the dose's unit, or × `each`")
    each: float | None = Field(None, gt=0, le=100_000, description="amount in each unit counted")
    refills_left: int | None = Field(None, ge=0, le=100)
    at: AwareDatetime | None = None


class NoteIn(_Body):
    id: EntryId
    text: str = Field(min_length=1, max_length=4000)
    at: AwareDatetime | None = None


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class PersonOut(_Open):
    id: str
    name: str
    timezone: str
    role: str


class MeOut(_Open):
    person: PersonOut
    token: str
    journals: list[PersonOut]


class JournalOut(_Open):
    person: PersonOut
    medications: list[dict[str, Any]]


class StatusOut(_Open):
    person: PersonOut
    now: str
    medications: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    red_flags: list[dict[str, Any]]
    knowledge_version: str


class WrittenOut(_Open):
    created: bool


class AuditOut(_Open):
    at: datetime
    actor: str | None
    subject: str
    action: str
    what: str
    outcome: str
    door: str


# --- who is asking -------------------------------------------------------------------------


def journal_of(request: Request) -> Journal:
    """The server's journal, opened on first use (`MEDGUIDE_DATABASE_URL`, else the SQLite
    file in the data directory); shared with the pages."""
    state = request.app.state
    journal: Journal | None = getattr(state, "journal", None)
    if journal is not None:
        return journal
    from medguide.journal.db import JournalError
    from medguide.journal.store import Journal

    with _open_lock:
        if getattr(state, "journal", None) is None:
            try:
                state.journal = Journal.open(catalog=state.catalog)
            except JournalError as exc:
                raise HTTPException(503, f"the journal cannot be opened: {exc}") from None
    opened: Journal = state.journal
    return opened


def clock_of(request: Request) -> datetime:
    clock: Callable[[], datetime] | None = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else datetime.now(UTC)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": 'Bearer realm="journal"'})


def _holder(
    journal: Journal, cred: HTTPAuthorizationCredentials | None, now: datetime
) -> Holder | None:
    from medguide.journal import access

    if cred is None or cred.scheme.lower() != "bearer":
        return None
    return access.authenticate(journal, cred.credentials, now)


Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


@dataclass(frozen=True)
class Opened:
    """A journal opened for one request: whose it is, who asked, when, from where."""

    journal: Journal
    holder: Holder
    subject: Person
    now: datetime
    client: str
    action: Action  # read for GET, write otherwise
    what: str  # the route's name

    def log(self, outcome: Outcome) -> None:
        from medguide.journal import access

        access.record(
            self.journal,
            at=self.now,
            holder=self.holder,
            subject=self.subject.id,
            action=self.action,
            what=self.what,
            outcome=outcome,
            door="api",
            client=self.client,
        )

    def run(self, work: Callable[[], T]) -> T:
        """`work`, audited: ok when it returns, refused (a 422 naming why) when the journal
        or the service refuses the input. Nothing is returned before the audit line is in."""
        from medguide.journal.db import JournalError

        try:
            result = work()
        except JournalError as exc:
            self.log("refused")
            raise ServiceError(str(exc)) from None
        except ServiceError:
            self.log("refused")
            raise
        self.log("ok")
        return result


def opened(request: Request, person: PersonId, cred: Bearer) -> Opened:
    """The journal of `person` for the token shown, or 401 (no valid token) or 404 (not
    a journal this token opens; the same answer as no such journal). Refusals are audited."""
    from medguide.journal import access
    from medguide.journal.db import JournalError

    journal = journal_of(request)
    now = clock_of(request)
    client = client_key(request)
    action: Action = "read" if request.method == "GET" else "write"
    what = getattr(request.scope.get("endpoint"), "__name__", "?")
    holder = _holder(journal, cred, now)

    def deny() -> None:
        access.record(
            journal,
            at=now,
            holder=holder,
            subject=person,
            action=action,
            what=what,
            outcome="denied",
            door="api",
            client=client,
        )

    if holder is None:
        deny()
        raise _unauthorized("a valid journal token is needed: `medguide journal token issue`")
    if not access.can_open(journal, holder.person.id, person):
        deny()
        raise HTTPException(404, f"no journal {person!r} is open to this token")
    try:
        subject = journal.person(person)
    except JournalError:
        deny()
        raise HTTPException(404, f"no journal {person!r} is open to this token") from None
    return Opened(journal, holder, subject, now, client, action, what)


Journaled = Annotated[Opened, Depends(opened)]


# --- routes --------------------------------------------------------------------------------


@router.get("", response_model=MeOut)
def whoami(request: Request, cred: Bearer) -> FastJSON:
    """Who this token belongs to and the journals it opens."""
    from medguide.journal import access

    journal = journal_of(request)
    holder = _holder(journal, cred, clock_of(request))
    if holder is None:
        raise _unauthorized("a valid journal token is needed: `medguide journal token issue`")
    return FastJSON(
        {
            "person": holder.person.as_dict(),
            "token": holder.token_id,
            "journals": [p.as_dict() for p in access.journals_of(journal, holder.person.id)],
        }
    )


@router.get("/{person}", response_model=JournalOut)
def journal(o: Journaled) -> FastJSON:
    """The person and their medicines."""
    tz = o.subject.tz

    def read() -> dict[str, Any]:
        meds = o.journal.medications(o.subject.id)
        return {"person": o.subject.as_dict(), "medications": [m.as_dict(tz) for m in meds]}

    return FastJSON(o.run(read))


@router.get("/{person}/status", response_model=StatusOut)
def status(o: Journaled) -> FastJSON:
    """What is due next, what was missed, adherence, warnings, stock and red flags."""
    from medguide.journal import report

    return FastJSON(o.run(lambda: report.status(o.journal, o.subject.id, o.now)))


@router.get("/{person}/history", response_model=dict[str, Any])
def history(o: Journaled, days: Annotated[int, Query(ge=1, le=3650)] = 30) -> FastJSON:
    """Every expected dose with what happened, and every entry, over `days` days."""
    from medguide.journal import report

    return FastJSON(o.run(lambda: report.history(o.journal, o.subject.id, o.now, days)))


_EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "fhir": "application/fhir+json",
    "ics": "text/calendar; charset=utf-8",
}


@router.get(
    "/{person}/export",
    response_class=Response,
    responses={
        200: {
            "description": "the export",
            "content": {t.split(";")[0]: {} for t in _EXPORT_TYPES.values()},
        }
    },
)
def export(
    o: Journaled,
    format: Annotated[Literal["csv", "json", "fhir", "ics"], Query()] = "json",
    days: Annotated[int, Query(ge=1, le=3650)] = 30,
) -> Response:
    """Dose events as CSV, the history as JSON, FHIR MedicationStatements with adherence, or
    an iCalendar feed of reminders (`days` ahead)."""
    import json

    from medguide.journal import export as ex
    from medguide.journal import reminders, report

    def render() -> bytes:
        j, pid, now = o.journal, o.subject.id, o.now
        if format == "csv":
            return ex.dump_csv(j, pid, now, days).encode()
        if format == "json":
            return json.dumps(report.history(j, pid, now, days), ensure_ascii=False).encode()
        if format == "fhir":
            return json.dumps(ex.dump_fhir(j, pid, now, days)).encode()
        return reminders.dump_feed(j, pid, now, days)

    body = o.run(render)
    return Response(body, media_type=_EXPORT_TYPES[format])


@router.get("/{person}/audit", response_model=list[AuditOut])
def audit(o: Journaled, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> FastJSON:
    """Who read or changed this journal (the person's own token only, not a caregiver's)."""
    from medguide.journal import access

    if o.holder.person.id != o.subject.id:
        o.log("denied")
        raise HTTPException(404, "only the person themselves can read who opened their journal")
    rows = o.run(lambda: access.audit_trail(o.journal, o.subject.id, limit=limit))
    return FastJSON([{k: v for k, v in r.items() if k != "id"} for r in rows])


def _when(at: datetime | None, now: datetime) -> datetime:
    return at if at is not None else now


@router.post(
    "/{person}/medications",
    status_code=201,
    response_model=dict[str, Any],
    dependencies=[strict_body(MedicationIn)],
)
def add_medication(o: Journaled, body: MedicationIn) -> FastJSON:
    """Add a medicine from an order text or fields; the answer has the regimen check's
    findings on it (the same check as `assess`)."""

    def add() -> dict[str, Any]:
        record, findings = o.journal.add_medication(
            o.subject.id,
            med_id=body.id,
            text=body.order,
            drug=body.drug,
            dose=body.dose,
            unit=body.unit,
            frequency=body.frequency,
            times=body.times,
            amounts=body.amounts,
            every_hours=body.every_hours,
            first_dose=body.first_dose,
            prn=body.prn,
            min_interval_hours=body.min_interval_hours,
            max_per_day=body.max_per_day,
            start=_when(body.start, o.now),
            grace_minutes=body.grace_minutes,
            recorded_by=o.holder.person.id,
            now=o.now,
        )
        return {"medication": record.as_dict(o.subject.tz), "findings": findings}

    return FastJSON(o.run(add), status_code=201)


@router.post(
    "/{person}/medications/{medication}/stop",
    response_model=dict[str, Any],
    dependencies=[strict_body(StopIn)],
)
def stop_medication(
    o: Journaled,
    medication: Annotated[str, Path(min_length=1, max_length=200)],
    body: StopIn | None = None,
) -> FastJSON:
    """Mark a medicine as stopped. For a medicine that must not be stopped suddenly
    (baclofen), the answer says so: stop only as the prescriber says."""
    from medguide.journal import report

    def stop() -> dict[str, Any]:
        rec = o.journal.find_medication(o.subject.id, medication)
        when = _when(body.at if body else None, o.now)
        o.journal.stop_medication(o.subject.id, rec.med.id, at=when, now=o.now)
        return {
            "medication": rec.med.id,
            "stopped": when.astimezone(o.subject.tz).isoformat(),
            "advice": report.stop_advice(o.journal.catalog, rec.med.drug_id),
        }

    return FastJSON(o.run(stop))


def _status_code(created: bool) -> int:
    return 201 if created else 200  # a retry with the same id records nothing new


@router.post(
    "/{person}/doses",
    status_code=201,
    response_model=WrittenOut,
    responses={200: {"description": "already recorded with this id; nothing new"}},
    dependencies=[strict_body(DoseIn)],
)
def record_dose(o: Journaled, body: DoseIn) -> FastJSON:
    """Record a dose taken, skipped, late or extra; the answer carries the warnings it
    raised (a dose too soon after the last, a daily total above the maximum)."""
    from medguide.journal import report

    def write() -> dict[str, Any]:
        med = o.journal.find_medication(o.subject.id, body.medication)
        event, created = o.journal.record_dose(
            body.id,
            o.subject.id,
            med.med.id,
            body.kind,
            _when(body.at, o.now),
            amount=body.amount,
            unit=body.unit,
            scheduled_for=body.scheduled_for,
            recorded_by=o.holder.person.id,
            now=o.now,
        )
        return report.recorded_dose(o.journal, o.subject.id, event, created, o.now)

    data = o.run(write)
    return FastJSON(data, status_code=_status_code(data["created"]))


@router.post(
    "/{person}/symptoms",
    status_code=201,
    response_model=WrittenOut,
    responses={200: {"description": "already recorded with this id; nothing new"}},
    dependencies=[strict_body(SymptomIn)],
)
def record_symptom(o: Journaled, body: SymptomIn) -> FastJSON:
    """Record a symptom; it is triaged at once with the person's medicines (as `triage`)."""

    def write() -> dict[str, Any]:
        entry, result, created = o.journal.record_symptom(
            body.id,
            o.subject.id,
            body.text,
            _when(body.at, o.now),
            recorded_by=o.holder.person.id,
            now=o.now,
        )
        return {"entry": entry.as_dict(o.subject.tz), "created": created, "triage": result}

    data = o.run(write)
    return FastJSON(data, status_code=_status_code(data["created"]))


@router.post(
    "/{person}/stock",
    status_code=201,
    response_model=WrittenOut,
    responses={200: {"description": "already recorded with this id; nothing new"}},
    dependencies=[strict_body(StockIn)],
)
def record_stock(o: Journaled, body: StockIn) -> FastJSON:
    """Record what is on hand (a count) or a refill."""

    def write() -> dict[str, Any]:
        rec = o.journal.find_medication(o.subject.id, body.medication)
        total = body.quantity * body.each if body.each is not None else body.quantity
        created = o.journal.record_stock(
            body.id,
            o.subject.id,
            rec.med.id,
            body.kind,
            total,
            refills_left=body.refills_left,
            at=_when(body.at, o.now),
            recorded_by=o.holder.person.id,
            now=o.now,
        )
        return {"id": body.id, "medication": rec.med.id, "created": created}

    data = o.run(write)
    return FastJSON(data, status_code=_status_code(data["created"]))


@router.post(
    "/{person}/notes",
    status_code=201,
    response_model=WrittenOut,
    responses={200: {"description": "already recorded with this id; nothing new"}},
    dependencies=[strict_body(NoteIn)],
)
def add_note(o: Journaled, body: NoteIn) -> FastJSON:
    """Add a free-text note for the person or their care team."""

    def write() -> dict[str, Any]:
        created = o.journal.add_note(
            body.id,
            o.subject.id,
            body.text,
            at=_when(body.at, o.now),
            recorded_by=o.holder.person.id,
            now=o.now,
        )
        return {"id": body.id, "created": created}

    data = o.run(write)
    return FastJSON(data, status_code=_status_code(data["created"]))
