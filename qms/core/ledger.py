"""The booking ledger of one hall: the pure state machine of online booking.

Theory of operation

- State: the hall's bookings (by code, by person, booked count per slot) and blacklist
  entries. Methods that change it (`book`, `cancel`, `check_in`, `lift`, `advance`) check
  everything first, then build events and apply them; a refusal raises a `QmsError` with a
  stable code and changes nothing. `apply` is also how a stored history is read back.
- Time and the calendar are arguments: `now` (timezone-aware) and a `WorkingDays`.
- Limits count a person's bookings that were not cancelled (booked, checked in, missed):
  `per_day` and `per_service_day` on the slot's day, `per_week` in its ISO week, `per_month`
  in its calendar month.
- Check-in is two steps because the ticket comes from the hall core: `plan_check_in` says
  whether the booking may check in now and whether it is late; the caller issues the hall
  ticket and records it with `check_in`. The window is the hall policy's
  `booking_early_minutes` before the slot to `booking_late_minutes` after it (as
  `issuing.issue_ticket` grants booking priority); after that and until the slot ends a
  check-in gets an ordinary ticket or is refused (`late_check_in`).
- No-shows: a booking not checked in by its deadline (the end of the slot, or the end of the
  on-time window if that is later) becomes MISSED in `advance`; `next_deadline` tells the
  actor when. A no-show beyond `max_no_shows` within `no_show_days` blacklists the person
  for `blacklist_days`; any other no-show records a warning to send. The same for
  cancellations beyond `max_cancellations` in a calendar month.
"""

from __future__ import annotations

import heapq
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from . import booking as b
from .booking import BlacklistEntry, BlacklistReason, Booking, BookingChannel, BookingRules, BookingState, Slot
from .errors import Conflict, InvalidInput, NotFound, Refused
from .model import HallConfig, evolve
from .value import value
from .workdays import WorkingDays, booking_days, booking_hours, slot_capacities, slot_times

COUNTED = frozenset({BookingState.BOOKED, BookingState.CHECKED_IN, BookingState.MISSED})
KEEP_DAYS = 62  # bookings older than this no longer count for any rule


@value
class MakeBooking:
    """Book `service` at the slot starting at `start` for a person (already validated)."""

    service: str
    start: datetime
    person: str
    id_masked: str
    phone_masked: str
    code: str  # chosen by the caller (random); a taken code is refused, the caller retries
    channel: BookingChannel = BookingChannel.WEB


@value
class CheckInPlan:
    booking: Booking
    late: bool  # an ordinary ticket, no booking priority


