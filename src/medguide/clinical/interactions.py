"""Interaction screen: pairwise rules, whole-regimen burden, duplicate therapy, NDF-RT.

`screen(catalog, items)` is the pure core, used by `medguide interactions` and by the
assessment (`check_interactions`). It returns one finding per interacting pair or group, not
one per order, most severe first:

- `interaction` for a pair a hand-curated rule in `interactions.yaml` speaks of. When several
  rules fit the pair, the most severe wins (then the most specific: drug over class over
  property); the NDF-RT rating for the same pair, if any, is shown in `details.ndfrt` as
  corroboration. A pair only the VA NDF-RT 2014 layer knows gives an `interaction` that says
  so and carries that layer's provenance.
- `cns_depressant_burden` / `hypotension_burden` when a group rule's count is reached: one
  finding naming every member and the strongest pair inside, in place of the pair alerts that
  the rules tag with that group. Pairs with another concern (a contraindication, a
  pharmacokinetic rise) keep their own finding.
- `duplicate_therapy` for two different ingredients of a class a duplicate rule names; a
  generic property pair rule between them (two CNS depressants) is folded into it.

An ingredient stands on the rules by its classes whether it has a monograph or only a class
entry (`class_entries.tsv`); a combination class entry (Percocet) is screened as its
ingredients. Keys known by class only are returned in `class_only` for callers to say so;
keys known by name only (no monograph, no class entry) get the NDF-RT layer alone and a
`not_checked` line. A group's severity table (`escalations`) can raise its burden finding:
an opioid, another sedative and baclofen together are critical.

Pair results are memoized in the catalog's bounded `pair_memo`, and the findings of a whole
list of keys (with their routes) in a second bounded memo, as a population repeats the same
lists; the interaction index is frozen and built when the catalog loads, so a screen reads no
file.

Finding severity follows the interaction severity by one table
(`INTERACTION_TO_FINDING_SEVERITY`): minor → low, moderate → moderate, major → high,
contraindicated → critical. Output for people hides `low` (minor) unless asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from medguide.clinical.context import Context
from medguide.clinical.findings import SEVERITY_RANK, CheckResult, Finding, NotChecked
from medguide.clinical.model import Resolved
from medguide.knowledge.catalog import Catalog
from medguide.knowledge.interaction_index import (
    InteractionIndex,
    PairMemo,
    PairwiseEntry,
    interaction_index,
    side_matches_drug,
    side_matches_route,
)
from medguide.knowledge.models.interactions import (
    INTERACTION_SEVERITY_RANK,
    INTERACTION_TO_FINDING_SEVERITY,
    Escalation,
    GroupRule,
    InteractionRule,
    InteractionSeverity,
    Side,
)

MAX_SCREEN_ITEMS = 100  # a longer list is refused with a clear message (an ICU admission
# lists up to about 55 names; 100 ingredients are 4,950 pairs, a few milliseconds)

SET_MEMO_LIMIT = 1_000  # whole lists screened per catalog (findings only); the oldest go first

HAND_CURATED = "medguide interaction rules (hand-curated)"
_MISS = object()


class TooManyItems(ValueError):
    """More than MAX_SCREEN_ITEMS ingredients were given to screen."""


@dataclass(frozen=True)
class ScreenItem:
    """One resolved ingredient to screen: its catalog id (when covered), its ingredient name
    (when only known), the route it is given by, and what the person wrote."""

    label: str
    drug_id: str | None
    ingredient: str | None
    route: str | None = None

    @classmethod
    def from_resolved(cls, resolved: Resolved, route: str | None = None) -> ScreenItem:
        return cls(resolved.query, resolved.drug_id, resolved.ingredient, route)


@dataclass(frozen=True)
class ScreenResult:
    findings: tuple[Finding, ...]
    not_checked: tuple[NotChecked, ...]
    screened: tuple[str, ...]  # ingredient keys, in the order first given
    # keys known by a class entry only (no monograph): screened by their classes; callers
    # say so ("known by class, no monograph") wherever they show them
    class_only: tuple[str, ...] = ()
    name_only: tuple[str, ...] = ()  # keys known by name only: class rules not checked


@dataclass(frozen=True)
class _PairHit:
    """What the rules and the pairwise layer say about one pair."""

    rule: InteractionRule | None
    other_rules: tuple[InteractionRule, ...]
    pairwise: PairwiseEntry | None
    severity: InteractionSeverity  # interaction severity of the hit
    finding: Finding


def _specificity(rule: InteractionRule) -> int:
    def side(s: Side) -> int:
        return 2 if s.drugs else 1 if s.classes else 0

    return side(rule.a) + side(rule.b) + (1 if rule.a.route or rule.b.route else 0)


def _display(catalog: Catalog, key: str) -> str:
    return catalog.display_name(key)


def _rule_finding(
    catalog: Catalog,
    rule: InteractionRule,
    x: str,
    y: str,
    others: tuple[InteractionRule, ...],
    pw: PairwiseEntry | None,
) -> Finding:
    names = f"{_display(catalog, x)} with {_display(catalog, y)}"
    details: dict[str, Any] = {
        "severity": rule.severity,
        "effect": rule.effect,
        "mechanism": rule.mechanism,
        "management": rule.management.text,
        "evidence": rule.evidence,
        "pair": [x, y],
        "rule": rule.id,
        "provenance": HAND_CURATED,
        "severity_judgment": rule.severity_judgment,
        "ndfrt": pw.as_dict() if pw else None,
    }
    if rule.note:
        details["note"] = rule.note
    if others:
        details["also_matched"] = [
            {"rule": o.id, "severity": o.severity, "effect": o.effect} for o in others
        ]
    # A narrower rule that lost on severity (intrathecal baclofen with morphine under the
    # general opioid rule) still says something specific: keep its effect in the message.
    extra = "".join(
        f" Also ({o.severity}): {o.effect}" for o in others if _specificity(o) > _specificity(rule)
    )
    sources = tuple(
        dict.fromkeys(
            (*rule.sources, *(s for o in others for s in o.sources), *(pw.sources if pw else ()))
        )
    )
    return Finding(
        code="interaction",
        severity=INTERACTION_TO_FINDING_SEVERITY[rule.severity],
        message=f"{names} ({rule.severity}): {rule.effect}{extra} {rule.management.text}",
        drugs=(x, y),
        details=details,
        advice=rule.management.advice,
        sources=sources,
    )


def _pairwise_finding(catalog: Catalog, pw: PairwiseEntry, x: str, y: str) -> Finding:
    names = f"{_display(catalog, x)} with {_display(catalog, y)}"
    return Finding(
        code="interaction",
        severity=INTERACTION_TO_FINDING_SEVERITY[pw.severity],
        message=(
            f"{names} ({pw.severity}): listed as a {pw.rating} interaction in {pw.provenance}. "
            "That source gives no mechanism or advice and is no longer updated; check a "
            "current reference or ask a pharmacist."
        ),
        drugs=(x, y),
        details={
            "severity": pw.severity,
            "effect": None,
            "mechanism": None,
            "management": "Not given by the source; check a current reference.",
            "evidence": "database",
            "pair": [x, y],
            "rule": None,
            "provenance": pw.provenance,
            "severity_judgment": False,
            "ndfrt": pw.as_dict(),
        },
        advice=("contact_prescriber",),
        sources=pw.sources,
    )


def _pair(
    catalog: Catalog,
    index: InteractionIndex,
    x: str,
    rx: frozenset[str],
    y: str,
    ry: frozenset[str],
) -> _PairHit | None:
    """The screen of one pair (x before y in the order given): a pure function of its
    arguments, memoized by the caller in the catalog's bounded pair memo."""
    matches = [
        rule
        for rule, x_is_a in index.rules_for(x, y)
        if side_matches_route(rule.a, rx if x_is_a else ry)
        and side_matches_route(rule.b, ry if x_is_a else rx)
    ]
    pw = index.pairwise.get(frozenset((x, y)))
    hit: _PairHit | None = None
    if matches:
        matches.sort(key=lambda r: (-INTERACTION_SEVERITY_RANK[r.severity], -_specificity(r), r.id))
        best = matches[0]
        others = tuple({r.id: r for r in matches[1:] if r.id != best.id}.values())
        hit = _PairHit(
            best, others, pw, best.severity, _rule_finding(catalog, best, x, y, others, pw)
        )
    elif pw is not None:
        hit = _PairHit(None, (), pw, pw.severity, _pairwise_finding(catalog, pw, x, y))
    return hit


