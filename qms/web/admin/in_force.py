"""Which parts of the hall file a starting server does not use, said at start.

The database wins over the hall file (README): staff accounts and the device registry are
copied from the file on first start, and the layout and booking rules follow it only until
their first change on the admin pages. An operator who edits those parts of the file later
sees nothing happen. So the server says at start which parts of the file differ from what
it runs with, and that the admin pages' version is the one in force; an edit is then never
ignored in silence.
"""

from __future__ import annotations

from collections.abc import Iterable

from qms.config.devices import DeviceConfig
from qms.core.booking import BookingRules
from qms.core.model import HallConfig

from ..state import StaffAccountLike as AccountLike


def layout_parts(file: HallConfig, running: HallConfig) -> list[str]:
    """The parts of the hall file's layout that differ from the layout in force."""
    parts = [
        ("names", (file.name, file.name_en), (running.name, running.name_en)),
        ("services", file.services, running.services),
        ("windows", file.windows, running.windows),
        ("hours", file.hours, running.hours),
        (
            "policy",
            (file.policy, file.calling, file.rating_minutes),
            (running.policy, running.calling, running.rating_minutes),
        ),
    ]
    return [name for name, a, b in parts if a != b]


def not_in_force(
    file: HallConfig,
    running: HallConfig,
    *,
    file_staff: Iterable[AccountLike],
    stored_staff: Iterable[AccountLike],
    file_devices: Iterable[DeviceConfig],
    stored_devices: Iterable[DeviceConfig],
    file_booking: BookingRules | None,
    running_booking: BookingRules | None,
) -> list[str]:
    """The parts of the hall file (as its sections are called) that differ from what the server
    runs with, which the admin pages keep: empty when the file is in force throughout."""
    out = [f"[hall] {part}" for part in layout_parts(file, running)]
    if _accounts(file_staff) != _accounts(stored_staff):
        out.append("[[staff]]")
    if _devices(file_devices) != _devices(stored_devices):
        out.append("[[devices]]")
    if file_booking is not None and running_booking is not None and file_booking != running_booking:
        out.append("[booking]")
    return out


def describe(parts: list[str]) -> str:
    """The start-up line's text for `not_in_force`'s answer."""
    if not parts:
        return "in force as written"
    return (
        f"{', '.join(parts)} differ from what the admin pages keep, which is in force "
        "(edit them on the admin pages; the database wins over the hall file)"
    )


def _accounts(accounts: Iterable[AccountLike]) -> set[tuple[str, str, str, tuple[str, ...]]]:
    # passwords left out: the admin pages reset them, and the file holds only hashes
    return {(a.username, a.name, str(a.role), tuple(str(w) for w in a.windows)) for a in accounts}


def _devices(devices: Iterable[DeviceConfig]) -> set[tuple[str, str, str | None, str, str | None]]:
    # passwords left out: the registry generates them for devices that have none in the file
    return {(d.id, str(d.kind), d.window, d.zone, d.bridge) for d in devices}
