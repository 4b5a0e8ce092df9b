"""A layout change through the hall actor holds across restarts and business days, and the
booking actor cuts its slots from the hours as they stand."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import time, timedelta
from pathlib import Path

from qms.core import commands as c
from qms.core.model import DayHours, HallConfig, Hours
from qms.service import HallService
from qms.storage import SqliteStore
from tests.core.test_layout import specialize
from tests.factories import always_open_hall, at
from tests.fakes import FakeClock
from tests.service.test_booking_service import running


async def restarted(path: Path, clock: FakeClock, change: str | None = None) -> HallConfig:
    """Start the hall from `path`, make window `change` serve only "tax" if given, stop it;
    the layout it ran with at the end."""
    store = SqliteStore(path)
    await store.open()
    service = HallService(always_open_hall(), store, clock=clock)
    await service.start()
    try:
        if change is not None:
            await service.submit(c.ChangeLayout(specialize(service.config, change, "tax"), "windows", "admin"))
        return service.config
    finally:
        await service.stop()
        await store.close()


def test_the_layout_of_yesterday_and_of_today_survive_restarts(tmp_path: Path) -> None:
    path, clock = tmp_path / "q.db", FakeClock(at(10))

    async def scenario() -> None:
        first = await restarted(path, clock, "w1")
        clock.advance(timedelta(days=1).total_seconds())  # the next business day
        assert await restarted(path, clock) == first  # yesterday's change opened today
        today = await restarted(path, clock, "w2")
        assert await restarted(path, clock) == today
        assert dict(today.windows[0].weights) == {"tax": 1.0} and dict(today.windows[1].weights) == {"tax": 1.0}
        assert always_open_hall().windows[0].kind.value == "general"  # the hall file is unchanged

    asyncio.run(scenario())


def test_booking_slots_follow_the_hours_changed_while_running(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(tmp_path / "q.db") as hall:
            day = at(9, day=24).date()
            before = (await hall.booking.committed()).slots("social", day, hall.calendar)
            assert before[0].start.time() == time(9)
            config = hall.hall.config
            mornings = Hours(weekly=(DayHours(((time(10), time(12)),)),) * 7)
            await hall.hall.submit(c.ChangeLayout(replace(config, hours=mornings), "hours", "admin"))
            after = (await hall.booking.committed()).slots("social", day, hall.calendar)
            assert [s.start.time() for s in after] == [time(10), time(11)]

    asyncio.run(scenario())
