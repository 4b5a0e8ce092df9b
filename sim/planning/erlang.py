"""How many windows a steady stream of citizens needs: Erlang C turned round.

In M/M/c (Poisson arrivals at rate λ, exponential service at rate μ per window, `c` windows,
one line served first come first served) a citizen waits longer than `t` with probability
C(c, a) · exp(-(cμ - λ) t), a = λ/μ the offered load in erlangs and C Erlang's delay formula
(`sim.theory.erlang_c`). The fewest windows meeting a service target is the smallest `c`
above the load whose service level reaches the target share.
"""

from __future__ import annotations

import math

from ..theory import erlang_c

#: no hall has more windows than this; the search stops here rather than run away on bad input
MOST_WINDOWS = 10_000


def service_level(c: int, arrivals_per_second: float, service_seconds: float, within_seconds: float) -> float:
    """P(wait <= within) in M/M/c; 0 when `c` windows cannot keep up (load >= c)."""
    if arrivals_per_second <= 0:
        return 1.0
    load = arrivals_per_second * service_seconds
    if c <= load:
        return 0.0
    rate = c / service_seconds - arrivals_per_second  # cμ - λ
    return 1.0 - erlang_c(c, load) * math.exp(-rate * within_seconds)


def windows_needed(arrivals_per_second: float, service_seconds: float, within_seconds: float, share: float) -> int:
    """The fewest windows with P(wait <= within) >= share and utilisation below 1 (0 without arrivals)."""
    if not 0 < share < 1:
        raise ValueError(f"the share must lie between 0 and 1, got {share}")
    if within_seconds < 0 or service_seconds <= 0:
        raise ValueError("the target's minutes must not be negative and service times must be positive")
    if arrivals_per_second <= 0:
        return 0
    load = arrivals_per_second * service_seconds
    c = max(1, math.floor(load) + 1)
    while c < MOST_WINDOWS and service_level(c, arrivals_per_second, service_seconds, within_seconds) < share:
        c += 1
    return c
