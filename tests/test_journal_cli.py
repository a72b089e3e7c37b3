"""`medguide journal …` and `medguide remind`, tried as a new user would."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medguide.cli import app

TZ = "America/New_York"
MISSED = {("28", "14"), ("28", "20")}  # two doses in a row on Saturday


def run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, (args, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout


def run_json(*args: str) -> dict:  # type: ignore[type-arg]
    return json.loads(run(*args, "--json"))


def bad(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 2, (args, result.stdout, result.stderr)
    lines = [x for x in result.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.fixture
def db(journal_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The command line on both databases: SQLite at its default place in MEDGUIDE_HOME, or
    PostgreSQL through MEDGUIDE_DATABASE_URL (a schema of its own)."""
    if journal_url.startswith("postgresql"):
        monkeypatch.setenv("MEDGUIDE_DATABASE_URL", journal_url)
    return journal_url


@pytest.fixture
def week(db: str) -> str:
    """baclofen 10 mg three times a day, a week recorded with two missed doses in a row.

    The first doses go through the command line; the rest through the same store, to keep
    the suite quick (each command-line call rebuilds the whole command tree)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from medguide.journal.store import Journal

    run("journal", "add-med", "baclofen 10 mg tid", "--tz", TZ,
        "--start", "2026-11-23T07:00", "--now", "2026-11-23T07:00-05:00")  # fmt: skip
    med = run_json("journal", "status", "--now", "2026-11-23T07:01-05:00")
    med_id = med["medications"][0]["medication"]["id"]
    for hour in ("08", "14"):
        at = f"2026-11-23T{hour}:05"
        run("journal", "take", "baclofen", "--at", at, "--id", f"d23{hour}", "--now", f"{at}-05:00")
    with Journal.open() as j:
        for day in range(23, 30):
            for hour in ("08", "14", "20"):
                if (str(day), hour) in MISSED or (day == 23 and hour != "20"):
                    continue
                at = datetime(2026, 11, day, int(hour), 5, tzinfo=ZoneInfo(TZ))
                j.record_dose(f"d{day}{hour}", "me", med_id, "taken", at, now=at)
    return str(med_id)


def test_a_week_with_two_missed_doses(week: str) -> None:
    # Right after the second miss: the warning is active, with the knowledge's advice.
    during = run_json("journal", "status", "--now", "2026-11-28T21:30-05:00")
    (w,) = [x for x in during["warnings"] if x["code"] == "withdrawal_risk"]
    assert w["active"] and "do_not_double" in w["advice"]
    advice = during["medications"][0]["missed_dose"]  # from service.missed_dose
    assert advice["action"] and "do_not_double" in advice["advice"]
    text = run("journal", "status", "--now", "2026-11-28T21:30-05:00")
    assert text.startswith("WARNING [withdrawal_risk]")
    # After the week: adherence, and the gap still shown as an earlier warning.
    after = run_json("journal", "status", "--now", "2026-11-30T07:00-05:00")
    m = after["medications"][0]
    assert m["adherence_7_days"] == {"taken": 19, "expected": 21, "adherence": 0.9048}
    assert m["missed_last_7_days"] == 2 and m["consecutive_missed"] == 0
    assert m["next_due"]["due"] == "2026-11-30T08:00:00-05:00"
    assert [x["active"] for x in after["warnings"] if x["code"] == "withdrawal_risk"] == [False]
    hist = run_json("journal", "history", "--days", "8", "--now", "2026-11-30T07:00-05:00")
    statuses = [s["status"] for s in hist["medications"][0]["slots"]]
    assert statuses.count("missed") == 2 and statuses.count("taken") == 19


def test_retry_is_one_dose_and_a_double_warns(week: str) -> None:
    now = "2026-11-30T08:10-05:00"
    first = run_json("journal", "take", "baclofen", "--id", "r1", "--now", now)
    again = run_json("journal", "take", "baclofen", "--id", "r1", "--now", now)
    assert first["created"] and not again["created"]
    double = run_json("journal", "take", "baclofen", "--now", "2026-11-30T08:40-05:00")
    assert [w["code"] for w in double["warnings"]] == ["do_not_double"]
    events = run_json("journal", "history", "--days", "1", "--now", "2026-11-30T09:00-05:00")
    assert len([e for e in events["events"] if e["at"].startswith("2026-11-30")]) == 2


def test_calendar_feed_imports_with_alarms(week: str, tmp_path: Path) -> None:
    from icalendar import Calendar

    out = tmp_path / "me.ics"
    run("journal", "export", "--format", "ics", "--days", "14", "--out", str(out),
        "--now", "2026-11-30T07:00-05:00")  # fmt: skip
    cal = Calendar.from_ical(out.read_bytes())
    events = [c for c in cal.walk("VEVENT")]
    assert len(events) >= 14 * 3
    assert all(e.walk("VALARM") for e in events)
    assert cal.walk("VTIMEZONE")[0]["TZID"] == TZ
    first = events[0]["DTSTART"].dt
    assert str(first.tzinfo) == TZ


def test_fhir_export_validates_as_r4(week: str) -> None:
    from fhir.resources.R4B.bundle import Bundle

    body = run("journal", "export", "--format", "fhir", "--days", "7",
               "--now", "2026-11-30T07:00-05:00")  # fmt: skip
    bundle = Bundle.model_validate(json.loads(body))
    (entry,) = bundle.entry or []
    statement = entry.resource
    assert statement.get_resource_type() == "MedicationStatement"
    ext = {
        x["url"]: x for x in json.loads(body)["entry"][0]["resource"]["extension"][0]["extension"]
    }
    assert ext["taken"]["valueInteger"] == 19 and ext["expected"]["valueInteger"] == 21


def test_csv_and_json_exports(week: str) -> None:
    body = run("journal", "export", "--format", "csv", "--now", "2026-11-30T07:00-05:00")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 19 and rows[0]["kind"] == "taken" and rows[0]["unit"] == "mg"
    data = json.loads(
        run("journal", "export", "--format", "json", "--now", "2026-11-30T07:00-05:00")
    )
    assert data["person"]["timezone"] == TZ


def test_remind_prints_what_is_due(week: str) -> None:
    out = run("remind", "--now", "2026-11-30T08:05-05:00")
    assert "baclofen 10 mg due 2026-11-30T08:00:00-05:00" in out
    assert run("remind", "--now", "2026-11-30T10:00-05:00") == ""
    data = run_json("remind", "--now", "2026-11-30T07:50-05:00")
    assert [d["status"] for d in data["due"]] == ["upcoming"]


def test_symptom_red_flag_comes_first(week: str) -> None:
    out = run("journal", "symptom", "can't be woken, breathing very slowly",
              "--now", "2026-11-30T07:00-05:00")  # fmt: skip
    assert out.startswith("EMERGENCY")
    status = run("journal", "status", "--now", "2026-11-30T07:05-05:00")
    assert status.startswith("EMERGENCY")


def test_bad_input_is_one_line_and_changes_nothing(week: str) -> None:
    now = "2026-11-30T07:00-05:00"
    before = run("journal", "export", "--format", "csv", "--now", now)
    assert "no medication 'tizanidine'" in bad("journal", "take", "tizanidine", "--now", now)
    assert "future" in bad("journal", "take", "baclofen", "--at", "2026-11-30T09:00", "--now", now)
    assert "in mg" in bad(
        "journal", "take", "baclofen", "--amount", "5", "--unit", "mL", "--now", now
    )
    run("journal", "add-person", "sam", "--role", "caregiver", "--tz", TZ, "--now", now)
    assert "not linked" in bad("journal", "take", "baclofen", "--by", "sam", "--now", now)
    assert "not a time" in bad("journal", "take", "baclofen", "--at", "yesterday", "--now", now)
    assert "already used" in bad("journal", "take", "baclofen", "--id", "d2308", "--now", now)
    assert run("journal", "export", "--format", "csv", "--now", now) == before
    # a linked caregiver may record
    run("journal", "add-person", "kim", "--role", "caregiver", "--caregiver-of", "me",
        "--tz", TZ, "--now", now)  # fmt: skip
    assert run_json("journal", "take", "baclofen", "--by", "kim", "--now", now)["created"]


def test_prn_interval_amounts_and_plans(db: str) -> None:
    now = "2026-11-30T07:00-05:00"
    run("journal", "add-person", "me", "--tz", TZ, "--now", now)
    prn = run_json("journal", "add-med", "baclofen 5 mg prn", "--min-interval", "6",
                   "--max-per-day", "3", "--now", now)  # fmt: skip
    assert prn["medication"]["schedule"]["kind"] == "prn"
    run("journal", "take", prn["medication"]["id"], "--now", now)
    soon = run_json("journal", "take", prn["medication"]["id"], "--now", "2026-11-30T08:00-05:00")
    assert [w["code"] for w in soon["warnings"]] == ["do_not_double"]
    run("journal", "add-person", "al", "--tz", TZ, "--now", now)
    iv = run_json("journal", "add-med", "baclofen 5 mg every 8 hours", "-p", "al",
                  "--first", "2026-11-30T06:00", "--now", now)  # fmt: skip
    assert iv["medication"]["schedule"]["every_hours"] == 8
    run("journal", "add-person", "bo", "--tz", TZ, "--now", now)
    amounts = run_json("journal", "add-med", "baclofen 5 mg bid", "-p", "bo", "--times",
                       "08:00,20:00", "--amounts", "5,10", "--now", now)  # fmt: skip
    assert amounts["medication"]["schedule"]["amounts"] == [5.0, 10.0]
    run("journal", "add-person", "cy", "--tz", TZ, "--now", now)
    plan = run_json("journal", "add-med", "-p", "cy", "--drug", "baclofen", "--plan", "titrate",
                    "--start", "2026-11-30", "--now", now)  # fmt: skip
    assert plan["medication"]["source"] == "titrate" and plan["medication"]["plan"]["steps"]
    due = run_json("journal", "status", "-p", "cy", "--now", "2026-11-30T07:30-05:00")
    assert (
        due["medications"][0]["next_due"]["amount"]
        == plan["medication"]["plan"]["steps"][0]["dose"]
    )
    bad("journal", "add-med", "baclofen tid", "-p", "cy", "--now", now)  # no dose
    bad("journal", "add-med", "baclofen 10 mg", "-p", "cy", "--now", now)  # no frequency


def test_stock_and_refill_in_the_feed(week: str) -> None:
    now = "2026-11-30T07:00-05:00"
    data = run_json("journal", "stock", "baclofen", "--on-hand", "20", "--each", "10", "--now", now)
    assert data["stock"]["days_left"] == pytest.approx(6.7, abs=0.1)
    body = run("journal", "export", "--format", "ics", "--now", now)
    assert "SUMMARY:Refill baclofen" in body


def test_every_journal_command_has_json() -> None:
    commands = "add-person add-med stop-med take skip symptom stock note status history export"
    for cmd in commands.split():
        assert "--json" in run("journal", cmd, "--help")
    assert "--json" in run("remind", "--help")


def test_help_does_not_import_sqlalchemy() -> None:
    code = "import sys; from medguide.cli import app; print('sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_foreign_file_refused_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "h"
    home.mkdir()
    (home / "journal.sqlite3").write_text("not a database")
    monkeypatch.setenv("MEDGUIDE_HOME", str(home))
    assert "not a medguide journal" in bad("journal", "status")
    assert (home / "journal.sqlite3").read_text() == "not a database"


def test_calendar_keeps_clock_times_across_the_dst_change(db: str) -> None:
    from datetime import time

    from icalendar import Calendar

    now = "2026-10-30T07:00-04:00"
    run("journal", "add-med", "baclofen 5 mg tid", "--tz", TZ, "--start", "2026-10-30T07:00",
        "--now", now)  # fmt: skip
    cal = Calendar.from_ical(
        run("journal", "export", "--format", "ics", "--days", "5", "--now", now).encode()
    )
    starts = [e["DTSTART"].dt for e in cal.walk("VEVENT")]
    assert {s.time() for s in starts} == {time(8), time(14), time(20)}
    days = {s.date() for s in starts}
    assert len(starts) == 3 * len(days) and len(days) >= 5  # 25-hour day included
    names = {str(c["TZNAME"]) for c in cal.walk() if c.name in ("STANDARD", "DAYLIGHT")}
    assert {"EDT", "EST"} <= names


def test_plan_exports_have_alarms(tmp_path: Path) -> None:
    from icalendar import Calendar

    out = tmp_path / "taper.ics"
    run("plan", "taper", "--drug", "baclofen", "--dose", "10", "--unit", "mg", "--frequency", "TID",
        "--start", "2026-03-02", "--timezone", TZ, "--ics", str(out))  # fmt: skip
    events = Calendar.from_ical(out.read_bytes()).walk("VEVENT")
    doses = [e for e in events if "finished" not in str(e["SUMMARY"])]
    assert doses and all(e.walk("VALARM") for e in doses)


def test_skip_ahead_and_plan_errors(week: str) -> None:
    now = "2026-11-30T07:00-05:00"
    skipped = run_json("journal", "skip", "baclofen", "--for", "2026-11-30T20:00", "--now", now)
    assert skipped["event"]["kind"] == "skipped"
    hist = run_json("journal", "history", "--days", "1", "--now", "2026-11-30T21:30-05:00")
    last = hist["medications"][0]["slots"][-1]
    assert last["due"] == "2026-11-30T20:00:00-05:00" and last["status"] == "skipped"
    assert "drug" in bad("journal", "add-med", "--plan", "titrate", "--now", now)
    assert "target" in bad("journal", "add-med", "--drug", "baclofen", "--plan", "titrate",
                           "--target", "lots", "--now", now)  # fmt: skip
    assert "--plan" in bad(
        "journal", "add-med", "--drug", "baclofen", "--plan", "stop", "--now", now
    )


def test_stop_med_ends_the_schedule(week: str) -> None:
    now = "2026-11-30T09:00-05:00"
    run("journal", "stop-med", "baclofen", "--now", now)
    assert "no medication" in bad("journal", "take", "baclofen", "--now", "2026-11-30T09:05-05:00")
    hist = run_json("journal", "history", "--days", "2", "--now", "2026-11-30T22:00-05:00")
    assert hist["medications"][0]["slots"][-1]["due"] == "2026-11-30T08:00:00-05:00"


def test_unreachable_server_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDGUIDE_DATABASE_URL", "postgresql+psycopg://nobody:secret@127.0.0.1:1/x")
    line = bad("journal", "status")
    assert "cannot open the journal at postgresql://127.0.0.1/x" in line and "secret" not in line


def test_tokens_issued_listed_revoked_and_the_audit_log(db: str) -> None:
    """A token is printed once (never listed again), opens the API until revoked, and the
    audit log shows who opened which journal."""
    from fastapi.testclient import TestClient

    from medguide.api import Settings, create_app

    run("journal", "add-person", "me", "--tz", "UTC")
    issued = run_json("journal", "token", "issue", "--label", "phone", "--days", "30")
    token = issued["token"]
    assert token.startswith("mgj_") and issued["person"] == "me"
    listed = run("journal", "token", "list")
    secret = token.removeprefix(f"mgj_{issued['id']}_")  # the secret may itself hold "_"
    assert len(secret) == 43 and issued["id"] in listed and "phone" in listed
    assert secret not in listed
    app = create_app(settings=Settings(rate_per_minute=1e9, rate_burst=1e9))
    with TestClient(app) as client:
        h = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/journal/me/status", headers=h).status_code == 200
        assert "revoked" in run("journal", "token", "revoke", issued["id"])
        assert "already" in run("journal", "token", "revoke", issued["id"])
        assert client.get("/api/v1/journal/me/status", headers=h).status_code == 401
    trail = run("journal", "audit")
    assert "me read me:status  ok" in trail and "(no valid token) read me:status  denied" in trail
    assert "revoked" in run("journal", "token", "list")
    assert "no token" in bad("journal", "token", "revoke", "nonesuch")
    assert "no person" in bad("journal", "token", "issue", "--person", "zed")