class BookingLedger:
    """See the module docstring."""

    def __init__(self, hall: HallConfig, rules: BookingRules) -> None:
        self.hall = hall
        self.rules = rules
        self.tz = ZoneInfo(hall.timezone)
        self.bookings: dict[str, Booking] = {}
        self._by_person: dict[str, list[str]] = {}
        self._booked: dict[tuple[str, datetime], int] = {}
        self.blacklist: dict[str, list[BlacklistEntry]] = {}
        self._deadlines: list[tuple[datetime, str]] = []
        # a day's slot times and capacities, by (service, day, working): the hall's hours never
        # change while it runs, the calendar only through `working`, which is part of the key
        self._times: dict[tuple[str, date, bool], list[tuple[datetime, datetime, int]]] = {}
        self._forgot_on: date | None = None
        for s in rules.services:
            if hall.service(s.service) is None:
                raise InvalidInput(f"booking: unknown service {s.service!r}", code="unknown_service")

    # -- reading ---------------------------------------------------------------------------

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def booking(self, code: str) -> Booking:
        found = self.bookings.get(code.strip().upper())
        if found is None:
            raise NotFound(f"there is no booking {code!r} at this hall", code="unknown_booking")
        return found

    def of_person(self, person: str) -> list[Booking]:
        """A person's bookings, oldest slot first."""
        return sorted((self.bookings[c] for c in self._by_person.get(person, ())), key=lambda x: x.start)

    def blacklisted(self, person: str, now: datetime) -> BlacklistEntry | None:
        for entry in self.blacklist.get(person, ()):
            if entry.active(now):
                return entry
        return None

    def entries(self) -> list[BlacklistEntry]:
        return sorted((e for es in self.blacklist.values() for e in es), key=lambda e: e.since)

    def days(self, calendar: WorkingDays, now: datetime) -> list[date]:
        """The days open for booking now."""
        return booking_days(calendar, self.local(now).date(), self.rules.lead_days, self.rules.horizon_days)

    def slots(self, service: str, day: date, calendar: WorkingDays) -> list[Slot]:
        """The slots of `service` on `day` with capacity and bookings (empty on a day off)."""
        bookable = self._bookable(service)
        working = calendar.is_working_day(day)
        times = self._times.get((service, day, working))
        if times is None:
            cut = slot_times(booking_hours(self.hall.hours, day, working), day, self.tz, bookable.slot_minutes)
            caps = slot_capacities(bookable, len(cut))
            times = [(start, end, cap) for (start, end), cap in zip(cut, caps, strict=True)]
            if len(self._times) > 1000:  # days long past: start again rather than grow
                self._times.clear()
            self._times[(service, day, working)] = times
        return [Slot(service, start, end, cap, self._booked.get((service, start), 0)) for start, end, cap in times]

    def deadline(self, booking: Booking) -> datetime:
        """When a booking not checked in becomes a no-show."""
        on_time = booking.start + timedelta(minutes=self.hall.policy.booking_late_minutes)
        return max(booking.end, on_time)

    def next_deadline(self) -> datetime | None:
        while self._deadlines:
            at, code = self._deadlines[0]
            found = self.bookings.get(code)
            if found is not None and found.state is BookingState.BOOKED and self.deadline(found) == at:
                return at
            heapq.heappop(self._deadlines)
        return None

    # -- deciding --------------------------------------------------------------------------

    def book(self, cmd: MakeBooking, now: datetime, calendar: WorkingDays) -> list[b.BookingEvent]:
        """Book a slot, or raise: unknown_service, service_not_bookable, blacklisted,
        slot_past, not_a_working_day, outside_booking_window, unknown_slot, duplicate_booking,
        the limits (daily/service_daily/weekly/monthly_limit_reached), slot_full."""
        self._bookable(cmd.service)
        entry = self.blacklisted(cmd.person, now)
        if entry is not None:
            raise Refused(
                f"booking is suspended for this ID number until {self.local(entry.until):%Y-%m-%d} "
                f"after repeated {'no-shows' if entry.reason is BlacklistReason.NO_SHOWS else 'cancellations'}",
                code="blacklisted",
            )
        start = self.local(cmd.start)
        day = start.date()
        if cmd.start <= now:
            raise Refused(f"the slot at {start:%Y-%m-%d %H:%M} has begun or passed", code="slot_past")
        if not calendar.is_working_day(day):
            raise Refused(f"{day} is not a working day: no bookings", code="not_a_working_day")
        if day not in self.days(calendar, now):
            raise Refused(
                f"{day} is not open for booking: from {self.rules.lead_days} day(s) ahead, "
                f"over the next {self.rules.horizon_days} working days",
                code="outside_booking_window",
            )
        slot = next((s for s in self.slots(cmd.service, day, calendar) if s.start == cmd.start), None)
        if slot is None:
            raise NotFound(f"{cmd.service} has no slot starting at {start:%Y-%m-%d %H:%M}", code="unknown_slot")
        mine = [x for x in self.of_person(cmd.person) if x.state in COUNTED]
        if any(x.service == cmd.service and x.start == cmd.start and x.state is BookingState.BOOKED for x in mine):
            raise Conflict("this ID number already holds this booking", code="duplicate_booking")
        self._check_limits(cmd, day, mine)
        if slot.free <= 0:
            raise Refused(f"the slot at {start:%Y-%m-%d %H:%M} is fully booked", code="slot_full")
        code = cmd.code.strip().upper()
        if not code or code in self.bookings:
            raise Conflict("this booking code is taken; choose another", code="booking_code_taken")
        made = Booking(
            code=code,
            service=cmd.service,
            start=slot.start,
            end=slot.end,
            person=cmd.person,
            id_masked=cmd.id_masked,
            phone_masked=cmd.phone_masked,
            channel=cmd.channel,
            made_at=now,
        )
        return self._emit([b.BookingMade(made, now)])

    def cancel(self, code: str, now: datetime, by: str = "citizen") -> list[b.BookingEvent]:
        """Cancel a booking until `cancel_cutoff_minutes` before its slot (staff: any time
        before it starts); a citizen's cancellation counts toward the blacklist."""
        found = self.booking(code)
        if found.state is not BookingState.BOOKED:
            raise Conflict(f"booking {found.code} is {found.state.value}: nothing to cancel", code="not_cancellable")
        cutoff = found.start - timedelta(minutes=self.rules.cancel_cutoff_minutes if by == "citizen" else 0)
        if now > cutoff:
            raise Refused(
                f"bookings can be cancelled until {self.rules.cancel_cutoff_minutes} minutes before the slot",
                code="cancel_too_late",
            )
        events: list[b.BookingEvent] = [b.BookingCancelled(found.code, now, by)]
        if by == "citizen":
            month = self.local(now).date().replace(day=1)
            count = 1 + sum(
                1
                for x in self.of_person(found.person)
                if x.state is BookingState.CANCELLED
                and x.cancelled_by == "citizen"
                and x.changed_at is not None
                and self.local(x.changed_at).date().replace(day=1) == month
            )
            if count > self.rules.max_cancellations and self.blacklisted(found.person, now) is None:
                events.append(self._blacklist(found, BlacklistReason.CANCELLATIONS, count, now))
        return self._emit(events)

    def plan_check_in(self, code: str, now: datetime) -> CheckInPlan:
        """Whether booking `code` may check in now, and whether it is late; raises
        booking_cancelled, booking_missed, booking_too_early, booking_late."""
        found = self.booking(code)
        if found.state is BookingState.CANCELLED:
            raise Conflict(f"booking {found.code} was cancelled", code="booking_cancelled")
        if found.state is BookingState.CHECKED_IN:
            return CheckInPlan(found, found.late)  # a repeated check-in answers the same ticket
        if found.state is BookingState.MISSED or now >= self.deadline(found):
            raise Refused(
                f"the slot of booking {found.code} has ended; please take an ordinary ticket", code="booking_missed"
            )
        policy = self.hall.policy
        if now < found.start - timedelta(minutes=policy.booking_early_minutes):
            raise Refused(
                f"check-in opens {policy.booking_early_minutes:.0f} minutes before "
                f"{self.local(found.start):%Y-%m-%d %H:%M}",
                code="booking_too_early",
            )
        late = now > found.start + timedelta(minutes=policy.booking_late_minutes)
        if late and self.rules.late_check_in is b.LateCheckIn.REFUSE:
            raise Refused(
                f"check-in closed {policy.booking_late_minutes:.0f} minutes after the booked time; "
                "please take an ordinary ticket",
                code="booking_late",
            )
        return CheckInPlan(found, late)

    def code_for_person(self, person: str, now: datetime) -> str:
        """The booking a person checks in with by ID number: today's open booking nearest now."""
        today = self.local(now).date()
        candidates = [
            x
            for x in self.of_person(person)
            if x.state in (BookingState.BOOKED, BookingState.CHECKED_IN) and self.local(x.start).date() == today
        ]
        if not candidates:
            raise NotFound("this ID number has no booking here today", code="no_booking_today")
        return min(candidates, key=lambda x: abs(x.start - now)).code

    def check_in(self, code: str, ticket_id: str, late: bool, now: datetime) -> list[b.BookingEvent]:
        """Record the check-in of a planned booking with the hall ticket it got."""
        found = self.booking(code)
        if found.state is BookingState.CHECKED_IN:
            return []
        return self._emit([b.BookingCheckedIn(found.code, now, ticket_id, late)])

    def lift(self, person: str, by: str, reason: str, now: datetime) -> list[b.BookingEvent]:
        """Staff lift a person's active blacklist entry, with the reason recorded."""
        if not reason.strip():
            raise InvalidInput("lifting a blacklist entry needs a reason", code="reason_required")
        if len(reason) > 200:
            raise InvalidInput("a reason has at most 200 characters", code="reason_too_long")
        entry = self.blacklisted(person, now)
        if entry is None:
            raise NotFound("this person is not on the blacklist", code="not_blacklisted")
        return self._emit([b.BlacklistLifted(person, entry.since, now, by, reason.strip())])

    def advance(self, now: datetime) -> list[b.BookingEvent]:
        """No-shows whose deadline has come, with the warnings and blacklist entries they bring.

        Also forgets, once a day, bookings too old to count for any rule (they stay stored)."""
        self._forget_before(now - timedelta(days=KEEP_DAYS))
        events: list[b.BookingEvent] = []
        while (at := self.next_deadline()) is not None and at <= now:
            _, code = heapq.heappop(self._deadlines)
            missed = self.bookings[code]
            step: list[b.BookingEvent] = [b.BookingMissed(code, at)]
            since = at - timedelta(days=self.rules.no_show_days)
            count = 1 + sum(
                1 for x in self.of_person(missed.person) if x.state is BookingState.MISSED and x.start > since
            )
            if self.blacklisted(missed.person, at) is None:  # a blacklisted person is neither warned nor listed again
                if count > self.rules.max_no_shows:
                    step.append(self._blacklist(missed, BlacklistReason.NO_SHOWS, count, at))
                else:
                    step.append(b.NoShowWarned(missed.person, code, missed.phone_masked, count, at))
            events.extend(self._emit(step))
        return events

    # -- applying --------------------------------------------------------------------------

    def apply(self, event: b.BookingEvent) -> None:
        """Change the state by one event (also used to read a stored history back)."""
        if isinstance(event, b.BookingMade):
            self._put(event.booking)
        elif isinstance(event, b.BookingCancelled):
            self._put(
                evolve(
                    self.bookings[event.code], state=BookingState.CANCELLED, changed_at=event.at, cancelled_by=event.by
                )
            )
        elif isinstance(event, b.BookingCheckedIn):
            found = self.bookings[event.code]
            self._put(
                evolve(
                    found,
                    state=BookingState.CHECKED_IN,
                    changed_at=event.at,
                    ticket_id=event.ticket_id,
                    late=event.late,
                )
            )
        elif isinstance(event, b.BookingMissed):
            self._put(evolve(self.bookings[event.code], state=BookingState.MISSED, changed_at=event.at))
        elif isinstance(event, b.PersonBlacklisted):
            self.put_entry(event.entry)
        elif isinstance(event, b.BlacklistLifted):
            entries = self.blacklist.get(event.person, [])
            for i, entry in enumerate(entries):
                if entry.since == event.since:
                    entries[i] = evolve(entry, lifted_at=event.at, lifted_by=event.by, lift_reason=event.reason)
        # NoShowWarned changes nothing here: it is a notice to send

    def load(self, bookings: list[Booking], entries: list[BlacklistEntry]) -> None:
        """Put stored bookings and blacklist entries back (after a restart)."""
        for found in bookings:
            self._put(found)
        for entry in entries:
            self.put_entry(entry)

    def put_entry(self, entry: BlacklistEntry) -> None:
        entries = self.blacklist.setdefault(entry.person, [])
        entries[:] = [e for e in entries if e.since != entry.since] + [entry]

    # -- helpers ---------------------------------------------------------------------------

    def _forget_before(self, cutoff: datetime) -> None:
        day = cutoff.date()
        if self._forgot_on == day:
            return
        self._forgot_on = day
        old = [x for x in self.bookings.values() if x.end < cutoff and x.state is not BookingState.BOOKED]
        for x in old:
            del self.bookings[x.code]
            codes = self._by_person.get(x.person, [])
            codes.remove(x.code)
            if not codes:
                self._by_person.pop(x.person, None)
            self._booked.pop((x.service, x.start), None)
        for person in [p for p, es in self.blacklist.items() if all(e.until < cutoff for e in es)]:
            del self.blacklist[person]

    def _bookable(self, service: str) -> b.BookableService:
        if self.hall.service(service) is None:
            raise NotFound(f"this hall has no service {service!r}", code="unknown_service")
        bookable = self.rules.bookable(service)
        if bookable is None:
            raise Refused(f"{service} cannot be booked online at this hall", code="service_not_bookable")
        return bookable

    def _check_limits(self, cmd: MakeBooking, day: date, mine: list[Booking]) -> None:
        r = self.rules
        days = [self.local(x.start).date() for x in mine]
        same_day = sum(1 for d in days if d == day)
        if same_day >= r.per_day:
            raise Refused(f"at most {r.per_day} booking(s) per person a day", code="daily_limit_reached")
        same_service = sum(1 for x, d in zip(mine, days, strict=True) if d == day and x.service == cmd.service)
        if same_service >= r.per_service_day:
            raise Refused(
                f"at most {r.per_service_day} booking(s) of one service a day", code="service_daily_limit_reached"
            )
        week = day.isocalendar()[:2]
        if sum(1 for d in days if d.isocalendar()[:2] == week) >= r.per_week:
            raise Refused(f"at most {r.per_week} bookings per person a week", code="weekly_limit_reached")
        if sum(1 for d in days if (d.year, d.month) == (day.year, day.month)) >= r.per_month:
            raise Refused(f"at most {r.per_month} bookings per person a month", code="monthly_limit_reached")

    def _blacklist(self, about: Booking, reason: BlacklistReason, count: int, now: datetime) -> b.PersonBlacklisted:
        until = now + timedelta(days=self.rules.blacklist_days)
        return b.PersonBlacklisted(BlacklistEntry(about.person, about.id_masked, reason, now, until, count), now)

    def _emit(self, events: list[b.BookingEvent]) -> list[b.BookingEvent]:
        for event in events:
            self.apply(event)
        return events

    def _put(self, found: Booking) -> None:
        old = self.bookings.get(found.code)
        if old is None:
            self._by_person.setdefault(found.person, []).append(found.code)
        elif old.state in COUNTED:
            key = (old.service, old.start)
            self._booked[key] = self._booked.get(key, 0) - 1
        self.bookings[found.code] = found
        if found.state in COUNTED:
            key = (found.service, found.start)
            self._booked[key] = self._booked.get(key, 0) + 1
        if found.state is BookingState.BOOKED:
            heapq.heappush(self._deadlines, (self.deadline(found), found.code))
