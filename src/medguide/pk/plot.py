"""Pictures of a level over time for people: the population band, the typical person's line,
normal kidneys for comparison, the usual range where the sources give one, doses and dialysis
sessions, in plain words.

Colours are from the Okabe-Ito palette (safe for the common colour-vision deficiencies) and
every series also differs by line style or hatching, so the picture still reads when printed
in grey. matplotlib is imported only here, and only when a picture is asked for. No file is
written: `render_plot` returns the bytes, the caller decides where they go.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, Final, Literal

if TYPE_CHECKING:
    from medguide.pk.course import Curves

Format = Literal["svg", "png"]

BLUE: Final = "#0072B2"  # the person's line
SKY: Final = "#56B4E9"  # the band
ORANGE: Final = "#E69F00"  # normal kidneys
GREEN: Final = "#009E73"  # the usual range
VERMILION: Final = "#D55E00"  # dialysis
FOOTNOTE: Final = "Illustration from published averages, not a prediction for one person."


def _figure(curves: Curves, caption: str | None) -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    t = [x / 24.0 for x in curves.times_h] if curves.times_h[-1] > 72 else list(curves.times_h)
    unit = "days" if curves.times_h[-1] > 72 else "hours"
    scale = 24.0 if unit == "days" else 1.0
    fig = Figure(figsize=(8.0, 5.6), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    if curves.window is not None:
        low, high = curves.window
        ax.axhspan(
            low,
            high,
            facecolor=GREEN,
            alpha=0.12,
            hatch="..",
            edgecolor=GREEN,
            linewidth=0,
            label=f"usual range quoted in the sources ({low:g}-{high:g} ng/mL)",
        )
    ax.fill_between(
        t,
        curves.low,
        curves.high,
        color=SKY,
        alpha=0.35,
        linewidth=0,
        label="9 in 10 simulated people fall in this band",
    )
    if curves.normal is not None:
        ax.plot(
            t,
            curves.normal,
            color=ORANGE,
            linestyle="--",
            linewidth=1.8,
            label="typical person with normal kidneys",
        )
    ax.plot(t, curves.person, color=BLUE, linewidth=2.4, label=curves.person_label)
    for i, (start, end) in enumerate(curves.dialysis_h):
        ax.axvspan(
            start / scale,
            end / scale,
            facecolor="none",
            edgecolor=VERMILION,
            hatch="//",
            linewidth=0.8,
            label="dialysis session" if i == 0 else None,
        )
    if curves.doses_h and len(curves.doses_h) <= 200:
        # small triangles along the bottom edge (x in data, y in axes fraction)
        ax.plot(
            [d / scale for d in curves.doses_h],
            [0.015] * len(curves.doses_h),
            transform=ax.get_xaxis_transform(),
            linestyle="none",
            marker="^",
            markersize=5,
            color="#000000",
            clip_on=False,
            label="doses",
        )
    if curves.now_h is not None:
        ax.axvline(curves.now_h / scale, color="#000000", linestyle=":", linewidth=1.2, label="now")
    ax.set_xlim(0, t[-1])
    ax.set_ylim(bottom=0)
    ax.set_xlabel(f"time since {curves.since} ({unit})")
    ax.set_ylabel("level in the blood (ng/mL)")
    ax.set_title(curves.title)
    ax.grid(True, color="#cccccc", linewidth=0.5)
    # below the axes, so it never hides a curve
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=8, frameon=False)
    fig.text(0.01, 0.01, caption or FOOTNOTE, fontsize=7.5, color="#333333")
    fig.subplots_adjust(left=0.09, right=0.98, top=0.93, bottom=0.27)
    return fig


def render_plot(curves: Curves, fmt: Format = "svg", caption: str | None = None) -> bytes:
    """The picture as SVG or PNG bytes. SVG keeps its text as text (searchable, readable by
    screen readers) and carries no date, so the same curves give the same file."""
    import matplotlib

    if fmt not in ("svg", "png"):
        raise ValueError(f"picture format {fmt!r} is not svg or png")
    fig = _figure(curves, caption)
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "medguide"}):
        fig.savefig(
            buf,
            format=fmt,
            metadata={"Date": None} if fmt == "svg" else {"Software": None},
        )
    return buf.getvalue()


def render_svg(curves: Curves, caption: str | None = None) -> str:
    """The same picture as an SVG string, for web pages."""
    return render_plot(curves, "svg", caption).decode("utf-8")
