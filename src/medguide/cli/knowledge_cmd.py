"""`medguide knowledge ...`: tools for knowledge authors (validate, export schemas)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from medguide.cli import exitcodes
from medguide.cli.common import fail

app = typer.Typer(
    help="Tools for knowledge authors: validate files, export JSON Schemas.", no_args_is_help=True
)


@app.command("check")
def check(
    directory: Annotated[
        Path | None, typer.Argument(help="Knowledge folder (default: the packaged one).")
    ] = None,
) -> None:
    """Validate every knowledge file: schema, YAML traps, source ids. Prints the version."""
    from medguide.knowledge.catalog import DATA_DIR, KnowledgeError, load_catalog_from

    root = directory or DATA_DIR
    if not root.is_dir():
        fail(f"{root} is not a folder", exitcodes.NOT_FOUND)
    try:
        cat = load_catalog_from(root)
    except KnowledgeError as exc:
        fail(str(exc), exitcodes.KNOWLEDGE_ERROR)
    except FileNotFoundError as exc:
        fail(f"missing knowledge file: {exc.filename}", exitcodes.KNOWLEDGE_ERROR)
    typer.echo(
        f"ok: {len(cat.drugs)} drugs, {len(cat.classes)} classes, "
        f"{len(cat.sources)} sources; version {cat.version}"
    )


@app.command("schema")
def schema(
    write: Annotated[
        bool, typer.Option("--write", help="Rewrite the exported schema files.")
    ] = False,
) -> None:
    """Export the JSON Schemas of the knowledge files and of the assessment's request and
    response (for editors and for programs)."""
    from medguide.knowledge import schemas as knowledge_schemas
    from medguide.service import schemas as service_schemas

    if write:
        for module in (knowledge_schemas, service_schemas):
            for path in module.write_schemas():
                typer.echo(f"wrote {path}")
        return
    stale = knowledge_schemas.stale_schemas() + service_schemas.stale_schemas()
    if stale:
        fail(f"stale schema(s): {', '.join(stale)}; run: medguide knowledge schema --write")
    typer.echo(
        f"schemas in {knowledge_schemas.SCHEMA_DIR} and {service_schemas.SCHEMA_DIR} are up to date"
    )


@app.command("codes")
def codes() -> None:
    """Print every code medguide speaks (findings, advice, triage, exit codes) as Markdown."""
    from medguide.codes import render_markdown

    typer.echo(render_markdown(exitcodes.EXIT_CODES), nl=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="knowledge")
