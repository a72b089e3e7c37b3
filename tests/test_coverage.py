"""`medguide knowledge coverage FILE`: how much of a prescription list medguide knows."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medguide.cli import exitcodes
from medguide.knowledge.catalog import Catalog
from medguide.knowledge.coverage import compute_coverage, coverage_level

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
MIMIC = SHARED / "mimic-iii-demo-prescriptions" / "PRESCRIPTIONS.csv.gz"
TOP300 = Path(__file__).parent / "fixtures" / "top300_us_outpatient.txt"


def run(*args: str) -> tuple[int, str, str]:
    from medguide.cli import app

    result = CliRunner().invoke(app, ["knowledge", "coverage", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("levels", "level"),
    [
        (["monograph"], "monograph"),
        (["monograph", "class_entry"], "class_entry"),
        (["class_entry", "name_only"], "name_only"),
        (["monograph", "unknown"], "unknown"),
        ([], "unknown"),
    ],
)
def test_a_name_counts_at_its_least_known_ingredient(levels: list[str], level: str) -> None:
    assert coverage_level(levels) == level


def test_counts_rows_not_names(real: Catalog) -> None:
    cov = compute_coverage(real, ["baclofen", "baclofen", "methadone", "qwertyzine", " "])
    assert cov.total == 4
    assert cov.rows["monograph"] == 2 and cov.names["monograph"] == 1
    assert cov.rows["class_entry"] == 1 and cov.rows["unknown"] == 1
    assert dict(cov.uncovered) == {"qwertyzine": 1}


def test_plain_list(tmp_path: Path) -> None:
    f = tmp_path / "list.txt"
    f.write_text("baclofen\nPercocet\nNS\nqwertyzine\n", encoding="utf-8")
    code, out, _ = run(str(f), "--json")
    assert code == exitcodes.OK
    data = json.loads(out)
    assert data["rows"] == 4 and data["covered_share"] == 0.75
    assert data["by_level"]["unknown"]["rows"] == 1
    assert data["top_uncovered"] == [{"name": "qwertyzine", "rows": 1}]


def test_csv_with_a_mimic_drug_column(tmp_path: Path) -> None:
    f = tmp_path / "rx.csv.gz"
    rows = "ROW_ID,DRUG,DRUG_NAME_GENERIC\n1,Baclofen,Baclofen\n2,D5W,Dextrose\n3,Vial,\n"
    f.write_bytes(gzip.compress(rows.encode()))
    code, out, _ = run(str(f))
    assert code == exitcodes.OK
    assert "3 rows" in out and "column 'drug'" in out
    assert "Covered by a monograph or a class entry: 100.00% of rows" in out
    code, out, _ = run(str(f), "--column", "drug_name_generic", "--json")
    assert json.loads(out)["read"].startswith("column 'drug_name_generic'")
    code, _, err = run(str(f), "--column", "nope")
    assert code == exitcodes.BAD_INPUT and "no column 'nope'" in err


def test_missing_file() -> None:
    code, _, err = run("/nonexistent/file.csv")
    assert code == exitcodes.NOT_FOUND and err.startswith("error: ")


@pytest.mark.skipif(not MIMIC.exists(), reason="../shared/data not present")
def test_mimic_demo_is_covered(real: Catalog) -> None:
    # issue 13: at least 95 % of the MIMIC-III demo rows by a monograph or a class entry
    code, out, _ = run(str(MIMIC), "--json")
    assert code == exitcodes.OK
    data = json.loads(out)
    assert data["rows"] == 10398
    assert data["covered_share"] >= 0.95
    assert data["by_level"]["name_only"]["rows"] == 0


def test_top_300_outpatient_ingredients_are_covered(real: Catalog) -> None:
    names = [
        line.strip()
        for line in TOP300.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert len(names) >= 280
    cov = compute_coverage(real, names)
    assert dict(cov.uncovered) == {}