def _sort(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(sorted(findings, key=lambda f: (-SEVERITY_RANK[f.severity], f.code, f.drugs)))


def screen(catalog: Catalog, items: Sequence[ScreenItem]) -> ScreenResult:
    """Screen resolved ingredients against each other. Raises TooManyItems past the limit.

    Items whose name did not resolve are left out (the caller reports them as unknown);
    the same ingredient given twice is screened once, with all its routes.
    """
    if len(items) > MAX_SCREEN_ITEMS:
        raise TooManyItems(
            f"{len(items)} medications and substances given; at most {MAX_SCREEN_ITEMS} "
            "can be screened at once"
        )
    index = interaction_index(catalog)
    routes: dict[str, set[str]] = {}
    not_checked: list[NotChecked] = []
    class_only: list[str] = []
    name_only: list[str] = []
    for item in items:
        key = index.key_for(item.drug_id, item.ingredient)
        if key is None:
            continue
        entry = catalog.class_entries.get(key)
        # a combination product is screened as its ingredients
        keys = list(entry.ingredients) if entry is not None and entry.ingredients else [key]
        for k in keys:
            routes.setdefault(k, set())
            if item.route:
                routes[k].add(item.route.strip().lower())
            if k in catalog.class_entries:
                if k not in class_only:
                    class_only.append(k)
            elif k not in catalog.drugs and k not in name_only:
                name_only.append(k)
                not_checked.append(
                    NotChecked(
                        "interactions",
                        f"{item.label}: no knowledge file or class entry for {k}, so only the "
                        "VA NDF-RT 2014 pairwise list was checked, not the class rules",
                        (k,),
                    )
                )
    keys = list(routes)
    frozen = {k: frozenset(v) for k, v in routes.items()}
    # The findings are a pure function of the keys in order and their routes: the same
    # medicine list (common across a population) is screened once, in a bounded memo.
    set_key = tuple((k, frozen[k]) for k in keys)
    set_memo = catalog.derived("interactions.set_memo", lambda: PairMemo(limit=SET_MEMO_LIMIT))
    findings = set_memo.get(set_key)
    if not isinstance(findings, tuple):
        findings = _screen_keys(catalog, index, keys, frozen)
        set_memo.put(set_key, findings)
    return ScreenResult(
        findings, tuple(not_checked), tuple(keys), tuple(class_only), tuple(name_only)
    )


def _screen_keys(
    catalog: Catalog,
    index: InteractionIndex,
    keys: list[str],
    frozen: Mapping[str, frozenset[str]],
) -> tuple[Finding, ...]:
    # Only pairs are memoized (bounded, on the catalog, never in the index): a whole list
    # is rarely seen twice, and its groups and duplicates cost little beside its pairs.
    memo = catalog.pair_memo
    hits: dict[tuple[str, str], _PairHit] = {}
    for x, y in combinations(keys, 2):
        rx, ry = frozen[x], frozen[y]
        hit = memo.get((x, rx, y, ry), _MISS)
        if hit is _MISS:
            hit = _pair(catalog, index, x, rx, y, ry)
            memo.put((x, rx, y, ry), hit)
        if hit is not None:
            hits[(x, y)] = hit

    findings: list[Finding] = []
    absorbed: set[tuple[str, str]] = set()
    props = index.drug_properties
    for group in catalog.interactions.groups:
        members = [k for k in keys if k in props and group.property in props[k]]
        if len(members) < group.min_count:
            continue
        member_set = set(members)
        inside = [
            (pair, hit)
            for pair, hit in hits.items()
            if hit.rule is not None
            and hit.rule.group == group.id
            and pair[0] in member_set
            and pair[1] in member_set
        ]
        absorbed.update(pair for pair, _ in inside)
        findings.append(_burden_finding(catalog, group, members, inside))

    duplicates = _duplicates(catalog, index, keys)
    # Two members of one class (two opioids, two SSRIs) get the duplicate-therapy finding;
    # a generic property rule (two CNS depressants, two serotonergic drugs) says nothing more
    # about them, so it is folded into the duplicate finding: one problem, one alert.
    for dup in duplicates:
        in_dup = set(dup.drugs)
        absorbed.update(
            pair
            for pair, hit in hits.items()
            if pair[0] in in_dup
            and pair[1] in in_dup
            and hit.rule is not None
            and _specificity(hit.rule) == 0
            and SEVERITY_RANK[hit.finding.severity] <= SEVERITY_RANK[dup.severity]
        )
    for pair, hit in hits.items():
        if pair not in absorbed:
            findings.append(hit.finding)

    findings.extend(duplicates)
    return _sort(findings)


def _burden_finding(
    catalog: Catalog,
    group: GroupRule,
    members: list[str],
    inside: list[tuple[tuple[str, str], _PairHit]],
) -> Finding:
    pairs = sorted(
        inside,
        key=lambda ph: (-INTERACTION_SEVERITY_RANK[ph[1].severity], ph[0]),
    )
    strongest = pairs[0] if pairs else None
    severity = group.severity
    judgment = group.severity_judgment
    if strongest and (
        INTERACTION_SEVERITY_RANK[strongest[1].severity] >= INTERACTION_SEVERITY_RANK[severity]
    ):
        # the grade comes from the strongest pair (and so does whether it is a judgment)
        severity = strongest[1].severity
        judgment = strongest[1].rule.severity_judgment if strongest[1].rule else False
    escalation = _escalation(catalog, group, members)
    escalation_text = ""
    if escalation is not None and (
        INTERACTION_SEVERITY_RANK[escalation.severity] > INTERACTION_SEVERITY_RANK[severity]
    ):
        severity = escalation.severity
        judgment = escalation.severity_judgment
        escalation_text = f" {escalation.effect}"
    sources: dict[str, None] = dict.fromkeys(group.sources)
    if escalation is not None:
        sources.update(dict.fromkeys(escalation.sources))
    advice: dict[str, None] = dict.fromkeys(group.management.advice)
    for _, hit in pairs:
        sources.update(dict.fromkeys(hit.finding.sources))
        advice.update(dict.fromkeys(hit.finding.advice))
    names = ", ".join(_display(catalog, m) for m in members)
    strongest_text = ""
    if strongest:
        (sx, sy), shit = strongest
        strongest_text = (
            f" The strongest pair is {_display(catalog, sx)} with {_display(catalog, sy)} "
            f"({shit.severity})."
        )
    pair_details = [
        {
            "pair": list(p),
            "severity": h.severity,
            "rule": h.rule.id if h.rule else None,
            "effect": h.rule.effect if h.rule else None,
        }
        for p, h in pairs
    ]
    return Finding(
        code=group.code,
        severity=INTERACTION_TO_FINDING_SEVERITY[severity],
        message=(
            f"{len(members)} drugs or substances that add to each other ({names}): "
            f"{group.effect}{escalation_text}{strongest_text} {group.management.text}"
        ),
        drugs=tuple(members),
        details={
            "severity": severity,
            "group": group.id,
            "property": group.property,
            "count": len(members),
            "effect": group.effect,
            "management": group.management.text,
            "evidence": group.evidence,
            "severity_judgment": judgment,
            "escalation": escalation.id if escalation is not None else None,
            "strongest_pair": pair_details[0] if pair_details else None,
            "pairs": pair_details,
            "provenance": HAND_CURATED,
        },
        advice=tuple(advice),
        sources=tuple(sources),
    )


def _escalation(catalog: Catalog, group: GroupRule, members: list[str]) -> Escalation | None:
    """The most severe row of the group's severity table that distinct members fill."""
    index = catalog.index
    best: Escalation | None = None
    for row in group.escalations:
        fits = [
            {
                m
                for m in members
                if side_matches_drug(
                    side, m, index.drug_classes.get(m, frozenset()), index.drug_properties[m]
                )
            }
            for side in row.requires
        ]
        if _distinct(fits) and (
            best is None
            or INTERACTION_SEVERITY_RANK[row.severity] > INTERACTION_SEVERITY_RANK[best.severity]
        ):
            best = row
    return best


def _distinct(options: list[set[str]], used: frozenset[str] = frozenset()) -> bool:
    """Whether each set can give a different member (a tiny matching; a row has 2-4 sides)."""
    if not options:
        return True
    return any(_distinct(options[1:], used | {m}) for m in options[0] - used)


def _duplicates(catalog: Catalog, index: InteractionIndex, keys: list[str]) -> tuple[Finding, ...]:
    out: list[Finding] = []
    seen: set[frozenset[str]] = set()
    classes = index.drug_classes
    for rule in catalog.interactions.duplicates:
        for cls in rule.classes:
            members = [k for k in keys if k in classes and cls in classes[k]]
            group = frozenset(members)
            if len(members) < 2 or group in seen:
                continue
            seen.add(group)
            cname = catalog.classes[cls].name if cls in catalog.classes else cls
            names = ", ".join(_display(catalog, m) for m in members)
            out.append(
                Finding(
                    code="duplicate_therapy",
                    severity=INTERACTION_TO_FINDING_SEVERITY[rule.severity],
                    message=f"Two or more {cname} together ({names}): {rule.effect} "
                    f"{rule.management.text}",
                    drugs=tuple(members),
                    details={
                        "severity": rule.severity,
                        "class": cls,
                        "rule": rule.id,
                        "effect": rule.effect,
                        "management": rule.management.text,
                        "evidence": rule.evidence,
                        "severity_judgment": rule.severity_judgment,
                    },
                    advice=rule.management.advice,
                    sources=rule.sources,
                )
            )
    return tuple(out)


def screen_items_from_context(ctx: Context) -> list[ScreenItem]:
    """Orders (with their route) and substances from the request, as screen items."""
    items = [ScreenItem.from_resolved(o.name, o.route) for o in ctx.orders]
    items += [ScreenItem.from_resolved(s) for s in ctx.substances]
    return items


def check_interactions(ctx: Context) -> CheckResult:
    """The interaction screen inside `assess`. Unknown names are reported by the order
    checks (`unknown_drug`); here they are simply not screened."""
    items = screen_items_from_context(ctx)
    try:
        result = screen(ctx.catalog, items)
    except TooManyItems as exc:
        return CheckResult(not_checked=(NotChecked("interactions", str(exc)),))
    computed: dict[str, Any] = {"interactions_screened": list(result.screened)}
    if result.class_only:
        # screened by their classes; the dose checks say "known by class only" for each
        computed["interactions_known_by_class_only"] = list(result.class_only)
    return CheckResult(findings=result.findings, not_checked=result.not_checked, computed=computed)
