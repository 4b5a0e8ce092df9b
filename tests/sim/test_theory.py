"""The simulator against queueing theory, at sizes fit for CI (`python -m sim.theory` prints the full table).

Seeded, so each check is deterministic; each asserts that the formula lies inside the 95%
confidence interval of the simulated mean wait over 20 replications.
"""

from __future__ import annotations

import math

import pytest

from sim.theory import check_mmc, check_priority, cobham_waits, erlang_c, mmc_wait


def test_erlang_c_formula_against_known_values():
    # M/M/1: P(wait) = ρ and Wq = ρ / (μ - λ)
    assert erlang_c(1, 0.7) == pytest.approx(0.7)
    assert mmc_wait(1, 0.7, 1.0) == pytest.approx(0.7 / 0.3)
    # M/M/2 with a = 1: C = 1/3 (textbook value)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    # large c stays finite (no factorial overflow)
    assert 0 < erlang_c(200, 190.0) < 1


def test_cobham_reduces_to_erlang_c_overall():
    lams = [0.9, 2.1]
    waits = cobham_waits(5, lams, 1.0)
    overall = sum(w * lam for w, lam in zip(waits, lams, strict=True)) / sum(lams)
    assert overall == pytest.approx(mmc_wait(5, 3.0, 1.0))  # conservation law: the mix waits as FCFS
    assert waits[0] < waits[1]


@pytest.mark.parametrize(("c", "load"), [(1, 0.5), (5, 0.8), (20, 0.9)])
def test_mmc_mean_wait_matches_erlang_c(c, load):
    check = check_mmc(c, load, customers=1_000, replications=20, seed=1)
    assert check.simulated.n == 20
    assert not math.isnan(check.simulated.half_width)
    assert check.ok, check


def test_two_classes_match_cobham():
    high, low = check_priority(5, 0.8, customers=1_000, replications=20, seed=1)
    assert high.ok, high
    assert low.ok, low
    assert high.simulated.mean < low.simulated.mean
