"""Booking administration for hall staff: the blacklist, notices to send, the calendar overrides.

Looking up and lifting blacklist entries, reading notices and editing the calendar need an
admin token (the role that configures the hall). A person is looked up by ID number, which
is hashed at once like at booking; entries show the masked number only.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from qms.core.booking import BlacklistEntry, BookingEvent, NoShowWarned, PersonBlacklisted
from qms.core.errors import InvalidInput
from qms.service.booking import Lift, SetWorkday

from .auth import Principal, authenticate
from .booking_desk import booking_desk
from .bookings import read_date
from .errors import JSON, Forbidden
from .payloads import Fields, read_object
from .state import web_state

MAX_CALENDAR_DAYS = 370


def _admin(request: Request) -> Principal:
    principal = authenticate(request)
    if not principal.is_admin:
        raise Forbidden("only an admin manages booking", code="admin_only")
    return principal


def entry_view(entry: BlacklistEntry) -> dict[str, Any]:
    return {
        "id_masked": entry.id_masked,
        "reason": entry.reason.value,
        "count": entry.count,
        "since": entry.since.isoformat(),
        "until": entry.until.isoformat(),
        "lifted_at": None if entry.lifted_at is None else entry.lifted_at.isoformat(),
        "lifted_by": entry.lifted_by,
        "lift_reason": entry.lift_reason,
    }


async def blacklist(request: Request) -> Response:
    """`GET /halls/{hall}/blacklist?id_number=` (admin): active entries, or one person's whole history."""
    desk = booking_desk(request)
    _admin(request)
    id_number = request.query_params.get("id_number")
    now = desk.service.now()
    if id_number:
        person = desk.hasher.key(id_number)
        entries = [e for e in await desk.service.store.blacklist_history(desk.service.id) if e.person == person]
    else:
        ledger = await desk.service.committed()
        entries = [e for e in ledger.entries() if e.active(now)]
    return JSON({"entries": [entry_view(e) for e in entries]})


async def lift(request: Request) -> Response:
    """`POST /halls/{hall}/blacklist/lift {id_number, reason}` (admin)."""
    desk = booking_desk(request)
    principal = _admin(request)
    fields = Fields(await read_object(request, web_state(request).max_body_bytes), ("id_number", "reason"))
    person = desk.hasher.key(fields.required_text("id_number"))
    entry = await desk.service.submit(Lift(person, principal.username, fields.required_text("reason")))
    return JSON({"entry": entry_view(entry)})


def _notice(event: BookingEvent) -> dict[str, Any]:
    if isinstance(event, NoShowWarned):
        return {
            "kind": "no_show_warning",
            "booking": event.code,
            "phone_masked": event.phone_masked,
            "no_shows": event.no_shows,
            "at": event.at.isoformat(),
        }
    assert isinstance(event, PersonBlacklisted)
    return {"kind": "blacklisted", **entry_view(event.entry), "at": event.at.isoformat()}


async def notices(request: Request) -> Response:
    """`GET /halls/{hall}/booking/notices` (admin): warnings and blacklistings to notify, newest first."""
    desk = booking_desk(request)
    _admin(request)
    found = await desk.service.store.events(desk.service.id, ("NoShowWarned", "PersonBlacklisted"))
    return JSON({"notices": [{"seq": seq, **_notice(e)} for seq, e in found]})


async def calendar(request: Request) -> Response:
    """`GET /halls/{hall}/calendar?from=&days=`: working days as booking sees them (public)."""
    desk = booking_desk(request)
    cal = desk.service.calendar
    first = read_date(request.query_params.get("from"), "from") or desk.service.ledger.local(desk.service.now()).date()
    days_text = request.query_params.get("days", "14")
    if not days_text.isdigit() or not 1 <= int(days_text) <= MAX_CALENDAR_DAYS:
        raise InvalidInput(f"days must be a whole number from 1 to {MAX_CALENDAR_DAYS}", code="invalid_days")
    overrides = {o.day: o for o in await desk.service.store.overrides()}
    days = []
    for i in range(int(days_text)):
        day = first + timedelta(days=i)
        o = overrides.get(day)
        days.append(
            {
                "date": day.isoformat(),
                "working": cal.is_working_day(day),
                "provisional": cal.provisional(day),
                "override": None if o is None else {"working": o.working, "note": o.note, "by": o.changed_by},
            }
        )
    return JSON({"days": days})


async def set_day(request: Request) -> Response:
    """`PUT /halls/{hall}/calendar/{date} {working, note}` or `DELETE` (admin): override the statutory calendar."""
    desk = booking_desk(request)
    principal = _admin(request)
    day = read_date(request.path_params["date"])
    assert day is not None
    if request.method == "DELETE":
        await desk.service.submit(SetWorkday(day, None, "", principal.username))
        return JSON({"date": day.isoformat(), "working": desk.service.calendar.is_working_day(day), "override": None})
    fields = Fields(await read_object(request, web_state(request).max_body_bytes), ("working", "note"))
    working = fields.data.get("working")
    if not isinstance(working, bool):
        raise InvalidInput("field 'working' must be true or false", code="invalid_input")
    note = fields.text("note")
    await desk.service.submit(SetWorkday(day, working, note, principal.username))
    return JSON({"date": day.isoformat(), "working": working, "override": {"working": working, "note": note}})
