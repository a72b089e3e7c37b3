"""One engine behind every door (issue 9): the service layer, one answer per patient however
their values are entered, the published codes and schemas, and a command line for people."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from medguide import service
from medguide.cli import app
from medguide.cli.exitcodes import EXIT_CODES
from medguide.clinical.request import AssessRequest
from medguide.codes import ADVICE_CODES, FINDING_CODES, render_markdown
from medguide.knowledge.loader import load_catalog

ROOT = Path(__file__).parent.parent
CAT = load_catalog()


def cli(*args: str, **env: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env or None)
    return result.exit_code, result.stdout, result.stderr


# --- one answer, whichever way the kidneys are entered ------------------------------------------

KIDNEYS = [
    # (measured clearance, the same clearance from creatinine by Cockcroft–Gault)
    ({"crcl_ml_min": 17.0}, {"serum_creatinine_mg_dl": 4.0}),  # (140-70)×70/(72×4) = 17.0
    ({"crcl_ml_min": 34.0}, {"serum_creatinine_mg_dl": 2.0}),
    ({"crcl_ml_min": 68.1}, {"serum_creatinine_mg_dl": 1.0}),
]


@pytest.mark.parametrize(("measured", "from_creatinine"), KIDNEYS)
@pytest.mark.parametrize(
    "case",
    [
        {"medications": [{"text": "baclofen 10 mg tid"}], "symptoms": ["confused", "very sleepy"]},
        {"medications": [{"text": "baclofen 20 mg qid"}]},
        {
            "ingestion": {"drug": "baclofen", "amount": 300, "unit": "mg", "hours_ago": 2},
            "symptoms": ["drowsy"],
        },
    ],
)
def test_the_same_kidneys_give_the_same_answer(
    measured: dict[str, float], from_creatinine: dict[str, float], case: dict[str, Any]
) -> None:
    person = {"age_years": 70, "weight_kg": 70, "sex": "male"}
    results = [
        service.assess(CAT, AssessRequest.model_validate({**case, "patient": {**person, **k}}))
        for k in (measured, from_creatinine)
    ]
    a, b = (r.as_dict() for r in results)
    assert [(f["code"], f["severity"]) for f in a["findings"]] == [
        (f["code"], f["severity"]) for f in b["findings"]
    ]
    assert a["advice"] == b["advice"]
    assert (a["triage"] or {}).get("level") == (b["triage"] or {}).get("level")


# --- the service is the one way in --------------------------------------------------------------


def test_triage_without_a_medicine_says_what_was_not_weighed() -> None:
    result = service.triage(CAT, service.TriageQuery(symptoms=("can't wake him up",)))
    assert result.triage is not None and result.triage["level"] == "emergency"
    assert result.advice[0] == "call_emergency_services"
    assert any(n.check == "situation" for n in result.not_checked)


def test_overdose_needs_no_invented_regimen() -> None:
    query = service.OverdoseQuery(drug="baclofen", tablets=10, strength_mg=10, age_years=3)
    result = service.overdose(CAT, query)
    assert not result.computed.get("daily_totals")  # no medication was made up
    assert "call_poison_center" in result.advice


def test_a_pump_product_is_intrathecal_in_the_overdose_check() -> None:
    result = service.overdose(CAT, service.OverdoseQuery(drug="Gablofen", mcg=2000)).as_dict()
    assert "intrathecal" in json.dumps(result)


@pytest.mark.parametrize(
    ("target", "expected_top"),
    [("60 mg", 60.0), ("60", 60.0), ("0.06 g", 60.0), ("60000 mcg", 60.0), ("20 mcg", None)],
)
def test_a_titration_target_keeps_its_unit(target: str, expected_top: float | None) -> None:
    from datetime import date

    query = service.PlanQuery(drug="baclofen", start=date(2026, 12, 1), target=target)
    if expected_top is None:
        # 20 mcg a day is 0.02 mg, below the smallest tablet: refused, never planned as 20 mg
        with pytest.raises(service.ServiceError, match=r"0\.02 mg/day"):
            service.plan_titrate(CAT, query)
        return
    plan = service.plan_titrate(CAT, query).plan
    assert plan.steps[-1].daily == expected_top


@pytest.mark.parametrize(
    ("query", "kind", "field"),
    [
        ({"drug": "zzqxv"}, "not_found", "drug"),
        ({"drug": "warfarin"}, "not_found", "drug"),
    ],
)
def test_service_errors_name_the_field(query: dict[str, Any], kind: str, field: str) -> None:
    with pytest.raises(service.ServiceError) as exc:
        service.guide(CAT, query["drug"])
    assert exc.value.kind == kind and exc.value.field == field
    assert exc.value.as_problem()["detail"]


# --- codes, schemas, version --------------------------------------------------------------------


def test_the_codes_page_is_generated_from_the_registry() -> None:
    page = (ROOT / "docs" / "codes.md").read_text(encoding="utf-8")
    assert page == render_markdown(EXIT_CODES), "run: medguide knowledge codes > docs/codes.md"
    for code in FINDING_CODES | ADVICE_CODES:
        assert f"`{code}`" in page


def test_request_and_response_schemas_are_current() -> None:
    from medguide.service.schemas import stale_schemas

    assert stale_schemas() == [], "run: medguide knowledge schema --write"


def test_version() -> None:
    code, out, _ = cli("--version")
    assert code == 0 and out.startswith("medguide ")


def test_license_file_matches_the_project() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0" in text
    assert 'license = "Apache-2.0"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


# --- the command line, for people ---------------------------------------------------------------

COMMANDS = [
    ("assess",),
    ("guide",),
    ("interactions",),
    ("triage",),
    ("missed-dose",),
    ("overdose",),
    ("ask",),
    ("plan", "titrate"),
    ("plan", "taper"),
    ("knowledge", "check"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_fits_80_columns_with_whole_option_names(command: tuple[str, ...]) -> None:
    code, out, _ = cli(*command, "--help", COLUMNS="80", TERMINAL_WIDTH="80")
    assert code == 0
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in "".join(line[:30] for line in lines if "--" in line)


def test_fail_on_lists_its_choices() -> None:
    _, out, _ = cli("assess", "--help", COLUMNS="80")
    assert all(s in out for s in ("info", "moderate", "critical"))


@pytest.mark.parametrize("section", ["side-effects", "side_effects", "Side Effects"])
def test_guide_sections_take_hyphens_or_underscores(section: str) -> None:
    code, out, _ = cli("guide", "baclofen", "--section", section, "--no-pager")
    assert code == 0 and "Side effects" in out


def test_the_guide_opens_with_its_contents() -> None:
    code, out, _ = cli("guide", "lioresal", "--no-pager")
    assert code == 0
    head = out.split("Contents", 1)
    assert len(head) == 2 and "side-effects" in head[1][:2000]


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (("guide", "zzqxv", "--json"), 3),
        (("assess", "-", "--json"), 2),
        (("triage", "--json"), 2),
        (("plan", "taper", "--drug", "baclofen", "--dose", "10", "--frequency", "zz", "--json"), 2),
    ],
)
def test_errors_under_json_are_problem_documents(args: tuple[str, ...], status: int) -> None:
    result = CliRunner().invoke(app, list(args), input="{}")
    assert result.exit_code == status
    problem = json.loads(result.stdout)
    assert problem["status"] == status and problem["detail"]
    assert result.stderr.startswith("error: ")


def test_assess_renders_computed_values_in_words() -> None:
    doc = json.dumps(
        {
            "patient": {
                "age_years": 82,
                "weight_kg": 70,
                "sex": "male",
                "serum_creatinine_mg_dl": 1.8,
            },
            "medications": [{"text": "baclofen 5 mg tid"}],
        }
    )
    result = CliRunner().invoke(app, ["assess", "-"], input=doc)
    assert result.exit_code == 0
    assert "creatinine clearance: 31.3 mL/min" in result.stdout
    assert "{" not in result.stdout.split("Computed", 1)[1]  # no Python dicts
