"""What a waiting-area screen (综合屏 / 等候区电视) lists as its recent calls.

A screen shows the last calls of its zone, newest first, so that a citizen who looked away
(or a screen that just started) still finds the number that was called. They are derived
from the hall's tickets rather than kept in a list of their own, so a restarted server
(which replays the day's events) shows the same calls as before: a ticket's latest call is
its current window and `called_at` while it is called, served or finished there, or the last
step of its visit when it went on to another service and waits again. A recall moves its
`called_at` and so brings the ticket back to the top. One ticket appears once.
"""

from __future__ import annotations

import heapq
from datetime import datetime

from .hall import Hall
from .model import Ticket
from .value import value

RECENT_CALLS = 10  # per zone: more than any screen lists


@value
class Call:
    """A ticket's latest call, as the screens show it."""

    ticket: str
    number: str
    service: str
    window: str
    window_number: int
    window_name: str
    zone: str
    called_at: datetime
    call_count: int


def latest_call(ticket: Ticket) -> tuple[str, datetime, int] | None:
    """The window, time and call count of a ticket's latest call, or None if it was never called."""
    if ticket.called_at is not None and ticket.window is not None:
        return ticket.window, ticket.called_at, ticket.call_count
    if ticket.steps:
        step = ticket.steps[-1]
        return step.window, step.called_at, 1
    return None


def recent_calls(hall: Hall, limit: int = RECENT_CALLS, zone: str | None = None) -> list[Call]:
    """The latest `limit` calls of each zone (only of `zone` if given), newest first.

    Zones are listed in the order of the hall's windows; within a zone the newest call comes
    first. Costs one pass over the day's tickets.
    """
    windows = {w.id: w for w in hall.config.windows}
    by_zone: dict[str, list[tuple[datetime, int, Call]]] = {}
    for order, ticket in enumerate(hall.tickets()):
        found = latest_call(ticket)
        if found is None:
            continue
        window_id, called_at, count = found
        window = windows.get(window_id)
        if window is None or (zone is not None and window.zone != zone):
            continue
        call = Call(
            ticket.id,
            ticket.number,
            ticket.service,
            window.id,
            window.number,
            window.name,
            window.zone,
            called_at,
            count,
        )
        by_zone.setdefault(window.zone, []).append((called_at, order, call))
    out: list[Call] = []
    for zone_id in hall.config.zones():
        calls = by_zone.get(zone_id, [])
        # the issuing order breaks ties of calls in one instant, later tickets first
        out.extend(c for _, _, c in heapq.nlargest(limit, calls, key=lambda item: (item[0], item[1])))
    return out
