"""The pages. Each handler parses its form, calls one service job (as the REST route does) and
renders the result; a bad field comes back as a message next to it with the rest kept."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import ValidationError

from medguide import service
from medguide.codes import SEVERITY_RANK
from medguide.knowledge.catalog import Catalog
from medguide.web import render, security

router = APIRouter(include_in_schema=False)

HTMX = "htmx-2.0.11.min.js"
STATIC = {"site.css": "text/css", HTMX: "text/javascript"}
MAX_TEXT = 4000  # characters in a text box: a label or a list of medicines, not a paste
MAX_LINES = 30
MAX_FIELD = 200

DISCLAIMER = (
    "medguide gives information, not medical advice or prescriptions. It does not replace your "
    "doctor, nurse or pharmacist. If someone may be in danger, call emergency services now."
)


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("medguide.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        advice_words=render.advice_words,
        severity_words=render.SEVERITY_WORDS,
        level_words=render.LEVEL_WORDS,
        emergency_numbers=render.EMERGENCY_NUMBERS,
        disclaimer=DISCLAIMER,
        htmx=HTMX,
    )
    return env


def _catalog(request: Request) -> Catalog:
    cat: Catalog = request.app.state.catalog
    return cat


def page(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    """A rendered page with the CSRF pair: a cookie, and its signature for the forms."""
    cookie = request.cookies.get(security.CSRF_COOKIE) or security.new_csrf_cookie()
    cat = _catalog(request)
    html = (
        _env()
        .get_template(name)
        .render(
            knowledge_version=cat.version,
            csrf=security.csrf_token(cookie),
            path=request.url.path,
            errors=ctx.pop("errors", {}),
            values=ctx.pop("values", {}),
            **ctx,
        )
    )
    response = HTMLResponse(html, status_code=status)
    if request.cookies.get(security.CSRF_COOKIE) != cookie:
        response.set_cookie(
            security.CSRF_COOKIE, cookie, httponly=True, samesite="strict", path="/"
        )
    return response


class FormError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


async def _form(request: Request) -> tuple[dict[str, str], dict[str, str]]:
    """The form's values (cut to size) and the errors found so far (CSRF, sizes)."""
    form = await request.form()
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for key, raw in form.items():
        if not isinstance(raw, str):
            continue
        text = raw.replace("\r\n", "\n")
        limit = MAX_TEXT if key in ("medicines", "symptoms") else MAX_FIELD
        if len(text) > limit:
            errors[key] = f"This is too long ({len(text):,} characters; at most {limit:,})."
            text = text[:limit]
        values[key] = text
    if not security.csrf_ok(request.cookies.get(security.CSRF_COOKIE), values.pop("csrf", None)):
        errors["_form"] = (
            "This form had expired (or cookies are off), so nothing was done. "
            "Please check it and send it again."
        )
    return values, errors


def _number(values: dict[str, str], key: str, what: str) -> float | None:
    text = values.get(key, "").strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise FormError(key, f"{what} should be a number, e.g. 70.") from None


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def _field_of(loc: tuple[Any, ...] | str | None, mapping: dict[str, str], default: str) -> str:
    text = ".".join(str(p) for p in loc) if isinstance(loc, tuple) else (loc or "")
    for prefix, field in mapping.items():
        if text.startswith(prefix):
            return field
    return default


def _validation_message(exc: ValidationError) -> tuple[tuple[Any, ...], str]:
    first = exc.errors()[0]
    msg = str(first["msg"]).removeprefix("Value error, ")
    return tuple(first["loc"]), msg


