"""CDS Hooks 2.0: discovery, cards for order-select and order-sign (no card twice for the
same draft), feedback, reading from the FHIR server without prefetch, and every token attack
we know against the JWT check, with a real JWKS server on 127.0.0.1."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from medguide.api import Settings, create_app
from medguide.knowledge.loader import load_catalog

FIXTURES = Path(__file__).parent / "fixtures" / "fhir"
AUD_BASE = "https://medguide.test"
SIGN = "/cds-services/medguide-order-sign"
SELECT = "/cds-services/medguide-order-select"
ISS = "https://ehr.test"


def hook_request() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "cds_order_sign_baclofen.json").read_text())
    return data


def as_select(req: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(req)
    out["hook"] = "order-select"
    out["hookInstance"] = str(uuid.uuid4())
    out["context"]["selections"] = ["MedicationRequest/draft-baclofen"]
    return out


# --- local servers ------------------------------------------------------------------------


class Local:
    """A small HTTP server on 127.0.0.1 answering from a dict of path → handler."""

    def __init__(self, routes: dict[str, Callable[[BaseHTTPRequestHandler], None]]) -> None:
        self.routes = routes
        self.hits: list[tuple[str, str | None]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits.append((self.path, self.headers.get("Authorization")))
                path = self.path.split("?")[0]
                route = outer.routes.get(path)
                if route is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                route(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def send_json(doc: Any, status: int = 200) -> Callable[[BaseHTTPRequestHandler], None]:
    def handler(h: BaseHTTPRequestHandler) -> None:
        body = json.dumps(doc).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return handler


def redirect(to: str) -> Callable[[BaseHTTPRequestHandler], None]:
    def handler(h: BaseHTTPRequestHandler) -> None:
        h.send_response(302)
        h.send_header("Location", to)
        h.send_header("Content-Length", "0")
        h.end_headers()

    return handler


# --- keys and tokens ----------------------------------------------------------------------

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP384R1())
ATTACKER = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk(key: Any, kid: str, alg: str) -> dict[str, Any]:
    algo = RSAAlgorithm if alg.startswith(("RS", "PS")) else ECAlgorithm
    out: dict[str, Any] = json.loads(algo.to_jwk(key.public_key()))
    out.update({"kid": kid, "alg": alg, "use": "sig"})
    return out


@pytest.fixture(scope="module")
def jwks() -> Iterator[Local]:
    good = {"keys": [jwk(RSA_KEY, "rsa-1", "RS384"), jwk(EC_KEY, "ec-1", "ES384")]}
    evil = {"keys": [jwk(ATTACKER, "rsa-1", "RS384")]}
    server = Local({"/jwks.json": send_json(good), "/evil.json": send_json(evil)})
    server.routes["/moved.json"] = redirect(server.url + "/jwks.json")
    yield server
    server.close()


@pytest.fixture(scope="module")
def catalog() -> Any:
    return load_catalog()


def secured_app(catalog: Any, jwks: Local) -> TestClient:
    settings = Settings(
        issuers={
            ISS: frozenset({jwks.url + "/jwks.json", jwks.url + "/moved.json"}),
            "https://single.test": frozenset({jwks.url + "/jwks.json"}),
        },
        audience=AUD_BASE,
        rate_per_minute=1e6,
        rate_burst=1e6,
    )
    return TestClient(create_app(catalog, settings), raise_server_exceptions=False)


def token(
    jwks: Local,
    *,
    key: Any = RSA_KEY,
    alg: str = "RS384",
    kid: str | None = "rsa-1",
    jku: str | None = "/jwks.json",
    iss: str = ISS,
    aud: str = AUD_BASE + SIGN,
    iat: float | None = None,
    exp: float | None = None,
    jti: str | None = None,
) -> str:
    now = time.time()
    claims = {
        "iss": iss,
        "sub": "client-1",
        "aud": aud,
        "iat": int(now if iat is None else iat),
        "exp": int(now + 240 if exp is None else exp),
        "jti": jti or str(uuid.uuid4()),
    }
    headers: dict[str, Any] = {"typ": "JWT"}
    if kid is not None:
        headers["kid"] = kid
    if jku is not None:
        headers["jku"] = jku if jku.startswith("http") else jwks.url + jku
    return jwt.encode(claims, key, algorithm=alg, headers=headers)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged(header: dict[str, Any], claims: dict[str, Any], secret: bytes | None) -> str:
    head = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
    if secret is None:
        return head + "."
    sig = hmac.new(secret, head.encode(), hashlib.sha256).digest()
    return head + "." + b64(sig)


def call(client: TestClient, tok: str | None, path: str = SIGN) -> Any:
    headers = {"Authorization": f"Bearer {tok}"} if tok else {}
    return client.post(path, json=hook_request(), headers=headers)


# --- discovery and cards ------------------------------------------------------------------


@pytest.fixture()
def open_client(catalog: Any) -> TestClient:
    settings = Settings(cds_open=True, rate_per_minute=1e6, rate_burst=1e6)
    return TestClient(create_app(catalog, settings), raise_server_exceptions=False)


def test_discovery(open_client: TestClient) -> None:
    services = open_client.get("/cds-services").json()["services"]
    hooks = {s["hook"] for s in services}
    assert hooks == {"order-select", "order-sign"}
    prefetch = services[0]["prefetch"]
    assert prefetch["patient"] == "Patient/{{context.patientId}}"
    assert "98979-8" in prefetch["egfr"] and "2160-0" in prefetch["creatinine"]


def test_order_sign_baclofen_egfr_35_suggests_a_lower_dose(open_client: TestClient) -> None:
    r = open_client.post(SIGN, json=hook_request())
    assert r.status_code == 200, r.text
    cards = r.json()["cards"]
    renal = next(c for c in cards if c["source"]["topic"]["code"] == "renal_dose_adjustment")
    assert len(renal["summary"]) <= 140
    assert renal["indicator"] in ("warning", "critical")  # high severity → critical (one table)
    assert renal["source"]["label"] == "medguide"
    assert "**What to do**" in renal["detail"]
    assert renal["links"] and all(link["type"] == "absolute" for link in renal["links"])
    (suggestion,) = renal["suggestions"]
    assert renal["selectionBehavior"] == "at-most-one"
    (action,) = suggestion["actions"]
    assert action["type"] == "update"
    resource = action["resource"]
    assert resource["resourceType"] == "MedicationRequest" and resource["id"] == "draft-baclofen"
    dose = resource["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]
    # main's knowledge: at most 20 mg a day here (half of the 40 mg allowed at this age), in four
    assert (dose["value"], dose["code"]) == (5.0, "mg")
    assert resource["dosageInstruction"][0]["timing"]["repeat"]["frequency"] == 4
    for card in cards:
        assert len(card["summary"]) <= 140
        assert card["indicator"] in ("info", "warning", "critical")


def test_order_select_then_sign_shows_no_card_twice(open_client: TestClient) -> None:
    selected = open_client.post(SELECT, json=as_select(hook_request())).json()["cards"]
    codes = {c["source"]["topic"]["code"] for c in selected}
    assert "renal_dose_adjustment" in codes
    signed = open_client.post(SIGN, json=hook_request()).json()["cards"]
    assert not codes & {c["source"]["topic"]["code"] for c in signed}
    # a changed draft (the suggestion accepted) is judged afresh at signing
    changed = hook_request()
    draft = changed["context"]["draftOrders"]["entry"][0]["resource"]
    draft["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] = 10
    again = open_client.post(SIGN, json=changed).json()["cards"]
    assert "beers_kidney_avoid" in {c["source"]["topic"]["code"] for c in again}
    # and a second order-sign of the same draft is not filtered: only order-select's are
    twice = open_client.post(SIGN, json=hook_request()).json()["cards"]
    assert {c["source"]["topic"]["code"] for c in twice} == {
        c["source"]["topic"]["code"] for c in signed
    }


def test_an_unfinished_order_is_flagged_at_sign_not_at_select(open_client: TestClient) -> None:
    req = hook_request()
    draft = req["context"]["draftOrders"]["entry"][0]["resource"]
    del draft["dosageInstruction"]
    select = open_client.post(SELECT, json=as_select(req)).json()["cards"]
    assert "ambiguous_order" not in {c["source"]["topic"]["code"] for c in select}
    sign = open_client.post(SIGN, json=req).json()["cards"]
    assert "ambiguous_order" in {c["source"]["topic"]["code"] for c in sign}


def test_prefetch_about_another_patient_is_not_used(open_client: TestClient) -> None:
    req = hook_request()
    egfr = req["prefetch"]["egfr"]["entry"][0]["resource"]
    egfr["subject"] = {"reference": "Patient/someone-else"}
    cards = open_client.post(SIGN, json=req).json()["cards"]
    codes = {c["source"]["topic"]["code"] for c in cards}
    assert "renal_dose_adjustment" not in codes
    note = next(c for c in cards if c["source"]["topic"]["code"] == "not_checked")
    assert "Observation/egfr-1 is about another patient" in note["detail"]


def test_wrong_hook_and_bad_context(open_client: TestClient) -> None:
    req = hook_request()
    req["hook"] = "order-select"
    r = open_client.post(SIGN, json=req)
    assert r.status_code == 422 and r.json()["field"] == "hook"
    req = hook_request()
    req["context"]["draftOrders"] = {"resourceType": "Bundle", "entry": []}
    r = open_client.post(SIGN, json=req)
    assert r.status_code == 422 and r.json()["field"] == "context.draftOrders"
    req = hook_request()
    req["context"]["patientId"] = "../../etc/passwd"
    r = open_client.post(SIGN, json=req)
    assert r.status_code == 422 and r.json()["field"] == "context.patientId"


def test_feedback_is_recorded(open_client: TestClient) -> None:
    cards = open_client.post(SIGN, json=hook_request()).json()["cards"]
    renal = next(c for c in cards if c["source"]["topic"]["code"] == "renal_dose_adjustment")
    other = next(c for c in cards if c is not renal)
    feedback = {
        "feedback": [
            {
                "card": renal["uuid"],
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": renal["suggestions"][0]["uuid"]}],
                "outcomeTimestamp": "2026-11-26T14:12:00-05:00",
            },
            {
                "card": other["uuid"],
                "outcome": "overridden",
                "overrideReason": {
                    "reason": other["overrideReasons"][1],
                    "userComment": "discussed with the patient",
                },
                "outcomeTimestamp": "2026-11-26T14:12:30-05:00",
            },
        ]
    }
    r = open_client.post(SIGN + "/feedback", json=feedback)
    assert r.status_code == 200
    rows = open_client.app.state.feedback.rows()  # type: ignore[attr-defined]
    assert [row["outcome"] for row in rows] == ["accepted", "overridden"]
    assert rows[0]["finding"] == "renal_dose_adjustment"
    assert rows[0]["outcome_at"] == "2026-11-26T19:12:00+00:00"  # stored in UTC
    assert rows[1]["reason_code"] == "benefit-outweighs-risk"
    assert rows[1]["comment"] == "discussed with the patient"
    bad = open_client.post(SIGN + "/feedback", json={"feedback": [{"card": "x"}]})
    assert bad.status_code == 422


# --- reading from the FHIR server ---------------------------------------------------------


@pytest.fixture(scope="module")
def fhir_server() -> Iterator[Local]:
    req = hook_request()
    patient = req["prefetch"]["patient"]
    egfr = req["prefetch"]["egfr"]

    def slow(h: BaseHTTPRequestHandler) -> None:
        time.sleep(1.0)
        send_json({"resourceType": "Bundle", "entry": []})(h)

    server = Local(
        {
            "/fhir/Patient/pat-baclofen": send_json(patient),
            "/fhir/Observation": send_json(egfr),
            "/fhir/MedicationRequest": slow,
        }
    )
    yield server
    server.close()


def test_without_prefetch_reads_the_fhir_server(
    open_client: TestClient, fhir_server: Local
) -> None:
    req = hook_request()
    del req["prefetch"]
    req["fhirServer"] = fhir_server.url + "/fhir"
    req["fhirAuthorization"] = {
        "access_token": "abc123",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "medguide",
    }
    started = time.monotonic()
    cards = open_client.post(SIGN, json=req).json()["cards"]
    assert time.monotonic() - started < 0.9  # the slow medication search was not waited for
    codes = {c["source"]["topic"]["code"] for c in cards}
    assert "renal_dose_adjustment" in codes  # the eGFR came from the server
    note = next(c for c in cards if c["source"]["topic"]["code"] == "not_checked")
    assert "active medications" in note["detail"]
    assert all(auth == "Bearer abc123" for _, auth in fhir_server.hits)


def test_without_prefetch_or_server_says_what_was_not_checked(open_client: TestClient) -> None:
    req = hook_request()
    del req["prefetch"]
    del req["fhirServer"]
    cards = open_client.post(SIGN, json=req).json()["cards"]
    note = next(c for c in cards if c["source"]["topic"]["code"] == "not_checked")
    assert "eGFR" in note["detail"] and "age and sex" in note["detail"]


# --- authentication -----------------------------------------------------------------------


def test_a_valid_token_is_accepted_once(catalog: Any, jwks: Local) -> None:
    client = secured_app(catalog, jwks)
    tok = token(jwks)
    assert call(client, tok).status_code == 200
    replay = call(client, tok)
    assert replay.status_code == 401 and "replayed" in replay.json()["detail"]
    ec_token = token(jwks, key=EC_KEY, alg="ES384", kid="ec-1")
    assert call(client, ec_token).status_code == 200
    no_jku = token(jwks, iss="https://single.test", jku=None)
    assert call(client, no_jku).status_code == 200


def _refused(client: TestClient, tok: str | None, why: str) -> None:
    r = call(client, tok)
    assert r.status_code == 401, (why, r.text)
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["www-authenticate"] == "Bearer"
    assert why in r.json()["detail"], r.json()


def test_token_attacks_are_refused(catalog: Any, jwks: Local) -> None:
    client = secured_app(catalog, jwks)
    now = int(time.time())
    claims = {
        "iss": ISS,
        "aud": AUD_BASE + SIGN,
        "iat": now,
        "exp": now + 200,
        "jti": str(uuid.uuid4()),
    }
    public_pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    jku = jwks.url + "/jwks.json"
    _refused(client, None, "Bearer token is required")
    _refused(client, "not-a-jwt", "well-formed")
    _refused(client, forged({"alg": "none", "typ": "JWT"}, claims, None), "'none'")
    _refused(client, forged({"alg": "None", "jku": jku}, claims, None), "is not accepted")
    hs = forged({"alg": "HS256", "kid": "rsa-1", "jku": jku}, claims, public_pem)
    _refused(client, hs, "'HS256' is not accepted")
    _refused(client, token(jwks, jku="/evil.json", key=ATTACKER), "jku is not on the allowlist")
    _refused(client, token(jwks, jku="http://localhost:1/jwks.json"), "jku is not on the allowlist")
    _refused(client, token(jwks, jku="/moved.json"), "no redirects")
    _refused(client, token(jwks, key=ATTACKER), "Signature")
    _refused(client, token(jwks, iss="https://evil.test"), "issuer is not on the allowlist")
    _refused(client, token(jwks, iat=now - 400, exp=now - 120), "expired")
    _refused(client, token(jwks, iat=now + 120, exp=now + 300), "not valid yet")
    _refused(client, token(jwks, aud=AUD_BASE + SELECT), "another audience")
    _refused(client, token(jwks, aud=AUD_BASE), "another audience")
    _refused(client, token(jwks, exp=now + 3600), "longer than five minutes")
    _refused(client, token(jwks, kid="rsa-404"), "no key 'rsa-404'")
    _refused(client, token(jwks, jku=None), "several key sets")
    # within the allowed skew an almost-expired token still passes
    assert call(client, token(jwks, iat=now - 250, exp=now - 30)).status_code == 200


def test_key_sets_are_cached(catalog: Any, jwks: Local) -> None:
    client = secured_app(catalog, jwks)
    before = len([p for p, _ in jwks.hits if p == "/jwks.json"])
    for _ in range(3):
        assert call(client, token(jwks)).status_code == 200
    after = len([p for p, _ in jwks.hits if p == "/jwks.json"])
    assert after - before == 1


def test_feedback_needs_a_token_too(catalog: Any, jwks: Local) -> None:
    client = secured_app(catalog, jwks)
    body = {
        "feedback": [
            {"card": "c", "outcome": "accepted", "outcomeTimestamp": "2026-11-26T14:00:00Z"}
        ]
    }
    assert client.post(SIGN + "/feedback", json=body).status_code == 401
    tok = token(jwks, aud=AUD_BASE + SIGN)
    ok = client.post(SIGN + "/feedback", json=body, headers={"Authorization": f"Bearer {tok}"})
    assert ok.status_code == 200


def test_feedback_in_a_sqlite_file_outlives_the_process(tmp_path: Path) -> None:
    from medguide.api.cds import FeedbackItem, FeedbackStore

    path = str(tmp_path / "feedback.sqlite")
    item = FeedbackItem.model_validate(
        {"card": "c1", "outcome": "accepted", "outcomeTimestamp": "2026-11-26T14:00:00+01:00"}
    )
    first = FeedbackStore(path)
    first.add("medguide-order-sign", item, "renal_dose_adjustment", "iss")
    first.close()
    second = FeedbackStore(path)
    rows = second.rows()
    second.close()
    assert rows[0]["card"] == "c1" and rows[0]["outcome_at"] == "2026-11-26T13:00:00+00:00"
