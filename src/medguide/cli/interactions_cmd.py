"""`medguide interactions NAME NAME ...`: a quick interaction screen.

For people: findings most severe first, each with what happens, why, what to do and its
sources; minor interactions are hidden unless `--all`. For programs: `--json` gives every
finding (minor included), the resolved names, the unknown ones and what was not checked.
"""

from __future__ import annotations

from typing import Any

import typer

from medguide.cli import exitcodes
from medguide.cli.common import catalog as load_catalog
from medguide.cli.common import fail, print_json

MAX_NAMES = 100  # same limit as the screen itself; checked before any name is resolved

_STYLE = {
    "critical": "bold white on red",
    "high": "bold red",
    "moderate": "bold yellow",
    "low": "cyan",
    "info": "dim",
}
_LABEL = {
    "critical": "CONTRAINDICATED",
    "high": "MAJOR",
    "moderate": "MODERATE",
    "low": "MINOR",
    "info": "INFO",
}


def _parse_routes(values: list[str]) -> dict[str, str]:
    routes: dict[str, str] = {}
    for value in values:
        name, sep, route = value.partition("=")
        if not sep or not name.strip() or not route.strip():
            fail(f"--route expects NAME=ROUTE (for example baclofen=intrathecal), got {value!r}")
        routes[name.strip().lower()] = route.strip().lower()
    return routes


def run_screen(names: list[str], routes: dict[str, str]) -> dict[str, Any]:
    """Resolve `names`, screen what resolved, and return the JSON-ready report."""
    from itertools import combinations

    from medguide.clinical.findings import Finding, unknown_drug_finding
    from medguide.clinical.interactions import ScreenItem, TooManyItems, screen
    from medguide.knowledge.names import resolve_ingredients

    cat = load_catalog()
    items: list[ScreenItem] = []
    resolved: list[dict[str, Any]] = []
    unknown: list[Finding] = []
    by_key: dict[str, list[str]] = {}  # ingredient → the names given for it
    for name in names:
        parts = resolve_ingredients(cat, name)
        route = routes.get(name.strip().lower())
        for r in parts:
            if not r.known:
                part = r.query if len(parts) == 1 else f"{name} (a part of it)"
                unknown.append(unknown_drug_finding(part, {"query": name}))
                continue
            route_here = route or routes.get((r.drug_id or "").lower())
            items.append(ScreenItem.from_resolved(r, route_here))
            key = cat.index.key_for(r.drug_id, r.ingredient) or str(r.ingredient)
            by_key.setdefault(key, [])
            if name not in by_key[key]:
                by_key[key].append(name)
            resolved.append(
                {
                    "query": name,
                    "ingredient": r.ingredient,
                    "drug_id": r.drug_id,
                    "covered": r.covered,
                    "coverage": r.coverage,
                    "name": cat.display_name(key),
                    "method": r.method,
                    "route": route_here,
                }
            )
    try:
        result = screen(cat, items)
    except TooManyItems as exc:
        fail(str(exc))
    findings = [f.as_dict() for f in (*_duplicates(cat, by_key), *result.findings)]

    # What was screened: every pair of ingredients (and of unknown names) is counted; a pair
    # is screened when both sides have a monograph or a class entry.
    keys = list(result.screened)
    unknown_names = [u.drugs[0] for u in unknown]
    weak = set(result.name_only)
    everything = [*keys, *unknown_names]
    pairs = list(combinations(range(len(everything)), 2))
    not_screened = sum(
        1
        for i, j in pairs
        if i >= len(keys) or j >= len(keys) or keys[i] in weak or keys[j] in weak
    )
    summary = {
        "names": len(names),
        "unknown_names": len(unknown_names),
        "ingredients": len(keys),
        "known_by_class_only": list(result.class_only),
        "known_by_name_only": list(result.name_only),
        "pairs": len(pairs),
        "pairs_screened": len(pairs) - not_screened,
        "pairs_not_screened": not_screened,
        "complete": not unknown_names and not weak,
    }
    return {
        "knowledge_version": cat.version,
        "resolved": resolved,
        "unknown": [f.as_dict() for f in unknown],
        "findings": findings,
        "not_checked": [n.as_dict() for n in result.not_checked],
        "summary": summary,
    }


