"""The hand-written test doubles of the project, all in one place (see DESIGN.md)."""

from __future__ import annotations

from datetime import datetime, timedelta


class FakeClock:
    """The hall's clock, moved by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
