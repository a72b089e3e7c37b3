"""Compact monographs and drug classes (issue 4, items 1 and 2).

The tables below are the contract the interaction rules rely on: which class each drug is in,
which properties those classes give it (CNS depressant, hypotensive, CYP1A2, ...), which boxed
warnings it carries, and which identity codes it has.
"""

from __future__ import annotations

import csv
import gzip
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from medguide.knowledge.catalog import DATA_DIR, Catalog
from medguide.knowledge.loader import load_catalog
from medguide.knowledge.models.base import Quantity
from medguide.knowledge.models.drug import Drug
from medguide.knowledge.names import resolve_name

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

PROPERTIES = {
    "cns_depressant",
    "respiratory_depressant",
    "hypotensive",
    "bradycardic",
    "serotonergic",
    "mao_inhibitor",
    "cyp1a2_inhibitor",
    "cyp1a2_inhibitor_strong",
    "cyp1a2_substrate",
    "cyp3a4_inducer",
    "qt_prolonging",
    "anticholinergic",
    "hepatotoxic",
    "raises_glucose",
    "lowers_glucose",
    "nephrotoxic",
    "lowers_seizure_threshold",
    "bleeding_risk",
    "raises_potassium",
    "sympathomimetic",
    "cyp2d6_inhibitor",
    "cyp2d6_substrate",
    "cyp3a4_inhibitor_strong",
    "disulfiram_like",
    "nitrate",
    "pde5_inhibitor",
    "cyp3a4_substrate_sensitive",
    "hormonal_contraceptive",
    "valproate",
}

