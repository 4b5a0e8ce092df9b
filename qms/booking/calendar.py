"""China's statutory working-day calendar, resolved into plain answers for the core.

`chinese-calendar` knows the State Council's holiday arrangements (holidays and 调休 make-up
working days) for the years it was released with, and raises NotImplementedError for any
later year, which is every year at first: the arrangement for next year is published in
November or December. The hall's admin fills the gap with overrides (a table in the
database, edited through the API): an override wins over the package. A day neither knows
falls back to the plain rule, Monday to Friday, and is reported as `provisional` so that
the booking page and the admin can tell; it never raises.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date

import chinese_calendar  # type: ignore[import-untyped]  # the package ships no type hints

log = logging.getLogger(__name__)


class StatutoryCalendar:
    """`WorkingDays` from chinese-calendar plus overrides (date -> working or not)."""

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        self.overrides: dict[date, bool] = dict(overrides or {})
        self._warned: set[int] = set()
        # the package's answers never change, and it validates each date slowly (it scans its
        # whole table for the years it knows): remember them; None for a year it lacks
        self._package: dict[date, bool | None] = {}

    def _statutory(self, day: date) -> bool | None:
        if day not in self._package:
            try:
                self._package[day] = bool(chinese_calendar.is_workday(day))
            except NotImplementedError:
                self._package[day] = None
        return self._package[day]

    def set_override(self, day: date, working: bool | None) -> None:
        """Make `day` a working day or a day off; None removes the override."""
        if working is None:
            self.overrides.pop(day, None)
        else:
            self.overrides[day] = working

    def known(self, day: date) -> bool:
        """True when the package covers `day`'s year."""
        return self._statutory(day) is not None

    def provisional(self, day: date) -> bool:
        """True when neither an override nor the package decides `day` (weekday rule used)."""
        return day not in self.overrides and not self.known(day)

    def is_working_day(self, day: date) -> bool:
        """The override if any, else the package, else Monday to Friday."""
        override = self.overrides.get(day)
        if override is not None:
            return override
        statutory = self._statutory(day)
        if statutory is None:
            if day.year not in self._warned:
                self._warned.add(day.year)
                log.warning(
                    "chinese-calendar has no holiday arrangement for %d: Monday to Friday assumed; "
                    "add the year's holidays and 调休 days as overrides",
                    day.year,
                )
            return day.weekday() < 5
        return statutory

    def day_name(self, day: date) -> str:
        """The holiday's name (e.g. "National Day") on a statutory day off, else ""."""
        if day in self.overrides:
            return ""
        try:
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:
            return ""
        return str(name) if on_holiday and name else ""
