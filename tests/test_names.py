"""Name resolution: brands, spellings, salts, typos, substances, public name lists."""

from __future__ import annotations

from pathlib import Path

import pytest
from rapidfuzz import fuzz

from medguide.knowledge import names
from medguide.knowledge.catalog import Catalog, load_catalog_from
from medguide.knowledge.loader import load_catalog
from medguide.knowledge.names import name_key, resolve_name

FIXTURE = Path(__file__).parent / "fixtures" / "names"


@pytest.fixture(scope="module")
def fx() -> Catalog:
    return load_catalog_from(FIXTURE)


@pytest.mark.parametrize(
    ("text", "method", "drug_id", "product_id"),
    [
        ("baclofen", "exact", "baclofen", None),
        ("BACLOFEN", "exact", "baclofen", None),
        ("  Baclofen ", "exact", "baclofen", None),
        ("Baclo-fen", "exact", "baclofen", None),
        ("baclo fen", "exact", "baclofen", None),
        ("baclofène", "synonym", "baclofen", None),
        ("baclofen hydrochloride", "salt", "baclofen", None),
        ("Baclofen HCl", "salt", "baclofen", None),
        ("Lioresal", "brand", "baclofen", "tablets"),
        ("Kemstro", "brand", "baclofen", "tablets"),
        ("Ozobax", "brand", "baclofen", "ozobax"),
        ("Ozobax DS", "brand", "baclofen", "ozobax_ds"),
        ("ozobax-ds", "brand", "baclofen", "ozobax_ds"),
        ("Fleqsuvy", "brand", "baclofen", "fleqsuvy"),
        ("Lyvispah", "brand", "baclofen", "lyvispah"),
        ("Gablofen", "brand", "baclofen", "gablofen"),
        ("Gablofen intrathecal", "brand", "baclofen", "gablofen"),
        ("Lioresal Intrathecal", "brand", "baclofen", "lioresal_intrathecal"),
        ("baclofin", "fuzzy", "baclofen", None),
        ("baclofn", "fuzzy", "baclofen", None),
        ("tizanadine", "fuzzy", "tizanidine", None),
        ("Zanaflex", "brand", "tizanidine", None),
        ("tizanidine hydrochloride", "salt", "tizanidine", None),
        ("alcohol", "exact", "alcohol", None),
        ("wine", "synonym", "alcohol", None),
        ("beer", "synonym", "alcohol", None),
        ("vodka", "synonym", "alcohol", None),
        ("a glass of wine", "synonym", "alcohol", None),
        ("some beer", "synonym", "alcohol", None),
        ("a bit of vodka", "synonym", "alcohol", None),
        ("valerian root", "exact", "valerian", None),
    ],
)
def test_catalog_names(
    fx: Catalog, text: str, method: str, drug_id: str, product_id: str | None
) -> None:
    r = resolve_name(fx, text)
    assert (r.method, r.drug_id, r.ingredient, r.product_id) == (
        method,
        drug_id,
        drug_id,
        product_id,
    )
    assert r.covered and r.known


@pytest.mark.parametrize(
    "text",
    [
        "bacon",
        "beacon",
        "balcony",
        "xyzzy",
        "",
        "   ",
        "-",
        "aspirin and",
        "tab",
        "the",
        "glass",
        "a glass of",
        "baclo",
        "fen",
        "ozo",
    ],
)
def test_does_not_resolve(fx: Catalog, text: str) -> None:
    r = resolve_name(fx, text)
    assert r.method == "none"
    assert r.ingredient is None and r.drug_id is None and not r.known


def test_fuzzy_threshold_is_pinned() -> None:
    # Changing the threshold changes which misspellings become a drug: a clinical decision.
    assert names.FUZZY_THRESHOLD == 85.0
    assert names.FUZZY_MIN_LENGTH == 5
    # The boundary cases the value was chosen for.
    assert fuzz.ratio("baclofin", "baclofen") >= names.FUZZY_THRESHOLD
    assert fuzz.ratio("tizanadine", "tizanidine") >= names.FUZZY_THRESHOLD
    assert fuzz.ratio("bacon", "baclofen") < names.FUZZY_THRESHOLD
    assert fuzz.ratio("baclophen", "baclofen") < names.FUZZY_THRESHOLD


@pytest.mark.parametrize(
    ("text", "ingredient", "provenance"),
    [
        ("warfarin", "warfarin", "DrugBank"),
        ("Atorvastatin", "atorvastatin", "DrugBank"),
        ("atorvastatin calcium", "atorvastatin", "DrugBank"),
        ("arbaclofen", "arbaclofen", "DrugBank"),  # a different drug, not bent into baclofen
        ("Sirdalud", "tizanidine", "UNII"),
        ("Nardil", "phenelzine", "UNII"),
    ],
)
def test_public_name_lists(fx: Catalog, text: str, ingredient: str, provenance: str) -> None:
    r = resolve_name(fx, text)
    assert r.method == "vocabulary"
    assert r.ingredient == ingredient
    assert r.provenance is not None and provenance in r.provenance


def test_vocabulary_hit_on_covered_drug_links_the_knowledge_file(fx: Catalog) -> None:
    r = resolve_name(fx, "Sirdalud")  # brand only in the FDA list; tizanidine has a file
    assert r.drug_id == "tizanidine" and r.covered


def test_known_but_not_covered(fx: Catalog) -> None:
    r = resolve_name(fx, "warfarin")
    assert r.known and not r.covered and r.drug_id is None


def test_exact_hit_never_loads_or_scans(fx: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_a: object, **_k: object) -> None:
        raise AssertionError("no vocabulary or fuzzy work for an exact hit")

    monkeypatch.setattr(names, "_public_names", boom)
    monkeypatch.setattr(names, "_fuzzy", boom)
    assert resolve_name(fx, "Ozobax DS").product_id == "ozobax_ds"
    assert resolve_name(fx, "baclofen hydrochloride").method == "salt"


def test_the_name_index_is_owned_by_its_catalog(fx: Catalog) -> None:
    import pickle

    first = names._catalog_index(fx)
    assert names._catalog_index(fx) is first
    # a copy sent to a worker process carries the knowledge, not the derived indexes
    copy = pickle.loads(pickle.dumps(fx))
    assert copy._derived == {}
    assert names._catalog_index(copy) is not first
    assert names._catalog_index(copy).exact == first.exact


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Baclo-fen", "baclofen"),
        ("Baclofène", "baclofene"),
        ("OZOBAX DS", "ozobaxds"),
        ("β-x", "x"),
        ("", ""),
    ],
)
def test_name_key(text: str, key: str) -> None:
    assert name_key(text) == key


def test_real_catalog_brands_resolve() -> None:
    catalog = load_catalog()
    drug = catalog.drugs["baclofen"]
    assert drug.brands, "baclofen.yaml lists its brands"
    for brand in drug.brands:
        r = resolve_name(catalog, brand.name)
        assert r.drug_id == "baclofen", brand.name
        assert r.product_id == brand.product, brand.name
    assert resolve_name(catalog, "baclofin").drug_id == "baclofen"
    assert resolve_name(catalog, "bacon").method == "none"


def test_vocabulary_file_is_attributed_and_small() -> None:
    folder = names.VOCABULARY_DIR
    tsv = folder / "names.tsv"
    assert tsv.stat().st_size < 5_000_000
    head = tsv.read_text(encoding="utf-8").splitlines()[:6]
    assert any("CC0" in line for line in head) and any("public domain" in line for line in head)
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "CC0" in readme and "public domain" in readme and "build_vocabulary" in readme
