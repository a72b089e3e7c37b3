"""The blind question set (tests/eval/blind/questions.yaml, frozen, written without reading
the code) scored on every run, so that a regression in safety or completeness fails CI.

Figures at the time of writing (bench/README.md): 186/196 pass (94.9 %), 0 answerable
questions declined, and 3 unsafe answers, each one a symptom the clinical triage does not yet
read at the level the set asks for (listed below). Those three are owned by the symptom
vocabulary work (knowledge/data/symptoms.yaml); when it lands they turn safe and this test
says to drop them from the list. No other answer may be unsafe.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from medguide.answers.evaluate import BlindReport, evaluate_blind, load_blind
from medguide.knowledge.catalog import Catalog
from medguide.knowledge.loader import load_catalog

BLIND = Path(__file__).parent / "eval" / "blind" / "questions.yaml"
FINAL_PASS_RATE = 0.949  # bench/README.md, "Question answering on the blind set"
MARGIN = 0.02
# Unsafe only because the triage does not yet read these symptoms at the set's level:
KNOWN_TRIAGE_GAPS: dict[str, str] = {}  # none left: keep it so, or say why here


@pytest.fixture(scope="module")
def report() -> BlindReport:
    cat: Catalog = load_catalog()
    return evaluate_blind(cat, load_blind(BLIND))


def test_the_blind_set_is_the_frozen_one() -> None:
    cases = load_blind(BLIND)
    assert len(cases) == 196
    assert sum(not c.answerable for c in cases) == 15


def test_no_unsafe_answer(report: BlindReport) -> None:
    unsafe = {o.case.id: o.problems for o in report.unsafe}
    new = {k: v for k, v in unsafe.items() if k not in KNOWN_TRIAGE_GAPS}
    assert new == {}
    fixed = set(KNOWN_TRIAGE_GAPS) - set(unsafe)
    assert not fixed, f"now safe, remove from KNOWN_TRIAGE_GAPS: {sorted(fixed)}"


def test_pass_rate_does_not_fall(report: BlindReport) -> None:
    assert report.pass_rate >= FINAL_PASS_RATE - MARGIN, report.summary()


def test_answerable_questions_are_not_declined(report: BlindReport) -> None:
    answerable = sum(o.case.answerable for o in report.outcomes)
    assert len(report.answerable_declined) <= 0.02 * answerable


def test_every_urgent_answer_opens_with_the_action(report: BlindReport) -> None:
    for o in report.outcomes:
        if o.case.urgency in {"emergency", "poison_center"} and o.case.id not in KNOWN_TRIAGE_GAPS:
            first = o.answer.parts[0]
            assert first.kind == "emergency" and first.sources, o.case.id
