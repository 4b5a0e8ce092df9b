"""The discrete-event kernel and the random quantities of scenarios."""

from __future__ import annotations

import statistics
from random import Random

import pytest

from sim.distributions import Categorical, Empirical, Exponential, LogNormal, RateProfile
from sim.kernel import Environment


def test_actions_run_in_time_order_and_ties_in_scheduling_order():
    env = Environment()
    seen = []
    env.at(5.0, seen.append, "b")
    env.at(1.0, seen.append, "a")
    env.at(5.0, seen.append, "c")
    env.at(2.0, lambda: env.after(1.0, seen.append, "scheduled-while-running"))
    env.run()
    assert seen == ["a", "scheduled-while-running", "b", "c"]
    assert env.now == 5.0


def test_run_until_stops_the_clock_there_and_keeps_later_actions():
    env = Environment()
    seen = []
    env.at(10.0, seen.append, 1)
    env.run(until=4.0)
    assert seen == [] and env.now == 4.0 and env.peek() == 10.0
    env.at(0.0, seen.append, 0)  # the past is now
    env.run()
    assert seen == [0, 1]


def test_lognormal_and_exponential_keep_their_mean():
    rng = Random(1)
    xs = [LogNormal(600.0, 300.0).sample(rng) for _ in range(40_000)]
    assert statistics.fmean(xs) == pytest.approx(600, rel=0.02)
    assert statistics.stdev(xs) == pytest.approx(300, rel=0.05)
    assert statistics.fmean(Exponential(60.0).sample(rng) for _ in range(40_000)) == pytest.approx(60, rel=0.02)
    assert Empirical((1.0, 2.0, 3.0)).sample(rng) in (1.0, 2.0, 3.0)


def test_piecewise_rates_give_poisson_counts_per_segment():
    # 100/hour in the morning, none at lunch, 50/hour after
    profile = RateProfile(((0.0, 100 / 3600), (3600.0, 0.0), (5400.0, 50 / 3600)), 9000.0)
    assert profile.expected() == pytest.approx(150)
    # between two moments: half the morning, the lunch hour, a quarter of the afternoon
    assert profile.expected(1800.0, 6300.0) == pytest.approx(50 + 0 + 12.5)
    counts = [[0, 0, 0] for _ in range(400)]
    for row, seed in zip(counts, range(400), strict=True):
        for t in profile.arrivals(Random(seed)):
            row[0 if t < 3600 else 1 if t < 5400 else 2] += 1
    assert statistics.fmean(r[0] for r in counts) == pytest.approx(100, rel=0.03)
    assert all(r[1] == 0 for r in counts)
    assert statistics.fmean(r[2] for r in counts) == pytest.approx(50, rel=0.04)
    assert statistics.variance(r[0] for r in counts) == pytest.approx(100, rel=0.2)  # Poisson: variance = mean


def test_categorical_choice_follows_weights():
    rng = Random(3)
    pick = Categorical(["a", "b"], [1.0, 3.0])
    share = sum(pick.sample(rng) == "b" for _ in range(20_000)) / 20_000
    assert share == pytest.approx(0.75, abs=0.01)
    with pytest.raises(ValueError):
        Categorical(["a"], [0.0])
