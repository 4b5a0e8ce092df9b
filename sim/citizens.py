"""The citizens of a simulated day and what became of each: the per-ticket records.

A `Citizen` is drawn before the day is run (arrival, service, class, handling time, how long
they would wait, whether they answer a call), so that two policies or layouts can be run on
exactly the same citizens (common random numbers). The run fills in what happened.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum

from qms.core.model import Channel, PriorityClass


class Outcome(StrEnum):
    """How a citizen's visit ended in the simulation."""

    SERVED = "served"
    NO_SHOW = "no_show"  # called, never came to the window (过号)
    WALKED_AWAY = "walked_away"  # gave up waiting before being called (then a no-show when called)
    CANCELLED = "cancelled"  # gave up waiting and cancelled the ticket on the phone (取消排队): out of line
    REFUSED = "refused"  # the dispenser refused a ticket (closed, daily cap, band quota)
    UNSERVED = "unserved"  # still waiting or at a window when the simulated day ended


@dataclass(slots=True)
class Citizen:
    """One visit: drawn up front, then filled in by the run."""

    index: int
    arrive: float  # seconds of the day
    service: str
    klass: PriorityClass
    channel: Channel
    handling: float  # seconds at the window
    walk: float = 0.0  # seconds from the call to the window
    patience: float | None = None  # seconds of waiting before giving up; None: waits for ever
    absent: bool = False  # will not answer a call (stepped out, left)
    appointment: float | None = None  # booked time (seconds of the day) of a booking check-in
    cancels: bool = False  # on giving up, cancels the ticket (the hall takes it out of line) instead of just leaving
    # filled in by the run
    ticket: str = ""
    number: str = ""
    priority: PriorityClass | None = None  # the class the hall gave (late bookings lose theirs)
    called: float | None = None
    started: float | None = None
    finished: float | None = None
    window: str = ""
    calls: int = 0
    walked_away: bool = False
    outcome: Outcome = Outcome.UNSERVED
    refusal: str = ""

    def __reduce__(self) -> tuple[type[Citizen], tuple[object, ...]]:
        # a day's citizens cross back from a worker process (parallel.py) as plain tuples: a
        # third less to pickle and half the time of the slots' default state
        return (Citizen, tuple([getattr(self, name) for name in _FIELDS]))

    def fresh(self) -> Citizen:
        """The same citizen before the day was run (to run the same people through another hall)."""
        return Citizen(
            self.index,
            self.arrive,
            self.service,
            self.klass,
            self.channel,
            self.handling,
            self.walk,
            self.patience,
            self.absent,
            self.appointment,
            self.cancels,
        )


_FIELDS = tuple(f.name for f in fields(Citizen))


@dataclass(frozen=True, slots=True)
class TicketRecord:
    """One ticket of a simulated day, as the report and the CSV show it (times in seconds of the day)."""

    replication: int
    ticket: str
    service: str
    priority: str
    channel: str
    issued: float
    called: float | None
    started: float | None
    finished: float | None
    waiting: float | None  # issued -> first call
    handling: float | None  # call (or start) -> finish
    window: str
    calls: int
    outcome: str

    @staticmethod
    def of(replication: int, c: Citizen) -> TicketRecord:
        waiting = None if c.called is None or c.outcome is Outcome.REFUSED else c.called - c.arrive
        begun = c.started if c.started is not None else c.called
        handling = None if c.finished is None or begun is None else c.finished - begun
        return TicketRecord(
            replication,
            c.ticket,
            c.service,
            (c.priority or c.klass).value,
            c.channel.value,
            c.arrive,
            c.called,
            c.started,
            c.finished,
            waiting,
            handling,
            c.window,
            c.calls,
            c.outcome.value,
        )
