"""The booking actor: the single writer of one hall's online bookings.

Why a separate actor and not more commands of the hall core: the hall core and its log are
scoped to one business day (`Store.load_events` reads back from the last DayOpened), while
bookings live for weeks: made days ahead, counted for a month of credit rules, blacklists
that outlast them. So booking has its own pure state machine (`qms.core.ledger`), its own
tables, and this actor, built the same way as `HallService`: one queue, one task; the
commands waiting are handled as a batch, stored in one transaction, and only then answered,
so concurrent requests can never overbook a slot or pass a person's limits, and nothing
acknowledged is lost. The two meet at check-in only: the actor asks the hall actor for a
ticket (`IssueTicket` with `Channel.BOOKING`, idempotent by a request key made from the
booking code, so a check-in retried after a crash gets the same ticket) and then records the
check-in. No-shows come from the ledger's deadlines, like the hall's timers.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from qms.core import booking as b
from qms.core.commands import IssueTicket
from qms.core.errors import InvalidInput, QmsError
from qms.core.events import TicketIssued
from qms.core.ledger import KEEP_DAYS, BookingLedger, MakeBooking
from qms.core.model import Channel, Ticket
from qms.core.workdays import WorkingDays
from qms.storage.bookings import BookingRecord, Override, SqliteBookingStore

from .actor import HallService
from .writer import SingleWriter


class Calendar(WorkingDays, Protocol):
    """The statutory calendar with its editable overrides (`qms.booking.calendar`)."""

    def set_override(self, day: date, working: bool | None) -> None: ...

    def provisional(self, day: date) -> bool: ...


@dataclass(frozen=True, slots=True)
class Book:
    command: MakeBooking
    request_key: str | None = None


@dataclass(frozen=True, slots=True)
class Cancel:
    code: str
    by: str = "citizen"


@dataclass(frozen=True, slots=True)
class CheckIn:
    """By booking code, or by a person's key (check-in with the ID number)."""

    code: str | None = None
    person: str | None = None
    id_number: str | None = None  # passed on to the hall ticket (elderly class when late)
    actor: str = "booking"


@dataclass(frozen=True, slots=True)
class Lift:
    person: str
    by: str
    reason: str


@dataclass(frozen=True, slots=True)
class SetWorkday:
    day: date
    working: bool | None  # None: remove the override
    note: str
    by: str


Request = Book | Cancel | CheckIn | Lift | SetWorkday


@dataclass(frozen=True, slots=True)
class CheckedIn:
    booking: b.Booking
    ticket: Ticket


@dataclass(slots=True)
class _Pending:
    request: Request
    reply: asyncio.Future[Any] = field(repr=False)


