"""Terminal rendering with rich: guides and assessments for people."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from medguide.answers.guide import Guide
from medguide.cli.words import ADVICE_TEXT
from medguide.knowledge.catalog import Catalog

SEVERITY_STYLE = {
    "critical": "bold white on red",
    "high": "bold red",
    "moderate": "yellow",
    "low": "cyan",
    "info": "dim",
}
TRIAGE_STYLE = {
    "emergency": "bold white on red",
    "urgent": "bold red",
    "routine": "yellow",
    "self_care": "green",
}


def _cite(sources: Any) -> str:
    return f" [dim]\\[{', '.join(sources)}][/dim]" if sources else ""


def _bibliography(console: Console, cat: Catalog, ids: list[str]) -> None:
    if not ids:
        return
    console.print("\n[bold]Sources[/bold]")
    for sid in ids:
        src = cat.sources.get(sid)
        title = escape(src.title) if src else "(unknown source)"
        console.print(f"  [dim]{sid}[/dim] {title}")


def render_guide(g: Guide, cat: Catalog, console: Console | None = None) -> None:
    console = console or Console()
    console.print(
        Panel(
            f"[bold]{escape(g.name)}[/bold] — a guide with its sources",
            subtitle=f"knowledge {g.knowledge_version}",
        )
    )
    cited: list[str] = []
    for s in g.sections:
        console.print(f"\n[bold underline]{escape(s.title)}[/bold underline]  [dim]({s.id})[/dim]")
        for item in s.items:
            mark = " [italic](judgment call)[/italic]" if item.judgment else ""
            console.print(f"  • {escape(item.text)}{mark}{_cite(item.sources)}")
            cited.extend(x for x in item.sources if x not in cited)
    _bibliography(console, cat, cited)
    console.print(
        "\n[dim]Information, not a prescription: talk to your prescriber or pharmacist before "
        "changing how you take a medicine. In an emergency call your local emergency number.[/dim]"
    )


def render_assessment(data: dict[str, Any], cat: Catalog, console: Console | None = None) -> None:
    console = console or Console()
    triage = data.get("triage")
    if triage and triage.get("level") == "emergency":
        console.print(
            Panel(
                "[bold]Call emergency services now.[/bold] "
                + escape("; ".join(triage.get("reasons", []))),
                style=TRIAGE_STYLE["emergency"],
            )
        )
    cited: list[str] = []
    findings = data["findings"]
    console.print(f"[bold]Findings[/bold] ({len(findings)})")
    if not findings:
        console.print("  none")
    for f in findings:
        style = SEVERITY_STYLE[f["severity"]]
        drugs = ", ".join(f["drugs"])
        console.print(
            f"  [{style}]{f['severity'].upper():>8}[/{style}] [bold]{f['code']}[/bold]"
            f" [dim]{escape(drugs)}[/dim]"
        )
        console.print(f"           {escape(f['message'])}{_cite(f['sources'])}")
        if f["advice"]:
            console.print(f"           [dim]advice: {', '.join(f['advice'])}[/dim]")
        cited.extend(x for x in f["sources"] if x not in cited)
    if triage:
        style = TRIAGE_STYLE.get(triage["level"], "")
        console.print(f"\n[bold]Triage[/bold]: [{style}]{triage['level']}[/{style}]")
        for r in triage.get("reasons", []):
            console.print(f"  • {escape(str(r))}")
    if data["advice"]:
        console.print("\n[bold]What to do[/bold]")
        for code in data["advice"]:
            console.print(f"  - {escape(ADVICE_TEXT.get(code, code))} [dim]({code})[/dim]")
    computed = data["computed"]
    console.print("\n[bold]Computed[/bold]")
    for text, r in computed.get("resolved", {}).items():
        how = f"{r['method']}" + (f", product {r['product']}" if r.get("product") else "")
        ing = r["ingredient"] or "not recognised"
        cov = "" if r["covered"] or not r["ingredient"] else " (not covered yet)"
        console.print(f"  {escape(text)} → [bold]{escape(ing)}[/bold]{cov} [dim]({how})[/dim]")
    for t in computed.get("daily_totals", []):
        part = "" if t["complete"] else " (incomplete)"
        console.print(
            f"  daily total {t['drug']} {t['route']}: "
            f"[bold]{t['amount']:g} {t['unit']}[/bold]{part}"
        )
    for d in computed.get("doses", []):
        console.print(f"  dose '{escape(d['text'])}': [dim]{escape(d['how'])}[/dim]")
    kidney = computed.get("kidney") or {}
    for measure in ("crcl", "egfr"):
        k = kidney.get(measure)
        if k:
            basis = k["inputs"].get("weight_basis")
            how = k["formula"].replace("_", " ") + (f", {basis} body weight" if basis else "")
            console.print(
                f"  {measure}: [bold]{k['value']:g} {k['unit']}[/bold] [dim]({how})[/dim]"
            )
    if kidney.get("dialysis"):
        console.print(f"  dialysis: {escape(str(kidney['dialysis']))}")
    for row in computed.get("dose_per_kg", []):
        console.print(
            f"  {row['drug']} {row['route']}: [bold]{row['amount']:g} {row['unit']}[/bold]"
            f" [dim](weight {row['weight_kg']:g} kg)[/dim]"
        )
    for key, value in computed.items():
        if key not in ("resolved", "daily_totals", "kidney", "dose_per_kg", "doses"):
            console.print(f"  {key}: {escape(str(value))}")
    if data["not_checked"]:
        console.print("\n[bold]Not checked[/bold]")
        for n in data["not_checked"]:
            console.print(f"  • {escape(n['check'])}: {escape(n['reason'])}")
    _bibliography(console, cat, cited)
    console.print(f"\n[dim]knowledge {data['knowledge_version']}[/dim]")
