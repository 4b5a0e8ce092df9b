"""SQLite storage of online booking: bookings, the blacklist, the booking log, calendar overrides.

Bookings span days and the hall log (`sqlite.SqliteStore`) is read back one business day at a
time, so booking keeps its own tables in the same database file (migration 2 of
`sqlite.MIGRATIONS`), on its own connection: WAL lets the two write in turn, and
`busy_timeout` makes one wait for the other's commit. The `bookings` and `blacklist` rows are
the state as it stands (upserted), `booking_events` is the append-only log. One `append` is
one transaction with `synchronous=FULL`, like the hall's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from qms.core.booking import BOOKING_EVENT_TYPES, BlacklistEntry, Booking, BookingEvent
from qms.core.codec import from_json, tagged_from_json, tagged_to_json, to_json

from .sqlite import SqliteFile
from .stored import dumps, read_stored

_UPSERT_BOOKING = (
    "INSERT INTO bookings (hall, code, person, service, start_utc, state, data) VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (hall, code) DO UPDATE SET state = excluded.state, data = excluded.data"
)
_UPSERT_ENTRY = (
    "INSERT INTO blacklist (hall, person, since_utc, until_utc, data) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (hall, person, since_utc) DO UPDATE SET data = excluded.data"
)


@dataclass(frozen=True, slots=True)
class BookingRecord:
    """One handled booking command (or a timer tick) with what it changed."""

    at: datetime
    events: tuple[BookingEvent, ...]
    bookings: tuple[Booking, ...] = ()  # as they stand after the events
    entries: tuple[BlacklistEntry, ...] = ()
    request_key: str | None = None
    response: str | None = None  # JSON answer replayed for request_key


@dataclass(frozen=True, slots=True)
class Override:
    day: date
    working: bool
    note: str
    changed_by: str
    changed_at: datetime


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class SqliteBookingStore(SqliteFile):
    """See the module docstring. `open` migrates too (harmless when the hall store did already)."""

    async def append(self, hall: str, records: list[BookingRecord]) -> None:
        """Store all records in one transaction, or none (StorageError)."""
        events: list[tuple[str, str, str, str]] = []
        bookings: dict[str, Booking] = {}
        entries: dict[tuple[str, datetime], BlacklistEntry] = {}
        requests: list[tuple[str, str, str]] = []
        for r in records:
            events += [(hall, utc(r.at), type(e).__name__, dumps(tagged_to_json(e))) for e in r.events]
            bookings.update((x.code, x) for x in r.bookings)
            entries.update(((x.person, x.since), x) for x in r.entries)
            if r.request_key is not None and r.response is not None:
                requests.append((hall, r.request_key, r.response))
        booking_rows = [
            (hall, x.code, x.person, x.service, utc(x.start), x.state.value, dumps(to_json(x)))
            for x in bookings.values()
        ]
        entry_rows = [(hall, x.person, utc(x.since), utc(x.until), dumps(to_json(x))) for x in entries.values()]
        async with self._transaction(f"{len(records)} booking records of {hall!r}") as db:
            await db.executemany("INSERT INTO booking_events (hall, at_utc, type, data) VALUES (?, ?, ?, ?)", events)
            await db.executemany(_UPSERT_BOOKING, booking_rows)
            await db.executemany(_UPSERT_ENTRY, entry_rows)
            await db.executemany("INSERT INTO booking_requests (hall, key, response) VALUES (?, ?, ?)", requests)

    async def load(self, hall: str, since: datetime) -> tuple[list[Booking], list[BlacklistEntry]]:
        """Bookings whose slot starts at `since` or later, and every blacklist entry not yet over."""
        async with self._locked() as db:
            rows = await db.execute_fetchall(
                "SELECT data FROM bookings WHERE hall = ? AND start_utc >= ? ORDER BY start_utc", (hall, utc(since))
            )
            entry_rows = await db.execute_fetchall(
                "SELECT data FROM blacklist WHERE hall = ? AND until_utc >= ? ORDER BY since_utc", (hall, utc(since))
            )
        return (
            [read_stored(_booking, r[0], "a stored booking") for r in rows],
            [read_stored(_entry, r[0], "a stored blacklist entry") for r in entry_rows],
        )

    async def response_for(self, hall: str, key: str) -> str | None:
        async with self._locked() as db:
            rows = list(
                await db.execute_fetchall(
                    "SELECT response FROM booking_requests WHERE hall = ? AND key = ?", (hall, key)
                )
            )
        return str(rows[0][0]) if rows else None

    async def events(self, hall: str, types: tuple[str, ...], limit: int = 200) -> list[tuple[int, BookingEvent]]:
        """The newest booking events of some types (e.g. warnings to send), newest first."""
        marks = ", ".join("?" for _ in types)
        sql = f"SELECT seq, data FROM booking_events WHERE hall = ? AND type IN ({marks}) ORDER BY seq DESC LIMIT ?"
        async with self._locked() as db:
            rows = await db.execute_fetchall(sql, (hall, *types, limit))
        return [(int(seq), read_stored(_event, data, f"booking event {seq}")) for seq, data in rows]

    async def blacklist_history(self, hall: str) -> list[BlacklistEntry]:
        async with self._locked() as db:
            rows = await db.execute_fetchall("SELECT data FROM blacklist WHERE hall = ? ORDER BY since_utc", (hall,))
        return [read_stored(_entry, r[0], "a stored blacklist entry") for r in rows]

    async def overrides(self) -> list[Override]:
        """Every calendar override, by date."""
        async with self._locked() as db:
            rows = await db.execute_fetchall("SELECT day, working, note, changed_by, changed_at FROM workday_overrides")
        return sorted(
            (Override(date.fromisoformat(d), bool(w), n, by, datetime.fromisoformat(at)) for d, w, n, by, at in rows),
            key=lambda o: o.day,
        )

    async def set_override(self, override: Override | None, day: date) -> None:
        """Store an override for `day`, or remove it (None)."""
        async with self._transaction(f"the calendar override of {day}") as db:
            if override is None:
                await db.execute("DELETE FROM workday_overrides WHERE day = ?", (day.isoformat(),))
            else:
                await db.execute(
                    "INSERT INTO workday_overrides (day, working, note, changed_by, changed_at) "
                    "VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (day) DO UPDATE SET working = excluded.working, note = excluded.note, "
                    "changed_by = excluded.changed_by, changed_at = excluded.changed_at",
                    (day.isoformat(), int(override.working), override.note, override.changed_by,
                     override.changed_at.isoformat()),
                )  # fmt: skip


def _booking(data: Any) -> Booking:
    return from_json(Booking, data)


def _entry(data: Any) -> BlacklistEntry:
    return from_json(BlacklistEntry, data)


def _event(data: Any) -> BookingEvent:
    return tagged_from_json(BOOKING_EVENT_TYPES, data, "booking event")
