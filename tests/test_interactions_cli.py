"""`medguide interactions`: output for people and for programs, bad input, limits."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from medguide.cli import exitcodes, interactions_cmd
from medguide.knowledge.catalog import Catalog, load_catalog_from
from test_interactions import write_fixture_kb


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return load_catalog_from(write_fixture_kb(tmp_path_factory.mktemp("kb")))


@pytest.fixture
def app(kb: Catalog, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.setattr(interactions_cmd, "load_catalog", lambda: kb)
    app = typer.Typer()
    interactions_cmd.register(app)

    @app.command("noop")  # a second command so that typer keeps the subcommand name
    def _noop() -> None:
        """Nothing."""

    return app


def run(app: typer.Typer, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["interactions", *args])
    return result.exit_code, result.stdout, result.stderr


def test_people_output_is_severity_sorted(app: typer.Typer) -> None:
    code, out, _ = run(app, "baclofen", "tizanidine", "fluvoxamine")
    assert code == 0
    assert "CONTRAINDICATED" in out and "MODERATE" in out
    assert out.index("CONTRAINDICATED") < out.index("MODERATE")
    assert "CYP1A2" in out and "Sources:" in out


def test_minor_hidden_unless_all(app: typer.Typer) -> None:
    code, out, _ = run(app, "baclofen", "sertraline")
    assert code == 0
    assert "MINOR" not in out and "1 minor interaction hidden" in out
    code, out, _ = run(app, "baclofen", "sertraline", "--all")
    assert code == 0 and "MINOR" in out and "hidden" not in out


def test_json_lists_everything(app: typer.Typer) -> None:
    code, out, _ = run(app, "baclofen", "hydromorphone", "pregabalin", "alcohol", "--json")
    assert code == 0
    data = json.loads(out)
    assert [f["code"] for f in data["findings"]] == ["cns_depressant_burden"]
    burden = data["findings"][0]
    assert burden["details"]["strongest_pair"]["severity"] == "major"
    assert burden["sources"]
    assert [r["drug_id"] for r in data["resolved"]] == [
        "baclofen",
        "hydromorphone",
        "pregabalin",
        "alcohol",
    ]
    assert data["knowledge_version"].startswith("kb-")


def test_json_keeps_minor(app: typer.Typer) -> None:
    data = json.loads(run(app, "baclofen", "sertraline", "--json")[1])
    assert [f["severity"] for f in data["findings"]] == ["low"]


def test_no_interaction(app: typer.Typer) -> None:
    code, out, _ = run(app, "baclofen", "ibuprofen")
    assert code == 0 and "No interactions found" in out
    data = json.loads(run(app, "baclofen", "ibuprofen", "--json")[1])
    assert data["findings"] == []


def test_unknown_names_are_reported_and_the_rest_screened(app: typer.Typer) -> None:
    code, out, _ = run(app, "baclofen", "qwertyzine", "oxycodone", "--json")
    assert code == exitcodes.NOT_ALL_CHECKED  # screened, but not everything
    data = json.loads(out)
    assert data["summary"]["complete"] is False
    assert data["summary"]["pairs"] == 3 and data["summary"]["pairs_not_screened"] == 2
    assert [u["code"] for u in data["unknown"]] == ["unknown_drug"]
    assert data["unknown"][0]["drugs"] == ["qwertyzine"]
    assert [f["details"]["rule"] for f in data["findings"]] == ["baclofen_opioid"]
    code, out, _ = run(app, "baclofen", "qwertyzine", "oxycodone")
    assert "Unknown:" in out and "qwertyzine" in out
    # what was not checked comes first
    assert out.startswith("Not fully checked: 1 name not recognised")
    assert "2 of 3 pairs were not screened" in out


def test_route_option(app: typer.Typer) -> None:
    data = json.loads(
        run(app, "baclofen", "morphine", "--route", "baclofen=intrathecal", "--json")[1]
    )
    also = [m["rule"] for m in data["findings"][0]["details"]["also_matched"]]
    assert "intrathecal_baclofen_morphine" in also
    assert data["resolved"][0]["route"] == "intrathecal"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["baclofen"] * 500, exitcodes.BAD_INPUT, "500 names given; at most 100"),
        (["baclofen"], exitcodes.BAD_INPUT, "at least two"),
        (["qwertyzine", "zzzzplex"], exitcodes.NOT_FOUND, "none of the names"),
        (["baclofen", "oxycodone", "--route", "baclofen"], exitcodes.BAD_INPUT, "NAME=ROUTE"),
    ],
)
def test_bad_input_gives_one_clear_line(
    app: typer.Typer, args: list[str], code: int, message: str
) -> None:
    exit_code, out, err = run(app, *args)
    assert exit_code == code
    assert err.startswith("error: ") and message in err
    assert "Traceback" not in err + out
    assert len(err.strip().splitlines()) == 1


def test_registered_in_the_real_app() -> None:
    from medguide.cli import app as real_app

    names = {c.name for c in real_app.registered_commands}
    assert "interactions" in names
