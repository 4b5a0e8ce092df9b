"""Running a scenario: drawing each day's citizens, running the hall, repeating with new seeds.

Replication `r` of seed `s` draws its citizens from `random.Random(f"{s}:{r}")` and from the
scenario's demand alone, so two scenarios with the same demand (a policy or layout what-if)
see the very same citizens in each replication: common random numbers, which make their
difference far more precise than either figure alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from random import Random

from qms.core.model import Channel, PriorityClass

from .citizens import Citizen
from .day import DayResult, HallDay, ShiftChange, StaffMove
from .distributions import Categorical
from .metrics import DayFigures, summarise
from .parallel import replicate
from .scenario import Demand, Scenario, Staffing


def draw_citizens(demand: Demand, rng: Random) -> list[Citizen]:
    """One day's citizens, in order of arrival."""
    services = Categorical([s.service for s in demand.services], [s.share for s in demand.services])
    handling = {s.service: s.handling for s in demand.services}
    absent_booked = demand.booked_absent_share
    out = []
    for i, arrive in enumerate(demand.profile.arrivals(rng)):
        service = services.sample(rng)
        roll = rng.random()
        appointment = None
        if roll < demand.green_share:
            klass, channel = PriorityClass.GREEN, Channel.GREEN
        elif roll < demand.green_share + demand.booking_share:
            klass, channel = PriorityClass.BOOKING, Channel.BOOKING
            appointment = arrive + demand.booking_offset.sample(rng)
        elif roll < demand.green_share + demand.booking_share + demand.elderly_share:
            klass, channel = PriorityClass.ELDERLY, Channel.KIOSK
        else:
            klass, channel = PriorityClass.NORMAL, Channel.KIOSK
        out.append(
            Citizen(
                i,
                arrive,
                service,
                klass,
                channel,
                handling[service].sample(rng),
                walk=demand.walk.sample(rng),
                patience=None if demand.patience is None else demand.patience.sample(rng),
                absent=rng.random() < (absent_booked if channel is Channel.BOOKING else demand.absent_share),
                appointment=appointment,
            )
        )
    return out


def shift_changes(staffing: Staffing) -> list[ShiftChange]:
    """Open at each window's first session, pause between sessions, close at the end of the last."""
    out = []
    for window, sessions in staffing.sessions.items():
        for i, session in enumerate(sessions):
            out.append(ShiftChange(session.start, window, StaffMove.OPEN if i == 0 else StaffMove.RESUME))
            last = i == len(sessions) - 1
            out.append(ShiftChange(session.end, window, StaffMove.CLOSE if last else StaffMove.PAUSE))
    out.sort(key=lambda s: s.at)
    return out


def citizens_for(scenario: Scenario, seed: int, replication: int) -> list[Citizen]:
    return draw_citizens(scenario.demand, Random(f"{seed}:{replication}"))


def run_day(scenario: Scenario, citizens: list[Citizen]) -> DayResult:
    """Run one day of `scenario` with these citizens (filled in as the day goes)."""
    day = HallDay(scenario.hall, scenario.origin, citizens, shift_changes(scenario.staffing))
    return day.run(scenario.end)


@dataclass(frozen=True, slots=True)
class RunResult:
    scenario: Scenario
    seed: int
    days: tuple[DayResult, ...]
    figures: tuple[DayFigures, ...] = ()  # each day's, when worked out beside it (`run`)

    def day_figures(self) -> list[DayFigures]:
        """Each day's figures, for the report: those `run` worked out in its worker processes,
        else worked out now."""
        if len(self.figures) == len(self.days):
            return list(self.figures)
        return [summarise(day, self.scenario.end) for day in self.days]


def replication(job: tuple[Scenario, int, int]) -> DayResult:
    """Replication `r` of `scenario` under `seed`, for `job` = (scenario, seed, r): the same
    day whichever process runs it (see parallel.py)."""
    scenario, seed, r = job
    return run_day(scenario, citizens_for(scenario, seed, r))


def figured_replication(job: tuple[Scenario, int, int]) -> tuple[DayResult, DayFigures]:
    """`replication` and the day's figures, both worked out in the worker process."""
    day = replication(job)
    return day, summarise(day, job[0].end)


def run(
    scenario: Scenario,
    replications: int = 20,
    seed: int = 1,
    progress: Callable[[int, int], None] | None = None,
    jobs: int | None = None,
) -> RunResult:
    """`replications` independent days of `scenario`, in up to `jobs` processes (default: every core)."""
    done = replicate(figured_replication, [(scenario, seed, r) for r in range(replications)], jobs, progress)
    return RunResult(scenario, seed, tuple(day for day, _ in done), tuple(figures for _, figures in done))
