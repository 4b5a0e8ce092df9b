"""Waiting-time estimates: people ahead and minutes to wait, per ticket and per service.

People ahead counts the tickets of the same service that the policy would call first (a
higher class, or the same class and an earlier place), which is what a citizen reads as
"前面还有 N 人". The wait divides the work ahead (people ahead x the service's moving
average of handling times) by the service capacity of the windows able to serve it: each
open window gives the service its share of the window by weight among the services that
have people waiting there. With no window open, the configured windows are assumed open,
so a citizen who comes before opening still sees an estimate.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from datetime import datetime

from .hall import Hall
from .model import TicketState, WindowState
from .value import value

_WORKING = frozenset({WindowState.IDLE, WindowState.CALLING, WindowState.SERVING})


@value
class Estimate:
    people_ahead: int
    eta_minutes: int | None


@value
class QueueStatus:
    """One service's line as the waiting-area screen shows it."""

    service: str
    name: str
    name_en: str
    department: str
    prefix: str
    waiting: int
    eta_minutes: int | None  # for a ticket taken now
    windows_open: int
    handling_minutes: float


def _capacity(hall: Hall, service: str, waiting: Collection[str]) -> tuple[float, int]:
    """Windows' worth of service capacity for `service`, and how many open windows serve it.

    It changes only when a window opens, pauses, resumes or closes, or a service's line
    empties or starts, so it is remembered until then: every ticket answer asks for it.
    """
    key = (hall.staffing, hall.line.generation)
    if key != hall.capacity_memo_key:
        hall.capacity_memo.clear()
        hall.capacity_memo_key = key
    known = hall.capacity_memo.get(service)
    if known is None:
        known = hall.capacity_memo[service] = _compute_capacity(hall, service, waiting)
    return known


def _compute_capacity(hall: Hall, service: str, waiting: Collection[str]) -> tuple[float, int]:
    capacity, open_count = 0.0, 0
    windows = [w for w in hall.windows() if w.state in _WORKING and service in hall.weights[w.id]]
    assumed = not windows
    if assumed:  # before opening: assume every window that serves it will open
        windows = [w for w in hall.windows() if service in hall.weights[w.id]]
    for window in windows:
        weights = hall.weights[window.id]
        mine = weights[service]
        busy = sum(weights.get(s, 0.0) for s in waiting if s != service)
        capacity += mine / (mine + busy)
        open_count += 0 if assumed else 1
    return capacity, open_count


def _minutes(hall: Hall, service: str, ahead: int, capacity: float) -> int | None:
    if capacity <= 0:
        return None
    avg = hall.handling_seconds.get(service, hall.services[service].handling_minutes * 60.0)
    # the one being served at each window is about half done: count half a ticket
    return math.ceil((ahead + 0.5) * avg / capacity / 60.0) if ahead else 0


def estimate(hall: Hall, ticket_id: str, now: datetime) -> Estimate:
    """People ahead of a ticket and its estimated wait in minutes (0 once it is called)."""
    ticket = hall.ticket(ticket_id)
    if ticket.state is not TicketState.WAITING:
        return Estimate(0, 0 if ticket.is_open else None)
    ahead = hall.line.ahead(ticket_id)
    capacity, _ = _capacity(hall, ticket.service, hall.line.services())
    return Estimate(ahead, _minutes(hall, ticket.service, ahead, capacity))


def queues(hall: Hall, now: datetime) -> list[QueueStatus]:
    """Every service's waiting count and the estimated wait of a ticket taken now."""
    waiting_services = hall.line.services()
    out = []
    for service in hall.config.services:
        waiting = hall.line.count(service.id)
        capacity, open_count = _capacity(hall, service.id, waiting_services)
        avg = hall.handling_seconds.get(service.id, service.handling_minutes * 60.0)
        out.append(
            QueueStatus(
                service.id,
                service.name,
                service.name_en,
                service.department,
                service.prefix,
                waiting,
                _minutes(hall, service.id, waiting, capacity),
                open_count,
                round(avg / 60.0, 1),
            )
        )
    return out
