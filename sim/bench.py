"""`qms sim bench`: simulated tickets per second, beside the same models written in SimPy 4.

(a) plain FCFS M/M/20 at load 0.9 with 200,000 citizens, and (b) a realistic day of a
91-window hall (sim/scenarios/jieyang-city-hall.toml: 18,000 tickets, 10 services, 30%
general windows, four priority classes, lunch breaks, walking, no-shows, walk-aways). Ours
runs the real hall core for every decision; the SimPy models do the same queueing with a
plain FIFO/priority pick, so they are the yardstick of a general-purpose simulator, not of
our policy. Both run in this process, one after the other, on the same citizens.

Times are the process's CPU time (`time.process_time`), not the wall clock: on a machine
shared with other work a wall clock also counts the time the simulation waited for a core,
which moved the ratio by a factor of two between runs; CPU time does not.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from heapq import heappop, heappush
from pathlib import Path
from random import Random

import simpy

from qms.core.model import Channel, PriorityClass

from .citizens import Citizen
from .runner import citizens_for, run_day
from .scenario import Scenario, Session, load_scenario
from .theory import run_theory_hall

Process = Generator[simpy.Event, object, None]

JIEYANG = Path(__file__).parent / "scenarios" / "jieyang-city-hall.toml"
_RANK = {k: i for i, k in enumerate(PriorityClass)}


def mmc_citizens(c: int, load: float, customers: int, seed: int) -> list[Citizen]:
    rng = Random(seed)
    lam = customers / 86_000.0
    mean_service = load * c / lam
    out, t = [], 10.0
    for i in range(customers):
        t += rng.expovariate(lam)
        out.append(Citizen(i, t, "s", PriorityClass.NORMAL, Channel.KIOSK, rng.expovariate(1 / mean_service)))
    return out


def ours_mmc(citizens: list[Citizen], c: int) -> float:
    t0 = time.process_time()
    run_theory_hall(c, citizens, 86_300.0)  # everyone is served before midnight
    return time.process_time() - t0


def simpy_mmc(citizens: list[Citizen], c: int) -> tuple[float, float]:
    """M/M/c in SimPy 4: a Resource of c windows; returns (seconds, mean wait)."""
    env = simpy.Environment()
    windows = simpy.Resource(env, capacity=c)
    waits: list[float] = []

    def visit(citizen: Citizen) -> Process:
        with windows.request() as req:
            yield req
            citizen.called = env.now
            waits.append(env.now - citizen.arrive)
            yield env.timeout(citizen.handling)

    def source() -> Process:
        for citizen in citizens:
            yield env.timeout(citizen.arrive - env.now)
            env.process(visit(citizen))

    t0 = time.process_time()
    env.process(source())
    env.run()
    return time.process_time() - t0, sum(waits) / len(waits)


def simpy_hall(scenario: Scenario, citizens: list[Citizen]) -> tuple[float, int]:
    """The hall day in SimPy: windows as processes with their services and sessions, a line per
    service kept as a heap by (class, arrival), each window taking the best head among its
    services; walking, no-shows (three calls a minute apart, then a minute) and walk-aways.
    Returns (seconds, tickets served)."""
    env = simpy.Environment()
    hall = scenario.hall
    serves = {
        w.id: [s.id for s in hall.services] if w.kind.value == "general" else [sid for sid, _ in w.weights]
        for w in hall.windows
    }
    lines: dict[str, list[tuple[int, float, int, Citizen]]] = {s.id: [] for s in hall.services}
    waiting: set[int] = set()
    wake: dict[str, simpy.Event] = {}
    served = 0
    gone: set[int] = set()

    def pick(window: str) -> Citizen | None:
        best: tuple[int, float, int, Citizen] | None = None
        for service in serves[window]:
            line = lines[service]
            if line and (best is None or line[0][:3] < best[:3]):
                best = line[0]
        if best is None:
            return None
        heappop(lines[best[3].service])
        waiting.discard(best[2])
        return best[3]

    def window_proc(window: str, sessions: tuple[Session, ...]) -> Process:
        nonlocal served
        for session in sessions:
            yield env.timeout(max(0.0, session.start - env.now))
            while env.now < session.end:
                cz = pick(window)
                if cz is None:
                    wake[window] = env.event()
                    yield wake[window] | env.timeout(session.end - env.now)
                    wake.pop(window, None)
                    continue
                if cz.absent or cz.index in gone:
                    yield env.timeout(180.0)  # called three times a minute apart, then a no-show
                    continue
                yield env.timeout(cz.walk + cz.handling)
                served += 1

    def patience(cz: Citizen) -> Process:
        yield env.timeout(cz.patience or 0.0)
        if cz.index in waiting:
            gone.add(cz.index)

    def source() -> Process:
        for cz in citizens:
            yield env.timeout(cz.arrive - env.now)
            heappush(lines[cz.service], (_RANK[cz.klass], cz.arrive, cz.index, cz))
            waiting.add(cz.index)
            if cz.patience is not None:
                env.process(patience(cz))
            for window, ev in wake.items():
                if not ev.triggered and cz.service in serves[window]:
                    ev.succeed()
                    break

    t0 = time.process_time()
    for window, sessions in scenario.staffing.sessions.items():
        env.process(window_proc(window, sessions))
    env.process(source())
    env.run(until=scenario.end)
    return time.process_time() - t0, served


def main(customers: int = 200_000) -> None:
    print(f"(a) FCFS M/M/20 at load 0.9, {customers:,} citizens")
    citizens = mmc_citizens(20, 0.9, customers, 1)
    fresh = [cz.fresh() for cz in citizens]
    ours = ours_mmc(citizens, 20)
    theirs, _ = simpy_mmc(fresh, 20)
    _line("qms sim (the real hall core)", customers / ours, customers / theirs)
    _line("SimPy 4 (Resource, FIFO)", customers / theirs, None)

    scenario = load_scenario(JIEYANG)
    citizens = citizens_for(scenario, 1, 0)
    fresh = [cz.fresh() for cz in citizens]
    n = len(citizens)
    print(f"(b) a day of {scenario.hall.name}: {len(scenario.hall.windows)} windows, {n:,} citizens")
    t0 = time.process_time()
    result = run_day(scenario, citizens)
    ours = time.process_time() - t0
    theirs, served = simpy_hall(scenario, fresh)
    _line("qms sim (the real hall core)", n / ours, n / theirs)
    mine = sum(1 for cz in result.citizens if cz.outcome.value == "served")
    print(f"      one simulated day: {ours:.2f} s ({result.commands:,} hall commands, {mine:,} served)")
    _line("SimPy 4 (processes, priority pick)", n / theirs, None)
    print(f"      one simulated day: {theirs:.2f} s ({served:,} served)")


def _line(label: str, per_second: float, simpy_rate: float | None) -> None:
    text = f"  {label:<38}{per_second:>10,.0f} tickets/s"
    if simpy_rate:
        text += f"  = {per_second / simpy_rate:.2f} x SimPy (aim: at least 1.00)"
    print(text, flush=True)
