"""Daily reports (统计报表): one business day's tickets and ratings, grouped by service,
window, department or channel.

A ticket counts in every group its visit touched: each service and window of its steps, and
the window and service it is at (or was called to) now; its channel is one. So a ticket taken
for 企业开办 and accepted on to 统一出件 counts under both services. Waiting time is the
ticket's, from taking it to its first call; handling times are those of the group's own steps
(call to end). Percentiles are nearest-rank, in minutes rounded to 0.1. Ratings (好差评) go
to the window and service they name, and to the channel of their ticket.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from .efficiency import first_call
from .model import HallConfig, RatingLevel, Step, Ticket, TicketState


class GroupBy(StrEnum):
    SERVICE = "service"
    WINDOW = "window"
    DEPARTMENT = "department"
    CHANNEL = "channel"


@dataclass(frozen=True, slots=True)
class RatingRecord:
    """One stored rating, as far as reports read it."""

    ticket_id: str
    window: str
    service: str
    level: RatingLevel


@dataclass(frozen=True, slots=True)
class ReportRow:
    key: str
    name: str
    tickets: int
    finished: int
    no_shows: int
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


def _step_key(config: HallConfig, step: Step, by: GroupBy, ticket: Ticket) -> str:
    if by is GroupBy.WINDOW:
        return step.window
    if by is GroupBy.SERVICE:
        return step.service
    if by is GroupBy.DEPARTMENT:
        service = config.service(step.service)
        return "" if service is None else service.department
    return str(ticket.channel)


def _ticket_keys(config: HallConfig, ticket: Ticket, by: GroupBy) -> set[str]:
    if by is GroupBy.CHANNEL:
        return {str(ticket.channel)}
    keys = {_step_key(config, s, by, ticket) for s in ticket.steps}
    if by is GroupBy.WINDOW:
        if ticket.window is not None:
            keys.add(ticket.window)
    elif by is GroupBy.SERVICE:
        keys.add(ticket.service)
    else:
        service = config.service(ticket.service)
        keys.add("" if service is None else service.department)
    return keys


def _names(config: HallConfig, by: GroupBy) -> dict[str, str]:
    if by is GroupBy.WINDOW:
        return {w.id: w.name or f"{w.number}号窗口" for w in config.windows}
    if by is GroupBy.SERVICE:
        return {s.id: s.name for s in config.services}
    if by is GroupBy.DEPARTMENT:
        return {s.department: s.department for s in config.services}
    return {}


def daily_report(
    config: HallConfig, tickets: Iterable[Ticket], ratings: Iterable[RatingRecord], by: GroupBy
) -> list[ReportRow]:
    """One row per group that had tickets or ratings that day, in the order of the hall's
    configuration (channels alphabetically), and groups the configuration no longer knows last."""
    tickets = list(tickets)
    volume: dict[str, list[Ticket]] = {}
    handling: dict[str, list[float]] = {}
    for ticket in tickets:
        for key in _ticket_keys(config, ticket, by):
            volume.setdefault(key, []).append(ticket)
        for step in ticket.steps:
            key = _step_key(config, step, by, ticket)
            handling.setdefault(key, []).append((step.finished_at - step.called_at).total_seconds())
    channels = {t.id: str(t.channel) for t in tickets}
    rated: dict[str, list[RatingRecord]] = {}
    for r in ratings:
        if by is GroupBy.WINDOW:
            key = r.window
        elif by is GroupBy.SERVICE:
            key = r.service
        elif by is GroupBy.DEPARTMENT:
            service = config.service(r.service)
            key = "" if service is None else service.department
        else:
            key = channels.get(r.ticket_id, "")
        rated.setdefault(key, []).append(r)
    names = _names(config, by)
    order = list(names) + sorted(k for k in {*volume, *handling, *rated} if k not in names)
    rows = []
    for key in order:
        group, spans, scored = volume.get(key, []), handling.get(key, []), rated.get(key, [])
        if not group and not scored:
            continue
        waits = [(c - t.issued_at).total_seconds() for t in group if (c := first_call(t)) is not None]
        rows.append(
            ReportRow(
                key=key,
                name=names.get(key, key),
                tickets=len(group),
                finished=sum(1 for t in group if t.state is TicketState.FINISHED),
                no_shows=sum(1 for t in group if t.state is TicketState.NO_SHOW),
                wait_p50=_minutes(percentile(waits, 50)),
                wait_p90=_minutes(percentile(waits, 90)),
                handling_p50=_minutes(percentile(spans, 50)),
                handling_p90=_minutes(percentile(spans, 90)),
                ratings=len(scored),
                bad_ratings=sum(1 for r in scored if r.level.bad),
            )
        )
    return rows
