"""Daily reports (统计报表): one business day's tickets and ratings, grouped by service,
window, department, staff member or channel.

A ticket counts in every group its visit touched: each service and window of its steps, and
the window and service it is at (or was called to) now; its channel is one. So a ticket taken
for 企业开办 and accepted on to 统一出件 counts under both services. Waiting time is the
ticket's, from taking it to its first call; handling times are those of the group's own steps
(call to end). Percentiles are nearest-rank, in minutes rounded to 0.1. Ratings (好差评) go
to the window, service and staff member they name, and to the channel of their ticket.

A finished step does not name who served it, but every call does (`TicketCalled.staff`): a
step's staff member is the one who made the last call of its ticket at its window before the
step ended (`step_staff`). A ticket called now counts under the staff member who called it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum

from .efficiency import first_call
from .model import HallConfig, RatingLevel, Ticket, TicketState
from .value import value


class GroupBy(StrEnum):
    SERVICE = "service"
    WINDOW = "window"
    DEPARTMENT = "department"
    STAFF = "staff"
    CHANNEL = "channel"


@value
class RatingRecord:
    """One stored rating, as far as reports read it."""

    ticket_id: str
    window: str
    service: str
    level: RatingLevel
    staff: str | None = None


@value
class CallRecord:
    """One call of a ticket (a stored TicketCalled), as far as reports read it."""

    ticket_id: str
    window: str
    staff: str | None
    at: datetime


@value
class ReportRow:
    key: str
    name: str
    tickets: int
    finished: int
    no_shows: int
    cancelled: int  # 取消排队: the citizen left the queue; neither served nor a no-show
    wait_p50: float | None
    wait_p90: float | None
    handling_p50: float | None
    handling_p90: float | None
    ratings: int
    bad_ratings: int

    @property
    def good_share(self) -> float | None:
        return None if self.ratings == 0 else (self.ratings - self.bad_ratings) / self.ratings


def percentile(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank `p`-th percentile (0 < p <= 100) of `values`, None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _minutes(value: float | None) -> float | None:
    return None if value is None else round(value / 60.0, 1)


StaffOf = Mapping[tuple[str, int], str]  # (ticket id, step index) -> who served the step


def step_staff(tickets: Iterable[Ticket], calls: Iterable[CallRecord]) -> dict[tuple[str, int], str]:
    """Who served each finished step: the staff member of the last call of its ticket at its
    window before the step ended. Steps without such a call (or called by a device without a
    staff member signed in) are left out."""
    by_ticket: dict[tuple[str, str], list[CallRecord]] = {}
    for call in calls:
        if call.staff:
            by_ticket.setdefault((call.ticket_id, call.window), []).append(call)
    staff: dict[tuple[str, int], str] = {}
    for ticket in tickets:
        for index, step in enumerate(ticket.steps):
            made = [c for c in by_ticket.get((ticket.id, step.window), ()) if c.at <= step.finished_at]
            if made:
                staff[(ticket.id, index)] = max(made, key=lambda c: c.at).staff or ""
    return staff


def _department(config: HallConfig, service_id: str) -> str:
    service = config.service(service_id)
    return "" if service is None else service.department


def _key(config: HallConfig, by: GroupBy, window: str, service: str, staff: str | None, channel: str) -> str | None:
    """The group of a step or a rating with these particulars."""
    if by is GroupBy.WINDOW:
        return window
    if by is GroupBy.SERVICE:
        return service
    if by is GroupBy.DEPARTMENT:
        return _department(config, service)
    if by is GroupBy.STAFF:
        return staff or None
    return channel


def _step_key(config: HallConfig, ticket: Ticket, index: int, by: GroupBy, staff_of: StaffOf) -> str | None:
    step = ticket.steps[index]
    return _key(config, by, step.window, step.service, staff_of.get((ticket.id, index)), str(ticket.channel))


def _ticket_keys(config: HallConfig, ticket: Ticket, by: GroupBy, staff_of: StaffOf) -> set[str]:
    if by is GroupBy.CHANNEL:
        return {str(ticket.channel)}
    keys = {_step_key(config, ticket, i, by, staff_of) for i in range(len(ticket.steps))}
    if by is GroupBy.WINDOW:
        keys.add(ticket.window)
    elif by is GroupBy.SERVICE:
        keys.add(ticket.service)
    elif by is GroupBy.STAFF:
        keys.add(ticket.staff if ticket.window is not None else None)
    else:
        keys.add(_department(config, ticket.service))
    return {k for k in keys if k is not None}


def _rating_key(config: HallConfig, rating: RatingRecord, by: GroupBy, channels: Mapping[str, str]) -> str | None:
    return _key(config, by, rating.window, rating.service, rating.staff, channels.get(rating.ticket_id, ""))


def window_names(config: HallConfig) -> dict[str, str]:
    """Each window's name as staff read it: its own name, or 「n号窗口」."""
    return {w.id: w.name or f"{w.number}号窗口" for w in config.windows}


