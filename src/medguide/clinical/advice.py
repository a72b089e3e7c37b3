"""One answer from many checks: the level, the advice and its order, resolved once.

Every check proposes advice and, for what to do now, a level. After all of them have run:

- the most urgent level decides (advice to call emergency services makes it an emergency);
- advice the level rules out goes (never "take the missed dose now" in an emergency, or
  beside a suspected overdose or build-up);
- of two pieces of advice that exclude each other, the safer stands (`EXCLUSIVE_ADVICE`);
- in an emergency the call for help comes first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from medguide.clinical.findings import Finding
from medguide.codes import EXCLUSIVE_ADVICE, RULED_OUT_BY_EMERGENCY, TRIAGE_RANK

_HOLDING_STATES = frozenset({"overdose", "suspected_toxicity"})
_CALLS = ("call_emergency_services", "call_poison_center")


@dataclass(frozen=True)
class Resolved:
    advice: tuple[str, ...]
    triage: Mapping[str, Any] | None
    computed: Mapping[str, Any]


def _level(triage: Mapping[str, Any] | None) -> int:
    return TRIAGE_RANK[str(triage["level"])] if triage else -1


def resolve_advice(
    findings: Sequence[Finding],
    advice: Iterable[str],
    triage: Mapping[str, Any] | None,
    computed: Mapping[str, Any],
) -> Resolved:
    codes = list(dict.fromkeys(advice))
    out_triage = dict(triage) if triage else None
    out_computed = dict(computed)
    if "call_emergency_services" in codes and _level(out_triage) < TRIAGE_RANK["emergency"]:
        why = next(
            (f.message for f in findings if "call_emergency_services" in f.advice),
            "a finding calls for emergency help",
        )
        base = out_triage or {"reasons": [], "not_understood": [], "symptoms": []}
        out_triage = {**base, "level": "emergency", "reasons": [why, *base.get("reasons", [])]}
    holding = any(f.code in _HOLDING_STATES for f in findings)
    if (holding or _level(out_triage) == TRIAGE_RANK["emergency"]) and (
        RULED_OUT_BY_EMERGENCY & set(codes)
    ):
        codes = [c for c in codes if c not in RULED_OUT_BY_EMERGENCY]
        if "skip_missed_dose" not in codes and "missed_dose" in out_computed:
            codes.append("skip_missed_dose")
        held = out_computed.get("missed_dose")
        if isinstance(held, Mapping):
            said = held.get("message")
            out_computed["missed_dose"] = {
                **held,
                "action": "hold",
                "message": "Do not take the missed dose now: get help first.",
            }
            if out_triage and said:
                out_triage["reasons"] = [r for r in out_triage.get("reasons", []) if r != said]
    for pair, keep in EXCLUSIVE_ADVICE.items():
        if pair <= set(codes):
            codes = [c for c in codes if c not in pair or c == keep]
    if out_triage and out_triage["level"] == "emergency":
        first = [c for c in _CALLS if c in codes] or ["call_emergency_services"]
        codes = first + [c for c in codes if c not in first]
    return Resolved(tuple(codes), out_triage, out_computed)
