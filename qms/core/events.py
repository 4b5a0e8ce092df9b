"""Events: what happened in the hall. The hall's state is the fold of its events.

Each event carries everything needed to apply it, so that replaying the stored events of a
day rebuilds exactly the same hall (see `Hall.apply`). Events are values; `codec` turns them
into JSON and back.
"""

from __future__ import annotations

from datetime import date, datetime

from .model import HallConfig, Outcome, RatingLevel, Ticket
from .value import value


@value
class DayOpened:
    """A new business day: counters reset, yesterday's open tickets expire."""

    day: date
    at: datetime


@value
class TicketIssued:
    ticket: Ticket
    at: datetime


@value
class TicketCalled:
    ticket_id: str
    window: str
    staff: str | None
    at: datetime
    call_count: int
    recall: bool = False  # a recall (重呼) of the same ticket, by hand or by timer
    out_of_order: bool = False  # CallTicket: recorded with who and why
    reason: str = ""


@value
class ServiceStarted:
    ticket_id: str
    window: str
    at: datetime


@value
class ServiceFinished:
    ticket_id: str
    window: str
    outcome: Outcome
    at: datetime
    handling_seconds: float
    next_service: str | None = None  # the visit goes on there, keeping its place


@value
class TicketTransferred:
    ticket_id: str
    from_window: str
    to_service: str
    to_window: str | None
    at: datetime
    reason: str = ""


@value
class TicketNoShow:
    ticket_id: str
    window: str
    at: datetime
    automatic: bool


@value
class TicketReactivated:
    ticket_id: str
    queued_at: datetime
    at: datetime


@value
class TicketHeld:
    ticket_id: str
    window: str
    at: datetime
    reason: str = ""


@value
class TicketCancelled:
    """The citizen left the queue (CancelTicket); `by` is who asked ("web": the ticket's page)."""

    ticket_id: str
    at: datetime
    by: str = ""
    reason: str = ""


@value
class TicketExpired:
    ticket_id: str
    at: datetime


@value
class WindowOpened:
    window: str
    staff: str
    at: datetime


@value
class WindowPaused:
    window: str
    reason: str
    at: datetime


@value
class WindowResumed:
    window: str
    at: datetime


@value
class WindowClosed:
    window: str
    at: datetime


@value
class ServiceRated:
    """好差评: the rating of one step of a ticket (its index in `Ticket.steps`)."""

    ticket_id: str
    window: str
    staff: str | None
    service: str
    level: RatingLevel
    at: datetime
    step: int
    device: str = ""


@value
class HelpRequested:
    """呼叫帮办 raised to staff: someone at `location` needs help."""

    location: str
    device: str
    at: datetime
    note: str = ""


@value
class LayoutChange:
    """One changed part of a layout, for the audit log: `subject` such as "window w3",
    `before` and `after` as short readable text ("" when it did not exist)."""

    subject: str
    before: str
    after: str


@value
class LayoutChanged:
    """The hall's layout from now on (ChangeLayout), with what changed and who changed it."""

    layout: HallConfig
    at: datetime
    actor: str = ""
    part: str = ""
    changes: tuple[LayoutChange, ...] = ()


Event = (
    DayOpened
    | TicketIssued
    | TicketCalled
    | ServiceStarted
    | ServiceFinished
    | TicketTransferred
    | TicketNoShow
    | TicketReactivated
    | TicketHeld
    | TicketCancelled
    | TicketExpired
    | WindowOpened
    | WindowPaused
    | WindowResumed
    | WindowClosed
    | ServiceRated
    | HelpRequested
    | LayoutChanged
)

EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        DayOpened,
        TicketIssued,
        TicketCalled,
        ServiceStarted,
        ServiceFinished,
        TicketTransferred,
        TicketNoShow,
        TicketReactivated,
        TicketHeld,
        TicketCancelled,
        TicketExpired,
        WindowOpened,
        WindowPaused,
        WindowResumed,
        WindowClosed,
        ServiceRated,
        HelpRequested,
        LayoutChanged,
    )
}
