"""Replications side by side: independent simulated days spread over the machine's cores.

A study is many replications of a day (20 for `qms sim run`, 10 in every round of
`qms sim plan`, 20 per row of the validation table), and each is independent of the others:
it draws its citizens from its own seed (`citizens_for(scenario, seed, replication)`). So
they can run in separate processes, and which process ran one, or in which order, changes
nothing in its result: `jobs` changes how long a study takes, never its figures (a test
holds this). Results come back in the order of the jobs given.

The work function and its arguments cross into the worker processes by pickling, so the
function is a module-level one and the arguments are plain values (scenarios, numbers).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

A = TypeVar("A")
R = TypeVar("R")

Progress = Callable[[int, int], None]  # (done, total)


def cores() -> int:
    """The cores this process may run on: the default number of jobs."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def replicate(
    work: Callable[[A], R], jobs_args: Sequence[A], jobs: int | None = None, progress: Progress | None = None
) -> list[R]:
    """`[work(a) for a in jobs_args]`, run in up to `jobs` processes (default: every core;
    1 runs here, in this process)."""
    total = len(jobs_args)
    workers = min(cores() if jobs is None else jobs, total)
    if workers <= 1:
        out = []
        for a in jobs_args:
            out.append(work(a))
            if progress is not None:
                progress(len(out), total)
        return out
    with ProcessPoolExecutor(max_workers=workers) as pool:
        out = []
        for result in pool.map(work, jobs_args):
            out.append(result)
            if progress is not None:
                progress(len(out), total)
        return out
