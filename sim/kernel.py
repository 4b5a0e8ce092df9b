"""The discrete-event kernel: a virtual clock and a heap of scheduled actions.

SimPy's `Environment` is the model (one event heap, time jumps from event to event), without
its generator processes: an action here is a plain callable with its arguments, which costs a
fraction of a SimPy event and keeps the hall's driver an ordinary state machine. Ties are
broken by scheduling order, so a run is deterministic: the same schedule gives the same
sequence of actions. Time is seconds as a float from an origin the caller chooses.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

Action = Callable[..., None]


class Environment:
    """A virtual clock (`now`, seconds) and the actions scheduled on it."""

    __slots__ = ("_heap", "_seq", "now")

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self._heap: list[tuple[float, int, Action, tuple[Any, ...]]] = []
        self._seq = 0

    def at(self, when: float, action: Action, *args: Any) -> None:
        """Run `action(*args)` at time `when` (not before `now`)."""
        if when < self.now:
            when = self.now
        self._seq += 1
        heappush(self._heap, (when, self._seq, action, args))

    def after(self, delay: float, action: Action, *args: Any) -> None:
        """Run `action(*args)` `delay` seconds from now."""
        self.at(self.now + delay, action, *args)

    def peek(self) -> float | None:
        """When the next action is due, or None when nothing is scheduled."""
        return self._heap[0][0] if self._heap else None

    def run(self, until: float | None = None) -> None:
        """Run the scheduled actions in time order until none is left or the next is after `until`;
        the clock then stands at `until` (if given)."""
        heap = self._heap
        while heap:
            when = heap[0][0]
            if until is not None and when > until:
                break
            _, _, action, args = heappop(heap)
            self.now = when
            action(*args)
        if until is not None and until > self.now:
            self.now = until
