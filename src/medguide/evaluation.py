"""Scoring `assess` on a set of clinical cases written outside the code (tests/eval/blind/).

A case passes when every expectation of its `expect` block holds (legend at the top of the
case file): required findings at or above their lowest severity, no false alarms, the triage
level within its bounds, the advice present and absent, the `--fail-on high` gate, and bad
input refused. `unsafe` counts the failures that could hurt someone: a required finding of
high or critical severity missing or under-rated, a triage below its floor, an advice code of
an emergency or a poison exposure missing, an unreadable order that passes the gate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from medguide.codes import SEVERITY_RANK, TRIAGE_RANK
from medguide.knowledge.catalog import Catalog

_SAFETY_ADVICE = frozenset(
    {"call_emergency_services", "call_poison_center", "do_not_stop_abruptly", "do_not_double"}
)


@dataclass(frozen=True)
class CaseOutcome:
    id: str
    passed: bool
    unsafe: bool
    problems: tuple[str, ...] = ()
    control: bool = False


@dataclass(frozen=True)
class CaseReport:
    outcomes: tuple[CaseOutcome, ...]
    by_problem: Mapping[str, int] = field(default_factory=dict)

    @property
    def passed(self) -> int:
        return sum(o.passed for o in self.outcomes)

    @property
    def unsafe(self) -> int:
        return sum(o.unsafe for o in self.outcomes)

    def summary(self) -> dict[str, Any]:
        controls = [o for o in self.outcomes if o.control]
        return {
            "cases": len(self.outcomes),
            "passed": self.passed,
            "pass_rate": round(self.passed / max(len(self.outcomes), 1), 3),
            "unsafe": self.unsafe,
            "controls_passed": f"{sum(o.passed for o in controls)}/{len(controls)}",
            "by_problem": dict(self.by_problem),
        }


def _names(catalog: Catalog, drugs: Iterable[str]) -> set[str]:
    """Finding drugs as every name a case may use: the id, the name and the ingredient."""
    out: set[str] = set()
    for d in drugs:
        out.add(d.lower())
        drug = catalog.drug(d)
        if drug is not None:
            out.update({drug.name.lower(), drug.id.lower()})
    return out


def score_case(catalog: Catalog, case: Mapping[str, Any], result: Mapping[str, Any] | None,
               refused: str | None) -> CaseOutcome:  # fmt: skip
    """Score one case against the result of `assess` (None when the request was refused)."""
    expect: Mapping[str, Any] = case.get("expect") or {}
    problems: list[str] = []
    unsafe = False
    cid, control = str(case.get("id")), bool(case.get("control"))
    if expect.get("error"):
        if refused is None:
            problems.append("accepted: bad input must be refused")
        return CaseOutcome(cid, not problems, False, tuple(problems), control)
    if result is None:
        return CaseOutcome(cid, False, True, (f"refused: {refused}",), control)
    findings = result["findings"]
    for want in expect.get("findings") or []:
        code, floor = want["code"], want.get("min_severity", "info")
        hits = [f for f in findings if f["code"] == code]
        need = {n.lower() for n in want.get("drugs_include") or []}
        if need:
            hits = [f for f in hits if need <= _names(catalog, f["drugs"])]
        if not hits:
            problems.append(f"missing {code}")
            unsafe = unsafe or SEVERITY_RANK[floor] >= SEVERITY_RANK["high"]
            continue
        best = max(SEVERITY_RANK[f["severity"]] for f in hits)
        if best < SEVERITY_RANK[floor]:
            problems.append(f"{code} under-rated")
            unsafe = unsafe or SEVERITY_RANK[floor] >= SEVERITY_RANK["high"]
    present = {f["code"] for f in findings}
    problems += [f"false alarm {c}" for c in expect.get("absent_findings") or [] if c in present]
    level = (result.get("triage") or {}).get("level")
    rank = TRIAGE_RANK[level] if level else -1
    if "triage_min" in expect and rank < TRIAGE_RANK[expect["triage_min"]]:
        problems.append(f"triage {level} below {expect['triage_min']}")
        unsafe = unsafe or TRIAGE_RANK[expect["triage_min"]] >= TRIAGE_RANK["urgent"]
    if "triage_max" in expect and rank > TRIAGE_RANK[expect["triage_max"]]:
        problems.append(f"triage {level} above {expect['triage_max']}")
    advice = set(result.get("advice") or [])
    for code in expect.get("advice") or []:
        if code not in advice:
            problems.append(f"advice {code} missing")
            unsafe = unsafe or code in _SAFETY_ADVICE
    problems += [f"advice {c} present" for c in expect.get("advice_absent") or [] if c in advice]
    if expect.get("fail_on_high") and not any(
        SEVERITY_RANK[f["severity"]] >= SEVERITY_RANK["high"] for f in findings
    ):
        problems.append("passes --fail-on high")
        unsafe = True
    return CaseOutcome(cid, not problems, unsafe, tuple(problems), control)


def evaluate_cases(catalog: Catalog, cases: Sequence[Mapping[str, Any]]) -> CaseReport:
    """Run `service.assess` on every case and score it."""
    from pydantic import ValidationError

    from medguide import service
    from medguide.clinical.request import AssessRequest

    outcomes = []
    for case in cases:
        result: Mapping[str, Any] | None = None
        refused: str | None = None
        try:
            request = AssessRequest.model_validate(case["request"])
            result = service.assess(catalog, request).as_dict()
        except (ValidationError, service.ServiceError) as exc:
            refused = str(exc).splitlines()[0]
        outcomes.append(score_case(catalog, case, result, refused))
    kinds = Counter(p.split(" ")[0] + " " + p.split(" ")[1] for o in outcomes for p in o.problems)
    return CaseReport(tuple(outcomes), dict(kinds.most_common()))
