"""SQLite storage: the default `Store` (see base.py), on aiosqlite.

Theory of operation

- One aiosqlite connection (one worker thread) serves every hall of a server. An asyncio
  lock around each operation keeps one coroutine's transaction from interleaving with
  another's on the shared connection, and keeps reads from seeing a batch that may still
  roll back.
- Durability: WAL with `synchronous=FULL`, so the WAL is fsynced at every commit. With
  NORMAL a commit is only fsynced at the next checkpoint: it survives `kill -9` but not a
  power cut, and "stored before anyone is told" (DESIGN.md) would be a lie.
- `append` is group commit: the hall actor batches several handled commands, and all of
  them cost one fsync. Rows are encoded before the transaction starts, the transaction
  takes the write lock up front (BEGIN IMMEDIATE), command seqs are assigned here so that
  events can name their command and everything goes in with a few `executemany` calls.
- The log is the truth; the `tickets` and `windows` tables are projections upserted from
  what each record says the hall looks like after it. The store derives no state itself.
- Schema versions: `PRAGMA user_version` counts the applied steps of `MIGRATIONS`. Pending
  steps run in one transaction at `open`; a database from a newer qms is refused.
"""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import aiosqlite

from qms.core.codec import command_from_json, command_to_json, event_from_json, event_to_json, from_json, to_json
from qms.core.errors import InvalidInput
from qms.core.events import DayOpened, Event, LayoutChanged, ServiceRated, TicketCalled, TicketIssued
from qms.core.follow_up import FollowUp, FollowUpStatus
from qms.core.model import HallConfig, Ticket, Window

from . import audit
from . import follow_ups as _follow_ups
from .base import Record, StoredCommand
from .errors import DuplicateRequest, SchemaTooNew, StorageError
from .stored import dumps, read_stored

