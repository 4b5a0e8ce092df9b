"""Printing benchmark figures the same way everywhere: the figure and its ratio to the aim."""

from __future__ import annotations

import statistics


def figure(label: str, per_second: float, aim: float | None = None) -> str:
    """One line: `label  12,345 /s = 1.23 x aim 10,000`."""
    line = f"  {label:<32}{per_second:>10,.0f} /s"
    if aim:
        line += f"  = {per_second / aim:.2f} x aim {aim:,.0f}"
    return line


def percentile(values: list[float], q: int) -> float:
    """The q-th percentile (1-99) of at least one value."""
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]
