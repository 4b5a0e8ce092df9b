"""The benchmark's SimPy models: FCFS M/M/c in SimPy and on the real core give the same waits."""

from __future__ import annotations

import pytest

from sim.bench import JIEYANG, mmc_citizens, ours_mmc, simpy_hall, simpy_mmc
from sim.runner import citizens_for
from sim.scenario import load_scenario


def test_fcfs_on_the_core_waits_exactly_as_simpy_on_the_same_citizens():
    citizens = mmc_citizens(5, 0.9, 3_000, seed=4)
    fresh = [cz.fresh() for cz in citizens]
    ours_mmc(citizens, 5)
    simpy_mmc(fresh, 5)
    # the same discipline on the same arrivals and handling times: the same calls, up to the
    # microsecond resolution of the hall's clock (the core's day ends at midnight, SimPy's never)
    pairs = [(a.called, b.called) for a, b in zip(citizens, fresh, strict=True) if a.called is not None]
    assert len(pairs) > 2_900
    assert all(b is not None and a == pytest.approx(b, abs=1e-3) for a, b in pairs)


def test_the_simpy_hall_day_runs():
    scenario = load_scenario(JIEYANG)
    citizens = citizens_for(scenario, 1, 0)[:2_000]
    seconds, served = simpy_hall(scenario, citizens)
    assert seconds > 0 and 1_000 < served <= 2_000