# id, kind, classes it must be in, boxed warning ids it must carry
MONOGRAPHS: list[tuple[str, str, tuple[str, ...], tuple[str, ...]]] = [
    ("tizanidine", "drug", ("skeletal_muscle_relaxant", "alpha2_agonist_muscle_relaxant"), ()),
    (
        "diazepam",
        "drug",
        ("benzodiazepine",),
        ("benzodiazepine_with_opioids", "abuse_misuse_addiction", "dependence_withdrawal"),
    ),
    ("dantrolene", "drug", ("direct_acting_muscle_relaxant",), ("hepatotoxicity",)),
    ("cyclobenzaprine", "drug", ("skeletal_muscle_relaxant", "tca_like_muscle_relaxant"), ()),
    ("oxycodone", "drug", ("opioid",), ("opioid_with_cns_depressants", "cyp3a4_interaction")),
    ("morphine", "drug", ("opioid",), ("opioid_with_cns_depressants",)),
    ("hydromorphone", "drug", ("opioid",), ("opioid_with_cns_depressants",)),
    ("hydrocodone", "drug", ("opioid",), ("opioid_with_cns_depressants",)),
    (
        "tramadol",
        "drug",
        ("opioid", "serotonergic_opioid"),
        ("opioid_with_cns_depressants", "ultra_rapid_metabolism_children"),
    ),
    (
        "fentanyl",
        "drug",
        ("opioid", "serotonergic_opioid"),
        ("opioid_with_cns_depressants", "opioid_tolerant_only"),
    ),
    (
        "codeine",
        "drug",
        ("opioid",),
        ("opioid_with_cns_depressants", "ultra_rapid_metabolism_children"),
    ),
    ("lorazepam", "drug", ("benzodiazepine",), ("benzodiazepine_with_opioids",)),
    ("alprazolam", "drug", ("benzodiazepine",), ("benzodiazepine_with_opioids",)),
    ("clonazepam", "drug", ("benzodiazepine",), ("benzodiazepine_with_opioids",)),
    ("zolpidem", "drug", ("z_drug",), ("complex_sleep_behaviors",)),
    ("eszopiclone", "drug", ("z_drug",), ("complex_sleep_behaviors",)),
    ("gabapentin", "drug", ("gabapentinoid",), ()),
    ("pregabalin", "drug", ("gabapentinoid",), ()),
    ("diphenhydramine", "drug", ("sedating_antihistamine",), ()),
    ("amitriptyline", "drug", ("tricyclic_antidepressant",), ("suicidality",)),
    ("nortriptyline", "drug", ("tricyclic_antidepressant",), ("suicidality",)),
    ("sertraline", "drug", ("ssri",), ("suicidality",)),
    ("fluoxetine", "drug", ("ssri",), ("suicidality",)),
    ("citalopram", "drug", ("ssri", "qt_prolonging_agent"), ("suicidality",)),
    ("escitalopram", "drug", ("ssri",), ("suicidality",)),
    ("duloxetine", "drug", ("snri",), ("suicidality",)),
    ("venlafaxine", "drug", ("snri",), ("suicidality",)),
    ("phenelzine", "drug", ("maoi", "maoi_nonselective"), ("suicidality",)),
    (
        "tranylcypromine",
        "drug",
        ("maoi", "maoi_nonselective"),
        ("suicidality", "hypertensive_crisis_tyramine"),
    ),
    (
        "selegiline",
        "drug",
        ("maoi", "mao_b_inhibitor", "dopaminergic_antiparkinson"),
        ("suicidality",),
    ),
    ("metoprolol", "drug", ("beta_blocker",), ("abrupt_cessation",)),
    ("atenolol", "drug", ("beta_blocker",), ("abrupt_cessation",)),
    ("propranolol", "drug", ("beta_blocker",), ()),
    ("carvedilol", "drug", ("beta_blocker",), ()),
    ("lisinopril", "drug", ("ace_inhibitor",), ("fetal_toxicity",)),
    ("enalapril", "drug", ("ace_inhibitor",), ("fetal_toxicity",)),
    ("ramipril", "drug", ("ace_inhibitor",), ("fetal_toxicity",)),
    ("losartan", "drug", ("angiotensin_receptor_blocker",), ("fetal_toxicity",)),
    (
        "amlodipine",
        "drug",
        ("calcium_channel_blocker", "calcium_channel_blocker_dihydropyridine"),
        (),
    ),
    ("hydrochlorothiazide", "drug", ("thiazide_diuretic",), ()),
    ("clonidine", "drug", ("alpha2_agonist",), ()),
    ("carbidopa_levodopa", "drug", ("dopaminergic_antiparkinson",), ()),
    ("lithium", "drug", ("lithium",), ("lithium_toxicity",)),
    ("metformin", "drug", ("antidiabetic", "biguanide"), ("lactic_acidosis",)),
    ("insulin", "drug", ("antidiabetic", "insulin"), ()),
    (
        "ciprofloxacin",
        "drug",
        ("fluoroquinolone", "cyp1a2_inhibitor_strong_agent"),
        ("fluoroquinolone_serious_reactions",),
    ),
    ("fluvoxamine", "drug", ("ssri", "cyp1a2_inhibitor_strong_agent"), ("suicidality",)),
    (
        "verapamil",
        "drug",
        (
            "calcium_channel_blocker",
            "calcium_channel_blocker_non_dihydropyridine",
            "cyp1a2_inhibitor_agent",
        ),
        (),
    ),
    ("acetaminophen", "drug", ("analgesic_other",), ()),
    (
        "ibuprofen",
        "drug",
        ("nsaid",),
        ("cardiovascular_thrombotic_events", "gastrointestinal_bleeding"),
    ),
    (
        "naproxen",
        "drug",
        ("nsaid",),
        ("cardiovascular_thrombotic_events", "gastrointestinal_bleeding"),
    ),
    ("alcohol", "substance", ("alcohol",), ()),
    ("cannabis", "substance", ("cannabinoid",), ()),
    ("valerian", "herbal", ("herbal_sedative",), ()),
    ("kava", "herbal", ("herbal_sedative", "hepatotoxic_agent"), ()),
    ("melatonin", "substance", ("melatonin_receptor_agonist",), ()),
    ("st_johns_wort", "herbal", ("herbal_antidepressant",), ()),
]
IDS = [row[0] for row in MONOGRAPHS]

