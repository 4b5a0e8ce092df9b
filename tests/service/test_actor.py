"""The hall actor against a real SQLite file: single writer, store-before-publish, restart, timers."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import pytest

from qms.core import commands as c
from qms.core import events as e
from qms.core.errors import IllegalTransition, NotFound
from qms.core.model import CallingConfig, TicketState, WindowState
from qms.service import HallService, StorageUnavailable
from qms.storage import SqliteStore
from tests.factories import any_hour_hall

T = TypeVar("T")


def run(make: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await make()

    return asyncio.run(main())


@asynccontextmanager
async def running(path: Path, **hall: object) -> AsyncIterator[HallService]:
    store = SqliteStore(path)
    await store.open()
    service = HallService(any_hour_hall(**hall), store)  # type: ignore[arg-type]
    await service.start()
    try:
        yield service
    finally:
        await service.stop()
        await store.close()


def issued(events: list[e.Event]) -> str:
    [ticket] = [ev.ticket for ev in events if isinstance(ev, e.TicketIssued)]
    return ticket.id


def test_simultaneous_call_next_never_gives_one_ticket_twice(tmp_path: Path) -> None:
    async def go() -> None:
        async with running(tmp_path / "q.db") as hall:
            windows = ["w1", "w2", "w3", "tax-1"]
            for w in windows:
                await hall.submit(c.OpenWindow(w, "s-" + w))
            await asyncio.gather(*(hall.submit(c.IssueTicket("social")) for _ in range(40)))
            called: list[str] = []
            for _ in range(10):
                answers = await asyncio.gather(*(hall.submit(c.CallNext(w)) for w in windows))
                for events in answers:
                    called += [ev.ticket_id for ev in events if isinstance(ev, e.TicketCalled)]
                await asyncio.gather(*(hall.submit(c.FinishService(w)) for w in windows))
            assert len(called) == 40 and len(set(called)) == 40
            assert hall.stats["batches"] < hall.stats["commands"]  # group commit did batch them

    run(go)


def test_events_are_stored_before_subscribers_see_them(tmp_path: Path) -> None:
    async def go() -> None:
        async with running(tmp_path / "q.db") as hall:
            sub = hall.subscribe()
            ticket_id = issued(await hall.submit(c.IssueTicket("social")))
            seen = await asyncio.wait_for(anext(aiter(sub)), 2)
            assert isinstance(seen, e.TicketIssued) and seen.ticket.id == ticket_id
            stored = [t.id for t in await hall.store.tickets(hall.id)]  # type: ignore[attr-defined]
            assert ticket_id in stored
            sub.close()

    run(go)


def test_restart_rebuilds_the_same_hall(tmp_path: Path) -> None:
    async def first() -> tuple[object, object]:
        async with running(tmp_path / "q.db") as hall:
            await hall.submit(c.OpenWindow("w1", "li"))
            for _ in range(5):
                await hall.submit(c.IssueTicket("social"))
            await hall.submit(c.CallNext("w1"))
            await hall.submit(c.StartService("w1"))
            await hall.submit(c.Transfer("w1", to_service="tax", reason="先办税务"))
            await hall.submit(c.CallNext("w1"))
            return hall.hall.tickets(), hall.hall.windows()

    async def second() -> tuple[object, object, str]:
        async with running(tmp_path / "q.db") as hall:
            next_number = hall.hall.ticket(issued(await hall.submit(c.IssueTicket("social")))).number
            return hall.hall.tickets()[:-1], hall.hall.windows(), next_number

    before = run(first)
    tickets, windows, number = run(second)
    assert (tickets, windows) == before
    assert number == "A006"  # numbering goes on, no number is given twice


def test_a_refused_command_answers_its_error_and_others_in_the_batch_go_through(tmp_path: Path) -> None:
    async def go() -> None:
        async with running(tmp_path / "q.db") as hall:
            results = await asyncio.gather(
                hall.submit(c.IssueTicket("social")),
                hall.submit(c.IssueTicket("nope")),
                hall.submit(c.StartService("w1")),
                hall.submit(c.IssueTicket("tax")),
                return_exceptions=True,
            )
            assert isinstance(results[1], NotFound) and isinstance(results[2], IllegalTransition)
            assert [t.number for t in hall.hall.tickets()] == ["A001", "B001"]

    run(go)


def test_idempotency_key_gives_the_first_answer_again(tmp_path: Path) -> None:
    async def go() -> None:
        async with running(tmp_path / "q.db") as hall:
            first, again = await asyncio.gather(
                hall.submit(c.IssueTicket("social"), request_key="k1"),
                hall.submit(c.IssueTicket("social"), request_key="k1"),
            )
            assert first == again
            later = await hall.submit(c.IssueTicket("social"), request_key="k1")
            assert later == first
            assert len(hall.hall.tickets()) == 1

    run(go)


def test_timers_recall_and_make_no_shows_by_themselves(tmp_path: Path) -> None:
    calling = CallingConfig(recall_cooldown_seconds=0, max_calls=2, auto_recall_seconds=0.2, no_show_after_seconds=0.2)

    async def go() -> None:
        async with running(tmp_path / "q.db", calling=calling) as hall:
            sub = hall.subscribe()
            await hall.submit(c.OpenWindow("w1", "li"))
            ticket_id = issued(await hall.submit(c.IssueTicket("social")))
            await hall.submit(c.CallNext("w1"))
            kinds = []
            async with asyncio.timeout(5):
                async for event in sub:
                    kinds.append(type(event).__name__)
                    if isinstance(event, e.TicketNoShow):
                        break
            assert kinds[-3:] == ["TicketCalled", "TicketCalled", "TicketNoShow"]
            assert hall.hall.ticket(ticket_id).state is TicketState.NO_SHOW
            sub.close()

    run(go)


def test_a_failing_database_changes_nothing_and_the_hall_recovers(tmp_path: Path) -> None:
    path = tmp_path / "q.db"

    def block_calls(on: bool) -> None:
        # a real failure inside SQLite: a trigger that aborts the transaction
        with sqlite3.connect(path) as db:
            if on:
                db.execute(
                    "CREATE TRIGGER no_calls BEFORE INSERT ON events WHEN NEW.type = 'TicketCalled' "
                    "BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
                )
            else:
                db.execute("DROP TRIGGER no_calls")

    async def go() -> None:
        async with running(path) as hall:
            hall.retry_seconds = 0.01
            await hall.submit(c.OpenWindow("w1", "li"))
            ticket_id = issued(await hall.submit(c.IssueTicket("social")))
            block_calls(True)
            with pytest.raises(StorageUnavailable):
                await hall.submit(c.CallNext("w1"))
            assert hall.hall.ticket(ticket_id).state is TicketState.WAITING
            assert hall.hall.window("w1").state is WindowState.IDLE
            block_calls(False)
            events = await hall.submit(c.CallNext("w1"))
            assert any(isinstance(ev, e.TicketCalled) for ev in events)
            assert hall.running

    run(go)


def test_a_slow_subscriber_is_cut_off_and_never_blocks_the_hall(tmp_path: Path) -> None:
    async def go() -> None:
        async with running(tmp_path / "q.db") as hall:
            slow = hall.subscribe(maxsize=3)
            fast = hall.subscribe()
            for _ in range(10):
                await hall.submit(c.IssueTicket("social"))
            assert slow.overflowed and slow.closed
            received = [ev async for ev in _drain(fast, 11)]
            assert len(received) == 10 and all(isinstance(ev, e.TicketIssued) for ev in received)
            fast.close()

    run(go)


async def _drain(sub: object, count: int) -> AsyncIterator[e.Event]:
    it = aiter(sub)  # type: ignore[call-overload]
    for _ in range(count):
        try:
            yield await asyncio.wait_for(anext(it), 0.2)
        except TimeoutError:
            return


def test_readers_wait_while_a_batch_is_not_yet_stored(tmp_path: Path) -> None:
    path = tmp_path / "q.db"

    async def go() -> None:
        async with running(path) as hall:
            blocker = sqlite3.connect(path, isolation_level=None)
            try:
                blocker.execute("BEGIN IMMEDIATE")  # another writer holds the database
                issuing = asyncio.create_task(hall.submit(c.IssueTicket("social")))
                await asyncio.sleep(0.2)
                assert len(hall.hall.tickets()) == 1  # handled in memory, not yet stored
                reader = asyncio.create_task(hall.committed())
                await asyncio.sleep(0.2)
                assert not reader.done()  # so nobody is shown the unstored ticket
                blocker.execute("COMMIT")
            finally:
                blocker.close()
            ticket_id = issued(await issuing)
            shown = await asyncio.wait_for(reader, 2)
            assert shown.ticket(ticket_id).number == "A001"
            assert ticket_id in [t.id for t in await hall.store.tickets(hall.id)]  # type: ignore[attr-defined]

    run(go)
