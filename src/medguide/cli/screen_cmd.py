"""`medguide screen`: every active prescription of an export, screened in one run.

FHIR R4 Bulk Data NDJSON (files or folders; `.ndjson`, `.ndjson.gz`) or a tabular export
(CSV or Parquet; the MIMIC-III PRESCRIPTIONS columns by default, others with `--column`).
Writes findings (Parquet, CSV), `summary.json` and a manifest into `--out`; `--report` adds an
HTML page. Exit code 0 when all input was used, 6 when some was skipped (the summary says what
and where). duckdb, pyarrow, dask and jinja2 are imported only when the command runs.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from medguide.cli import exitcodes
from medguide.cli.common import fail, print_json, wants_json


def _columns(pairs: list[str] | None) -> dict[str, str] | None:
    if not pairs:
        return None
    from medguide.batch.inputs import MIMIC_COLUMNS

    out = dict(MIMIC_COLUMNS)
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in MIMIC_COLUMNS:
            fail(f"--column {pair!r}: give FIELD=COLUMN with FIELD one of {sorted(MIMIC_COLUMNS)}")
        out[key] = value
    return out


def screen(
    inputs: Annotated[
        list[Path] | None, typer.Argument(help="NDJSON files or folders, or CSV/Parquet files")
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="output folder")] = Path("screen-out"),
    engine: Annotated[str, typer.Option(help="local (process pool) or dask")] = "local",
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address, tcp://HOST:PORT")
    ] = None,
    workers: Annotated[int | None, typer.Option(help="local worker processes")] = None,
    batch: Annotated[int, typer.Option(help="patients per partition")] = 2000,
    now: Annotated[
        str | None, typer.Option(help="the date the screening is for (ISO); default today")
    ] = None,
    column: Annotated[
        list[str] | None,
        typer.Option("--column", help="tabular input: FIELD=COLUMN (patient, drug, dose, …)"),
    ] = None,
    patients: Annotated[
        Path | None, typer.Option(help="tabular input: a PATIENTS file (sex by subject_id)")
    ] = None,
    report: Annotated[Path | None, typer.Option(help="write an HTML report here")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
    make_demo: Annotated[
        int | None,
        typer.Option(help="instead: grow the Synthea sample to N patients in INPUT (a folder)"),
    ] = None,
    seed: Annotated[int, typer.Option(help="--make-demo: random seed")] = 17,
    json_out: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Screen every active prescription of a FHIR Bulk export or a prescription table."""
    if not inputs:
        fail("give at least one input file or folder")
    if make_demo is not None:
        from medguide.batch.demo import make_demo as build

        target = inputs[0]
        written = build(make_demo, target, seed=seed)
        print(f"wrote {written['patients']:,} patients, {written['orders']:,} orders to {target}")
        return
    for p in inputs:
        if not p.exists():
            fail(f"{p}: no such file or folder", exitcodes.NOT_FOUND)
    if engine not in ("local", "dask"):
        fail("--engine is local or dask")
    if engine == "dask" and not scheduler:
        fail("--engine dask needs --scheduler tcp://HOST:PORT")
    try:
        when = datetime.fromisoformat(now) if now else datetime.now()
    except ValueError:
        fail(f"--now {now!r} is not an ISO date or time")
    from medguide.batch.run import ScreenOptions
    from medguide.batch.run import screen as run

    opts = ScreenOptions(
        inputs=list(inputs),
        out=out,
        now=when,
        engine=engine,
        scheduler=scheduler,
        workers=workers,
        batch_patients=batch,
        columns=_columns(column),
        patients_file=patients,
        progress=not quiet,
    )
    try:
        result = run(opts)
    except KeyboardInterrupt:
        sys.stderr.write(f"interrupted; run the same command again to resume into {out}\n")
        raise typer.Exit(130) from None
    except ValueError as exc:
        fail(str(exc))
    summary = result.summary
    if report is not None:
        from medguide.batch.report import write_report

        write_report(out, summary, report)
    if json_out or wants_json():
        print_json(summary)
    else:
        _print_summary(summary, out, report)
    if result.skipped.total:
        raise typer.Exit(exitcodes.INPUT_SKIPPED)


def _print_summary(summary: dict[str, object], out: Path, report: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    s = summary
    console.print(
        f"[bold]{s['patients_screened']:,}[/] patients with active medicines screened "
        f"({s['medications_screened']:,} orders); [bold]{s['patients_with_findings']:,}[/] "
        f"with findings, {s['findings']:,} findings"
    )
    review = dict(s.get("to_review") or s)  # type: ignore[call-overload]
    not_counted = dict(s.get("not_counted") or {})  # type: ignore[call-overload]
    if not_counted.get("orders"):
        console.print(
            f"{not_counted['orders']:,} orders ({not_counted['patients']:,} patients) give no "
            "frequency and could not be counted; grouped below, not in the tables (the "
            "findings files keep each row)",
            markup=False,
        )
    table = Table("severity", "findings", "patients")
    for sev, v in dict(review["by_severity"]).items():
        table.add_row(sev, f"{v['findings']:,}", f"{v['patients']:,}")
    console.print(table)
    codes = Table("finding", "findings", "patients")
    for code, v in list(dict(review["by_code"]).items())[:15]:
        codes.add_row(code, f"{v['findings']:,}", f"{v['patients']:,}")
    console.print(codes)
    if not_counted.get("orders"):
        console.print("[bold]could not be counted[/] (no frequency):")
        for d in list(not_counted["by_drug"])[:8]:
            console.print(
                f"  {d['orders']:,} orders of {d['drug']} could not be counted (no frequency); "
                f"{d['patients']:,} patients",
                markup=False,
            )
    for item in list(s.get("age_not_known") or ()):  # type: ignore[call-overload]
        console.print(f"  {item['patients']:,} patients: {item['reason']}", markup=False)
    nc = list(s["not_checked"])[:8]  # type: ignore[call-overload]
    if nc:
        console.print("[bold]not checked[/] (top reasons):")
        for item in nc:
            console.print(f"  {item['patients']:,} patients: {item['reason']}", markup=False)
    skipped = dict(s["skipped"])  # type: ignore[call-overload]
    if skipped:
        console.print("[bold]skipped input[/]:")
        for kind, v in skipped.items():
            console.print(
                f"  {kind}: {v['count']:,} (first: {', '.join(v['first'])})", markup=False
            )
    console.print(f"written to {out}" + (f"; report {report}" if report else ""), markup=False)


def register(app: typer.Typer) -> None:
    app.command("screen")(screen)
