"""The assessment: one request in, every check run, one merged result out.

`assess(catalog, request, now)` is pure: no I/O, no clock. Each group of checks is a function
`(Context) -> CheckResult`; the assessment runs them in order and merges what they return.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from medguide.clinical.advice import resolve_advice
from medguide.clinical.context import Context, build_context
from medguide.clinical.findings import (
    TRIAGE_RANK,
    CheckResult,
    Finding,
    NotChecked,
    drop_superseded,
    sort_findings,
)
from medguide.clinical.normalize import normalize_request
from medguide.clinical.request import AssessRequest
from medguide.knowledge.catalog import Catalog

Check = Callable[[Context], CheckResult]


def _checks() -> tuple[Check, ...]:
    # Imported here so that each module stays importable on its own, and in the order the
    # results are best read: orders and doses first, then the person, then what to do now.
    from medguide.clinical import (
        changes,
        doses,
        interactions,
        kidney,
        populations,
        pump,
        triage,
    )

    return (
        doses.check_orders,
        doses.check_doses,
        changes.check_changes,
        pump.check_pump,
        kidney.check_kidney,
        populations.check_populations,
        interactions.check_interactions,
        triage.check_now,
    )


@dataclass(frozen=True)
class Assessment:
    findings: tuple[Finding, ...]
    not_checked: tuple[NotChecked, ...]
    computed: Mapping[str, Any]
    advice: tuple[str, ...]
    triage: Mapping[str, Any] | None
    knowledge_version: str
    now: datetime | None = None
    answer: Mapping[str, Any] | None = None

    def with_not_checked(self, *items: NotChecked) -> Assessment:
        """The same result with more "not checked" lines (what a door could not pass on)."""
        return replace(self, not_checked=(*self.not_checked, *items))

    def as_dict(self) -> dict[str, Any]:
        return {
            "findings": [f.as_dict() for f in self.findings],
            "triage": dict(self.triage) if self.triage else None,
            "advice": list(self.advice),
            "computed": dict(self.computed),
            "not_checked": [n.as_dict() for n in self.not_checked],
            **({"answer": dict(self.answer)} if self.answer is not None else {}),
            "knowledge_version": self.knowledge_version,
        }


def _merge_triage(
    a: Mapping[str, Any] | None, b: Mapping[str, Any] | None
) -> Mapping[str, Any] | None:
    """One triage from two parts: the more urgent level and state lead; reasons add up."""
    if a is None:
        return b
    if b is None:
        return a
    first, second = (
        (b, a) if TRIAGE_RANK[str(b["level"])] > TRIAGE_RANK[str(a["level"])] else (a, b)
    )
    merged = dict(first)
    for key in ("reasons", "not_understood", "symptoms", "red_flags", "absent"):
        merged[key] = list(dict.fromkeys([*(first.get(key) or ()), *(second.get(key) or ())]))
    merged["suspected_state"] = first.get("suspected_state") or second.get("suspected_state")
    return merged


def assess(catalog: Catalog, request: AssessRequest, now: datetime | None = None) -> Assessment:
    """Run every check on `request`. `now` defaults to the request's own `now`."""
    moment = now or request.now
    ctx = build_context(catalog, normalize_request(request, moment), moment)
    findings: list[Finding] = []
    not_checked: list[NotChecked] = []
    computed: dict[str, Any] = dict(ctx.computed)
    advice: list[str] = []
    triage: Mapping[str, Any] | None = None
    for check in _checks():
        result = check(ctx)
        findings.extend(result.findings)
        not_checked.extend(result.not_checked)
        computed.update(result.computed)
        triage = _merge_triage(triage, result.triage)
        for code in (*result.advice, *(a for f in result.findings for a in f.advice)):
            if code not in advice:
                advice.append(code)
    final = sort_findings(drop_superseded(findings))
    resolved = resolve_advice(final, advice, triage, computed)
    return Assessment(
        findings=final,
        not_checked=tuple(not_checked),
        computed=resolved.computed,
        advice=resolved.advice,
        triage=resolved.triage,
        knowledge_version=catalog.version,
        now=ctx.now,
    )
