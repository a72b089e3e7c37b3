"""`medguide pk`: what a regimen's level does over time, for a person's kidneys.

A one-compartment oral model with the drug's published figures: the level over the schedule,
the steady state, the time to reach it, and how many times higher it sits than with normal
kidneys, each with its sources. `--plot FILE` draws it (SVG or PNG by the file's suffix).
Always an illustration from published averages and their spread, never a prediction for the
person. numpy and matplotlib are imported only when the command runs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from medguide.cli.common import catalog, fail, fail_service, print_json, validated

if TYPE_CHECKING:
    from medguide.pk.course import PkSummary

_EXTRA = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*h?\s*:\s*(\d+(?:\.\d+)?)\s*(?:mg)?\s*$")


def _clock(times: str | None) -> tuple[float, ...] | None:
    if not times:
        return None
    out = []
    for t in times.split(","):
        m = re.match(r"^\s*([01]\d|2[0-3]):([0-5]\d)\s*$", t)
        if not m:
            fail(f"time {t.strip()!r} is not HH:MM")
        out.append(int(m.group(1)) + int(m.group(2)) / 60.0)
    return tuple(out)


def _hours_list(text: str | None, what: str) -> tuple[float, ...]:
    if not text:
        return ()
    try:
        values = tuple(float(x) for x in text.split(","))
    except ValueError:
        fail(f"{what} {text!r} is not a list of hours such as '48,96'")
    if any(v < 0 for v in values):
        fail(f"{what} cannot be negative")
    return values


def _render(s: PkSummary, head: str, kidneys: str) -> None:
    typer.echo(head)
    typer.echo(f"kidneys: {kidneys}")
    typer.echo(f"model: {s.as_dict(with_curves=False)['model']}; {s.subjects} simulated people")
    published = (
        f"; published {s.reported_half_life_h[0]:g}-{s.reported_half_life_h[1]:g} h"
        if s.reported_half_life_h
        else ""
    )
    typer.echo(
        f"half-life: {s.half_life_h:.1f} h (normal kidneys {s.half_life_normal_h:.1f} h{published})"
    )
    typer.echo(f"clearance: {s.clearance_l_h:.1f} L/h, {s.renal_factor:.0%} of normal")
    if s.steady_state and s.steady_state_normal:
        ss, nn = s.steady_state, s.steady_state_normal
        typer.echo(
            f"steady state, typical person: average {ss['average']:.0f} ng/mL "
            f"(9 in 10 people {ss['average_band_low']:.0f}-{ss['average_band_high']:.0f}), "
            f"lowest {ss['trough']:.0f}, highest {ss['peak']:.0f}"
        )
        if s.renal_factor < 1:
            typer.echo(
                f"  with normal kidneys: average {nn['average']:.0f} ng/mL "
                f"({nn['average_band_low']:.0f}-{nn['average_band_high']:.0f})"
            )
    if s.window:
        typer.echo(f"usual range quoted in the sources: {s.window[0]:g}-{s.window[1]:g} ng/mL")
    typer.echo(
        f"time to steady state: about {s.time_to_steady_state_h:.0f} h "
        f"({s.time_to_steady_state_h / 24:.1f} days, within 10 %)"
    )
    acc = (
        f" (steady state {s.accumulation_ratio:.1f} × the first dose's level)"
        if s.accumulation_ratio
        else ""
    )
    typer.echo(f"accumulation: {s.fold_vs_normal_kidneys:.1f} × normal kidneys{acc}")
    for start, end in s.dialysis_h:
        typer.echo(f"dialysis session: hour {start:g} to {end:g} (in the curve and picture)")
    if s.dialysis_h:
        typer.echo("  the steady-state figures above are without dialysis sessions")
    if s.judgments:
        typer.echo("judgment calls: " + ", ".join(s.judgments))
    typer.echo(f"sources: {', '.join(s.sources)}")
    from medguide.pk.course import CAVEAT

    typer.echo(f"note: {CAVEAT}")


def pk(
    dose: Annotated[float, typer.Option("--dose", help="Dose per administration.")],
    frequency: Annotated[str, typer.Option("--frequency", help="TID, QID, 'twice a day'…")],
    drug: Annotated[str, typer.Option("--drug", help="Drug or brand name.")] = "baclofen",
    unit: Annotated[str, typer.Option("--unit", help="mg, g, mcg, or mL for a liquid.")] = "mg",
    days: Annotated[int, typer.Option("--days", help="How many days to simulate.")] = 7,
    times: Annotated[
        str | None, typer.Option("--times", help="Dose times, e.g. 08:00,14:00,20:00.")
    ] = None,
    product: Annotated[
        str | None, typer.Option("--product", help="Product id for a dose in mL.")
    ] = None,
    missed: Annotated[
        list[int] | None, typer.Option("--missed", help="Dose number not taken (1 = first).")
    ] = None,
    extra: Annotated[
        list[str] | None, typer.Option("--extra", help="An extra dose, HOURS:MG, e.g. 30:20.")
    ] = None,
    age: Annotated[float | None, typer.Option("--age", help="Age in years.")] = None,
    weight: Annotated[str | None, typer.Option("--weight", help="'70', '70 kg', '154 lb'.")] = None,
    sex: Annotated[str | None, typer.Option("--sex", help="male or female.")] = None,
    creatinine: Annotated[
        str | None, typer.Option("--creatinine", help="'1.8' (mg/dL) or '159 umol/L'.")
    ] = None,
    crcl: Annotated[
        float | None, typer.Option("--crcl", help="Creatinine clearance, mL/min.")
    ] = None,
    egfr: Annotated[float | None, typer.Option("--egfr", help="eGFR, mL/min/1.73 m².")] = None,
    dialysis: Annotated[
        str | None, typer.Option("--dialysis", help="none, hemodialysis, peritoneal.")
    ] = None,
    dialysis_at: Annotated[
        str | None,
        typer.Option("--dialysis-at", help="Haemodialysis session starts, hours: '50,98'."),
    ] = None,
    session_hours: Annotated[
        float | None, typer.Option("--session-hours", help="Length of a session (4 h).")
    ] = None,
    subjects: Annotated[
        int, typer.Option("--subjects", help="Simulated people for the band.")
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the simulated people.")] = 0,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write a picture: FILE.svg or FILE.png.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The figures as JSON.")] = False,
) -> None:
    """Level over time, steady state and accumulation against normal kidneys (illustration)."""
    from medguide import service
    from medguide.cli.plan_cmd import _patient

    if plot is not None and plot.suffix.lower() not in (".svg", ".png"):
        fail(f"--plot {plot}: the file name must end in .svg or .png")
    extras = []
    for e in extra or []:
        m = _EXTRA.match(e)
        if not m:
            fail(f"--extra {e!r} is not HOURS:MG such as '30:20'")
        extras.append((float(m.group(1)), float(m.group(2))))
    query = validated(
        service.PkQuery,
        {
            "drug": drug,
            "dose": dose,
            "unit": unit,
            "frequency": frequency,
            "days": days,
            "times_h": _clock(times),
            "product": product,
            "missed": tuple(missed or ()),
            "extra": tuple(extras),
            "dialysis_at_h": _hours_list(dialysis_at, "--dialysis-at"),
            "session_hours": session_hours,
            "subjects": subjects,
            "seed": seed,
            "patient": _patient(age, weight, sex, None, creatinine, crcl, egfr, dialysis),
        },
    )
    try:
        result = service.pk(catalog(), query)
    except service.ServiceError as exc:
        fail_service(exc)
    summary = result.summary
    if plot is not None:
        from medguide.pk.plot import render_plot

        try:
            plot.write_bytes(
                render_plot(summary.curves, "png" if plot.suffix.lower() == ".png" else "svg")
            )
        except OSError as exc:
            fail(f"cannot write {plot}: {exc.strerror}")
    if as_json:
        print_json(result.as_dict())
        return
    mg, per_day = result.dose_mg, result.doses_per_day
    head = (
        f"{summary.drug_name} {mg:g} mg × {per_day} a day ({mg * per_day:g} mg/day) "
        f"for {result.days} days"
    )
    _render(summary, head, result.kidneys)
    if plot is not None:
        typer.echo(f"wrote {plot}")
    typer.echo(f"knowledge {result.knowledge_version}")


def register(app: typer.Typer) -> None:
    app.command("pk")(pk)
