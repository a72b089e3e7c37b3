"""CDS Hooks 2.0: discovery, `order-select` and `order-sign` services, and feedback.

Each call maps the draft orders and the prefetch (or what it could read from the FHIR server)
through the one FHIR mapping, runs the assessment, and turns the findings about the draft
orders into cards. Cards never repeat between the two hooks for the same order: order-sign
shows only what order-select did not already show for the same draft (see `ShownCards`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import re
import sqlite3
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from medguide.api.auth import AuthError, Client, NeedsFetch
from medguide.api.deps import rate_limited, strict_body
from medguide.api.problems import problem, problem_responses
from medguide.api.responses import FastJSON
from medguide.clinical.findings import NotChecked
from medguide.interop.fhir_export import FINDING_SYSTEM
from medguide.interop.fhir_request import (
    CREATININE_LOINC,
    EGFR_LOINC,
    LOINC,
    FhirOrder,
    doses_per_day,
    iter_resources,
)
from medguide.interop.severity import SEVERITY_TO_CDS
from medguide.knowledge.catalog import Catalog
from medguide.service.errors import ServiceError

SUMMARY_MAX = 140
SIGN_ONLY = frozenset({"ambiguous_order"})  # cards order-select leaves to order-sign
FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
UCUM = "http://unitsofmeasure.org"

PREFETCH: Mapping[str, str] = {
    "patient": "Patient/{{context.patientId}}",
    "creatinine": "Observation?patient={{context.patientId}}&code="
    + ",".join(f"{LOINC}|{c}" for c in sorted(CREATININE_LOINC))
    + "&_sort=-date&_count=1",
    "egfr": "Observation?patient={{context.patientId}}&code="
    + ",".join(f"{LOINC}|{c}" for c in sorted(EGFR_LOINC))
    + "&_sort=-date&_count=1",
    "medications": "MedicationRequest?patient={{context.patientId}}&status=active",
}
WHAT_PREFETCH_GIVES = {
    "patient": "age and sex",
    "creatinine": "serum creatinine",
    "egfr": "eGFR",
    "medications": "the active medications (interactions and duplicates)",
}

SERVICES: Mapping[str, Mapping[str, Any]] = {
    "medguide-order-select": {
        "hook": "order-select",
        "title": "medguide medication safety (order select)",
        "description": "Dose, kidney, age and interaction checks of the medication being chosen.",
    },
    "medguide-order-sign": {
        "hook": "order-sign",
        "title": "medguide medication safety (order sign)",
        "description": "Checks of the medication orders about to be signed; shows only what "
        "order-select did not already show for the same order.",
    },
}

OVERRIDE_REASONS = [
    {"system": "https://medguide.invalid/fhir/CodeSystem/override", "code": code, "display": text}
    for code, text in (
        ("already-tolerated", "The patient already takes this dose without problems"),
        ("benefit-outweighs-risk", "The benefit outweighs the risk for this patient"),
        ("data-wrong", "The patient data the card used is wrong or out of date"),
        ("will-monitor", "Will monitor closely"),
    )
]


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class FhirAuthorization(Open):
    access_token: str = Field(max_length=8192)
    token_type: str = Field(max_length=40)
    expires_in: int | None = None
    scope: str | None = Field(default=None, max_length=4096)
    subject: str | None = Field(default=None, max_length=200)


class HookContext(Open):
    userId: str | None = Field(default=None, max_length=200)
    patientId: str = Field(max_length=64, pattern=r"^[A-Za-z0-9\-.]{1,64}$")
    encounterId: str | None = Field(default=None, max_length=64)
    selections: list[str] | None = Field(default=None, max_length=100)
    draftOrders: dict[str, Any]


class HookRequest(Open):
    hook: Literal["order-select", "order-sign"]
    hookInstance: str = Field(min_length=1, max_length=200)
    fhirServer: str | None = Field(default=None, max_length=2000)
    fhirAuthorization: FhirAuthorization | None = None
    context: HookContext
    prefetch: dict[str, Any] | None = None


class OverrideReason(Open):
    reason: dict[str, Any] | None = None
    userComment: str | None = Field(default=None, max_length=2000)


class FeedbackItem(Open):
    card: str = Field(max_length=100)
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[dict[str, Any]] = Field(default_factory=list, max_length=20)
    overrideReason: OverrideReason | None = None
    outcomeTimestamp: datetime


class FeedbackRequest(Open):
    feedback: list[FeedbackItem] = Field(min_length=1, max_length=100)


class CardsOut(Open):
    cards: list[dict[str, Any]]
    systemActions: list[dict[str, Any]] = Field(default_factory=list)


class DiscoveryOut(Open):
    services: list[dict[str, Any]]


# --- state: what was shown, feedback ------------------------------------------------------


class ShownCards:
    """Cards shown by order-select, by (client, FHIR server, patient, order, its content).

    order-sign skips a card whose key order-select already showed for the same draft. The
    draft's content is part of the key, so a draft that was changed after order-select (a
    dose reduced by accepting a suggestion) is judged afresh. Bounded, kept one hour.
    """

    TTL_S = 3600.0

    def __init__(self, max_orders: int = 20_000) -> None:
        self._shown: OrderedDict[tuple[str, ...], tuple[float, set[str]]] = OrderedDict()
        self._max = max_orders
        self._lock = threading.Lock()

    def _trim(self, now: float) -> None:
        while self._shown:
            _, (at, _) = next(iter(self._shown.items()))
            if now - at < self.TTL_S and len(self._shown) <= self._max:
                break
            self._shown.popitem(last=False)

    def shown(self, order: tuple[str, ...]) -> set[str]:
        now = time.monotonic()
        with self._lock:
            self._trim(now)
            entry = self._shown.get(order)
            return set(entry[1]) if entry else set()

    def add(self, order: tuple[str, ...], keys: set[str]) -> None:
        now = time.monotonic()
        with self._lock:
            old = self._shown.pop(order, (now, set()))[1]
            self._shown[order] = (now, old | keys)
            self._trim(now)


class FeedbackStore:
    """Accepted and overridden cards with their reasons, in SQLite (stdlib `sqlite3`): a file
    when `path` is given (`MEDGUIDE_CDS_FEEDBACK_DB`), else an in-memory database. Times are
    stored as UTC ISO strings (SQLite keeps no time zone)."""

    def __init__(self, path: str | None = None) -> None:
        self._db = sqlite3.connect(path or ":memory:", check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS feedback ("
                " id INTEGER PRIMARY KEY, service TEXT NOT NULL, card TEXT NOT NULL,"
                " finding TEXT, outcome TEXT NOT NULL, reason_code TEXT, reason_display TEXT,"
                " comment TEXT, accepted TEXT, outcome_at TEXT NOT NULL,"
                " received_at TEXT NOT NULL, client TEXT)"
            )

    def add(
        self, service: str, item: FeedbackItem, finding: str | None, client: str | None
    ) -> None:
        reason = item.overrideReason.reason if item.overrideReason else None
        at = item.outcomeTimestamp
        at_utc = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO feedback (service, card, finding, outcome, reason_code,"
                " reason_display, comment, accepted, outcome_at, received_at, client)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    service,
                    item.card,
                    finding,
                    item.outcome,
                    str(reason.get("code")) if isinstance(reason, dict) else None,
                    str(reason.get("display")) if isinstance(reason, dict) else None,
                    item.overrideReason.userComment if item.overrideReason else None,
                    json.dumps([s.get("id") for s in item.acceptedSuggestions]),
                    at_utc.isoformat(),
                    datetime.now(UTC).isoformat(),
                    client,
                ),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def rows(self) -> list[dict[str, Any]]:
        with self._lock:
            cur = self._db.execute(
                "SELECT service, card, finding, outcome, reason_code, reason_display, comment,"
                " accepted, outcome_at FROM feedback ORDER BY id"
            )
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


class IssuedCards:
    """uuid → (service, finding code) of the cards handed out, bounded, for feedback."""

    def __init__(self, max_cards: int = 100_000) -> None:
        self._cards: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._max = max_cards
        self._lock = threading.Lock()

    def add(self, card: str, service: str, finding: str) -> None:
        with self._lock:
            self._cards[card] = (service, finding)
            while len(self._cards) > self._max:
                self._cards.popitem(last=False)

    def get(self, card: str) -> tuple[str, str] | None:
        with self._lock:
            return self._cards.get(card)


# --- reading what the hook gives ------------------------------------------------------------


def _prefetched(prefetch: Mapping[str, Any] | None) -> tuple[list[dict[str, Any]], set[str]]:
    """Resources from the prefetch, and the keys it did not carry at all."""
    resources: list[dict[str, Any]] = []
    missing: set[str] = set()
    for key in PREFETCH:
        if prefetch is None or key not in prefetch:
            missing.add(key)
            continue
        resources.extend(iter_resources(prefetch[key]))  # null: looked for, nothing there
    return resources, missing


def _this_patient(
    resources: list[dict[str, Any]], patient_id: str
) -> tuple[list[dict[str, Any]], list[str]]:
    """The resources about the hook's patient; the ids of those that name another one."""
    mine = f"Patient/{patient_id}"
    kept: list[dict[str, Any]] = []
    strangers: list[str] = []
    for r in resources:
        if r.get("resourceType") == "Patient":
            same = r.get("id") in (None, patient_id)
        else:
            ref = r.get("subject") or r.get("patient")
            target = ref.get("reference") if isinstance(ref, dict) else None
            same = not isinstance(target, str) or target == mine or target.endswith("/" + mine)
        if same:
            kept.append(r)
        else:
            strangers.append(f"{r.get('resourceType')}/{r.get('id', '?')}")
    return kept, strangers