# Fluids, diluents, electrolytes and nutrients named twice (several bags, flushes, lines) are
# the rule in hospital exports; their amounts are not doses the screen can add up.
QUIET_DUPLICATE_KINDS = frozenset({"fluid", "diluent", "electrolyte", "nutrient"})


def _duplicates(cat: Any, by_key: dict[str, list[str]]) -> list[Any]:
    """Two names for one ingredient (Lioresal and Ozobax; Percocet and acetaminophen): the
    same `duplicate_ingredient` finding as `assess` gives, since the amounts add up."""
    from medguide.clinical.findings import Finding

    out = []
    for key, given in by_key.items():
        if len(given) < 2:
            continue
        drug = cat.drugs.get(key)
        entry = cat.class_entries.get(key)
        if entry is not None and entry.kind in QUIET_DUPLICATE_KINDS:
            continue  # "NS" and "0.9% Sodium Chloride" in one order export: not a finding
        sources = drug.sources if drug is not None else entry.sources if entry else ()
        out.append(
            Finding(
                code="duplicate_ingredient",
                severity="high",
                message=(
                    f"{' and '.join(repr(g) for g in given)} contain the same medicine, "
                    f"{cat.display_name(key)}. Together they add up; check that this is "
                    "intended."
                ),
                drugs=(key,),
                details={"names": given},
                advice=("contact_prescriber",),
                sources=tuple(sources),
            )
        )
    return out


def headline(report: dict[str, Any], shown: int, hidden: int) -> list[str]:
    """The first lines for people: what was not checked comes first, and "no interactions
    found" only when every name was recognised and every pair screened."""
    s = report["summary"]
    lines = []
    if not s["complete"]:
        parts = []
        if s["unknown_names"]:
            n = s["unknown_names"]
            parts.append(f"{n} name{'s' if n > 1 else ''} not recognised")
        if s["known_by_name_only"]:
            n = len(s["known_by_name_only"])
            parts.append(
                f"{n} medicine{'s' if n > 1 else ''} known by name only "
                "(checked against the VA NDF-RT 2014 list alone)"
            )
        lines.append(
            f"Not fully checked: {'; '.join(parts)}. {s['pairs_not_screened']} of "
            f"{s['pairs']} pairs were not screened against medguide's rules."
        )
    if shown == 0:
        scope = "among these" if s["complete"] else "among the pairs that could be checked"
        if hidden:
            lines.append(
                f"No moderate or major interactions found {scope}; {hidden} minor "
                f"interaction{'s' if hidden > 1 else ''} hidden (use --all to show)."
            )
        else:
            lines.append(
                f"No interactions found {scope} in medguide's rules or the VA NDF-RT 2014 "
                "list. That is not a guarantee of safety: ask a pharmacist if unsure."
            )
    return lines


def cat_name(report: dict[str, Any], key: str) -> str:
    """The name a report's resolved list gives an ingredient key (the key itself if none)."""
    for r in report["resolved"]:
        if r["ingredient"] == key:
            return str(r.get("name") or key)
    return key


