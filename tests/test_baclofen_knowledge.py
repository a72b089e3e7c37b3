"""Checklist: every fact of the seed article, and the label facts of the fact base, is in the
baclofen knowledge file, and the article's errors are corrected there.

Each table row names one fact. A row fails when the loaded catalog lacks it, so deleting or
mistyping a fact in `knowledge/data/drugs/baclofen.yaml` is caught here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from pydantic import BaseModel

from medguide.knowledge.loader import load_catalog
from medguide.knowledge.models.drug import DoseRule, Drug, Product

BACLOFEN = load_catalog().drugs["baclofen"]


def _texts(obj: object) -> Iterator[str]:
    """Every string inside a model, recursively."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from _texts(getattr(obj, name))
    elif isinstance(obj, tuple | list):
        for item in obj:
            yield from _texts(item)


def _blob(obj: object) -> str:
    return " ".join(_texts(obj)).lower()


def _rule(rule_id: str) -> DoseRule:
    return next(r for r in BACLOFEN.dosing if r.id == rule_id)


def _product(product_id: str) -> Product:
    product = BACLOFEN.product(product_id)
    assert product is not None, f"product {product_id} missing"
    return product


# --- identity -------------------------------------------------------------------------------


def test_identity_codes() -> None:
    assert BACLOFEN.codes.rxcui == "1292"
    assert BACLOFEN.codes.unii == "H789N3FKE8"
    assert BACLOFEN.codes.atc == ("M03BX01",)
    assert BACLOFEN.codes.drugbank == "DB00181"
    assert set(BACLOFEN.classes) == {"skeletal_muscle_relaxant", "gaba_b_agonist"}
    assert BACLOFEN.depth == "full"


@pytest.mark.parametrize(
    ("brand", "product", "status"),
    [
        ("Lioresal", "tablets", "historical"),
        ("Kemstro", "tablets", "historical"),
        ("Ozobax", "ozobax", "current"),
        ("Ozobax DS", "ozobax_ds", "current"),
        ("Fleqsuvy", "fleqsuvy", "current"),
        ("Lyvispah", "lyvispah", "current"),
        ("Gablofen", "gablofen", "current"),
        ("Lioresal Intrathecal", "lioresal_intrathecal", "current"),
    ],
)
def test_brand_links_to_product(brand: str, product: str, status: str) -> None:
    found = next(b for b in BACLOFEN.brands if b.name == brand)
    assert found.product == product
    assert found.status == status
    assert BACLOFEN.product(product) is not None


def test_synonyms_include_french_spelling() -> None:
    assert "baclofène" in BACLOFEN.synonyms


# --- uses -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "route", "status"),
    [
        ("multiple sclerosis", "oral", "approved"),
        ("spinal cord", "oral", "approved"),
        ("severe spasticity", "intrathecal", "approved"),
        ("alcohol use disorder", "oral", "other_jurisdiction"),
        ("hiccups", "oral", "off_label"),
        ("trigeminal neuralgia", "oral", "off_label"),
        ("rheumatic", "oral", "not_indicated"),
        ("cerebral palsy", "oral", "not_indicated"),
        ("parkinson", "oral", "not_indicated"),
        ("stroke", "oral", "not_indicated"),
    ],
)
def test_indication(term: str, route: str, status: str) -> None:
    matches = [i for i in BACLOFEN.indications if term in i.condition.lower()]
    assert matches, f"no indication mentions {term!r}"
    assert any(i.route == route and i.status == status for i in matches)


def test_no_off_label_use_is_marked_approved() -> None:
    approved = _blob([i.condition for i in BACLOFEN.indications if i.status == "approved"])
    for term in ("alcohol", "hiccup", "trigeminal", "pain", "anxiety", "cerebral palsy"):
        assert term not in approved


def test_intrathecal_indication_from_age_four() -> None:
    it = next(i for i in BACLOFEN.indications if i.route == "intrathecal")
    assert "4 years" in it.text


# --- mechanism ------------------------------------------------------------------------------


