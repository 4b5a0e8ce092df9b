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
from collections.abc import Callable, Iterable, Sequence
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
    workers = min(cores() if jobs is None else jobs, len(jobs_args))
    if workers <= 1:
        return _collect(map(work, jobs_args), len(jobs_args), progress)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return _collect(pool.map(work, jobs_args), len(jobs_args), progress)


def _collect(results: Iterable[R], total: int, progress: Progress | None) -> list[R]:
    """The results in order, telling `progress` of each as it comes."""
    out = []
    for result in results:
        out.append(result)
        if progress is not None:
            progress(len(out), total)
    return out
