"""The catalog: strict loading, source ids that must resolve, YAML traps, version, schemas."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from medguide.knowledge.catalog import DATA_DIR, KnowledgeError, load_catalog_from
from medguide.knowledge.loader import load_catalog
from medguide.knowledge.schemas import stale_schemas
from medguide.knowledge.yamlfile import lint_yaml

MINI_SOURCES = """sources:
  - {id: S1, title: A label, kind: label}
"""
MINI_CLASSES = """classes:
  - {id: relaxant, name: Relaxants, sources: [S1]}
"""
MINI_DRUG = """id: testdrug
name: testdrug
classes: [relaxant]
dosing:
  - id: oral_adult
    route: oral
    max_daily: 80 mg
    text: At most 80 mg a day.
    sources: [S1]
"""


def make_kb(tmp_path: Path, drug: str = MINI_DRUG, name: str = "testdrug") -> Path:
    (tmp_path / "drugs").mkdir()
    (tmp_path / "sources.yaml").write_text(MINI_SOURCES)
    (tmp_path / "classes.yaml").write_text(MINI_CLASSES)
    (tmp_path / "drugs" / f"{name}.yaml").write_text(drug)
    return tmp_path


def test_packaged_catalog_loads_and_reports_a_version() -> None:
    cat = load_catalog()
    assert "baclofen" in cat.drugs
    assert cat.version.startswith("kb-") and len(cat.version) == 15
    assert load_catalog() is cat  # loaded once per process


def test_minimal_fixture_loads(tmp_path: Path) -> None:
    cat = load_catalog_from(make_kb(tmp_path))
    rule = cat.drugs["testdrug"].dosing[0]
    assert rule.max_daily is not None
    assert (rule.max_daily.value, rule.max_daily.unit) == (80.0, "mg")


def test_version_is_a_content_hash(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    v1 = load_catalog_from(kb).version
    assert load_catalog_from(kb).version == v1
    (kb / "drugs" / "testdrug.yaml").write_text(MINI_DRUG.replace("80 mg a day.", "80 mg/day."))
    assert load_catalog_from(kb).version != v1


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        # a source id that does not resolve names the file and the path inside it
        (
            MINI_DRUG.replace("sources: [S1]", "sources: [S99]"),
            "drugs/testdrug.yaml: dosing[0].sources[0]: source id 'S99'",
        ),
        # a statement without a source does not load
        (
            MINI_DRUG.replace("sources: [S1]", "sources: []"),
            "drugs/testdrug.yaml: dosing.0.sources",
        ),
        (MINI_DRUG.replace("    sources: [S1]\n", ""), "drugs/testdrug.yaml: dosing.0.sources"),
        # unknown keys are rejected
        (MINI_DRUG + "colour: blue\n", "drugs/testdrug.yaml: colour: unknown field"),
        # strict: no string for a number, no unknown unit
        (MINI_DRUG.replace("80 mg", "80 furlongs"), "drugs/testdrug.yaml: dosing.0.max_daily"),
        (MINI_DRUG + "depth: 3\n", "drugs/testdrug.yaml: depth"),
        # YAML 1.1 traps: Norway's NO, octal-looking 010
        (MINI_DRUG + "synonyms: [NO]\n", "drugs/testdrug.yaml: line 10: unquoted 'NO'"),
        (MINI_DRUG + "codes: {rxcui: 0123}\n", "drugs/testdrug.yaml: line 10: unquoted '0123'"),
        (MINI_DRUG + "classes: [nonexistent]\n", "drugs/testdrug.yaml"),
        (
            MINI_DRUG.replace("classes: [relaxant]", "classes: [nonexistent]"),
            "classes: unknown class 'nonexistent'",
        ),
        (MINI_DRUG.replace("id: testdrug", "id: other"), "does not match the file name"),
        ("id: [unclosed", "not valid YAML"),
    ],
)
def test_broken_knowledge_refuses_to_load(tmp_path: Path, broken: str, expected: str) -> None:
    with pytest.raises(KnowledgeError) as exc:
        load_catalog_from(make_kb(tmp_path, broken))
    assert expected in str(exc.value)


def test_knowledge_error_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError) as exc:
        load_catalog_from(make_kb(tmp_path, MINI_DRUG + "colour: blue\nshape: round\n"))
    assert "\n" not in str(exc.value)
    assert "(and 1 more)" in str(exc.value)


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("a: 010", 1),
        ("a: NO", 1),
        ("a: yes", 1),
        ("a: off", 1),
        ("a: 12:30", 1),
        ("a: '010'", 0),
        ('a: "NO"', 0),
        ("a: 10", 0),
        ("a: 1.5", 0),
        ("a: true", 0),
        ("a: false", 0),
        ("a: Norway", 0),
        ("a: [0, 1]", 0),
        ("a: 0", 0),
    ],
)
def test_yaml_lint_table(text: str, problems: int) -> None:
    assert len(lint_yaml(text)) == problems


def test_packaged_files_pass_the_lint() -> None:
    for path in DATA_DIR.rglob("*.yaml"):
        assert lint_yaml(path.read_text(encoding="utf-8")) == [], path


def test_exported_json_schemas_are_current() -> None:
    assert stale_schemas() == [], "run: medguide knowledge schema --write"


def test_stale_schema_is_detected(tmp_path: Path) -> None:
    from medguide.knowledge.schemas import SCHEMA_DIR

    copy = tmp_path / "schemas"
    shutil.copytree(SCHEMA_DIR, copy)
    (copy / "drug.schema.json").write_text("{}\n")
    assert stale_schemas(copy) == ["drug"]


def test_cache_round_trip_and_invalidation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from medguide.knowledge import loader as catalog_cache

    monkeypatch.delenv("MEDGUIDE_NO_CACHE", raising=False)
    monkeypatch.setenv("MEDGUIDE_CACHE_DIR", str(tmp_path))
    fresh = load_catalog_from(DATA_DIR)
    assert catalog_cache.load(fresh.version) is None  # nothing stored yet
    catalog_cache.store(fresh)
    hit = catalog_cache.load(fresh.version)
    assert hit is not None and hit.version == fresh.version
    assert dict(hit.drugs) == dict(fresh.drugs)
    # the interaction index travels with the catalog, owned by it
    assert hit.prebuilt_index is not None and hit.index.rules == fresh.index.rules
    # another content version never reads this file
    assert catalog_cache.load("kb-000000000000") is None
    # the file is named by the code that reads it too
    (only,) = tmp_path.glob("catalog-*.pickle")
    assert catalog_cache.code_key() in only.name
    # a damaged file is ignored, not trusted
    only.write_bytes(b"not a pickle")
    assert catalog_cache.load(fresh.version) is None


def test_cache_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from medguide.environment import cache_dir

    monkeypatch.setenv("MEDGUIDE_NO_CACHE", "1")
    assert cache_dir() is None


def test_one_severity_table_for_integrations() -> None:
    from medguide.codes import SEVERITY_RANK
    from medguide.interop.severity import SEVERITY_TO_CDS, SEVERITY_TO_FHIR

    assert set(SEVERITY_TO_CDS) == set(SEVERITY_RANK) == set(SEVERITY_TO_FHIR)
    assert set(SEVERITY_TO_CDS.values()) <= {"info", "warning", "critical"}
    assert set(SEVERITY_TO_FHIR.values()) <= {"low", "moderate", "high"}
    # a more severe finding never maps to a milder indicator
    order = sorted(SEVERITY_RANK, key=SEVERITY_RANK.__getitem__)
    cds = ["info", "warning", "critical"]
    fhir = ["low", "moderate", "high"]
    assert [cds.index(SEVERITY_TO_CDS[s]) for s in order] == sorted(
        cds.index(SEVERITY_TO_CDS[s]) for s in order
    )
    assert [fhir.index(SEVERITY_TO_FHIR[s]) for s in order] == sorted(
        fhir.index(SEVERITY_TO_FHIR[s]) for s in order
    )
