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
first-come-first-served. The line therefore keeps one sorted list per (service, class) and a
decision only looks at the head of each list: a decision costs O(groups), not O(tickets).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass

from .model import PolicyConfig, PriorityClass

BASE_SECONDS = 60.0  # so that fresh tickets are already ordered by class

Entry = tuple[float, int, str]  # (place in line as epoch seconds, issue sequence, ticket id)


@dataclass(frozen=True, slots=True)
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

    __slots__ = ("_groups", "_policy", "_rates", "_targeted", "_where")

    def __init__(self, policy: PolicyConfig) -> None:
        self._policy = policy
        self._rates = {klass: policy.rate(klass) for klass in PriorityClass}
        self._groups: dict[tuple[str, PriorityClass], list[Entry]] = {}
        self._targeted: dict[str, list[Entry]] = {}
        self._where: dict[str, tuple[list[Entry], Entry, str, PriorityClass]] = {}

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
        if window is None:
            line = self._groups.setdefault((service, klass), [])
        else:
            line = self._targeted.setdefault(window, [])
        insort(line, entry)
        self._where[ticket_id] = (line, entry, service, klass)

    def remove(self, ticket_id: str) -> None:
        """Take a ticket out of line (called, expired); unknown ids are ignored."""
        found = self._where.pop(ticket_id, None)
        if found is None:
            return
        line, entry, _, _ = found
        i = bisect_left(line, entry)
        if i < len(line) and line[i] == entry:
            del line[i]

    def clear(self) -> None:
        self._groups.clear()
        self._targeted.clear()
        self._where.clear()

    def waiting(self) -> list[Candidate]:
        """Everyone waiting, in no particular order."""
        return [
            Candidate(entry[2], service, klass, entry[0], entry[1]) for _, entry, service, klass in self._where.values()
        ]

    def choose(
        self,
        window: str,
        weights: dict[str, float],
        now: float,
        streak: Streak,
    ) -> Candidate | None:
        """The ticket `window` should call next at `now` (epoch seconds), or None."""
        heads: list[tuple[Entry, str, PriorityClass, float]] = []
        for (service, klass), line in self._groups.items():
            if line:
                weight = weights.get(service)
                if weight is not None:
                    heads.append((line[0], service, klass, weight))
        targeted = self._targeted.get(window)
        if targeted:
            for entry in targeted:
                _, _, service, klass = self._where[entry[2]]
                heads.append((entry, service, klass, weights.get(service, 1.0)))
        if not heads:
            return None
        policy = self._policy

        greens = [h for h in heads if h[2] is PriorityClass.GREEN]
        if greens:
            return _candidate(min(greens, key=_place))

        starving_before = now - policy.starvation_minutes * 60.0
        starving = [h for h in heads if h[0][0] <= starving_before]
        if starving:
            return _candidate(min(starving, key=_place))

        if policy.priority_run is not None and streak.priority >= policy.priority_run:
            normal = [h for h in heads if h[2] is PriorityClass.NORMAL]
            if normal:
                heads = normal

        rates = self._rates
        best = heads[0]
        best_score = rates[best[2]] * best[3] * (now - best[0][0] + BASE_SECONDS)
        for head in heads[1:]:
            score = rates[head[2]] * head[3] * (now - head[0][0] + BASE_SECONDS)
            if score > best_score or (score == best_score and head[0] < best[0]):
                best, best_score = head, score
        return _candidate(best)


def _place(head: tuple[Entry, str, PriorityClass, float]) -> Entry:
    return head[0]


def _candidate(head: tuple[Entry, str, PriorityClass, float]) -> Candidate:
    entry, service, klass, _ = head
    return Candidate(entry[2], service, klass, entry[0], entry[1])
