"""What the booking endpoints need of a hall, and how they show bookings and slots.

`BookingDesk` bundles a hall's booking actor with its place and neighbours and the hasher of
ID numbers; `create_app(bookings=...)` takes one per bookable hall. Views never carry more
than the masked ID number and phone.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from starlette.requests import HTTPConnection

from qms.booking.people import PersonHasher
from qms.core.booking import Booking, BookingState, Slot
from qms.core.errors import NotFound
from qms.core.ledger import BookingLedger
from qms.core.nearby import Candidate, HallSite, NeighbourHall, Suggestion, nearest
from qms.service.booking import BookingService

from .state import web_state

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed at a kiosk
CODE_LENGTH = 8


@dataclass(frozen=True, slots=True)
class BookingDesk:
    service: BookingService
    hasher: PersonHasher
    site: HallSite = field(default_factory=HallSite)
    neighbours: tuple[NeighbourHall, ...] = ()


def new_code() -> str:
    """A random booking code: 8 characters, 40 bits, hard to guess, easy to type."""
    bits = int.from_bytes(secrets.token_bytes(5), "big")  # 40 random bits, 5 per character
    return "".join(CODE_ALPHABET[(bits >> (5 * i)) & 31] for i in range(CODE_LENGTH))


def booking_desk(conn: HTTPConnection) -> BookingDesk:
    """The booking desk of the hall in the path: 404 unknown_hall, or 404 booking_not_offered."""
    hall_id = conn.path_params["hall"]
    state = web_state(conn)
    if hall_id not in state.services:
        raise NotFound(f"there is no hall {hall_id!r}", code="unknown_hall")
    desk = state.bookings.get(hall_id)
    if desk is None:
        raise NotFound(f"hall {hall_id!r} takes no online bookings", code="booking_not_offered")
    return desk


def booking_view(ledger: BookingLedger, booking: Booking) -> dict[str, Any]:
    """A booking as its holder sees it (masked identifiers only)."""
    service = ledger.hall.service(booking.service)
    policy = ledger.hall.policy
    start, end = ledger.local(booking.start), ledger.local(booking.end)
    return {
        "code": booking.code,
        "hall": ledger.hall.id,
        "hall_name": ledger.hall.name,
        "service": booking.service,
        "service_name": service.name if service else booking.service,
        "service_name_en": service.name_en if service else "",
        "date": start.date().isoformat(),
        "start": f"{start:%H:%M}",
        "end": f"{end:%H:%M}",
        "starts_at": start.isoformat(),
        "ends_at": end.isoformat(),
        "state": booking.state.value,
        "id_masked": booking.id_masked,
        "phone_masked": booking.phone_masked,
        "channel": booking.channel.value,
        "made_at": booking.made_at.isoformat(),
        "cancel_until": (start - timedelta(minutes=ledger.rules.cancel_cutoff_minutes)).isoformat(),
        "check_in_from": (start - timedelta(minutes=policy.booking_early_minutes)).isoformat(),
        "check_in_until": (start + timedelta(minutes=policy.booking_late_minutes)).isoformat(),
        "ticket_id": booking.ticket_id,
        "late": booking.late,
        "cancellable": booking.state is BookingState.BOOKED,
    }


def slot_view(ledger: BookingLedger, slot: Slot, now: datetime) -> dict[str, Any]:
    start, end = ledger.local(slot.start), ledger.local(slot.end)
    return {
        "start": f"{start:%H:%M}",
        "end": f"{end:%H:%M}",
        "starts_at": start.isoformat(),
        "capacity": slot.capacity,
        "booked": slot.booked,
        "free": slot.free,
        "past": slot.start <= now,
    }


def free_on(desk: BookingDesk, service: str, day: date) -> int | None:
    """Free places of `service` at a hall on `day`; None when it does not book the service."""
    ledger = desk.service.ledger
    if ledger.rules.bookable(service) is None:
        return None
    now = desk.service.now()
    if day not in ledger.days(desk.service.calendar, now):
        return 0
    return sum(s.free for s in ledger.slots(service, day, desk.service.calendar) if s.start > now)


def nearby(conn: HTTPConnection, desk: BookingDesk, service: str, day: date) -> list[Suggestion]:
    """Other halls of the city with free slots for `service` on `day` (see qms.core.nearby)."""
    candidates: list[Candidate] = []
    for hall_id, other in web_state(conn).bookings.items():
        if hall_id == desk.service.id:
            continue
        free = free_on(other, service, day)
        if free is not None:
            config = other.service.hall_service.config
            candidates.append(Candidate(hall_id, config.name, other.site, free, f"/book/{hall_id}"))
    for n in desk.neighbours:
        if service in n.services and n.id not in {c.id for c in candidates}:
            candidates.append(Candidate(n.id, n.name, n.site, None, n.url))
    return nearest(desk.site, candidates)


def suggestion_view(s: Suggestion) -> dict[str, Any]:
    return {
        "hall": s.id,
        "name": s.name,
        "district": s.district,
        "distance_km": s.distance_km,
        "free": s.free,
        "url": s.url,
    }