def _names(config: HallConfig, by: GroupBy, staff_names: Mapping[str, str]) -> dict[str, str]:
    if by is GroupBy.WINDOW:
        return window_names(config)
    if by is GroupBy.SERVICE:
        return {s.id: s.name for s in config.services}
    if by is GroupBy.DEPARTMENT:
        return {s.department: s.department for s in config.services}
    if by is GroupBy.STAFF:
        return dict(staff_names)
    return {}


def daily_report(
    config: HallConfig,
    tickets: Iterable[Ticket],
    ratings: Iterable[RatingRecord],
    by: GroupBy,
    calls: Iterable[CallRecord] = (),
    staff_names: Mapping[str, str] | None = None,
) -> list[ReportRow]:
    """One row per group that had tickets or ratings in the tickets' days, in the order of the
    hall's configuration (staff members in the order of `staff_names`, channels alphabetically),
    and groups the configuration no longer knows last. `calls` (the days' TicketCalled) are only
    read to group by staff member."""
    tickets = list(tickets)
    staff_of = step_staff(tickets, calls) if by is GroupBy.STAFF else {}
    volume: dict[str, list[Ticket]] = {}
    handling: dict[str, list[float]] = {}
    for ticket in tickets:
        for key in _ticket_keys(config, ticket, by, staff_of):
            volume.setdefault(key, []).append(ticket)
        for index, step in enumerate(ticket.steps):
            step_key = _step_key(config, ticket, index, by, staff_of)
            if step_key is not None:
                handling.setdefault(step_key, []).append(step.handling.total_seconds())
    channels = {t.id: str(t.channel) for t in tickets}
    rated: dict[str, list[RatingRecord]] = {}
    for r in ratings:
        rating_key = _rating_key(config, r, by, channels)
        if rating_key is not None:
            rated.setdefault(rating_key, []).append(r)
    names = _names(config, by, staff_names or {})
    order = list(names) + sorted(k for k in {*volume, *handling, *rated} if k not in names)
    rows = []
    for key in order:
        group, spans, scored = volume.get(key, []), handling.get(key, []), rated.get(key, [])
        if not group and not scored:
            continue
        waits = [(c - t.issued_at).total_seconds() for t in group if (c := first_call(t)) is not None]
        states = Counter(t.state for t in group)
        rows.append(
            ReportRow(
                key=key,
                name=names.get(key, key),
                tickets=len(group),
                finished=states[TicketState.FINISHED],
                no_shows=states[TicketState.NO_SHOW],
                cancelled=states[TicketState.CANCELLED],
                wait_p50=_minutes(percentile(waits, 50)),
                wait_p90=_minutes(percentile(waits, 90)),
                handling_p50=_minutes(percentile(spans, 50)),
                handling_p90=_minutes(percentile(spans, 90)),
                ratings=len(scored),
                bad_ratings=sum(1 for r in scored if r.level.bad),
            )
        )
    return rows
