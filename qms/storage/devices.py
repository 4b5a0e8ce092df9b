"""The device registry's rows (migration 6 of `sqlite.MIGRATIONS`): who may talk to the broker.

The hall file's `[[devices]]` (ranges expanded) seed the table on first start; from then on
the table is the truth and the admin pages keep it, so a device added there can sign in to
the managed broker at once and a removed one no longer can. `SqliteAdminStore` runs these
statements on its connection, each change in one transaction with its audit row.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from qms.config.devices import DeviceConfig
from qms.contract import DeviceKind

from .stored import dumps

COLUMNS = '"window", zone, bridge, password, password_hash'
SELECT = f"SELECT id, kind, {COLUMNS} FROM devices WHERE hall = ? ORDER BY id"
UPSERT = (
    f"INSERT INTO devices (hall, id, kind, {COLUMNS}, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
    'ON CONFLICT (hall, id) DO UPDATE SET kind = excluded.kind, "window" = excluded."window", '
    "zone = excluded.zone, bridge = excluded.bridge, password = excluded.password, "
    "password_hash = excluded.password_hash, changed_at = excluded.changed_at"
)
DELETE = "DELETE FROM devices WHERE hall = ? AND id = ?"
ANY = "SELECT 1 FROM devices WHERE hall = ? LIMIT 1"

Row = tuple[object, ...]


def row(hall: str, device: DeviceConfig, at: datetime) -> Row:
    """The values of one device for UPSERT."""
    d = device
    changed = at.astimezone(UTC).isoformat(timespec="seconds")
    return (hall, d.id, d.kind.value, d.window, d.zone, d.bridge, d.password, d.password_hash, changed)


def decode(rows: Iterable[Iterable[object]]) -> list[DeviceConfig]:
    """Rows of SELECT as devices."""
    out = []
    for device_id, kind, window, zone, bridge, password, password_hash in rows:
        out.append(
            DeviceConfig(
                id=str(device_id),
                kind=DeviceKind(str(kind)),
                window=None if window is None else str(window),
                zone=str(zone),
                bridge=None if bridge is None else str(bridge),
                password=None if password is None else str(password),
                password_hash=None if password_hash is None else str(password_hash),
            )
        )
    return out


def audit_text(device: DeviceConfig | None) -> str:
    """A device as the audit log shows it: never a password or hash, only how it logs in."""
    if device is None:
        return ""
    d = device
    data = {"kind": d.kind.value, "window": d.window, "zone": d.zone, "bridge": d.bridge, "login": login_of(d)}
    return dumps(data)


def login_of(device: DeviceConfig) -> str:
    """How a device logs in to the broker: through its bridge, a configured hash, a demo
    password, or a password the server generated."""
    if device.bridge is not None:
        return "bridge"
    if device.password_hash is not None:
        return "hash"
    return "demo" if device.password is not None else "generated"
