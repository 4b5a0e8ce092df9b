"""The day's calls and the follow-ups of bad ratings, against a real SQLite file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from qms.core.events import DayOpened, TicketCalled
from qms.core.follow_up import FollowUp, FollowUpStatus

from .test_sqlite import HALL, at, opened, record, run


def test_the_calls_of_one_business_day(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with opened(tmp_path / "qms.db") as store:
            await store.append(
                HALL,
                [
                    record(at(8), [DayOpened(date(2026, 11, 23), at(8))]),
                    record(at(9), [TicketCalled("20261123-A001", "w1", "zhang.san", at(9), 1)]),
                    record(at(8, day=24), [DayOpened(date(2026, 11, 24), at(8, day=24))]),
                    record(at(9, day=24), [TicketCalled("20261124-A001", "w2", "li.si", at(9, day=24), 1)]),
                ],
            )
            await store.append("other-hall", [record(at(9), [TicketCalled("20261123-A001", "w1", "x", at(9), 1)])])
            first = await store.calls(HALL, date(2026, 11, 23))
            assert [(c.ticket_id, c.staff) for c in first] == [("20261123-A001", "zhang.san")]
            second = await store.calls(HALL, date(2026, 11, 24))
            assert [(c.ticket_id, c.staff) for c in second] == [("20261124-A001", "li.si")]
            assert await store.calls(HALL, date(2026, 11, 25)) == []
            # a hall that never opened a day: the ticket ids' days still tell them apart
            assert [c.staff for c in await store.calls("other-hall", date(2026, 11, 23))] == ["x"]

    run(scenario)


def test_a_follow_up_is_stored_only_from_the_status_it_was_read_at(tmp_path: Path) -> None:
    day = date(2026, 11, 23)
    contacted = FollowUp("20261123-A001", 0, FollowUpStatus.CONTACTED, "电话回访", "alice", at(10))
    resolved = FollowUp("20261123-A001", 0, FollowUpStatus.RESOLVED, "已解决", "bob", at(11))

    async def scenario() -> None:
        async with opened(tmp_path / "qms.db") as store:
            assert await store.save_follow_up(HALL, day, contacted, None)
            assert not await store.save_follow_up(HALL, day, contacted, None)  # someone else was first
            assert await store.follow_ups(HALL, day) == [contacted]
            assert not await store.save_follow_up(HALL, day, resolved, FollowUpStatus.RESOLVED)
            assert await store.save_follow_up(HALL, day, resolved, FollowUpStatus.CONTACTED)
        async with opened(tmp_path / "qms.db") as store:  # kept across a restart
            assert await store.follow_ups(HALL, day) == [resolved]
            assert await store.follow_ups(HALL) == [resolved]
            assert await store.follow_ups(HALL, date(2026, 11, 24)) == []
            assert await store.follow_ups("other-hall", day) == []

    run(scenario)
