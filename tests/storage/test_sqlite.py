"""SqliteStore against real database files: round trips, atomicity, migrations, kill -9."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest

from qms.core.commands import CallNext, Command, FinishService, IssueTicket, OpenWindow
from qms.core.errors import QmsError
from qms.core.events import (
    EVENT_TYPES,
    DayOpened,
    Event,
    HelpRequested,
    LayoutChange,
    LayoutChanged,
    ServiceFinished,
    ServiceRated,
    ServiceStarted,
    TicketCalled,
    TicketCancelled,
    TicketExpired,
    TicketHeld,
    TicketIssued,
    TicketNoShow,
    TicketReactivated,
    TicketTransferred,
    WindowClosed,
    WindowOpened,
    WindowPaused,
    WindowResumed,
)
from qms.core.model import (
    Channel,
    Escalation,
    Outcome,
    PriorityClass,
    RatingLevel,
    Step,
    Ticket,
    TicketState,
    Window,
    WindowKind,
    WindowState,
)
from qms.storage import Record, SqliteStore
from qms.storage import sqlite as sqlite_module
from qms.storage.errors import DuplicateRequest, SchemaTooNew, StorageError
from tests.factories import small_hall

SHANGHAI = ZoneInfo("Asia/Shanghai")
HALL = "yuexiu-main"
T = TypeVar("T")


def at(hour: int, minute: int = 0, day: int = 23) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def ticket(number: str = "A001", day: int = 23, **changes: object) -> Ticket:
    base = Ticket(
        id=f"202611{day:02d}-{number}",
        number=number,
        service="social-security",
        channel=Channel.KIOSK,
        priority=PriorityClass.NORMAL,
        state=TicketState.WAITING,
        issued_at=at(9, 0, day),
        queued_at=at(9, 0, day),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def window(number: int = 1, **changes: object) -> Window:
    base = Window(id=f"w{number}", number=number, kind=WindowKind.GENERAL, state=WindowState.IDLE)
    return replace(base, **changes)  # type: ignore[arg-type]


def every_event() -> list[Event]:
    """One realistic instance of each event type, in the order a day could bring them."""
    a001 = ticket(
        channel=Channel.BOOKING,
        priority=PriorityClass.BOOKING,
        appointment_at=at(9, 30),
        id_masked="4401**********1234",
        phone_masked="138****1234",
        note="预约核验",
        steps=(Step("business-registration", "w2", Outcome.ACCEPTED, at(8, 40), at(8, 55)),),
        escalation=Escalation("20261123-A000", "w3"),
    )
    return [
        DayOpened(day=date(2026, 11, 23), at=at(8, 30)),
        WindowOpened(window="w1", staff="zhang.san", at=at(8, 45)),
        TicketIssued(ticket=a001, at=at(9, 0)),
        TicketCalled(a001.id, "w1", "zhang.san", at(9, 5), 1, recall=False, out_of_order=True, reason="老人优先"),
        TicketCalled(a001.id, "w1", None, at(9, 6), 2, recall=True),
        ServiceStarted(ticket_id=a001.id, window="w1", at=at(9, 7)),
        TicketHeld(ticket_id=a001.id, window="w1", at=at(9, 10), reason="复印身份证"),
        ServiceFinished(a001.id, "w1", Outcome.ACCEPTED, at(9, 20), handling_seconds=312.5, next_service="issuing"),
        TicketTransferred(a001.id, "w1", "issuing", "w4", at(9, 21), reason="统一出件"),
        TicketNoShow(ticket_id=a001.id, window="w4", at=at(9, 30), automatic=True),
        TicketReactivated(ticket_id=a001.id, queued_at=at(9, 0), at=at(9, 40)),
        WindowPaused(window="w1", reason="午休", at=at(12, 0)),
        WindowResumed(window="w1", at=at(13, 30)),
        WindowClosed(window="w1", at=at(17, 0)),
        TicketExpired(ticket_id="20261122-B007", at=at(8, 30)),
        TicketCancelled(ticket_id="20261123-A002", at=at(9, 41), by="web", reason="今天来不了"),
        ServiceRated(a001.id, "w1", "zhang.san", "social", RatingLevel.DISSATISFIED, at(9, 22), 0, "pad-w1"),
        HelpRequested("self-service", "help-1", at(9, 23), note="自助区"),
        LayoutChanged(small_hall(), at(9, 24), "admin", "windows", (LayoutChange("window w9", "", '{"number":9}'),)),
    ]


CALL_NEXT = CallNext(window="w1", actor="zhang.san")


def record(
    when: datetime, events: list[Event] | tuple[Event, ...] = (), key: str | None = None, **extra: object
) -> Record:
    return Record(when, CALL_NEXT, tuple(events), actor="zhang.san", request_key=key, **extra)  # type: ignore[arg-type]


def run(scenario: Callable[[], Awaitable[T]]) -> T:
    async def wrapped() -> T:
        return await scenario()

    return asyncio.run(wrapped())


@asynccontextmanager
async def opened(path: str | Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(path)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


def test_every_event_type_round_trips(tmp_path: Path) -> None:
    events = every_event()
    assert {type(e).__name__ for e in events} == set(EVENT_TYPES), "add the new event type here"

    async def scenario() -> list[Event]:
        async with opened(tmp_path / "qms.db") as store:
            # one record per event, in two batches, so that event seqs and command seqs differ
            records = [record(e.at, [e], key=f"k{i}") for i, e in enumerate(events)]
            await store.append(HALL, records[:5])
            await store.append(HALL, records[5:])
            return await store.load_events(HALL)

    assert run(scenario) == events


def test_commands_round_trip_with_ticks_actor_and_responses(tmp_path: Path) -> None:
    commands: list[Command | None] = [
        IssueTicket(service="social-security", channel=Channel.MOBILE, phone="13812341234", note="老年人"),
        OpenWindow(window="w1", staff="zhang.san"),
        None,  # a timer tick: Hall.advance
        FinishService(window="w1", outcome=Outcome.TRANSFERRED, next_service="issuing", actor="zhang.san"),
    ]

    async def scenario() -> None:
        async with opened(tmp_path / "qms.db") as store:
            records = [
                Record(at=at(9, i), command=c, events=(), actor="kiosk-1", request_key=f"r{i}", response=f'{{"n":{i}}}')
                for i, c in enumerate(commands)
            ]
            await store.append(HALL, records)
            stored = await store.load_commands(HALL)
            assert [s.command for s in stored] == commands
            assert [s.at for s in stored] == [at(9, i) for i in range(4)]
            assert stored[0].at.utcoffset() == timedelta(hours=8)  # the hall's offset comes back
            assert [s.actor for s in stored] == ["kiosk-1"] * 4
            assert [s.seq for s in stored] == sorted(s.seq for s in stored)
            assert await store.response_for(HALL, "r2") == '{"n":2}'
            assert await store.response_for(HALL, "nope") is None
            assert await store.response_for("other-hall", "r2") is None

    run(scenario)


def test_load_commands_since_compares_instants_not_text(tmp_path: Path) -> None:

    async def scenario() -> None:
        async with opened(tmp_path / "qms.db") as store:
            # 09:30 Shanghai is 01:30 UTC; as text "2026-11-23T02:00+00:00" < "...T09:30+08:00"
            await store.append(
                HALL, [record(at(9, 0)), record(at(9, 30)), record(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))]
            )
            since = await store.load_commands(HALL, since=datetime(2026, 11, 23, 1, 30, tzinfo=UTC))
            assert [c.at for c in since] == [at(9, 30), at(10, 0)]
            assert len(await store.load_commands(HALL)) == 3
            with pytest.raises(QmsError, match="UTC offset"):
                await store.load_commands(HALL, since=datetime(2026, 11, 23, 9, 0))

    run(scenario)


def test_load_events_starts_at_last_day_opened_of_that_hall(tmp_path: Path) -> None:
    yesterday: list[Event] = [DayOpened(date(2026, 11, 22), at(8, 30, 22)), TicketIssued(ticket(day=22), at(9, 0, 22))]
    today: list[Event] = [DayOpened(date(2026, 11, 23), at(8, 30)), TicketExpired("20261122-A001", at(8, 30))]
    later: list[Event] = [WindowOpened("w1", "li.si", at(8, 45)), TicketIssued(ticket(), at(9, 0))]
    other: list[Event] = [DayOpened(date(2026, 11, 24), at(8, 30, 24)), WindowOpened("w9", "wang.wu", at(8, 31, 24))]

    async def scenario() -> None:
        async with opened(tmp_path / "qms.db") as store:
            await store.append(HALL, [record(e.at, [e]) for e in yesterday])
            await store.append(HALL, [record(at(8, 30), today)])  # DayOpened inside a batch
            await store.append("branch-hall", [record(e.at, [e]) for e in other])
            await store.append(HALL, [record(e.at, [e]) for e in later])
            assert await store.load_events(HALL) == today + later
            assert await store.load_events("branch-hall") == other
            assert await store.event_count(HALL) == 6
            never_opened: list[Event] = [WindowOpened("w1", "li.si", at(8, 0)), WindowClosed("w1", at(8, 1))]
            await store.append("street-office", [record(at(8, 0), never_opened)])
            assert await store.load_events("street-office") == never_opened
            assert await store.load_events("unknown-hall") == []

    run(scenario)


def test_batch_with_a_duplicate_request_key_stores_nothing(tmp_path: Path) -> None:
    issued = ticket()

    async def scenario() -> None:
        async with opened(tmp_path / "qms.db") as store:
            await store.append(HALL, [record(at(9), [TicketIssued(issued, at(9))], key="k1", tickets=(issued,))])
            called = replace(issued, state=TicketState.CALLED, window="w1", call_count=1, called_at=at(9, 5))
            batch = [
                record(at(9, 5), [TicketCalled(issued.id, "w1", None, at(9, 5), 1)], key="k2", tickets=(called,)),
                record(at(9, 6), [WindowOpened("w2", "li.si", at(9, 6))], key="k1", windows=(window(2),)),
            ]
            with pytest.raises(DuplicateRequest, match="'k1' is already stored") as caught:
                await store.append(HALL, batch)
            assert caught.value.code == "duplicate_request"
            with pytest.raises(DuplicateRequest, match="'k3' occurs twice"):
                await store.append(HALL, [record(at(9, 7), key="k3"), record(at(9, 8), key="k3")])
            assert await store.event_count(HALL) == 1
            assert len(await store.load_commands(HALL)) == 1
            assert await store.response_for(HALL, "k2") is None
            assert await store.tickets(HALL) == [issued]
            assert await store.windows(HALL) == []
            # the connection is usable afterwards, and keys are per hall
            await store.append(HALL, batch[:1])
            await store.append("branch-hall", [record(at(9), key="k1")])
            assert await store.tickets(HALL) == [called]

    run(scenario)


def test_projections_keep_the_latest_state_by_day(tmp_path: Path) -> None:
    old = ticket("B007", day=22, state=TicketState.EXPIRED)
    a1 = ticket("A001")
    a1_called = replace(a1, state=TicketState.CALLED, window="w2", staff="li.si", called_at=at(9, 5), call_count=1)
    a2 = ticket("A002", issued_at=at(9, 1), queued_at=at(9, 1))

    async def scenario() -> None:
        async with opened(tmp_path / "qms.db") as store:
            await store.append(HALL, [record(at(8, 30), tickets=(old,))])
            await store.append(
                HALL,
                [
                    record(at(9, 0), tickets=(a1,), windows=(window(2), window(1))),
                    record(at(9, 1), tickets=(a2,)),
                    record(
                        at(9, 5), tickets=(a1_called,), windows=(window(2, state=WindowState.CALLING, ticket=a1.id),)
                    ),
                ],
            )
            assert await store.tickets(HALL) == [old, a1_called, a2]
            assert await store.tickets(HALL, date(2026, 11, 23)) == [a1_called, a2]
            assert await store.tickets(HALL, date(2026, 11, 22)) == [old]
            assert await store.windows(HALL) == [window(1), window(2, state=WindowState.CALLING, ticket=a1.id)]
            assert await store.tickets("branch-hall") == []

    run(scenario)
    db = sqlite3.connect(tmp_path / "qms.db")
    row = db.execute('SELECT day, state, "window", staff, called_at, call_count FROM tickets WHERE id = ?', (a1.id,))
    assert row.fetchone() == ("2026-11-23", "called", "w2", "li.si", "2026-11-23T09:05:00+08:00", 1)
    db.close()


def test_reopen_after_close_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "qms.db"
    events = every_event()
    w = window(1, state=WindowState.PAUSED, staff="zhang.san", pause_reason="午休", since=at(12))

    async def write() -> None:
        async with opened(path) as store:
            await store.append(HALL, [record(at(9), events, key="k", response="{}", tickets=(ticket(),), windows=(w,))])

    async def read() -> None:
        async with opened(str(path)) as store:
            assert await store.load_events(HALL) == events
            assert await store.response_for(HALL, "k") == "{}"
            assert await store.tickets(HALL) == [ticket()]
            assert await store.windows(HALL) == [w]
            assert len(await store.load_commands(HALL)) == 1

    run(write)
    run(read)  # another event loop, another connection


def test_a_new_database_is_at_the_current_version_with_durable_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "qms.db"

    async def scenario() -> None:
        async with opened(path):
            pass
        async with opened(path) as store:  # nothing left to migrate
            db = store._db  # the PRAGMAs below are per connection: look at the store's own
            assert db is not None
            pragmas = ["synchronous", "foreign_keys", "busy_timeout"]
            values = [next(iter(await db.execute_fetchall(f"PRAGMA {name}")))[0] for name in pragmas]
            assert values == [2, 1, sqlite_module.BUSY_TIMEOUT_MS]  # 2 is FULL

    run(scenario)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone() == (len(sqlite_module.MIGRATIONS),)
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    db.close()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "qms.db"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    before = set(threading.enumerate())
    store = SqliteStore(path)
    known = len(sqlite_module.MIGRATIONS)
    with pytest.raises(SchemaTooNew, match=f"schema version 99, but this qms knows only up to {known}") as caught:
        run(store.open)
    assert isinstance(caught.value, QmsError) and caught.value.code == "schema_too_new"
    # the connection's worker thread ends just after it resolved close(); threads of earlier
    # tests may end meanwhile too, so look for new threads rather than count them all
    deadline = time.monotonic() + 5
    while set(threading.enumerate()) - before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not set(threading.enumerate()) - before  # the connection's worker thread was stopped
    with pytest.raises(StorageError, match="not open"):
        run(lambda: store.load_events(HALL))
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)  # nothing was created
    db.close()


def test_pending_migrations_run_in_order_and_a_failing_one_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "qms.db"
    v1 = sqlite_module.MIGRATIONS[0]
    monkeypatch.setattr(sqlite_module, "MIGRATIONS", (v1,))  # a database at version 1, whatever came later
    run(lambda: _open_close(path))
    broken = ("CREATE TABLE ratings (id INTEGER PRIMARY KEY)", "CREATE TABLE ratings (id INTEGER)")
    monkeypatch.setattr(sqlite_module, "MIGRATIONS", (v1, broken))
    with pytest.raises(StorageError, match="migration 2 failed"):
        run(lambda: _open_close(path))
    assert _tables_and_version(path) == ({"commands", "events", "tickets", "windows"}, 1)

    steps = ("CREATE TABLE ratings (id INTEGER PRIMARY KEY)", "ALTER TABLE ratings ADD COLUMN stars INTEGER")
    monkeypatch.setattr(sqlite_module, "MIGRATIONS", (v1, steps, ("CREATE INDEX ratings_stars ON ratings (stars)",)))
    run(lambda: _open_close(path))
    assert _tables_and_version(path) == ({"commands", "events", "tickets", "windows", "ratings"}, 3)


async def _open_close(path: Path) -> None:
    async with opened(path):
        pass


def _tables_and_version(path: Path) -> tuple[set[str], int]:
    db = sqlite3.connect(path)
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    (version,) = db.execute("PRAGMA user_version").fetchone()
    db.close()
    return tables, version


def test_naive_times_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with opened(tmp_path / "qms.db") as store:
            with pytest.raises(QmsError, match="UTC offset"):
                await store.append(HALL, [record(at(9)), record(datetime(2026, 11, 23, 9, 1))])
            assert await store.load_commands(HALL) == []

    run(scenario)


# The child appends batches of 3 records and prints how many it has stored after each append
# returned; it is killed with SIGKILL while it goes on appending.
CHILD = """
import asyncio, sys
from datetime import datetime, timedelta, timezone
from qms.core.commands import OpenWindow
from qms.core.events import WindowOpened
from qms.storage import Record, SqliteStore
from tests.factories import small_hall