@pytest.mark.parametrize("term", ["gaba-b", "agonist", "reflex", "spinal", "not a painkiller"])
def test_mechanism(term: str) -> None:
    assert term in _blob(BACLOFEN.mechanism)


# --- products -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("product", "mg_per_ml"),
    [("ozobax", 1.0), ("ozobax_ds", 2.0), ("fleqsuvy", 5.0)],
)
def test_oral_liquid_concentration(product: str, mg_per_ml: float) -> None:
    conc = _product(product).concentration
    assert conc is not None
    assert conc.amount_unit == "mg"
    assert conc.per_ml == pytest.approx(mg_per_ml)


def test_ozobax_is_written_per_5_ml() -> None:
    conc = _product("ozobax").concentration
    assert conc is not None
    assert (conc.amount, conc.per_volume_ml) == (5, 5)


@pytest.mark.parametrize(
    ("product", "strengths_mg"),
    [("tablets", {5, 10, 15, 20}), ("lyvispah", {5, 10, 20})],
)
def test_solid_strengths(product: str, strengths_mg: set[int]) -> None:
    p = _product(product)
    assert {s.unit for s in p.strengths} == {"mg"}
    assert {s.value for s in p.strengths} == strengths_mg


@pytest.mark.parametrize(
    ("product", "per_ml"),
    [
        ("gablofen", {50, 500, 1000, 2000}),
        ("lioresal_intrathecal", {50, 500, 2000}),
    ],
)
def test_intrathecal_products_in_mcg(product: str, per_ml: set[int]) -> None:
    p = _product(product)
    assert p.route == "intrathecal"
    assert {c.amount_unit for c in p.concentrations} == {"mcg"}
    assert {c.per_ml for c in p.concentrations} == per_ml


def test_every_product_route_has_its_unit() -> None:
    for p in BACLOFEN.products:
        units = {s.unit for s in p.strengths} | {c.amount_unit for c in p.concentrations}
        if p.concentration is not None:
            units.add(p.concentration.amount_unit)
        assert units == ({"mcg"} if p.route == "intrathecal" else {"mg"}), p.id


# --- oral and intrathecal dosing ------------------------------------------------------------


def test_oral_adult_rule() -> None:
    rule = _rule("oral_adult")
    assert rule.route == "oral"
    assert rule.age_years.low == 12
    assert str(rule.start) == "5 mg"
    assert rule.start_doses_per_day == 3
    assert str(rule.max_daily) == "80 mg"
    assert rule.max_doses_per_day == 4
    assert rule.step_interval_days == 3
    assert rule.usual_daily is not None
    assert [str(q) for q in rule.usual_daily] == ["40 mg", "80 mg"]


@pytest.mark.parametrize(("day", "dose_mg"), [(1, 5), (3, 5), (4, 10), (7, 15), (10, 20), (12, 20)])
def test_oral_titration_schedule(day: int, dose_mg: int) -> None:
    steps = _rule("oral_adult").titration
    step = next(s for s in steps if s.day_from <= day <= (s.day_to or day))
    assert step.dose.value == dose_mg and step.dose.unit == "mg"
    assert step.doses_per_day == 3


def test_titration_never_exceeds_maximum() -> None:
    rule = _rule("oral_adult")
    assert rule.max_daily is not None
    for step in rule.titration:
        assert step.dose.value * step.doses_per_day <= rule.max_daily.value


def test_intrathecal_rules_in_mcg() -> None:
    it_rules = [r for r in BACLOFEN.dosing if r.route == "intrathecal"]
    assert it_rules
    for rule in it_rules:
        for q in (rule.start, rule.max_single, rule.max_daily, *(rule.usual_daily or ())):
            if q is not None:
                assert q.unit == "mcg", rule.id
    screening = _rule("intrathecal_screening")
    assert str(screening.start) == "50 mcg"
    assert str(screening.max_single) == "100 mcg"
    assert screening.age_years.low == 4
    spinal = _rule("intrathecal_maintenance_spinal")
    assert spinal.usual_daily is not None
    assert [q.value for q in spinal.usual_daily] == [300, 800]


