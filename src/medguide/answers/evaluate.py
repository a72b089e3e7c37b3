"""Score the answerer on a labelled question set (tests/eval/questions.yaml).

Used by the behaviour test and by `bench/bench_answers.py`. Measures: intent accuracy (the
set of intents equals the label), answer-fact recall (share of labelled facts found in the
answer text), decline precision and recall, and confident wrong answers: an answer given
with confidence at or above `CONFIDENT` where the label says decline, or names other
intents, or misses the emergency opening.
"""

from __future__ import annotations

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
