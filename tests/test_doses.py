"""Order and dose checks on the real baclofen knowledge: a table of clinical cases."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medguide.clinical.assess import Assessment, assess
from medguide.clinical.request import AssessRequest
from medguide.knowledge.loader import load_catalog

CAT = load_catalog()


def run(*meds: str | dict[str, Any], **extra: Any) -> Assessment:
    medications = [{"text": m} if isinstance(m, str) else m for m in meds]
    return assess(CAT, AssessRequest.model_validate({"medications": medications, **extra}))


def codes(a: Assessment) -> set[str]:
    return {f.code for f in a.findings}


def total(a: Assessment, route: str = "oral") -> float:
    rows = [t for t in a.computed["daily_totals"] if t["route"] == route]
    assert len(rows) == 1, a.computed
    return float(rows[0]["amount"])


def test_issue_example_reports_every_problem_with_sources() -> None:
    a = run(
        "Lioresal 10 mg tid",
        "Lyvispah 10 mg three times a day",
        "Ozobax DS 15 mL QID",
        "baclofen 100 mg intrathecal bolus",
    )
    assert {r["ingredient"] for r in a.computed["resolved"].values()} == {"baclofen"}
    assert total(a, "oral") == 30 + 30 + 15 * 2 * 4
    assert total(a, "intrathecal") == 100_000  # mcg: the route's unit, never added to oral mg
    assert codes(a) >= {
        "duplicate_ingredient",
        "max_daily_dose_exceeded",
        "concentration_confusion",
        "unit_mismatch",
    }
    for f in a.findings:
        assert f.sources, f.code
        assert all(s in CAT.sources for s in f.sources)
    assert a.knowledge_version == CAT.version
    mismatch = next(f for f in a.findings if f.code == "unit_mismatch")
    assert mismatch.severity == "critical"
    assert mismatch.details["fold"] == 1000


@pytest.mark.parametrize(
    ("orders", "daily_mg", "present", "absent"),
    [
        # the maximum is inclusive: 20 mg four times a day is allowed, a little more is not
        (["baclofen 20 mg qid"], 80, set(), {"max_daily_dose_exceeded"}),
        (
            ["baclofen 20 mg tid", "baclofen 5 mg tid"],
            75,
            {"duplicate_ingredient"},
            {"max_daily_dose_exceeded"},
        ),
        (["baclofen 25 mg qid"], 100, {"max_daily_dose_exceeded"}, set()),
        (["baclofen 20 mg/day divided QID"], 20, set(), {"max_daily_dose_exceeded"}),
        (["baclofen 5 mg q8h"], 15, set(), {"max_daily_dose_exceeded"}),
        # liquids: the product's concentration turns mL into mg
        (["Ozobax 20 mL tid"], 60, {"concentration_confusion"}, {"max_daily_dose_exceeded"}),
        (
            ["Ozobax DS 20 mL qid"],
            160,
            {"concentration_confusion", "max_daily_dose_exceeded"},
            set(),
        ),
        (
            ["Fleqsuvy 20 mL qid"],
            400,
            {"concentration_confusion", "max_daily_dose_exceeded"},
            set(),
        ),
        # oral baclofen in mcg is a unit error
        (["baclofen 50 mcg po tid"], 0.15, {"unit_mismatch"}, set()),
    ],
)
def test_dose_table(
    orders: list[str], daily_mg: float, present: set[str], absent: set[str]
) -> None:
    a = run(*orders)
    assert total(a) == pytest.approx(daily_mg)
    assert present <= codes(a), a.findings
    assert not (absent & codes(a)), a.findings


def test_far_above_the_maximum_is_critical() -> None:
    f = next(f for f in run("Fleqsuvy 20 mL qid").findings if f.code == "max_daily_dose_exceeded")
    assert f.severity == "critical"
    assert f.details["daily_total"] == 400 and f.details["max_daily"] == 80


def test_volume_without_product_is_not_guessed() -> None:
    a = run("baclofen 10 mL tid")
    f = next(f for f in a.findings if f.code == "concentration_confusion")
    assert f.severity == "high"
    assert any(n.check == "dose" for n in a.not_checked)
    assert any(n.check == "maximum daily dose" for n in a.not_checked)


def test_intrathecal_in_mcg_is_fine() -> None:
    a = run("Gablofen 50 mcg intrathecal bolus")
    assert "unit_mismatch" not in codes(a)
    assert total(a, "intrathecal") == 50


@pytest.mark.parametrize(
    ("med", "too_fast"),
    [
        ({"text": "baclofen 10 mg tid", "new": True}, True),
        ({"text": "baclofen 5 mg tid", "new": True}, False),
        ({"text": "baclofen 10 mg tid"}, False),
    ],
)
def test_titration_too_fast_for_new_starts(med: dict[str, Any], too_fast: bool) -> None:
    assert ("titration_too_fast" in codes(run(med))) is too_fast


def test_naive_flag_counts_as_new() -> None:
    a = run("baclofen 10 mg tid", patient={"naive_to": ["baclofen"]})
    assert "titration_too_fast" in codes(a)


def test_more_doses_a_day_than_allowed() -> None:
    assert "max_doses_per_day_exceeded" in codes(run("baclofen 5 mg q4h"))


def test_unknown_and_uncovered_drugs() -> None:
    a = run("xyzzyq 10 mg tid", "baclofen 10 mg tid")
    unknown = [f for f in a.findings if f.code == "unknown_drug"]
    assert len(unknown) == 1 and unknown[0].drugs == ("xyzzyq",)
    assert total(a) == 30  # the rest is still checked
    b = run("zuclopenthixol 5 mg daily")  # known by name only
    assert "unknown_drug" not in codes(b)
    assert any("not cover" in n.reason for n in b.not_checked)
    c = run("warfarin 5 mg daily")  # a class entry: known by class, no monograph
    assert "unknown_drug" not in codes(c)
    assert any("known by class only" in n.reason for n in c.not_checked)


def test_missing_age_is_reported_not_assumed() -> None:
    a = run("baclofen 10 mg tid")
    assert any(n.check == "age-specific dose limits" for n in a.not_checked)


@settings(max_examples=200, deadline=None)
@given(dose=st.integers(min_value=1, max_value=60), per_day=st.sampled_from([1, 2, 3, 4]))
def test_max_daily_flag_iff_over_80(dose: int, per_day: int) -> None:
    freq = {1: "daily", 2: "bid", 3: "tid", 4: "qid"}[per_day]
    a = run(f"baclofen {dose} mg {freq}", patient={"age_years": 40})
    assert total(a) == dose * per_day
    assert ("max_daily_dose_exceeded" in codes(a)) is (dose * per_day > 80)


def test_a_child_over_the_band_maximum_is_told_once() -> None:
    a = run("baclofen 15 mg qid", patient={"age_years": 5, "weight_kg": 18})
    assert "pediatric_max_exceeded" in codes(a)
    assert "max_daily_dose_exceeded" not in codes(a)  # replaced by the more specific finding
    adult = run("baclofen 25 mg qid", patient={"age_years": 40})
    assert "max_daily_dose_exceeded" in codes(adult)
