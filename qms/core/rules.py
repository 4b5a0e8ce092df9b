"""The hall's transition tables and issuing rules, written down as data.

Which window states allow which action, and which ticket states each event moves from.
`hall.Hall` consults these tables before it emits anything, so a refused action changes
nothing; the error names the state and what to do instead.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Protocol

from . import commands as c
from .errors import IllegalTransition, Refused
from .model import Channel, DayHours, Hours, IssueBand, TicketState, WindowState

S = WindowState

#: window states in which a window action is allowed
WINDOW_ACTIONS: dict[type, frozenset[WindowState]] = {
    c.OpenWindow: frozenset({S.CLOSED}),
    c.CloseWindow: frozenset({S.IDLE, S.PAUSED}),
    c.PauseWindow: frozenset({S.IDLE}),
    c.ResumeWindow: frozenset({S.PAUSED}),
    c.CallNext: frozenset({S.IDLE}),
    c.CallTicket: frozenset({S.IDLE}),
    c.UnholdTicket: frozenset({S.IDLE}),
    c.Recall: frozenset({S.CALLING}),
    c.MarkNoShow: frozenset({S.CALLING}),
    c.StartService: frozenset({S.CALLING}),
    c.FinishService: frozenset({S.CALLING, S.SERVING}),
    c.Transfer: frozenset({S.CALLING, S.SERVING}),
    c.HoldTicket: frozenset({S.CALLING, S.SERVING}),
}

T = TicketState
OPEN_STATES = frozenset({T.WAITING, T.CALLED, T.SERVING, T.HELD})

#: ticket states each ticket event may start from
TICKET_MOVES: dict[str, frozenset[TicketState]] = {
    "TicketCalled": frozenset({T.WAITING, T.CALLED, T.HELD}),
    "ServiceStarted": frozenset({T.CALLED}),
    "ServiceFinished": frozenset({T.CALLED, T.SERVING}),
    "TicketTransferred": frozenset({T.CALLED, T.SERVING}),
    "TicketNoShow": frozenset({T.CALLED}),
    "TicketReactivated": frozenset({T.NO_SHOW}),
    "TicketHeld": frozenset({T.CALLED, T.SERVING}),
    "TicketCancelled": frozenset({T.WAITING}),  # once called, the window ends it
    "TicketExpired": OPEN_STATES,
}

_WHY = {
    S.CLOSED: ("window_closed", "window {n} is closed: open it first"),
    S.PAUSED: ("window_paused", "window {n} is paused ({reason}): resume it first"),
    S.IDLE: ("no_ticket_at_window", "window {n} has no ticket called: call one first"),
    S.CALLING: ("window_busy", "window {n} has called {ticket}: finish it or mark it a no-show first"),
    S.SERVING: ("window_busy", "window {n} is serving {ticket}: finish or transfer it first"),
}


class WindowLike(Protocol):
    """What the transition check reads of a window: a `Window` or the hall's working record."""

    @property
    def number(self) -> int: ...
    @property
    def state(self) -> WindowState: ...
    @property
    def staff(self) -> str | None: ...
    @property
    def ticket(self) -> str | None: ...
    @property
    def pause_reason(self) -> str: ...


def check_window(command: object, window: WindowLike) -> None:
    """Raise IllegalTransition unless the window's state allows `command`."""
    allowed = WINDOW_ACTIONS.get(type(command))
    if allowed is None or window.state in allowed:
        return
    if isinstance(command, c.OpenWindow):
        raise IllegalTransition(f"window {window.number} is already open ({window.staff})", code="window_open")
    if isinstance(command, c.ResumeWindow):
        raise IllegalTransition(f"window {window.number} is not paused", code="window_not_paused")
    code, text = _WHY[window.state]
    raise IllegalTransition(
        text.format(n=window.number, reason=window.pause_reason or "no reason given", ticket=window.ticket),
        code=code,
    )


def check_ticket(event_name: str, state: TicketState, ticket_number: str, why: str = "") -> None:
    """Raise IllegalTransition unless a ticket in `state` may take this event; `why` explains
    the rule to the person refused."""
    if state not in TICKET_MOVES[event_name]:
        said = f": {why}" if why else ""
        raise IllegalTransition(f"ticket {ticket_number} is {state.value}{said}", code="ticket_" + state.value)


#: channels that the dispenser's hours, cutoff and time bands apply to
SELF_SERVICE = frozenset({Channel.KIOSK, Channel.MOBILE})


class IssuingDay:
    """One day's self-service issuing hours: its sessions and the dispenser's cutoff, worked
    out once a day (the check runs on every ticket taken)."""

    __slots__ = ("cutoff", "hours")

    def __init__(self, hours: Hours, day: date) -> None:
        self.hours = hours.on(day)
        self.cutoff = issue_cutoff(self.hours, hours.issue_cutoff_minutes) if self.hours.is_open_day else None

    def check(self, now: time) -> None:
        """Raise Refused unless self-service issuing is open at local time `now`."""
        cutoff = self.cutoff
        if cutoff is None:
            raise Refused("the hall is closed today", code="hall_closed")
        if now < cutoff:
            for start, end in self.hours.sessions:
                if start <= now < end:
                    return
        raise Refused(f"tickets are issued {describe(self.hours)}, until {cutoff:%H:%M} today", code="hall_closed")


def issue_cutoff(day: DayHours, minutes: int) -> time:
    """When the dispenser stops on this day: `minutes` before the last session ends."""
    last_end = day.sessions[-1][1]
    moment = datetime.combine(datetime(2000, 1, 1).date(), last_end) - timedelta(minutes=minutes)
    return moment.time()


def describe(day: DayHours) -> str:
    return ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in day.sessions)


def band_at(bands: tuple[IssueBand, ...], now: time) -> int | None:
    """Index of the issuing band containing `now`, or None."""
    for i, band in enumerate(bands):
        if band.start <= now < band.end:
            return i
    return None
