"""Validation against queueing theory: M/M/c (Erlang C) and two non-preemptive classes (Cobham).

The simulator runs the real hall core, so these checks cover the kernel, the driver and the
policy together. A hall built for the purpose issues tickets all day long, has one service
and `c` general windows; with only normal tickets, no starvation rule and no automatic recall
the policy is first-come-first-served, which is the M/M/c discipline. For Cobham's formula the
elderly class gets a rate 1e9 times the normal one and the ratio rule is off: a normal ticket
would need to wait 1e9 times longer than an elderly one to overtake it, longer than any day,
so the accumulating-priority rule degenerates to strict non-preemptive priority.

Each replication is one simulated day (00:00 to 23:59, within one business day: the core
expires open tickets at local midnight) with time scaled so that it holds the requested number
of citizens; the first tenth of the day is a warm-up whose citizens are not counted.

    python -m sim.theory            # the full table (c in 1, 5, 20, 55; load 0.5 to 0.95)
    python -m sim.theory --quick    # a smaller one
"""

from __future__ import annotations

import argparse
import math
import sys
import time as clock
from dataclasses import dataclass
from datetime import datetime, time
from random import Random
from zoneinfo import ZoneInfo

from qms.core.model import (
    CallingConfig,
    Channel,
    DayHours,
    HallConfig,
    Hours,
    PolicyConfig,
    PriorityClass,
    ServiceConfig,
    WindowConfig,
    WindowKind,
)

from .citizens import Citizen
from .day import HallDay, ShiftChange, StaffMove
from .parallel import replicate
from .stats import Interval, interval

TZ = ZoneInfo("Asia/Shanghai")
ORIGIN = datetime(2026, 11, 23, tzinfo=TZ)  # a Monday, local midnight
START, END = 10.0, 86_000.0  # the part of the day the citizens arrive in (seconds)
WARM_UP = 0.1
RESOLUTION = 1e-6  # in service times: differences below this are no differences


def erlang_c(c: int, a: float) -> float:
    """Probability that an arriving customer waits in M/M/c with offered load `a` = λ/μ < c."""
    b = 1.0
    for k in range(1, c + 1):  # Erlang B by its stable recursion
        b = a * b / (k + a * b)
    rho = a / c
    return b / (1.0 - rho * (1.0 - b))


def mmc_wait(c: int, lam: float, mu: float) -> float:
    """Mean wait in line of M/M/c (Erlang C): C(c, λ/μ) / (cμ - λ)."""
    return erlang_c(c, lam / mu) / (c * mu - lam)


def cobham_waits(c: int, lams: list[float], mu: float) -> list[float]:
    """Mean waits of non-preemptive priority classes (highest first) in M/M/c with one service
    rate: W_k = C(c, a) / (cμ (1 - σ_{k-1})(1 - σ_k)), σ_k the load of classes 1..k."""
    a = sum(lams) / mu
    base = erlang_c(c, a) / (c * mu)
    out, sigma = [], 0.0
    for lam in lams:
        before = sigma
        sigma += lam / (c * mu)
        out.append(base / ((1 - before) * (1 - sigma)))
    return out


def theory_hall(c: int) -> HallConfig:
    """One service, `c` general windows, tickets all day, FCFS or strict priority (see above)."""
    always = DayHours(((time(0), time(23, 59, 59)),))
    return HallConfig(
        id="theory",
        name="排队论验证",
        timezone="Asia/Shanghai",
        services=(ServiceConfig("s", "事项", "A"),),
        windows=tuple(WindowConfig(f"w{i}", i, WindowKind.GENERAL) for i in range(1, c + 1)),
        hours=Hours(weekly=(always,) * 7),
        policy=PolicyConfig(
            class_rates=((PriorityClass.ELDERLY, 1e9), (PriorityClass.NORMAL, 1.0)),
            starvation_minutes=1e9,
            priority_run=None,
        ),
        calling=CallingConfig(auto_recall_seconds=None),
    )


def run_theory_hall(c: int, citizens: list[Citizen], until: float) -> None:
    """Serve `citizens` at the `c` windows of `theory_hall`, all open from midnight, until `until`."""
    shifts = [ShiftChange(0.0, f"w{k}", StaffMove.OPEN) for k in range(1, c + 1)]
    HallDay(theory_hall(c), ORIGIN, citizens, shifts).run(until)


@dataclass(frozen=True, slots=True)
class Check:
    """A simulated mean wait (in service times) beside the formula's."""

    c: int
    load: float
    klass: str
    theory: float
    simulated: Interval

    @property
    def ok(self) -> bool:
        # With many windows at low load almost nobody waits: Erlang C gives a mean wait of 1e-8
        # service times for c = 55 at load 0.5, and in every replication nobody waited, so the
        # interval is [0, 0]. Within the resolution of the simulation that is a match.
        return self.simulated.covers(self.theory) or (
            self.simulated.high < RESOLUTION and abs(self.theory - self.simulated.mean) < RESOLUTION
        )


