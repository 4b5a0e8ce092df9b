"""Online booking over HTTP: slots, book, look up, cancel, check in.

Citizens need no account: they book with their ID number and mobile phone and get a code.
The code is the key to the booking (see, cancel, check in), so it is random and never listed.
Check-in is public because the dispenser that reads the code or the ID card is public; the
ticket it gives comes from the hall core, which grants booking priority on time only.
A full slot answers 409 `slot_full` with the nearest halls of the city that have free slots.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from qms.core.booking import BookingChannel
from qms.core.errors import Conflict, InvalidInput, QmsError
from qms.core.ledger import MakeBooking
from qms.service.booking import Book, Cancel
from qms.service.check_in import check_in as check_in_booking

from .auth import authenticate
from .booking_desk import BookingDesk, booking_desk, booking_view, nearby, new_code, slot_view, suggestion_view
from .errors import JSON, on_qms_error
from .payloads import Fields, idempotency_key, read_object, ticket_view
from .state import hall_service, web_state
from .ticket_rating import ticket_key

BOOK_FIELDS = ("service", "date", "start", "id_number", "phone", "channel")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
CODE_ATTEMPTS = 5  # a random code taken already (1 in 10^12 a try): try another


def read_date(value: str | None, name: str = "date") -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name} must be a date such as 2026-11-24", code="invalid_date") from None


def _start(desk: BookingDesk, day: date, value: str) -> datetime:
    m = _CLOCK.match(value.strip())
    if not m:
        raise InvalidInput('start must be a time of day such as "09:00"', code="invalid_start")
    return datetime.combine(day, time(int(m[1]), int(m[2])), desk.service.ledger.tz)


async def overview(request: Request) -> Response:
    """`GET /halls/{hall}/booking`: bookable services, the days open for booking, the rules."""
    desk = booking_desk(request)
    ledger = await desk.service.committed()
    now = desk.service.now()
    calendar = desk.service.calendar
    rules = ledger.rules
    services = []
    for s in rules.services:
        config = ledger.hall.service(s.service)
        assert config is not None
        services.append(
            {"id": s.service, "name": config.name, "name_en": config.name_en, "slot_minutes": s.slot_minutes}
        )
    days = [{"date": d.isoformat(), "provisional": calendar.provisional(d)} for d in ledger.days(calendar, now)]
    return JSON(
        {
            "hall": ledger.hall.id,
            "name": ledger.hall.name,
            "name_en": ledger.hall.name_en,
            "services": services,
            "days": days,
            "rules": {
                "cancel_cutoff_minutes": rules.cancel_cutoff_minutes,
                "check_in_early_minutes": ledger.hall.policy.booking_early_minutes,
                "check_in_late_minutes": ledger.hall.policy.booking_late_minutes,
                "late_check_in": rules.late_check_in.value,
                "per_day": rules.per_day,
                "per_week": rules.per_week,
                "per_month": rules.per_month,
                "max_no_shows": rules.max_no_shows,
                "no_show_days": rules.no_show_days,
                "max_cancellations": rules.max_cancellations,
                "blacklist_days": rules.blacklist_days,
            },
        }
    )


async def slots(request: Request) -> Response:
    """`GET /halls/{hall}/slots?service=&date=`: the slots of a day (default: the first open day)."""
    desk = booking_desk(request)
    service = request.query_params.get("service", "").strip()
    if not service:
        raise InvalidInput("give the service: ?service=...", code="service_required")
    ledger = await desk.service.committed()
    now = desk.service.now()
    calendar = desk.service.calendar
    days = ledger.days(calendar, now)
    day = read_date(request.query_params.get("date")) or (days[0] if days else ledger.local(now).date())
    found = ledger.slots(service, day, calendar)  # 404 unknown_service, 409 service_not_bookable
    return JSON(
        {
            "service": service,
            "date": day.isoformat(),
            "working_day": calendar.is_working_day(day),
            "provisional": calendar.provisional(day),
            "bookable": day in days,
            "days": [d.isoformat() for d in days],
            "slots": [slot_view(ledger, s, now) for s in found] if day in days else [],
        }
    )


async def book(request: Request) -> Response:
    """`POST /halls/{hall}/bookings {service, date, start, id_number, phone, channel?}` -> 201 `{booking}`."""
    desk = booking_desk(request)
    fields = Fields(await read_object(request, web_state(request).max_body_bytes), BOOK_FIELDS)
    service = fields.required_text("service")
    day = read_date(fields.required_text("date"))
    assert day is not None
    start = _start(desk, day, fields.required_text("start"))
    person = desk.hasher.person(fields.required_text("id_number"), fields.required_text("phone"))
    channel = fields.choice("channel", BookingChannel, BookingChannel.WEB)
    key = idempotency_key(request, "book")
    for attempt in range(CODE_ATTEMPTS):
        command = MakeBooking(service, start, person.key, person.id_masked, person.phone_masked, new_code(), channel)
        try:
            made = await desk.service.submit(Book(command, key))
        except QmsError as err:
            if err.code == "booking_code_taken" and attempt + 1 < CODE_ATTEMPTS:
                continue
            if err.code == "slot_full":
                return await _full(request, desk, err, service, day)
            raise
        ledger = await desk.service.committed()
        return JSON({"booking": booking_view(ledger, made)}, status_code=201)
    raise Conflict("no free booking code found: try again", code="booking_code_taken")  # pragma: no cover


async def _full(request: Request, desk: BookingDesk, err: QmsError, service: str, day: date) -> Response:
    response = await on_qms_error(request, err)
    suggestions = [suggestion_view(s) for s in nearby(request, desk, service, day)]
    return JSON(
        {"error": {"code": err.code, "message": err.message}, "nearby": suggestions},
        status_code=response.status_code,
    )


async def show(request: Request) -> Response:
    """`GET /halls/{hall}/bookings/{code}`: a booking, masked."""
    desk = booking_desk(request)
    ledger = await desk.service.committed()
    return JSON({"booking": booking_view(ledger, ledger.booking(request.path_params["code"]))})


async def member(request: Request) -> Response:
    return await (cancel(request) if request.method == "DELETE" else show(request))


async def cancel(request: Request) -> Response:
    """`DELETE /halls/{hall}/bookings/{code}`: cancel (citizen: until the cutoff; staff token: until the start,
    not counted against the person)."""
    desk = booking_desk(request)
    by = "citizen"
    if request.headers.get("authorization"):
        by = authenticate(request).username
    cancelled = await desk.service.submit(Cancel(request.path_params["code"], by))
    ledger = await desk.service.committed()
    return JSON({"booking": booking_view(ledger, cancelled)})


async def lookup(request: Request) -> Response:
    """`POST /halls/{hall}/bookings/lookup {id_number, phone}`: a person's bookings here, for
    'my bookings' on the page. The phone must match the booking's, as a second factor."""
    desk = booking_desk(request)
    fields = Fields(await read_object(request, web_state(request).max_body_bytes), ("id_number", "phone"))
    person = desk.hasher.person(fields.required_text("id_number"), fields.required_text("phone"))
    ledger = await desk.service.committed()
    entry = ledger.blacklisted(person.key, desk.service.now())
    found = [booking_view(ledger, x) for x in ledger.of_person(person.key) if x.phone_masked == person.phone_masked]
    return JSON(
        {
            "bookings": found,
            "blacklisted_until": None if entry is None else ledger.local(entry.until).isoformat(),
        }
    )


async def check_in(request: Request) -> Response:
    """`POST /halls/{hall}/bookings/{code}/check-in` or `POST /halls/{hall}/check-in {code | id_number}`
    -> `{booking, ticket}`."""
    desk = booking_desk(request)
    body = await read_object(request, web_state(request).max_body_bytes)
    code = request.path_params.get("code")
    id_number = None
    if code is None:
        fields = Fields(body, ("code", "id_number"))
        code = fields.optional_text("code")
        id_number = fields.optional_text("id_number")
    else:
        Fields(body, ())
    done = await check_in_booking(desk, code=code, id_number=id_number)  # the dispenser's way too
    hall = await hall_service(request).committed()
    ledger = await desk.service.committed()
    view: dict[str, Any] = {
        "booking": booking_view(ledger, done.booking),
        "ticket": ticket_view(
            hall, done.ticket, desk.service.now(), private=True, key=ticket_key(request, hall.config.id, done.ticket.id)
        ),
    }
    return JSON(view, status_code=201)
