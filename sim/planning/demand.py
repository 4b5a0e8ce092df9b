"""A scenario's demand by 30-minute slot and by pool of windows: arrivals, offered load, Erlang C.

A pool is a set of services and the windows that serve them. General windows serve every
general service; services that general windows do not serve (`general = false`) are grouped
with the specialized windows that list them, one pool per connected group. Specialized
windows that list only general services help the general pool when its general windows run
out, taken in turn from each service set so that the extra capacity spreads over services.

The approximation (printed with the plan): each slot is a steady M/M/c queue per pool, with
Poisson arrivals at the slot's mean rate, exponential busy times per ticket (walk to the
window, handling, and for citizens who do not answer the time their call holds the window),
one first-come-first-served line, and the slot's windows serving only their pool. Queues in
fact carry over between slots, priority classes reorder the line, handling times are not
exponential and bands or daily caps may refuse tickets: the simulation checks every slot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from qms.core.model import CallingConfig, HallConfig, WindowConfig, WindowKind
from qms.core.rules import issue_cutoff

from ..day import RECALL_BY_HAND_SECONDS
from ..metrics import SLOT
from ..scenario import Scenario, seconds
from .erlang import windows_needed

GENERAL = "general"


@dataclass(frozen=True, slots=True)
class Pool:
    """Services and the windows that serve them, in the order the plan opens them."""

    name: str
    services: frozenset[str]
    windows: tuple[str, ...]
    overflow: int = 0  # trailing windows that serve only part of the pool's services


@dataclass(frozen=True, slots=True)
class SlotLoad:
    """One pool's demand in one slot and the windows Erlang C asks for."""

    start: float  # second of the day
    arrivals: float  # expected tickets issued in the slot
    service_seconds: float  # mean busy time of a window per ticket
    erlang: int  # Erlang C's fewest windows (at least 1 while tickets are issued)
    short: bool  # Erlang C asks for more windows than the pool has

    @property
    def load(self) -> float:
        """Offered load in erlangs (busy windows needed on average)."""
        return self.arrivals * self.service_seconds / SLOT


def pools(hall: HallConfig) -> list[Pool]:
    """The hall's windows grouped by the services only they serve (see the module's docstring)."""
    general_services = frozenset(s.id for s in hall.services if s.general)
    special = {s.id for s in hall.services if not s.general}
    generals = [w for w in hall.windows if w.kind is WindowKind.GENERAL]
    groups: list[tuple[set[str], list[WindowConfig]]] = []
    helpers: dict[frozenset[str], list[WindowConfig]] = {}
    for w in hall.windows:
        if w.kind is WindowKind.GENERAL:
            continue
        listed = {s for s, _ in w.weights}
        own = listed & special
        if not own:
            helpers.setdefault(frozenset(listed), []).append(w)
            continue
        joined = [g for g in groups if g[0] & own]
        services, windows = set(own), [w]
        for g in joined:
            services |= g[0]
            windows = g[1] + windows
            groups.remove(g)
        groups.append((services, sorted(windows, key=lambda x: x.number)))
    overflow = _interleave(list(helpers.values()))
    out = []
    if general_services and (generals or overflow):
        ids = tuple(w.id for w in generals) + tuple(w.id for w in overflow)
        out.append(Pool(GENERAL, general_services, ids, len(overflow)))
    for services, windows in sorted(groups, key=lambda g: g[1][0].number):
        name = "+".join(sorted(services))
        out.append(Pool(name, frozenset(services), tuple(w.id for w in windows)))
    return out


def _interleave(lists: list[list[WindowConfig]]) -> list[WindowConfig]:
    out: list[WindowConfig] = []
    for i in range(max((len(x) for x in lists), default=0)):
        out += [x[i] for x in lists if i < len(x)]
    return out


def issuing_hours(scenario: Scenario) -> list[tuple[float, float]]:
    """When the dispenser issues tickets on the scenario's day (seconds of the day)."""
    day = scenario.hall.hours.on(scenario.day)
    if not day.is_open_day:
        return []
    cutoff = seconds(issue_cutoff(day, scenario.hall.hours.issue_cutoff_minutes))
    out = []
    for start, end in day.sessions:
        a, b = seconds(start), min(seconds(end), cutoff)
        if b > a:
            out.append((a, b))
    return out


def hold_seconds(calling: CallingConfig) -> float:
    """How long a call nobody answers holds its window: the recalls, then the wait for the no-show."""
    between = calling.auto_recall_seconds
    if between is None:
        between = max(calling.recall_cooldown_seconds, RECALL_BY_HAND_SECONDS)
    return (calling.max_calls - 1) * between + calling.no_show_after_seconds


def slot_starts(scenario: Scenario) -> list[float]:
    """The 30-minute slots from the first issuing slot to the scenario's end."""
    hours = issuing_hours(scenario)
    if not hours:
        return []
    first = math.floor(hours[0][0] / SLOT) * SLOT
    return [first + i * SLOT for i in range(math.ceil((scenario.end - first) / SLOT))]


def slot_loads(scenario: Scenario, pool: Pool, within_minutes: float, share: float) -> list[SlotLoad]:
    """Per slot of the day: the pool's expected tickets, offered load and Erlang C windows."""
    d = scenario.demand
    total_share = sum(s.share for s in d.services)
    mine = [s for s in d.services if s.service in pool.services]
    pool_share = sum(s.share for s in mine) / total_share if total_share else 0.0
    absent = d.booking_share * d.booked_absent_share + (1 - d.booking_share) * d.absent_share
    hold = hold_seconds(scenario.hall.calling)
    weight = sum(s.share for s in mine)
    handling = sum(s.share * s.handling.mean for s in mine) / weight if weight else 0.0
    busy = d.walk.mean + (1 - absent) * handling + absent * hold
    hours = issuing_hours(scenario)
    out = []
    for start in slot_starts(scenario):
        stop = start + SLOT
        issuing = [(max(a, start), min(b, stop)) for a, b in hours if min(b, stop) > max(a, start)]
        arrivals = pool_share * sum(d.profile.expected(a, b) for a, b in issuing)
        need = windows_needed(arrivals / SLOT, busy, within_minutes * 60.0, share) if busy > 0 else 0
        if issuing and pool_share > 0:
            need = max(need, 1)  # a window stays open while its tickets are issued
        out.append(SlotLoad(start, arrivals, busy, need, need > len(pool.windows)))
    return out
