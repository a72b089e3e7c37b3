"""The HTTP API's REST routes: each answers with the service's result, every error is an RFC
9457 problem document naming the field, and limits hold (body size, list length, rate)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medguide.api import Settings, create_app
from medguide.api.limits import TokenBucket
from medguide.knowledge.loader import load_catalog

FIXTURES = Path(__file__).parent / "fixtures" / "fhir"
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def catalog() -> Any:
    return load_catalog()


@pytest.fixture(scope="module")
def client(catalog: Any) -> Iterator[TestClient]:
    app = create_app(catalog, Settings(rate_per_minute=1e6, rate_burst=1e6))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def is_problem(r: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = r.json()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"] and body["detail"] and body["code"]
    assert "Traceback" not in r.text
    if field is not None:
        assert body["field"] == field
    return body


def test_about(client: TestClient, catalog: Any) -> None:
    body = client.get("/api/v1").json()
    assert body["api"] == "1" and body["knowledge_version"] == catalog.version


def test_drugs_and_guide(client: TestClient) -> None:
    drugs = client.get("/api/v1/drugs").json()
    assert "baclofen" in [d["id"] for d in drugs]
    guide = client.get("/api/v1/drugs/Lioresal").json()
    assert guide["drug"] == "baclofen" and len(guide["sections"]) > 10
    section = client.get("/api/v1/drugs/baclofen/sections/side_effects").json()
    assert [s["id"] for s in section["sections"]] == ["side_effects"]
    is_problem(client.get("/api/v1/drugs/notadrug"), 404, "drug")
    is_problem(client.get("/api/v1/drugs/baclofen/sections/nope"), 404, "section")


def test_assess(client: TestClient) -> None:
    body = {
        "patient": {"egfr": 35},
        "medications": [{"drug": "baclofen", "dose": 20, "unit": "mg", "frequency": "QID"}],
    }
    r = client.post("/api/v1/assess", json=body)
    assert r.status_code == 200
    out = r.json()
    renal = next(f for f in out["findings"] if f["code"] == "renal_dose_adjustment")
    assert renal["details"]["suggested_daily"] == {"amount": 40.0, "unit": "mg"}
    assert out["not_checked"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"patient": {"age_years": 300}, "medications": [{"text": "baclofen"}]},
            "patient.age_years",
        ),
        ({"medications": [{"text": "baclofen", "colour": "red"}]}, "medications.0.colour"),
        ({"medications": [{"drug": "baclofen", "dose": -5}]}, "medications.0.dose"),
        ({"medications": [{"drug": "baclofen", "unit": "furlong"}]}, "medications.0.unit"),
        ({"patient": {}}, None),
        ({"medications": [{"text": "baclofen 5 mg tid"}] * 101}, "medications"),
    ],
)
def test_assess_bad_input_names_the_field(
    client: TestClient, body: dict[str, Any], field: str | None
) -> None:
    problem = is_problem(client.post("/api/v1/assess", json=body), 422)
    if field is not None:
        assert problem["field"] == field
    assert problem["errors"]


def test_long_lists_and_deep_nesting_are_refused(client: TestClient) -> None:
    body = {"medications": [{"text": "baclofen 5 mg tid"}], "symptoms": ["sleepy"] * 501}
    problem = is_problem(client.post("/api/v1/assess", json=body), 422, "symptoms")
    assert "at most 500 items" in problem["detail"]
    deep: Any = "x"
    for _ in range(40):
        deep = [deep]
    bundle = {"resourceType": "Bundle", "entry": deep}
    is_problem(client.post("/api/v1/assess/fhir", json=bundle), 422)


def test_body_that_is_not_json(client: TestClient) -> None:
    r = client.post(
        "/api/v1/assess", content=b"{not json", headers={"content-type": "application/json"}
    )
    is_problem(r, 422)
    r = client.post("/api/v1/assess", content=b"[1, 2]", headers={"content-type": "text/plain"})
    assert r.status_code in (415, 422)
    assert r.headers["content-type"].startswith(PROBLEM)


def test_body_over_the_limit_is_refused_before_parsing(catalog: Any) -> None:
    app = create_app(catalog, Settings(max_body_bytes=1000))
    with TestClient(app) as c:
        big = json.dumps({"medications": [{"text": "baclofen 5 mg"}] * 50})
        is_problem(
            c.post("/api/v1/assess", content=big, headers={"content-type": "application/json"}),
            413,
        )

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams in
            for _ in range(10):
                yield b" " * 200

        r = c.post("/api/v1/assess", content=chunks(), headers={"content-type": "application/json"})
        is_problem(r, 413)
        ok = c.post("/api/v1/assess", json={"medications": [{"text": "baclofen 5 mg tid"}]})
        assert ok.status_code == 200


def test_rate_limit_gives_429_with_retry_after(catalog: Any) -> None:
    app = create_app(catalog, Settings(rate_per_minute=60, rate_burst=3))
    with TestClient(app) as c:
        body = {"medications": [{"text": "baclofen 5 mg tid"}]}
        codes = [c.post("/api/v1/assess", json=body).status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200]
        r = c.post("/api/v1/assess", json=body)
        problem = is_problem(r, 429)
        assert int(r.headers["retry-after"]) >= 1
        assert "try again" in problem["detail"]
        # knowledge routes are not rate limited
        assert c.get("/api/v1/drugs").status_code == 200


def test_token_bucket_is_bounded_and_refills() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=1.0, burst=2, max_clients=3, clock=lambda: now[0])
    assert [bucket.take("a") for _ in range(3)] == [0.0, 0.0, 1.0]
    now[0] = 1.0
    assert bucket.take("a") == 0.0
    for key in "bcdef":
        bucket.take(key)
    assert len(bucket) == 3


def test_interactions(client: TestClient) -> None:
    r = client.post("/api/v1/interactions", json={"names": ["baclofen", "oxycodone", "zzzq"]})
    out = r.json()
    assert r.status_code == 200
    assert out["findings"][0]["code"] == "interaction"
    assert out["unknown"][0]["code"] == "unknown_drug"
    is_problem(client.post("/api/v1/interactions", json={"names": ["baclofen"]}), 422, "names")
    is_problem(client.post("/api/v1/interactions", json={"names": ["baclofen"] * 51}), 422, "names")
    is_problem(client.post("/api/v1/interactions", json={"names": ["qqq", "zzz"]}), 404, "names")


def test_plans_json_ics_fhir(client: TestClient) -> None:
    taper = {
        "drug": "baclofen",
        "dose": 20,
        "unit": "mg",
        "frequency": "QID",
        "start": "2026-03-02",
    }
    j = client.post("/api/v1/plans/taper", json=taper)
    assert j.status_code == 200 and j.json()["plan"]["kind"] == "taper"
    ics = client.post(
        "/api/v1/plans/taper",
        params={
            "format": "ics",
            "timezone": "America/New_York",
            "times": "08:00,12:00,16:00,20:00",
        },
        json=taper,
    )
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    assert ics.text.startswith("BEGIN:VCALENDAR")
    is_problem(client.post("/api/v1/plans/taper", params={"format": "ics"}, json=taper), 422)
    is_problem(
        client.post(
            "/api/v1/plans/taper", params={"format": "ics", "timezone": "Mars/Base"}, json=taper
        ),
        422,
        "timezone",
    )
    fhir = client.post(
        "/api/v1/plans/titrate",
        params={"format": "fhir"},
        json={"drug": "baclofen", "start": "2026-03-02"},
    ).json()
    assert fhir["resourceType"] == "MedicationRequest"
    assert [d["sequence"] for d in fhir["dosageInstruction"]][:2] == [1, 2]
    is_problem(client.post("/api/v1/plans/taper", json={**taper, "dose": None}), 422, "dose")


def test_what_to_do_now(client: TestClient) -> None:
    t = client.post("/api/v1/triage", json={"symptoms": ["can't wake him"], "drug": "baclofen"})
    assert t.json()["triage"]["level"] == "emergency"
    m = client.post(
        "/api/v1/missed-dose",
        json={
            "drug": "baclofen",
            "missed": "07:00",
            "next_due": "15:00",
            "now": "2026-11-26T08:15:00-05:00",
        },
    )
    assert m.status_code == 200 and "do_not_double" in m.json()["advice"]
    is_problem(
        client.post(
            "/api/v1/missed-dose",
            json={"drug": "baclofen", "missed": "07:00", "now": "2026-11-26T08:15:00"},
        ),
        422,
        "now",
    )
    o = client.post(
        "/api/v1/overdose",
        json={"drug": "baclofen", "tablets": 1, "strength_mg": 10, "age_years": 3},
    )
    assert o.status_code == 200 and o.json()["triage"]["level"] in ("urgent", "emergency")
    is_problem(client.post("/api/v1/overdose", json={"drug": "baclofen", "mg": 5, "ml": 5}), 422)


def test_questions(client: TestClient) -> None:
    a = client.post("/api/v1/questions", json={"question": "can i drink beer with lioresal"})
    assert a.status_code == 200 and a.json()["status"] == "answered"
    is_problem(client.post("/api/v1/questions", json={"question": "x" * 1001}), 422, "question")


def test_assess_fhir_bundle(client: TestClient) -> None:
    bundle = json.loads((FIXTURES / "baclofen_bundle.json").read_text())
    out = client.post("/api/v1/assess/fhir", json=bundle).json()
    issues = out["detected_issues"]
    renal = next(i for i in issues if i["code"]["coding"][0]["code"] == "renal_dose_adjustment")
    assert {"reference": "MedicationRequest/mr-baclofen"} in renal["implicated"]
    assert renal["patient"] == {"reference": "Patient/pat-baclofen"}
    is_problem(client.post("/api/v1/assess/fhir", json={"resourceType": "Patient"}), 422, "entry")


def test_pk_with_reduced_kidneys_and_its_pictures(client: TestClient) -> None:
    body = {"dose": 20, "frequency": "QID", "patient": {"egfr": 35, "age_years": 60}}
    out = client.post("/api/v1/pk", json=body).json()
    normal = client.post("/api/v1/pk", json={**body, "patient": {"age_years": 60}}).json()
    assert out["schedule"]["doses_per_day"] == 4
    # baclofen is cleared by the kidneys: at eGFR 35 the level builds up more than normal
    assert out["pk"]["half_life_h"] > normal["pk"]["half_life_h"]
    assert out["pk"]["fold_vs_normal_kidneys"] > 1 and out["pk"]["sources"]
    for fmt, media, start in (("svg", "image/svg+xml", b"<?xml"), ("png", "image/png", b"\x89PNG")):
        r = client.post("/api/v1/pk", params={"format": fmt}, json=body)
        assert r.headers["content-type"].startswith(media) and r.content.startswith(start)
    is_problem(client.post("/api/v1/pk", json={**body, "subjects": 200_000}), 422, "subjects")
    is_problem(client.post("/api/v1/pk", json={**body, "patient": {"age_years": 9}}), 422)
    is_problem(client.post("/api/v1/pk", json={**body, "dose": "20"}), 422, "dose")


def test_unknown_route_and_method(client: TestClient) -> None:
    is_problem(client.get("/api/v1/nothing-here"), 404)
    is_problem(client.get("/api/v1/assess"), 405)


_ROUTES = [
    "/api/v1/assess",
    "/api/v1/assess/fhir",
    "/api/v1/interactions",
    "/api/v1/plans/titrate",
    "/api/v1/plans/taper",
    "/api/v1/triage",
    "/api/v1/missed-dose",
    "/api/v1/overdose",
    "/api/v1/questions",
    "/api/v1/pk",
    "/cds-services/medguide-order-sign",
]
_KEYS = st.sampled_from(
    [
        "medications",
        "patient",
        "text",
        "drug",
        "dose",
        "unit",
        "frequency",
        "names",
        "start",
        "target",
        "symptoms",
        "missed",
        "now",
        "question",
        "age_years",
        "egfr",
        "resourceType",
        "entry",
        "resource",
        "context",
        "hook",
        "hookInstance",
    ]
)
_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_KEYS, children, max_size=5),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(route=st.sampled_from(_ROUTES), body=_values)
def test_fuzzed_bodies_never_give_a_server_error(route: str, body: Any) -> None:
    c = _fuzz_client()
    try:
        content = json.dumps(body, allow_nan=True).encode()
    except (TypeError, ValueError):
        return
    r = c.post(route, content=content, headers={"content-type": "application/json"})
    assert r.status_code < 500, (route, body, r.text)
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith(PROBLEM), r.text


_FUZZ: dict[str, TestClient] = {}


def _fuzz_client() -> TestClient:
    if "c" not in _FUZZ:
        app = create_app(
            load_catalog(), Settings(rate_per_minute=1e6, rate_burst=1e6, cds_open=True)
        )
        _FUZZ["c"] = TestClient(app, raise_server_exceptions=False)
    return _FUZZ["c"]


_fhir_keys = st.sampled_from(
    [
        "resourceType",
        "id",
        "status",
        "entry",
        "resource",
        "dosageInstruction",
        "dosage",
        "doseAndRate",
        "doseQuantity",
        "value",
        "code",
        "unit",
        "timing",
        "repeat",
        "frequency",
        "period",
        "periodUnit",
        "coding",
        "system",
        "birthDate",
        "gender",
        "valueQuantity",
        "medicationCodeableConcept",
        "medicationReference",
        "reference",
        "contained",
        "route",
        "text",
        "display",
        "effectiveDateTime",
        "clinicalStatus",
    ]
)
_fhir_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 10**7)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(
        [
            "MedicationRequest",
            "Observation",
            "Patient",
            "Bundle",
            "draft",
            "active",
            "final",
            "mg",
            "ug",
            "d",
            "h",
            "1292",
            "98979-8",
            "2160-0",
            "http://loinc.org",
            "http://www.nlm.nih.gov/research/umls/rxnorm",
        ]
    )
    | st.text(max_size=15),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(_fhir_keys, children, max_size=6)
    ),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=_fhir_values, kind=st.sampled_from(["Bundle", "MedicationRequest", "Observation"]))
def test_fuzzed_fhir_never_gives_a_server_error(doc: Any, kind: str) -> None:
    c = _fuzz_client()
    resource = {**doc, "resourceType": kind} if isinstance(doc, dict) else doc
    r = c.post(
        "/api/v1/assess/fhir", json={"resourceType": "Bundle", "entry": [{"resource": resource}]}
    )
    assert r.status_code < 500, r.text
    hook = {
        "hook": "order-sign",
        "hookInstance": "fuzz",
        "context": {
            "patientId": "p1",
            "draftOrders": {"resourceType": "Bundle", "entry": [{"resource": resource}]},
        },
        "prefetch": {"patient": doc, "egfr": resource, "creatinine": None, "medications": doc},
    }
    r = c.post("/cds-services/medguide-order-sign", json=hook)
    assert r.status_code < 500, r.text


def test_a_bug_is_a_problem_document_without_a_stack_trace(
    catalog: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import medguide.service

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(medguide.service, "assess", broken)
    app = create_app(catalog, Settings())
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post("/api/v1/assess", json={"medications": [{"text": "baclofen 5 mg tid"}]})
    problem = is_problem(r, 500)
    assert problem["code"] == "internal_error"
    assert "secret" not in r.text and "RuntimeError" not in r.text
