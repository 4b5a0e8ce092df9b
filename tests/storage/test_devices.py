"""The device registry in the admin store (migration 6): seeded once, kept after, every change
with its audit row in the same transaction, and a failed change leaves neither."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from qms.config.devices import DeviceConfig
from qms.contract import DeviceKind
from qms.storage import sqlite as sqlite_module
from qms.storage.admin import SqliteAdminStore
from qms.storage.errors import StorageError

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KEYPAD = DeviceConfig("keypad-w1", DeviceKind.KEYPAD, "w1", "floor1", password="demo-device")
BRIDGE = DeviceConfig("bridge-1", DeviceKind.BRIDGE, zone="floor1", password_hash="$7$101$abc")
BEHIND = DeviceConfig("pad-w2", DeviceKind.RATING_PAD, "w2", "floor1", bridge="bridge-1")


async def _store(path: Path) -> SqliteAdminStore:
    store = SqliteAdminStore(path)
    await store.open()
    return store


def test_the_registry_is_seeded_once_then_kept(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = await _store(tmp_path / "qms.sqlite3")
        try:
            assert await store.seed_devices("hall", [KEYPAD, BRIDGE, BEHIND], AT) is True
            assert await store.seed_devices("hall", [KEYPAD], AT) is False  # the stored registry wins
            assert await store.devices("hall") == [BRIDGE, KEYPAD, BEHIND]  # every field back, by id
            assert await store.devices("other-hall") == []
            assert await store.audit("hall") == []  # seeding is not a change by anyone
        finally:
            await store.close()

    asyncio.run(scenario())
    db = sqlite3.connect(tmp_path / "qms.sqlite3")
    assert db.execute("PRAGMA user_version").fetchone() == (len(sqlite_module.MIGRATIONS),)
    assert len(sqlite_module.MIGRATIONS) >= 6
    db.close()


def test_every_change_writes_its_audit_row_and_never_a_secret(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = await _store(tmp_path / "qms.sqlite3")
        try:
            await store.seed_devices("hall", [KEYPAD, BRIDGE], AT)
            moved = DeviceConfig("keypad-w1", DeviceKind.KEYPAD, "w3", "floor2")
            await store.save_device("hall", moved, KEYPAD, "admin", AT, password_reset=True)
            await store.save_device("hall", BEHIND, None, "admin", AT)
            await store.remove_device("hall", BEHIND, "chief", AT)
            assert await store.devices("hall") == [BRIDGE, moved]
            removed, added, changed = await store.audit("hall", "devices")
            assert (changed.actor, changed.subject) == ("admin", "device keypad-w1")
            assert '"window":"w1"' in changed.before and '"login":"demo"' in changed.before
            assert '"window":"w3"' in changed.after and '"password":"reset"' in changed.after
            assert added.before == "" and '"bridge":"bridge-1"' in added.after
            assert (removed.actor, removed.after) == ("chief", "") and '"kind":"rating_pad"' in removed.before
            for entry in (removed, added, changed):
                assert "demo-device" not in entry.before + entry.after and "$7$" not in entry.before + entry.after
        finally:
            await store.close()

    asyncio.run(scenario())


def test_a_failed_change_leaves_neither_the_device_nor_its_audit_row(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = await _store(tmp_path / "qms.sqlite3")
        try:
            await store.seed_devices("hall", [KEYPAD], AT)
            naive = datetime(2026, 3, 2, 9, 0)  # refused before the transaction starts
            with pytest.raises(ValueError):
                await store.save_device("hall", BEHIND, None, "admin", naive)
            assert store._db is not None
            no_audit = "CREATE TRIGGER no_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'x'); END"
            await store._db.execute(no_audit)
            with pytest.raises(StorageError):
                await store.save_device("hall", BEHIND, None, "admin", AT)
            with pytest.raises(StorageError):
                await store.remove_device("hall", KEYPAD, "admin", AT)
            assert await store.devices("hall") == [KEYPAD]  # the device change rolled back with its audit row
        finally:
            await store.close()

    asyncio.run(scenario())
