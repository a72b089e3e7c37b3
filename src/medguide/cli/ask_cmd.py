"""`medguide ask "…"`: a question in plain language, answered from the knowledge or declined."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from medguide.cli.common import catalog, fail, fail_service, print_json
from medguide.cli.words import ADVICE_TEXT


def ask(
    question: Annotated[str | None, typer.Argument(help="Your question, in plain words.")] = None,
    drug: Annotated[
        str | None, typer.Option("--drug", "-d", help="The medicine the question is about.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    semantic: Annotated[
        bool, typer.Option("--semantic", help="Re-rank with the optional MiniLM model.")
    ] = False,
    eval_file: Annotated[
        Path | None,
        typer.Option(
            "--eval",
            help="Score a question set instead (tests/eval/questions.yaml or the blind set).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Ask a question about a medicine; the answer cites its sources, or says who to ask."""
    from medguide.service import ServiceError
    from medguide.service import answer as answer_question

    cat = catalog()
    if eval_file is not None:
        _evaluate(cat, eval_file, as_json=as_json, semantic=semantic)
        return
    if question is None:
        fail("give a question, or --eval FILE")
    try:
        answer = answer_question(cat, question, drug=drug, semantic=semantic)
    except ServiceError as exc:
        fail_service(exc)
    if answer.decline is not None and answer.decline.reason in {"empty", "too_long"}:
        fail(answer.decline.message)
    if as_json:
        print_json(answer.as_dict())
        return
    _render(answer, cat)


def _render(answer: object, cat: object) -> None:
    from rich.console import Console
    from rich.panel import Panel
    from rich.text import Text

    from medguide.answers import Answer

    assert isinstance(answer, Answer)
    console = Console()
    for part in answer.parts:
        src = f"  [{', '.join(part.sources)}]" if part.sources else ""
        where = f"{part.drug} · {part.title}" if part.title else ""
        if part.kind == "emergency":
            console.print(
                Panel(
                    Text(part.text, style="bold"),
                    title=(part.title or "Emergency").upper(),
                    border_style="red",
                )
            )
            continue
        body = Text(part.text)
        body.append(src, style="dim")
        if part.judgment:
            body.append("  (team judgment)", style="italic dim")
        console.print(Text(where, style="cyan") if where else Text(""), body, sep="\n")
    if answer.decline is not None:
        d = answer.decline
        msg = Text(d.message)
        if d.refer_to:
            msg.append(f"\nWho to ask: {d.refer_to}", style="bold")
        console.print(Panel(msg, title=f"Not answered ({d.reason})", border_style="yellow"))
    # The advice is in the answer as "What to do" parts; codes without one are listed here.
    said = {p.code for p in answer.parts}
    rest = [c for c in answer.advice if c not in said and c != "not_covered_refer"]
    if rest:
        console.print(Text("Also:", style="bold"))
        for code in rest:
            console.print(Text(f"  - {ADVICE_TEXT.get(code, code)}", style="bold"))
    for nc in answer.not_checked:
        console.print(Text(f"Not checked: {nc}", style="yellow"))
    meta = f"intent: {', '.join(answer.intents) or '-'} · confidence {answer.confidence:.2f}"
    if answer.status == "answered" and not answer.confident:
        meta += " (a best match, not a sure one: check with a pharmacist)"
    console.print(Text(f"{meta} · knowledge {answer.knowledge_version}", style="dim"))


def _evaluate(cat: object, path: Path, *, as_json: bool, semantic: bool) -> None:
    """Score a set: the blind format (`must`, `urgency`) or the in-repo one (`facts`)."""
    import yaml

    from medguide.answers import evaluate as ev
    from medguide.knowledge.catalog import Catalog

    assert isinstance(cat, Catalog)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    blind = any("must" in q or "urgency" in q for q in data.get("questions", ()))
    if blind:
        report = ev.evaluate_blind(cat, ev.load_blind(path), semantic=semantic)
        summary = report.summary()
        rows = [
            (("UNSAFE " if o.unsafe else "") + o.case.id, o.case.q, "; ".join(o.problems))
            for o in report.outcomes
            if o.problems
        ]
    else:
        report_ = ev.evaluate(cat, ev.load_cases(path))
        summary = report_.summary()
        rows = [
            (o.case.origin, o.case.q, "; ".join(o.problems)) for o in report_.outcomes if o.problems
        ]
    if as_json:
        print_json({"file": str(path), **summary, "failures": [list(r) for r in rows]})
        return
    from rich.console import Console

    console = Console()
    for k, v in summary.items():
        if isinstance(v, dict):
            v = ", ".join(f"{a} {b}" for a, b in v.items())
        console.print(f"[bold]{k:26}[/bold] {v}", highlight=False)
    for who, q, problems in rows:
        console.print(f"  {who}: {q[:70]!r}: {problems}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.command("ask")(ask)