def _render(report: dict[str, Any], show_all: bool) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False)
    screened = []
    for r in report["resolved"]:
        shown = r.get("name") or r["drug_id"] or r["ingredient"]
        note = "" if r["query"].strip().lower() == str(shown).lower() else f" ({r['query']})"
        route = f" [{r['route']}]" if r["route"] else ""
        screened.append(f"{shown}{note}{route}")
    findings = report["findings"]
    visible = [f for f in findings if show_all or f["severity"] != "low"]
    hidden = len(findings) - len(visible)
    for line in headline(report, len(visible), hidden):
        console.print(escape(line))
    console.print(f"Screened: {escape(', '.join(screened)) or 'nothing'}")
    class_only = report["summary"]["known_by_class_only"]
    if class_only:
        names = ", ".join(cat_name(report, k) for k in class_only)
        console.print(
            f"[dim]Known by class, no monograph: {escape(names)}. Screened by class; an "
            "interaction particular to one of them that its classes do not carry is not in "
            "medguide's rules.[/]"
        )
    for u in report["unknown"]:
        console.print(f"[bold yellow]Unknown:[/] {escape(u['message'])}")

    for f in visible:
        d = f["details"]
        title = {
            "interaction": "Interaction",
            "cns_depressant_burden": "Too many sedating drugs together",
            "hypotension_burden": "Too many blood-pressure-lowering drugs together",
            "qt_prolongation_burden": "Drugs that lengthen the QT interval together",
            "duplicate_therapy": "Duplicate therapy",
            "duplicate_ingredient": "Same medicine twice",
        }.get(f["code"], f["code"])
        label = _LABEL[f["severity"]]
        if f["code"] != "interaction" and f["severity"] == "critical":
            label = "CRITICAL"
        console.print(
            f"\n[{_STYLE[f['severity']]}] {label} [/] [bold]{title}:[/] "
            f"{escape(' + '.join(f['drugs']))}"
        )
        console.print(f"  {escape(f['message'])}")
        if d.get("mechanism"):
            console.print(f"  [dim]Why:[/] {escape(d['mechanism'])}")
        if f["code"].endswith("_burden") and d.get("pairs"):
            for p in d["pairs"]:
                console.print(f"  [dim]- {escape(' + '.join(p['pair']))} ({p['severity']})[/]")
        if d.get("ndfrt") and d.get("rule"):
            nd = d["ndfrt"]
            console.print(f"  [dim]Also listed in {escape(nd['provenance'])} as {nd['rating']}.[/]")
        if d.get("severity_judgment"):
            console.print("  [dim]Severity is a judgment call: no source grades it.[/]")
        console.print(f"  [dim]Sources: {escape(', '.join(f['sources']))}[/]")
    if hidden and visible:
        console.print(
            f"\n{hidden} minor interaction{'s' if hidden > 1 else ''} hidden; use --all to show."
        )
    for n in report["not_checked"]:
        console.print(f"[dim]Not checked: {escape(n['reason'])}[/]")
    console.print(f"[dim]Knowledge {report['knowledge_version']}[/]")


def register(app: typer.Typer) -> None:
    @app.command("interactions")
    def interactions(
        names: list[str] = typer.Argument(  # noqa: B008
            ...,
            help='Medicines, substances or herbals, e.g. baclofen oxycodone "a glass of wine".',
            show_default=False,
        ),
        show_all: bool = typer.Option(False, "--all", help="Also show minor interactions."),
        as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
        route: list[str] = typer.Option(  # noqa: B008
            [], "--route", help="NAME=ROUTE, e.g. baclofen=intrathecal (repeatable)."
        ),
    ) -> None:
        """Check medicines, alcohol and herbals for interactions with each other."""
        cleaned = [n for n in (x.strip() for x in names) if n]
        if len(cleaned) > MAX_NAMES:
            fail(
                f"{len(cleaned)} names given; at most {MAX_NAMES} can be screened at once",
                exitcodes.BAD_INPUT,
            )
        if len(cleaned) < 2:
            fail("give at least two names to screen against each other", exitcodes.BAD_INPUT)
        report = run_screen(cleaned, _parse_routes(route))
        if not report["resolved"]:
            fail("none of the names was recognised", exitcodes.NOT_FOUND)
        if as_json:
            print_json(report)
        else:
            _render(report, show_all)
        if not report["summary"]["complete"]:
            raise typer.Exit(exitcodes.NOT_ALL_CHECKED)