async def main():
    store = SqliteStore(sys.argv[1])
    await store.open()
    start, n = datetime(2026, 11, 23, 9, tzinfo=timezone(timedelta(hours=8))), 0
    while True:
        batch = []
        for _ in range(3):
            now = start + timedelta(seconds=n)
            batch.append(Record(now, OpenWindow("w1", "s"), (WindowOpened("w1", "s", now),), request_key=f"k{n}"))
            n += 1
        await store.append("yuexiu-main", batch)
        print(n, flush=True)

asyncio.run(main())
"""


@pytest.mark.slow
def test_kill_9_right_after_an_append_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "qms.db"
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    printed = 0
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as child:
        assert child.stdout is not None and child.stderr is not None
        deadline = time.monotonic() + 20
        while printed < 60 * 3 and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                pytest.fail(f"child died: {child.stderr.read()}")
            printed = int(line)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert printed >= 60 * 3

    async def scenario() -> None:
        async with opened(path) as store:
            stored = await store.load_commands(HALL)
            assert len(stored) >= printed
            assert len(stored) % 3 == 0  # whole batches only
            assert await store.event_count(HALL) == len(stored)

    run(scenario)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    keys = {row[0] for row in db.execute("SELECT request_key FROM commands")}
    db.close()
    assert {f"k{n}" for n in range(printed)} <= keys
