"""`medguide knowledge ...`: tools for knowledge authors (validate, export schemas)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from medguide.cli import exitcodes
from medguide.cli.common import fail

app = typer.Typer(
    help="Tools for knowledge authors: validate files, export JSON Schemas, measure coverage.",
    no_args_is_help=True,
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
        f"ok: {len(cat.drugs)} drugs, {len(cat.class_entries)} class entries, "
        f"{len(cat.classes)} classes, {len(cat.interactions.rules)} interaction rules, "
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


# Prescription exports name the drug column differently; the first one present is used.
DRUG_COLUMNS = ("drug", "drug_name_generic", "drug_name_poe", "medication", "drug_name", "name")


def read_names(path: Path, column: str | None = None) -> tuple[list[str], str]:
    """The medicine names in a prescription export (CSV or TSV with a drug column, gzip or
    not) or a plain list (one name a line), and a description of what was read."""
    import csv
    import gzip
    import io

    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    text = raw.decode("utf-8-sig", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first else "," if "," in first else None
    if delimiter is not None:
        header = [h.strip().lower() for h in next(csv.reader([first], delimiter=delimiter))]
        wanted = [column.lower()] if column else list(DRUG_COLUMNS)
        found = next((c for c in wanted if c in header), None)
        if found is not None:
            at = header.index(found)
            reader = csv.reader(io.StringIO(text), delimiter=delimiter)
            next(reader)
            names = [row[at] for row in reader if len(row) > at]
            return names, f"column {found!r} of {path.name}"
        if column:
            fail(f"{path.name}: no column {column!r} (columns: {', '.join(header)})")
    return [line for line in text.splitlines() if line.strip()], f"lines of {path.name}"


@app.command("coverage")
def coverage(
    file: Annotated[
        Path,
        typer.Argument(
            help="A prescription export (CSV/TSV, optionally gzipped, with a drug column such "
            "as MIMIC's DRUG) or a list of names, one per line."
        ),
    ],
    column: Annotated[
        str | None, typer.Option("--column", help="Name of the drug column (default: detect).")
    ] = None,
    top: Annotated[int, typer.Option("--top", help="How many uncovered names to list.")] = 15,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """How many rows medguide covers: by a monograph, by a class entry, by name only, or not
    at all."""
    from medguide.cli.common import catalog as load_catalog
    from medguide.cli.common import print_json
    from medguide.knowledge.coverage import LEVELS, compute_coverage

    if not file.is_file():
        fail(f"{file} is not a file", exitcodes.NOT_FOUND)
    names, what = read_names(file, column)
    cat = load_catalog()
    cov = compute_coverage(cat, names)
    report = {"file": str(file), "read": what, "knowledge_version": cat.version}
    report |= cov.as_dict(top)
    if as_json:
        print_json(report)
        return
    labels = {
        "monograph": "covered by a monograph",
        "class_entry": "covered by a class entry (known by class, no monograph)",
        "name_only": "known by name only (VA NDF-RT list alone)",
        "unknown": "not recognised",
    }
    typer.echo(f"{report['rows']} rows, {report['distinct_names']} distinct names ({what})")
    for lv in LEVELS:
        b = report["by_level"][lv]
        typer.echo(f"  {b['rows']:>7} rows {b['share']:6.1%}  {b['names']:>5} names  {labels[lv]}")
    typer.echo(f"Covered by a monograph or a class entry: {report['covered_share']:.2%} of rows")
    if report["top_uncovered"]:
        typer.echo("Most frequent names not covered:")
        for u in report["top_uncovered"]:
            typer.echo(f"  {u['rows']:>7}  {u['name']}")
    typer.echo(f"Knowledge {cat.version}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="knowledge")
