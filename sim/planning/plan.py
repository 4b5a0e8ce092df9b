"""The staffing plan: Erlang C's windows per slot, raised where the simulation misses the target.

The planner starts from Erlang C's count for each pool and slot (`demand.slot_loads`), turns
the counts into a schedule (`schedule.staffing`) and runs the real simulator. A slot whose
tickets are called within the target less often than the target share (the mean over the
replications) gets more windows: in the slot where most of its late tickets' deadlines fell,
if windows may be staffed then (the dispenser issues, or the scenario's own staff work then:
lunch stays closed where the hall closes), otherwise in the slot itself; by the shortfall
times the slot's windows, at least one. Counts never go down, so each round only adds, and
after a bounded number of rounds the plan either meets the target in every slot or says
which slots it could not bring there (a pool out of windows).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from ..metrics import SLOT
from ..scenario import Scenario, Staffing
from ..stats import Interval
from .demand import Pool, SlotLoad, issuing_hours, pools, slot_loads, slot_starts
from .schedule import staff_hours, staffing
from .verify import Check, SlotFigures, check


@dataclass(frozen=True, slots=True)
class Target:
    """A service target: `share` of tickets called within `minutes`."""

    minutes: float
    share: float

    def __post_init__(self) -> None:
        if not 0 < self.share < 1:
            raise ValueError(f"--share must lie strictly between 0 and 1 (e.g. 0.9), got {self.share:g}")
        if not self.minutes >= 0 or math.isinf(self.minutes):
            raise ValueError(f"--within must be a number of minutes, 0 or more, got {self.minutes:g}")


@dataclass(frozen=True, slots=True)
class PoolPlan:
    pool: Pool
    loads: list[SlotLoad]
    counts: list[int]  # windows staffed per slot
    slots: list[SlotFigures]

    def missed(self, share: float) -> list[int]:
        """Indices of the slots whose simulated share within the target falls short."""
        return [i for i, f in enumerate(self.slots) if not math.isnan(f.within.mean) and f.within.mean < share]


@dataclass(frozen=True, slots=True)
class Plan:
    scenario: Scenario
    target: Target
    replications: int
    seed: int
    starts: list[float]
    pools: list[PoolPlan]
    rounds: int  # simulation rounds run
    staffing: Staffing
    within: Interval  # share of all tickets within the target under the plan
    own_within: Interval  # the same under the scenario's own staffing
    final: Check

    @property
    def met(self) -> bool:
        return not any(p.missed(self.target.share) for p in self.pools)

    @property
    def staff_hours(self) -> float:
        return staff_hours(self.staffing)

    @property
    def own_staff_hours(self) -> float:
        return staff_hours(self.scenario.staffing)


def make_plan(
    scenario: Scenario,
    target: Target,
    replications: int = 10,
    seed: int = 1,
    rounds: int = 8,
    progress: Callable[[int, int], None] | None = None,
    jobs: int | None = None,
) -> Plan:
    """Plan the windows per slot for `target`, checked and raised on `replications` simulated days
    (in up to `jobs` processes)."""
    if replications < 2:
        raise ValueError(f"--replications must be 2 or more (for a confidence interval), got {replications}")
    if rounds < 1:
        raise ValueError(f"--rounds must be 1 or more, got {rounds}")
    groups = pools(scenario.hall)
    starts = slot_starts(scenario)
    loads = {p.name: slot_loads(scenario, p, target.minutes, target.share) for p in groups}
    counts = {p.name: [min(x.erlang, len(p.windows)) for x in loads[p.name]] for p in groups}
    staffable = _staffable(scenario, groups, starts)
    done = 0
    while True:
        schedule = staffing(scenario, counts, starts, groups)
        result = check(scenario, schedule, groups, starts, counts, target.minutes, replications, seed, jobs)
        done += 1
        if progress is not None:
            progress(done, rounds)
        raised = False
        if done < rounds:
            for p in groups:
                raised |= _raise(p, counts[p.name], result, target.share, staffable[p.name])
        if not raised:
            break
    own = check(scenario, scenario.staffing, groups, starts, None, target.minutes, replications, seed, jobs)
    plans = [PoolPlan(p, loads[p.name], counts[p.name], result.slots[p.name]) for p in groups]
    return Plan(scenario, target, replications, seed, starts, plans, done, schedule, result.within, own.within, result)


def _staffable(scenario: Scenario, groups: list[Pool], starts: list[float]) -> dict[str, list[int]]:
    """The most windows of each pool the plan may staff per slot: all of them while the dispenser
    issues; otherwise (lunch, after the cutoff) as many as the scenario's own staff work then."""
    hours = issuing_hours(scenario)
    out = {}
    for p in groups:
        most = []
        for t in starts:
            if any(a < t + SLOT and b > t for a, b in hours):
                most.append(len(p.windows))
            else:
                own = scenario.staffing.sessions
                most.append(sum(any(s.start < t + SLOT and s.end > t for s in own.get(w, ())) for w in p.windows))
        out[p.name] = most
    return out


def _raise(pool: Pool, counts: list[int], result: Check, share: float, most: list[int]) -> bool:
    """Add windows for each slot of `pool` that missed the target; False if none could be added."""
    wanted: dict[int, int] = {}
    for i, figures in enumerate(result.slots[pool.name]):
        if math.isnan(figures.within.mean) or figures.within.mean >= share:
            continue
        late = result.late[pool.name][i]
        choices = [j for j, _ in late.most_common()] + [i]
        j = next((j for j in choices if counts[j] < most[j]), None)
        if j is None:
            continue  # out of windows: the plan reports the miss
        more = max(1, math.ceil(max(counts[j], 1) * (share - figures.within.mean)))
        wanted[j] = max(wanted.get(j, 0), more)
    for j, more in wanted.items():
        counts[j] = min(most[j], counts[j] + more)
    return bool(wanted)
