"""`medguide triage`, `missed-dose`, `overdose` as people and programs use them."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from medguide.cli import app, exitcodes

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_triage_emergency_is_printed_first() -> None:
    code, out, _ = run("triage", "can't wake him", "breathing slow", "--drug", "baclofen")
    assert code == 0
    assert out.splitlines()[0].startswith("EMERGENCY")
    assert "Call emergency services now" in out


def test_triage_symptoms_without_a_drug() -> None:
    code, out, _ = run("triage", "can't wake him", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["triage"]["level"] == "emergency"
    assert data["advice"][0] == "call_emergency_services"


def test_triage_issue_case_stopped_and_seizure() -> None:
    code, out, _ = run(
        "triage",
        "had a seizure",
        "--drug",
        "baclofen",
        "--stopped-days-ago",
        "4",
        "--daily-dose",
        "60",
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["triage"]["level"] == "emergency"
    assert data["triage"]["suspected_state"] == "suspected_withdrawal"
    assert "suspected_withdrawal" in [f["code"] for f in data["findings"]]


def test_triage_mild_effect_in_plain_words() -> None:
    code, out, _ = run("triage", "a bit sleepy", "--drug", "baclofen", "--new")
    assert code == 0
    assert not out.startswith("EMERGENCY")
    assert "Do not drive" in out
    assert "Avoid alcohol" in out


def test_triage_not_understood_is_echoed() -> None:
    code, out, _ = run("triage", "zorbly frobnication", "--drug", "baclofen")
    assert code == 0
    assert "Not understood: zorbly frobnication" in out


@pytest.mark.parametrize(
    ("args", "first", "contains"),
    [
        # a negation is read as such and said back
        (("no fever", "a bit sleepy", "--new"), "Usually fine", "Read as not present: fever"),
        # a misspelt red flag is still an emergency
        (("siezure",), "EMERGENCY", "Call emergency services now"),
        (("he isn't breathing",), "EMERGENCY", "Call emergency services now"),
        # missed doses with no symptoms yet: not a blank answer
        (("--missed-doses", "3"), "URGENT", "Do not take all the missed doses at once"),
        (("--last-dose-hours-ago", "48"), "URGENT", "Contact the prescriber"),
        # a normal reading still gets an answer
        (("temp 37.2",), "Usually fine", "not in the alarm range"),
    ],
)
def test_triage_audit_cases(args: tuple[str, ...], first: str, contains: str) -> None:
    code, out, _ = run("triage", *args, "--drug", "baclofen")
    assert code == 0
    assert out.startswith(first), out
    assert contains in out


def test_triage_missed_doses_and_pump() -> None:
    code, out, _ = run(
        "triage", "seeing things", "--drug", "baclofen", "--missed-doses", "3", "--json"
    )
    assert code == 0
    assert json.loads(out)["triage"]["level"] == "emergency"
    code, out, _ = run(
        "triage",
        "itchy all over",
        "--drug",
        "baclofen",
        "--route",
        "intrathecal",
        "--pump-alarm",
        "--json",
    )
    assert json.loads(out)["triage"]["suspected_state"] == "suspected_withdrawal"


def test_missed_dose_issue_case() -> None:
    code, out, _ = run(
        "missed-dose",
        "--drug",
        "baclofen",
        "--missed",
        "07:00",
        "--next",
        "15:00",
        "--now",
        "08:15",
        "--tz",
        "Europe/London",
    )
    assert code == 0
    assert out.startswith("Take the missed dose (due 07:00) now, at 08:15.")
    assert "Never take two doses together" in out


def test_missed_dose_json_skip() -> None:
    code, out, _ = run(
        "missed-dose",
        "--drug",
        "baclofen",
        "--missed",
        "13:00",
        "--next",
        "15:00",
        "--now",
        "13:30",
        "--tz",
        "UTC",
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["action"] == "skip"
    assert data["advice"] == ["skip_missed_dose", "do_not_double"]


def test_missed_dose_with_interval_and_count() -> None:
    code, out, _ = run(
        "missed-dose",
        "--drug",
        "Lioresal",
        "--missed",
        "06:00",
        "--every",
        "8",
        "--now",
        "07:00",
        "--tz",
        "UTC",
        "--count",
        "3",
    )
    assert code == 0
    assert out.startswith("URGENT")
    assert "Do not take all the missed doses at once" in out


def test_overdose_child_goes_to_poison_centre() -> None:
    code, out, _ = run(
        "overdose", "--drug", "baclofen", "--tablets", "1", "--strength", "10", "--age", "3"
    )
    assert code == 0
    assert out.startswith("URGENT: call a poison centre now.")  # now, not "today"
    assert "assumed" not in out  # the strength was given


def test_overdose_large_is_emergency_with_clinician_notes() -> None:
    code, out, _ = run(
        "overdose",
        "--drug",
        "baclofen",
        "--mg",
        "400",
        "--hours-ago",
        "0.5",
        "--crcl",
        "20",
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["triage"]["level"] == "emergency"
    assert {"consider_activated_charcoal", "consider_hemodialysis"} <= set(data["advice"])


@pytest.mark.parametrize(
    "args",
    [
        ("missed-dose", "--drug", "baclofen", "--missed", "25:00", "--next", "15:00"),
        ("missed-dose", "--drug", "baclofen", "--missed", "07:00"),
        (
            "missed-dose",
            "--drug",
            "baclofen",
            "--missed",
            "07:00",
            "--next",
            "15:00",
            "--tz",
            "Nowhere/Town",
        ),
        (
            "missed-dose",
            "--drug",
            "baclofen",
            "--missed",
            "07:00",
            "--next",
            "15:00",
            "--now",
            "2026-13-01T08:00",
        ),
        (
            "missed-dose",
            "--drug",
            "baclofen",
            "--missed",
            "07:00",
            "--next",
            "15:00",
            "--count",
            "0",
        ),
        ("overdose", "--drug", "baclofen", "--tablets", "1", "--mg", "10"),
        ("overdose", "--drug", "baclofen", "--strength", "10"),
        ("overdose", "--drug", "baclofen", "--tablets", "1", "--age", "300"),
        ("overdose", "--drug", "baclofen", "--route", "nasal"),
        ("triage", "sleepy", "--stopped-days-ago", "3"),
        ("triage",),
        ("triage", "--drug", "baclofen"),
        ("triage", "sleepy", "--drug", "baclofen", "--route", "rectal"),
    ],
)
def test_bad_input_is_one_clear_line(args: tuple[str, ...]) -> None:
    code, out, err = run(*args)
    assert code == exitcodes.BAD_INPUT, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "Traceback" not in err + out


@pytest.mark.parametrize("cmd", ["triage", "missed-dose", "overdose"])
def test_unknown_drug_is_not_found(cmd: str) -> None:
    extra = {
        "triage": ("sleepy", "--drug", "zzqxv"),
        "missed-dose": ("--drug", "zzqxv", "--missed", "07:00", "--next", "15:00"),
        "overdose": ("--drug", "zzqxv", "--mg", "10"),
    }[cmd]
    code, _, err = run(cmd, *extra)
    assert code == exitcodes.NOT_FOUND
    assert err.startswith("error: unknown drug")
