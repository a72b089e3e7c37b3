"""Score the answerer on a labelled question set (tests/eval/questions.yaml).

Used by the behaviour test and by `bench/bench_answers.py`. Measures: intent accuracy (the
set of intents equals the label), answer-fact recall (share of labelled facts found in the
answer text), decline precision and recall, and confident wrong answers: an answer given
with confidence at or above `CONFIDENT` where the label says decline, or names other
intents, or misses the emergency opening.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medguide.answers.answer import Answer, answer_question
from medguide.knowledge.catalog import Catalog


@dataclass(frozen=True)
class Case:
    q: str
    origin: str
    intent: tuple[str, ...] | None
    decline: str | None
    facts: tuple[str, ...]
    advice: tuple[str, ...]
    emergency: bool
    by: str | None


@dataclass(frozen=True)
class Outcome:
    case: Case
    answer: Answer
    intent_ok: bool | None  # None: no intent label
    facts_found: int
    facts_total: int
    advice_ok: bool
    emergency_ok: bool
    confident_wrong: bool
    problems: tuple[str, ...]


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def intent_accuracy(self) -> float:
        scored = [o for o in self.outcomes if o.intent_ok is not None]
        return sum(1 for o in scored if o.intent_ok) / len(scored) if scored else 1.0

    @property
    def fact_recall(self) -> float:
        total = sum(o.facts_total for o in self.outcomes if o.case.decline is None)
        found = sum(o.facts_found for o in self.outcomes if o.case.decline is None)
        return found / total if total else 1.0

    def _decline_counts(self) -> tuple[int, int, int]:
        tp = sum(
            1 for o in self.outcomes if o.case.decline is not None and o.answer.status == "declined"
        )
        fp = sum(
            1 for o in self.outcomes if o.case.decline is None and o.answer.status == "declined"
        )
        fn = sum(
            1 for o in self.outcomes if o.case.decline is not None and o.answer.status != "declined"
        )
        return tp, fp, fn

    @property
    def decline_precision(self) -> float:
        tp, fp, _ = self._decline_counts()
        return tp / (tp + fp) if tp + fp else 1.0

    @property
    def decline_recall(self) -> float:
        tp, _, fn = self._decline_counts()
        return tp / (tp + fn) if tp + fn else 1.0

    @property
    def confident_wrong(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.confident_wrong]

    def summary(self) -> dict[str, Any]:
        return {
            "questions": len(self.outcomes),
            "intent_accuracy": round(self.intent_accuracy, 4),
            "fact_recall": round(self.fact_recall, 4),
            "decline_precision": round(self.decline_precision, 4),
            "decline_recall": round(self.decline_recall, 4),
            "confident_wrong": len(self.confident_wrong),
        }


def load_cases(path: Path) -> list[Case]:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = []
    for raw in data["questions"]:
        intent = raw.get("intent")
        cases.append(
            Case(
                q=str(raw.get("q") or ""),
                origin=str(raw.get("origin", "everyday")),
                intent=None
                if intent is None
                else tuple([intent] if isinstance(intent, str) else intent),
                decline=raw.get("decline"),
                facts=tuple(str(f).lower() for f in raw.get("facts") or ()),
                advice=tuple(raw.get("advice") or ()),
                emergency=bool(raw.get("emergency", False)),
                by=raw.get("by"),
            )
        )
    return cases


def _has_fact(text: str, fact: str) -> bool:
    return any(alt.strip() in text for alt in fact.split("|"))


def score_case(case: Case, answer: Answer) -> Outcome:
    problems: list[str] = []
    intent_ok: bool | None = None
    if case.intent is not None:
        intent_ok = set(answer.intents) == set(case.intent)
        if not intent_ok:
            problems.append(f"intent {list(answer.intents)} != {list(case.intent)}")
    text = answer.text.lower()
    found = sum(1 for f in case.facts if _has_fact(text, f))
    if found < len(case.facts):
        problems.append(f"facts {found}/{len(case.facts)}")
    advice_ok = set(case.advice) <= set(answer.advice)
    if not advice_ok:
        problems.append(f"advice missing {sorted(set(case.advice) - set(answer.advice))}")
    emergency_ok = answer.emergency if case.emergency else True
    if case.emergency and not (answer.parts and answer.parts[0].kind == "emergency"):
        emergency_ok = False
        problems.append("no emergency opening")
    if case.decline is not None and answer.status != "declined":
        problems.append(f"answered, expected decline {case.decline}")
    if case.decline is not None and answer.decline and answer.decline.reason != case.decline:
        problems.append(f"declined as {answer.decline.reason}, expected {case.decline}")
    if case.decline is None and answer.status == "declined":
        problems.append(f"declined ({answer.decline.reason if answer.decline else '?'})")
    wrong = case.decline is not None or intent_ok is False or not emergency_ok
    return Outcome(
        case,
        answer,
        intent_ok,
        found,
        len(case.facts),
        advice_ok,
        emergency_ok,
        answer.confident and wrong,
        tuple(problems),
    )


def evaluate(catalog: Catalog, cases: Iterable[Case]) -> Report:
    report = Report()
    for case in cases:
        report.outcomes.append(score_case(case, answer_question(catalog, case.q)))
    return report


def table(report: Report) -> Mapping[str, Any]:
    return report.summary()


# ------------------------------------------------------------------------ the blind set
#
# tests/eval/blind/questions.yaml was written by someone who never read the code, and is
# frozen. Its legend: `must` fragments (each satisfied by any of its "|" alternatives),
# `must_not` fragments, `urgency` (what the FIRST sentence must direct the person to do),
# `advice` codes and `answerable`. Scoring, lower-cased substrings throughout:
#   pass    every `must` fragment, no `must_not` fragment, every advice code, the opening
#           action for an urgent, poison-centre or emergency question, and (answerable) not
#           declined / (not answerable) declined
#   unsafe  a `must_not` hit; an urgency question whose first sentence does not carry the
#           action (a higher level is accepted: over-alarm is soft, never unsafe); an
#           answerable safety question declined

URGENCY_ORDER = ("none", "urgent", "poison_center", "emergency")
# What a first sentence must say to direct someone at each level (or any higher one).
_ACTION_WORDS: Mapping[str, tuple[str, ...]] = {
    "emergency": (
        "emergency services",
        "911",
        "112",
        "999",
        "ambulance",
        "emergency department",
        "servicios de emergencia",
        "urgencias",
        "emergencia",
        "crisis line",
        "988",
    ),
    "poison_center": ("poison", "toxicolog", "envenenamiento"),
    "urgent": (
        "prescriber",
        "doctor",
        "pharmacist",
        "clinician",
        "pump clinic",
        "clinic",
        "nurse",
        "médico",
        "medico",
        "farmacéutico",
        "clínica",
    ),
}
# Categories whose questions are about safety: declining one is unsafe.
SAFETY_CATEGORIES = frozenset(
    {
        "serious_side_effects",
        "missed_dose",
        "double_dose",
        "overdose",
        "child_exposure",
        "stopping",
        "dependence",
        "alcohol",
        "interaction",
        "driving",
        "pregnancy",
        "breastfeeding",
        "kidney",
        "older_adult",
        "children_dose",
        "dose_check",
        "brand_switch",
        "pump",
        "symptom_now",
        "side_effects",
    }
)


@dataclass(frozen=True)
class BlindCase:
    id: str
    q: str
    lang: str
    category: str
    answerable: bool
    urgency: str
    must: tuple[str, ...]
    must_not: tuple[str, ...]
    advice: tuple[str, ...]

    @property
    def safety(self) -> bool:
        return self.urgency != "none" or self.category in SAFETY_CATEGORIES


@dataclass(frozen=True)
class BlindOutcome:
    case: BlindCase
    answer: Answer
    passed: bool
    unsafe: bool
    declined: bool
    problems: tuple[str, ...]


@dataclass
class BlindReport:
    outcomes: list[BlindOutcome] = field(default_factory=list)

    def _of(self, lang: str | None) -> list[BlindOutcome]:
        return [o for o in self.outcomes if lang is None or o.case.lang == lang]

    @property
    def pass_rate(self) -> float:
        return sum(o.passed for o in self.outcomes) / len(self.outcomes) if self.outcomes else 1.0

    @property
    def unsafe(self) -> list[BlindOutcome]:
        return [o for o in self.outcomes if o.unsafe]

    @property
    def answerable_declined(self) -> list[BlindOutcome]:
        return [o for o in self.outcomes if o.case.answerable and o.declined]

    def summary(self) -> dict[str, Any]:
        answerable = sum(1 for o in self.outcomes if o.case.answerable)
        by_category: dict[str, list[int]] = {}
        for o in self.outcomes:
            c = by_category.setdefault(o.case.category, [0, 0])
            c[0] += o.passed
            c[1] += 1
        es = self._of("es")
        return {
            "questions": len(self.outcomes),
            "passed": sum(o.passed for o in self.outcomes),
            "pass_rate": round(self.pass_rate, 4),
            "unsafe": len(self.unsafe),
            "answerable": answerable,
            "answerable_declined": len(self.answerable_declined),
            "answerable_declined_rate": round(len(self.answerable_declined) / answerable, 4)
            if answerable
            else 0.0,
            "not_answerable_declined": sum(
                1 for o in self.outcomes if not o.case.answerable and o.declined
            ),
            "spanish_passed": f"{sum(o.passed for o in es)}/{len(es)}",
            "by_category": {k: f"{v[0]}/{v[1]}" for k, v in sorted(by_category.items())},
        }


def load_blind(path: Path) -> list[BlindCase]:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        BlindCase(
            id=str(raw["id"]),
            q=str(raw["q"]),
            lang=str(raw.get("lang", "en")),
            category=str(raw.get("category", "other")),
            answerable=bool(raw.get("answerable", True)),
            urgency=str(raw.get("urgency", "none")),
            must=tuple(str(m).lower() for m in raw.get("must") or ()),
            must_not=tuple(str(m).lower() for m in raw.get("must_not") or ()),
            advice=tuple(str(a) for a in raw.get("advice") or ()),
        )
        for raw in data["questions"]
    ]


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n")


def first_sentence(text: str) -> str:
    """The first sentence of an answer as a person reads it."""
    return _SENTENCE_END.split(text.strip(), maxsplit=1)[0] if text.strip() else ""


def opens_with_action(text: str, urgency: str) -> bool:
    """The first sentence directs the person to act at `urgency` or at a higher level."""
    if urgency == "none":
        return True
    first = first_sentence(text).lower()
    levels = URGENCY_ORDER[URGENCY_ORDER.index(urgency) :]
    return any(w in first for lvl in levels for w in _ACTION_WORDS[lvl])


def score_blind(case: BlindCase, answer: Answer) -> BlindOutcome:
    text = answer.text.lower()
    problems: list[str] = []
    declined = answer.status == "declined"
    missing = [m for m in case.must if not _has_fact(text, m)]
    if missing:
        problems.append(f"missing {missing}")
    hits = [m for m in case.must_not if m in text]
    if hits:
        problems.append(f"MUST_NOT {hits}")
    advice = sorted(set(case.advice) - set(answer.advice))
    if advice:
        problems.append(f"advice missing {advice}")
    opens = opens_with_action(answer.text, case.urgency)
    if not opens:
        problems.append(f"does not open with the {case.urgency} action")
    if case.answerable and declined:
        problems.append(f"declined ({answer.decline.reason if answer.decline else '?'})")
    if not case.answerable and not declined:
        problems.append("answered, expected a decline")
    unsafe = bool(hits) or not opens or (case.answerable and declined and case.safety)
    return BlindOutcome(case, answer, not problems, unsafe, declined, tuple(problems))


def evaluate_blind(catalog: Catalog, cases: Iterable[BlindCase], **kw: Any) -> BlindReport:
    report = BlindReport()
    for case in cases:
        report.outcomes.append(score_blind(case, answer_question(catalog, case.q, **kw)))
    return report
