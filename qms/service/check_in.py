"""Check-in of a booking, the one way in for every place a citizen checks in.

The API (`POST .../check-in`) and the dispenser (`evt/checkin` over MQTT) both come here, so
the rules are the booking actor's alone (`qms.service.booking`: the window around the slot,
booking priority on time, an ordinary ticket or a refusal when late, the same ticket for a
repeated check-in). This module only turns "a code or an ID number" into the actor's request.
"""

from __future__ import annotations

from typing import Protocol

from qms.core.errors import InvalidInput

from .booking import BookingService, CheckedIn, CheckIn


class PersonKeys(Protocol):
    """What check-in needs of the ID hasher (`qms.booking.people.PersonHasher` fits)."""

    def key(self, id_number: str) -> str: ...


class CheckInDesk(Protocol):
    """A hall's booking actor with its hasher (`qms.web.booking_desk.BookingDesk` fits)."""

    @property
    def service(self) -> BookingService: ...

    @property
    def hasher(self) -> PersonKeys: ...


async def check_in(
    desk: CheckInDesk, *, code: str | None = None, id_number: str | None = None, actor: str = "booking"
) -> CheckedIn:
    """Check in the booking `code`, or today's booking of the holder of `id_number` (exactly
    one of them); raises the booking's QmsError (unknown_booking, booking_too_early, booking_late,
    booking_missed, booking_cancelled, no_booking_today, invalid_id_number, check_in_needs_code)."""
    if (code is None) == (id_number is None):
        raise InvalidInput("give the booking code or the ID number, one of them", code="check_in_needs_code")
    person = desk.hasher.key(id_number) if id_number is not None else None  # validates it fully
    done: CheckedIn = await desk.service.submit(CheckIn(code=code, person=person, id_number=id_number, actor=actor))
    return done