# Each migration is a list of SQL statements; migration N brings the schema to user_version N.
# Never edit a released step: append a new one. (A step that needs Python, e.g. to re-encode
# JSON, can become a callable when the first one is needed.)
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        # `at` is ISO 8601 as given (with the hall's offset); `at_utc` is the same instant in
        # UTC at fixed width, so that text order is time order whatever offsets were used.
        # `type` is the command's class name, or TIMER_TICK with `data` NULL.
        """CREATE TABLE commands (
            seq INTEGER PRIMARY KEY, hall TEXT NOT NULL, at TEXT NOT NULL, at_utc TEXT NOT NULL,
            actor TEXT NOT NULL, type TEXT NOT NULL, data TEXT, request_key TEXT, response TEXT,
            UNIQUE (hall, request_key)
        )""",
        "CREATE INDEX commands_hall_at ON commands (hall, at_utc)",
        # No index on command_seq: SQLite only needs one when a command is deleted, and the
        # log is append-only. `day` is set on DayOpened events only.
        """CREATE TABLE events (
            seq INTEGER PRIMARY KEY, hall TEXT NOT NULL, command_seq INTEGER NOT NULL REFERENCES commands (seq),
            at TEXT NOT NULL, day TEXT, type TEXT NOT NULL, data TEXT NOT NULL
        )""",
        "CREATE INDEX events_hall_type ON events (hall, type, seq)",
        # `day` is the business day in the ticket id ("20261122-A023"), see _business_day.
        """CREATE TABLE tickets (
            hall TEXT NOT NULL, id TEXT NOT NULL, day TEXT NOT NULL, number TEXT NOT NULL, service TEXT NOT NULL,
            channel TEXT NOT NULL, priority TEXT NOT NULL, state TEXT NOT NULL, "window" TEXT, staff TEXT,
            issued_at TEXT NOT NULL, called_at TEXT, started_at TEXT, finished_at TEXT, outcome TEXT,
            call_count INTEGER NOT NULL, data TEXT NOT NULL,
            PRIMARY KEY (hall, id)
        )""",
        "CREATE INDEX tickets_hall_day ON tickets (hall, day)",
        # `data` keeps the whole window too, so a field added to Window needs no migration.
        """CREATE TABLE windows (
            hall TEXT NOT NULL, id TEXT NOT NULL, number INTEGER NOT NULL, kind TEXT NOT NULL, state TEXT NOT NULL,
            staff TEXT, ticket TEXT, pause_reason TEXT NOT NULL, since TEXT, data TEXT NOT NULL,
            PRIMARY KEY (hall, id)
        )""",
    ),
    (
        # 好差评: one row per rated ticket step (ServiceRated), for reports and follow-ups of
        # bad ratings. `day` as in tickets; `bad` is 1 for the two bad levels.
        """CREATE TABLE ratings (
            hall TEXT NOT NULL, ticket TEXT NOT NULL, step INTEGER NOT NULL, day TEXT NOT NULL,
            "window" TEXT NOT NULL, staff TEXT, service TEXT NOT NULL, level TEXT NOT NULL, bad INTEGER NOT NULL,
            at TEXT NOT NULL, device TEXT NOT NULL,
            PRIMARY KEY (hall, ticket, step)
        )""",
        "CREATE INDEX ratings_hall_day ON ratings (hall, day)",
    ),
    (
        # Online booking (qms.storage.bookings): bookings span days, so they live in their own
        # tables rather than in the day-scoped hall log. `person` is a keyed hash, never an ID
        # number; `data` is the whole Booking / BlacklistEntry as JSON.
        """CREATE TABLE bookings (
            hall TEXT NOT NULL, code TEXT NOT NULL, person TEXT NOT NULL, service TEXT NOT NULL,
            start_utc TEXT NOT NULL, state TEXT NOT NULL, data TEXT NOT NULL,
            PRIMARY KEY (hall, code)
        )""",
        "CREATE INDEX bookings_hall_start ON bookings (hall, start_utc)",
        "CREATE INDEX bookings_person ON bookings (person)",
        """CREATE TABLE blacklist (
            hall TEXT NOT NULL, person TEXT NOT NULL, since_utc TEXT NOT NULL, until_utc TEXT NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (hall, person, since_utc)
        )""",
        # The booking log: every booking event in order (audit, notifications to send).
        """CREATE TABLE booking_events (
            seq INTEGER PRIMARY KEY, hall TEXT NOT NULL, at_utc TEXT NOT NULL, type TEXT NOT NULL,
            data TEXT NOT NULL
        )""",
        "CREATE INDEX booking_events_hall_type ON booking_events (hall, type, seq)",
        "CREATE TABLE booking_requests (hall TEXT NOT NULL, key TEXT NOT NULL, response TEXT NOT NULL, "
        "PRIMARY KEY (hall, key))",
        # The statutory calendar's overrides, for years chinese-calendar does not know yet.
        """CREATE TABLE workday_overrides (
            day TEXT PRIMARY KEY, working INTEGER NOT NULL, note TEXT NOT NULL, changed_by TEXT NOT NULL,
            changed_at TEXT NOT NULL
        )""",
    ),
    (
        # 差评回访: where the follow-up of each bad rating stands (a rating without a row is
        # still 待回访), with who moved it last and when (qms.core.follow_up).
        """CREATE TABLE rating_follow_ups (
            hall TEXT NOT NULL, ticket TEXT NOT NULL, step INTEGER NOT NULL, day TEXT NOT NULL,
            status TEXT NOT NULL, note TEXT NOT NULL, changed_by TEXT NOT NULL, changed_at TEXT NOT NULL,
            PRIMARY KEY (hall, ticket, step)
        )""",
        "CREATE INDEX rating_follow_ups_hall_day ON rating_follow_ups (hall, day)",
    ),
    (
        # The audit log of the admin pages (audit.py): one row per change, in the change's own
        # transaction. `before`/`after` are short JSON texts ("" when the thing did not exist).
        """CREATE TABLE audit (
            seq INTEGER PRIMARY KEY, hall TEXT NOT NULL, at TEXT NOT NULL, at_utc TEXT NOT NULL,
            actor TEXT NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL, before TEXT NOT NULL,
            after TEXT NOT NULL
        )""",
        "CREATE INDEX audit_hall_kind ON audit (hall, kind, seq)",
        # Staff accounts (admin.py), seeded from the hall file's [[staff]] on first start; from
        # then on the admin pages keep them. `windows` is a JSON array of window ids.
        """CREATE TABLE staff_accounts (
            username TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, password_hash TEXT NOT NULL,
            windows TEXT NOT NULL, disabled INTEGER NOT NULL, changed_at TEXT NOT NULL
        )""",
        # Booking rules changed on the admin pages (admin.py); they win over the hall file's [booking].
        "CREATE TABLE booking_rules (hall TEXT PRIMARY KEY, data TEXT NOT NULL, changed_at TEXT NOT NULL)",
    ),
    (
        # The device registry (devices.py), seeded from the hall file's [[devices]] on first
        # start; from then on the admin pages keep it. `password` is a demo hall's plain
        # password, `password_hash` a configured Mosquitto hash; with neither the server
        # generates the device's password (kept in <data>/mqtt/device-passwords.json).
        """CREATE TABLE devices (
            hall TEXT NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL, "window" TEXT, zone TEXT NOT NULL,
            bridge TEXT, password TEXT, password_hash TEXT, changed_at TEXT NOT NULL,
            PRIMARY KEY (hall, id)
        )""",
    ),
    (
        # Ended staff sessions (qms.web.revocations): a logged-out session id until it would have
        # expired anyway, and per account the time before which every token is void.
        """CREATE TABLE revoked_sessions (
            session TEXT PRIMARY KEY, username TEXT NOT NULL, expires_at INTEGER NOT NULL
        )""",
        "CREATE TABLE session_floors (username TEXT PRIMARY KEY, not_before INTEGER NOT NULL)",
    ),
)