@pytest.mark.parametrize(
    ("age", "rule_id", "max_mg"),
    [(1, "oral_child_under_2", 40), (5, "oral_child_2_to_7", 40), (10, "oral_child_8_to_11", 60)],
)
def test_pediatric_literature_rules(age: float, rule_id: str, max_mg: int) -> None:
    rule = _rule(rule_id)
    assert rule.label_status == "literature"
    assert rule.age_years.contains(age)
    assert rule.max_daily is not None and rule.max_daily.value == max_mg


@pytest.mark.parametrize("age", [0.5, 1.99, 2, 7.5, 8, 11.9, 12, 40, 95])
def test_oral_age_bands_do_not_overlap(age: float) -> None:
    oral = [r for r in BACLOFEN.dosing if r.route == "oral" and r.age_years.contains(age)]
    assert len(oral) == 1, [r.id for r in oral]


# --- special populations --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "field", "value"),
    [
        ("beers_kidney_avoid", "kidney_below", 60),
        ("geriatric_dose_caution", "daily_dose_at_or_above", 40),
        ("encephalopathy_risk", "daily_dose_at_or_above", 20),
        ("pediatric_label_not_established", "age_below", 12),
        ("pediatric_age_below_label", "age_below", 4),
        ("pediatric_max_exceeded", "max_daily", 60),
        ("pediatric_max_exceeded", "max_daily_per_kg", 2),
    ],
)
def test_age_rule(code: str, field: str, value: float) -> None:
    rules = [r for r in BACLOFEN.age_rules if r.code == code]
    assert rules, code
    values = []
    for r in rules:
        if field == "age_below":
            values.append(r.age_years.below)
        else:
            v = getattr(r, field)
            values.append(getattr(v, "value", v))
    assert value in values


def test_beers_and_encephalopathy_are_for_older_adults() -> None:
    beers = next(r for r in BACLOFEN.age_rules if r.code == "beers_kidney_avoid")
    assert beers.age_years.low == 65
    enc = next(r for r in BACLOFEN.age_rules if r.code == "encephalopathy_risk")
    assert enc.kidney_below == 60 and enc.when_starting


def test_geriatric_threshold_is_marked_judgment() -> None:
    rule = next(r for r in BACLOFEN.age_rules if r.code == "geriatric_dose_caution")
    assert rule.judgment and rule.note


# --- renal ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("crcl", "action", "factor"),
    [
        (100, "none", None),
        (80, "none", None),
        (65, "reduce", 0.67),
        (50, "reduce", 0.67),
        (40, "reduce", 0.5),
        (30, "reduce", 0.5),
        (29, "avoid", None),
        (10, "avoid", None),
    ],
)
def test_renal_band(crcl: float, action: str, factor: float | None) -> None:
    renal = BACLOFEN.renal
    assert renal is not None and renal.renally_cleared
    bands = [
        b
        for b in renal.bands
        if (b.at_or_above is None or crcl >= b.at_or_above) and (b.below is None or crcl < b.below)
    ]
    assert len(bands) == 1
    assert bands[0].action == action
    assert bands[0].dose_factor == factor


def test_renal_severe_and_dialysis_fallback_dose() -> None:
    renal = BACLOFEN.renal
    assert renal is not None and renal.dialysis is not None
    severe = next(b for b in renal.bands if b.below == 30)
    for band in (severe, renal.dialysis):
        assert band.action == "avoid"
        assert str(band.if_unavoidable_daily) == "5 mg"
        assert band.judgment and band.note


def test_renal_factors_never_raise_a_dose() -> None:
    renal = BACLOFEN.renal
    assert renal is not None
    for band in renal.bands:
        assert band.dose_factor is None or band.dose_factor < 1


# --- side effects ---------------------------------------------------------------------------

