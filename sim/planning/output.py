"""A staffing plan for the hall manager: a table on the terminal, a CSV, a section of the HTML report."""

from __future__ import annotations

import csv
import html
import math
from pathlib import Path

from ..metrics import SLOT
from ..report import clock, csv_number, render_table
from ..stats import Interval
from .plan import Plan, PoolPlan

ASSUMES = (
    "Erlang C treats each 30-minute slot as a steady M/M/c queue per pool of windows: Poisson arrivals at\n"
    "the slot's mean rate, exponential busy times (walk to the window + handling; a call nobody answers\n"
    "holds the window until the no-show), one first-come-first-served line, windows serving only their\n"
    "pool (general windows: every general service; specialized windows: the services only they serve).\n"
    "Queues carry over between slots, priority classes reorder the line and handling times are not\n"
    "exponential, so the plan is checked on the real policy and raised where a slot misses the target."
)

HEAD = ("slot", "arrivals", "load", "erlang c", "planned", "within target", "mean wait", "p90 wait", "utilisation")


def _pct(iv: Interval) -> str:
    if math.isnan(iv.mean):
        return "-"
    text = f"{iv.mean * 100:.0f}%"
    if math.isnan(iv.half_width):
        return text
    # a share lies in [0, 100]%: from a few tickets a t-interval would reach past either end
    half = min(iv.half_width, max(iv.mean, 1.0 - iv.mean))
    return text + f" ± {half * 100:.0f}"


def _min(iv: Interval) -> str:
    return "-" if math.isnan(iv.mean) else f"{iv.mean:.1f}"


def rows(plan: Plan, pp: PoolPlan) -> list[list[str]]:
    """The pool's table rows (slots with neither tickets nor windows are left out)."""
    out = []
    missed = set(pp.missed(plan.target.share))
    for i, (start, load, count, fig) in enumerate(zip(plan.starts, pp.loads, pp.counts, pp.slots, strict=True)):
        if load.arrivals < 0.005 and count == 0 and not fig.tickets.mean:
            continue
        erlang = f"{load.erlang}{'!' if load.short else ''}"
        within = _pct(fig.within) + (" MISS" if i in missed else "")
        out.append(
            [
                f"{clock(start)}-{clock(start + SLOT)}",
                f"{load.arrivals:.1f}",
                f"{load.load:.1f}",
                erlang,
                str(count),
                within,
                _min(fig.mean_wait),
                _min(fig.p90_wait),
                _pct(Interval(fig.utilisation.mean, math.nan, 1)),
            ]
        )
    return out


def text(plan: Plan) -> str:
    """The plan as text for the terminal."""
    s, t = plan.scenario, plan.target
    lines = [
        f"{s.name}: staffing for {t.share:.0%} of tickets called within {t.minutes:g} minutes",
        f"{plan.replications} replications per round, seed {plan.seed}, {plan.rounds} round(s) of simulation",
        "",
        ASSUMES,
        "",
    ]
    for pp in plan.pools:
        body = rows(plan, pp)
        if not body:
            continue  # no tickets for this pool's services in the scenario
        extra = f", the last {pp.pool.overflow} specialized (they serve part of it)" if pp.pool.overflow else ""
        lines.append(f"{pp.pool.name}: {len(pp.pool.windows)} windows{extra}")
        lines += [render_table([list(HEAD), *body]), ""]
    lines.append("load in erlangs (windows busy on average); waits in minutes; within target: mean ± 95% CI half-width")
    if any(x.short for pp in plan.pools for x in pp.loads):
        lines.append("! Erlang C asks for more windows than the pool has")
    verdict = "meets the target in every slot" if plan.met else "MISSES the target in the slots marked MISS"
    lines += [
        f"the plan {verdict} (simulated on the hall's real policy)",
        "",
        f"staff-hours: plan {plan.staff_hours:.1f}, the scenario's own staffing {plan.own_staff_hours:.1f}",
        f"all tickets within {t.minutes:g} min: plan {_pct(plan.within)}, own staffing {_pct(plan.own_within)}",
    ]
    return "\n".join(lines)


def write_csv(plan: Plan, path: Path) -> None:
    """One row per pool and slot, numbers without units (minutes, shares 0-1)."""
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "pool", "slot_start", "slot_end", "arrivals", "load_erlangs", "erlang_c", "planned",
                "within_share", "within_ci", "mean_wait_min", "p90_wait_min", "utilisation",
            ]
        )  # fmt: skip
        for pp in plan.pools:
            for start, load, count, fig in zip(plan.starts, pp.loads, pp.counts, pp.slots, strict=True):
                w.writerow(
                    [
                        pp.pool.name,
                        clock(start),
                        clock(start + SLOT),
                        f"{load.arrivals:.3f}",
                        f"{load.load:.3f}",
                        load.erlang,
                        count,
                        csv_number(fig.within.mean),
                        csv_number(fig.within.half_width),
                        csv_number(fig.mean_wait.mean),
                        csv_number(fig.p90_wait.mean),
                        csv_number(fig.utilisation.mean),
                    ]
                )


def html_section(plan: Plan) -> str:
    """The plan as a section for the HTML report."""
    t = plan.target
    parts = [
        f"<h2>Staffing plan: {t.share:.0%} called within {t.minutes:g} minutes</h2>",
        f"<p>{html.escape(ASSUMES)}</p>",
        f"<p>Staff-hours: plan {plan.staff_hours:.1f}, the scenario's own staffing {plan.own_staff_hours:.1f}. "
        f"All tickets within {t.minutes:g} min: plan {_pct(plan.within)}, own staffing {_pct(plan.own_within)}.</p>",
    ]
    head = "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in HEAD) + "</tr>"
    for pp in plan.pools:
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows(plan, pp))
        if not body:
            continue
        parts.append(
            f"<h3>{html.escape(pp.pool.name)} ({len(pp.pool.windows)} windows)</h3><table>{head}{body}</table>"
        )
    return "\n".join(parts)


def html_page(report: str, plan: Plan) -> str:
    """The run report of the planned schedule with the plan's section first."""
    marker = "<h2>"
    at = report.find(marker)
    return report[:at] + html_section(plan) + "\n" + report[at:] if at >= 0 else report + html_section(plan)
