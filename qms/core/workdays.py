"""Which days are open for booking, and the time slots of such a day.

Working days follow China's statutory calendar: weekends off, public holidays off, and
make-up working days (调休) on some weekends. The calendar itself is data from outside the
core (the `chinese-calendar` package plus an admin-edited table of overrides, resolved in
`qms.booking.calendar`); the core sees it only as `WorkingDays`.

A working day's slots are cut from the hall's sessions for that day: `Hours.on(day)` with
its dated exceptions, or, on a make-up working day that falls on a weekend the hall keeps
closed, the sessions of the hall's first open weekday ("works like a weekday"). A statutory
day off has no slots even when the hall opens (周六不打烊 serves walk-ins, not bookings).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from .booking import BookableService
from .model import DayHours, Hours


class WorkingDays(Protocol):
    """The statutory calendar, as the core needs it."""

    def is_working_day(self, day: date) -> bool:
        """True on an ordinary or make-up (调休) working day, False on weekends and holidays."""
        ...


def booking_hours(hours: Hours, day: date, working: bool) -> DayHours:
    """The sessions of `day` in which slots may be booked (see the module docstring)."""
    if not working:
        return DayHours()
    own = hours.on(day)
    if own.is_open_day:
        return own
    if any(special == day for special, _ in hours.special):
        return own  # closed on purpose that day (an office move, a local holiday)
    if day.weekday() >= 5:  # a make-up working weekend day the hall does not open by itself
        for weekday in hours.weekly[:5]:
            if weekday.is_open_day:
                return weekday
    return own


def booking_days(calendar: WorkingDays, today: date, lead_days: int, horizon_days: int) -> list[date]:
    """The next `horizon_days` working days from `today + lead_days` on (bounded: two months)."""
    days: list[date] = []
    day = today + timedelta(days=lead_days)
    last = day + timedelta(days=62)
    while len(days) < horizon_days and day <= last:
        if calendar.is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def slot_times(sessions: DayHours, day: date, tz: ZoneInfo, slot_minutes: int) -> list[tuple[datetime, datetime]]:
    """The slots of a day: each session cut into `slot_minutes` pieces; the last piece of a
    session may be shorter, but not shorter than a quarter of a slot (it would be no use)."""
    slots: list[tuple[datetime, datetime]] = []
    length = timedelta(minutes=slot_minutes)
    for start, end in sessions.sessions:
        at = datetime.combine(day, start, tz)
        stop = datetime.combine(day, end, tz)
        while at < stop:
            until = min(at + length, stop)
            if until - at >= length / 4:
                slots.append((at, until))
            at = until
    return slots


def slot_capacities(service: BookableService, count: int) -> list[int]:
    """The capacity of each of a day's `count` slots: `capacity` each, or the share of the
    day's expected calls spread evenly, the earlier slots taking the remainder."""
    if count == 0:
        return []
    if service.capacity is not None:
        return [service.capacity] * count
    assert service.share is not None and service.expected_daily is not None
    total = int(service.share * service.expected_daily + 1e-9)
    base, extra = divmod(total, count)
    return [base + (1 if i < extra else 0) for i in range(count)]
