"""`medguide plan titrate|taper` as a new user would run it (issue 3)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import icalendar
import pytest
from fhir.resources.R4B.dosage import Dosage
from typer.testing import CliRunner

from medguide.cli import app, exitcodes

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_titrate_the_82_year_old_as_json() -> None:
    code, out, _ = run(
        "plan",
        "titrate",
        "--drug",
        "baclofen",
        "--age",
        "82",
        "--weight",
        "70",
        "--sex",
        "male",
        "--creatinine",
        "1.8",
        "--start",
        "2026-03-02",
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["kidney"]["value"] == pytest.approx(31.3, abs=0.05)
    assert data["kidney"]["formula"] == "cockcroft_gault"
    plan = data["plan"]
    assert plan["steps"][0] == {
        "step": 1,
        "start": "2026-03-02",
        "end": "2026-03-04",
        "days": 3,
        "dose": 5.0,
        "unit": "mg",
        "doses_per_day": 1,
        "daily": 5.0,
        "how": "one 5 mg tablet",
    }
    assert plan["max_daily"] == 20  # half of the 40 mg a day an 82-year-old may otherwise take
    assert {"beers_kidney_avoid", "geriatric_dose_caution"} <= {w["code"] for w in plan["warnings"]}
    assert "S25" in plan["sources"] and "S28" in plan["sources"]


def test_titrate_human_output_names_the_formula() -> None:
    code, out, _ = run(
        "plan",
        "titrate",
        "--drug",
        "baclofen",
        "--age",
        "82",
        "--weight",
        "70 kg",
        "--sex",
        "male",
        "--creatinine",
        "159 umol/L",
        "--start",
        "2026-03-02",
    )
    assert code == 0
    assert "creatinine clearance 31 mL/min (Cockcroft–Gault)" in out
    assert "beers_kidney_avoid" in out


def test_taper_from_20_mg_qid_as_an_ics_file(tmp_path: Path) -> None:
    target = tmp_path / "taper.ics"
    code, out, _ = run(
        "plan",
        "taper",
        "--drug",
        "baclofen",
        "--dose",
        "20",
        "--unit",
        "mg",
        "--frequency",
        "QID",
        "--start",
        "2026-03-02",
        "--timezone",
        "Europe/Paris",
        "--ics",
        str(target),
    )
    assert code == 0 and "dose events" in out
    cal = icalendar.Calendar.from_ical(target.read_bytes())
    assert next(c.name for c in cal.subcomponents) == "VTIMEZONE"
    events = list(cal.walk("VEVENT"))
    doses = [e for e in events if isinstance(e["DTSTART"].dt, datetime)]
    assert doses[0]["DTSTART"].dt.hour == 8
    assert str(doses[0]["DTSTART"].dt.tzinfo) == "Europe/Paris"
    assert doses[0]["DTSTART"].dt.date() == date(2026, 3, 2)
    assert "taper finished" in str(events[-1]["SUMMARY"])
    assert f"wrote {len(doses)} dose events" in out


def test_taper_fhir_validates() -> None:
    code, out, _ = run(
        "plan",
        "taper",
        "--drug",
        "Ozobax",
        "--dose",
        "10",
        "--unit",
        "mL",
        "--frequency",
        "three times a day",
        "--start",
        "2026-03-02",
        "--fhir",
    )
    assert code == 0
    dosages = json.loads(out)
    for d in dosages:
        Dosage.model_validate(d)
    assert dosages[0]["sequence"] == 1 and dosages[-1]["text"].startswith("Stop")


def test_titrate_a_liquid_shows_volumes() -> None:
    code, out, _ = run(
        "plan",
        "titrate",
        "--drug",
        "baclofen",
        "--product",
        "ozobax_ds",
        "--age",
        "40",
        "--start",
        "2026-03-02",
        "--json",
    )
    assert code == 0
    step = json.loads(out)["plan"]["steps"][0]
    assert step["volume_ml"] == 2.5 and step["dose"] == 5


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["titrate", "--drug", "baclofen", "--creatinine", "0"],
            exitcodes.BAD_INPUT,
            "creatinine 0 mg/dL",
        ),
        (["titrate", "--drug", "baclofen", "--creatinine", "40"], exitcodes.BAD_INPUT, "umol/L"),
        (
            ["titrate", "--drug", "baclofen", "--creatinine", "1.8 mmol"],
            exitcodes.BAD_INPUT,
            "unit",
        ),
        (
            ["titrate", "--drug", "baclofen", "--age", "5", "--weight", "40"],
            exitcodes.BAD_INPUT,
            "lb",
        ),
        (["titrate", "--drug", "baclofen", "--weight", "70 stone"], exitcodes.BAD_INPUT, "unit"),
        # an adult's bare 180 is as likely pounds as kilograms: the unit is asked for
        (
            ["titrate", "--drug", "baclofen", "--age", "50", "--weight", "180"],
            exitcodes.BAD_INPUT,
            "180 lb",
        ),
        (["titrate", "--drug", "baclofen", "--weight", "180"], exitcodes.BAD_INPUT, "180 lb"),
        (
            ["titrate", "--drug", "baclofen", "--start", "02/03/2026"],
            exitcodes.BAD_INPUT,
            "YYYY-MM-DD",
        ),
        (["titrate", "--drug", "baclofen", "--age", "300"], exitcodes.BAD_INPUT, "age"),
        (["titrate", "--drug", "nosuchdrug"], exitcodes.NOT_FOUND, "nosuchdrug"),
        (
            ["taper", "--drug", "nosuchdrug", "--dose", "5", "--frequency", "TID"],
            exitcodes.NOT_FOUND,
            "nosuchdrug",
        ),
        (
            ["titrate", "--drug", "baclofen", "--timezone", "Mars/Olympus"],
            exitcodes.BAD_INPUT,
            "time zone",
        ),
        (
            ["titrate", "--drug", "baclofen", "--age", "40", "--step-days", "1"],
            exitcodes.BAD_INPUT,
            "faster",
        ),
        (
            [
                "taper",
                "--drug",
                "baclofen",
                "--dose",
                "300",
                "--unit",
                "mcg",
                "--frequency",
                "daily",
                "--route",
                "intrathecal",
            ],
            exitcodes.BAD_INPUT,
            "pump team",
        ),
        # Regression: a pump product named alone used to fail as "not oral" instead of
        # reaching the referral to the pump team.
        (
            [
                "taper",
                "--drug",
                "Gablofen",
                "--dose",
                "300",
                "--unit",
                "mcg",
                "--frequency",
                "daily",
            ],
            exitcodes.BAD_INPUT,
            "pump team",
        ),
        (["titrate", "--drug", "Gablofen"], exitcodes.BAD_INPUT, "pump team"),
        # Regression: 10 mL of Fleqsuvy four times a day is 200 mg a day; refused, not cut.
        (
            ["taper", "--drug", "Fleqsuvy", "--dose", "10", "--unit", "mL", "--frequency", "QID"],
            exitcodes.BAD_INPUT,
            "above the maximum",
        ),
        (
            ["taper", "--drug", "baclofen", "--dose", "5", "--frequency", "sometimes"],
            exitcodes.BAD_INPUT,
            "frequency",
        ),
        (
            ["taper", "--drug", "baclofen", "--dose", "5", "--unit", "tsp", "--frequency", "TID"],
            exitcodes.BAD_INPUT,
            "unit",
        ),
    ],
)
def test_bad_input_is_one_clear_line(args: list[str], code: int, message: str) -> None:
    exit_code, out, err = run("plan", *args)
    assert exit_code == code
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert "Traceback" not in out + err


def test_plans_report_the_knowledge_version(tmp_path: Path) -> None:
    from medguide.knowledge.loader import load_catalog

    version = load_catalog().version
    args = ["plan", "taper", "--drug", "baclofen", "--dose", "10", "--frequency", "TID"]
    code, out, _ = run(*args, "--start", "2026-12-01", "--json")
    assert code == 0 and json.loads(out)["knowledge_version"] == version
    ics = tmp_path / "t.ics"
    code, out, _ = run(*args, "--start", "2026-12-01", "--ics", str(ics))
    assert code == 0 and f"knowledge {version}" in out
    assert f"X-MEDGUIDE-KNOWLEDGE:{version}" in ics.read_text()
