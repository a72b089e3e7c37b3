"""Interaction screen: pairwise rules, burden groups, duplicates, the NDF-RT layer.

Most cases run on a fixture knowledge folder built from the real sources, classes,
interaction rules and NDF-RT table, plus small drug files carrying only identity and classes:
the rules are tested against the real class ids without depending on monograph prose.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medguide.clinical.findings import ADVICE_CODES, FINDING_CODES, SEVERITY_RANK
from medguide.clinical.interactions import (
    MAX_SCREEN_ITEMS,
    ScreenItem,
    TooManyItems,
    check_interactions,
    screen,
)
from medguide.clinical.model import Resolved
from medguide.knowledge.catalog import DATA_DIR, Catalog, load_catalog_from
from medguide.knowledge.interaction_index import (
    build_index,
    check_rule_references,
    interaction_index,
)
from medguide.knowledge.models.interactions import InteractionFile

# id → (classes, kind, DrugBank id). Classes are the real ids of classes.yaml.
FIXTURE_DRUGS: dict[str, tuple[list[str], str, str | None]] = {
    "baclofen": (["skeletal_muscle_relaxant", "gaba_b_agonist"], "drug", "DB00181"),
    "tizanidine": (
        ["skeletal_muscle_relaxant", "alpha2_agonist_muscle_relaxant"],
        "drug",
        "DB00697",
    ),
    "cyclobenzaprine": (
        ["skeletal_muscle_relaxant", "tca_like_muscle_relaxant"],
        "drug",
        "DB00924",
    ),
    "dantrolene": (["direct_acting_muscle_relaxant"], "drug", "DB01219"),
    "duloxetine": (["snri", "cyp2d6_inhibitor_agent"], "drug", "DB00476"),
    "eszopiclone": (["z_drug"], "drug", "DB00402"),
    "oxycodone": (["opioid"], "drug", "DB00497"),
    "morphine": (["opioid"], "drug", "DB00295"),
    "hydromorphone": (["opioid"], "drug", "DB00327"),
    "tramadol": (["opioid", "serotonergic_opioid"], "drug", "DB00193"),
    "diazepam": (["benzodiazepine"], "drug", "DB00829"),
    "lorazepam": (["benzodiazepine"], "drug", "DB00186"),
    "zolpidem": (["z_drug"], "drug", "DB00425"),
    "gabapentin": (["gabapentinoid"], "drug", "DB00996"),
    "pregabalin": (["gabapentinoid"], "drug", "DB00230"),
    "diphenhydramine": (["sedating_antihistamine"], "drug", "DB01075"),
    "amitriptyline": (["tricyclic_antidepressant"], "drug", "DB00321"),
    "sertraline": (["ssri"], "drug", "DB01104"),
    "fluoxetine": (["ssri"], "drug", "DB00472"),
    "phenelzine": (["maoi", "maoi_nonselective"], "drug", "DB00780"),
    "metoprolol": (["beta_blocker"], "drug", "DB00264"),
    "lisinopril": (["ace_inhibitor"], "drug", "DB00722"),
    "amlodipine": (
        ["calcium_channel_blocker", "calcium_channel_blocker_dihydropyridine"],
        "drug",
        "DB00381",
    ),
    "clonidine": (["alpha2_agonist"], "drug", "DB00575"),
    "carbidopa_levodopa": (["dopaminergic_antiparkinson"], "drug", "DB01235"),
    "lithium": (["lithium"], "drug", "DB01356"),
    "metformin": (["antidiabetic", "biguanide"], "drug", "DB00331"),
    "ciprofloxacin": (["fluoroquinolone", "cyp1a2_inhibitor_strong_agent"], "drug", "DB00537"),
    "fluvoxamine": (["ssri", "cyp1a2_inhibitor_strong_agent"], "drug", "DB00176"),
    "verapamil": (
        [
            "calcium_channel_blocker",
            "calcium_channel_blocker_non_dihydropyridine",
            "cyp1a2_inhibitor_agent",
        ],
        "drug",
        "DB00661",
    ),
    "acetaminophen": (["analgesic_other"], "drug", "DB00316"),
    "ibuprofen": (["nsaid"], "drug", "DB01050"),
    "naproxen": (["nsaid"], "drug", "DB00788"),
    "alcohol": (["alcohol"], "substance", "DB00898"),
    "valerian": (["herbal_sedative"], "herbal", None),
    "kava": (["herbal_sedative"], "herbal", None),
    "melatonin": (["melatonin_receptor_agonist"], "herbal", None),
}


def write_fixture_kb(root: Path, ndfrt_rows: list[str] | None = None) -> Path:
    """A knowledge folder with the real shared files and identity-only drug files."""
    for name in ("sources.yaml", "classes.yaml", "interactions.yaml"):
        shutil.copy(DATA_DIR / name, root / name)
    if ndfrt_rows is None:
        shutil.copytree(DATA_DIR / "ndfrt", root / "ndfrt")
    else:
        (root / "ndfrt").mkdir()
        header = "nui\tseverity\ta_drugbank\ta_name\ta_aliases\tb_drugbank\tb_name\tb_aliases\n"
        (root / "ndfrt" / "va_ndfrt_2014.tsv").write_text(
            "# test rows\n" + header + "".join(r + "\n" for r in ndfrt_rows), encoding="utf-8"
        )
    (root / "drugs").mkdir()
    for did, (classes, kind, drugbank) in FIXTURE_DRUGS.items():
        doc: dict[str, object] = {
            "id": did,
            "name": did.replace("_", "/"),
            "kind": kind,
            "classes": classes,
        }
        if drugbank:
            doc["codes"] = {"drugbank": drugbank}
        (root / "drugs" / f"{did}.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return load_catalog_from(write_fixture_kb(tmp_path_factory.mktemp("kb")))


def items(*names: str, routes: dict[str, str] | None = None) -> list[ScreenItem]:
    routes = routes or {}
    return [ScreenItem(n, n if n in FIXTURE_DRUGS else None, n, routes.get(n)) for n in names]


def pair_findings(result_findings: tuple[object, ...]) -> dict[frozenset[str], object]:
    return {frozenset(f.drugs): f for f in result_findings if f.code == "interaction"}  # type: ignore[attr-defined]


# --- the rules file itself ----------------------------------------------------------------


def test_rules_reference_only_known_ids(kb: Catalog) -> None:
    assert check_rule_references(kb) == []


def test_every_rule_cites_known_sources_and_judgments_have_notes(kb: Catalog) -> None:
    f = kb.interactions
    assert len(f.rules) >= 25 and f.groups and f.duplicates and f.pairwise_layers
    for rule in (*f.rules, *f.groups, *f.duplicates):
        assert rule.sources and all(s in kb.sources for s in rule.sources), rule.id
        if rule.severity_judgment:
            assert rule.note
        assert set(rule.management.advice) <= ADVICE_CODES


def _validate_rules(rules: list[dict[str, object]]) -> InteractionFile:
    # JSON mode, as the catalog loads files
    return InteractionFile.model_validate_json(json.dumps({"rules": rules}))


def test_severity_judgment_without_note_is_rejected() -> None:
    rule = {
        "id": "x",
        "a": {"drugs": ["baclofen"]},
        "b": {"drugs": ["alcohol"]},
        "effect": "e",
        "mechanism": "m",
        "severity": "minor",
        "management": {"text": "t"},
        "evidence": "judgment",
        "sources": ["S1"],
        "severity_judgment": True,
    }
    with pytest.raises(ValueError, match="needs a note"):
        _validate_rules([rule])


def test_unknown_advice_code_is_rejected() -> None:
    rule = {
        "id": "x",
        "a": {"drugs": ["baclofen"]},
        "b": {"drugs": ["alcohol"]},
        "effect": "e",
        "mechanism": "m",
        "severity": "minor",
        "management": {"text": "t", "advice": ["drink_water"]},
        "evidence": "judgment",
        "sources": ["S1"],
    }
    with pytest.raises(ValueError, match="unknown advice"):
        _validate_rules([rule])


def test_rule_naming_an_unknown_group_is_rejected() -> None:
    rule = {
        "id": "x",
        "a": {"drugs": ["baclofen"]},
        "b": {"drugs": ["alcohol"]},
        "effect": "e",
        "mechanism": "m",
        "severity": "minor",
        "management": {"text": "t"},
        "evidence": "judgment",
        "sources": ["S1"],
        "group": "nope",
    }
    with pytest.raises(ValueError, match="unknown group"):
        _validate_rules([rule])


# --- pairs: expected severity per the fact base (§12-§14) ---------------------------------

PAIRS = [
    # (a, b, interaction severity, finding severity, rule that must win)
    ("baclofen", "oxycodone", "major", "high", "baclofen_opioid"),
    ("baclofen", "hydromorphone", "major", "high", "baclofen_opioid"),
    ("baclofen", "tramadol", "major", "high", "baclofen_opioid"),
    ("baclofen", "diazepam", "major", "high", "baclofen_benzodiazepine"),
    ("baclofen", "zolpidem", "moderate", "moderate", "baclofen_z_drug"),
    ("baclofen", "pregabalin", "moderate", "moderate", "baclofen_gabapentinoid"),
    ("baclofen", "diphenhydramine", "moderate", "moderate", "baclofen_sedating_antihistamine"),
    ("baclofen", "alcohol", "moderate", "moderate", "baclofen_alcohol"),
    ("baclofen", "kava", "moderate", "moderate", "baclofen_kava"),
    ("baclofen", "valerian", "moderate", "moderate", "baclofen_herbal_sedative"),
    ("baclofen", "melatonin", "minor", "low", "baclofen_melatonin"),
    ("baclofen", "tizanidine", "moderate", "moderate", "baclofen_muscle_relaxant"),
    ("baclofen", "dantrolene", "moderate", "moderate", "baclofen_muscle_relaxant"),
    ("baclofen", "metoprolol", "moderate", "moderate", "baclofen_antihypertensive"),
    ("baclofen", "lisinopril", "moderate", "moderate", "baclofen_antihypertensive"),
    ("baclofen", "amitriptyline", "moderate", "moderate", "baclofen_tricyclic"),
    ("baclofen", "phenelzine", "moderate", "moderate", "baclofen_maoi"),
    ("baclofen", "carbidopa_levodopa", "moderate", "moderate", "baclofen_levodopa"),
    ("baclofen", "lithium", "moderate", "moderate", "baclofen_lithium"),
    ("baclofen", "metformin", "moderate", "moderate", "baclofen_antidiabetic"),
    ("baclofen", "sertraline", "minor", "low", "baclofen_ssri_minor"),
    ("tizanidine", "fluvoxamine", "contraindicated", "critical", "tizanidine_cyp1a2_strong"),
    ("tizanidine", "ciprofloxacin", "contraindicated", "critical", "tizanidine_cyp1a2_strong"),
    ("tizanidine", "verapamil", "major", "high", "tizanidine_cyp1a2_other"),
    ("tizanidine", "clonidine", "major", "high", "tizanidine_alpha2_agonist"),
    ("tizanidine", "lisinopril", "moderate", "moderate", "tizanidine_antihypertensive"),
    ("oxycodone", "diazepam", "major", "high", "opioid_benzodiazepine"),
    ("oxycodone", "gabapentin", "major", "high", "opioid_gabapentinoid"),
    ("oxycodone", "alcohol", "major", "high", "opioid_cns_depressant"),
    ("morphine", "zolpidem", "major", "high", "opioid_cns_depressant"),
    ("phenelzine", "sertraline", "contraindicated", "critical", "maoi_serotonergic"),
    ("phenelzine", "amitriptyline", "contraindicated", "critical", "maoi_serotonergic"),
    ("phenelzine", "tramadol", "contraindicated", "critical", "maoi_serotonergic"),
    ("phenelzine", "oxycodone", "major", "high", "maoi_opioid"),
    ("cyclobenzaprine", "phenelzine", "contraindicated", "critical", "cyclobenzaprine_maoi"),
    ("cyclobenzaprine", "sertraline", "major", "high", "cyclobenzaprine_ssri_snri"),
    ("tramadol", "sertraline", "major", "high", "serotonergic_opioid_serotonergic"),
    ("dantrolene", "verapamil", "major", "high", "dantrolene_verapamil"),
]


@pytest.mark.parametrize(("a", "b", "severity", "finding_severity", "rule"), PAIRS)
def test_pair_severity(
    kb: Catalog, a: str, b: str, severity: str, finding_severity: str, rule: str
) -> None:
    for order in ((a, b), (b, a)):  # the order given never changes the answer
        result = screen(kb, items(*order))
        pairs = pair_findings(result.findings)
        f = pairs[frozenset((a, b))]
        assert f.details["severity"] == severity  # type: ignore[attr-defined]
        assert f.severity == finding_severity  # type: ignore[attr-defined]
        assert f.details["rule"] == rule  # type: ignore[attr-defined]
        assert f.sources and all(s in kb.sources for s in f.sources)  # type: ignore[attr-defined]


NO_INTERACTION = [
    ("baclofen", "ibuprofen"),
    ("baclofen", "naproxen"),
    ("baclofen", "acetaminophen"),
    ("metformin", "acetaminophen"),
]


@pytest.mark.parametrize(("a", "b"), NO_INTERACTION)
def test_pairs_with_no_interaction_give_nothing(kb: Catalog, a: str, b: str) -> None:
    result = screen(kb, items(a, b))
    assert result.findings == ()
    assert result.not_checked == ()


def test_tizanidine_fluvoxamine_names_its_mechanism(kb: Catalog) -> None:
    f = pair_findings(screen(kb, items("tizanidine", "fluvoxamine")).findings)[
        frozenset(("tizanidine", "fluvoxamine"))
    ]
    assert f.severity == "critical"  # type: ignore[attr-defined]
    assert "CYP1A2" in f.details["mechanism"]  # type: ignore[attr-defined]
    assert "I-phansalkar-2012" in f.sources  # type: ignore[attr-defined]
    # the weaker CYP1A2 rule also fitted and is listed, not shown as a second alert
    assert [m["rule"] for m in f.details["also_matched"]] == [  # type: ignore[attr-defined]
        "tizanidine_cyp1a2_other"
    ]


def test_intrathecal_route_rule_applies_only_intrathecally(kb: Catalog) -> None:
    oral = pair_findings(screen(kb, items("baclofen", "morphine")).findings)
    f = oral[frozenset(("baclofen", "morphine"))]
    also = [m["rule"] for m in f.details.get("also_matched", [])]  # type: ignore[attr-defined]
    assert "intrathecal_baclofen_morphine" not in also
    assert "shortness of breath" not in f.message  # type: ignore[attr-defined]
    it = pair_findings(
        screen(kb, items("baclofen", "morphine", routes={"baclofen": "intrathecal"})).findings
    )
    g = it[frozenset(("baclofen", "morphine"))]
    # the general opioid rule is more severe and wins; the intrathecal one is kept inside
    assert g.details["rule"] == "baclofen_opioid"  # type: ignore[attr-defined]
    also = [m["rule"] for m in g.details["also_matched"]]  # type: ignore[attr-defined]
    assert "intrathecal_baclofen_morphine" in also
    assert "shortness of breath" in g.message  # type: ignore[attr-defined]
    assert "S10" in g.sources  # type: ignore[attr-defined]


# --- whole-regimen rules --------------------------------------------------------------------


def test_cns_burden_replaces_pair_alerts(kb: Catalog) -> None:
    result = screen(kb, items("baclofen", "hydromorphone", "pregabalin", "alcohol"))
    burdens = [f for f in result.findings if f.code == "cns_depressant_burden"]
    assert len(burdens) == 1
    b = burdens[0]
    assert set(b.drugs) == {"baclofen", "hydromorphone", "pregabalin", "alcohol"}
    # an opioid, another sedative and baclofen: the severity table makes it critical
    assert b.severity == "critical"
    assert b.details["escalation"] == "opioid_sedative_baclofen"
    assert b.details["strongest_pair"]["severity"] == "major"
    assert "hydromorphone" in b.details["strongest_pair"]["pair"]
    # every pair among the four has a CNS rule
    assert len(b.details["pairs"]) == 6
    assert "avoid_alcohol" in b.advice
    assert all(s in kb.sources for s in b.sources) and "S58" in b.sources
    # no pile of pair alerts for the same drugs
    assert [f for f in result.findings if f.code == "interaction"] == []


def test_two_cns_depressants_give_a_pair_not_a_burden(kb: Catalog) -> None:
    result = screen(kb, items("baclofen", "oxycodone"))
    assert [f.code for f in result.findings] == ["interaction"]


def test_burden_keeps_pairs_with_another_concern(kb: Catalog) -> None:
    # tizanidine + fluvoxamine is pharmacokinetic and contraindicated: never folded away
    result = screen(kb, items("tizanidine", "fluvoxamine", "oxycodone", "baclofen"))
    codes = [(f.code, f.severity) for f in result.findings]
    assert ("interaction", "critical") in codes
    assert ("cns_depressant_burden", "critical") in codes  # opioid + tizanidine + baclofen
    assert ("interaction", "low") in codes  # baclofen + fluvoxamine (SSRI), minor


def test_burden_counts_substances_and_herbals(kb: Catalog) -> None:
    result = screen(kb, items("baclofen", "alcohol", "valerian"))
    b = next(f for f in result.findings if f.code == "cns_depressant_burden")
    assert b.severity == "high"  # group floor is major even when its pairs are moderate
    assert b.details["strongest_pair"]["severity"] == "moderate"


def test_hypotension_burden(kb: Catalog) -> None:
    result = screen(kb, items("baclofen", "lisinopril", "amlodipine"))
    b = [f for f in result.findings if f.code == "hypotension_burden"]
    assert len(b) == 1 and set(b[0].drugs) == {"baclofen", "lisinopril", "amlodipine"}
    assert b[0].severity == "moderate"
    assert [f for f in result.findings if f.code == "interaction"] == []


@pytest.mark.parametrize(
    ("names", "cls"),
    [
        (("oxycodone", "morphine"), "opioid"),
        (("diazepam", "lorazepam"), "benzodiazepine"),
        (("ibuprofen", "naproxen"), "nsaid"),
        (("sertraline", "fluoxetine"), "ssri"),
    ],
)
def test_duplicate_therapy(kb: Catalog, names: tuple[str, str], cls: str) -> None:
    dups = [f for f in screen(kb, items(*names)).findings if f.code == "duplicate_therapy"]
    assert len(dups) == 1
    assert dups[0].details["class"] == cls and set(dups[0].drugs) == set(names)
    assert dups[0].sources


def test_same_ingredient_twice_is_not_a_duplicate_or_interaction(kb: Catalog) -> None:
    assert screen(kb, items("oxycodone", "oxycodone")).findings == ()


# --- the NDF-RT layer -------------------------------------------------------------------------


def test_ndfrt_corroborates_a_hand_rule_which_wins(kb: Catalog) -> None:
    f = pair_findings(screen(kb, items("tizanidine", "ciprofloxacin")).findings)[
        frozenset(("tizanidine", "ciprofloxacin"))
    ]
    assert f.details["severity"] == "contraindicated"  # hand rule, not NDF-RT's major
    nd = f.details["ndfrt"]
    assert nd["rating"] == "Critical" and nd["severity"] == "major"
    assert nd["provenance"] == "VA NDF-RT 2014, frozen"
    assert "I-va-ndfrt-2014" in f.sources


@pytest.mark.parametrize(
    ("a", "b", "rating", "severity"),
    [
        ("tizanidine", "acyclovir", "Critical", "high"),
        ("oxycodone", "verapamil", "Significant", "moderate"),
    ],
)
def test_ndfrt_only_pairs(kb: Catalog, a: str, b: str, rating: str, severity: str) -> None:
    f = pair_findings(screen(kb, items(a, b)).findings)[frozenset((a, b))]
    assert f.details["rule"] is None
    assert f.details["ndfrt"]["rating"] == rating
    assert f.severity == severity
    assert f.sources == ("I-va-ndfrt-2014",)
    assert "2014" in f.message


def test_ndfrt_reaches_drugs_without_a_monograph(kb: Catalog) -> None:
    for name in ("acyclovir", "aciclovir", "Acyclovir"):
        result = screen(
            kb, [ScreenItem("tizanidine", "tizanidine", "tizanidine"), ScreenItem(name, None, name)]
        )
        f = result.findings[0]
        assert f.details["ndfrt"]["rating"] == "Critical"
        assert f.drugs == ("tizanidine", "acyclovir")
        # the class rules could not be checked for acyclovir: said, not passed in silence
        assert result.not_checked and "acyclovir" in result.not_checked[0].reason


def test_hand_rule_wins_over_ndfrt_with_a_stricter_ndfrt_rating(tmp_path: Path) -> None:
    # A synthetic NDF-RT row rating baclofen + zolpidem Critical (major): the hand rule
    # (moderate) still decides, and the row is shown as corroboration.
    row = "N1\tCritical\tDB00181\tbaclofen\t\tDB00425\tzolpidem\t"
    cat = load_catalog_from(write_fixture_kb(tmp_path, [row]))
    f = screen(cat, items("baclofen", "zolpidem")).findings[0]
    assert f.details["rule"] == "baclofen_z_drug" and f.severity == "moderate"
    assert f.details["ndfrt"]["concept_ids"] == ["N1"]


def test_ndfrt_maps_drugbank_ids_onto_catalog_ids(kb: Catalog) -> None:
    index = interaction_index(kb)
    # NDF-RT writes ethanol and levodopa; the catalog calls them alcohol and carbidopa_levodopa
    assert index.key_for(None, "ethanol") == "alcohol"
    assert index.key_for(None, "levodopa") == "carbidopa_levodopa"
    assert frozenset(("carbidopa_levodopa", "phenelzine")) in index.pairwise
    assert len(index.pairwise) > 2500


def test_index_is_built_once_per_catalog(kb: Catalog) -> None:
    assert interaction_index(kb) is interaction_index(kb) is kb.index
    assert build_index(kb) is not interaction_index(kb)


def test_index_is_frozen_and_built_at_load(kb: Catalog) -> None:
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        kb.index.rules = ()  # type: ignore[misc]
    assert not hasattr(kb.index, "memo") and not hasattr(kb.index, "results")


def test_screen_does_not_read_files(kb: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    # the NDF-RT table was read when the catalog loaded; a screen opens nothing
    import builtins
    import io

    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("the screen opened a file")

    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(io, "open", refuse)
    monkeypatch.setattr(Path, "open", refuse)
    assert screen(kb, items("tizanidine", "ciprofloxacin")).findings


def test_pair_memo_stays_bounded_over_many_new_lists(tmp_path: Path) -> None:
    import random

    from medguide.knowledge.interaction_index import PairMemo

    cat = load_catalog_from(write_fixture_kb(tmp_path))
    object.__setattr__(cat, "pair_memo", PairMemo(limit=500))
    pool = [*FIXTURE_DRUGS, "warfarin", "acyclovir", "rifampicin", "clarithromycin"]
    rng = random.Random(9)
    first = None
    for i in range(3000):
        names = rng.sample(pool, 8)
        routes = {n: rng.choice(["oral", "intrathecal", "intravenous"]) for n in names}
        result = screen(cat, items(*names, routes=routes))
        if i == 0:
            first = (names, routes, result.findings)
        assert len(cat.pair_memo) <= 500
    assert len(cat.pair_memo) == 500
    # a memo hit and a fresh computation give the same findings
    assert first is not None
    cat.pair_memo.clear()
    assert screen(cat, items(*first[0], routes=first[1])).findings == first[2]


# --- limits and assess ------------------------------------------------------------------------


def test_too_many_items_is_refused(kb: Catalog) -> None:
    with pytest.raises(TooManyItems, match=f"at most {MAX_SCREEN_ITEMS}"):
        screen(kb, items(*(["baclofen"] * 500)))


def test_unresolved_items_are_skipped(kb: Catalog) -> None:
    result = screen(kb, [ScreenItem("xyzzy", None, None), *items("baclofen", "oxycodone")])
    assert len(result.findings) == 1 and result.screened == ("baclofen", "oxycodone")


def test_check_interactions_inside_assess_counts_substances(kb: Catalog) -> None:
    from medguide.clinical.context import Context
    from medguide.clinical.model import Order
    from medguide.clinical.request import AssessRequest

    def order(i: int, name: str, route: str | None = None) -> Order:
        r = Resolved(name, name, name, None, name, "exact", 1.0)
        return Order(i, name, r, None, None, route, None)

    request = AssessRequest.model_validate(
        {
            "medications": [{"drug": "baclofen"}, {"drug": "hydromorphone"}],
            "substances": ["alcohol"],
        }
    )
    ctx = Context(
        catalog=kb,
        request=request,
        now=None,
        orders=(order(0, "baclofen"), order(1, "hydromorphone")),
        substances=(
            Resolved("a glass of wine", "alcohol", "alcohol", None, "wine", "synonym", 1.0),
        ),
    )
    result = check_interactions(ctx)
    assert [f.code for f in result.findings] == ["cns_depressant_burden"]
    assert result.computed["interactions_screened"] == ["baclofen", "hydromorphone", "alcohol"]


def test_check_interactions_over_the_limit_is_not_checked(kb: Catalog) -> None:
    from medguide.clinical.context import Context
    from medguide.clinical.model import Order
    from medguide.clinical.request import AssessRequest

    r = Resolved("baclofen", "baclofen", "baclofen", None, "baclofen", "exact", 1.0)
    request = AssessRequest.model_validate({"medications": [{"drug": "baclofen"}]})
    ctx = Context(
        kb, request, None, tuple(Order(i, "b", r, None, None, None, None) for i in range(120)), ()
    )
    result = check_interactions(ctx)
    assert result.findings == ()
    assert result.not_checked and "at most 100" in result.not_checked[0].reason


# --- safety invariants ------------------------------------------------------------------------

DRUG_IDS = sorted(FIXTURE_DRUGS)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(DRUG_IDS), min_size=0, max_size=12), st.randoms())
def test_screen_invariants(kb: Catalog, names: list[str], rnd: object) -> None:
    result = screen(kb, items(*names))
    # sorted most severe first
    ranks = [SEVERITY_RANK[f.severity] for f in result.findings]
    assert ranks == sorted(ranks, reverse=True)
    seen_pairs: set[frozenset[str]] = set()
    for f in result.findings:
        assert f.code in FINDING_CODES
        assert f.sources and all(s in kb.sources for s in f.sources)  # every finding cites
        assert set(f.drugs) <= set(names)
        if f.code == "interaction":
            pair = frozenset(f.drugs)
            assert len(pair) == 2 and pair not in seen_pairs  # one finding per pair
            seen_pairs.add(pair)
    # the order the names come in does not change what is found
    shuffled = list(names)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    again = screen(kb, items(*shuffled))
    key = {(f.code, frozenset(f.drugs), f.severity) for f in result.findings}
    assert key == {(f.code, frozenset(f.drugs), f.severity) for f in again.findings}


# --- the packaged catalog, tried as a new user would ---------------------------------------


@pytest.fixture(scope="module")
def real() -> Catalog:
    from medguide.knowledge.loader import load_catalog

    return load_catalog()


def real_items(cat: Catalog, *names: str) -> list[ScreenItem]:
    from medguide.knowledge.names import resolve_name

    return [ScreenItem.from_resolved(resolve_name(cat, n)) for n in names]


def test_packaged_rules_reference_only_known_ids(real: Catalog) -> None:
    assert check_rule_references(real) == []


def test_packaged_done_when(real: Catalog) -> None:
    tf = screen(real, real_items(real, "tizanidine", "fluvoxamine")).findings
    assert [(f.code, f.details["severity"]) for f in tf] == [("interaction", "contraindicated")]
    assert "CYP1A2" in tf[0].details["mechanism"]

    burden = screen(
        real, real_items(real, "baclofen", "hydromorphone", "pregabalin", "a glass of wine")
    ).findings
    assert [f.code for f in burden] == ["cns_depressant_burden"]
    assert "alcohol" in burden[0].drugs
    assert burden[0].details["strongest_pair"]["severity"] == "major"

    assert screen(real, real_items(real, "baclofen", "ibuprofen")).findings == ()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_packaged_findings_all_cite_sources(real: Catalog, data: st.DataObject) -> None:
    # monographs and class entries (combinations included) alike
    pool = sorted(real.drugs) + sorted(real.class_entries)
    names = data.draw(st.lists(st.sampled_from(pool), max_size=12))
    items = [ScreenItem(n, n if n in real.drugs else None, n) for n in names]
    result = screen(real, items)
    for f in result.findings:
        assert f.sources and all(s in real.sources for s in f.sources)
        assert f.code in FINDING_CODES and set(f.advice) <= ADVICE_CODES
    # every class entry is screened by class, never reported as known by name only
    assert result.name_only == ()
    # order never changes the answer
    again = screen(real, list(reversed(items)))
    assert {(f.code, frozenset(f.drugs), f.severity) for f in again.findings} == {
        (f.code, frozenset(f.drugs), f.severity) for f in result.findings
    }
