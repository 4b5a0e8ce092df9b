"""The statutory calendar from chinese-calendar, with overrides for the years it lacks."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from qms.booking.calendar import StatutoryCalendar
from qms.core.booking import BookableService, BookingRules
from qms.core.ledger import BookingLedger
from tests.factories import at, small_hall

UNKNOWN_YEAR = 2027  # chinese-calendar 1.11.0 knows 2004-2026


def test_holidays_and_make_up_working_days_of_a_known_year() -> None:
    cal = StatutoryCalendar()
    assert cal.is_working_day(date(2026, 10, 1)) is False  # 国庆节
    assert cal.day_name(date(2026, 10, 1)) == "National Day"
    assert cal.is_working_day(date(2026, 10, 10)) is True  # 国庆调休: a working Saturday
    assert cal.is_working_day(date(2026, 9, 20)) is True  # a working Sunday
    assert cal.is_working_day(date(2026, 11, 28)) is False  # an ordinary Saturday
    assert cal.is_working_day(date(2026, 11, 23)) is True
    assert not cal.provisional(date(2026, 10, 1))


def test_a_year_the_package_lacks_never_raises_and_is_marked_provisional(caplog: pytest.LogCaptureFixture) -> None:
    cal = StatutoryCalendar()
    new_year = date(UNKNOWN_YEAR, 1, 1)  # a Friday; the holiday is not known yet
    assert not cal.known(new_year)
    with caplog.at_level(logging.WARNING, logger="qms.booking.calendar"):
        assert cal.is_working_day(new_year) is True  # Monday to Friday assumed
        assert cal.is_working_day(date(UNKNOWN_YEAR, 1, 2)) is False  # Saturday
        cal.is_working_day(date(UNKNOWN_YEAR, 1, 4))
    assert cal.provisional(new_year)
    assert cal.day_name(new_year) == ""
    assert sum("no holiday arrangement for 2027" in r.getMessage() for r in caplog.records) == 1  # warned once


def test_overrides_fill_the_gap_and_win_over_the_package() -> None:
    cal = StatutoryCalendar({date(UNKNOWN_YEAR, 1, 1): False})
    assert cal.is_working_day(date(UNKNOWN_YEAR, 1, 1)) is False
    assert not cal.provisional(date(UNKNOWN_YEAR, 1, 1))
    cal.set_override(date(UNKNOWN_YEAR, 2, 20), True)  # a make-up Saturday announced late in the year
    assert cal.is_working_day(date(UNKNOWN_YEAR, 2, 20)) is True
    cal.set_override(date(2026, 12, 31), False)  # a local closure in a known year
    assert cal.is_working_day(date(2026, 12, 31)) is False
    cal.set_override(date(2026, 12, 31), None)
    assert cal.is_working_day(date(2026, 12, 31)) is True


def test_booking_across_new_year_into_a_year_the_package_lacks() -> None:
    rules = BookingRules(services=(BookableService("social", capacity=2),))
    led = BookingLedger(small_hall(), rules)
    now = at(10, day=28).replace(month=12)  # Monday 28 December 2026
    cal = StatutoryCalendar()
    assert led.days(cal, now) == [
        date(2026, 12, 29),
        date(2026, 12, 30),
        date(2026, 12, 31),
        date(2027, 1, 1),
        date(2027, 1, 4),
    ]
    cal.set_override(date(2027, 1, 1), False)  # 元旦, entered by the admin
    days = led.days(cal, now)
    assert date(2027, 1, 1) not in days and days[-1] == date(2027, 1, 5)
    assert led.slots("social", date(2027, 1, 1), cal) == []
    cal.set_override(date(2027, 1, 2), True)  # and a 调休 Saturday
    assert date(2027, 1, 2) in led.days(cal, now)
    assert len(led.slots("social", date(2027, 1, 2), cal)) == 3  # the hall's own Saturday: 09:00-12:00
