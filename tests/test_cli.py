"""The command line as people use it: guide, drugs, assess, knowledge; and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from medguide.cli import app, exitcodes

runner = CliRunner()


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_guide_shows_sections_and_sources() -> None:
    code, out, _ = run("guide", "baclofen")
    assert code == 0
    assert "baclofen" in out.lower()
    assert "Sources" in out
    assert "knowledge kb-" in out


def test_guide_json_has_sections_with_sources() -> None:
    code, out, _ = run("guide", "baclofen", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["drug"] == "baclofen"
    assert data["sections"]
    assert all(item["sources"] for s in data["sections"] for item in s["items"])


def test_guide_one_section() -> None:
    code, out, _ = run("guide", "baclofen", "--section", "dosing", "--json")
    assert code == 0
    assert [s["id"] for s in json.loads(out)["sections"]] == ["dosing"]


@pytest.mark.parametrize(
    ("args", "exit_code", "needle"),
    [
        (("guide", "xyzzyq"), exitcodes.NOT_FOUND, "unknown drug"),
        (("guide", "baclofen", "--section", "nonsense"), exitcodes.BAD_INPUT, "unknown section"),
    ],
)
def test_guide_errors(args: tuple[str, ...], exit_code: int, needle: str) -> None:
    code, out, err = run(*args)
    assert code == exit_code
    assert needle in err
    assert "Traceback" not in out + err


def test_drugs_lists_the_catalog() -> None:
    code, out, _ = run("drugs", "--json")
    assert code == 0
    assert "baclofen" in [d["id"] for d in json.loads(out)["drugs"]]


def test_knowledge_check_and_schema() -> None:
    code, out, _ = run("knowledge", "check")
    assert code == 0 and out.startswith("ok:")
    code, out, _ = run("knowledge", "schema")
    assert code == 0


GOOD = {"medications": [{"text": "baclofen 10 mg tid"}]}


@pytest.mark.parametrize(
    ("document", "needle"),
    [
        ("{not json", "is not valid JSON"),
        ("medications: [unclosed", "is not valid YAML"),
        ("[1, 2]", "must be a JSON or YAML object"),
        ("   ", "is empty"),
        (json.dumps({"medications": []}), "a request needs at least one of medications"),
        (json.dumps({}), "a request needs at least one of medications"),
        (json.dumps({**GOOD, "colour": "blue"}), "colour: unknown field"),
        (json.dumps({**GOOD, "patient": {"age_years": 300}}), "patient.age_years"),
        (json.dumps({**GOOD, "patient": {"weight_kg": 0}}), "patient.weight_kg"),
        (
            json.dumps({**GOOD, "patient": {"serum_creatinine_mg_dl": 40}}),
            "patient.serum_creatinine_mg_dl",
        ),
        (
            json.dumps({"medications": [{"drug": "baclofen", "dose": -5, "unit": "mg"}]}),
            "medications.0.dose",
        ),
        (
            json.dumps({"medications": [{"drug": "baclofen", "dose": 5, "unit": "furlongs"}]}),
            "medications.0.unit: unknown unit 'furlongs'",
        ),
        (json.dumps({"medications": [{"dose": 5}]}), "a medication needs 'text' or 'drug'"),
        (
            json.dumps({"medications": [{"text": "x"}] * 101}),
            "medications: at most 100 items are accepted, got 101",
        ),
    ],
)
def test_assess_bad_input_is_one_clear_line(document: str, needle: str) -> None:
    code, out, err = run("assess", "-", stdin=document)
    assert code == exitcodes.BAD_INPUT, (out, err)
    assert needle in err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "Traceback" not in out + err


def test_assess_missing_file() -> None:
    code, _, err = run("assess", "/nonexistent/case.json")
    assert code == exitcodes.NOT_FOUND
    assert "cannot read" in err


def test_assess_reads_yaml_and_reports_version(tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    case.write_text("medications:\n  - text: baclofen 10 mg tid\n")
    code, out, _ = run("assess", str(case), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["knowledge_version"].startswith("kb-")
    assert set(data) >= {"findings", "triage", "advice", "computed", "not_checked"}


def test_fail_on_threshold() -> None:
    doc = json.dumps({"medications": [{"text": "baclofen 30 mg qid"}]})
    code, _, _ = run("assess", "-", "--fail-on", "high", stdin=doc)
    assert code == exitcodes.FINDINGS_AT_THRESHOLD
    code, _, err = run("assess", "-", "--fail-on", "severe", stdin=doc)
    assert code == exitcodes.BAD_INPUT and "--fail-on" in err


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "medications",
                    "patient",
                    "text",
                    "drug",
                    "dose",
                    "unit",
                    "age_years",
                    "symptoms",
                    "substances",
                    "ingestion",
                    "missed_dose",
                    "now",
                    "weight_kg",
                    "x",
                ]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_any_json_document_gets_an_answer_or_one_clear_line(doc: object) -> None:
    code, out, err = run("assess", "-", "--json", stdin=json.dumps(doc))
    assert code in (exitcodes.OK, exitcodes.BAD_INPUT), (doc, err)
    assert "Traceback" not in out + err
    if code == exitcodes.BAD_INPUT:
        assert err.startswith("error: ") and err.count("\n") == 1
