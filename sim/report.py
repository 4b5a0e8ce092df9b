"""Reports of a simulation: a table on the terminal, CSV files, a self-contained HTML page.

Every figure is the mean over the replications with its 95% confidence interval. Waits are
minutes from taking the ticket to its first call; "within 15/30" is the share of called
tickets called within 15 or 30 minutes; utilisation is the busy share of a window's staffed
time (calling and serving, no-shows included).
"""

from __future__ import annotations

import base64
import csv
import html
import io
import math
from collections.abc import Iterable
from pathlib import Path

from .citizens import TicketRecord
from .metrics import SLOT, Aggregate
from .runner import RunResult
from .stats import Interval


def clock(seconds: float) -> str:
    """Seconds of the day -> 'HH:MM'."""
    minutes = round(seconds / 60.0)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _f(iv: Interval, digits: int = 1, percent: bool = False) -> str:
    if math.isnan(iv.mean):
        return "-"
    scale = 100.0 if percent else 1.0
    text = f"{iv.mean * scale:.{digits}f}"
    if iv.n > 1 and not math.isnan(iv.half_width):
        text += f"±{iv.half_width * scale:.{digits}f}"
    return text + ("%" if percent else "")


_HEAD = (
    *("tickets", "served", "mean", "p50", "p90", "p95", "≤15min", "≤30min"),
    *("no-show", "walked", "cancelled", "refused"),
)


def _row(label: str, g: dict[str, Interval]) -> list[str]:
    return [
        label,
        _f(g["tickets"], 0),
        _f(g["served"], 0),
        _f(g["mean_wait"]),
        _f(g["p50"]),
        _f(g["p90"]),
        _f(g["p95"]),
        _f(g["within_15"], 0, True),
        _f(g["within_30"], 0, True),
        _f(g["no_shows"], 0),
        _f(g["walked_away"], 0),
        _f(g["cancelled"], 0),
        _f(g["refused"], 0),
    ]


