"""Titration and taper plans, FHIR and iCalendar exports (issue 3)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

import icalendar
import pytest
from fhir.resources.R4B.dosage import Dosage
from hypothesis import given, settings
from hypothesis import strategies as st

from medguide.clinical.kidney import KidneyFunction, KidneyValue
from medguide.clinical.plans import Plan, PlanError, plan_taper, plan_titration
from medguide.interop.fhir import dump_dosages
from medguide.interop.ical import dump_ical
from medguide.knowledge.loader import load_catalog
from medguide.knowledge.models.drug import Drug

START = date(2026, 3, 2)
LABEL_MAX = 80.0
LABEL_RISE = 15.0  # the label adds 5 mg to each of three doses
ZONES = [
    "UTC",
    "America/New_York",
    "Europe/Paris",
    "Asia/Kolkata",
    "Pacific/Auckland",
    "America/St_Johns",
    "Australia/Lord_Howe",
]


def baclofen() -> Drug:
    return load_catalog().drugs["baclofen"]


def crcl(value: float) -> KidneyFunction:
    return KidneyFunction(crcl=KidneyValue("crcl", value, "measured"))


def regimen(plan: Plan) -> list[tuple[float, int, int]]:
    return [(s.dose, s.doses_per_day, s.days) for s in plan.steps]


def test_label_titration() -> None:
    plan = plan_titration(baclofen(), start=START, age_years=40, kidney=crcl(100))
    assert regimen(plan) == [(5, 3, 3), (10, 3, 3), (15, 3, 3), (20, 3, 3)]
    assert plan.steps[0].start == START and plan.steps[-1].ongoing
    assert [s.start for s in plan.steps] == [START + timedelta(days=3 * i) for i in range(4)]
    assert plan.max_daily == LABEL_MAX and "S1" in plan.sources


@pytest.mark.parametrize(
    ("kwargs", "last_daily", "max_daily", "warning"),
    [
        ({"target_daily": 80}, 80, 80, None),
        ({"target_daily": 200}, 80, 80, "target_above_maximum"),
        ({"target_daily": 30}, 30, 30, None),
        ({"kidney": crcl(60)}, 30, 53.6, None),  # × 0.67, whole 5 mg tablets
        ({"kidney": crcl(40), "target_daily": 80}, 40, 40, "target_above_maximum"),
        ({"kidney": crcl(20)}, 5, 5, "renal_avoid"),
        ({"kidney": KidneyFunction(dialysis="hemodialysis")}, 5, 5, "renal_avoid"),
        (
            {"age_years": 75, "kidney": crcl(90), "target_daily": 80},
            30,  # below the 40 mg caution in whole tablets, three doses a day
            40,
            "geriatric_dose_caution",
        ),
        (
            {"age_years": 9, "weight_kg": 30, "target_daily": 80},
            60,
            60,
            "pediatric_label_not_established",
        ),
        (
            {"age_years": 5, "weight_kg": 18, "target_daily": 80},
            36,  # an oral liquid is chosen: 2.5 mg cannot be made from whole tablets
            36,
            "pediatric_label_not_established",
        ),
    ],
)
def test_titration_caps(
    kwargs: dict[str, object], last_daily: float, max_daily: float, warning: str | None
) -> None:
    args: dict[str, object] = {"age_years": 40, "kidney": crcl(100), **kwargs}
    plan = plan_titration(baclofen(), start=START, **args)  # type: ignore[arg-type]
    assert plan.steps[-1].daily == pytest.approx(last_daily)
    assert plan.max_daily == pytest.approx(max_daily)
    assert all(s.daily <= max_daily + 1e-9 for s in plan.steps)
    if warning:
        assert warning in {w.code for w in plan.warnings}


def test_the_82_year_old_plan() -> None:
    k = KidneyFunction(crcl=KidneyValue("crcl", 31.3, "cockcroft_gault"))
    plan = plan_titration(baclofen(), start=START, age_years=82, kidney=k)
    assert [s.daily for s in plan.steps] == [5, 15]  # whole 5 mg tablets, under 20 mg a day
    kinds = {c.kind for c in plan.caps}
    assert {"label", "kidney", "age", "first_step"} <= kinds
    assert {"beers_kidney_avoid", "geriatric_dose_caution"} <= {w.code for w in plan.warnings}


def test_slower_steps_only() -> None:
    slow = plan_titration(baclofen(), start=START, age_years=40, step_days=7)
    assert all(s.days == 7 for s in slow.steps)
    with pytest.raises(PlanError, match="faster"):
        plan_titration(baclofen(), start=START, age_years=40, step_days=2)


def test_weight_needed_for_a_per_kg_limit() -> None:
    with pytest.raises(PlanError, match="weight"):
        plan_titration(baclofen(), start=START, age_years=5)


def test_current_dose_starts_above_it() -> None:
    plan = plan_titration(baclofen(), start=START, age_years=40, current_daily=30)
    assert [s.daily for s in plan.steps] == [45, 60]


@pytest.mark.parametrize(
    ("product", "per_ml"), [("ozobax", 1.0), ("ozobax_ds", 2.0), ("fleqsuvy", 5.0)]
)
def test_liquid_volumes(product: str, per_ml: float) -> None:
    plan = plan_titration(baclofen(), start=START, age_years=40, product=product)
    for s in plan.steps:
        assert s.volume_ml == pytest.approx(s.dose / per_ml)
    assert plan.concentration is not None


def test_unknown_product_and_intrathecal_are_refused() -> None:
    with pytest.raises(PlanError, match="no product"):
        plan_titration(baclofen(), start=START, product="nope")
    with pytest.raises(PlanError, match="pump team") as exc:
        plan_taper(
            baclofen(), dose=300, doses_per_day=1, start=START, route="intrathecal", dose_unit="mcg"
        )
    assert "S10" in exc.value.sources
    with pytest.raises(PlanError, match="pump team"):
        plan_titration(baclofen(), start=START, route="intrathecal")


@pytest.mark.parametrize(
    ("dose", "per_day", "on_drug_days", "min_total_days"),
    [
        (20, 4, None, 28),  # 80 mg/day is a high dose
        (5, 3, 10, 14),
        (5, 3, 365, 28),  # long use
        (10, 3, None, 14),
        (20, 3, None, 28),
    ],
)
def test_taper_table(
    dose: float, per_day: int, on_drug_days: int | None, min_total_days: int
) -> None:
    plan = plan_taper(
        baclofen(), dose=dose, doses_per_day=per_day, start=START, on_drug_days=on_drug_days
    )
    dailies = [s.daily for s in plan.steps]
    assert dailies[-1] == 0 and dailies[0] < dose * per_day
    assert all(b <= a for a, b in itertools.pairwise(dailies))
    assert (plan.steps[-1].start - START).days >= min_total_days
    assert dailies[-2] <= 15
    assert "do_not_stop_abruptly" in {w.code for w in plan.warnings}


def test_taper_in_ml_of_a_liquid() -> None:
    plan = plan_taper(
        baclofen(), dose=2, doses_per_day=4, dose_unit="mL", product="fleqsuvy", start=START
    )
    assert plan.inputs["current_daily"] == 40
    assert all(s.volume_ml == pytest.approx(s.dose / 5) for s in plan.steps[:-1])
    with pytest.raises(PlanError, match="liquid"):
        plan_taper(baclofen(), dose=2, doses_per_day=4, dose_unit="mL", start=START)


@pytest.mark.parametrize(
    ("dose", "per_day", "unit", "product"),
    [
        (30, 4, "mg", None),
        (10, 4, "mL", "fleqsuvy"),  # 200 mg a day: likely a 5 mg/5 mL vs 5 mg/mL mix-up
        (20.5, 4, "mg", None),
    ],
)
def test_taper_from_above_the_maximum_is_refused(
    dose: float, per_day: int, unit: str, product: str | None
) -> None:
    """Regression: the plan used to drop at once to 80 mg a day, a sudden large cut."""
    with pytest.raises(PlanError, match="prescriber") as exc:
        plan_taper(
            baclofen(),
            dose=dose,
            doses_per_day=per_day,
            dose_unit=unit,
            product=product,
            start=START,
        )
    assert "S8" in exc.value.sources and "S15" in exc.value.sources


@pytest.mark.parametrize(
    ("kwargs", "regimens", "half"),
    [
        # Regressions: every dose made from whole 5/10/15/20 mg tablets, never half a 5 mg.
        ({"dose": 5, "doses_per_day": 3, "on_drug_days": 10}, [(5, 2), (5, 1)], False),
        (
            {"dose": 20, "doses_per_day": 4, "on_drug_days": 3 * 365},
            [(15, 4), (15, 3), (10, 3), (10, 2), (5, 2), (5, 1)],
            False,
        ),
        # A dose already taken as half a tablet is kept and said plainly.
        ({"dose": 2.5, "doses_per_day": 3, "on_drug_days": 10}, [(2.5, 2), (2.5, 1)], True),
    ],
)
def test_taper_doses_are_made_of_tablets(
    kwargs: dict[str, float], regimens: list[tuple[float, int]], half: bool
) -> None:
    plan = plan_taper(baclofen(), start=START, **kwargs)  # type: ignore[arg-type]
    assert [(s.dose, s.doses_per_day) for s in plan.steps[:-1]] == regimens
    assert all(s.how for s in plan.steps[:-1])
    assert ("half_tablet" in {w.code for w in plan.warnings}) is half
    assert any("half a 5 mg tablet" in (s.how or "") for s in plan.steps) is half


def test_unknown_duration_takes_the_longer_taper() -> None:
    """Regression: the warning promised a 28-day taper, but 14 days were planned."""
    plan = plan_taper(baclofen(), dose=5, doses_per_day=3, start=START)
    assert (plan.steps[-1].start - START).days >= 28
    assert "duration_unknown" in {w.code for w in plan.warnings}


@pytest.mark.parametrize(
    ("kwargs", "product", "first_dose"),
    [
        ({"age_years": 3, "weight_kg": 14}, "ozobax", 2.5),  # regression: was half a tablet
        ({"age_years": 9, "weight_kg": 30}, "tablets", 5),
        ({"age_years": 40}, "tablets", 5),
        ({"age_years": 82, "kidney": crcl(31.3)}, "tablets", 5),
    ],
)
def test_titration_doses_are_achievable(
    kwargs: dict[str, object], product: str, first_dose: float
) -> None:
    plan = plan_titration(baclofen(), start=START, **kwargs)  # type: ignore[arg-type]
    assert plan.product == product and plan.steps[0].dose == first_dose
    if product == "tablets":
        assert all(s.dose % 5 == 0 and s.how for s in plan.steps)
    else:
        assert "liquid_chosen" in {w.code for w in plan.warnings}
        assert all(s.volume_ml for s in plan.steps)


def test_a_shorter_taper_is_lengthened() -> None:
    plan = plan_taper(baclofen(), dose=5, doses_per_day=3, start=START, min_days=3)
    assert (plan.steps[-1].start - START).days >= 14
    assert "taper_lengthened" in {w.code for w in plan.warnings}


# --- invariants -------------------------------------------------------------------------------

kidneys = st.one_of(
    st.none(),
    st.floats(min_value=1, max_value=200).map(crcl),
    st.sampled_from(["hemodialysis", "peritoneal"]).map(lambda d: KidneyFunction(dialysis=d)),  # type: ignore[arg-type]
)


@settings(max_examples=300, deadline=None)
@given(
    age=st.floats(min_value=12, max_value=105),
    kidney=kidneys,
    target=st.one_of(st.none(), st.floats(min_value=1, max_value=300)),
    step_days=st.one_of(st.none(), st.integers(min_value=3, max_value=14)),
    product=st.sampled_from([None, "tablets", "ozobax", "ozobax_ds", "fleqsuvy", "lyvispah"]),
)
def test_titration_invariants(
    age: float,
    kidney: KidneyFunction | None,
    target: float | None,
    step_days: int | None,
    product: str | None,
) -> None:
    try:
        plan = plan_titration(
            baclofen(),
            start=START,
            age_years=age,
            kidney=kidney,
            target_daily=target,
            step_days=step_days,
            product=product,
        )
    except PlanError:
        return  # refused (e.g. a maximum below the smallest dose step): nothing planned
    assert plan.max_daily is not None
    previous = 0.0
    for s in plan.steps:
        assert s.daily <= plan.max_daily + 1e-9 <= LABEL_MAX + 1e-9
        for cap in plan.caps:
            if cap.kind != "first_step":  # every cap but the first-step one binds every step
                assert s.daily <= cap.daily + 1e-9
        assert 0 < s.daily - previous <= LABEL_RISE + 1e-9  # never more than the label step
        assert s.days >= 3 and (step_days is None or s.days >= step_days)
        previous = s.daily
    if target is not None:
        assert plan.steps[-1].daily <= target + 1e-9


@settings(max_examples=300, deadline=None)
@given(
    dose=st.integers(min_value=1, max_value=60).map(lambda n: n * 0.5),
    per_day=st.integers(min_value=1, max_value=4),
    on_drug_days=st.one_of(st.none(), st.integers(min_value=1, max_value=4000)),
    min_days=st.one_of(st.none(), st.integers(min_value=1, max_value=60)),
    product=st.sampled_from([None, "tablets", "ozobax", "fleqsuvy", "lyvispah"]),
)
def test_taper_invariants(
    dose: float, per_day: int, on_drug_days: int | None, min_days: int | None, product: str | None
) -> None:
    drug = baclofen()
    assert drug.taper is not None
    try:
        plan = plan_taper(
            drug,
            dose=dose,
            doses_per_day=per_day,
            start=START,
            on_drug_days=on_drug_days,
            min_days=min_days,
            product=product,
        )
    except PlanError:
        # Only a current dose above the maximum is refused (the prescriber plans that one).
        assert dose * per_day > LABEL_MAX
        return
    assert dose * per_day <= LABEL_MAX
    dailies = [s.daily for s in plan.steps]
    assert dailies[-1] == 0 and plan.steps[-1].doses_per_day == 0
    assert all(b <= a + 1e-9 for a, b in itertools.pairwise(dailies))
    doses = [s.dose for s in plan.steps[:-1]]
    assert all(b <= a + 1e-9 for a, b in itertools.pairwise(doses))  # no single dose rises
    assert dailies[0] < dose * per_day or dose * per_day <= 5  # the first step is a cut
    assert dailies[0] <= min(dose * per_day, LABEL_MAX) + 1e-9
    total = (plan.steps[-1].start - START).days
    assert total >= max(drug.taper.min_days, min_days or 0)
    assert dailies[-2] <= 15 + 1e-9  # a high dose is never stopped in one step
    for a, b in zip(plan.steps, plan.steps[1:], strict=False):
        assert b.start == a.end + timedelta(days=1)


# --- exports ----------------------------------------------------------------------------------


def test_fhir_dosages_validate() -> None:
    plan = plan_titration(baclofen(), start=START, age_years=40, target_daily=80)
    dosages = dump_dosages(plan)
    assert [d["sequence"] for d in dosages] == list(range(1, len(plan.steps) + 1))
    for d in dosages:
        Dosage.model_validate(d)
    assert dosages[0]["doseAndRate"][0]["doseQuantity"] == {
        "value": 5.0,
        "unit": "mg",
        "system": "http://unitsofmeasure.org",
        "code": "mg",
    }
    assert dosages[0]["maxDosePerPeriod"]["numerator"]["value"] == 80
    assert dosages[0]["timing"]["repeat"]["frequency"] == 3
    assert "end" not in dosages[-1]["timing"]["repeat"]["boundsPeriod"]  # carry on
    taper = dump_dosages(plan_taper(baclofen(), dose=20, doses_per_day=4, start=START))
    for d in taper:
        Dosage.model_validate(d)
    assert taper[-1]["text"].startswith("Stop")
    # Regression: the text read "1 times a day"; tablet steps name their tablets.
    texts = [d["text"] for d in taper]
    assert not any("1 times" in t or "2 times" in t for t in texts)
    assert "5 mg (one 5 mg tablet) once a day" in " ".join(texts)


def _events(ics: bytes) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(ics).walk("VEVENT"))


def test_taper_ics_parses_back() -> None:
    plan = plan_taper(baclofen(), dose=20, doses_per_day=4, start=START)
    events = _events(dump_ical(plan, "America/New_York"))
    doses = [e for e in events if isinstance(e["DTSTART"].dt, datetime)]
    assert len(doses) == sum(s.days * s.doses_per_day for s in plan.steps)
    first = doses[0]["DTSTART"].dt
    assert first.date() == START and first.hour == 8 and str(first.tzinfo) == "America/New_York"
    assert str(doses[0]["SUMMARY"]) == "baclofen 15 mg"
    # 8 March 2026 is the US daylight-saving change: the dose stays at 08:00 local time.
    dst = [e["DTSTART"].dt for e in doses if e["DTSTART"].dt.date() == date(2026, 3, 8)]
    assert [d.hour for d in dst] == [8, 12, 16, 20]
    assert len({str(e["UID"]) for e in events}) == len(events)
    assert "taper finished" in str(events[-1]["SUMMARY"])


@settings(max_examples=40, deadline=None)
@given(
    zone_a=st.sampled_from(ZONES),
    zone_b=st.sampled_from(ZONES),
    dose=st.sampled_from([5.0, 10.0, 20.0]),
    per_day=st.integers(min_value=1, max_value=4),
)
def test_results_do_not_depend_on_the_time_zone(
    zone_a: str, zone_b: str, dose: float, per_day: int
) -> None:
    plan = plan_taper(baclofen(), dose=dose, doses_per_day=per_day, start=START)
    a = _events(dump_ical(plan, zone_a))
    b = _events(dump_ical(plan, zone_b))

    def local(events: list[icalendar.Event]) -> list[tuple[str, str]]:
        return [
            (
                str(e["SUMMARY"]),
                e["DTSTART"].dt.replace(tzinfo=None).isoformat()
                if isinstance(e["DTSTART"].dt, datetime)
                else e["DTSTART"].dt.isoformat(),
            )
            for e in events
        ]

    assert local(a) == local(b)
    assert dump_dosages(plan) == dump_dosages(
        plan_taper(baclofen(), dose=dose, doses_per_day=per_day, start=START)
    )
