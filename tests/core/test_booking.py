"""The booking ledger: slots on working days, limits, cancellations, check-in, no-shows, blacklist."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qms.core import commands as c
from qms.core.booking import (
    BlacklistReason,
    BookableService,
    BookingMade,
    BookingMissed,
    BookingRules,
    BookingState,
    LateCheckIn,
    NoShowWarned,
    PersonBlacklisted,
)
from qms.core.errors import ConfigError, Conflict, InvalidInput, NotFound, QmsError, Refused
from qms.core.hall import Hall
from qms.core.ledger import BookingLedger, MakeBooking
from qms.core.model import Channel, DayHours, Hours, PriorityClass
from qms.core.workdays import booking_hours, slot_capacities
from tests.factories import SATURDAY, TZ, WORKDAY, at, small_hall
from tests.fakes import FakeWorkingDays

NOW = at(10)  # Monday 2026-11-23 10:00; bookable: Tue 24 .. Fri 27 and Mon 30
RULES = BookingRules(
    services=(BookableService("social", slot_minutes=60, capacity=2), BookableService("tax", capacity=1)),
)


def ledger(rules: BookingRules = RULES, **hall: object) -> BookingLedger:
    return BookingLedger(small_hall(**hall), rules)


def slot(day: int, hour: int, minute: int = 0) -> datetime:
    return at(hour, minute, day=day)


_ids = iter(range(10_000))


def booking(person: str = "p1", service: str = "social", start: datetime | None = None, code: str = "") -> MakeBooking:
    return MakeBooking(
        service=service,
        start=start or slot(24, 9),
        person=person,
        id_masked="4401**********1234",
        phone_masked="138****1234",
        code=code or f"C{next(_ids):07d}",
    )


def book(led: BookingLedger, cal: FakeWorkingDays, cmd: MakeBooking, now: datetime = NOW) -> str:
    events = led.book(cmd, now, cal)
    made = events[0]
    assert isinstance(made, BookingMade)
    return made.booking.code


def refused(code: str, action: object) -> QmsError:
    assert callable(action)
    with pytest.raises(QmsError) as caught:
        action()
    assert caught.value.code == code, caught.value
    return caught.value


# -- slots and the calendar ----------------------------------------------------------------


def test_slots_are_cut_from_the_days_sessions_with_their_capacity() -> None:
    led, cal = ledger(), FakeWorkingDays()
    slots = led.slots("social", date(2026, 11, 24), cal)
    # 09:00-12:00 and 13:30-17:00 in hours, the last piece 16:30-17:00 is half an hour
    assert [(s.start.strftime("%H:%M"), s.end.strftime("%H:%M")) for s in slots] == [
        ("09:00", "10:00"), ("10:00", "11:00"), ("11:00", "12:00"),
        ("13:30", "14:30"), ("14:30", "15:30"), ("15:30", "16:30"), ("16:30", "17:00"),
    ]  # fmt: skip
    assert {s.capacity for s in slots} == {2}


def test_the_next_five_working_days_from_tomorrow_skip_weekends_and_holidays() -> None:
    led = ledger()
    assert led.days(FakeWorkingDays(), NOW) == [date(2026, 11, d) for d in (24, 25, 26, 27, 30)]
    holiday = FakeWorkingDays(off={date(2026, 11, 25)})
    assert led.days(holiday, NOW) == [date(2026, 11, d) for d in (24, 26, 27, 30)] + [date(2026, 12, 1)]


def test_a_make_up_working_saturday_is_bookable_with_weekday_hours() -> None:
    # 调休: Saturday 28 November works. The hall's own Saturday (09:00-12:00) is open, so it
    # keeps it; a hall closed on Saturdays books weekday hours that day.
    cal = FakeWorkingDays(on={date(2026, 11, 28)})
    led = ledger()
    assert date(2026, 11, 28) in led.days(cal, NOW)
    assert len(led.slots("social", date(2026, 11, 28), cal)) == 3
    closed_saturdays = Hours(weekly=(WORKDAY,) * 5 + (DayHours(), DayHours()))
    assert booking_hours(closed_saturdays, date(2026, 11, 28), True) == WORKDAY
    assert booking_hours(closed_saturdays, date(2026, 11, 28), False) == DayHours()
    # a statutory day off has no slots even if the hall opens (Saturday service is for walk-ins)
    assert ledger().slots("social", date(2026, 11, 28), FakeWorkingDays()) == []
    assert (
        booking_hours(Hours(weekly=(WORKDAY,) * 5 + (SATURDAY, DayHours())), date(2026, 11, 28), False).sessions == ()
    )


def test_a_dated_closure_of_the_hall_has_no_slots_even_on_a_working_day() -> None:
    hours = Hours(weekly=(WORKDAY,) * 5 + (DayHours(), DayHours()), special=((date(2026, 11, 24), DayHours()),))
    assert booking_hours(hours, date(2026, 11, 24), True) == DayHours()


def test_capacity_as_a_share_of_the_days_expected_calls() -> None:
    yuexiu = BookableService("social", share=0.28, expected_daily=80)  # 22 places a day
    assert slot_capacities(yuexiu, 7) == [4, 3, 3, 3, 3, 3, 3]
    assert sum(slot_capacities(yuexiu, 7)) == 22
    assert slot_capacities(BookableService("social", capacity=5), 3) == [5, 5, 5]
    assert slot_capacities(yuexiu, 0) == []


@pytest.mark.parametrize(
    "service",
    [
        BookableService("social", capacity=1, share=0.2, expected_daily=10),
        BookableService("social"),
        BookableService("social", share=1.5, expected_daily=10),
        BookableService("social", slot_minutes=2, capacity=1),
    ],
)
def test_bookable_services_need_one_consistent_capacity(service: BookableService) -> None:
    with pytest.raises(ConfigError):
        BookingRules(services=(service,))


def test_a_bookable_service_must_be_one_of_the_hall() -> None:
    with pytest.raises(InvalidInput):
        BookingLedger(small_hall(), BookingRules(services=(BookableService("nope", capacity=1),)))


# -- booking and its refusals -----------------------------------------------------------------


def test_a_booking_takes_a_place_and_the_slot_fills_up() -> None:
    led, cal = ledger(), FakeWorkingDays()
    book(led, cal, booking("p1"))
    book(led, cal, booking("p2"))
    first = led.slots("social", date(2026, 11, 24), cal)[0]
    assert (first.booked, first.free) == (2, 0)
    refused("slot_full", lambda: led.book(booking("p3"), NOW, cal))


@pytest.mark.parametrize(
    ("cmd", "code", "kind"),
    [
        (booking(service="nope"), "unknown_service", NotFound),
        (booking(service="issuing"), "service_not_bookable", Refused),
        (booking(start=slot(23, 9)), "slot_past", Refused),
        (booking(start=slot(23, 11)), "outside_booking_window", Refused),  # today: lead_days = 1
        (booking(start=slot(28, 9)), "not_a_working_day", Refused),
        (booking(start=at(9, day=1).replace(month=12, day=8)), "outside_booking_window", Refused),
        (booking(start=slot(24, 9, 30)), "unknown_slot", NotFound),
    ],
)
def test_bad_bookings_are_refused_with_a_stable_code_and_change_nothing(
    cmd: MakeBooking, code: str, kind: type[QmsError]
) -> None:
    led, cal = ledger(), FakeWorkingDays()
    err = refused(code, lambda: led.book(cmd, NOW, cal))
    assert isinstance(err, kind)
    assert led.bookings == {}


def test_a_duplicate_submit_is_refused_as_such() -> None:
    led, cal = ledger(), FakeWorkingDays()
    book(led, cal, booking("p1"))
    refused("duplicate_booking", lambda: led.book(booking("p1"), NOW, cal))
    assert len(led.bookings) == 1


def test_a_taken_code_is_refused_so_that_the_caller_picks_another() -> None:
    led, cal = ledger(), FakeWorkingDays()
    book(led, cal, booking("p1", code="ABCD2345"))
    assert isinstance(
        refused("booking_code_taken", lambda: led.book(booking("p2", code="abcd2345"), NOW, cal)), Conflict
    )


def test_one_booking_per_person_a_day_and_k_of_one_service() -> None:
    led, cal = ledger(), FakeWorkingDays()
    book(led, cal, booking("p1"))
    refused("daily_limit_reached", lambda: led.book(booking("p1", start=slot(24, 14, 30)), NOW, cal))
    two_a_day = BookingRules(services=RULES.services, per_day=2, per_service_day=1)
    led2 = ledger(two_a_day)
    book(led2, cal, booking("p1"))
    refused("service_daily_limit_reached", lambda: led2.book(booking("p1", start=slot(24, 14, 30)), NOW, cal))
    book(led2, cal, booking("p1", service="tax", start=slot(24, 14, 30)))


def test_weekly_and_monthly_caps() -> None:
    cal = FakeWorkingDays()
    led = ledger(BookingRules(services=RULES.services, per_week=2, horizon_days=10))
    book(led, cal, booking("p1", start=slot(24, 9)))
    book(led, cal, booking("p1", start=slot(25, 9)))
    refused("weekly_limit_reached", lambda: led.book(booking("p1", start=slot(26, 9)), NOW, cal))
    book(led, cal, booking("p1", start=slot(30, 9)))  # next ISO week
    monthly = ledger(BookingRules(services=RULES.services, per_month=2, horizon_days=10))
    book(monthly, cal, booking("p1", start=slot(24, 9)))
    book(monthly, cal, booking("p1", start=slot(30, 9)))
    december = datetime(2026, 12, 1, 9, tzinfo=TZ)
    book(monthly, cal, booking("p1", start=december))  # another month
    monthly2 = ledger(BookingRules(services=RULES.services, per_month=2, per_week=5, horizon_days=10))
    book(monthly2, cal, booking("p1", start=slot(24, 9)))
    book(monthly2, cal, booking("p1", start=slot(25, 9)))
    refused("monthly_limit_reached", lambda: monthly2.book(booking("p1", start=slot(26, 9)), NOW, cal))


# -- cancelling --------------------------------------------------------------------------------


def test_cancel_until_the_cutoff_frees_the_place_and_rescheduling_is_cancel_plus_book() -> None:
    led, cal = ledger(), FakeWorkingDays()
    code = book(led, cal, booking("p1"))
    refused("cancel_too_late", lambda: led.cancel(code, slot(24, 7, 1), "citizen"))
    led.cancel(code, slot(24, 7), "citizen")
    assert led.booking(code).state is BookingState.CANCELLED
    assert led.slots("social", date(2026, 11, 24), cal)[0].booked == 0
    refused("not_cancellable", lambda: led.cancel(code, NOW))
    book(led, cal, booking("p1", start=slot(25, 10)))  # rescheduled


def test_staff_may_cancel_until_the_start_without_counting_against_the_person() -> None:
    led, cal = ledger(), FakeWorkingDays()
    code = book(led, cal, booking("p1"))
    led.cancel(code, slot(24, 8, 59), "wang.fang")
    assert led.booking(code).cancelled_by == "wang.fang"


def test_the_fifth_cancellation_in_a_month_blacklists() -> None:
    led, cal = ledger(BookingRules(services=RULES.services, per_day=5, per_service_day=5)), FakeWorkingDays()
    for i in range(4):
        led.cancel(book(led, cal, booking("p1", start=slot(24, 9 + i % 3 if i < 3 else 13, 30 if i == 3 else 0))), NOW)
    assert led.blacklisted("p1", NOW) is None
    events = led.cancel(book(led, cal, booking("p1")), NOW)
    entry = next(e for e in events if isinstance(e, PersonBlacklisted)).entry
    assert (entry.reason, entry.count, entry.until) == (BlacklistReason.CANCELLATIONS, 5, NOW + timedelta(days=30))
    refused("blacklisted", lambda: led.book(booking("p1", start=slot(25, 9)), NOW, cal))


# -- check-in and no-shows ---------------------------------------------------------------------


def test_check_in_window_on_time_late_and_too_early() -> None:
    led, cal = ledger(), FakeWorkingDays()
    code = book(led, cal, booking("p1"))
    refused("booking_too_early", lambda: led.plan_check_in(code, slot(24, 8, 29)))
    assert led.plan_check_in(code, slot(24, 8, 30)).late is False
    assert led.plan_check_in(code, slot(24, 9, 15)).late is False
    assert led.plan_check_in(code, slot(24, 9, 16)).late is True  # an ordinary ticket
    refused("booking_missed", lambda: led.plan_check_in(code, slot(24, 10)))
    strict = ledger(BookingRules(services=RULES.services, late_check_in=LateCheckIn.REFUSE))
    code2 = book(strict, cal, booking("p1"))
    refused("booking_late", lambda: strict.plan_check_in(code2, slot(24, 9, 16)))


def test_check_in_is_recorded_once_and_finds_a_booking_by_person() -> None:
    led, cal = ledger(), FakeWorkingDays()
    code = book(led, cal, booking("p1"))
    refused("no_booking_today", lambda: led.code_for_person("p1", NOW))
    assert led.code_for_person("p1", slot(24, 8, 45)) == code
    led.check_in(code, "20261124-A001", False, slot(24, 8, 45))
    assert led.check_in(code, "20261124-A001", False, slot(24, 8, 46)) == []
    assert led.booking(code).state is BookingState.CHECKED_IN
    assert led.plan_check_in(code, slot(24, 8, 50)).booking.ticket_id == "20261124-A001"
    assert led.next_deadline() is None  # a checked-in booking is no no-show
    led.cancel(book(led, cal, booking("p2")), NOW)
    refused("booking_cancelled", lambda: led.plan_check_in(led.of_person("p2")[0].code, slot(24, 9)))


def test_a_booking_not_checked_in_by_the_end_of_its_slot_is_a_no_show_with_a_warning() -> None:
    led, cal = ledger(), FakeWorkingDays()
    code = book(led, cal, booking("p1"))
    assert led.next_deadline() == slot(24, 10)
    assert led.advance(slot(24, 9, 59)) == []
    events = led.advance(slot(24, 10))
    assert [type(e) for e in events] == [BookingMissed, NoShowWarned]
    warned = events[1]
    assert isinstance(warned, NoShowWarned) and (warned.no_shows, warned.phone_masked) == (1, "138****1234")
    assert led.booking(code).state is BookingState.MISSED
    assert led.slots("social", date(2026, 11, 24), cal)[0].booked == 1  # the place was used up


def test_more_than_three_no_shows_in_thirty_days_blacklists_until_lifted_with_a_reason() -> None:
    led, cal = ledger(BookingRules(services=RULES.services, per_week=5)), FakeWorkingDays()
    days = (24, 25, 26, 27)
    for day in days:
        book(led, cal, booking("p1", start=slot(day, 9)), now=at(10, day=day - 1) if day != 24 else NOW)
        led.advance(slot(day, 10))
    entry = led.blacklisted("p1", slot(27, 10))
    assert entry is not None and (entry.reason, entry.count) == (BlacklistReason.NO_SHOWS, 4)
    later = slot(27, 11)
    refused("blacklisted", lambda: led.book(booking("p1", start=slot(30, 9)), later, cal))
    refused("reason_required", lambda: led.lift("p1", "root", " ", later))
    refused("not_blacklisted", lambda: led.lift("p2", "root", "appeal", later))
    led.lift("p1", "root", "hospital stay, proof seen", later)
    lifted = led.entries()[0]
    assert (lifted.lifted_by, lifted.lift_reason) == ("root", "hospital stay, proof seen")
    book(led, cal, booking("p1", start=slot(30, 9)), now=later)


def test_the_blacklist_ends_by_itself_after_its_period() -> None:
    led, cal = ledger(BookingRules(services=RULES.services, max_no_shows=0, blacklist_days=3)), FakeWorkingDays()
    book(led, cal, booking("p1"))
    led.advance(slot(24, 10))
    assert led.blacklisted("p1", slot(26, 9)) is not None
    assert led.blacklisted("p1", slot(27, 10)) is None


def test_no_shows_older_than_the_period_do_not_count() -> None:
    led = ledger(BookingRules(services=RULES.services, max_no_shows=1, no_show_days=2))
    cal = FakeWorkingDays()
    book(led, cal, booking("p1", start=slot(24, 9)))
    led.advance(slot(24, 10))
    book(led, cal, booking("p1", start=slot(30, 9)), now=at(10, day=27))
    events = led.advance(slot(30, 10))
    assert not any(isinstance(e, PersonBlacklisted) for e in events)


def test_a_stored_history_reads_back_to_the_same_state() -> None:
    led, cal = ledger(), FakeWorkingDays()
    code = book(led, cal, booking("p1"))
    book(led, cal, booking("p2"))
    led.advance(slot(24, 10))
    again = ledger()
    again.load(list(led.bookings.values()), led.entries())
    assert again.bookings == led.bookings
    assert again.slots("social", date(2026, 11, 24), cal) == led.slots("social", date(2026, 11, 24), cal)
    assert again.booking(code).state is BookingState.MISSED


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 30), st.sampled_from([24, 25, 26]), st.sampled_from([9, 10, 11])), max_size=80)
)
def test_no_slot_is_ever_overbooked_and_no_person_passes_a_limit(requests: list[tuple[int, int, int]]) -> None:
    led, cal = ledger(BookingRules(services=RULES.services, per_week=2)), FakeWorkingDays()
    for person, day, hour in requests:
        with contextlib.suppress(QmsError):  # refusals are expected: the invariants are what counts
            led.book(booking(f"p{person}", start=slot(day, hour)), NOW, cal)
    for day in (24, 25, 26):
        assert all(s.booked <= s.capacity for s in led.slots("social", date(2026, 11, day), cal))
    for person in range(31):
        mine = led.of_person(f"p{person}")
        assert len(mine) <= 2
        assert len({x.start.date() for x in mine}) == len(mine)


def test_a_booking_check_in_is_not_turned_away_by_the_daily_cap() -> None:
    hall = Hall(small_hall())  # "tax": daily_cap 5
    for minute in range(5):
        hall.handle(c.IssueTicket("tax"), at(10, minute + 1))
    with pytest.raises(Refused) as err:
        hall.handle(c.IssueTicket("tax"), at(10, 10))
    assert err.value.code == "daily_cap_reached"
    [issued] = hall.handle(c.IssueTicket("tax", channel=Channel.BOOKING, appointment_at=at(10, 30)), at(10, 11))
    assert issued.ticket.priority is PriorityClass.BOOKING  # type: ignore[attr-defined]


def test_bookings_too_old_to_count_are_forgotten_in_memory() -> None:
    led, cal = ledger(), FakeWorkingDays()
    code = book(led, cal, booking("p1"))
    led.advance(slot(24, 10))  # a no-show
    led.advance(slot(24, 10) + timedelta(days=61))
    assert code in led.bookings  # still counts (62 days are kept)
    led.advance(slot(24, 10) + timedelta(days=63))
    assert code not in led.bookings and led.of_person("p1") == []
