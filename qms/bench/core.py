"""`qms bench core`: decisions per second of the pure core.

Keeps 1,000 tickets waiting over 50 windows (30 services, a mix of classes) and measures
(a) the policy's choice alone, (b) a whole `Hall.handle(CallNext)` with its event applied,
and (c) the full cycle a window goes through (issue one, call one, finish one).
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from qms.core import commands as c
from qms.core.hall import Hall
from qms.core.model import Channel

from .halls import bench_hall
from .report import figure

AIM_DECISIONS = 50_000  # call-next decisions per second (issue: the pure core)
WAITING = 1_000


def _prepared(rng: random.Random) -> tuple[Hall, datetime]:
    hall = Hall(bench_hall())
    now = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    for w in hall.config.windows:
        hall.handle(c.OpenWindow(w.id, "bench"), now)
    for _ in range(WAITING):
        _issue(hall, rng, now)
    return hall, now


def _issue(hall: Hall, rng: random.Random, now: datetime) -> None:
    service = rng.choice(hall.config.services).id
    roll = rng.random()
    if roll < 0.02:
        hall.handle(c.IssueTicket(service, channel=Channel.GREEN), now)
    elif roll < 0.12:
        hall.handle(c.IssueTicket(service, id_number="11010519491231002X"), now)
    else:
        hall.handle(c.IssueTicket(service), now)


def run(cycles: int = 20_000, seed: int = 1) -> dict[str, float]:
    """Measure the core; returns the figures by name."""
    rng = random.Random(seed)
    hall, now = _prepared(rng)
    windows = [w.id for w in hall.config.windows]

    # (a) the policy's choice alone, on a line of 1,000; best of 3, as timeit does, since a
    # shared machine only ever makes a run slower
    ts = now.timestamp()
    choose_rate = 0.0
    for _ in range(3):
        t0 = time.perf_counter()
        for i in range(cycles):
            w = windows[i % len(windows)]
            hall.line.choose(w, hall.weights[w], ts + i % 600, hall._streaks[w])
        choose_rate = max(choose_rate, cycles / (time.perf_counter() - t0))

    # (b) + (c) whole commands: each window finishes, calls next; one new ticket keeps 1,000 waiting
    handle_time = 0.0
    decisions = 0
    t0 = time.perf_counter()
    for i in range(cycles):
        now += timedelta(seconds=1)
        w = windows[i % len(windows)]
        if hall.window(w).ticket is not None:
            hall.handle(c.FinishService(w), now)
        t1 = time.perf_counter()
        hall.handle(c.CallNext(w), now)
        handle_time += time.perf_counter() - t1
        decisions += 1
        _issue(hall, rng, now)
    cycle_rate = cycles / (time.perf_counter() - t0)
    assert len(hall.line) >= WAITING - len(windows)
    return {
        "choose_per_s": choose_rate,
        "call_next_per_s": decisions / handle_time,
        "cycles_per_s": cycle_rate,
    }


def main() -> None:
    figures = run()
    print(f"pure core, {WAITING} tickets waiting over 50 windows, 30 services:")
    print(figure("policy decisions (choose)", figures["choose_per_s"], AIM_DECISIONS))
    print(figure("call-next commands (handle)", figures["call_next_per_s"], AIM_DECISIONS))
    print(figure("issue + call + finish cycles", figures["cycles_per_s"]))