def _sorted_findings(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(findings, key=lambda f: -SEVERITY_RANK.get(f.get("severity", "info"), 0))


def _sources(cat: Catalog, ids: Any) -> list[dict[str, str]]:
    out = []
    for sid in ids or ():
        src = cat.sources.get(sid)
        if src is not None:
            out.append({"id": sid, "title": src.title, "url": src.url or ""})
    return out


def _now(zone: str | None = None) -> datetime:
    if zone:
        try:
            return datetime.now(ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            raise FormError("timezone", "Unknown time zone; try e.g. Europe/London.") from None
    return datetime.now().astimezone()


# --- static files, home and the guide -------------------------------------------------------


@router.get("/static/{name}")
async def static(name: str) -> Response:
    if name not in STATIC:
        return Response("not found", status_code=404, media_type="text/plain")
    data = resources.files("medguide.web").joinpath("static", name).read_bytes()
    return Response(
        data,
        media_type=STATIC[name],
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    return page(request, "home.html")


@router.get("/find", response_class=HTMLResponse)
async def find(request: Request, q: str = "") -> Response:
    values = {"q": q[:MAX_FIELD]}
    if not q.strip():
        return page(request, "home.html", 422, values=values, errors={"q": "Type a drug name."})
    if len(q) > MAX_FIELD:
        return page(
            request, "home.html", 422, values=values, errors={"q": "That name is too long."}
        )
    try:
        drug = service.covered_drug(_catalog(request), q.strip())
    except service.ServiceError:
        return page(
            request,
            "home.html",
            404,
            values=values,
            errors={
                "q": f"No medicine called {q.strip()!r} is covered. Check the spelling, "
                "or try the name on the box."
            },
        )
    return RedirectResponse(f"/guide/{drug.id}", status_code=303)


@router.get("/guide/{drug}", response_class=HTMLResponse)
async def guide_page(request: Request, drug: str) -> HTMLResponse:
    cat = _catalog(request)
    try:
        g: dict[str, Any] = service.guide(cat, drug[:MAX_FIELD]).as_dict()
    except service.ServiceError:
        return page(
            request,
            "home.html",
            404,
            values={"q": drug[:MAX_FIELD]},
            errors={"q": "There is no guide for that name. Try another name."},
        )
    cited = dict.fromkeys(
        sid for section in g["sections"] for item in section["items"] for sid in item["sources"]
    )
    glance_ids = ("uses", "how_to_take", "missed_dose", "side_effects", "stopping", "overdose")
    glance = [
        (s["title"], s["items"][0]["text"], s["id"])
        for s in g["sections"]
        if s["id"] in glance_ids and s["items"]
    ]
    return page(
        request, "guide.html", guide=g, glance=glance, bibliography=_sources(cat, list(cited))
    )


# --- check my medicines ---------------------------------------------------------------------

_CHECK_FIELDS = {
    "patient.age_years": "age",
    "patient.weight_kg": "weight",
    "patient.serum_creatinine_mg_dl": "creatinine",
    "patient.crcl_ml_min": "crcl",
    "patient.egfr": "egfr",
    "patient.sex": "sex",
    "medications": "medicines",
}


@router.get("/check", response_class=HTMLResponse)
async def check_form(request: Request) -> HTMLResponse:
    return page(request, "check.html")


@router.post("/check", response_class=HTMLResponse)
async def check(request: Request) -> HTMLResponse:
    from medguide.clinical.request import AssessRequest

    values, errors = await _form(request)
    cat = _catalog(request)
    lines = _lines(values.get("medicines", ""))
    if "medicines" in errors:
        pass
    elif not lines:
        errors["medicines"] = "Type at least one medicine, one a line, as on the label."
    elif len(lines) > MAX_LINES:
        errors["medicines"] = f"At most {MAX_LINES} medicines at a time."
    patient: dict[str, Any] = {}
    for key, field, what in (
        ("age", "age_years", "Age"),
        ("weight", "weight_kg", "Weight"),
        ("creatinine", "serum_creatinine_mg_dl", "Creatinine"),
        ("crcl", "crcl_ml_min", "Creatinine clearance"),
        ("egfr", "egfr", "eGFR"),
    ):
        try:
            number = _number(values, key, what)
        except FormError as exc:
            errors[exc.field] = exc.message
            continue
        if number is not None:
            patient[field] = number
    if values.get("sex") in ("male", "female"):
        patient["sex"] = values["sex"]
    if errors:
        return page(request, "check.html", 422, values=values, errors=errors)
    try:
        req = AssessRequest.model_validate(
            {"patient": patient, "medications": [{"text": line} for line in lines]}
        )
        result = service.assess(cat, req).as_dict()
    except ValidationError as exc:
        loc, msg = _validation_message(exc)
        errors[_field_of(loc, _CHECK_FIELDS, "medicines")] = msg
        return page(request, "check.html", 422, values=values, errors=errors)
    except service.ServiceError as exc:
        errors[_field_of(exc.field, _CHECK_FIELDS, "medicines")] = exc.message
        return page(request, "check.html", 422, values=values, errors=errors)
    findings = _sorted_findings(result["findings"])
    for f in findings:
        f["source_list"] = _sources(cat, f.get("sources"))
    return page(
        request,
        "check.html",
        values=values,
        result=result,
        findings=findings,
        clinician=values.get("view") == "clinician",
    )


# --- I missed a dose ------------------------------------------------------------------------


@router.get("/missed", response_class=HTMLResponse)
async def missed_form(request: Request) -> HTMLResponse:
    return page(request, "missed.html", values={"drug": "baclofen", "count": "1"})


@router.post("/missed", response_class=HTMLResponse)
async def missed(request: Request) -> HTMLResponse:
    values, errors = await _form(request)
    cat = _catalog(request)
    for key, what in (("drug", "the medicine"), ("missed", "when the dose was due")):
        if not values.get(key, "").strip() and key not in errors:
            errors[key] = f"Please give {what}."
    count_text = values.get("count", "1").strip() or "1"
    if not count_text.isdigit() or not 1 <= int(count_text) <= 100:
        errors["count"] = "A whole number from 1 to 100."
    try:
        now = _now(values.get("timezone", "").strip() or None)
    except FormError as exc:
        errors[exc.field] = exc.message
    if errors:
        return page(request, "missed.html", 422, values=values, errors=errors)
    try:
        query = service.MissedDoseQuery(
            drug=values["drug"].strip(),
            missed=values["missed"].strip(),
            next_due=values.get("next_due", "").strip() or None,
            timezone=values.get("timezone", "").strip() or None,
            count=int(count_text),
        )
        advice = service.missed_dose(cat, query, now).as_dict()
    except ValidationError as exc:
        loc, msg = _validation_message(exc)
        errors[str(loc[0]) if loc else "missed"] = msg
        return page(request, "missed.html", 422, values=values, errors=errors)
    except service.ServiceError as exc:
        field = exc.field if exc.field in ("drug", "missed", "next_due", "count") else "missed"
        errors[field] = exc.message
        return page(request, "missed.html", 422, values=values, errors=errors)
    advice["source_list"] = _sources(cat, advice.get("sources"))
    return page(request, "missed.html", values=values, advice=advice)


# --- how I feel -----------------------------------------------------------------------------


@router.get("/feel", response_class=HTMLResponse)
async def feel_form(request: Request) -> HTMLResponse:
    return page(request, "feel.html")


@router.post("/feel", response_class=HTMLResponse)
async def feel(request: Request) -> HTMLResponse:
    values, errors = await _form(request)
    cat = _catalog(request)
    words = [w.strip() for line in _lines(values.get("symptoms", "")) for w in line.split(";")]
    words = [w for w in words if w]
    if "symptoms" in errors:
        pass
    elif not words:
        errors["symptoms"] = "Say what you notice, in your own words."
    elif len(words) > 50:
        errors["symptoms"] = "At most 50 things at a time."
    stopped: float | None = None
    try:
        stopped = _number(values, "stopped", "Days since stopping")
    except FormError as exc:
        errors[exc.field] = exc.message
    if errors:
        return page(request, "feel.html", 422, values=values, errors=errors)
    data: dict[str, Any] = {"symptoms": tuple(words)}
    if values.get("drug", "").strip():
        data["drug"] = values["drug"].strip()
    if stopped is not None:
        data["stopped_days_ago"] = stopped
    try:
        result = service.triage(cat, service.TriageQuery(**data)).as_dict()
    except ValidationError as exc:
        loc, msg = _validation_message(exc)
        field = {"drug": "drug", "stopped_days_ago": "stopped"}.get(
            str(loc[0]) if loc else "", "symptoms"
        )
        errors[field] = msg
        return page(request, "feel.html", 422, values=values, errors=errors)
    except service.ServiceError as exc:
        errors["drug" if exc.field == "drug" else "symptoms"] = exc.message
        return page(request, "feel.html", 422, values=values, errors=errors)
    findings = _sorted_findings(result["findings"])
    return page(request, "feel.html", values=values, result=result, findings=findings)


# --- plans ----------------------------------------------------------------------------------


def _plan(cat: Catalog, values: dict[str, str]) -> tuple[Any, dict[str, str]]:
    errors: dict[str, str] = {}
    kind = values.get("kind", "titrate")
    if kind not in ("titrate", "taper"):
        errors["kind"] = "Choose a titration or a taper."
    if not values.get("drug", "").strip():
        errors["drug"] = "Please give the medicine."
    try:
        start = date.fromisoformat(values.get("start", "").strip())
    except ValueError:
        errors["start"] = "A date, e.g. 2026-12-03."
    data: dict[str, Any] = {"drug": values.get("drug", "").strip()}
    if kind == "titrate":
        if values.get("target", "").strip():
            data["target"] = values["target"].strip()
    else:
        try:
            dose = _number(values, "dose", "The dose")
        except FormError as exc:
            errors[exc.field] = exc.message
            dose = None
        if dose is None and "dose" not in errors:
            errors["dose"] = "Give the dose taken now, e.g. 20 (mg a dose)."
        data.update(dose=dose, unit="mg", frequency=values.get("frequency", "").strip() or None)
    if errors:
        return None, errors
    data["start"] = start
    try:
        query = service.PlanQuery(**data)
        job = service.plan_titrate if kind == "titrate" else service.plan_taper
        return job(cat, query), errors
    except ValidationError as exc:
        loc, msg = _validation_message(exc)
        errors[str(loc[0]) if loc and str(loc[0]) in values else "drug"] = msg
    except service.ServiceError as exc:
        errors[exc.field if exc.field in values else "drug"] = exc.message
    return None, errors


@router.get("/plans", response_class=HTMLResponse)
async def plans_form(request: Request) -> HTMLResponse:
    values = {
        "kind": "titrate",
        "drug": "baclofen",
        "start": date.today().isoformat(),
        "target": "60 mg",
        "frequency": "three times a day",
        "timezone": "UTC",
    }
    return page(request, "plans.html", values=values)


@router.post("/plans", response_class=HTMLResponse)
async def plans(request: Request) -> HTMLResponse:
    values, errors = await _form(request)
    if errors:
        return page(request, "plans.html", 422, values=values, errors=errors)
    result, errors = _plan(_catalog(request), values)
    if result is None:
        return page(request, "plans.html", 422, values=values, errors=errors)
    keep = ("kind", "drug", "start", "target", "dose", "frequency", "timezone")
    ics = "/plans.ics?" + urlencode({k: values[k] for k in keep if values.get(k)})
    return page(request, "plans.html", values=values, plan=result.as_dict()["plan"], ics=ics)


@router.get("/plans.ics")
async def plans_ics(request: Request) -> Response:
    from medguide.interop.ical import dump_ical

    values = {k: v[:MAX_FIELD] for k, v in request.query_params.items()}
    result, errors = _plan(_catalog(request), values)
    zone = values.get("timezone") or "UTC"
    if result is None:
        return page(request, "plans.html", 422, values=values, errors=errors)
    try:
        data = dump_ical(result.plan, zone, knowledge_version=result.knowledge_version)
    except ValueError as exc:
        return page(request, "plans.html", 422, values=values, errors={"timezone": str(exc)})
    return Response(
        data,
        media_type="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="medguide-plan.ics"'},
    )


# --- the journal ----------------------------------------------------------------------------


def _journal(request: Request) -> Any:
    from medguide.api.journal import journal_of

    return journal_of(request)  # the API's journal: one database, one set of tokens


def _holder(request: Request) -> tuple[Any, bool]:
    """(the token holder of this browser, whether a cookie was sent but opens nothing).

    The session cookie holds a journal token (the same tokens as the API's), so revoking
    it with `medguide journal token revoke` ends the browser's session too."""
    from medguide.journal import access

    if hasattr(request.state, "journal_holder"):  # looked up once a request
        cached: tuple[Any, bool] = request.state.journal_holder
        return cached
    raw = request.cookies.get(security.SESSION_COOKIE)
    holder = access.authenticate(_journal(request), raw, datetime.now(UTC)) if raw else None
    found = (holder, raw is not None and holder is None)
    request.state.journal_holder = found
    return found


def _person(request: Request) -> tuple[str | None, bool]:
    """(person id, whether a cookie was sent but is not valid here)."""
    holder, stale = _holder(request)
    return (holder.person.id if holder else None), stale


def _audit(request: Request, person_id: str, action: Any, what: str, outcome: Any) -> None:
    """One line of the journal's audit log for what this browser did."""
    from medguide.journal import access

    holder, _ = _holder(request)
    access.record(
        _journal(request),
        at=datetime.now(UTC),
        holder=holder,
        subject=person_id,
        action=action,
        what=what,
        outcome=outcome,
        door="web",
        client=request.client.host if request.client else None,
    )


def _set_session(response: Response, token: str) -> None:
    response.set_cookie(
        security.SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path="/",
        max_age=WEB_TOKEN_DAYS * 24 * 3600,
    )


WEB_TOKEN_DAYS = 180
WEB_TOKEN_LABEL = "web browser"


def _journal_page(request: Request, person_id: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    """The journal of `person_id`, or the start page when this server does not know them
    (a signed cookie from before the database was reset)."""
    try:
        shown = _journal_view(request, person_id, status, **ctx)
        _audit(request, person_id, "read", "page", "ok")
        return shown
    except _journal_errors():
        return _start(request, 401, notice="This journal is not known here; start a new one.")


def _journal_view(request: Request, person_id: str, status: int, **ctx: Any) -> HTMLResponse:
    from medguide.journal import report

    j = _journal(request)
    now = datetime.now(UTC)
    hist = report.history(j, person_id, now, 7)
    state = report.status(j, person_id, now)
    tz = ZoneInfo(hist["person"]["timezone"])
    today = now.astimezone(tz).date()
    rows = []
    for med in state["medications"]:
        due_now = {s["due"] for s in med.get("due_now", [])}
        nxt = med.get("next_due")
        hist_med: dict[str, Any] = next(
            (m for m in hist["medications"] if m["medication"]["id"] == med["medication"]["id"]),
            {"slots": [], "adherence_by_day": []},
        )
        slots = [s for s in hist_med["slots"] if s["due"][:10] == today.isoformat()]
        if (
            nxt
            and nxt["due"][:10] == today.isoformat()
            and nxt["due"] not in {s["due"] for s in slots}
        ):
            slots.append(nxt)
        for s in slots:
            s["open"] = s["status"] in ("due", "missed", "upcoming") or s["due"] in due_now
            s["time"] = s["due"][11:16]
        rows.append(
            {
                "med": med["medication"],
                "slots": slots,
                "missed_dose": med.get("missed_dose"),
                "chart": render.adherence_svg(hist_med["adherence_by_day"]),
            }
        )
    return page(
        request,
        "journal.html",
        status,
        scripts=True,
        person=hist["person"],
        rows=rows,
        events=list(reversed(hist["events"])),
        symptoms=list(reversed(hist["symptoms"])),
        **ctx,
    )


def _start(request: Request, status: int = 200, **ctx: Any) -> HTMLResponse:
    ctx.setdefault("values", {"timezone": "UTC"})
    return page(request, "journal_start.html", status, **ctx)


def _journal_errors() -> tuple[type[BaseException], ...]:
    from medguide.journal.db import JournalError

    return (JournalError, service.ServiceError, ValueError)


@router.get("/journal", response_class=HTMLResponse)
async def journal(request: Request) -> HTMLResponse:
    person, stale = _person(request)
    if person is None:
        note = "Your journal session has ended; start a new one below." if stale else None
        return _start(request, notice=note)
    return _journal_page(request, person)


@router.post("/journal/start", response_class=HTMLResponse)
async def journal_start(request: Request) -> Response:
    values, errors = await _form(request)
    if not values.get("medicine", "").strip() and "medicine" not in errors:
        errors["medicine"] = "Type the medicine as on the label, e.g. baclofen 10 mg 3 times a day."
    try:
        _now(values.get("timezone", "").strip() or "UTC")
    except FormError as exc:
        errors[exc.field] = exc.message
    if errors:
        return _start(request, 422, values=values, errors=errors)
    from medguide.journal import access

    j = _journal(request)
    now = datetime.now(UTC)
    person_id = "web-" + secrets.token_urlsafe(12)
    try:
        j.add_person(
            person_id,
            values.get("name", "").strip() or "me",
            values.get("timezone", "").strip() or "UTC",
            now=now,
        )
        j.add_medication(person_id, text=values["medicine"].strip(), start=now, now=now)
        issued = access.issue(j, person_id, label=WEB_TOKEN_LABEL, days=WEB_TOKEN_DAYS, now=now)
    except _journal_errors() as exc:
        errors["medicine"] = getattr(exc, "message", None) or str(exc)
        return _start(request, 422, values=values, errors=errors)
    response = RedirectResponse("/journal", status_code=303)
    _set_session(response, issued.token)
    return response


@router.post("/journal/open", response_class=HTMLResponse)
async def journal_open(request: Request) -> Response:
    """Open an existing journal in this browser with a token from `medguide journal token
    issue` (a journal kept with the command line, on this server)."""
    from medguide.journal import access

    values, errors = await _form(request)
    if errors:
        return _start(request, 403, notice=errors.get("_form"))
    token = values.get("token", "").strip()
    holder = access.authenticate(_journal(request), token, datetime.now(UTC)) if token else None
    if holder is None:
        errors["token"] = "This token does not open a journal here (mistyped, expired or revoked)."
        return _start(request, 401, values={"timezone": "UTC"}, errors=errors)
    response = RedirectResponse("/journal", status_code=303)
    _set_session(response, token)
    return response


@router.post("/journal/dose", response_class=HTMLResponse)
async def journal_dose(request: Request) -> Response:
    person, _ = _person(request)
    values, errors = await _form(request)
    if person is None:
        return _start(request, 401, notice="Your journal session has ended; start a new one.")
    if errors:
        return _journal_page(request, person, 403, notice=errors.get("_form"))
    kind = values.get("kind")
    if kind not in ("taken", "skipped"):
        return _journal_page(request, person, 422, notice="Choose taken or skipped.")
    now = datetime.now(UTC)
    try:
        due = datetime.fromisoformat(values.get("due", ""))
        _journal(request).record_dose(
            values.get("event") or secrets.token_hex(8),
            person,
            values.get("med", ""),
            kind,
            now,
            scheduled_for=due,
            now=now,
        )
    except _journal_errors() as exc:
        _audit(request, person, "write", "dose", "refused")
        return _journal_page(request, person, 422, notice=getattr(exc, "message", str(exc)))
    _audit(request, person, "write", "dose", "ok")
    return RedirectResponse("/journal", status_code=303)


@router.post("/journal/symptom", response_class=HTMLResponse)
async def journal_symptom(request: Request) -> Response:
    person, _ = _person(request)
    values, errors = await _form(request)
    if person is None:
        return _start(request, 401, notice="Your journal session has ended; start a new one.")
    text = values.get("symptoms", "").strip()
    if not text and "symptoms" not in errors:
        errors["symptoms"] = "Say what you notice."
    if errors:
        return _journal_page(request, person, 422, values=values, errors=errors)
    now = datetime.now(UTC)
    try:
        _, triage, _ = _journal(request).record_symptom(
            secrets.token_hex(8), person, text, now, now=now
        )
    except _journal_errors() as exc:
        _audit(request, person, "write", "symptom", "refused")
        errors["symptoms"] = getattr(exc, "message", None) or str(exc)
        return _journal_page(request, person, 422, values=values, errors=errors)
    _audit(request, person, "write", "symptom", "ok")
    return _journal_page(request, person, triage_result=triage)


@router.post("/journal/end", response_class=HTMLResponse)
async def journal_end(request: Request) -> Response:
    """End the session; a token the browser was given when its journal started is revoked
    (a token from the command line is the person's to revoke)."""
    from medguide.journal import access

    _, errors = await _form(request)
    holder, _ = _holder(request)
    if holder is not None and not errors and holder.label == WEB_TOKEN_LABEL:
        access.revoke(_journal(request), holder.token_id, now=datetime.now(UTC))
    response = RedirectResponse("/journal", status_code=303)
    response.delete_cookie(security.SESSION_COOKIE, path="/")
    return response