def render_table(rows: list[list[str]]) -> str:
    """Rows of cells as aligned columns: the first left-aligned, the others right-aligned."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(r, widths, strict=True)))
        for r in rows
    )


def table(result: RunResult, agg: Aggregate, services: int = 15) -> str:
    """The report as text for the terminal."""
    s = result.scenario
    lines = [
        f"{s.name}: {agg.replications} replications, seed {result.seed}, {s.day} until {clock(s.end)}",
        "waits in minutes from ticket to call (mean ± 95% CI half-width over replications)",
        "",
    ]
    rows = [["", *_HEAD], _row("all tickets", agg.overall)]
    rows += [_row(k, g) for k, g in agg.by_class.items()]
    lines += [render_table(rows), ""]
    busiest = sorted(agg.by_service.items(), key=lambda kv: -kv[1]["tickets"].mean)[:services]
    rows = [["service", *_HEAD]] + [_row(sid, g) for sid, g in busiest]
    lines += [render_table(rows)]
    if len(agg.by_service) > services:
        lines.append(f"  ... and {len(agg.by_service) - services} more services (see the CSV)")
    lines += ["", f"hall utilisation {_f(agg.hall_utilisation, 0, True)} of staffed window time", ""]
    rows = [["slot", "waiting (mean)", "waiting (peak)"]]
    rows += [[clock(t), _f(agg.queue_by_slot[t]), _f(agg.max_queue_by_slot[t], 0)] for t in agg.queue_by_slot]
    lines += [render_table(rows)]
    return "\n".join(lines)


def records(result: RunResult) -> Iterable[TicketRecord]:
    for r, day in enumerate(result.days):
        for citizen in day.citizens:
            yield TicketRecord.of(r, citizen)


def write_tickets_csv(result: RunResult, path: Path) -> int:
    """One row per ticket of every replication; returns the number of rows."""
    fields = list(TicketRecord.__dataclass_fields__)
    n = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(fields)
        for rec in records(result):
            w.writerow(
                ["" if (v := getattr(rec, k)) is None else (f"{v:.1f}" if isinstance(v, float) else v) for k in fields]
            )
            n += 1
    return n


def write_summary_csv(agg: Aggregate, path: Path) -> None:
    """One row per group (all, each class, each service) and figure: mean, CI low and high."""
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["group", "key", "figure", "mean", "ci_low", "ci_high", "replications"])
        groups = [("all", "all", agg.overall)]
        groups += [("class", k, g) for k, g in agg.by_class.items()]
        groups += [("service", k, g) for k, g in agg.by_service.items()]
        for kind, key, g in groups:
            for name, iv in g.items():
                w.writerow([kind, key, name, *_cells(iv)])
        for wid, iv in agg.utilisation.items():
            w.writerow(["window", wid, "utilisation", *_cells(iv)])
        for t, iv in agg.queue_by_slot.items():
            w.writerow(["slot", clock(t), "waiting_mean", *_cells(iv)])


def _cells(iv: Interval) -> list[object]:
    return [csv_number(iv.mean), csv_number(iv.low), csv_number(iv.high), iv.n]


def csv_number(x: float) -> str:
    """A figure for a CSV cell: four decimals, empty when there is none (NaN)."""
    return "" if math.isnan(x) else f"{x:.4f}"


def _png(fig: object) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")  # type: ignore[attr-defined]
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def charts(result: RunResult, agg: Aggregate) -> dict[str, str]:
    """The report's charts as PNG data URLs (matplotlib, headless)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out: dict[str, str] = {}
    slots = list(agg.queue_by_slot)
    xs = [t / 3600.0 + SLOT / 7200.0 for t in slots]
    fig, ax = plt.subplots(figsize=(8, 3.2))
    means = [agg.queue_by_slot[t].mean for t in slots]
    errs = [0 if math.isnan(agg.queue_by_slot[t].half_width) else agg.queue_by_slot[t].half_width for t in slots]
    ax.bar(xs, means, width=0.45, yerr=errs, color="#4a7ab7", label="mean waiting")
    ax.plot(xs, [agg.max_queue_by_slot[t].mean for t in slots], "o-", color="#c0504d", label="peak waiting")
    ax.set_xlabel("time of day (h)")
    ax.set_ylabel("tickets waiting (bars: 95% CI of the mean)")
    ax.set_ylim(bottom=0)
    ax.legend()
    out["queue"] = _png(fig)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 3.2))
    waits = [
        (c.called - c.arrive) / 60.0 for day in result.days for c in day.citizens if c.called is not None and c.ticket
    ]
    if waits:
        ax.hist(waits, bins=60, color="#4a7ab7")
    ax.axvline(15, color="#9bbb59", linestyle="--", label="15 min")
    ax.axvline(30, color="#c0504d", linestyle="--", label="30 min")
    ax.set_xlabel("wait from ticket to call (min), all replications")
    ax.set_ylabel("tickets")
    ax.legend()
    out["waits"] = _png(fig)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 3.2))
    windows = [w for w, iv in agg.utilisation.items() if not math.isnan(iv.mean)]
    ax.bar(range(len(windows)), [agg.utilisation[w].mean * 100 for w in windows], color="#4a7ab7")
    ax.set_xticks(range(len(windows)))
    ax.set_xticklabels(windows, rotation=90, fontsize=6)
    ax.set_ylabel("busy % of staffed time")
    ax.set_ylim(0, 100)
    out["utilisation"] = _png(fig)
    plt.close(fig)
    return out


def html_report(result: RunResult, agg: Aggregate) -> str:
    """A self-contained HTML page (charts embedded) of the run."""
    s = result.scenario
    pics = charts(result, agg)

    def rows(groups: Iterable[tuple[str, dict[str, Interval]]]) -> str:
        return "\n".join(
            "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in _row(label, g)) + "</tr>"
            for label, g in groups
        )

    head = "<tr><th></th>" + "".join(f"<th>{html.escape(h)}</th>" for h in _HEAD) + "</tr>"
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(s.name)}: simulation</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1100px}}table{{border-collapse:collapse;font-size:13px}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}}td:first-child{{text-align:left}}</style></head>
<body>
<h1>{html.escape(s.name)}</h1>
<p>{agg.replications} replications (seed {result.seed}) of {s.day}, simulated until {clock(s.end)} on the
hall's real policy ({html.escape(s.hall.name)}, {len(s.hall.windows)} windows, {len(s.hall.services)} services).
Waits are minutes from taking the ticket to its first call: mean ± half-width of the 95% confidence interval.
Hall utilisation: {_f(agg.hall_utilisation, 0, True)} of staffed window time.</p>
<h2>By priority class</h2><table>{head}{rows([("all tickets", agg.overall), *agg.by_class.items()])}</table>
<h2>Tickets waiting by 30-minute slot</h2><img alt="queue length by slot" src="{pics["queue"]}">
<h2>Waiting times</h2><img alt="waiting time histogram" src="{pics["waits"]}">
<h2>By service</h2><table>{head}{rows(agg.by_service.items())}</table>
<h2>Window utilisation</h2><img alt="window utilisation" src="{pics["utilisation"]}">
</body></html>
"""
