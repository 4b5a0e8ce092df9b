"""The hall's efficiency today (实时效能监控), as the managers' big screen shows it.

Every figure is derived from the day's tickets and windows (and the day's ratings, which
the hall does not keep: the caller reads them from the store), so a restarted server, which
replays the day, shows the same figures. Times are in the hall's zone.

- Slots: tickets taken and called per 30-minute slot, from the day's first opening (or the
  first ticket, if earlier) to its closing (or the last ticket or call, if later). A ticket
  counts as called in the slot of its first call (the first step's call when it has moved on).
- Waiting time: from taking the ticket to its first call, over the tickets called so far.
- Handling time: from call to end of each finished step (a transfer ends a step too).
- Cases handled: tickets finished (办结, 受理 and the other outcomes that end a visit).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from .estimate import QueueStatus, queues
from .hall import Hall
from .model import RatingLevel, Ticket, TicketState
from .value import value

SLOT_MINUTES = 30
HOT_SERVICES = 5


@value
class Slot:
    """One 30-minute slot of the day: its start (local time) and the tickets taken and called in it."""

    start: datetime
    taken: int
    called: int


@value
class HotService:
    service: str
    name: str
    name_en: str
    tickets: int


@value
class WindowFigure:
    """A window as the dashboard shows it: its state, the ticket at it and what it did today."""

    id: str
    number: int
    name: str
    state: str
    staff: str | None
    ticket: str | None  # the number of the ticket at the window
    handled: int  # steps ended here today


@value
class Ratings:
    total: int
    good: int
    by_level: tuple[tuple[RatingLevel, int], ...]

    @property
    def good_share(self) -> float | None:
        """Share of ratings that are not bad (差评 are the two lowest levels), None with no ratings."""
        return None if self.total == 0 else self.good / self.total


@value
class Efficiency:
    day: str | None
    at: datetime
    taken: int
    called: int
    waiting: int
    handled: int  # cases handled: tickets finished
    no_shows: int
    cancelled: int  # left the queue themselves (取消排队): not waiting, not no-shows
    avg_wait_minutes: float | None
    avg_handling_minutes: float | None
    slots: tuple[Slot, ...]
    hot: tuple[HotService, ...]
    windows: tuple[WindowFigure, ...]
    queues: tuple[QueueStatus, ...]
    ratings: Ratings


def first_call(ticket: Ticket) -> datetime | None:
    """When a ticket was first called, or None if it never was."""
    if ticket.steps:
        return ticket.steps[0].called_at
    return ticket.first_called_at or ticket.called_at


def slot_start(moment: datetime) -> datetime:
    """The start of the 30-minute slot holding `moment` (in `moment`'s own zone)."""
    return moment.replace(minute=moment.minute - moment.minute % SLOT_MINUTES, second=0, microsecond=0)


def slots(taken: Iterable[datetime], called: Iterable[datetime], opens: Sequence[datetime] = ()) -> tuple[Slot, ...]:
    """Counts per 30-minute slot, every slot from the earliest to the latest of the times and
    the opening bounds `opens`, empty slots included (a chart with gaps would mislead)."""
    taken_by = Counter(slot_start(t) for t in taken)
    called_by = Counter(slot_start(t) for t in called)
    bounds = [*taken_by, *called_by, *(slot_start(o) for o in opens)]
    if not bounds:
        return ()
    out: list[Slot] = []
    at, last = min(bounds), max(bounds)
    while at <= last:
        out.append(Slot(at, taken_by.get(at, 0), called_by.get(at, 0)))
        at += timedelta(minutes=SLOT_MINUTES)
    return tuple(out)


def average_minutes(spans: Iterable[timedelta]) -> float | None:
    """The mean of `spans` in minutes, rounded to 0.1, or None when there are none."""
    seconds = [s.total_seconds() for s in spans]
    return round(sum(seconds) / len(seconds) / 60.0, 1) if seconds else None


def rating_figures(levels: Iterable[RatingLevel]) -> Ratings:
    """Ratings counted by level, best first, with how many are good."""
    counts = Counter(levels)
    total = sum(counts.values())
    good = sum(n for level, n in counts.items() if not level.bad)
    return Ratings(total, good, tuple((level, counts.get(level, 0)) for level in RatingLevel))


def hot_services(hall: Hall, tickets: Sequence[Ticket], limit: int = HOT_SERVICES) -> tuple[HotService, ...]:
    """The services with most tickets today, most first; ties in the order of the hall's services."""
    counts = Counter(t.service for t in tickets)
    order = {s.id: i for i, s in enumerate(hall.config.services)}
    ranked = sorted((s for s in counts if s in hall.services), key=lambda s: (-counts[s], order[s]))
    return tuple(HotService(s, hall.services[s].name, hall.services[s].name_en, counts[s]) for s in ranked[:limit])


def efficiency(hall: Hall, now: datetime, ratings: Iterable[RatingLevel] = ()) -> Efficiency:
    """Today's figures of `hall` at `now`; `ratings` are the levels of today's ratings."""
    local = hall.local(now)
    tickets = hall.tickets()
    calls = [(t, c) for t in tickets if (c := first_call(t)) is not None]
    opens: list[datetime] = []
    if hall.day is not None:
        for start, end in hall.config.hours.on(hall.day).sessions:
            opens.append(datetime.combine(hall.day, start, hall.tz))
            opens.append(datetime.combine(hall.day, end, hall.tz) - timedelta(microseconds=1))
    steps = [s for t in tickets for s in t.steps]
    handled_at = Counter(s.window for s in steps)
    numbers = {t.id: t.number for t in tickets}
    names = {w.id: w.name for w in hall.config.windows}
    windows = tuple(
        WindowFigure(
            w.id,
            w.number,
            names.get(w.id, ""),
            str(w.state),
            w.staff,
            None if w.ticket is None else numbers.get(w.ticket, w.ticket),
            handled_at.get(w.id, 0),
        )
        for w in sorted(hall.windows(), key=lambda w: w.number)
    )
    states = Counter(t.state for t in tickets)
    return Efficiency(
        day=None if hall.day is None else hall.day.isoformat(),
        at=local,
        taken=len(tickets),
        called=len(calls),
        waiting=states[TicketState.WAITING],
        handled=states[TicketState.FINISHED],
        no_shows=states[TicketState.NO_SHOW],
        cancelled=states[TicketState.CANCELLED],
        avg_wait_minutes=average_minutes(c - t.issued_at for t, c in calls),
        avg_handling_minutes=average_minutes(s.handling for s in steps),
        slots=slots((hall.local(t.issued_at) for t in tickets), (hall.local(c) for _, c in calls), opens),
        hot=hot_services(hall, tickets),
        windows=windows,
        queues=tuple(queues(hall, now)),
        ratings=rating_figures(ratings),
    )
