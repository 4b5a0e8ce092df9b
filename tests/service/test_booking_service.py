"""The booking actor against a real SQLite file: single writer, restart, idempotency, check-in, timers."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from qms.booking.people import PersonHasher
from qms.core import commands as c
from qms.core import events as e
from qms.core.booking import BookableService, BookingRules, BookingState, LateCheckIn
from qms.core.errors import NotFound, QmsError
from qms.core.identity import id_check_digit
from qms.core.ledger import MakeBooking
from qms.core.model import Channel, PriorityClass
from qms.service import HallService, StorageUnavailable
from qms.service.booking import Book, BookingService, Cancel, CheckedIn, CheckIn, Lift, SetWorkday
from qms.storage import SqliteStore
from qms.storage.bookings import SqliteBookingStore
from qms.storage.errors import StorageError
from tests.core.test_booking import slot
from tests.factories import at, small_hall
from tests.fakes import FakeWorkingDays, JumpClock

RULES = BookingRules(services=(BookableService("social", capacity=3),), late_check_in=LateCheckIn.ORDINARY)
HASHER = PersonHasher(b"test-secret-0123456789")


def valid_id(n: int) -> str:
    """The n-th made-up valid ID number (check digit computed)."""
    first17 = f"440103{1950 + n % 50:04d}0101{n % 1000:03d}"
    return first17 + id_check_digit(first17)


def make(n: int, start=None, code: str | None = None) -> MakeBooking:  # type: ignore[no-untyped-def]
    person = HASHER.person(valid_id(n), "13812341234")
    return MakeBooking(
        "social", start or slot(24, 9), person.key, person.id_masked, person.phone_masked, code or f"T{n:07d}"
    )


@dataclass
class Running:
    hall: HallService
    booking: BookingService
    clock: JumpClock
    calendar: FakeWorkingDays


@asynccontextmanager
async def running(path: Path, clock: JumpClock | None = None, rules: BookingRules = RULES) -> AsyncIterator[Running]:
    clock = clock or JumpClock(at(10))
    store, bookings = SqliteStore(path), SqliteBookingStore(path)
    await store.open()
    await bookings.open()
    hall = HallService(small_hall(), store, clock=clock)
    calendar = FakeWorkingDays()
    service = BookingService(hall, rules, bookings, calendar)
    await hall.start()
    await service.start()
    try:
        yield Running(hall, service, clock, calendar)
    finally:
        await service.stop()
        await hall.stop()
        await bookings.close()
        await store.close()


def run(coro_factory):  # type: ignore[no-untyped-def]
    return asyncio.run(coro_factory())


def test_concurrent_requests_never_overbook_a_slot_or_pass_a_limit(tmp_path: Path) -> None:
    async def go() -> None:
        async with running(tmp_path / "q.db") as r:
            # 60 requests from 20 people for the 3 places of one slot and 3 of the next
            requests = [make(n % 20, start=slot(24, 9 + n % 2), code=f"R{n:07d}") for n in range(60)]
            results = await asyncio.gather(*(r.booking.submit(Book(m)) for m in requests), return_exceptions=True)
            ok = [x for x in results if not isinstance(x, BaseException)]
            codes = {x.code for x in results if isinstance(x, QmsError)}
            assert len(ok) == 6
            assert codes <= {"slot_full", "daily_limit_reached", "duplicate_booking"}
            assert len({x.person for x in ok}) == 6  # one a day each

    run(go)


def test_bookings_survive_a_restart_and_no_shows_while_down_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "q.db"

    async def go() -> None:
        clock = JumpClock(at(10))
        async with running(path, clock) as r:
            made = await r.booking.submit(Book(make(1)))
            await r.booking.submit(Book(make(2)))
            await r.booking.submit(Cancel(made.code))
        clock.jump(slot(24, 11))  # the server was down over the slot
        async with running(path, clock) as r:
            ledger = await r.booking.committed()
            assert ledger.booking(made.code).state is BookingState.CANCELLED
            missed = ledger.booking("T0000002")
            assert missed.state is BookingState.MISSED
            notices = await r.booking.store.events(r.booking.id, ("NoShowWarned",))
            assert [n.code for _, n in notices] == ["T0000002"]  # type: ignore[union-attr]

    run(go)
    db = sqlite3.connect(path)
    raw = b"".join(
        str(row).encode()
        for row in db.execute(
            "SELECT * FROM bookings UNION ALL SELECT seq, hall, at_utc, type, data, 0, 0 FROM booking_events"
        )
    )
    db.close()
    assert valid_id(1).encode() not in raw and b"13812341234" not in raw  # protected: hash and masks only
    assert b"4401**********" in raw


def test_a_request_key_answers_the_same_booking_again_even_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "q.db"

    async def go() -> None:
        async with running(path) as r:
            first = await r.booking.submit(Book(make(1), request_key="book:k1"))
            again = await r.booking.submit(Book(make(1, code="OTHER123"), request_key="book:k1"))
            assert again.code == first.code
        async with running(path) as r:
            again = await r.booking.submit(Book(make(1, code="OTHER456"), request_key="book:k1"))
            assert again.code == first.code
            assert len((await r.booking.committed()).bookings) == 1

    run(go)


def test_check_in_gives_a_hall_ticket_with_booking_priority_once(tmp_path: Path) -> None:
    async def go() -> None:
        clock = JumpClock(at(10))
        async with running(tmp_path / "q.db", clock) as r:
            on_time = await r.booking.submit(Book(make(1)))
            late = await r.booking.submit(Book(make(2)))
            clock.jump(slot(24, 8, 45))
            with pytest.raises(NotFound):
                await r.booking.submit(CheckIn(code="NOSUCH99"))
            done: CheckedIn = await r.booking.submit(CheckIn(code=on_time.code))
            assert (done.ticket.channel, done.ticket.priority) == (Channel.BOOKING, PriorityClass.BOOKING)
            assert done.ticket.appointment_at == on_time.start
            assert done.booking.state is BookingState.CHECKED_IN and done.booking.ticket_id == done.ticket.id
            again: CheckedIn = await r.booking.submit(CheckIn(code=on_time.code))
            assert again.ticket.id == done.ticket.id
            clock.jump(slot(24, 9, 20))
            by_id: CheckedIn = await r.booking.submit(CheckIn(person=HASHER.key(valid_id(2)), id_number=valid_id(2)))
            assert by_id.booking.code == late.code and by_id.booking.late
            assert by_id.ticket.priority in (PriorityClass.NORMAL, PriorityClass.ELDERLY)  # late: no booking priority
            hall = await r.hall.committed()
            assert len(hall.tickets()) == 2

    run(go)


def test_a_no_show_is_counted_by_the_actors_own_timer(tmp_path: Path) -> None:
    async def go() -> None:
        clock = JumpClock(at(10))
        async with running(tmp_path / "q.db", clock) as r:
            made = await r.booking.submit(Book(make(1)))
            clock.jump(
                slot(
                    24,
                    9,
                    59,
                ).replace(second=59, microsecond=700_000)
            )
            with pytest.raises(NotFound):  # any request wakes the actor to look at its deadline again
                await r.booking.submit(Cancel("NOSUCH99"))
            for _ in range(100):  # the deadline is 0.3 s away: the actor wakes by itself
                if (await r.booking.committed()).booking(made.code).state is BookingState.MISSED:
                    break
                await asyncio.sleep(0.05)
            assert (await r.booking.committed()).booking(made.code).state is BookingState.MISSED

    run(go)


def test_lift_and_calendar_overrides_are_stored(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    rules = BookingRules(services=RULES.services, max_no_shows=0)

    async def go() -> None:
        clock = JumpClock(at(10))
        async with running(path, clock, rules) as r:
            await r.booking.submit(Book(make(1)))
            await r.booking.submit(SetWorkday(slot(28, 9).date(), True, "调休", "root"))
            assert r.calendar.is_working_day(slot(28, 9).date())
            clock.jump(slot(24, 10, 1))
            with pytest.raises(NotFound):
                await r.booking.submit(Cancel("NOSUCH99"))  # the batch first marks the no-show
            person = HASHER.key(valid_id(1))
            assert (await r.booking.committed()).blacklisted(person, r.booking.now()) is not None
            entry = await r.booking.submit(Lift(person, "root", "appeal accepted"))
            assert entry.lifted_by == "root"
        async with running(path, clock, rules) as r:
            assert r.calendar.is_working_day(slot(28, 9).date())  # loaded from the overrides table
            ledger = await r.booking.committed()
            assert ledger.blacklisted(HASHER.key(valid_id(1)), r.booking.now()) is None
            assert ledger.entries()[0].lift_reason == "appeal accepted"

    run(go)


def test_a_failing_database_answers_storage_unavailable_and_changes_nothing(tmp_path: Path) -> None:
    async def go() -> None:
        async with running(tmp_path / "q.db") as r:
            r.booking.retry_seconds = 0.01
            real_append = r.booking.store.append

            async def broken(hall: str, records: list[object]) -> None:
                raise StorageError("disk full")

            r.booking.store.append = broken  # type: ignore[method-assign,assignment]
            with pytest.raises(StorageUnavailable):
                await r.booking.submit(Book(make(1)))
            ledger = await r.booking.committed()
            assert ledger.bookings == {} and ledger.slots("social", slot(24, 9).date(), r.calendar)[0].booked == 0
            r.booking.store.append = real_append  # type: ignore[method-assign]
            made = await r.booking.submit(Book(make(1)))
            assert made.state is BookingState.BOOKED and r.booking.running

    run(go)


def test_a_checked_in_booking_is_called_near_its_time_before_walk_ins_who_came_earlier(tmp_path: Path) -> None:
    async def go() -> None:
        clock = JumpClock(at(10))
        async with running(tmp_path / "q.db", clock) as r:
            made = await r.booking.submit(Book(make(1)))
            clock.jump(slot(24, 9))
            await r.hall.submit(c.OpenWindow("w1", "li"))
            for _ in range(3):
                await r.hall.submit(c.IssueTicket("social"))  # walk-ins, before the booking arrives
            clock.jump(slot(24, 9, 2))
            done: CheckedIn = await r.booking.submit(CheckIn(code=made.code))
            clock.jump(slot(24, 9, 5))
            events = await r.hall.submit(c.CallNext("w1"))
            called = next(ev for ev in events if isinstance(ev, e.TicketCalled))
            assert called.ticket_id == done.ticket.id

    run(go)