class BookingService(SingleWriter[_Pending]):
    """Owns one hall's `BookingLedger`; see the module docstring."""

    what = "booking"

    def __init__(
        self,
        hall: HallService,
        rules: b.BookingRules,
        store: SqliteBookingStore,
        calendar: Calendar,
        batch_max: int = 512,
    ) -> None:
        super().__init__(batch_max)
        self.hall_service = hall
        self.rules = rules
        self.store = store
        self.calendar = calendar
        self.ledger = BookingLedger(hall.config, rules)

    @property
    def id(self) -> str:
        return self.hall_service.id

    def now(self) -> datetime:
        return self.hall_service.now()

    async def start(self) -> None:
        """Load the calendar overrides and the bookings, mark no-shows missed while down, start."""
        for o in await self.store.overrides():
            self.calendar.set_override(o.day, o.working)
        await self._rebuild()
        now = self.now()
        events = self.ledger.advance(now)
        if events:
            await self.store.append(self.id, [self._record(now, events)])
        self._start_task(f"booking-{self.id}")

    async def submit(self, request: Request) -> Any:
        """Run a request through the ledger; answers once what it changed is stored.

        Book -> Booking, Cancel -> Booking, CheckIn -> CheckedIn, Lift -> BlacklistEntry,
        SetWorkday -> None. Raises the core's QmsError when refused (nothing changed).
        """
        reply: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        return await self._submit(_Pending(request, reply))

    async def committed(self) -> BookingLedger:
        """The ledger as stored (waits out a batch between handling and storing)."""
        await self._wait_settled()
        self._follow_layout()
        return self.ledger

    def _follow_layout(self) -> None:
        """After the hall's layout or the booking rules changed (the admin pages), make the ledger
        anew over the same bookings: its slots are cut from the hall's hours and the rules, and it
        remembers them."""
        config = self.hall_service.config
        if self.ledger.hall is config and self.ledger.rules is self.rules:
            return
        ledger = BookingLedger(config, self.rules)
        ledger.load(list(self.ledger.bookings.values()), [e for es in self.ledger.blacklist.values() for e in es])
        self.ledger = ledger

    # -- the writer task -------------------------------------------------------------------

    async def _rebuild(self) -> None:
        ledger = BookingLedger(self.hall_service.config, self.rules)
        bookings, entries = await self.store.load(self.id, self.now() - timedelta(days=KEEP_DAYS))
        ledger.load(bookings, entries)
        self.ledger = ledger

    def _deadline(self) -> datetime | None:
        return self.ledger.next_deadline()

    async def _handle_batch(self, batch: list[_Pending]) -> None:
        self._follow_layout()
        now = self.now()
        records: list[BookingRecord] = []
        answers: list[tuple[_Pending, Any]] = []
        ticks = self.ledger.advance(now)
        if ticks:
            records.append(self._record(now, ticks))
        keys: dict[str, str] = {}
        for pending in batch:
            try:
                answer = await self._handle(pending.request, now, records, keys)
            except QmsError as err:
                answer = err
            answers.append((pending, answer))
        await self._store_and_answer(self.store.append(self.id, records) if records else None, answers)

    async def _handle(self, request: Request, now: datetime, records: list[BookingRecord], keys: dict[str, str]) -> Any:
        ledger = self.ledger
        if isinstance(request, Book):
            key = request.request_key
            if key is not None:
                earlier = keys.get(key) or await self.store.response_for(self.id, key)
                if earlier is not None:
                    return ledger.booking(json.loads(earlier)["code"])
            events = ledger.book(request.command, now, self.calendar)
            made = ledger.booking(request.command.code)
            response = None
            if key is not None:
                response = keys[key] = json.dumps({"code": made.code})
            records.append(self._record(now, events, request_key=key, response=response))
            return made
        if isinstance(request, Cancel):
            events = ledger.cancel(request.code, now, request.by)
            records.append(self._record(now, events))
            return ledger.booking(request.code)
        if isinstance(request, CheckIn):
            return await self._check_in(request, now, records)
        if isinstance(request, Lift):
            entry = ledger.blacklisted(request.person, now)
            events = ledger.lift(request.person, request.by, request.reason, now)
            records.append(self._record(now, events))
            assert entry is not None
            return next(e for e in ledger.blacklist[request.person] if e.since == entry.since)
        if request.day < now.date() - timedelta(days=1):
            raise InvalidInput("past days cannot be changed", code="day_past")
        if len(request.note) > 200:
            raise InvalidInput("a note has at most 200 characters", code="note_too_long")
        override = (
            None if request.working is None else Override(request.day, request.working, request.note, request.by, now)
        )
        await self.store.set_override(override, request.day)
        self.calendar.set_override(request.day, request.working)
        return None

    async def _check_in(self, request: CheckIn, now: datetime, records: list[BookingRecord]) -> CheckedIn:
        ledger = self.ledger
        if request.code is not None:
            code = request.code
        elif request.person is not None:
            code = ledger.code_for_person(request.person, now)
        else:
            raise InvalidInput("check in with a booking code or an ID number", code="check_in_needs_code")
        plan = ledger.plan_check_in(code, now)
        found = plan.booking
        command = IssueTicket(
            service=found.service,
            channel=Channel.BOOKING,
            appointment_at=found.start,
            id_number=request.id_number,
            note=f"预约 {found.code}",
            actor=request.actor,
        )
        events = await self.hall_service.submit(
            command, actor=request.actor, request_key=f"booking-check-in:{found.code}"
        )
        issued = next((e for e in events if isinstance(e, TicketIssued)), None)
        if issued is None:
            raise InvalidInput("the check-in's ticket key answered no ticket", code="idempotency_key_reused")
        hall = await self.hall_service.committed()
        try:
            ticket = hall.ticket(issued.ticket.id)
        except QmsError:
            ticket = issued.ticket
        booking_events = ledger.check_in(found.code, ticket.id, plan.late, now)
        if booking_events:
            records.append(self._record(now, booking_events))
        return CheckedIn(ledger.booking(found.code), ticket)

    def _record(
        self, now: datetime, events: list[b.BookingEvent], request_key: str | None = None, response: str | None = None
    ) -> BookingRecord:
        bookings: dict[str, b.Booking] = {}
        entries: dict[tuple[str, datetime], b.BlacklistEntry] = {}
        for event in events:
            code = getattr(event, "code", None)
            if isinstance(event, b.BookingMade):
                code = event.booking.code
            if isinstance(code, str) and not isinstance(event, b.NoShowWarned):
                bookings[code] = self.ledger.bookings[code]
            if isinstance(event, b.PersonBlacklisted | b.BlacklistLifted):
                person = event.entry.person if isinstance(event, b.PersonBlacklisted) else event.person
                since = event.entry.since if isinstance(event, b.PersonBlacklisted) else event.since
                for entry in self.ledger.blacklist.get(person, []):
                    if entry.since == since:
                        entries[(person, since)] = entry
        return BookingRecord(
            now, tuple(events), tuple(bookings.values()), tuple(entries.values()), request_key, response
        )