ARTICLE_SIDE_EFFECTS = [
    ("drowsiness", "very_common"),
    ("dizziness", "very_common"),
    ("weakness", "very_common"),
    ("fatigue", "common"),
    ("headache", "common"),
    ("nausea", "very_common"),
    ("vomiting", "rare"),
    ("constipation", "common"),
    ("insomnia", "common"),
    ("urinary frequency", "common"),
    ("hypotension", "common"),
    ("muscle cramps", "unknown"),
    ("visual disturbances", "rare"),
    ("respiratory depression", "unknown"),
    ("seizures", "rare"),
    ("hallucinations", "rare"),
    ("psychosis", "rare"),
    ("severe allergic reaction", "unknown"),
    ("withdrawal", "unknown"),
    ("dry mouth", "rare"),
    ("confusion", "very_common"),
]


@pytest.mark.parametrize(("name", "band"), ARTICLE_SIDE_EFFECTS)
def test_article_side_effect_has_band(name: str, band: str) -> None:
    effect = next((e for e in BACLOFEN.adverse_effects if name in e.name), None)
    assert effect is not None, name
    assert effect.frequency == band


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [
        ("drowsiness", 10, 63),
        ("dizziness", 5, 15),
        ("confusion", 1, 11),
        ("nausea", 4, 12),
        ("hypotension", 0, 9),
        ("fatigue", 2, 4),
    ],
)
def test_label_percentages(name: str, low: float, high: float) -> None:
    effect = next(e for e in BACLOFEN.adverse_effects if e.name == name)
    assert effect.percent is not None
    assert (effect.percent.low, effect.percent.high) == (low, high)


def test_serious_effects_marked_serious() -> None:
    for e in BACLOFEN.adverse_effects:
        if any(k in e.name for k in ("seizure", "respiratory", "allergic", "withdrawal")):
            assert e.serious, e.name


# --- warnings, contraindications, conditions -------------------------------------------------


@pytest.mark.parametrize(
    "warning_id",
    [
        "abrupt_withdrawal",
        "intrathecal_withdrawal_boxed",
        "neonatal_withdrawal",
        "drowsiness_sedation",
        "stroke_tolerability",
        "psychiatric_exacerbation",
        "autonomic_dysreflexia",
        "epilepsy",
        "posture_balance",
        "ovarian_cysts",
        "kidney_impairment",
        "liquid_concentration_mixups",
        "intrathecal_route_only",
    ],
)
def test_warning_present(warning_id: str) -> None:
    assert any(w.id == warning_id for w in BACLOFEN.warnings)


def test_intrathecal_boxed_warning() -> None:
    boxed = [w for w in BACLOFEN.warnings if w.boxed]
    assert [w.route for w in boxed] == ["intrathecal"]


def test_hypersensitivity_contraindication() -> None:
    assert "hypersensitivity" in _blob(BACLOFEN.contraindications)


@pytest.mark.parametrize(
    ("condition", "code"),
    [
        ("seizure_disorder", "condition_caution"),
        ("psychosis", "condition_caution"),
        ("confusional_state", "condition_caution"),
        ("stroke", "condition_caution"),
        ("stroke", "not_indicated"),
        ("autonomic_dysreflexia", "condition_caution"),
        ("spinal_cord_injury_t6_or_above", "condition_caution"),
        ("posture_dependent_on_spasticity", "condition_caution"),
        ("liver_disease", "hepatic_caution"),
        ("diabetes", "condition_caution"),
        ("rheumatic_muscle_spasm", "not_indicated"),
        ("cerebral_palsy", "not_indicated"),
        ("parkinsons_disease", "not_indicated"),
        ("peptic_ulcer", "condition_caution"),
        ("respiratory_impairment", "condition_caution"),
        ("urinary_retention", "condition_caution"),
    ],
)
def test_condition_rule(condition: str, code: str) -> None:
    assert any(c.condition == condition and c.code == code for c in BACLOFEN.conditions)


# --- withdrawal, taper, missed dose ----------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "term"),
    [
        ("oral", "hallucinations"),
        ("oral", "seizures"),
        ("oral", "rebound"),
        ("oral", "confusion"),
        ("oral", "agitation"),
        ("intrathecal", "fever"),
        ("intrathecal", "itching"),
    ],
)
def test_withdrawal_signs(route: str, term: str) -> None:
    w = next(w for w in BACLOFEN.withdrawal if w.route == route)
    assert term in _blob(w.signs)


