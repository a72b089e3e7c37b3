"""Class entries: medicines known by class (no monograph), their loading and their names."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from medguide.knowledge.catalog import DATA_DIR, Catalog, KnowledgeError, load_catalog_from
from medguide.knowledge.models.class_entry import COLUMNS
from medguide.knowledge.names import _catalog_index, name_key, resolve_ingredients, resolve_name


def test_every_entry_loads_with_known_classes_and_sources(real: Catalog) -> None:
    assert len(real.class_entries) >= 800
    for e in real.class_entries.values():
        assert e.id not in real.drugs
        for cls, src in e.memberships:
            assert cls in real.classes and src in real.sources, (e.id, cls, src)
        if e.kind == "combination":
            assert len(e.ingredients) >= 2 and not e.memberships
            assert all(i in real.drugs or i in real.class_entries for i in e.ingredients)
        else:
            assert e.memberships, e.id


def test_no_name_is_ambiguous_or_shadowed_by_a_monograph(real: Catalog) -> None:
    index = _catalog_index(real)
    assert not index.ambiguous
    monograph_keys = {
        name_key(n)
        for d in real.drugs.values()
        for n in (d.id, d.name, *d.synonyms, *d.salts, *(b.name for b in d.brands))
    }
    shadowed = [
        (e.id, n)
        for e in real.class_entries.values()
        for n in (e.name, *e.synonyms, *e.brands)
        if name_key(n) in monograph_keys
    ]
    assert shadowed == []


@pytest.mark.parametrize(
    ("text", "ingredients", "coverage"),
    [
        ("methadone", ["methadone"], ["class_entry"]),
        ("Methadone HCl", ["methadone"], ["class_entry"]),
        ("Dolophine", ["methadone"], ["class_entry"]),
        ("baclofen", ["baclofen"], ["monograph"]),
        # combination products resolve to each ingredient
        ("Percocet", ["oxycodone", "acetaminophen"], ["monograph", "monograph"]),
        ("Norco", ["hydrocodone", "acetaminophen"], ["monograph", "monograph"]),
        ("Vicodin", ["hydrocodone", "acetaminophen"], ["monograph", "monograph"]),
        ("Tylenol #3", ["acetaminophen", "codeine"], ["monograph", "monograph"]),
        ("Suboxone", ["buprenorphine", "naloxone"], ["class_entry", "class_entry"]),
        ("Sinemet", ["carbidopa_levodopa"], ["monograph"]),
        ("Oxycodone-Acetaminophen", ["oxycodone", "acetaminophen"], ["monograph", "monograph"]),
        ("Acetaminophen w/Codeine", ["acetaminophen", "codeine"], ["monograph", "monograph"]),
        ("Sulfameth/Trimethoprim DS", ["sulfamethoxazole", "trimethoprim"], None),
        # fluids, electrolytes, diluents
        ("NS", ["sodium_chloride_0_9"], ["class_entry"]),
        ("0.9% Sodium Chloride (Mini Bag Plus)", ["sodium_chloride_0_9"], None),
        ("D5W", ["dextrose_5_in_water"], None),
        ("D5 1/2NS", ["dextrose_5_in_0_45_sodium_chloride"], None),
        ("LR", ["lactated_ringer_s"], None),
        ("KCl", ["potassium_chloride"], None),
        ("Heparin Flush (10 units/ml)", ["heparin"], None),
        ("Vial", ["container_or_diluent_line"], None),
        (
            "Potassium Chl 20 mEq / 1000 mL D5 1/2 NS",
            ["potassium_chloride", "dextrose_5_in_0_45_sodium_chloride"],
            None,
        ),
        # export text: strengths, forms, brackets
        ("lisinopril 10 MG Oral Tablet", ["lisinopril"], ["monograph"]),
        ("1 ML Epoetin Alfa 4000 UNT/ML Injection [Epogen]", ["epoetin_alfa"], None),
        ("budesonide 0.25 MG/ML Inhalation Suspension", ["budesonide"], None),
        (
            "Amoxicillin 250 MG / Clavulanate 125 MG Oral Tablet",
            ["amoxicillin", "clavulanate"],
            None,
        ),
        ("HYDROmorphone (Dilaudid)", ["hydromorphone"], ["monograph"]),
        # an eye drop is not the tablet
        ("Ciprofloxacin 0.3% Ophth Soln", ["ciprofloxacin_ophthalmic"], ["class_entry"]),
        ("Vigamox", ["moxifloxacin_ophthalmic"], None),
    ],
)
def test_resolve_ingredients(
    real: Catalog, text: str, ingredients: list[str], coverage: list[str] | None
) -> None:
    got = resolve_ingredients(real, text)
    assert [r.ingredient for r in got] == ingredients
    if coverage is not None:
        assert [r.coverage for r in got] == coverage
    assert all(r.query == text for r in got)


def test_a_class_entry_is_known_but_not_covered(real: Catalog) -> None:
    r = resolve_name(real, "methadone")
    assert r.known and not r.covered and r.class_entry == "methadone"
    assert r.provenance and "known by class, no monograph" in r.provenance


def test_an_unknown_part_of_a_combination_stays_unknown(real: Catalog) -> None:
    got = resolve_ingredients(real, "oxycodone-frobnicate")
    assert [r.coverage for r in got] == ["monograph", "unknown"]


def test_nothing_resolves_to_a_class_entry_by_a_misspelling(real: Catalog) -> None:
    # fuzzy matching stays on monograph names: a near miss never lands on a class entry
    assert resolve_name(real, "methadon").class_entry is None


# --- the loader ---------------------------------------------------------------------------


def _kb(tmp_path: Path, rows: list[str]) -> Path:
    for name in ("sources.yaml", "classes.yaml", "interactions.yaml"):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    shutil.copytree(DATA_DIR / "ndfrt", tmp_path / "ndfrt")
    (tmp_path / "drugs").mkdir()
    shutil.copy(DATA_DIR / "drugs" / "baclofen.yaml", tmp_path / "drugs" / "baclofen.yaml")
    text = "# test\n" + "\t".join(COLUMNS) + "\n" + "".join(r + "\n" for r in rows)
    (tmp_path / "class_entries.tsv").write_text(text, encoding="utf-8")
    return tmp_path


def _row(**cols: str) -> str:
    return "\t".join(cols.get(c, "") for c in COLUMNS)


def test_a_valid_entry_loads(tmp_path: Path) -> None:
    cat = load_catalog_from(
        _kb(tmp_path, [_row(id="methadone", name="methadone", kind="drug", classes="opioid@F-epc")])
    )
    assert cat.class_entries["methadone"].memberships == (("opioid", "F-epc"),)
    assert "methadone" in cat.index.drug_classes


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (_row(id="x", name="x", kind="drug"), "at least one class"),
        (_row(id="x", name="x", kind="drug", classes="no_such_class@F-epc"), "unknown class"),
        (_row(id="x", name="x", kind="drug", classes="opioid@NOPE"), "source id"),
        (_row(id="x", name="x", kind="drug", classes="opioid"), "source"),
        (_row(id="baclofen", name="b", kind="drug", classes="opioid@F-epc"), "monograph"),
        (_row(id="x", name="x", kind="combination", ingredients="baclofen"), "two ingredients"),
        (
            _row(id="x", name="x", kind="combination", ingredients="baclofen nope"),
            "unknown ingredient",
        ),
        (_row(id="x", name="x", kind="pill", classes="opioid@F-epc"), "kind"),
        (_row(id="x", name="x", kind="drug", classes="opioid@F-epc", renal="maybe"), "renal"),
        (_row(id="x", name="x", kind="drug", classes="opioid@F-epc", unii="short"), "unii"),
        ("x\tx\tdrug", "columns"),
    ],
)
def test_invalid_entries_do_not_load(tmp_path: Path, row: str, message: str) -> None:
    with pytest.raises(KnowledgeError, match=message):
        load_catalog_from(_kb(tmp_path, [row]))


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("methadone", "known by class only (Opioid analgesics"),
        ("Percocet", "a combination of oxycodone and acetaminophen; see the guide of oxycodone"),
        ("zuclopenthixol", "does not cover yet"),
    ],
)
def test_guide_says_what_a_class_entry_holds(name: str, says: str) -> None:
    from typer.testing import CliRunner

    from medguide.cli import app, exitcodes

    result = CliRunner().invoke(app, ["guide", name])
    assert result.exit_code == exitcodes.NOT_FOUND
    assert says in result.stderr
