"""The start-up line on which parts of the hall file are not in force (the admin pages' are)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

from qms.config.hall_file import HallFile, load_hall
from qms.storage.admin import SqliteAdminStore
from qms.web.admin import AdminDesk
from qms.web.admin.in_force import describe, not_in_force
from qms.web.revocations import SessionRevocations

DEMO = Path(__file__).resolve().parents[2] / "examples" / "qingyuan.toml"


def _differ(file: HallFile, hall=None, stored_staff=None, stored_devices=None, running_booking=None) -> list[str]:
    """What differs when the server runs with the given parts (the file's where not given: an
    empty part given, such as no accounts read back, counts as given)."""
    return not_in_force(
        file.hall,
        file.hall if hall is None else hall,
        file_staff=file.staff,
        stored_staff=file.staff if stored_staff is None else stored_staff,
        file_devices=file.devices,
        stored_devices=file.devices if stored_devices is None else stored_devices,
        file_booking=file.booking,
        running_booking=file.booking if running_booking is None else running_booking,
    )


def test_a_file_in_force_says_so():
    file = load_hall(DEMO)
    assert _differ(file) == []
    assert describe([]) == "in force as written"


def test_a_file_seeded_into_the_database_is_in_force(tmp_path: Path) -> None:
    """The accounts and devices as a start reads them back from the SQLite file (other types
    than the hall file's) compare equal to the file they were seeded from."""
    file = load_hall(DEMO)

    async def start() -> list[str]:
        desk = AdminDesk(SqliteAdminStore(tmp_path / "qms.sqlite3"), {file.hall.id: file.devices})
        state = SimpleNamespace(accounts={}, revocations=SessionRevocations(), bookings={})
        await desk.start(state, file.staff, datetime(2026, 11, 23, 9, 0))  # type: ignore[arg-type]
        try:
            return _differ(file, stored_staff=state.accounts.values(), stored_devices=desk.devices[file.hall.id])
        finally:
            await desk.store.close()

    assert asyncio.run(start()) == []
    assert asyncio.run(start()) == []  # the next start, on the stored copy


def test_each_part_the_admin_pages_changed_is_named():
    file = load_hall(DEMO)
    first = file.hall.windows[0]
    moved = replace(file.hall, windows=(replace(first, name="综合窗口甲"), *file.hall.windows[1:]))
    assert _differ(file, hall=moved) == ["[hall] windows"]
    timed = replace(file.hall, calling=replace(file.hall.calling, max_calls=5), name_en="Renamed")
    assert _differ(file, hall=timed) == ["[hall] names", "[hall] policy"]
    staff = (replace(file.staff[0], name="改名"), *file.staff[1:])
    assert _differ(file, stored_staff=staff) == ["[[staff]]"]
    assert _differ(file, stored_devices=file.devices[1:]) == ["[[devices]]"]
    assert file.booking is not None
    rules = replace(file.booking, per_week=file.booking.per_week + 1)
    assert _differ(file, running_booking=rules) == ["[booking]"]
    text = describe(["[hall] windows", "[[staff]]"])
    assert text.startswith("[hall] windows, [[staff]] differ") and "admin pages" in text


def test_passwords_are_not_compared():
    file = load_hall(DEMO)
    staff = (replace(file.staff[0], password_hash="$argon2id$other"), *file.staff[1:])
    devices = (replace(file.devices[0], password="another-one", password_hash=None), *file.devices[1:])
    assert _differ(file, stored_staff=staff, stored_devices=devices) == []
