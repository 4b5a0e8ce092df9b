"""Random quantities of a scenario: handling times, walking times, patience.

Every draw takes the `random.Random` it is given, so a run is reproducible from its seed.
Times are seconds.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from random import Random
from typing import Protocol


class Distribution(Protocol):
    @property
    def mean(self) -> float: ...

    def sample(self, rng: Random) -> float:
        """One draw, in seconds."""
        ...


@dataclass(frozen=True, slots=True)
class Constant:
    value: float

    @property
    def mean(self) -> float:
        return self.value

    def sample(self, rng: Random) -> float:
        return self.value


@dataclass(frozen=True, slots=True)
class Exponential:
    mean: float

    def sample(self, rng: Random) -> float:
        return rng.expovariate(1.0 / self.mean)


@dataclass(frozen=True, slots=True)
class Uniform:
    low: float
    high: float

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    def sample(self, rng: Random) -> float:
        return rng.uniform(self.low, self.high)


@dataclass(frozen=True, slots=True)
class LogNormal:
    """Handling times of a service are right-skewed: most cases are quick, some take long.
    Given by its mean and standard deviation (what a hall's statistics report)."""

    mean: float
    sd: float

    def sample(self, rng: Random) -> float:
        sigma2 = math.log(1.0 + (self.sd / self.mean) ** 2)
        return rng.lognormvariate(math.log(self.mean) - sigma2 / 2, math.sqrt(sigma2))


@dataclass(frozen=True, slots=True)
class Empirical:
    """Draws from observed values (e.g. a CSV of last month's handling times)."""

    values: tuple[float, ...]

    @property
    def mean(self) -> float:
        return sum(self.values) / len(self.values)

    def sample(self, rng: Random) -> float:
        return self.values[int(rng.random() * len(self.values))]


class Categorical:
    """Picks one of `items` with the given weights (e.g. a citizen's service)."""

    __slots__ = ("_cumulative", "items")

    def __init__(self, items: list[str], weights: list[float]) -> None:
        if not items or len(items) != len(weights) or any(w < 0 for w in weights) or sum(weights) <= 0:
            raise ValueError("a categorical choice needs items and non-negative weights that sum above zero")
        self.items = items
        self._cumulative = list(accumulate(weights))

    def sample(self, rng: Random) -> str:
        return self.items[bisect_right(self._cumulative, rng.random() * self._cumulative[-1])]


@dataclass(frozen=True, slots=True)
class RateProfile:
    """A non-homogeneous Poisson arrival rate, constant on each segment of the day.

    `steps` are (from second of the day, arrivals per second) in time order; the last rate
    holds until `end`. Arrival times come by inverting the cumulative rate of unit-rate
    Poisson points, which is exact for piecewise-constant rates.
    """

    steps: tuple[tuple[float, float], ...]
    end: float

    def expected(self, a: float = -math.inf, b: float = math.inf) -> float:
        """The expected number of arrivals between seconds `a` and `b` of the day (default: all)."""
        total = 0.0
        for i, (start, rate) in enumerate(self.steps):
            stop = self.steps[i + 1][0] if i + 1 < len(self.steps) else self.end
            total += rate * max(0.0, min(b, stop) - max(a, start))
        return total

    def scaled(self, factor: float) -> RateProfile:
        return RateProfile(tuple((s, r * factor) for s, r in self.steps), self.end)

    def arrivals(self, rng: Random) -> list[float]:
        """Arrival times (seconds of the day), sorted."""
        out: list[float] = []
        mass = rng.expovariate(1.0)  # the next unit-rate point, in cumulative-rate units
        for i, (start, rate) in enumerate(self.steps):
            stop = self.steps[i + 1][0] if i + 1 < len(self.steps) else self.end
            if rate <= 0 or stop <= start:
                continue
            segment = rate * (stop - start)
            while mass < segment:
                out.append(start + mass / rate)
                mass += rng.expovariate(1.0)
            mass -= segment
        return out