async def _fetch(
    server: str,
    auth: FhirAuthorization | None,
    patient_id: str,
    keys: set[str],
    timeout_s: float,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Read the missing prefetch from the FHIR server; what could not be read is returned."""
    import httpx

    if not server.startswith(("https://", "http://")):
        return [], sorted(keys)
    base = server.rstrip("/")
    headers = {"Accept": "application/fhir+json"}
    if auth is not None:
        headers["Authorization"] = f"{auth.token_type} {auth.access_token}"
    urls = {
        key: base + "/" + PREFETCH[key].replace("{{context.patientId}}", patient_id) for key in keys
    }
    out: list[dict[str, Any]] = []
    failed: list[str] = []
    async with httpx.AsyncClient(
        timeout=timeout_s, follow_redirects=False, headers=headers
    ) as client:

        async def one(key: str, url: str) -> tuple[str, Any]:
            try:
                response = await client.get(url)
                if response.status_code != 200:
                    return key, None
                return key, response.json()
            except (httpx.HTTPError, ValueError):
                return key, None

        results = await asyncio.gather(*(one(k, u) for k, u in urls.items()))
    for key, doc in results:
        if doc is None:
            failed.append(key)
        else:
            out.extend(iter_resources(doc))
    return out, sorted(failed)


# --- cards ---------------------------------------------------------------------------------


def _fingerprint(resource: Mapping[str, Any]) -> str:
    """The order's content that a finding depends on."""
    core = {
        k: resource.get(k)
        for k in ("medicationCodeableConcept", "medicationReference", "dosageInstruction")
    }
    return hashlib.sha256(json.dumps(core, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _summary(message: str) -> str:
    first = message.split(". ")[0].strip().rstrip(".")
    if len(first) <= SUMMARY_MAX:
        return first
    cut = first[: SUMMARY_MAX - 1].rsplit(" ", 1)[0]
    return cut + "…"


def _detail(catalog: Catalog, f: Mapping[str, Any]) -> str:
    from medguide.cli.words import ADVICE_TEXT

    lines = [str(f["message"])]
    if f.get("advice"):
        lines.append("")
        lines.append("**What to do**")
        lines += [f"- {ADVICE_TEXT.get(a, a.replace('_', ' '))}" for a in f["advice"]]
    if f.get("sources"):
        named = []
        for sid in f["sources"]:
            src = catalog.sources.get(sid)
            named.append(f"{sid} ({src.title})" if src is not None else sid)
        lines += ["", "*Sources:* " + "; ".join(named)]
    lines += ["", f"`{f['code']}` · severity {f['severity']} · medguide {catalog.version}"]
    return "\n".join(lines)


def _links(catalog: Catalog, sources: Sequence[str]) -> list[dict[str, str]]:
    links = []
    for sid in sources:
        src = catalog.sources.get(sid)
        if src is not None and src.url and src.url.startswith(("https://", "http://")):
            links.append({"label": src.title[:80], "url": src.url, "type": "absolute"})
    return links[:3]


def _suggestion(
    f: Mapping[str, Any], order: FhirOrder, med: Mapping[str, Any]
) -> dict[str, Any] | None:
    """An update of the draft with the dose the finding proposes, never a higher one."""
    suggested = (f.get("details") or {}).get("suggested_daily")
    if not isinstance(suggested, dict) or order.resource_type != "MedicationRequest":
        return None
    dosages = order.resource.get("dosageInstruction")
    if not isinstance(dosages, list) or not dosages or not isinstance(dosages[0], dict):
        return None
    per_day = doses_per_day(dosages[0])
    daily, unit = suggested.get("amount"), suggested.get("unit")
    current = med.get("dose")
    if not per_day or not isinstance(daily, int | float) or daily <= 0 or unit != med.get("unit"):
        return None
    per_dose = math.floor(daily / per_day * 100 + 1e-9) / 100
    if not isinstance(current, int | float) or per_dose <= 0 or per_dose >= current:
        return None
    # A copy along the path that changes; the rest of the draft is shared, never modified.
    updated = dict(order.resource)
    dosage = dict(dosages[0])
    updated["dosageInstruction"] = [dosage, *dosages[1:]]
    rates = dosage.get("doseAndRate")
    first = (
        dict(rates[0]) if isinstance(rates, list) and rates and isinstance(rates[0], dict) else {}
    )
    first["doseQuantity"] = {"value": per_dose, "unit": unit, "system": UCUM, "code": unit}
    rest = rates[1:] if isinstance(rates, list) else []
    dosage["doseAndRate"] = [first, *rest]
    if isinstance(dosage.get("text"), str):
        dosage["text"] = f"{per_dose:g} {unit} {med.get('frequency') or ''}".strip()
    label = f"Change the dose to {per_dose:g} {unit} ({daily:g} {unit} a day)"
    return {
        "label": label[:SUMMARY_MAX],
        "uuid": str(uuid.uuid4()),
        "isRecommended": True,
        "actions": [{"type": "update", "description": label, "resource": updated}],
    }


def _orders_of(
    f: Mapping[str, Any], drafts: Sequence[FhirOrder], meds: Sequence[Mapping[str, Any]]
) -> list[FhirOrder]:
    index = (f.get("details") or {}).get("medication")
    if isinstance(index, int):
        return [o for o in drafts if o.index == index]
    drugs = {str(d).lower() for d in f.get("drugs") or ()}
    return [
        o
        for o in drafts
        if (o.drug_id and o.drug_id.lower() in drugs)
        or str(meds[o.index].get("drug", "")).lower() in drugs
    ]


def build_cards(
    catalog: Catalog,
    result: Mapping[str, Any],
    drafts: Sequence[FhirOrder],
    meds: Sequence[Mapping[str, Any]],
) -> list[tuple[dict[str, Any], list[FhirOrder], str]]:
    """(card, the draft orders it is about, its de-duplication key) for each finding that
    concerns a draft order. Findings about other medicines only are not cards here."""
    cards = []
    for f in result.get("findings") or ():
        about = _orders_of(f, drafts, meds)
        if not about:
            continue
        key = f"{f['code']}:{','.join(sorted(f.get('drugs') or ()))}"
        card: dict[str, Any] = {
            "uuid": str(uuid.uuid4()),
            "summary": _summary(f["message"]),
            "indicator": SEVERITY_TO_CDS[f["severity"]],
            "detail": _detail(catalog, f),
            "source": {
                "label": "medguide",
                "topic": {
                    "system": FINDING_SYSTEM,
                    "code": f["code"],
                    "display": f["code"].replace("_", " "),
                },
            },
            "overrideReasons": OVERRIDE_REASONS,
        }
        suggestions = [s for o in about[:1] if (s := _suggestion(f, o, meds[o.index])) is not None]
        if suggestions:
            card["suggestions"] = suggestions
            card["selectionBehavior"] = "at-most-one"
        links = _links(catalog, f.get("sources") or ())
        if links:
            card["links"] = links
        cards.append((card, about, key))
    return cards


def _not_checked_card(notes: Sequence[str]) -> dict[str, Any]:
    return {
        "uuid": str(uuid.uuid4()),
        "summary": "medguide could not check everything for this order",
        "indicator": "info",
        "detail": "Not checked:\n\n" + "\n".join(f"- {n}" for n in notes[:20]),
        "source": {
            "label": "medguide",
            "topic": {"system": FINDING_SYSTEM, "code": "not_checked", "display": "not checked"},
        },
    }


# --- the routes ----------------------------------------------------------------------------


def _audience(request: Request, service_id: str) -> str:
    base = request.app.state.settings.audience
    if base is None:
        base = str(request.base_url).rstrip("/")
    return f"{base.rstrip('/')}/cds-services/{service_id}"


def _verify(request: Request, service_id: str, fetch: bool) -> Client:
    verifier = request.app.state.verifier
    try:
        return verifier.verify(  # type: ignore[no-any-return]
            request.headers.get("authorization"), _audience(request, service_id), fetch=fetch
        )
    except AuthError as exc:
        raise _Unauthorized(str(exc)) from None


async def authenticate(request: Request, service_id: str) -> Client | None:
    """The calling client (None with authentication off), or _Unauthorized. A key set that
    must be fetched is fetched in a worker thread, off the event loop."""
    if request.app.state.settings.cds_open:
        return None
    try:
        return _verify(request, service_id, fetch=False)
    except NeedsFetch:
        return await run_in_threadpool(_verify, request, service_id, True)


class _Unauthorized(Exception):
    pass


router = APIRouter(tags=["cds-hooks"], responses=problem_responses(400, 401, 413, 422, 429))


@router.get("/cds-services", response_model=DiscoveryOut)
def discovery() -> dict[str, Any]:
    """The CDS Hooks discovery document."""
    return {
        "services": [
            {"id": sid, **meta, "prefetch": dict(PREFETCH)} for sid, meta in SERVICES.items()
        ]
    }


async def _call(request: Request, service_id: str, body: HookRequest) -> Any:
    try:
        client = await authenticate(request, service_id)
    except _Unauthorized as exc:
        return problem(401, str(exc), code="unauthorized", headers={"WWW-Authenticate": "Bearer"})
    expected = SERVICES[service_id]["hook"]
    if body.hook != expected:
        raise ServiceError(f"this service answers {expected}, not {body.hook}", field="hook")
    cat: Catalog = request.app.state.catalog
    state = request.app.state
    drafts = [
        r
        for r in iter_resources(body.context.draftOrders)
        if r.get("resourceType") in ("MedicationRequest",)
    ]
    if not drafts:
        raise ServiceError(
            "context.draftOrders holds no MedicationRequest", field="context.draftOrders"
        )
    if len(drafts) > 50:
        raise ServiceError("at most 50 draft orders are checked at once", field="context")
    resources, missing = _prefetched(body.prefetch)
    unreadable: list[str] = []
    if missing and body.fhirServer and (client is not None or state.settings.cds_open):
        fetched, unreadable = await _fetch(
            body.fhirServer,
            body.fhirAuthorization,
            body.context.patientId,
            missing,
            state.settings.fhir_timeout_s,
        )
        resources.extend(fetched)
    elif missing:
        unreadable = sorted(missing)
    resources, strangers = _this_patient(resources, body.context.patientId)
    from medguide.service.fhir import assess_fhir

    result, mapped = assess_fhir(cat, resources, datetime.now().astimezone(), drafts=drafts)
    extra = [
        NotChecked("fhir", f"{r} is about another patient than the hook's, so it was not used")
        for r in strangers[:10]
    ]
    extra += [
        NotChecked(
            "fhir",
            f"could not read {WHAT_PREFETCH_GIVES[k]} (no prefetch"
            + (", and the FHIR server did not answer in time)" if body.fhirServer else ")"),
        )
        for k in unreadable
    ]
    out = result.with_not_checked(*extra).as_dict() if extra else result.as_dict()
    meds = mapped.data.get("medications") or []
    draft_keys = {id(d) for d in drafts}
    draft_orders = [o for o in mapped.orders if id(o.resource) in draft_keys]
    if body.hook == "order-select" and body.context.selections:
        chosen = set(body.context.selections)
        draft_orders = [
            o for o in draft_orders if f"{o.resource_type}/{o.resource_id}" in chosen
        ] or draft_orders
    who = client.iss if client else "open"
    server = body.fhirServer or ""
    built = build_cards(cat, out, draft_orders, meds)
    if body.hook == "order-select":
        # While an order is being chosen its dose or frequency is often not filled in yet;
        # "cannot be read" waits for order-sign, when the order is meant to be complete.
        built = [b for b in built if b[0]["source"]["topic"]["code"] not in SIGN_ONLY]
    notes = [n["reason"] for n in out["not_checked"] if n["check"] == "fhir"]
    if notes and draft_orders:
        digest = hashlib.sha256("\n".join(notes).encode()).hexdigest()[:12]
        built.append((_not_checked_card(notes), draft_orders, f"not_checked:{digest}"))
    prints = {o.index: _fingerprint(o.resource) for o in draft_orders}
    cards: list[dict[str, Any]] = []
    for card, about, key in built:
        order_keys = [
            (who, server, body.context.patientId, o.resource_id or "", prints[o.index])
            for o in about
        ]
        if body.hook == "order-sign" and all(key in state.shown.shown(k) for k in order_keys):
            continue
        if body.hook == "order-select":
            for k in order_keys:
                state.shown.add(k, {key})
        state.issued.add(card["uuid"], service_id, card["source"]["topic"]["code"])
        cards.append(card)
    return FastJSON({"cards": cards, "systemActions": []})


def _service_route(service_id: str) -> Any:
    async def route(request: Request, body: HookRequest) -> Any:
        return await _call(request, service_id, body)

    route.__name__ = service_id.replace("-", "_")
    route.__doc__ = str(SERVICES[service_id]["description"])
    return route


def _feedback_route(service_id: str) -> Any:
    async def route(request: Request, body: FeedbackRequest) -> Any:
        try:
            client = await authenticate(request, service_id)
        except _Unauthorized as exc:
            return problem(
                401, str(exc), code="unauthorized", headers={"WWW-Authenticate": "Bearer"}
            )
        state = request.app.state
        for item in body.feedback:
            issued = state.issued.get(item.card)
            state.feedback.add(
                service_id, item, issued[1] if issued else None, client.iss if client else None
            )
        return {}

    route.__name__ = service_id.replace("-", "_") + "_feedback"
    route.__doc__ = "Record whether cards were accepted or overridden, and why."
    return route


for _sid in SERVICES:
    router.add_api_route(
        f"/cds-services/{_sid}",
        _service_route(_sid),
        methods=["POST"],
        response_model=CardsOut,
        dependencies=[Depends(rate_limited), strict_body(HookRequest)],
    )
    router.add_api_route(
        f"/cds-services/{_sid}/feedback",
        _feedback_route(_sid),
        methods=["POST"],
        response_model=dict[str, Any],
        dependencies=[strict_body(FeedbackRequest)],
    )
