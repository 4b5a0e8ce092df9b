"""A plan's window counts turned into the staff's schedule, and what it costs in staff-hours.

Within a pool the plan opens windows in the pool's order: the first `k` windows are staffed
in a slot that needs `k`. A window staffed in consecutive slots works one session; between
its sessions it is paused (lunch, a quiet hour), as in a scenario's own `[staffing]`.
"""

from __future__ import annotations

from ..metrics import SLOT
from ..scenario import Scenario, Session, Staffing
from .demand import Pool


def staffing(scenario: Scenario, counts: dict[str, list[int]], starts: list[float], pools: list[Pool]) -> Staffing:
    """The schedule that staffs `counts[pool][i]` windows of each pool in slot `starts[i]`."""
    plan: dict[str, tuple[Session, ...]] = {w.id: () for w in scenario.hall.windows}
    for pool in pools:
        for rank, window in enumerate(pool.windows):
            sessions: list[Session] = []
            for start, count in zip(starts, counts[pool.name], strict=True):
                if count <= rank:
                    continue
                if sessions and sessions[-1].end == start:
                    sessions[-1] = Session(sessions[-1].start, start + SLOT)
                else:
                    sessions.append(Session(start, start + SLOT))
            plan[window] = tuple(Session(s.start, min(s.end, scenario.end)) for s in sessions)
    return Staffing(plan)


def staff_hours(schedule: Staffing) -> float:
    """Hours of staffed window time in a schedule (pauses left out)."""
    return sum(s.end - s.start for sessions in schedule.sessions.values() for s in sessions) / 3600.0