# Multi-ingredient or multi-product entries have no single-substance UNII or DrugBank id.
NO_SUBSTANCE_CODES = {"carbidopa_levodopa", "insulin"}
# RxCUIs were entered only where we were confident; these have none on purpose.
NO_RXCUI = {
    "dantrolene",
    "eszopiclone",
    "nortriptyline",
    "fluvoxamine",
    "phenelzine",
    "tranylcypromine",
    "selegiline",
    "carbidopa_levodopa",
    "lithium",
    "insulin",
    "alcohol",
    "cannabis",
    "valerian",
    "kava",
    "melatonin",
    "st_johns_wort",
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def properties(catalog: Catalog, drug: Drug) -> set[str]:
    return {p for c in drug.classes for p in catalog.classes[c].properties}


def test_every_listed_monograph_is_in_the_catalog(catalog: Catalog) -> None:
    assert len(IDS) == len(set(IDS)) == 57
    assert set(IDS) <= set(catalog.drugs)


@pytest.mark.parametrize(("drug_id", "kind", "classes", "boxed"), MONOGRAPHS, ids=IDS)
def test_monograph_identity_classes_and_sources(
    catalog: Catalog, drug_id: str, kind: str, classes: tuple[str, ...], boxed: tuple[str, ...]
) -> None:
    drug = catalog.drugs[drug_id]
    assert drug.kind == kind
    assert drug.depth == "compact"
    assert drug.classes, "a monograph without a class cannot take part in class rules"
    assert set(classes) <= set(drug.classes)
    assert all(c in catalog.classes for c in drug.classes)
    assert drug.sources and all(s in catalog.sources for s in drug.sources)
    assert drug.summary is not None
    got_boxed = {w.id for w in drug.warnings if w.boxed}
    assert set(boxed) <= got_boxed


@pytest.mark.parametrize("drug_id", IDS)
def test_identity_codes_where_expected(catalog: Catalog, drug_id: str) -> None:
    codes = catalog.drugs[drug_id].codes
    if drug_id in NO_SUBSTANCE_CODES:
        assert codes.unii is None and codes.drugbank is None
    else:
        assert codes.unii is not None and re.fullmatch(r"[0-9A-Z]{10}", codes.unii)
        assert codes.drugbank is not None and re.fullmatch(r"DB\d{5}", codes.drugbank)
    if drug_id in NO_RXCUI:
        assert codes.rxcui is None
    else:
        assert codes.rxcui is not None and codes.rxcui.isdigit()
    for atc in codes.atc:
        assert re.fullmatch(r"[A-Z]\d\d[A-Z]{2}\d\d", atc), atc


def _drugbank_rows() -> Iterator[dict[str, str]]:
    path = SHARED_DATA / "drugbank-open-vocabulary" / "drugbank_vocabulary.csv.gz"
    if not path.exists():
        pytest.skip("shared DrugBank vocabulary not present")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        yield from csv.DictReader(fh)


def test_unii_and_drugbank_ids_agree_with_the_drugbank_vocabulary(catalog: Catalog) -> None:
    by_id = {r["DrugBank ID"]: r for r in _drugbank_rows()}
    for drug_id in IDS:
        codes = catalog.drugs[drug_id].codes
        if codes.drugbank is None:
            continue
        row = by_id[codes.drugbank]
        assert row["UNII"] == codes.unii, drug_id


CNS_DEPRESSANTS = [
    "oxycodone",
    "morphine",
    "hydromorphone",
    "hydrocodone",
    "tramadol",
    "fentanyl",
    "codeine",
    "diazepam",
    "lorazepam",
    "alprazolam",
    "clonazepam",
    "zolpidem",
    "eszopiclone",
    "gabapentin",
    "pregabalin",
    "diphenhydramine",
    "alcohol",
    "valerian",
    "kava",
    "melatonin",
    "cannabis",
    "tizanidine",
    "cyclobenzaprine",
    "dantrolene",
    "amitriptyline",
    "clonidine",
    "baclofen",
]
NOT_CNS_DEPRESSANTS = [
    "ibuprofen",
    "naproxen",
    "acetaminophen",
    "lisinopril",
    "losartan",
    "amlodipine",
    "metformin",
    "sertraline",
    "ciprofloxacin",
    "lithium",
]


@pytest.mark.parametrize("drug_id", CNS_DEPRESSANTS)
def test_cns_depressants_get_the_property_from_their_classes(
    catalog: Catalog, drug_id: str
) -> None:
    assert "cns_depressant" in properties(catalog, catalog.drugs[drug_id])


@pytest.mark.parametrize("drug_id", NOT_CNS_DEPRESSANTS)
def test_non_sedating_drugs_are_not_cns_depressants(catalog: Catalog, drug_id: str) -> None:
    assert "cns_depressant" not in properties(catalog, catalog.drugs[drug_id])


@pytest.mark.parametrize(
    ("drug_id", "prop", "present"),
    [
        # opioid boxed warning and the gabapentinoid safety communication: breathing
        ("oxycodone", "respiratory_depressant", True),
        ("diazepam", "respiratory_depressant", True),
        ("pregabalin", "respiratory_depressant", True),
        ("alcohol", "respiratory_depressant", True),
        # tizanidine label: CYP1A2 substrate; fluvoxamine and ciprofloxacin contraindicated
        ("tizanidine", "cyp1a2_substrate", True),
        ("fluvoxamine", "cyp1a2_inhibitor_strong", True),
        ("ciprofloxacin", "cyp1a2_inhibitor_strong", True),
        ("verapamil", "cyp1a2_inhibitor", True),
        ("verapamil", "cyp1a2_inhibitor_strong", False),
        ("sertraline", "cyp1a2_inhibitor_strong", False),
        # serotonin syndrome and MAO inhibition
        ("tramadol", "serotonergic", True),
        ("cyclobenzaprine", "serotonergic", True),
        ("st_johns_wort", "serotonergic", True),
        ("duloxetine", "serotonergic", True),
        ("oxycodone", "serotonergic", False),
        ("phenelzine", "mao_inhibitor", True),
        ("selegiline", "mao_inhibitor", True),
        ("sertraline", "mao_inhibitor", False),
        # blood pressure and heart rate
        ("metoprolol", "hypotensive", True),
        ("metoprolol", "bradycardic", True),
        ("lisinopril", "hypotensive", True),
        ("clonidine", "hypotensive", True),
        ("tizanidine", "hypotensive", True),
        ("baclofen", "hypotensive", True),
        ("verapamil", "bradycardic", True),
        ("amlodipine", "bradycardic", False),
        ("ibuprofen", "hypotensive", False),
        # glucose, liver, QT, anticholinergic
        ("baclofen", "raises_glucose", True),
        ("hydrochlorothiazide", "raises_glucose", True),
        ("insulin", "lowers_glucose", True),
        ("metformin", "lowers_glucose", True),
        ("dantrolene", "hepatotoxic", True),
        ("kava", "hepatotoxic", True),
        ("citalopram", "qt_prolonging", True),
        ("escitalopram", "qt_prolonging", False),
        ("ciprofloxacin", "qt_prolonging", True),
        ("diphenhydramine", "anticholinergic", True),
    ],
)
def test_interaction_properties(catalog: Catalog, drug_id: str, prop: str, present: bool) -> None:
    assert (prop in properties(catalog, catalog.drugs[drug_id])) is present


@pytest.mark.parametrize("drug_id", ["lisinopril", "enalapril", "ramipril", "losartan"])
def test_renin_angiotensin_drugs_carry_fetal_toxicity(catalog: Catalog, drug_id: str) -> None:
    drug = catalog.drugs[drug_id]
    fetal = drug.reproduction.fetal_toxicity
    assert fetal is not None and fetal.severity == "critical" and fetal.sources
    assert any(w.id == "fetal_toxicity" and w.boxed for w in drug.warnings)


def test_no_fetal_toxicity_where_no_source_gives_it(catalog: Catalog) -> None:
    with_fetal = {d for d in IDS if catalog.drugs[d].reproduction.fetal_toxicity is not None}
    assert with_fetal == {"lisinopril", "enalapril", "ramipril", "losartan"}


def _mg(q: Quantity) -> float:
    return q.value * {"g": 1000.0, "mg": 1.0, "mcg": 0.001}[q.unit]


@pytest.mark.parametrize("drug_id", IDS)
def test_dose_limits_are_consistent(catalog: Catalog, drug_id: str) -> None:
    drug = catalog.drugs[drug_id]
    adult_max = [_mg(r.max_daily) for r in drug.dosing if r.max_daily is not None]
    for rule in drug.dosing:
        assert rule.sources
        if rule.max_daily is None:
            continue
        cap = _mg(rule.max_daily)
        if rule.usual_daily is not None:
            low, high = (_mg(q) for q in rule.usual_daily)
            assert low <= high <= cap
        if rule.max_single is not None:
            assert _mg(rule.max_single) <= cap
            if rule.max_doses_per_day is not None:
                # the daily maximum is reachable without breaking the single-dose limit
                assert _mg(rule.max_single) * rule.max_doses_per_day >= cap
        if rule.start is not None:
            assert _mg(rule.start) <= cap
    # an older-adult limit is never higher than the adult one
    for age_rule in drug.age_rules:
        if age_rule.max_daily is not None and adult_max:
            assert _mg(age_rule.max_daily) <= min(adult_max)


@pytest.mark.parametrize("drug_id", IDS)
def test_kidney_bands_only_ever_lower_the_dose(catalog: Catalog, drug_id: str) -> None:
    renal = catalog.drugs[drug_id].renal
    if renal is None:
        return
    bands = [*renal.bands, *([renal.dialysis] if renal.dialysis else [])]
    for band in bands:
        if band.action == "reduce":
            assert band.dose_factor is not None and 0 < band.dose_factor < 1
        if band.judgment:
            assert band.note, "a judgment call says why"
    # lower kidney function never gets a larger factor than a higher band
    ordered = sorted(
        (b for b in renal.bands if b.action == "reduce"),
        key=lambda b: b.below if b.below is not None else float("inf"),
        reverse=True,
    )
    factors = [b.dose_factor or 0.0 for b in ordered]
    assert factors == sorted(factors, reverse=True)


@pytest.mark.parametrize(
    ("drug_id", "below", "action"),
    [
        ("tizanidine", 25, "reduce"),
        ("lisinopril", 30, "reduce"),
        ("lisinopril", 10, "reduce"),
        ("gabapentin", 15, "reduce"),
        ("pregabalin", 60, "reduce"),
        ("duloxetine", 30, "avoid"),
        ("metformin", 30, "avoid"),
        ("ramipril", 40, "reduce"),
    ],
)
def test_key_kidney_bands(catalog: Catalog, drug_id: str, below: float, action: str) -> None:
    renal = catalog.drugs[drug_id].renal
    assert renal is not None
    assert any(b.below == below and b.action == action for b in renal.bands)


@pytest.mark.parametrize(
    ("drug_id", "max_daily_mg", "max_doses"),
    [
        ("tizanidine", 36, 3),
        ("dantrolene", 400, 4),
        ("cyclobenzaprine", 30, 3),
        ("zolpidem", 10, 1),
        ("sertraline", 200, 1),
        ("citalopram", 40, 1),
        ("tramadol", 400, None),
        ("lisinopril", 80, None),
        ("metformin", 2550, None),
        ("acetaminophen", 4000, None),
        ("pregabalin", 600, None),
        ("gabapentin", 3600, None),
    ],
)
def test_usual_adult_maxima(
    catalog: Catalog, drug_id: str, max_daily_mg: float, max_doses: int | None
) -> None:
    rule = next(r for r in catalog.drugs[drug_id].dosing if r.max_daily is not None)
    assert rule.max_daily is not None and _mg(rule.max_daily) == max_daily_mg
    assert rule.max_doses_per_day == max_doses


@pytest.mark.parametrize(
    ("drug_id", "age", "max_daily_mg"),
    [("zolpidem", 70, 5), ("citalopram", 65, 20), ("tramadol", 80, 300), ("eszopiclone", 70, 2)],
)
def test_older_adult_caps(catalog: Catalog, drug_id: str, age: float, max_daily_mg: float) -> None:
    rules = [r for r in catalog.drugs[drug_id].age_rules if r.age_years.contains(age)]
    assert any(r.max_daily is not None and _mg(r.max_daily) == max_daily_mg for r in rules)


@pytest.mark.parametrize(
    "drug_id",
    [
        "tizanidine",
        "diazepam",
        "lorazepam",
        "alprazolam",
        "clonazepam",
        "clonidine",
        "gabapentin",
        "pregabalin",
    ],
)
def test_drugs_that_must_not_be_stopped_abruptly_say_how_to_stop(
    catalog: Catalog, drug_id: str
) -> None:
    drug = catalog.drugs[drug_id]
    assert drug.taper is not None or any(w.prevention for w in drug.withdrawal)


@pytest.mark.parametrize("drug_id", ["metoprolol", "carvedilol", "clonidine"])
def test_tapers_with_a_labelled_length(catalog: Catalog, drug_id: str) -> None:
    taper = catalog.drugs[drug_id].taper
    assert taper is not None and taper.min_days >= 2 and taper.sources


@pytest.mark.parametrize(
    ("text", "drug_id"),
    [
        ("a glass of wine", "alcohol"),
        ("beer", "alcohol"),
        ("a drink", "alcohol"),
        ("vodka", "alcohol"),
        ("St. John's wort", "st_johns_wort"),
        ("hypericum", "st_johns_wort"),
        ("Sinemet", "carbidopa_levodopa"),
        ("levodopa", "carbidopa_levodopa"),
        ("carbidopa-levodopa", "carbidopa_levodopa"),
        ("paracetamol", "acetaminophen"),
        ("Tylenol", "acetaminophen"),
        ("marijuana", "cannabis"),
        ("THC", "cannabis"),
        ("kava kava", "kava"),
        ("Zanaflex", "tizanidine"),
        ("Lopressor", "metoprolol"),
        ("HCTZ", "hydrochlorothiazide"),
    ],
)
def test_everyday_names_resolve(catalog: Catalog, text: str, drug_id: str) -> None:
    assert resolve_name(catalog, text).drug_id == drug_id


def test_cbd_is_not_taken_for_cannabis(catalog: Catalog) -> None:
    # CBD is a different ingredient; guessing cannabis would add THC's sedation to it
    assert resolve_name(catalog, "CBD").drug_id != "cannabis"


@pytest.mark.parametrize("drug_id", IDS)
def test_every_name_of_a_monograph_resolves_to_it(catalog: Catalog, drug_id: str) -> None:
    drug = catalog.drugs[drug_id]
    for name in (drug.name, *drug.synonyms, *(b.name for b in drug.brands)):
        assert resolve_name(catalog, name).drug_id == drug_id, name


@pytest.mark.parametrize("drug_id", IDS)
def test_indications_match_the_kind_of_product(catalog: Catalog, drug_id: str) -> None:
    drug = catalog.drugs[drug_id]
    for ind in drug.indications:
        assert ind.sources and all(s in catalog.sources for s in ind.sources), ind.condition
    approved = [i for i in drug.indications if i.status == "approved"]
    if drug.kind == "drug":
        # "what is it used for" needs an answer, and an approval rests on a label
        assert approved, "a medicine lists at least one approved use"
        for ind in approved:
            kinds = {catalog.sources[s].kind for s in ind.sources}
            assert "label" in kinds, ind.condition
    else:
        # substances and herbal products have no approval; a described use is off-label
        assert not approved
        assert all(i.status == "off_label" for i in drug.indications)


@pytest.mark.parametrize(
    ("drug_id", "condition", "status"),
    [
        ("tizanidine", "spasticity", "approved"),
        ("gabapentin", "nerve pain after shingles", "approved"),
        ("dantrolene", "chronic spasticity", "approved"),
        ("cyclobenzaprine", "spasticity", "not_indicated"),
        ("fentanyl", "short-term, as-needed or mild pain", "not_indicated"),
        ("st_johns_wort", "low mood and depression", "off_label"),
    ],
)
def test_key_indications(catalog: Catalog, drug_id: str, condition: str, status: str) -> None:
    got = {i.condition: i.status for i in catalog.drugs[drug_id].indications}
    assert got.get(condition) == status


# --- classes ------------------------------------------------------------------------------


def _legend(section: str) -> list[str]:
    """Lines of one section of the legend comment at the top of classes.yaml."""
    text = (DATA_DIR / "classes.yaml").read_text(encoding="utf-8")
    head = text.split("\nclasses:", 1)[0]
    block = head.split(f"# {section}\n", 1)[1].split("\n#\n", 1)[0]
    return [line.lstrip("#").strip() for line in block.splitlines()]


def test_class_properties_are_from_the_documented_list(catalog: Catalog) -> None:
    used = {p for c in catalog.classes.values() for p in c.properties}
    assert used <= PROPERTIES
    assert {line.split()[0] for line in _legend("Property ids")} == PROPERTIES


def test_legend_lists_every_class(catalog: Catalog) -> None:
    listed = [
        c.strip()
        for line in _legend("Class ids (final list)")
        for c in line.split(",")
        if c.strip()
    ]
    assert sorted(listed) == sorted(catalog.classes)


def test_every_class_is_used_and_parents_exist(catalog: Catalog) -> None:
    used = {c for d in catalog.drugs.values() for c in d.classes}
    used |= {c for e in catalog.class_entries.values() for c in e.classes}
    used |= {p for c in used if (p := catalog.classes[c].parent)}  # entries imply parents
    assert used == set(catalog.classes)
    for cls in catalog.classes.values():
        assert cls.parent is None or cls.parent in catalog.classes


def test_drugs_list_their_parent_classes_too(catalog: Catalog) -> None:
    # membership is by ingredient and flat: class_members(parent) must find subclass members
    for drug in catalog.drugs.values():
        for cls in drug.classes:
            parent = catalog.classes[cls].parent
            assert parent is None or parent in drug.classes, (drug.id, cls)


def test_property_groups_have_no_atc_code(catalog: Catalog) -> None:
    groups = [c for c in catalog.classes.values() if c.id.endswith("_agent")]
    assert {g.id for g in groups} == {
        "cyp1a2_inhibitor_strong_agent",
        "cyp1a2_inhibitor_agent",
        "qt_prolonging_agent",
        "hepatotoxic_agent",
        "sedating_antiepileptic_agent",
        "enzyme_inducing_antiepileptic_agent",
        "sedating_anticholinergic_agent",
        "nephrotoxic_agent",
        "seizure_threshold_lowering_agent",
        "cyp2d6_inhibitor_agent",
        "cyp2d6_substrate_agent",
        "cyp3a4_inhibitor_strong_agent",
        "mao_inhibiting_agent",
        "cyp3a4_sensitive_substrate_agent",
        "hormonal_contraceptive_agent",
        "valproate_agent",
    }
    assert all(not g.atc for g in groups)


def test_class_members_for_the_interaction_rules(catalog: Catalog) -> None:
    members = catalog.class_members
    assert set(members("opioid")) >= {
        "oxycodone",
        "morphine",
        "hydromorphone",
        "hydrocodone",
        "tramadol",
        "fentanyl",
        "codeine",
    }
    assert set(members("benzodiazepine")) == {"diazepam", "lorazepam", "alprazolam", "clonazepam"}
    assert set(members("maoi")) == {"phenelzine", "tranylcypromine", "selegiline"}
    assert set(members("cyp1a2_inhibitor_strong_agent")) == {"fluvoxamine", "ciprofloxacin"}
    assert "tizanidine" not in members("alpha2_agonist")
