"""Shared helpers for the benchmarks: percentiles and one report line."""

from __future__ import annotations

import statistics


def percentile(xs: list[float], p: float) -> float:
    """The p-th percentile (1–99) of the samples, interpolated (statistics.quantiles)."""
    if len(xs) < 2:
        return xs[0]
    return statistics.quantiles(xs, n=100, method="inclusive")[int(p) - 1]


def report(label: str, times: list[float], unit: str = "us") -> None:
    print(
        f"{label}: median {statistics.median(times):.3g} {unit}, "
        f"p99 {percentile(times, 99):.3g} {unit}, max {max(times):.3g} {unit} "
        f"({len(times)} runs)"
    )
