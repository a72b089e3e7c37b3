"""No false all-clear (issue 11 §1) and class rules for every member (issue 13), on the
packaged catalog: each example of the issues is a row of a table of its class, beside
controls that must stay quiet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medguide.cli import exitcodes
from medguide.clinical.findings import Finding
from medguide.clinical.interactions import ScreenItem, screen
from medguide.knowledge.catalog import Catalog
from medguide.knowledge.interaction_index import side_matches_drug
from medguide.knowledge.names import resolve_ingredients


def screen_names(cat: Catalog, *names: str) -> tuple[Finding, ...]:
    items = [ScreenItem.from_resolved(r) for n in names for r in resolve_ingredients(cat, n)]
    return screen(cat, items).findings


def pair(findings: tuple[Finding, ...], a: str, b: str) -> Finding | None:
    return next((f for f in findings if f.code == "interaction" and set(f.drugs) == {a, b}), None)


# (a, b, keys of a and b, rule that must win, interaction severity)
PAIRS_THE_CATALOGUE_KNOWS = [
    # serotonin syndrome
    ("St John's wort", "sertraline", "st_johns_wort", "sertraline",
     "herbal_antidepressant_serotonergic", "major"),
    ("St John's wort", "venlafaxine", "st_johns_wort", "venlafaxine",
     "herbal_antidepressant_serotonergic", "major"),
    ("St John's wort", "paroxetine", "st_johns_wort", "paroxetine",
     "herbal_antidepressant_serotonergic", "major"),
    ("sertraline", "sumatriptan", "sertraline", "sumatriptan", "serotonergic_pair", "moderate"),
    ("lithium", "sertraline", "lithium", "sertraline", "lithium_serotonergic", "moderate"),
    ("linezolid", "sertraline", "linezolid", "sertraline", "maoi_serotonergic",
     "contraindicated"),
    # heart rate and blood pressure
    ("metoprolol", "verapamil", "metoprolol", "verapamil",
     "beta_blocker_non_dihydropyridine_ccb", "major"),
    ("atenolol", "diltiazem", "atenolol", "diltiazem",
     "beta_blocker_non_dihydropyridine_ccb", "major"),
    ("lisinopril", "losartan", "lisinopril", "losartan", "ace_inhibitor_arb", "major"),
    ("ramipril", "valsartan", "ramipril", "valsartan", "ace_inhibitor_arb", "major"),
    ("lisinopril", "ibuprofen", "lisinopril", "ibuprofen", "raas_nsaid", "moderate"),
    ("losartan", "naproxen", "losartan", "naproxen", "raas_nsaid", "moderate"),
    ("lisinopril", "KCl", "lisinopril", "potassium_chloride", "raas_potassium", "moderate"),
    ("nitroglycerin", "sildenafil", "nitroglycerin", "sildenafil", "nitrate_pde5_inhibitor",
     "contraindicated"),
    # lithium levels
    ("lithium", "ibuprofen", "lithium", "ibuprofen", "lithium_level_raisers", "major"),
    ("lithium", "hydrochlorothiazide", "lithium", "hydrochlorothiazide",
     "lithium_level_raisers", "major"),
    ("lithium", "lisinopril", "lithium", "lisinopril", "lithium_level_raisers", "major"),
    # metabolism
    ("duloxetine", "ciprofloxacin", "duloxetine", "ciprofloxacin", "duloxetine_cyp1a2_strong",
     "major"),
    ("duloxetine", "fluvoxamine", "duloxetine", "fluvoxamine", "duloxetine_cyp1a2_strong",
     "major"),
    ("ciprofloxacin", "theophylline", "ciprofloxacin", "theophylline",
     "cyp1a2_strong_inhibitor_substrate", "major"),
    ("fluoxetine", "metoprolol", "fluoxetine", "metoprolol", "cyp2d6_inhibitor_substrate",
     "moderate"),
    # alcohol
    ("acetaminophen", "alcohol", "acetaminophen", "alcohol", "acetaminophen_alcohol",
     "moderate"),
    ("diphenhydramine", "alcohol", "diphenhydramine", "alcohol", "alcohol_cns_depressant",
     "moderate"),
    ("metronidazole", "alcohol", "metronidazole", "alcohol", "disulfiram_like_alcohol", "major"),
    # baclofen with every member of a class the catalogue names (class entries included)
    ("baclofen", "methadone", "baclofen", "methadone", "baclofen_opioid", "major"),
    ("baclofen", "Percocet", "baclofen", "oxycodone", "baclofen_opioid", "major"),
    ("baclofen", "midazolam", "baclofen", "midazolam", "baclofen_benzodiazepine", "major"),
    ("baclofen", "quetiapine", "baclofen", "quetiapine", "baclofen_cns_depressant_other",
     "moderate"),
    ("baclofen", "propofol", "baclofen", "propofol", "baclofen_cns_depressant_other",
     "moderate"),
    ("baclofen", "vancomycin", "baclofen", "vancomycin", "baclofen_nephrotoxic", "moderate"),
    ("baclofen", "furosemide", "baclofen", "furosemide", "baclofen_antihypertensive",
     "moderate"),
    ("baclofen", "tamsulosin", "baclofen", "tamsulosin", "baclofen_antihypertensive",
     "moderate"),
    ("baclofen", "bupropion", "baclofen", "bupropion", "baclofen_seizure_threshold", "minor"),
    # an approved combination is not a major interaction, whatever the VA list says
    ("selegiline", "Sinemet", "selegiline", "carbidopa_levodopa",
     "mao_b_inhibitor_levodopa_approved", "minor"),
    ("phenelzine", "Sinemet", "phenelzine", "carbidopa_levodopa", "maoi_nonselective_levodopa",
     "contraindicated"),
]  # fmt: skip


@pytest.mark.parametrize(("a", "b", "ka", "kb", "rule", "severity"), PAIRS_THE_CATALOGUE_KNOWS)
def test_pairs_the_catalogue_knows_are_found(
    real: Catalog, a: str, b: str, ka: str, kb: str, rule: str, severity: str
) -> None:
    for order in ((a, b), (b, a)):
        f = pair(screen_names(real, *order), ka, kb)
        assert f is not None, order
        assert f.details["rule"] == rule
        assert f.details["severity"] == severity
        assert f.sources and all(s in real.sources for s in f.sources)


# Controls: pairs no source links, which must stay quiet (no rule finding at all).
CONTROLS = [
    ("baclofen", "ibuprofen"),
    ("baclofen", "naproxen"),
    ("baclofen", "acetaminophen"),
    ("baclofen", "omeprazole"),
    ("baclofen", "atorvastatin"),
    ("baclofen", "levothyroxine"),
    ("baclofen", "NS"),
    ("baclofen", "D5W"),
    ("metformin", "acetaminophen"),
    ("lisinopril", "atorvastatin"),
    ("sertraline", "omeprazole"),
    ("amlodipine", "atorvastatin"),
]


@pytest.mark.parametrize(("a", "b"), CONTROLS)
def test_controls_stay_quiet(real: Catalog, a: str, b: str) -> None:
    findings = screen_names(real, a, b)
    assert [f.details.get("rule") for f in findings if f.code == "interaction"] in ([], [None])


# --- the seed article's classes, for every member the catalogue knows ----------------------

# class named by the seed article → the baclofen rules that must cover every member
SEED_CLASSES = {
    "opioid": {"baclofen_opioid"},
    "benzodiazepine": {"baclofen_benzodiazepine"},
    "z_drug": {"baclofen_z_drug"},
    "alcohol": {"baclofen_alcohol"},
    "beta_blocker": {"baclofen_antihypertensive"},
    "ace_inhibitor": {"baclofen_antihypertensive"},
    "angiotensin_receptor_blocker": {"baclofen_antihypertensive"},
    "calcium_channel_blocker": {"baclofen_antihypertensive"},
    "thiazide_diuretic": {"baclofen_antihypertensive"},
    "loop_diuretic": {"baclofen_antihypertensive"},
    "tricyclic_antidepressant": {"baclofen_tricyclic"},
    "ssri": {"baclofen_ssri_minor"},
    "maoi": {"baclofen_maoi"},
    "herbal_sedative": {"baclofen_kava", "baclofen_herbal_sedative"},
    "melatonin_receptor_agonist": {"baclofen_melatonin"},
}


def _members(cat: Catalog, class_id: str) -> list[str]:
    index = cat.index
    return sorted(k for k, classes in index.drug_classes.items() if class_id in classes)


@pytest.mark.parametrize("class_id", sorted(SEED_CLASSES))
def test_every_member_of_a_seed_class_is_found_with_baclofen(real: Catalog, class_id: str) -> None:
    members = [m for m in _members(real, class_id) if m != "baclofen"]
    assert members, class_id
    for m in members:
        item = ScreenItem(m, m if m in real.drugs else None, m)
        f = pair(screen(real, [ScreenItem("baclofen", "baclofen", "baclofen"), item]).findings,
                 "baclofen", m)  # fmt: skip
        assert f is not None, m
        matched = {f.details["rule"], *(o["rule"] for o in f.details.get("also_matched", []))}
        assert matched & SEED_CLASSES[class_id], (m, matched)


def test_a_group_is_one_finding_with_every_member(real: Catalog) -> None:
    opioids = [m for m in _members(real, "opioid")][:6]
    items = [ScreenItem("baclofen", "baclofen", "baclofen")]
    items += [ScreenItem(m, m if m in real.drugs else None, m) for m in opioids]
    findings = screen(real, items).findings
    burdens = [f for f in findings if f.code == "cns_depressant_burden"]
    assert len(burdens) == 1
    assert set(burdens[0].drugs) == {"baclofen", *opioids}
    # no N² pair alerts for the same CNS concern
    assert not [f for f in findings if f.code == "interaction" and f.details["group"] is None
                and f.details["rule"] in {"baclofen_opioid", "opioid_cns_depressant"}]  # fmt: skip


# --- the severity table of the CNS group -----------------------------------------------------

SEVERITY_TABLE = [
    # members → finding severity of the burden (and the escalation row that set it)
    (("oxycodone", "diazepam", "baclofen"), "critical", "opioid_sedative_baclofen"),
    (("morphine", "zolpidem", "baclofen"), "critical", "opioid_sedative_baclofen"),
    (("methadone", "alcohol", "baclofen"), "critical", "opioid_sedative_baclofen"),
    (("Percocet", "Ativan", "Lioresal"), "critical", "opioid_sedative_baclofen"),
    (("oxycodone", "diazepam", "gabapentin"), "high", None),  # no baclofen: major
    (("baclofen", "diazepam", "zolpidem"), "high", None),  # no opioid: major
    (("baclofen", "oxycodone", "melatonin"), "high", None),  # melatonin is not a sedative here
    (("baclofen", "alcohol", "valerian"), "high", None),
]


@pytest.mark.parametrize(("names", "severity", "row"), SEVERITY_TABLE)
def test_cns_severity_table(
    real: Catalog, names: tuple[str, ...], severity: str, row: str | None
) -> None:
    burden = next(f for f in screen_names(real, *names) if f.code == "cns_depressant_burden")
    assert burden.severity == severity
    assert burden.details["escalation"] == row
    if row:
        assert burden.details["severity_judgment"] is True
        assert all(s in real.sources for s in burden.sources)


# --- prose and rules are one thing ------------------------------------------------------------


def test_every_monograph_interaction_note_is_a_rule(real: Catalog) -> None:
    rules = {r.id: r for r in real.interactions.rules}
    index = real.index
    for drug in real.drugs.values():
        for note in drug.interactions:
            for rid in note.rules:
                assert rid in rules, (drug.id, note.with_, rid)
                r = rules[rid]
                cls, props = index.drug_classes[drug.id], index.drug_properties[drug.id]
                assert side_matches_drug(r.a, drug.id, cls, props) or side_matches_drug(
                    r.b, drug.id, cls, props
                ), (drug.id, rid)
            for other in note.drugs:
                findings = screen(
                    real,
                    [
                        ScreenItem(drug.id, drug.id, drug.id),
                        ScreenItem(other, other if other in real.drugs else None, other),
                    ],
                ).findings
                got = [f for f in findings if f.code == "interaction" and f.details["rule"]]
                if note.no_interaction:
                    assert got == [], (drug.id, other)
                else:
                    named = {
                        r
                        for f in got
                        for r in (f.details["rule"], *(o["rule"] for o in
                                  f.details.get("also_matched", [])))
                    }  # fmt: skip
                    assert named & set(note.rules), (drug.id, note.with_, other, named)


def test_a_note_without_rules_does_not_load() -> None:
    from pydantic import ValidationError

    from medguide.knowledge.models.drug import InteractionNote

    with pytest.raises(ValidationError, match="names its rules"):
        InteractionNote.model_validate_json('{"with": "x", "text": "y", "sources": ["S1"]}')


# --- the command: headline, exit code, duplicates ----------------------------------------


def run(*args: str) -> tuple[int, str]:
    from medguide.cli import app

    result = CliRunner().invoke(app, ["interactions", *args])
    return result.exit_code, result.stdout


def test_headline_says_none_found_only_when_everything_was_screened() -> None:
    code, out = run("baclofen", "ibuprofen")
    assert code == exitcodes.OK and out.startswith("No interactions found among these")
    code, out = run("baclofen", "ibuprofen", "qwertyzine")
    assert code == exitcodes.NOT_ALL_CHECKED
    assert out.startswith("Not fully checked: 1 name not recognised")
    assert "No interactions found among the pairs that could be checked" in out


def test_no_none_found_beside_a_hidden_minor() -> None:
    _code, out = run("baclofen", "sertraline")
    assert "No interactions found" not in out
    assert "1 minor interaction hidden" in out


def test_two_names_for_one_ingredient_are_a_duplicate() -> None:
    _code, out = run("Lioresal", "Ozobax", "--json")
    data = json.loads(out)
    dup = [f for f in data["findings"] if f["code"] == "duplicate_ingredient"]
    assert len(dup) == 1 and dup[0]["drugs"] == ["baclofen"]
    assert dup[0]["details"]["names"] == ["Lioresal", "Ozobax"]
    # a combination product and one of its ingredients too
    data = json.loads(run("Percocet", "acetaminophen", "--json")[1])
    assert [f["drugs"] for f in data["findings"] if f["code"] == "duplicate_ingredient"] == [
        ["acetaminophen"]
    ]


def test_class_entries_are_said_to_be_known_by_class() -> None:
    code, out = run("baclofen", "methadone")
    assert code == exitcodes.OK
    assert "Known by class, no monograph: methadone" in out
    data = json.loads(run("baclofen", "methadone", "--json")[1])
    assert data["summary"]["known_by_class_only"] == ["methadone"]
    assert [r["coverage"] for r in data["resolved"]] == ["monograph", "class_entry"]


# --- consistency with the VA NDF-RT pairwise layer -------------------------------------------

GAPS = Path(__file__).parent / "fixtures" / "ndfrt_critical_known_gaps.tsv"


def _known_gaps() -> dict[frozenset[str], str]:
    out = {}
    for line in GAPS.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or line.startswith("a\t") or not line.strip():
            continue
        a, b, reason = line.split("\t")
        assert reason.strip()
        out[frozenset((a, b))] = reason
    return out


def test_ndfrt_critical_pairs_are_found_by_the_rules_or_listed_as_gaps(real: Catalog) -> None:
    # A pair the VA rates Critical between two ingredients the catalogue knows by monograph or
    # class entry should be found by a hand-written rule; otherwise it is a known gap.
    index = real.index
    known = set(real.drugs) | {k for k, e in real.class_entries.items() if not e.ingredients}
    gaps = _known_gaps()
    new_gaps, closed = [], []
    for pair, entry in index.pairwise.items():
        if entry.rating != "Critical" or not pair <= known:
            continue
        a, b = sorted(pair)
        findings = screen(
            real,
            [
                ScreenItem(a, a if a in real.drugs else None, a),
                ScreenItem(b, b if b in real.drugs else None, b),
            ],
        ).findings
        assert findings  # never silent: at least the NDF-RT finding
        # found by a rule: a rule's pair finding, or a group or duplicate finding of both
        by_rule = any(
            {a, b} <= set(f.drugs) and (f.code != "interaction" or f.details["rule"])
            for f in findings
        )
        if not by_rule and pair not in gaps:
            new_gaps.append((a, b))
        if by_rule and pair in gaps:
            closed.append((a, b))
    assert new_gaps == [], "add a rule or list the pair in ndfrt_critical_known_gaps.tsv"
    assert closed == [], "a rule now finds these pairs: remove them from the gap list"


@pytest.mark.parametrize(
    ("a", "b", "duplicate"),
    [
        ("oxycodone", "methadone", "duplicate_opioid"),
        ("sertraline", "fluoxetine", "duplicate_antidepressant"),
        ("lorazepam", "midazolam", "duplicate_benzodiazepine"),
    ],
)
def test_two_of_one_class_is_one_duplicate_alert(
    real: Catalog, a: str, b: str, duplicate: str
) -> None:
    findings = screen_names(real, a, b)
    assert [(f.code, f.details["rule"]) for f in findings] == [("duplicate_therapy", duplicate)]
