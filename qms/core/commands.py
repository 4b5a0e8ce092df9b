"""Commands: what people and devices ask the hall to do.

A command is a request; the hall answers it with events or an error. Commands never carry
the time: `Hall.handle(command, now)` does. `actor` names who asked (a staff username, a
device id, "kiosk"); it is recorded on the events where it matters.
"""

from __future__ import annotations

from datetime import datetime

from .model import Channel, Escalation, HallConfig, Outcome, PriorityClass, RatingLevel
from .value import value


@value
class IssueTicket:
    service: str
    channel: Channel = Channel.KIOSK
    priority: PriorityClass = PriorityClass.NORMAL
    id_number: str | None = None  # validated, then only kept masked
    phone: str | None = None
    appointment_at: datetime | None = None  # booking check-in: the booked slot's start
    escalation: Escalation | None = None
    note: str = ""
    actor: str = ""


@value
class OpenWindow:
    window: str
    staff: str


@value
class CloseWindow:
    window: str
    actor: str = ""


@value
class PauseWindow:
    window: str
    reason: str = ""
    actor: str = ""


@value
class ResumeWindow:
    window: str
    actor: str = ""


@value
class CallNext:
    window: str
    actor: str = ""


@value
class CallTicket:
    """Call one ticket out of order; who and why are recorded."""

    window: str
    ticket: str
    reason: str
    actor: str = ""


@value
class Recall:
    window: str
    actor: str = ""


@value
class MarkNoShow:
    window: str
    actor: str = ""


@value
class Reactivate:
    """Put a no-show back in line (the citizen came back)."""

    ticket: str
    actor: str = ""


@value
class CancelTicket:
    """取消排队: the citizen leaves the queue (from the ticket's page). Only a waiting ticket
    can be cancelled; one already called is the window's to end."""

    ticket: str
    reason: str = ""
    actor: str = ""


@value
class StartService:
    window: str
    actor: str = ""


@value
class FinishService:
    """End the window's part. With `next_service` (or the service's `next_step` on
    ACCEPTED) the visit goes on there, keeping its place."""

    window: str
    outcome: Outcome = Outcome.COMPLETED
    next_service: str | None = None
    actor: str = ""


@value
class Transfer:
    """Send the window's ticket on to another service and/or one window, keeping its place."""

    window: str
    to_service: str | None = None
    to_window: str | None = None
    reason: str = ""
    actor: str = ""


@value
class HoldTicket:
    """Park the window's ticket (挂起): the window is free, the ticket keeps waiting for it."""

    window: str
    reason: str = ""
    actor: str = ""


@value
class UnholdTicket:
    """Call a held ticket back to the window that parked it."""

    window: str
    ticket: str
    actor: str = ""


@value
class RateService:
    """A citizen's rating (好差评), on a window's rating pad or the ticket's page: it rates
    the step that ended last at that window or, when `ticket` (id or number) is given, that
    ticket's last ended step, which must have ended at that window; within the hall's
    `rating_minutes`, once (see rating.py)."""

    window: str
    level: RatingLevel
    device: str = ""
    ticket: str | None = None


@value
class RequestHelp:
    """呼叫帮办: a citizen at `location` (a zone or a window) asks for a staff member."""

    location: str
    device: str = ""
    note: str = ""


@value
class ChangeLayout:
    """Replace the hall's layout (services, windows and their weights, hours, policy, calling)
    from now on; `part` names what the admin changed ("services", "windows", ...). The hall
    refuses a layout that would strand a ticket or an open window (see layout.py)."""

    layout: HallConfig
    part: str = ""
    actor: str = ""


Command = (
    IssueTicket
    | OpenWindow
    | CloseWindow
    | PauseWindow
    | ResumeWindow
    | CallNext
    | CallTicket
    | Recall
    | MarkNoShow
    | Reactivate
    | CancelTicket
    | StartService
    | FinishService
    | Transfer
    | HoldTicket
    | UnholdTicket
    | RateService
    | RequestHelp
    | ChangeLayout
)
