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

MAX_NAMES = 50  # same limit as the screen itself; checked before any name is resolved

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
    from medguide.clinical.findings import Finding, unknown_drug_finding
    from medguide.clinical.interactions import ScreenItem, TooManyItems, screen
    from medguide.knowledge.names import resolve_name

    cat = load_catalog()
    items: list[ScreenItem] = []
    resolved: list[dict[str, Any]] = []
    unknown: list[Finding] = []
    for name in names:
        r = resolve_name(cat, name)
        if not r.known:
            unknown.append(unknown_drug_finding(name, {"query": name}))
            continue
        route = routes.get(name.strip().lower()) or routes.get((r.drug_id or "").lower())
        items.append(ScreenItem.from_resolved(r, route))
        resolved.append(
            {
                "query": name,
                "ingredient": r.ingredient,
                "drug_id": r.drug_id,
                "covered": r.covered,
                "method": r.method,
                "route": route,
            }
        )
    try:
        result = screen(cat, items)
    except TooManyItems as exc:
        fail(str(exc))
    return {
        "knowledge_version": cat.version,
        "resolved": resolved,
        "unknown": [f.as_dict() for f in unknown],
        "findings": [f.as_dict() for f in result.findings],
        "not_checked": [n.as_dict() for n in result.not_checked],
    }


def _render(report: dict[str, Any], show_all: bool) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False)
    screened = []
    for r in report["resolved"]:
        shown = r["drug_id"] or r["ingredient"]
        note = "" if r["query"].strip().lower() == str(shown).lower() else f" ({r['query']})"
        route = f" [{r['route']}]" if r["route"] else ""
        screened.append(f"{shown}{note}{route}")
    console.print(f"Screened: {escape(', '.join(screened)) or 'nothing'}")
    for u in report["unknown"]:
        console.print(f"[bold yellow]Unknown:[/] {escape(u['message'])}")

    findings = report["findings"]
    shown = [f for f in findings if show_all or f["severity"] != "low"]
    hidden = len(findings) - len(shown)
    if not shown:
        console.print(
            "\nNo interactions found among these in medguide's rules or the VA NDF-RT 2014 "
            "list. That is not a guarantee of safety: ask a pharmacist if unsure."
        )
    for f in shown:
        d = f["details"]
        title = {
            "interaction": "Interaction",
            "cns_depressant_burden": "Too many sedating drugs together",
            "hypotension_burden": "Too many blood-pressure-lowering drugs together",
            "duplicate_therapy": "Duplicate therapy",
        }.get(f["code"], f["code"])
        label = _LABEL[f["severity"]]
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
    if hidden:
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
