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
from typing import TYPE_CHECKING, Annotated, Any

import typer

from medguide.cli import exitcodes
from medguide.cli.common import catalog, fail, print_json

if TYPE_CHECKING:
    from medguide.pk.course import PkSummary
    from medguide.pk.schedule import Schedule

_MASS_MG = {"mg": 1.0, "g": 1000.0, "mcg": 0.001}
_EXTRA = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*h?\s*:\s*(\d+(?:\.\d+)?)\s*(?:mg)?\s*$")


def _dose_mg(cat: Any, drug: Any, product: str | None, dose: float, unit: str) -> float:
    if unit in _MASS_MG:
        return dose * _MASS_MG[unit]
    if unit == "mL":
        chosen = drug.product(product) if product else None
        conc = chosen.concentration if chosen is not None else None
        if conc is None:
            fail("a dose in mL needs a liquid product (e.g. --drug Ozobax or --product fleqsuvy)")
        return float(dose * conc.per_ml * _MASS_MG[conc.amount_unit])
    fail(f"unit {unit!r} is not one of mg, g, mcg, mL")


def _clock(times: str | None, per_day: int) -> tuple[float, ...] | None:
    if not times:
        return None
    out = []
    for t in times.split(","):
        m = re.match(r"^\s*([01]\d|2[0-3]):([0-5]\d)\s*$", t)
        if not m:
            fail(f"time {t.strip()!r} is not HH:MM")
        out.append(int(m.group(1)) + int(m.group(2)) / 60.0)
    if len(out) != per_day:
        fail(f"{len(out)} times given for {per_day} doses a day")
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


def _schedule(
    dose_mg: float,
    per_day: int,
    days: int,
    clock: tuple[float, ...] | None,
    missed: list[int],
    extra: list[str],
) -> Schedule:
    from medguide.pk.schedule import add_dose, miss, regular

    if not 1 <= days <= 90:
        fail("--days must be between 1 and 90")
    s = regular(dose_mg, per_day, days, clock)
    for n in missed:
        if not 1 <= n <= len(s.times_h):
            fail(f"--missed {n}: the schedule has doses 1 to {len(s.times_h)}")
        s = miss(s, n - 1)
    for e in extra:
        m = _EXTRA.match(e)
        if not m:
            fail(f"--extra {e!r} is not HOURS:MG such as '30:20'")
        s = add_dose(s, float(m.group(1)), float(m.group(2)))
    return s


def _kidneys(
    age: float | None,
    weight: str | None,
    sex: str | None,
    creatinine: str | None,
    crcl: float | None,
    egfr: float | None,
    dialysis: str | None,
) -> tuple[float | None, bool, str]:
    """(creatinine clearance or None for normal kidneys, on dialysis, how it was found)."""
    from medguide.cli.plan_cmd import _patient

    if age is not None and age < 18:
        fail("the model uses adult figures; it is not computed under 18 years")
    _, kidney = _patient(age, weight, sex, None, creatinine, crcl, egfr, dialysis)
    on_dialysis = kidney.dialysis is not None
    value = kidney.value_for("crcl")
    if value is not None:
        return value.value, on_dialysis, value.label()
    if on_dialysis:
        return None, True, "on dialysis, no creatinine clearance given"
    if creatinine is not None:
        fail("; ".join(kidney.missing) or "creatinine clearance could not be worked out")
    return None, False, "not given: normal kidneys assumed"


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
    from medguide.cli.plan_cmd import _resolve

    if not 10 <= subjects <= 200_000:
        fail("--subjects must be between 10 and 200000")
    if plot is not None and plot.suffix.lower() not in (".svg", ".png"):
        fail(f"--plot {plot}: the file name must end in .svg or .png")
    sessions = _hours_list(dialysis_at, "--dialysis-at")
    if sessions and dialysis not in (None, "hemodialysis"):
        fail("--dialysis-at is for haemodialysis sessions")
    if sessions and dialysis is None:
        dialysis = "hemodialysis"
    if dose <= 0:
        fail("--dose must be positive")
    value, on_dialysis, kidneys = _kidneys(age, weight, sex, creatinine, crcl, egfr, dialysis)
    cat = catalog()
    drug_obj, named_product, per_day, _ = _resolve(cat, drug, None, None, frequency)
    assert per_day is not None
    from medguide.pk.course import compute_level_summary
    from medguide.pk.params import pk_parameters

    params = pk_parameters(drug_obj)
    if params is None:
        fail(
            f"the knowledge has no pharmacokinetic figures for {drug_obj.name}",
            exitcodes.NOT_FOUND,
        )
    mg = _dose_mg(cat, drug_obj, product or named_product, dose, unit)
    schedule = _schedule(mg, per_day, days, _clock(times, per_day), missed or [], extra or [])
    try:
        summary = compute_level_summary(
            params,
            schedule,
            value,
            on_dialysis=on_dialysis,
            dialysis_starts_h=sessions,
            dialysis_hours=session_hours,
            subjects=subjects,
            seed=seed,
        )
    except ValueError as exc:
        fail(str(exc))
    if plot is not None:
        from medguide.pk.plot import render_plot

        try:
            plot.write_bytes(
                render_plot(summary.curves, "png" if plot.suffix.lower() == ".png" else "svg")
            )
        except OSError as exc:
            fail(f"cannot write {plot}: {exc.strerror}")
    if as_json:
        print_json(
            {
                "pk": summary.as_dict(),
                "schedule": {
                    "dose_mg": mg,
                    "doses_per_day": per_day,
                    "days": days,
                    "doses": len(schedule.times_h),
                },
                "kidneys": kidneys,
                "knowledge_version": cat.version,
            }
        )
        return
    head = f"{drug_obj.name} {mg:g} mg × {per_day} a day ({mg * per_day:g} mg/day) for {days} days"
    _render(summary, head, kidneys)
    if plot is not None:
        typer.echo(f"wrote {plot}")
    typer.echo(f"knowledge {cat.version}")


def register(app: typer.Typer) -> None:
    app.command("pk")(pk)
