"""The journal over HTTP: a token opens its person's journal (and a caregiver's patients'),
nothing else, route by route; tokens are kept hashed; every access is in the audit log.

Each route is tried by everyone who must be refused (another patient, a caregiver of someone
else, no token, a made-up token, a revoked one, an expired one): each gets 401 or 404, the
journal's data is unchanged, and the refusal is audited. The owner's own call on the same
route then succeeds, so a refusal is never the route failing for everyone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from medguide.api import Settings, create_app
from medguide.api import journal as api_journal
from medguide.journal import access
from medguide.journal import schema as t
from medguide.journal.store import Journal
from medguide.knowledge.catalog import Catalog

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
START = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
BASE = "/api/v1/journal"

# endpoint name → (method, path under /{person}, JSON body). Every route that takes a person
# must be here (test_every_person_route_is_tried fails otherwise).
CASES: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "journal": ("GET", "", None),
    "status": ("GET", "/status", None),
    "history": ("GET", "/history?days=3", None),
    "export": ("GET", "/export?format=fhir", None),
    "audit": ("GET", "/audit", None),
    "add_medication": ("POST", "/medications", {"id": "m-new", "order": "tizanidine 2 mg tid"}),
    "stop_medication": ("POST", "/medications/baclofen/stop", {}),
    "record_dose": (
        "POST",
        "/doses",
        {"id": "d-1", "medication": "baclofen", "at": "2026-12-02T08:05:00Z"},
    ),
    "record_symptom": ("POST", "/symptoms", {"id": "s-1", "text": "a bit sleepy"}),
    "record_stock": (
        "POST",
        "/stock",
        {"id": "k-1", "medication": "baclofen", "kind": "count", "quantity": 80},
    ),
    "add_note": ("POST", "/notes", {"id": "n-1", "text": "felt fine"}),
}
DATA_TABLES = (
    t.persons,
    t.caregiver_links,
    t.medications,
    t.schedules,
    t.dose_events,
    t.symptom_entries,
    t.stock_events,
    t.notes,
)


@dataclass
class World:
    client: TestClient
    journal: Journal
    tokens: dict[str, str]

    def call(self, name: str, person: str, token: str | None) -> Any:
        method, suffix, body = CASES[name]
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return self.client.request(method, f"{BASE}/{person}{suffix}", json=body, headers=headers)

    def data(self) -> list[Any]:
        """Everything people recorded (not tokens, not the audit log)."""
        with self.journal.reading() as conn:
            return [
                sorted(map(tuple, conn.execute(select(table)).all()), key=repr)
                for table in DATA_TABLES
            ]


@pytest.fixture
def world(journal_url: str, real: Catalog) -> Iterator[World]:
    j = Journal.open(journal_url, real)
    for pid, role in (("ann", "patient"), ("ben", "patient"), ("cara", "caregiver")):
        j.add_person(pid, pid.title(), "UTC", role=role, now=START)  # type: ignore[arg-type]
    j.link_caregiver("cara", "ann", now=START)
    for pid in ("ann", "ben"):
        j.add_medication(pid, med_id=f"m-{pid}", text="baclofen 10 mg tid", start=START, now=START)
    tokens = {p: access.issue(j, p, label="test", days=30, now=START).token for p in j_ids(j)}
    revoked = access.issue(j, "ann", label="old", days=30, now=START)
    access.revoke(j, revoked.id, now=START)
    tokens["revoked"] = revoked.token
    tokens["expired"] = access.issue(
        j, "ann", label="short", days=1, now=START - timedelta(2)
    ).token
    tokens["made-up"] = tokens["ann"][:-4] + "AAAA"
    app = create_app(real, Settings(rate_per_minute=1e9, rate_burst=1e9))
    app.state.journal = j
    app.state.clock = lambda: NOW
    with TestClient(app) as client:
        yield World(client, j, tokens)
    j.close()


def j_ids(j: Journal) -> list[str]:
    return [p.id for p in j.persons()]


def test_every_person_route_is_tried() -> None:
    routes = {
        r.name
        for r in api_journal.router.routes
        if isinstance(r, APIRoute) and "{person}" in r.path
    }
    assert routes == set(CASES)


# (token, journal) pairs that must open nothing, with the status each must get
REFUSED = (
    ("ben", "ann", 404),  # another patient
    ("cara", "ben", 404),  # a caregiver, but not of this patient
    ("ann", "nobody", 404),  # a journal that does not exist: the same answer
    (None, "ann", 401),
    ("made-up", "ann", 401),
    ("revoked", "ann", 401),
    ("expired", "ann", 401),
)


@pytest.mark.parametrize("route", sorted(CASES))
def test_a_token_opens_its_own_journal_and_no_other(world: World, route: str) -> None:
    before = world.data()
    for who, whose, status in REFUSED:
        token = world.tokens[who] if who is not None else None
        r = world.call(route, whose, token)
        assert r.status_code == status, (who, whose, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        if status == 401:
            assert r.headers["www-authenticate"].startswith("Bearer")
        # nothing of the journal asked for: not the name, not the medicine
        assert whose.title() not in r.text and "baclofen" not in r.text, r.text
        assert world.data() == before, (who, whose)
    denied = [
        (r["actor"], r["subject"])
        for r in access.audit_trail(world.journal, limit=50)
        if r["outcome"] == "denied"
    ]
    assert ("ben", "ann") in denied and ("cara", "ben") in denied and (None, "ann") in denied

    r = world.call(route, "ann", world.tokens["ann"])
    assert r.status_code in (200, 201), r.text
    ok = access.audit_trail(world.journal, "ann", limit=1)[0]
    assert (ok["actor"], ok["subject"], ok["outcome"], ok["door"]) == ("ann", "ann", "ok", "api")
    assert ok["action"] == ("read" if CASES[route][0] == "GET" else "write")


@pytest.mark.parametrize("route", sorted(set(CASES) - {"audit"}))
def test_a_linked_caregiver_opens_the_patients_journal(world: World, route: str) -> None:
    r = world.call(route, "ann", world.tokens["cara"])
    assert r.status_code in (200, 201), r.text
    line = access.audit_trail(world.journal, "ann", limit=1)[0]
    assert (line["actor"], line["subject"], line["outcome"]) == ("cara", "ann", "ok")


def test_only_the_person_reads_who_opened_their_journal(world: World) -> None:
    assert world.call("audit", "ann", world.tokens["cara"]).status_code == 404
    world.call("status", "ann", world.tokens["cara"])
    rows = world.call("audit", "ann", world.tokens["ann"]).json()
    assert any(r["actor"] == "cara" and r["what"] == "status" for r in rows)
    assert all(r["subject"] == "ann" for r in rows)


def test_what_a_caregiver_records_is_recorded_as_theirs(world: World) -> None:
    r = world.call("record_dose", "ann", world.tokens["cara"])
    assert r.status_code == 201 and r.json()["event"]["recorded_by"] == "cara"


def test_the_same_entry_sent_twice_is_recorded_once(world: World) -> None:
    first = world.call("record_dose", "ann", world.tokens["ann"])
    again = world.call("record_dose", "ann", world.tokens["ann"])
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["created"] is False
    assert len(world.journal.snapshot("ann").events) == 1


def test_whoami_lists_the_journals_a_token_opens(world: World) -> None:
    h = {"Authorization": f"Bearer {world.tokens['cara']}"}
    body = world.client.get(BASE, headers=h).json()
    assert body["person"]["id"] == "cara"
    assert [p["id"] for p in body["journals"]] == ["cara", "ann"]
    assert world.client.get(BASE).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"id": "d-2", "medication": "baclofen", "at": "2026-12-02T08:05"}, "at"),  # no offset
        ({"id": "d-2", "medication": "baclofen", "kind": "doubled"}, "kind"),
        ({"id": "", "medication": "baclofen"}, "id"),
        ({"id": "d-2", "medication": "baclofen", "amount": "10"}, "amount"),
        ({"id": "d-2", "medication": "baclofen", "extra": 1}, "extra"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(
    world: World, body: dict[str, Any], field: str
) -> None:
    before = world.data()
    h = {"Authorization": f"Bearer {world.tokens['ann']}"}
    r = world.client.post(f"{BASE}/ann/doses", json=body, headers=h)
    assert r.status_code == 422 and r.json()["field"] == field
    assert world.data() == before


def test_a_refused_write_is_audited_as_refused(world: World) -> None:
    h = {"Authorization": f"Bearer {world.tokens['ann']}"}
    r = world.client.post(
        f"{BASE}/ann/doses", json={"id": "d-9", "medication": "warfarin"}, headers=h
    )
    assert r.status_code == 422 and "no medication" in r.json()["detail"]
    line = access.audit_trail(world.journal, "ann", limit=1)[0]
    assert (line["what"], line["outcome"]) == ("record_dose", "refused")


def test_stopping_baclofen_says_never_at_once(world: World) -> None:
    r = world.call("stop_medication", "ann", world.tokens["ann"])
    assert r.json()["advice"] == ["do_not_stop_abruptly", "gradual_taper"]


def test_exports_answer_in_their_media_type(world: World) -> None:
    h = {"Authorization": f"Bearer {world.tokens['ann']}"}
    for fmt, media in (("csv", "text/csv"), ("ics", "text/calendar"), ("fhir", "application/fhir")):
        r = world.client.get(f"{BASE}/ann/export", params={"format": fmt}, headers=h)
        assert r.status_code == 200 and r.headers["content-type"].startswith(media)


def test_tokens_are_kept_only_as_hashes(world: World) -> None:
    secret = world.tokens["ann"][len("mgj_") + 12 + 1 :]  # the secret may itself hold "_"
    assert len(secret) == 43
    with world.journal.reading() as conn:
        stored = repr(conn.execute(select(t.access_tokens)).all())
    assert secret not in stored and world.tokens["ann"] not in stored
    assert all(secret not in repr(r) for r in access.tokens(world.journal))


def test_a_token_for_a_person_not_in_the_journal_cannot_be_issued(world: World) -> None:
    from medguide.journal.db import JournalError

    with pytest.raises(JournalError, match="no person"):
        access.issue(world.journal, "zed", label="x", days=1, now=NOW)
    with pytest.raises(JournalError, match="1 to 3650 days"):
        access.issue(world.journal, "ann", label="x", days=0, now=NOW)
