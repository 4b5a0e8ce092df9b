"""Online booking (预约) as values: the rules a hall sets, bookings, blacklist entries, events.

The reference is Guangzhou Yuexiu's social-security booking (DOMAIN.md): citizens book a
time slot over the next working days by ID number and phone, check in at the dispenser, and
lose booking rights after repeated no-shows. Everything here is a frozen value; the state
machine that decides is `ledger.BookingLedger`, the calendar rules are in `workdays`.

A person is named by `person`: a keyed hash of the ID number made outside the core (the
core never sees a key or a plain number after validation), plus the masked ID and phone
for display.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from .errors import ConfigError
from .value import value


class LateCheckIn(StrEnum):
    """What a check-in after the booking window (but before the slot ends) gets."""

    ORDINARY = "ordinary"  # an ordinary ticket, without booking priority
    REFUSE = "refuse"  # no ticket: the citizen takes one at the dispenser like everyone


class BookingState(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    CHECKED_IN = "checked_in"
    MISSED = "missed"  # no check-in by the end of the slot: a no-show (爽约)


class BookingChannel(StrEnum):
    WEB = "web"  # the booking page or the API
    PHONE = "phone"  # booked by a call-centre agent (12345) on the citizen's behalf


class BlacklistReason(StrEnum):
    NO_SHOWS = "no_shows"
    CANCELLATIONS = "cancellations"


@value
class BookableService:
    """A service citizens may book. Capacity per slot is `capacity`, or else `share` of the
    day's `expected_daily` calls spread over the day's slots (Yuexiu: about 28%)."""

    service: str
    slot_minutes: int = 60
    capacity: int | None = None
    share: float | None = None
    expected_daily: int | None = None


@value
class BookingRules:
    """A hall's booking settings; the defaults follow DOMAIN.md.

    Limits count a person's bookings that were not cancelled. `max_no_shows`: more no-shows
    than this within `no_show_days` puts a person on the blacklist; `max_cancellations`: more
    cancellations than this in one calendar month does the same (defaults: the 4th no-show in
    30 days, the 5th cancellation in a month).
    """

    services: tuple[BookableService, ...] = ()
    horizon_days: int = 5  # working days open for booking
    lead_days: int = 1  # the first bookable day is this many days after today
    cancel_cutoff_minutes: int = 120
    late_check_in: LateCheckIn = LateCheckIn.ORDINARY
    per_day: int = 1
    per_week: int = 3
    per_month: int = 6
    per_service_day: int = 1  # K: bookings of one service a day
    max_no_shows: int = 3
    no_show_days: int = 30
    max_cancellations: int = 4
    blacklist_days: int = 30

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for s in self.services:
            if s.service in seen:
                raise ConfigError(f"booking: service {s.service!r} is listed twice")
            seen.add(s.service)
            if not 5 <= s.slot_minutes <= 24 * 60:
                raise ConfigError(f"booking: service {s.service!r}: slot_minutes must be from 5 to 1440")
            if (s.capacity is None) == (s.share is None):
                raise ConfigError(f"booking: service {s.service!r}: give capacity or share, exactly one")
            if s.capacity is not None and s.capacity < 0:
                raise ConfigError(f"booking: service {s.service!r}: capacity must not be negative")
            if s.share is not None and (not 0 < s.share <= 1 or not s.expected_daily or s.expected_daily < 1):
                raise ConfigError(
                    f"booking: service {s.service!r}: share must be in (0, 1] with expected_daily of at least 1"
                )
        counts = (self.horizon_days, self.per_day, self.per_week, self.per_month, self.per_service_day)
        if min(counts) < 1 or self.lead_days < 0 or self.cancel_cutoff_minutes < 0:
            raise ConfigError("booking: horizon and limits must be at least 1, lead_days and cutoff not negative")
        if self.max_no_shows < 0 or self.max_cancellations < 0 or min(self.no_show_days, self.blacklist_days) < 1:
            raise ConfigError("booking: credit limits must not be negative, periods at least 1 day")

    def bookable(self, service: str) -> BookableService | None:
        for s in self.services:
            if s.service == service:
                return s
        return None


@value
class Slot:
    """One bookable time slot of a service, with its capacity and how many are taken."""

    service: str
    start: datetime
    end: datetime
    capacity: int
    booked: int = 0

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.booked)


@value
class Booking:
    """A booking as it stands now; `code` is what the citizen shows at check-in."""

    code: str
    service: str
    start: datetime
    end: datetime
    person: str  # keyed hash of the ID number: limits and blacklist, never shown
    id_masked: str
    phone_masked: str
    channel: BookingChannel
    made_at: datetime
    state: BookingState = BookingState.BOOKED
    changed_at: datetime | None = None
    cancelled_by: str = ""  # "citizen", or the staff member who cancelled for the hall
    ticket_id: str | None = None  # the hall ticket of the check-in
    late: bool = False  # checked in after the booking window: no booking priority


@value
class BlacklistEntry:
    """A person who lost booking rights from `since` until `until` (or until lifted by staff)."""

    person: str
    id_masked: str
    reason: BlacklistReason
    since: datetime
    until: datetime
    count: int  # the no-shows or cancellations that led here
    lifted_at: datetime | None = None
    lifted_by: str = ""
    lift_reason: str = ""

    def active(self, now: datetime) -> bool:
        return self.lifted_at is None and self.since <= now < self.until


# -- events ------------------------------------------------------------------------------


@value
class BookingMade:
    booking: Booking
    at: datetime


@value
class BookingCancelled:
    code: str
    at: datetime
    by: str = "citizen"  # "citizen" counts against the person's credit; staff do not


@value
class BookingCheckedIn:
    code: str
    at: datetime
    ticket_id: str
    late: bool


@value
class BookingMissed:
    """No check-in by the end of the slot: a no-show counted against the person."""

    code: str
    at: datetime


@value
class NoShowWarned:
    """A warning to send (SMS) after a no-show that did not yet blacklist the person."""

    person: str
    code: str
    phone_masked: str
    no_shows: int  # within the counting period, this one included
    at: datetime


@value
class PersonBlacklisted:
    entry: BlacklistEntry
    at: datetime


@value
class BlacklistLifted:
    person: str
    since: datetime  # names the entry
    at: datetime
    by: str
    reason: str


BookingEvent = (
    BookingMade
    | BookingCancelled
    | BookingCheckedIn
    | BookingMissed
    | NoShowWarned
    | PersonBlacklisted
    | BlacklistLifted
)

BOOKING_EVENT_TYPES: dict[str, type[BookingEvent]] = {
    cls.__name__: cls
    for cls in (
        BookingMade,
        BookingCancelled,
        BookingCheckedIn,
        BookingMissed,
        NoShowWarned,
        PersonBlacklisted,
        BlacklistLifted,
    )
}
