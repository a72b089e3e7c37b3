"""Terminal rendering with rich: guides and assessments for people."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from medguide.cli.words import ADVICE_TEXT
from medguide.knowledge.catalog import Catalog
from medguide.units import fmt_number

if TYPE_CHECKING:  # the question-answering stack is not loaded to print an assessment
    from medguide.answers.guide import Guide

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
    if len(g.sections) > 1:
        console.print("\n[bold]Contents[/bold]  [dim](one section: --section NAME)[/dim]")
        for s in g.sections:
            console.print(f"  {escape(s.title)} [dim]({s.id.replace('_', '-')})[/dim]")
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
        # short and first: the call, and the one reason that matters most
        reasons = triage.get("reasons") or []
        why = f" {escape(str(reasons[0]))}" if reasons else ""
        console.print(
            Panel(
                f"[bold]Call emergency services now.[/bold]{why}", style=TRIAGE_STYLE["emergency"]
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
    answer = data.get("answer")
    if answer:
        console.print(f"\n[bold]Your question[/bold]: {escape(str(answer.get('question', '')))}")
        for part in answer.get("parts") or []:
            console.print(f"  {escape(part['text'])}{_cite(part.get('sources'))}")
        if answer.get("decline"):
            console.print(f"  {escape(answer['decline'].get('message', ''))}")
    for f in findings:
        plan = (f.get("details") or {}).get("plan")
        if plan and plan.get("steps"):
            console.print(f"\n[bold]A taper plan for {escape(plan['drug'])}[/bold]")
            for step in plan["steps"]:
                console.print("  " + escape(_plan_step(step, plan["unit"])))
    console.print("\n[bold]Computed[/bold]")
    for line in computed_lines(data["computed"]):
        console.print("  " + line)
    if data["not_checked"]:
        console.print("\n[bold]Not checked[/bold]")
        for n in data["not_checked"]:
            console.print(f"  • {escape(n['check'])}: {escape(n['reason'])}")
    _bibliography(console, cat, cited)
    console.print(f"\n[dim]knowledge {data['knowledge_version']}[/dim]")


def _plan_step(step: dict[str, Any], unit: str) -> str:
    if not step.get("doses_per_day"):
        return f"from {step['start']}: stop"
    return (
        f"from {step['start']}: {fmt_number(step['dose'])} {unit} × {step['doses_per_day']} a day"
        f" = {fmt_number(step['daily'])} {unit} a day"
    )


def _resolved(value: dict[str, Any]) -> list[str]:
    out = []
    for text, r in value.items():
        how = f"{r['method']}" + (f", product {r['product']}" if r.get("product") else "")
        ing = r["ingredient"] or "not recognised"
        cov = "" if r["covered"] or not r["ingredient"] else " (not covered yet)"
        out.append(f"{escape(text)} → [bold]{escape(ing)}[/bold]{cov} [dim]({how})[/dim]")
    return out


def _totals(value: list[dict[str, Any]]) -> list[str]:
    return [
        f"daily total {t['drug']} {t['route']}: [bold]{fmt_number(t['amount'])} {t['unit']}[/bold]"
        + ("" if t["complete"] else " (incomplete: an order could not be counted)")
        for t in value
    ]


def _kidney(value: dict[str, Any]) -> list[str]:
    out = []
    names = {"crcl": "creatinine clearance", "egfr": "eGFR"}
    for measure in ("crcl", "egfr"):
        k = value.get(measure)
        if k:
            basis = k["inputs"].get("weight_basis")
            how = k["formula"].replace("_", " ") + (f", {basis} body weight" if basis else "")
            out.append(
                f"{names[measure]}: [bold]{fmt_number(k['value'])} {k['unit']}[/bold]"
                f" [dim]({how})[/dim]"
            )
    if value.get("dialysis"):
        out.append(f"on {escape(str(value['dialysis']))}")
    out += [f"[dim]{escape(m)}[/dim]" for m in value.get("missing") or []]
    return out


def _per_kg(value: list[dict[str, Any]]) -> list[str]:
    return [
        f"{r['drug']} {r['route']}: [bold]{fmt_number(r['amount'])} {r['unit']}[/bold]"
        f" [dim](weight {fmt_number(r['weight_kg'])} kg)[/dim]"
        for r in value
    ]


def _conditions(value: list[dict[str, Any]]) -> list[str]:
    return [
        f"condition {escape(c['query'])} → "
        + (f"[bold]{escape(c['name'])}[/bold]" if c.get("condition") else "not recognised")
        for c in value
    ]


def _pump(value: dict[str, Any]) -> list[str]:
    out = [f"pump: reservoir {fmt_number(value['concentration_fold'])} × the programmed strength"]
    if "delivered_daily_mcg" in value:
        out.append(
            f"pump delivers [bold]{fmt_number(value['delivered_daily_mcg'])} mcg a day[/bold]"
            f" (programmed {fmt_number(value['programmed_daily_mcg'])} mcg a day)"
        )
    return out


def _changes(value: list[dict[str, Any]]) -> list[str]:
    return [
        f"change of {c['drug']}: {fmt_number(c['old_daily'])} → [bold]"
        f"{fmt_number(c['new_daily'])} {c['unit']} a day[/bold] (× {fmt_number(c['ratio'])})"
        for c in value
    ]


def _missed(value: dict[str, Any]) -> list[str]:
    return [f"missed dose: {escape(str(value.get('message', '')))}"]


def _words(key: str, value: Any) -> list[str]:
    """Any other computed value, in words: a list joined, a mapping as name: value pairs."""
    label = key.replace("_", " ")
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return [f"{label}: {escape(', '.join(str(v) for v in value))}"]
    if isinstance(value, dict):
        pairs = [
            f"{k.replace('_', ' ')} {v}" for k, v in value.items() if not isinstance(v, dict | list)
        ]
        return [f"{label}: {escape('; '.join(pairs))}"]
    if isinstance(value, list):
        return [line for item in value for line in _words(key, item)]
    return [f"{label}: {escape(str(value))}"]


def _pk(value: dict[str, Any]) -> list[str]:
    """Issue 18: the steady-state level against normal kidneys, one line per drug."""
    lines = []
    for drug_id, lv in value.items():
        ss = lv["steady_state"]
        lines.append(
            f"level {escape(drug_id)}: steady state about [bold]{ss['average']:.0f} ng/mL[/bold]"
            f" (9 in 10 people {ss['average_band_low']:.0f}-{ss['average_band_high']:.0f}), "
            f"{lv['fold_vs_normal_kidneys']:.1f} × normal kidneys, half-life "
            f"{lv['half_life_h']:.1f} h [dim](an illustration, not a prediction; "
            f"{escape(', '.join(lv['sources']))})[/dim]"
        )
    return lines


_COMPUTED: dict[str, Callable[[Any], list[str]]] = {
    "resolved": _resolved,
    "daily_totals": _totals,
    "kidney": _kidney,
    "dose_per_kg": _per_kg,
    "conditions": _conditions,
    "pump": _pump,
    "changes": _changes,
    "missed_dose": _missed,
    "pk": _pk,
    "interactions_screened": lambda v: [f"screened together: {escape(', '.join(v))}"],
    "now_assumed": lambda v: [f"[dim]{escape(v)}[/dim]"],
}


def computed_lines(computed: dict[str, Any]) -> list[str]:
    """Every computed value of an assessment as lines of words (rich markup)."""
    lines: list[str] = []
    for key, value in computed.items():
        lines += _COMPUTED.get(key, lambda v, k=key: _words(k, v))(value)
    return lines
