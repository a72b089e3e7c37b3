"""`medguide guide` and `medguide drugs`: the drug guide for people, and the catalog list."""

from __future__ import annotations

from typing import Annotated

import typer

from medguide.cli import exitcodes
from medguide.cli.common import catalog, fail, fail_service, print_json


def guide(
    drug: Annotated[str, typer.Argument(help="A drug name, brand or common misspelling.")],
    section: Annotated[
        str | None, typer.Option("--section", "-s", help="Show one section (e.g. side_effects).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    pager: Annotated[
        bool, typer.Option("--pager/--no-pager", help="Page the guide on a terminal.")
    ] = True,
) -> None:
    """Show what a medicine is for, how to take it and what to watch for, with sources."""
    from medguide.answers.guide import SECTION_IDS
    from medguide.service import ServiceError
    from medguide.service import guide as build_guide

    cat = catalog()
    try:
        g = build_guide(cat, drug)
    except ServiceError as exc:
        fail_service(exc)
    if section is not None:
        section = section.strip().lower().replace("-", "_").replace(" ", "_")
        if section not in SECTION_IDS:
            fail(f"unknown section '{section}'; choose one of: {', '.join(SECTION_IDS)}")
        found = g.section(section)
        if found is None:
            fail(f"the {g.name} guide has nothing under '{section}' yet", exitcodes.NOT_FOUND)
        g = type(g)(g.drug_id, g.name, (found,), g.knowledge_version)
    if as_json:
        print_json(g.as_dict())
        return
    import sys

    from rich.console import Console

    from medguide.cli.render import render_guide

    console = Console()
    if pager and sys.stdout.isatty() and len(g.sections) > 1:
        with console.pager(styles=True):
            render_guide(g, cat, console)
    else:
        render_guide(g, cat, console)


def drugs(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List the medicines, substances and herbals medguide covers."""
    cat = catalog()
    rows = [
        {
            "id": d.id,
            "name": d.name,
            "kind": d.kind,
            "depth": d.depth,
            "brands": [b.name for b in d.brands],
        }
        for d in sorted(cat.drugs.values(), key=lambda d: d.id)
    ]
    if as_json:
        print_json({"knowledge_version": cat.version, "drugs": rows})
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"medguide catalog ({cat.version})")
    for col in ("id", "name", "kind", "depth", "brands"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["id"], r["name"], r["kind"], r["depth"], ", ".join(r["brands"]))
    Console().print(table)


def register(app: typer.Typer) -> None:
    app.command("guide")(guide)
    app.command("drugs")(drugs)
