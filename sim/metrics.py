"""What a hall manager reads off a simulated day: waits, service levels, losses, utilisation, queues.

`summarise(day)` reduces one replication to figures; `aggregate` puts the replications'
figures side by side as means with 95% confidence intervals. Waiting time is from taking
the ticket to its first call, in minutes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from .citizens import Citizen, Outcome
from .day import DayResult
from .stats import Interval, interval, mean, percentile

SLOT = 30 * 60.0  # seconds: queue lengths are reported by 30-minute slot
ALL = "all"


@dataclass(frozen=True, slots=True)
class GroupFigures:
    """One group's figures of one day (a service, a priority class, or all)."""

    tickets: int
    served: int
    mean_wait: float
    p50: float
    p90: float
    p95: float
    within_15: float  # share of called tickets called within 15 minutes
    within_30: float
    no_shows: int
    walked_away: int
    cancelled: int  # gave up and cancelled the ticket (取消排队)
    refused: int
    unserved: int


@dataclass(frozen=True, slots=True)
class DayFigures:
    by_service: dict[str, GroupFigures]
    by_class: dict[str, GroupFigures]
    overall: GroupFigures
    utilisation: dict[str, float]  # window -> busy share of its staffed time
    hall_utilisation: float
    queue_by_slot: dict[float, float]  # slot start (second of the day) -> mean tickets waiting
    max_queue_by_slot: dict[float, int]


def _group(citizens: list[Citizen]) -> GroupFigures:
    waits = sorted(
        (c.called - c.arrive) / 60.0 for c in citizens if c.called is not None and c.outcome is not Outcome.REFUSED
    )
    count = {o: 0 for o in Outcome}
    for c in citizens:
        count[c.outcome] += 1
    n = len(waits)
    return GroupFigures(
        tickets=len(citizens) - count[Outcome.REFUSED],
        served=count[Outcome.SERVED],
        mean_wait=mean(waits),
        p50=percentile(waits, 50),
        p90=percentile(waits, 90),
        p95=percentile(waits, 95),
        within_15=sum(1 for w in waits if w <= 15) / n if n else math.nan,
        within_30=sum(1 for w in waits if w <= 30) / n if n else math.nan,
        no_shows=count[Outcome.NO_SHOW],
        walked_away=count[Outcome.WALKED_AWAY],
        cancelled=count[Outcome.CANCELLED],
        refused=count[Outcome.REFUSED],
        unserved=count[Outcome.UNSERVED],
    )


def summarise(day: DayResult, end: float) -> DayFigures:
    by_service: dict[str, list[Citizen]] = defaultdict(list)
    by_class: dict[str, list[Citizen]] = defaultdict(list)
    for c in day.citizens:
        by_service[c.service].append(c)
        by_class[(c.priority or c.klass).value].append(c)
    util = {w: (u.busy / u.staffed if u.staffed > 0 else math.nan) for w, u in day.windows.items()}
    staffed = sum(u.staffed for u in day.windows.values())
    busy = sum(u.busy for u in day.windows.values())
    queue, peak = _queue_by_slot(day.citizens, end)
    return DayFigures(
        by_service={s: _group(cs) for s, cs in sorted(by_service.items())},
        by_class={k: _group(cs) for k, cs in sorted(by_class.items())},
        overall=_group(day.citizens),
        utilisation=util,
        hall_utilisation=busy / staffed if staffed else math.nan,
        queue_by_slot=queue,
        max_queue_by_slot=peak,
    )


def _queue_by_slot(citizens: list[Citizen], end: float) -> tuple[dict[float, float], dict[float, int]]:
    """Time-averaged and peak number of tickets in line per slot (the hall's line: issued, not yet called)."""
    changes: list[tuple[float, int]] = []
    for c in citizens:
        if c.outcome is Outcome.REFUSED:
            continue
        changes.append((c.arrive, 1))
        changes.append((c.called if c.called is not None else end, -1))
    changes.sort()
    if not changes:
        return {}, {}
    area: dict[float, float] = defaultdict(float)
    peak: dict[float, int] = defaultdict(int)
    level, last = 0, changes[0][0]
    for t, delta in changes:
        t = min(t, end)
        while last < t:  # spread the level over the slots between the last change and this one
            slot = math.floor(last / SLOT) * SLOT
            stop = min(t, slot + SLOT)
            area[slot] += level * (stop - last)
            peak[slot] = max(peak[slot], level)
            last = stop
        level += delta
        slot = math.floor(t / SLOT) * SLOT
        peak[slot] = max(peak[slot], level)
    return {s: a / SLOT for s, a in sorted(area.items())}, dict(sorted(peak.items()))


@dataclass(frozen=True, slots=True)
class Aggregate:
    """Figures over replications: each a mean with its 95% confidence interval."""

    replications: int
    by_service: dict[str, dict[str, Interval]]
    by_class: dict[str, dict[str, Interval]]
    overall: dict[str, Interval]
    utilisation: dict[str, Interval]
    hall_utilisation: Interval
    queue_by_slot: dict[float, Interval]
    max_queue_by_slot: dict[float, Interval]
    days: list[DayFigures] = field(repr=False, default_factory=list)


FIGURES = tuple(GroupFigures.__dataclass_fields__)


def _groups(days: list[GroupFigures | None]) -> dict[str, Interval]:
    return {
        f: interval([math.nan if g is None else float(getattr(g, f)) for g in days])
        if f in ("mean_wait", "p50", "p90", "p95", "within_15", "within_30")
        else interval([0.0 if g is None else float(getattr(g, f)) for g in days])
        for f in FIGURES
    }


def aggregate(days: list[DayFigures]) -> Aggregate:
    services = sorted({s for d in days for s in d.by_service})
    classes = sorted({k for d in days for k in d.by_class})
    windows = sorted({w for d in days for w in d.utilisation}, key=lambda w: (len(w), w))
    slots = sorted({s for d in days for s in d.queue_by_slot})
    return Aggregate(
        replications=len(days),
        by_service={s: _groups([d.by_service.get(s) for d in days]) for s in services},
        by_class={k: _groups([d.by_class.get(k) for d in days]) for k in classes},
        overall=_groups([d.overall for d in days]),
        utilisation={w: interval([d.utilisation.get(w, math.nan) for d in days]) for w in windows},
        hall_utilisation=interval([d.hall_utilisation for d in days]),
        queue_by_slot={s: interval([d.queue_by_slot.get(s, 0.0) for d in days]) for s in slots},
        max_queue_by_slot={s: interval([float(d.max_queue_by_slot.get(s, 0)) for d in days]) for s in slots},
        days=days,
    )
