"""How a window picks its next ticket.

The rule, in plain words, checked in this order for the tickets a window may serve (its
services, plus tickets transferred to that very window):

1. **Green channel first.** A green-channel ticket (绿色通道) is called before anything else,
   the one waiting longest first.
2. **Nobody starves.** A ticket that has waited longer than `starvation_minutes` goes next,
   the longest-waiting first, whatever its class or service.
3. **Ratio interleaving.** After `priority_run` calls of priority classes (booking, elderly)
   in a row at this window, the next `normal_run` calls go to normal tickets if any wait
   (e.g. 2:1), so that walk-ins keep moving on a busy booking morning.
4. **Accumulating priority.** Otherwise the ticket with the highest accumulated priority
   goes: `rate(class) x weight(window, service) x (seconds waited + 60)`. Higher classes gain
   priority faster, so they usually go first, yet a normal ticket that has waited long
   enough overtakes a fresh booking (Kleinrock's accumulating priority queue; Stanford,
   Taylor & Ziedins 2014). The window's service weights (专窗 weights) tilt it towards its
   own services. Ties go to the earlier place in line.

A booked ticket accumulates from its booked time, not from an early check-in, so bookings
are served near their slot and walk-ins fill the gaps (ZMS's appointment/walk-in merge).
A ticket's place (`queued_at`) survives transfers, so a transfer never sends anyone back.

Within one (service, class) every ticket has the same rate and weight, so the order there is
first-come-first-served. The line therefore keeps one sorted list per (service, class), and
per class the heads of those lists sorted by place. A decision walks each class's heads from
the earliest and stops as soon as no later head could beat the best found, even with the
window's highest weight: for a general window that is usually the first head of each class,
so a decision costs a handful of steps however many tickets and services wait.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from .model import PolicyConfig, PriorityClass
from .value import value

BASE_SECONDS = 60.0  # so that fresh tickets are already ordered by class

Entry = tuple[float, int, str]  # (place in line as epoch seconds, issue sequence, ticket id)
_Head = tuple[Entry, str]  # the first entry of a (service, class) line, and its service
_Pick = tuple[float, Entry, str, PriorityClass]  # score, entry, service, class
_CLASSES = tuple(PriorityClass)  # highest first
_GREEN = PriorityClass.GREEN
_NORMAL = PriorityClass.NORMAL


@value
class Candidate:
    """A ticket the policy may pick, as seen from one window."""

    ticket_id: str
    service: str
    klass: PriorityClass
    place: float
    seq: int


@dataclass(slots=True)
class Streak:
    """Calls in a row at one window, for ratio interleaving."""

    priority: int = 0
    normal: int = 0

    def count(self, klass: PriorityClass, policy: PolicyConfig) -> None:
        """Record a call of `klass` at this window (recalls and out-of-order calls excluded)."""
        if klass is PriorityClass.NORMAL:
            self.normal += 1
            if self.normal >= policy.normal_run:
                self.priority = 0
                self.normal = 0
        elif klass is not PriorityClass.GREEN:
            self.priority += 1
            self.normal = 0


class WaitingLine:
    """The waiting tickets of a hall, grouped for fast decisions."""

    __slots__ = (
        "_groups",
        "_heads",
        "_per_service",
        "_rates",
        "_ratio",
        "_starve_seconds",
        "_targeted",
        "_where",
        "generation",
    )

    def __init__(self, policy: PolicyConfig) -> None:
        self._rates = {klass: policy.rate(klass) for klass in PriorityClass}
        self._starve_seconds = policy.starvation_minutes * 60.0
        self._ratio = policy.priority_run
        self._groups: dict[tuple[str, PriorityClass], list[Entry]] = {}
        self._heads: dict[PriorityClass, list[_Head]] = {klass: [] for klass in PriorityClass}
        self._targeted: dict[str, list[Entry]] = {}
        self._where: dict[str, tuple[Entry, str, PriorityClass, str | None]] = {}
        self._per_service: dict[str, int] = {}
        self.generation = 0

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, ticket_id: object) -> bool:
        return ticket_id in self._where

    def add(
        self, ticket_id: str, service: str, klass: PriorityClass, place: float, seq: int, window: str | None
    ) -> None:
        """Put a ticket in line at `place` (epoch seconds); `window` targets one window."""
        if ticket_id in self._where:
            self.remove(ticket_id)
        entry = (place, seq, ticket_id)
        self._where[ticket_id] = (entry, service, klass, window)
        waiting = self._per_service.get(service, 0)
        self._per_service[service] = waiting + 1
        if not waiting:
            self.generation += 1
        if window is not None:
            insort(self._targeted.setdefault(window, []), entry)
            return
        line = self._groups.setdefault((service, klass), [])
        old = line[0] if line else None
        insort(line, entry)
        if line[0] is not old:
            heads = self._heads[klass]
            if old is not None:
                _discard(heads, (old, service))
            insort(heads, (entry, service))

    def remove(self, ticket_id: str) -> None:
        """Take a ticket out of line (called, expired); unknown ids are ignored."""
        found = self._where.pop(ticket_id, None)
        if found is None:
            return
        entry, service, klass, window = found
        waiting = self._per_service.pop(service) - 1
        if waiting:
            self._per_service[service] = waiting
        else:
            self.generation += 1
        if window is not None:
            targeted = self._targeted[window]
            _discard(targeted, entry)
            if not targeted:
                del self._targeted[window]
            return
        line = self._groups[(service, klass)]
        was_head = line[0] == entry
        _discard(line, entry)
        if was_head:
            heads = self._heads[klass]
            _discard(heads, (entry, service))
            if line:
                insort(heads, (line[0], service))
        if not line:  # empty lines are dropped so that decisions only look at live ones
            del self._groups[(service, klass)]

    def clear(self) -> None:
        self.generation += 1
        self._per_service.clear()
        self._groups.clear()
        self._targeted.clear()
        self._where.clear()
        for heads in self._heads.values():
            heads.clear()

    def ahead(self, ticket_id: str) -> int:
        """Tickets of the same service (or sent to the same window) that go first by class
        and place: what a citizen reads as "people ahead"."""
        entry, service, klass, window = self._where[ticket_id]
        if window is not None:
            return bisect_left(self._targeted[window], entry)
        count = 0
        for higher in _CLASSES:
            line = self._groups.get((service, higher))
            if higher is klass:
                return count + (bisect_left(line, entry) if line else 0)
            count += len(line) if line else 0
        return count

    def count(self, service: str) -> int:
        """How many wait for `service` (tickets sent to one window included)."""
        return self._per_service.get(service, 0)

    def services(self) -> Collection[str]:
        """The services somebody waits for; `generation` changes whenever this set does."""
        return self._per_service.keys()

    def waiting(self) -> list[Candidate]:
        """Everyone waiting, in no particular order."""
        return [
            Candidate(entry[2], service, klass, entry[0], entry[1]) for entry, service, klass, _ in self._where.values()
        ]

    def choose(
        self,
        window: str,
        weights: dict[str, float],
        now: float,
        streak: Streak,
    ) -> Candidate | None:
        """The ticket `window` should call next at `now` (epoch seconds), or None.

        This is the hot path of every call-next; see the module docstring for the pruning.
        """
        rates = self._rates
        top_weight = max(weights.values(), default=1.0)
        starving_before = now - self._starve_seconds
        green: _Pick | None = None
        starving: _Pick | None = None
        best: _Pick | None = None
        normal: _Pick | None = None
        groups = self._groups
        served = len(weights)
        for klass, heads in self._heads.items():
            if not heads:
                continue  # nobody of this class waits (most classes, most of the day)
            rate = rates[klass]
            first: _Pick | None = None
            top: _Pick | None = None
            if served < len(heads):
                # a specialized window: looking up its few services beats walking every head
                for service, listed_weight in weights.items():
                    line = groups.get((service, klass))
                    if line:
                        entry = line[0]
                        score = rate * listed_weight * (now - entry[0] + BASE_SECONDS)
                        if first is None or entry < first[1]:
                            first = (score, entry, service, klass)
                        if top is None or score > top[0] or (score == top[0] and entry < top[1]):
                            top = (score, entry, service, klass)
            else:
                for entry, service in heads:
                    listed = weights.get(service)
                    if listed is None:
                        continue
                    age = now - entry[0] + BASE_SECONDS
                    if top is not None and age > 0 and rate * top_weight * age <= top[0]:
                        break  # every later head is younger: none can score higher
                    score = rate * listed * age
                    if first is None:
                        first = (score, entry, service, klass)
                    if top is None or score > top[0]:
                        top = (score, entry, service, klass)
            if first is None or top is None:
                continue
            if klass is _GREEN and green is None:
                green = first
            if first[1][0] <= starving_before and (starving is None or first[1] < starving[1]):
                starving = first
            if klass is _NORMAL:
                normal = top
            if best is None or top[0] > best[0] or (top[0] == best[0] and top[1] < best[1]):
                best = top
        targeted = self._targeted.get(window)
        if targeted:  # tickets sent to this very window: few, so looked at one by one
            for entry in targeted:
                _, service, klass, _ = self._where[entry[2]]
                score = rates[klass] * weights.get(service, 1.0) * (now - entry[0] + BASE_SECONDS)
                pick = (score, entry, service, klass)
                if klass is _GREEN and (green is None or entry < green[1]):
                    green = pick
                if entry[0] <= starving_before and (starving is None or entry < starving[1]):
                    starving = pick
                if klass is _NORMAL and (normal is None or score > normal[0]):
                    normal = pick
                if best is None or score > best[0] or (score == best[0] and entry < best[1]):
                    best = pick
        chosen = green or starving
        if chosen is None and normal is not None and self._ratio is not None and streak.priority >= self._ratio:
            chosen = normal
        chosen = chosen or best
        if chosen is None:
            return None
        _, entry, service, klass = chosen
        return Candidate(entry[2], service, klass, entry[0], entry[1])


def _discard(line: list[Any], item: Any) -> None:
    i = bisect_left(line, item)
    if i < len(line) and line[i] == item:
        del line[i]