def simulate(
    c: int, load: float, customers: int, seed: int, high_share: float = 0.0
) -> tuple[list[float], list[float]]:
    """One replication; mean waits in service times of (elderly, normal) citizens after warm-up."""
    rng = Random(seed)
    lam = customers / (END - START)
    mu = lam / (load * c)
    citizens = []
    t = START
    i = 0
    while True:
        t += rng.expovariate(lam)
        if t >= END:
            break
        high = high_share > 0 and rng.random() < high_share
        klass = PriorityClass.ELDERLY if high else PriorityClass.NORMAL
        citizens.append(Citizen(i, t, "s", klass, Channel.KIOSK, rng.expovariate(mu)))
        i += 1
    run_theory_hall(c, citizens, END + 1)
    cut = START + WARM_UP * (END - START)
    waits: dict[PriorityClass, list[float]] = {PriorityClass.ELDERLY: [], PriorityClass.NORMAL: []}
    for cz in citizens:
        if cz.arrive >= cut and cz.called is not None:
            waits[cz.klass].append((cz.called - cz.arrive) * mu)
    return waits[PriorityClass.ELDERLY], waits[PriorityClass.NORMAL]


def _replication(job: tuple[int, float, int, int, float]) -> tuple[list[float], list[float]]:
    return simulate(*job)


def check_mmc(c: int, load: float, customers: int, replications: int, seed: int = 1, jobs: int | None = None) -> Check:
    """Simulated mean wait of M/M/c (FCFS) against Erlang C, in service times."""
    runs = replicate(_replication, [(c, load, customers, seed * 1000 + r, 0.0) for r in range(replications)], jobs)
    means = [sum(waits) / len(waits) for _, waits in runs]
    theory = mmc_wait(c, load * c, 1.0)
    return Check(c, load, "fcfs", theory, interval(means))


def check_priority(
    c: int,
    load: float,
    customers: int,
    replications: int,
    high_share: float = 0.3,
    seed: int = 1,
    jobs: int | None = None,
) -> tuple[Check, Check]:
    """Simulated mean waits of two non-preemptive classes against Cobham's formula."""
    high_means, low_means = [], []
    jobs_args = [(c, load, customers, seed * 1000 + r, high_share) for r in range(replications)]
    for high, low in replicate(_replication, jobs_args, jobs):
        high_means.append(sum(high) / len(high) if high else math.nan)
        low_means.append(sum(low) / len(low) if low else math.nan)
    lam = load * c
    w_high, w_low = cobham_waits(c, [lam * high_share, lam * (1 - high_share)], 1.0)
    return (
        Check(c, load, "elderly", w_high, interval(high_means)),
        Check(c, load, "normal", w_low, interval(low_means)),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.theory", description=__doc__.split("\n")[0])
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--customers", type=int, default=3_000, help="citizens per replication (day)")
    parser.add_argument("--quick", action="store_true", help="c in 1, 5, 20 and fewer citizens")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=None, help="processes (default: every core)")
    args = parser.parse_args(argv)
    sizes = (1, 5, 20) if args.quick else (1, 5, 20, 55)
    loads = (0.5, 0.8, 0.9) if args.quick else (0.5, 0.7, 0.8, 0.9, 0.95)
    customers = 10_000 if args.quick else args.customers
    print(f"mean wait in line, in mean service times; {args.replications} replications of {customers:,} citizens")
    print(f"{'model':<10}{'c':>4}{'load':>6}  {'class':<8}{'theory':>10}  {'simulated (95% CI)':<22}{'ok':>4}")
    failures = 0
    t0 = clock.perf_counter()
    for c in sizes:
        for load in loads:
            # M/M/1 near saturation needs far longer days to settle; give it proportionally more citizens
            n = customers * (4 if c == 1 and load >= 0.9 else 1)
            checks = [("erlang-c", check_mmc(c, load, n, args.replications, args.seed, args.jobs))]
            checks += [
                ("cobham", ch) for ch in check_priority(c, load, n, args.replications, seed=args.seed, jobs=args.jobs)
            ]
            for model, ch in checks:
                failures += not ch.ok
                print(
                    f"{model:<10}{c:>4}{load:>6.2f}  {ch.klass:<8}{ch.theory:>10.4f}  "
                    f"{f'{ch.simulated.mean:.4f} ± {ch.simulated.half_width:.4f}':<22}{'yes' if ch.ok else 'NO':>4}",
                    flush=True,
                )
    print(f"{failures} outside the 95% interval; {clock.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
