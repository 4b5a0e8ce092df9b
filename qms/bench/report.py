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


def press_and_round_trip(latencies: list[float], round_trips: list[float], aim_p99_ms: float) -> str:
    """Two lines: press-to-frame p50/p99 (p99 as a ratio to the aim) and the broker's round trip."""
    p50, p99 = percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000
    r50, r99 = percentile(round_trips, 50) * 1000, percentile(round_trips, 99) * 1000
    ratio = p99 / aim_p99_ms
    return (
        f"  press to frame     p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   = p99 {ratio:.2f} x aim {aim_p99_ms:.0f} ms\n"
        f"  broker round trip  p50 {r50:6.2f} ms   p99 {r99:6.2f} ms   (QoS 1 publish to a subscribed topic)"
    )
