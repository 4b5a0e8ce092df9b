"""Replications in several processes: the same days as one after the other, in order."""

from __future__ import annotations

import os

from sim.day import DayResult
from sim.metrics import summarise
from sim.parallel import cores, replicate
from sim.runner import run
from sim.scenario import load_scenario
from sim.theory import check_mmc

from .conftest import STREET


def _days(jobs: int) -> list[DayResult]:
    result = run(load_scenario(STREET), replications=3, seed=5, jobs=jobs)
    # the figures worked out in the workers are those of the days that came back
    assert result.day_figures() == [summarise(day, result.scenario.end) for day in result.days]
    return list(result.days)


def test_jobs_change_the_time_not_the_figures():
    alone = _days(1)
    assert sum(len(day.citizens) for day in alone) > 100
    assert _days(2) == alone  # every citizen's every field, and each window's use
    assert check_mmc(5, 0.8, 800, 4, jobs=2) == check_mmc(5, 0.8, 800, 4, jobs=1)


def _pid_and_square(x: int) -> tuple[int, int]:
    return os.getpid(), x * x


def test_replicate_keeps_the_order_and_uses_other_processes():
    seen: list[tuple[int, int]] = []
    out = replicate(_pid_and_square, list(range(6)), jobs=2, progress=lambda done, total: seen.append((done, total)))
    assert [sq for _, sq in out] == [x * x for x in range(6)]
    assert {pid for pid, _ in out} - {os.getpid()}  # the work ran elsewhere
    assert seen == [(i, 6) for i in range(1, 7)]
    assert [sq for _, sq in replicate(_pid_and_square, [3], jobs=4)] == [9]  # one job runs here
    assert cores() >= 1
