"""The hand-written test doubles of the project, all in one place (see DESIGN.md)."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta


class FakeClock:
    """The hall's clock, moved by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class FakeWorkingDays:
    """A statutory calendar given by hand: Monday to Friday, except the days listed."""

    def __init__(self, off: set[date] | None = None, on: set[date] | None = None) -> None:
        self.off = set(off or ())
        self.on = set(on or ())

    def is_working_day(self, day: date) -> bool:
        if day in self.on:
            return True
        if day in self.off:
            return False
        return day.weekday() < 5

    def provisional(self, day: date) -> bool:
        return False

    def set_override(self, day: date, working: bool | None) -> None:
        self.on.discard(day)
        self.off.discard(day)
        if working is True:
            self.on.add(day)
        elif working is False:
            self.off.add(day)


class JumpClock:
    """A clock that runs in real time from a chosen moment and can jump ahead, for timers
    that must fire by themselves (the actor sleeps until its next deadline)."""

    def __init__(self, now: datetime) -> None:
        self.jump(now)

    def jump(self, now: datetime) -> None:
        self._base = now
        self._started = time.monotonic()

    def __call__(self) -> datetime:
        return self._base + timedelta(seconds=time.monotonic() - self._started)