def test_intrathecal_withdrawal_is_boxed() -> None:
    assert [w.route for w in BACLOFEN.withdrawal if w.boxed] == ["intrathecal"]


def test_taper() -> None:
    assert BACLOFEN.taper is not None
    assert BACLOFEN.taper.min_days == 14
    assert {"S15", "S73"} <= set(BACLOFEN.taper.sources)


def test_missed_dose_rule() -> None:
    md = BACLOFEN.missed_dose
    assert md is not None
    assert md.skip_if_next_within_hours == 2
    assert md.never_double
    assert md.judgment and md.note
    assert "S47" in md.sources
    assert md.consecutive_missed_withdrawal_risk == 2


# --- pregnancy and lactation ----------------------------------------------------------------


def test_pregnancy_is_narrative_without_letter() -> None:
    text = _blob(BACLOFEN.reproduction.pregnancy)
    assert "no letter category" in text
    assert "b3" in text
    assert "withdrawal" in _blob(BACLOFEN.reproduction.neonatal)
    lactation = _blob(BACLOFEN.reproduction.lactation)
    assert "milk" in lactation and "withdrawal" in lactation
    assert any("S44" in n.sources for n in BACLOFEN.reproduction.lactation)


def test_category_c_never_stated_as_current() -> None:
    """Only a correction's `article_says` may quote the old letter category."""
    stripped = BACLOFEN.model_copy(
        update={
            "corrections": tuple(
                c.model_copy(update={"article_says": ""}) for c in BACLOFEN.corrections
            )
        }
    )
    assert not re.search(r"category\s*c\b", _blob(stripped))


# --- interactions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "klass",
    [
        "opioid",
        "benzodiazepine",
        "zolpidem",
        "alcohol",
        "kava",
        "valerian",
        "melatonin",
        "tricyclic",
        "ssri",
        "mao",
        "beta-blocker",
        "ace inhibitor",
        "lithium",
        "levodopa",
    ],
)
def test_interaction_class(klass: str) -> None:
    assert any(klass in n.with_.lower() for n in BACLOFEN.interactions), klass


# --- overdose -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sign",
    [
        "vomiting",
        "breathing",
        "coma",
        "slow",
        "low body temperature",
        "hypotonia",
        "seizures",
        "hallucinations",
    ],
)
def test_overdose_sign(sign: str) -> None:
    oral = next(o for o in BACLOFEN.overdose if o.route == "oral")
    assert sign in _blob(oral.signs)


def test_overdose_thresholds_and_management() -> None:
    oral = next(o for o in BACLOFEN.overdose if o.route == "oral")
    amounts = {(t.at_or_above.value, t.at_or_above.unit) for t in oral.thresholds}
    assert {(150, "mg"), (200, "mg"), (300, "mg")} <= amounts
    assert oral.charcoal_window_hours == 1
    assert oral.hemodialysis is not None
    management = _blob(oral.management)
    for term in ("emergency", "charcoal", "airway"):
        assert term in management
    assert any(o.route == "intrathecal" for o in BACLOFEN.overdose)


# --- lifestyle, alternatives ----------------------------------------------------------------


@pytest.mark.parametrize(
    "advice", ["avoid_alcohol", "avoid_driving_until_known", "contact_prescriber"]
)
def test_lifestyle_advice_code(advice: str) -> None:
    assert any(item.advice == advice for item in BACLOFEN.lifestyle)


@pytest.mark.parametrize("term", ["drink", "fibre", "refill", "alarm"])
def test_lifestyle_tip(term: str) -> None:
    assert term in _blob(BACLOFEN.lifestyle)


@pytest.mark.parametrize(
    ("name", "drug"),
    [
        ("tizanidine", "tizanidine"),
        ("diazepam", "diazepam"),
        ("dantrolene", "dantrolene"),
        ("physical and occupational therapy", None),
        ("botulinum toxin", None),
    ],
)
def test_alternative(name: str, drug: str | None) -> None:
    alt = next(a for a in BACLOFEN.alternatives if name in a.name)
    assert alt.drug == drug


