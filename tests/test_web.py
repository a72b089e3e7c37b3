"""Pages for people without JavaScript: plain HTTP, HTML checked as a browser would get it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from medguide.api import Settings, create_app
from medguide.knowledge.catalog import Catalog


@pytest.fixture
def client(real: Catalog) -> Iterator[TestClient]:
    app = create_app(real, Settings(rate_per_minute=1e6, rate_burst=1e6))
    with TestClient(app) as c:
        yield c


def csrf(client: TestClient) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', client.get("/check").text)
    assert match
    return match.group(1)


def errors(html: str) -> list[str]:
    return re.findall(r'<p class="error" id="e-([a-z_]+)">([^<]+)</p>', html)


def test_every_page_has_the_disclaimer_and_the_knowledge_version(
    client: TestClient, real: Catalog
) -> None:
    for path in ("/", "/guide/baclofen", "/check", "/missed", "/feel", "/plans", "/journal"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert "not medical advice" in r.text, path
        assert real.version in r.text, path
        assert 'lang="en"' in r.text and "<main" in r.text


def test_search_by_brand_opens_the_guide(client: TestClient) -> None:
    r = client.get("/find", params={"q": "lioresal"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/guide/baclofen"
    page = client.get("/guide/baclofen").text
    assert "At a glance" in page and "<details" in page and 'id="src-S1"' in page
    assert client.get("/find", params={"q": "baclofene"}).url.path == "/guide/baclofen"


def test_nonsense_and_empty_names_say_so_next_to_the_field(client: TestClient) -> None:
    r = client.get("/find", params={"q": "xyzzyq"})
    assert r.status_code == 404 and 'value="xyzzyq"' in r.text
    assert 'id="e-q"' in r.text and 'aria-invalid="true"' in r.text
    assert client.get("/find", params={"q": "  "}).status_code == 422
    assert client.get("/guide/xyzzyq").status_code == 404


def test_check_shows_the_interaction_card_and_the_clinician_view(client: TestClient) -> None:
    r = client.post(
        "/check",
        data={
            "csrf": csrf(client),
            "medicines": "baclofen 10 mg three times a day\noxycodone 5 mg every 6 hours",
            "age": "74",
            "view": "clinician",
        },
    )
    assert r.status_code == 200
    assert 'class="card sev-high"' in r.text and "oxycodone" in r.text
    assert (
        "What to do" in r.text
        and "Clinician view" in r.text
        and "<code>interaction</code>" in r.text
    )
    assert "30.0" in r.text  # the computed daily baclofen total
    assert 'value="74"' in r.text  # what was typed is kept


def test_check_keeps_the_input_and_names_the_field(client: TestClient) -> None:
    token = csrf(client)
    r = client.post("/check", data={"csrf": token, "medicines": "", "age": "old", "weight": "80"})
    assert r.status_code == 422
    assert dict(errors(r.text)).keys() == {"medicines", "age"}
    assert 'value="old"' in r.text and 'value="80"' in r.text
    huge = client.post("/check", data={"csrf": token, "medicines": "baclofen 5 mg\n" * 2000})
    assert huge.status_code == 422 and "too long" in huge.text
    assert "Traceback" not in huge.text


def test_a_post_without_the_csrf_token_does_nothing(client: TestClient) -> None:
    client.get("/check")
    r = client.post("/check", data={"medicines": "baclofen 10 mg tid"})
    assert r.status_code == 422 and "form had expired" in r.text and "What we found" not in r.text
    r = client.post("/check", data={"csrf": "forged", "medicines": "baclofen 10 mg tid"})
    assert "form had expired" in r.text


def test_emergency_screen_comes_first(client: TestClient) -> None:
    r = client.post("/feel", data={"csrf": csrf(client), "symptoms": "can't wake him up"})
    assert r.status_code == 200
    html = r.text
    assert 'class="emergency" role="alert"' in html
    assert html.index('class="emergency"') < html.index("<h1>")
    assert "911" in html and "999" in html and "112" in html


def test_missed_dose_never_doubles(client: TestClient) -> None:
    token = csrf(client)
    r = client.post(
        "/missed",
        data={"csrf": token, "drug": "baclofen", "missed": "08:00", "next_due": "20:00"},
    )
    assert r.status_code == 200 and "Never take two doses at once" in r.text
    bad = client.post("/missed", data={"csrf": token, "drug": "baclofen", "missed": "banana"})
    assert bad.status_code == 422 and 'id="e-missed"' in bad.text and 'value="banana"' in bad.text


def test_plans_calendar_and_ics(client: TestClient) -> None:
    data = {
        "csrf": csrf(client),
        "kind": "taper",
        "drug": "baclofen",
        "start": "2026-12-03",
        "dose": "20",
        "frequency": "three times a day",
        "timezone": "Europe/London",
    }
    r = client.post("/plans", data=data)
    assert r.status_code == 200 and 'class="calendar"' in r.text
    dailies = [float(x) for x in re.findall(r"<td>([\d.]+) mg</td></tr>", r.text)]
    assert dailies and dailies == sorted(dailies, reverse=True)  # a taper never rises
    link = re.search(r'href="(/plans\.ics[^"]+)"', r.text)
    assert link
    ics = client.get(link.group(1).replace("&amp;", "&"))
    assert ics.status_code == 200 and ics.text.startswith("BEGIN:VCALENDAR")
    assert "@media print" in client.get("/static/site.css").text
    assert client.post("/plans", data={**data, "start": "soon"}).status_code == 422


def test_journal_dose_and_history(client: TestClient) -> None:
    token = csrf(client)
    assert "Start my journal" in client.get("/journal").text
    r = client.post(
        "/journal/start",
        data={"csrf": token, "medicine": "baclofen 10 mg three times a day", "timezone": "UTC"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    page = client.get("/journal").text
    assert "Today's doses" in page and "<svg" in page
    slot = re.search(
        r'name="med" value="([^"]+)">\s*<input type="hidden" name="due" value="([^"]+)"', page
    )
    if slot:  # a dose is due or missed today (not the case just after the last one of the day)
        done = client.post(
            "/journal/dose",
            data={"csrf": token, "med": slot.group(1), "due": slot.group(2), "kind": "taken"},
        )
        assert done.status_code == 200
        history = done.text.split('id="history"')[1]
        assert "<td>taken</td>" in history
    sym = client.post("/journal/symptom", data={"csrf": token, "symptoms": "can't wake him up"})
    assert sym.status_code == 200 and 'class="emergency"' in sym.text


def test_journal_with_a_stale_or_missing_session(real: Catalog) -> None:
    app = create_app(real, Settings(rate_per_minute=1e6, rate_burst=1e6))
    with TestClient(app, cookies={"mg_session": "web-nobody.0000"}) as c:
        r = c.get("/journal")
        assert r.status_code == 200 and "session has ended" in r.text
        token = csrf(c)
        r = c.post("/journal/dose", data={"csrf": token, "med": "x", "due": "x", "kind": "taken"})
        assert r.status_code == 401 and "Start my journal" in r.text
        r = c.post("/journal/start", data={"csrf": token, "medicine": "", "name": "Ann"})
        assert r.status_code == 422 and 'id="e-medicine"' in r.text and 'value="Ann"' in r.text


def test_page_weight(client: TestClient) -> None:
    css = len(client.get("/static/site.css").content)
    js = len(client.get("/static/htmx-2.0.11.min.js").content)
    for path, scripts in (("/guide/baclofen", False), ("/check", False), ("/journal", True)):
        html = len(client.get(path).content)
        assert html + css + (js if scripts else 0) <= 150_000, path
    assert client.get("/static/../pyproject.toml").status_code == 404


def test_the_session_is_a_journal_token_revoked_from_the_command_line(real: Catalog) -> None:
    """The browser's session is a journal token: the CLI's `token revoke` ends it, a token
    issued on the command line opens the same journal in a browser, and a made-up token or
    a revoked one opens nothing and changes nothing."""
    from datetime import UTC, datetime

    from medguide.journal import access
    from medguide.journal.store import Journal

    now = datetime.now(UTC)
    app = create_app(real, Settings(rate_per_minute=1e6, rate_burst=1e6))
    with TestClient(app) as c:
        token = csrf(c)
        r = c.post(
            "/journal/start",
            data={"csrf": token, "medicine": "baclofen 5 mg tid", "timezone": "UTC"},
            follow_redirects=False,
        )
        session = c.cookies["mg_session"]
        assert session.startswith("mgj_")
        j: Journal = app.state.journal
        (row,) = access.tokens(j)
        assert row["label"] == "web browser"
        assert session not in repr(access.tokens(j))  # only the hash is kept
        person = row["person_id"]
        assert c.get("/journal").status_code == 200
        access.revoke(j, row["id"], now=now)
        r = c.get("/journal")
        assert r.status_code == 200 and "session has ended" in r.text
        r = c.post("/journal/symptom", data={"csrf": token, "symptoms": "sleepy"})
        assert r.status_code == 401 and "Start my journal" in r.text
        assert j.snapshot(person).symptoms == ()

        cli = access.issue(j, person, label="browser", days=1, now=now)
        bad = c.post("/journal/open", data={"csrf": token, "token": cli.token[:-1] + "x"})
        assert bad.status_code == 401 and 'id="e-token"' in bad.text
        assert cli.token[:-1] not in bad.text  # a key is never shown back
        ok = c.post(
            "/journal/open", data={"csrf": token, "token": cli.token}, follow_redirects=False
        )
        assert ok.status_code == 303
        assert c.get("/journal").status_code == 200
        c.post("/journal/end", data={"csrf": token})
        # ending the session does not revoke a token the person made on the command line
        assert access.authenticate(j, cli.token, now) is not None
        trail = access.audit_trail(j, person)
        assert {(r["door"], r["what"], r["outcome"]) for r in trail} >= {
            ("web", "page", "ok"),
        }
