"""Two scenarios side by side on common random numbers (`qms sim compare A B`).

Both run with the same seed, so with the same demand each replication sends the very same
citizens through both halls; the difference B - A is then taken per replication, and its
confidence interval is much narrower than the two figures' own: a what-if shows its effect
rather than the noise of different days.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .metrics import DayFigures
from .report import render_table
from .runner import RunResult, run
from .scenario import Scenario
from .stats import Interval, interval

Pick = Callable[[DayFigures], float]


def _figures(classes: list[str]) -> list[tuple[str, Pick, float]]:
    """(label, how to read it from a day, scale for display)."""
    out: list[tuple[str, Pick, float]] = [
        ("mean wait, min", lambda d: d.overall.mean_wait, 1),
        ("p90 wait, min", lambda d: d.overall.p90, 1),
        ("p95 wait, min", lambda d: d.overall.p95, 1),
        ("called within 15 min, %", lambda d: d.overall.within_15, 100),
        ("called within 30 min, %", lambda d: d.overall.within_30, 100),
        ("served", lambda d: d.overall.served, 1),
        ("no-shows", lambda d: d.overall.no_shows, 1),
        ("walked away", lambda d: d.overall.walked_away, 1),
        ("cancelled", lambda d: d.overall.cancelled, 1),
        ("refused at the dispenser", lambda d: d.overall.refused, 1),
        ("hall utilisation, %", lambda d: d.hall_utilisation, 100),
        ("peak waiting (max over slots)", lambda d: max(d.max_queue_by_slot.values(), default=0), 1),
    ]
    for k in classes:
        out.append((f"mean wait {k}, min", class_wait(k), 1))
    return out


def class_wait(klass: str) -> Pick:
    def pick(d: DayFigures) -> float:
        return d.by_class[klass].mean_wait if klass in d.by_class else math.nan

    return pick


def compare(
    a: Scenario, b: Scenario, replications: int, seed: int, jobs: int | None = None
) -> tuple[RunResult, RunResult, str]:
    """Run both (in up to `jobs` processes) and return them with the comparison table."""
    ra, rb = run(a, replications, seed, jobs=jobs), run(b, replications, seed, jobs=jobs)
    da, db = ra.day_figures(), rb.day_figures()
    classes = sorted({k for d in (*da, *db) for k in d.by_class})
    same_demand = a.demand == b.demand
    rows = [["figure", "A", "B", "B - A (95% CI)", ""]]
    for label, pick, scale in _figures(classes):
        xa, xb = [pick(d) * scale for d in da], [pick(d) * scale for d in db]
        diff = interval([y - x for x, y in zip(xa, xb, strict=True)])
        rows.append([label, _fmt(interval(xa)), _fmt(interval(xb)), _fmt(diff, signed=True), _verdict(diff)])
    lines = [
        f"A: {a.name} ({a.source})",
        f"B: {b.name} ({b.source})",
        f"{replications} replications, seed {seed}; "
        + (
            "same demand: common random numbers, differences paired per replication"
            if same_demand
            else "the demands differ: the same seeds, but not the same citizens"
        ),
        "",
        render_table(rows),
    ]
    return ra, rb, "\n".join(lines)


def _fmt(iv: Interval, signed: bool = False) -> str:
    if math.isnan(iv.mean):
        return "-"
    text = f"{iv.mean:+.1f}" if signed else f"{iv.mean:.1f}"
    return text if math.isnan(iv.half_width) else f"{text} ± {iv.half_width:.1f}"


def _verdict(diff: Interval) -> str:
    if math.isnan(diff.half_width):
        return ""
    if diff.low > 0:
        return "B higher"
    if diff.high < 0:
        return "B lower"
    return "no clear difference"