# --- pharmacokinetics -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("bioavailability", 0.74),
        ("half_life", 4.4),
        ("oral_clearance", 11.6),
        ("oral_volume", 72.8),
        ("absorption_rate_constant", 1.64),
        ("fraction_unchanged_urine", 0.7),
        ("protein_binding", 0.3),
    ],
)
def test_pk_parameter(name: str, value: float) -> None:
    p = next(p for p in BACLOFEN.pharmacokinetics if p.name == name)
    assert p.value == pytest.approx(value)


# --- at a glance, FAQ, corrections ----------------------------------------------------------


@pytest.mark.parametrize(
    "aspect",
    [
        "class",
        "uses",
        "forms",
        "common_side_effects",
        "serious_risks",
        "warnings",
        "interactions",
        "overdose_signs",
        "missed_dose",
    ],
)
def test_at_a_glance_row(aspect: str) -> None:
    assert any(row.aspect == aspect for row in BACLOFEN.at_a_glance)


# Each question the article asks, by topic and a word its question must contain.
FAQ_TOPICS = [
    ("uses", "prescribed"),
    ("mechanism", "act"),
    ("pain", "painkiller"),
    ("back_pain", "back pain"),
    ("side_effects", "side effects"),
    ("dependence", "dependent"),
    ("onset", "working"),
    ("pregnancy", "pregnant"),
    ("alcohol", "alcohol"),
    ("missed_dose", "dose"),
    ("anxiety", "anxiety"),
    ("overdose", "too much"),
    ("other_relaxants", "flexeril"),
    ("children", "children"),
    ("storage", "keep"),
]


@pytest.mark.parametrize(("section", "word"), FAQ_TOPICS)
def test_faq_question(section: str, word: str) -> None:
    faq = next((f for f in BACLOFEN.faq if f.section == section), None)
    assert faq is not None, section
    assert word in faq.question.lower()
    assert faq.answer.strip()


@pytest.mark.parametrize(
    ("section", "must_say"),
    [
        ("dependence", "withdrawal"),
        ("pregnancy", "no letter category"),
        ("missed_dose", "never"),
        ("storage", "refrigerator"),
        ("children", "12 years"),
        ("overdose", "emergency"),
        ("pain", "no"),
    ],
)
def test_faq_answer_is_correct(section: str, must_say: str) -> None:
    faq = next(f for f in BACLOFEN.faq if f.section == section)
    assert must_say in faq.answer.lower()


@pytest.mark.parametrize(
    "topic",
    [
        "pregnancy_letter_category",
        "caution_conditions_missing",
        "approved_vs_off_label",
        "activated_charcoal_window",
        "hemodialysis",
        "mechanism",
        "cerebral_palsy",
        "dependence",
        "mao_inhibitors",
        "forms",
        "dry_mouth_frequency",
        "storage",
    ],
)
def test_correction_present(topic: str) -> None:
    assert any(c.topic == topic for c in BACLOFEN.corrections), topic


def test_caution_correction_lists_the_conditions() -> None:
    c = next(c for c in BACLOFEN.corrections if c.topic == "caution_conditions_missing")
    for term in ("seizure", "psychotic", "stroke", "autonomic dysreflexia"):
        assert term in c.position.lower()


# --- provenance -----------------------------------------------------------------------------


def test_every_source_resolves() -> None:
    catalog = load_catalog()
    used = set(re.findall(r"'sources': \(([^)]*)\)", repr(BACLOFEN.model_dump())))
    ids = {s.strip(" '") for group in used for s in group.split(",") if s.strip(" '")}
    assert ids and ids <= set(catalog.sources)


def test_judgment_calls_explain_themselves() -> None:
    def walk(obj: object) -> Iterator[BaseModel]:
        if isinstance(obj, BaseModel):
            yield obj
            for name in type(obj).model_fields:
                yield from walk(getattr(obj, name))
        elif isinstance(obj, tuple):
            for item in obj:
                yield from walk(item)

    for model in walk(BACLOFEN):
        if getattr(model, "judgment", False):
            assert getattr(model, "note", None), model


def test_model_is_a_drug() -> None:
    assert isinstance(BACLOFEN, Drug)
