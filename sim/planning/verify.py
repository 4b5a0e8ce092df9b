"""A staffing schedule checked on the real policy: per slot and pool, what the citizens got.

Each replication runs the scenario's citizens (common random numbers: the same people every
round of the planner) through the hall with the planned schedule, on the same `HallDay` as
`qms sim run`. A ticket belongs to the slot it was issued in; a ticket never called before
the day's end counts as waiting until then, so it misses any target it outlasted. Where a
ticket misses, its deadline (issued + target) says which slot's windows were too few.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from dataclasses import dataclass

from ..citizens import Outcome
from ..day import DayResult
from ..metrics import SLOT
from ..parallel import replicate
from ..runner import replication
from ..scenario import Scenario, Staffing
from ..stats import Interval, interval, percentile
from .demand import Pool


@dataclass(frozen=True, slots=True)
class SlotFigures:
    """One pool's slot over the replications (means with 95% confidence intervals)."""

    tickets: Interval
    within: Interval  # share of the slot's tickets called within the target
    mean_wait: Interval  # minutes
    p90_wait: Interval
    utilisation: Interval  # busy share of the slot's staffed window time (a citizen finished after hours not counted)


@dataclass(frozen=True, slots=True)
class Check:
    """A schedule's simulated figures."""

    slots: dict[str, list[SlotFigures]]  # pool -> per slot
    late: dict[str, list[Counter[int]]]  # pool -> per slot: slot index of each missed deadline -> count
    within: Interval  # share of all tickets called within the target
    days: tuple[DayResult, ...]


class _Tally:
    """One replication's per-slot sums for one pool."""

    def __init__(self, slots: int) -> None:
        self.waits: list[list[float]] = [[] for _ in range(slots)]
        self.hits = [0] * slots
        self.busy = [0.0] * slots
        self.late: list[Counter[int]] = [Counter() for _ in range(slots)]


def check(
    scenario: Scenario,
    schedule: Staffing,
    pools: list[Pool],
    starts: list[float],
    counts: dict[str, list[int]] | None,
    within_minutes: float,
    replications: int,
    seed: int,
    jobs: int | None = None,
) -> Check:
    """Run `replications` days with `schedule` (in up to `jobs` processes) and measure each pool's
    slots (`counts`: windows staffed)."""
    planned = dataclasses.replace(scenario, staffing=schedule)
    target = within_minutes * 60.0
    first, n = (starts[0], len(starts)) if starts else (0.0, 0)
    pool_of_service = {s: p.name for p in pools for s in p.services}
    pool_of_window = {w: p.name for p in pools for w in p.windows}
    tallies: list[dict[str, _Tally]] = []
    overall: list[float] = []
    days = replicate(replication, [(planned, seed, r) for r in range(replications)], jobs)
    for day in days:
        tally = {p.name: _Tally(n) for p in pools}
        hits = issued = 0
        for cz in day.citizens:
            if cz.outcome is Outcome.REFUSED:
                continue
            wait = (cz.called if cz.called is not None else scenario.end) - cz.arrive
            ok = cz.called is not None and wait <= target
            issued += 1
            hits += ok
            pool = pool_of_service.get(cz.service)
            i = math.floor((cz.arrive - first) / SLOT)
            if pool is not None and 0 <= i < n:
                t = tally[pool]
                t.waits[i].append(wait / 60.0)
                t.hits[i] += ok
                if not ok:
                    t.late[i][min(n - 1, math.floor((cz.arrive + target - first) / SLOT))] += 1
            if cz.called is not None and cz.window in pool_of_window:
                busy = tally[pool_of_window[cz.window]].busy
                for s in schedule.sessions.get(cz.window, ()):  # staffed time only: no overtime
                    a, b = max(cz.called, s.start), min(cz.finished or scenario.end, s.end)
                    if b > a:
                        _spread(busy, a, b, first, n)
        overall.append(hits / issued if issued else math.nan)
        tallies.append(tally)
    slots: dict[str, list[SlotFigures]] = {}
    late: dict[str, list[Counter[int]]] = {}
    for p in pools:
        windows = counts[p.name] if counts is not None else [0] * n
        slots[p.name] = [_figures([t[p.name] for t in tallies], i, windows[i]) for i in range(n)]
        late[p.name] = [sum((t[p.name].late[i] for t in tallies), Counter()) for i in range(n)]
    return Check(slots, late, interval(overall), tuple(days))


def _spread(busy: list[float], a: float, b: float, first: float, n: int) -> None:
    """Add the busy time [a, b) to the slots it overlaps."""
    i = max(0, math.floor((a - first) / SLOT))
    while i < n and first + i * SLOT < b:
        lo, hi = first + i * SLOT, first + (i + 1) * SLOT
        busy[i] += max(0.0, min(b, hi) - max(a, lo))
        i += 1


def _figures(tallies: list[_Tally], i: int, windows: int) -> SlotFigures:
    waits = [sorted(t.waits[i]) for t in tallies]
    return SlotFigures(
        tickets=interval([float(len(w)) for w in waits]),
        within=interval([t.hits[i] / len(w) if w else math.nan for t, w in zip(tallies, waits, strict=True)]),
        mean_wait=interval([sum(w) / len(w) if w else math.nan for w in waits]),
        p90_wait=interval([percentile(w, 90) for w in waits]),
        utilisation=interval([t.busy[i] / (windows * SLOT) if windows else math.nan for t in tallies]),
    )