BUSY_TIMEOUT_MS = 5000  # another process (a report, a backup) may hold the write lock briefly
TIMER_TICK = "timer"  # commands.type of a record without a command (Hall.advance)

_PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",  # not NORMAL: see the module docstring
    "PRAGMA foreign_keys = ON",
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
)

_TICKET_COLUMNS = (
    "hall", "id", "day", "number", "service", "channel", "priority", "state", '"window"', "staff",
    "issued_at", "called_at", "started_at", "finished_at", "outcome", "call_count", "data",
)  # fmt: skip
_WINDOW_COLUMNS = ("hall", "id", "number", "kind", "state", "staff", "ticket", "pause_reason", "since", "data")


def _upsert(table: str, columns: Sequence[str], keep: Sequence[str]) -> str:
    # `keep` columns never change for a key; leaving them out of SET spares their index.
    marks = ", ".join("?" for _ in columns)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in keep)
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) ON CONFLICT (hall, id) DO UPDATE SET {updates}"


_INSERT_COMMAND = (
    "INSERT INTO commands (seq, hall, at, at_utc, actor, type, data, request_key, response) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_EVENT = "INSERT INTO events (hall, command_seq, at, day, type, data) VALUES (?, ?, ?, ?, ?, ?)"
_UPSERT_TICKET = _upsert("tickets", _TICKET_COLUMNS, keep=("hall", "id", "day"))
_UPSERT_WINDOW = _upsert("windows", _WINDOW_COLUMNS, keep=("hall", "id"))
_INSERT_RATING = (
    'INSERT INTO ratings (hall, ticket, step, day, "window", staff, service, level, bad, at, device) '
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# `+hall` keeps the planner off events_hall_type (it would read every day of the hall and
# sort); the rowid range from the last DayOpened is the short path.
_LOAD_EVENTS = (
    "SELECT seq, data FROM events WHERE +hall = ? AND seq >= coalesce("
    "(SELECT max(seq) FROM events WHERE hall = ? AND type = 'DayOpened'), 0) ORDER BY seq"
)
_LOAD_LAYOUT = (
    "SELECT seq, data FROM events WHERE hall = ? AND type = 'LayoutChanged' AND seq < coalesce("
    "(SELECT max(seq) FROM events WHERE hall = ? AND type = 'DayOpened'), 0) ORDER BY seq DESC LIMIT 1"
)
_ID_DAY = re.compile(r"^(\d{8})-")

Row = tuple[Any, ...]
T = TypeVar("T")


class SqliteFile:
    """One connection to the database file, one operation at a time: what every store of the
    file (hall log, booking, admin) is built on, each on its own connection."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._db: aiosqlite.Connection | None = None
        self._lock: asyncio.Lock | None = None

    async def open(self) -> None:
        """Connect, set the PRAGMAs and apply pending migrations; call once before anything else."""
        if self._db is not None:
            raise StorageError(f"{self.path} is already open")
        self._db = await connect(self.path)
        self._lock = asyncio.Lock()  # made here, so a store reopened under another loop works

    async def close(self) -> None:
        """Wait for the operation under way, then close the connection. Closing twice is harmless."""
        if self._lock is None:
            return
        async with self._lock:
            db, self._db = self._db, None
            if db is not None:  # another close() may have run while this one waited
                await db.close()

    @asynccontextmanager
    async def _locked(self) -> AsyncIterator[aiosqlite.Connection]:
        """The connection, for one operation at a time."""
        if self._lock is None:
            raise StorageError(f"{self.path} is not open: call open() first")
        async with self._lock:
            if self._db is None:  # closed while this operation waited for the lock
                raise StorageError(f"{self.path} is closed")
            yield self._db

    async def _count(self, sql: str, params: Sequence[object] = ()) -> int:
        """The number a `SELECT count(*) ...` answers: counted by SQLite, no rows read out."""
        async with self._locked() as db:
            return await _scalar(db, sql, params)

    @asynccontextmanager
    async def _transaction(self, what: str = "the change") -> AsyncIterator[aiosqlite.Connection]:
        """The connection inside one write transaction (BEGIN IMMEDIATE): committed when the
        block ends, rolled back when it raises; a database error becomes a StorageError that
        says it could not store `what`."""
        async with self._locked() as db:
            try:
                await db.execute("BEGIN IMMEDIATE")
                yield db
                await db.execute("COMMIT")
            except BaseException as exc:
                await db.rollback()  # queued behind whatever already ran; a no-op if COMMIT got through
                if isinstance(exc, sqlite3.Error):
                    raise StorageError(f"{self.path}: could not store {what}: {exc}") from exc
                raise


class SqliteStore(SqliteFile):
    """The hall's log and projections in one SQLite file (see the module docstring)."""

    async def append(self, hall: str, records: list[Record]) -> None:
        """Store all records in one transaction, or none of them.

        Raises DuplicateRequest if a request_key is already stored for the hall or occurs
        twice in the batch, StorageError if the write fails; nothing is stored then.
        """
        if not records:
            return
        commands, events, tickets, windows = _encode(hall, records)
        ratings = _rating_rows(hall, records)
        audit_rows = audit.layout_rows(hall, records)
        async with self._locked() as db:
            try:
                await db.execute("BEGIN IMMEDIATE")
                first = await _scalar(db, "SELECT coalesce(max(seq), 0) + 1 FROM commands")
                await db.executemany(_INSERT_COMMAND, [(first + i, *row) for i, row in enumerate(commands)])
                if events:
                    await db.executemany(_INSERT_EVENT, [(hall, first + i, *row) for i, row in events])
                if tickets:
                    await db.executemany(_UPSERT_TICKET, tickets)
                if windows:
                    await db.executemany(_UPSERT_WINDOW, windows)
                if ratings:
                    await db.executemany(_INSERT_RATING, ratings)
                if audit_rows:
                    await db.executemany(audit.INSERT_AUDIT, audit_rows)
                await db.execute("COMMIT")
            except BaseException as exc:
                # Queued behind whatever already ran; a no-op if COMMIT got through.
                await db.rollback()
                if isinstance(exc, sqlite3.IntegrityError) and "request_key" in str(exc):
                    raise DuplicateRequest(await _duplicate_message(db, hall, records)) from exc
                if isinstance(exc, sqlite3.Error):
                    raise StorageError(f"could not store {len(records)} records of hall {hall!r}: {exc}") from exc
                raise

    async def load_events(self, hall: str) -> list[Event]:
        """The events of the hall's current business day, from its last DayOpened on, in order.

        A hall that never opened a day gets all its events.
        """
        async with self._locked() as db:
            rows = await db.execute_fetchall(_LOAD_EVENTS, (hall, hall))
        return [read_stored(event_from_json, row[1], f"event {row[0]}") for row in rows]

    async def load_layout(self, hall: str) -> HallConfig | None:
        """The layout the current business day opened with, if it was ever changed (see base.py)."""
        async with self._locked() as db:
            rows = list(await db.execute_fetchall(_LOAD_LAYOUT, (hall, hall)))
        if not rows:
            return None
        event = read_stored(event_from_json, rows[0][1], f"event {rows[0][0]}")
        return event.layout if isinstance(event, LayoutChanged) else None

    async def load_commands(self, hall: str, since: datetime | None = None) -> list[StoredCommand]:
        """The command log from `since` (inclusive) on, oldest first; `command` is None for a timer tick."""
        sql = "SELECT seq, at, actor, data FROM commands WHERE hall = ?"
        params: tuple[str, ...] = (hall,)
        if since is not None:
            sql += " AND at_utc >= ?"
            params += (_utc(since),)
        async with self._locked() as db:
            rows = await db.execute_fetchall(sql + " ORDER BY seq", params)
        return [
            StoredCommand(
                seq=seq,
                at=datetime.fromisoformat(at),
                command=None if data is None else read_stored(command_from_json, data, f"command {seq}"),
                actor=actor,
            )
            for seq, at, actor, data in rows
        ]

    async def response_for(self, hall: str, request_key: str) -> str | None:
        """The answer stored for an idempotency key, if that request was already handled."""
        sql = "SELECT response FROM commands WHERE hall = ? AND request_key = ?"
        async with self._locked() as db:
            rows = list(await db.execute_fetchall(sql, (hall, request_key)))
        response: str | None = rows[0][0] if rows else None
        return response

    async def tickets(self, hall: str, day: date | None = None) -> list[Ticket]:
        """The hall's tickets as last stored, in the order they were first stored; one business day if given."""
        sql = "SELECT id, data FROM tickets WHERE hall = ?"
        params: tuple[str, ...] = (hall,)
        if day is not None:
            sql += " AND day = ?"
            params += (day.isoformat(),)
        async with self._locked() as db:
            rows = await db.execute_fetchall(sql + " ORDER BY rowid", params)
        return [read_stored(lambda data: from_json(Ticket, data), row[1], f"ticket {row[0]}") for row in rows]

    async def windows(self, hall: str) -> list[Window]:
        """The hall's windows as last stored, by window number."""
        async with self._locked() as db:
            rows = await db.execute_fetchall("SELECT id, data FROM windows WHERE hall = ? ORDER BY number", (hall,))
        return [read_stored(lambda data: from_json(Window, data), row[1], f"window {row[0]}") for row in rows]

    async def ratings(self, hall: str, day: date | None = None) -> list[dict[str, Any]]:
        """The hall's ratings (好差评) in the order given, one business day if given: ticket,
        step, day, window, staff, service, level, bad, at, device."""
        sql = 'SELECT ticket, step, day, "window", staff, service, level, bad, at, device FROM ratings WHERE hall = ?'
        params: tuple[str, ...] = (hall,)
        if day is not None:
            sql += " AND day = ?"
            params += (day.isoformat(),)
        async with self._locked() as db:
            rows = await db.execute_fetchall(sql + " ORDER BY rowid", params)
        names = ("ticket", "step", "day", "window", "staff", "service", "level", "bad", "at", "device")
        return [dict(zip(names, row, strict=True)) | {"bad": bool(row[7])} for row in rows]

    async def calls(self, hall: str, day: date) -> list[TicketCalled]:
        """The calls (TicketCalled events) of the hall's business day `day`, in order."""
        async with self._locked() as db:
            return await _follow_ups.calls(db, hall, day)

    async def follow_ups(self, hall: str, day: date | None = None) -> list[FollowUp]:
        """The recorded follow-ups of bad ratings, of one business day's ratings if given."""
        async with self._locked() as db:
            return await _follow_ups.follow_ups(db, hall, day)

    async def save_follow_up(self, hall: str, day: date, follow_up: FollowUp, previous: FollowUpStatus | None) -> bool:
        """Store `follow_up` (of a rating of business day `day`) if the recorded one still has
        status `previous` (None: none recorded); False, storing nothing, if it changed meanwhile."""
        async with self._transaction(f"the follow-up of {follow_up.ticket_id}") as db:
            return await _follow_ups.save_follow_up(db, hall, day, follow_up, previous)

    async def event_count(self, hall: str) -> int:
        """How many events the hall has stored, over all days."""
        return await self._count("SELECT count(*) FROM events WHERE hall = ?", (hall,))


async def connect(path: str) -> aiosqlite.Connection:
    """A connection to the database at `path` with the PRAGMAs set and the schema migrated;
    each store of the file (hall log, booking, admin) opens its own this way."""
    # isolation_level=None: the sqlite3 module opens no transactions behind our back;
    # every transaction here is an explicit BEGIN IMMEDIATE ... COMMIT.
    db = await aiosqlite.connect(path, isolation_level=None)
    try:
        for pragma in _PRAGMAS:
            await db.execute(pragma)
        await _migrate(db, path)
    except BaseException:
        await db.close()  # its worker thread would otherwise keep the process alive
        raise
    return db


async def _migrate(db: aiosqlite.Connection, path: str) -> None:
    """Bring the schema to len(MIGRATIONS) in one transaction, or refuse a newer one."""
    known = len(MIGRATIONS)
    if await _scalar(db, "PRAGMA user_version") == known:
        return
    await db.execute("BEGIN IMMEDIATE")
    try:
        # Read again under the write lock: another process may have migrated meanwhile.
        version = await _scalar(db, "PRAGMA user_version")
        if version > known:
            raise SchemaTooNew(
                f"{path} has schema version {version}, but this qms knows only up to {known}: "
                "it was written by a newer qms; upgrade qms or use a backup"
            )
        for number in range(version + 1, known + 1):
            for statement in MIGRATIONS[number - 1]:
                try:
                    await db.execute(statement)
                except sqlite3.Error as exc:
                    raise StorageError(f"{path}: migration {number} failed: {exc}") from exc
        await db.execute(f"PRAGMA user_version = {known}")
        await db.execute("COMMIT")
    except BaseException:
        await db.rollback()
        raise


async def _scalar(db: aiosqlite.Connection, sql: str, params: Sequence[object] = ()) -> int:
    rows = list(await db.execute_fetchall(sql, params))
    return int(rows[0][0])


async def _duplicate_message(db: aiosqlite.Connection, hall: str, records: Iterable[Record]) -> str:
    # Only on the error path, so a second query to name the key costs nothing that matters.
    keys = [r.request_key for r in records if r.request_key is not None]
    twice = sorted(k for k, n in Counter(keys).items() if n > 1)
    if twice:
        return f"hall {hall!r}: request key {twice[0]!r} occurs twice in one batch; nothing was stored"
    marks = ", ".join("?" for _ in keys)
    sql = f"SELECT request_key FROM commands WHERE hall = ? AND request_key IN ({marks}) ORDER BY seq"
    stored = [row[0] for row in await db.execute_fetchall(sql, (hall, *keys))]
    key = stored[0] if stored else "?"
    return f"hall {hall!r}: request key {key!r} is already stored; nothing of this batch was stored"


def _encode(hall: str, records: Sequence[Record]) -> tuple[list[Row], list[tuple[int, Row]], list[Row], list[Row]]:
    """The rows of a batch: commands (without seq), events (with their record's index), and
    the last state of each ticket and window in the batch."""
    commands: list[Row] = []
    events: list[tuple[int, Row]] = []
    # Encoding dominates the cost of an append, so a ticket or window changed by several
    # records of the batch is encoded once, in its last state, and a ticket just issued
    # reuses the JSON already made for its TicketIssued event (keyed by object identity:
    # the records keep those objects alive until we return).
    tickets: dict[str, Ticket] = {}
    windows: dict[str, Window] = {}
    issued: dict[int, Any] = {}
    for index, record in enumerate(records):
        if record.command is None:
            kind, data = TIMER_TICK, None
        else:
            kind, data = type(record.command).__name__, dumps(command_to_json(record.command))
        row = (hall, _iso(record.at), _utc(record.at), record.actor, kind, data, record.request_key, record.response)
        commands.append(row)
        for event in record.events:
            encoded = event_to_json(event)
            if isinstance(event, TicketIssued):
                issued[id(event.ticket)] = encoded["ticket"]
            day = event.day.isoformat() if isinstance(event, DayOpened) else None
            events.append((index, (_iso(event.at), day, type(event).__name__, dumps(encoded))))
        tickets.update((t.id, t) for t in record.tickets)
        windows.update((w.id, w) for w in record.windows)
    # StrEnum members are str, so sqlite3 stores their values as they are.
    ticket_rows: list[Row] = [
        (
            hall, t.id, _business_day(t.id, t.issued_at), t.number, t.service, t.channel, t.priority, t.state,
            t.window, t.staff, _iso(t.issued_at), _iso_or_none(t.called_at), _iso_or_none(t.started_at),
            _iso_or_none(t.finished_at), t.outcome, t.call_count,
            dumps(issued[id(t)] if id(t) in issued else to_json(t)),
        )
        for t in tickets.values()
    ]  # fmt: skip
    window_rows: list[Row] = [
        (
            hall, w.id, w.number, w.kind, w.state, w.staff, w.ticket, w.pause_reason, _iso_or_none(w.since),
            dumps(to_json(w)),
        )
        for w in windows.values()
    ]  # fmt: skip
    return commands, events, ticket_rows, window_rows


def _rating_rows(hall: str, records: Sequence[Record]) -> list[Row]:
    """One ratings row per ServiceRated event of the batch (the table is a projection of them)."""
    rows: list[Row] = []
    for record in records:
        for event in record.events:
            if isinstance(event, ServiceRated):
                day = _business_day(event.ticket_id, event.at)
                rows.append(
                    (
                        hall, event.ticket_id, event.step, day, event.window, event.staff, event.service,
                        event.level, int(event.level.bad), _iso(event.at), event.device,
                    )
                )  # fmt: skip
    return rows


def _business_day(ticket_id: str, fallback: datetime) -> str:
    """The business day of ticket `ticket_id`: the date its id starts with ("20261122-A023").

    The id is the hall's own word on the day (numbering resets at DayOpened); the date of
    `fallback` (a time of the hall's) is only for ids of another shape, and is right only
    with a local offset.
    """
    match = _ID_DAY.match(ticket_id)
    if match:
        try:
            return date.fromisoformat(match[1]).isoformat()
        except ValueError:
            pass
    return fallback.date().isoformat()


def _iso(moment: datetime) -> str:
    if moment.utcoffset() is None:
        # The codec refuses to read naive date-times back, so refuse to write them.
        raise InvalidInput(f"date-time {moment.isoformat()} needs a UTC offset")
    return moment.isoformat()


def _iso_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else _iso(moment)


def _utc(moment: datetime) -> str:
    if moment.utcoffset() is None:
        raise InvalidInput(f"date-time {moment.isoformat()} needs a UTC offset")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
