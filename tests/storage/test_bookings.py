"""The booking store against a real SQLite file: what it reads back, and a row that no longer fits."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from qms.core.booking import Booking, BookingChannel, BookingMade
from qms.storage.bookings import BookingRecord, SqliteBookingStore
from qms.storage.errors import StorageError

from .test_sqlite import HALL, at, run

BOOKING = Booking(
    "K7Q2", "social", at(10), at(10, 30), "person-key", "1101**********002X", "138****0000", BookingChannel.WEB, at(9)
)


def test_bookings_and_their_events_read_back_and_a_broken_row_is_a_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "qms.db"

    async def scenario() -> None:
        store = SqliteBookingStore(path)
        await store.open()
        try:
            await store.append(HALL, [BookingRecord(at(9), (BookingMade(BOOKING, at(9)),), (BOOKING,))])
            assert await store.load(HALL, at(9) - timedelta(days=1)) == ([BOOKING], [])
            assert await store.events(HALL, ("BookingMade",)) == [(1, BookingMade(BOOKING, at(9)))]
            with sqlite3.connect(path) as db:  # a row written by something else, that no longer fits
                db.execute("UPDATE bookings SET data = '{\"code\": 1}'")
                db.execute('UPDATE booking_events SET data = \'{"type": "Nonsense"}\'')
            with pytest.raises(StorageError, match="a stored booking cannot be read"):
                await store.load(HALL, at(9) - timedelta(days=1))
            with pytest.raises(StorageError, match="booking event 1 cannot be read"):
                await store.events(HALL, ("BookingMade",))
        finally:
            await store.close()

    run(scenario)
