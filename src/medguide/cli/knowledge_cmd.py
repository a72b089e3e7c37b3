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
    """Export the JSON Schemas of the knowledge files (for editor checks)."""
    from medguide.knowledge.schemas import SCHEMA_DIR, stale_schemas, write_schemas

    if write:
        for path in write_schemas():
            typer.echo(f"wrote {path}")
        return
    stale = stale_schemas()
    if stale:
        fail(f"stale schema(s): {', '.join(stale)}; run: medguide knowledge schema --write")
    typer.echo(f"schemas in {SCHEMA_DIR} are up to date")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="knowledge")
