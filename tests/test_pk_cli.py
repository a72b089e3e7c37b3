"""`medguide pk` and its pictures (issue 18)."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medguide.cli import app, exitcodes
from medguide.knowledge.loader import load_catalog
from medguide.pk.course import compute_level_summary, compute_overdose_course
from medguide.pk.params import pk_parameters
from medguide.pk.plot import render_plot, render_svg
from medguide.pk.schedule import regular

runner = CliRunner()
P = pk_parameters(load_catalog().drug("baclofen"))  # type: ignore[arg-type]
assert P is not None


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_the_issue_command(tmp_path: Path) -> None:
    svg = tmp_path / "level.svg"
    code, out, err = run(
        "pk", "--dose", "20", "--unit", "mg", "--frequency", "TID", "--crcl", "25",
        "--plot", str(svg),
    )  # fmt: skip
    assert code == 0, err
    assert "accumulation: 2.1 × normal kidneys" in out
    assert "creatinine clearance 25 mL/min" in out
    assert "sources: S23" in out and "not a prediction" in out
    assert out.rstrip().splitlines()[-1].startswith("knowledge kb-")
    root = ET.fromstring(svg.read_text(encoding="utf-8"))
    assert root.tag.endswith("svg")
    text = svg.read_text(encoding="utf-8")
    for label in (
        "typical person with normal kidneys",
        "typical person, creatinine clearance 25 mL/min",
        "usual range quoted in the sources",
        "level in the blood (ng/mL)",
        "not a prediction for one person",
    ):
        assert label in text


def test_json_has_the_figures() -> None:
    code, out, _ = run("pk", "--dose", "20", "--frequency", "TID", "--crcl", "25", "--json")
    assert code == 0
    data = json.loads(out)
    pk = data["pk"]
    assert pk["fold_vs_normal_kidneys"] == pytest.approx(2.11, abs=0.01)
    assert pk["steady_state"]["average"] > pk["steady_state_normal_kidneys"]["average"]
    assert pk["time_to_steady_state_h"] > 0
    assert data["knowledge_version"].startswith("kb-")
    assert len(pk["curves"]["times_h"]) == len(pk["curves"]["typical"])


def test_png_plot(tmp_path: Path) -> None:
    png = tmp_path / "level.png"
    code, _, err = run("pk", "--dose", "5", "--frequency", "daily", "--dialysis", "hemodialysis",
                       "--dialysis-at", "50,98", "--plot", str(png))  # fmt: skip
    assert code == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_normal_kidneys_when_nothing_is_given() -> None:
    code, out, _ = run("pk", "--dose", "10", "--frequency", "tid")
    assert code == 0
    assert "normal kidneys assumed" in out
    assert "accumulation: 1.0 × normal kidneys" in out


def test_missed_and_extra_doses_are_read() -> None:
    code, out, _ = run("pk", "--dose", "10", "--frequency", "tid", "--missed", "2",
                       "--extra", "30:10", "--json")  # fmt: skip
    assert code == 0
    assert json.loads(out)["schedule"]["doses"] == 21 + 1


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--dose", "20", "--frequency", "xyz"), "cannot be read"),
        (("--dose", "20", "--frequency", "tid", "--unit", "tablets"), "not one of"),
        (("--dose", "20", "--frequency", "tid", "--unit", "mL"), "liquid product"),
        (("--dose", "20", "--frequency", "tid", "--age", "9"), "adult figures"),
        (("--dose", "20", "--frequency", "tid", "--plot", "x.pdf"), ".svg or .png"),
        (("--dose", "20", "--frequency", "tid", "--missed", "40"), "doses 1 to 21"),
        (("--dose", "20", "--frequency", "tid", "--extra", "soon"), "HOURS:MG"),
        (("--dose", "20", "--frequency", "tid", "--times", "8,14"), "HH:MM"),
        (("--dose", "20", "--frequency", "tid", "--creatinine", "900"), "plausible"),
        (("--dose", "20", "--frequency", "tid", "--dialysis-at", "x"), "list of hours"),
    ],
)
def test_bad_input_gives_one_line(args: tuple[str, ...], words: str) -> None:
    code, _, err = run("pk", *args)
    assert code == exitcodes.BAD_INPUT
    assert err.startswith("error:") and words in err
    assert len(err.strip().splitlines()) == 1


def test_drug_without_figures() -> None:
    code, _, err = run("pk", "--drug", "acetaminophen", "--dose", "500", "--frequency", "qid")
    assert code == exitcodes.NOT_FOUND
    assert "no pharmacokinetic figures" in err


def test_cli_start_does_not_import_numpy_or_matplotlib() -> None:
    code = "import sys, medguide.cli; print(any(m in sys.modules for m in ('numpy', 'matplotlib')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_svg_string_is_deterministic_and_parses() -> None:
    s = compute_level_summary(P, regular(20.0, 3, 3), 40.0, subjects=50)
    a, b = render_svg(s.curves), render_svg(s.curves)
    assert a == b
    ET.fromstring(a)
    assert a == render_plot(s.curves, "svg").decode("utf-8")


def test_overdose_picture_marks_now() -> None:
    c = compute_overdose_course(P, 250.0, hours_ago=3.0, crcl_ml_min=None, subjects=50)
    svg = render_svg(c.curves)
    assert "time since it was swallowed" in svg and ">now<" in svg


def test_unknown_format_is_refused() -> None:
    s = compute_level_summary(P, regular(20.0, 3, 1), None, subjects=10)
    with pytest.raises(ValueError):
        render_plot(s.curves, "pdf")  # type: ignore[arg-type]


def test_plan_taper_shows_the_level() -> None:
    code, out, _ = run("plan", "taper", "--drug", "baclofen", "--dose", "20", "--frequency",
                       "TID", "--start", "2026-12-01", "--crcl", "30")  # fmt: skip
    assert code == 0
    assert "level, typical person (ng/mL, daily average): day" in out
    code, out, _ = run("plan", "taper", "--drug", "baclofen", "--dose", "20", "--frequency",
                       "TID", "--start", "2026-12-01", "--json")  # fmt: skip
    assert json.loads(out)["plan"]["level"]["steps"]


def test_assess_shows_the_level_in_plain_words(tmp_path: Path) -> None:
    case = tmp_path / "case.json"
    case.write_text(
        json.dumps(
            {
                "patient": {
                    "age_years": 74,
                    "weight_kg": 70,
                    "sex": "female",
                    "serum_creatinine_mg_dl": 1.6,
                },
                "medications": [{"text": "baclofen 10 mg tid"}],
            }
        ),
        encoding="utf-8",
    )
    code, out, _ = run("assess", str(case))
    assert code == 0
    flat = " ".join(out.split())
    assert "level baclofen: steady state about" in flat and "not a prediction" in flat
    assert "'steady_state'" not in out  # not dumped as a raw dict
