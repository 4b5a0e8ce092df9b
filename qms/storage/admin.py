"""SQLite storage of what the admin pages keep outside the hall log: staff accounts, booking
rules and the audit log (migration 5 of `sqlite.MIGRATIONS`), the device registry (migration 6,
rows in devices.py) and ended staff sessions (migration 7, see qms.web.revocations).

Booking rules changed on the admin pages are kept here too (one row per hall) and win over the
hall file's `[booking]` from then on.

Staff accounts are the server's, not one business day's, so they are rows rather than
events. The hall file's `[[staff]]` seeds the table on first start; from then on the table is
the truth (the API's logins read it), so an account disabled here can no longer log in and a
new one can. Every change of an account writes its audit row in the same transaction. On its
own connection to the hall's database file, like the booking store.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from qms.config.devices import DeviceConfig
from qms.core.booking import BookingRules
from qms.core.codec import from_json, to_json
from qms.core.layout import describe_change

from . import audit
from . import devices as _devices
from .audit import AuditEntry
from .sqlite import SqliteFile
from .stored import dumps, read_stored

_UPSERT_ACCOUNT = (
    "INSERT INTO staff_accounts (username, name, role, password_hash, windows, disabled, changed_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (username) DO UPDATE SET name = excluded.name, "
    "role = excluded.role, password_hash = excluded.password_hash, windows = excluded.windows, "
    "disabled = excluded.disabled, changed_at = excluded.changed_at"
)
_AUDIT_LIMIT = 500


@dataclass(frozen=True, slots=True)
class StoredAccount:
    """A staff account as the table keeps it (fits the web layer's StaffAccountLike)."""

    username: str
    name: str
    role: str
    password_hash: str = field(repr=False)
    windows: tuple[str, ...] = ()
    disabled: bool = False

    def audit_text(self) -> str:
        """The account as the audit log shows it: never the hash, only whether it changed."""
        data = {"name": self.name, "role": self.role, "windows": list(self.windows), "disabled": self.disabled}
        return dumps(data)


class SqliteAdminStore(SqliteFile):
    """Staff accounts and the audit log in the hall's SQLite file (see the module docstring)."""

    async def seed(self, accounts: Sequence[StoredAccount], at: datetime) -> bool:
        """Fill the empty accounts table from the hall file; False when it already had accounts."""
        async with self._transaction() as db:
            if list(await db.execute_fetchall("SELECT 1 FROM staff_accounts LIMIT 1")):
                return False
            await db.executemany(_UPSERT_ACCOUNT, [_row(a, at) for a in accounts])
            return True

    async def accounts(self) -> list[StoredAccount]:
        """Every account, disabled ones too, by user name."""
        sql = "SELECT username, name, role, password_hash, windows, disabled FROM staff_accounts ORDER BY username"
        async with self._locked() as db:
            rows = await db.execute_fetchall(sql)
        return [StoredAccount(u, n, r, h, tuple(str(w) for w in json.loads(ws)), bool(d)) for u, n, r, h, ws, d in rows]

    async def account_count(self) -> int:
        """How many accounts there are, disabled ones too."""
        return await self._count("SELECT count(*) FROM staff_accounts")

    async def save_account(
        self, hall: str, account: StoredAccount, before: StoredAccount | None, actor: str, at: datetime
    ) -> None:
        """Add or change one account and write its audit row, in one transaction."""
        subject = f"staff {account.username}"
        after_text = account.audit_text()
        before_text = "" if before is None else before.audit_text()
        if before is not None and account.password_hash != before.password_hash:
            after_text = _password_reset(after_text)
        row = audit.audit_row(hall, at, actor, "staff", subject, before_text, after_text)
        async with self._transaction() as db:
            await db.execute(_UPSERT_ACCOUNT, _row(account, at))
            await db.execute(audit.INSERT_AUDIT, row)

    async def booking_rules(self, hall: str) -> BookingRules | None:
        """The booking rules last saved on the admin pages for `hall`, if any."""
        async with self._locked() as db:
            rows = list(await db.execute_fetchall("SELECT data FROM booking_rules WHERE hall = ?", (hall,)))
        if not rows:
            return None
        return read_stored(lambda data: from_json(BookingRules, data), rows[0][0], f"the booking rules of {hall!r}")

    async def save_booking_rules(
        self, hall: str, rules: BookingRules, before: BookingRules, actor: str, at: datetime
    ) -> None:
        """Keep new booking rules for `hall` and write their audit row, in one transaction."""
        change = describe_change("booking rules", before, rules)
        row = audit.audit_row(hall, at, actor, "booking", change.subject, change.before, change.after)
        data = dumps(to_json(rules))
        changed = at.astimezone(UTC).isoformat(timespec="seconds")
        sql = (
            "INSERT INTO booking_rules (hall, data, changed_at) VALUES (?, ?, ?) "
            "ON CONFLICT (hall) DO UPDATE SET data = excluded.data, changed_at = excluded.changed_at"
        )
        async with self._transaction() as db:
            await db.execute(sql, (hall, data, changed))
            await db.execute(audit.INSERT_AUDIT, row)

    async def revoked_sessions(self, now: float) -> tuple[dict[str, int], dict[str, int]]:
        """The ended sessions (qms.web.revocations): revoked session ids with their expiry, not yet
        expired, and each account's `not_before`; expired ids are deleted on the way."""
        async with self._transaction() as db:
            await db.execute("DELETE FROM revoked_sessions WHERE expires_at <= ?", (int(now),))
            revoked = await db.execute_fetchall("SELECT session, expires_at FROM revoked_sessions")
            floors = await db.execute_fetchall("SELECT username, not_before FROM session_floors")
        return {str(s): int(e) for s, e in revoked}, {str(u): int(n) for u, n in floors}

    async def revoke_session(self, session_id: str, username: str, expires_at: int, now: float) -> None:
        """Keep a logged-out session id until it expires (and forget the expired ones)."""
        sql = "INSERT OR REPLACE INTO revoked_sessions (session, username, expires_at) VALUES (?, ?, ?)"
        async with self._transaction() as db:
            await db.execute("DELETE FROM revoked_sessions WHERE expires_at <= ?", (int(now),))
            await db.execute(sql, (session_id, username, expires_at))

    async def end_sessions(self, username: str, not_before: int, audit_row: Sequence[object] = ()) -> None:
        """Void every token of `username` issued before `not_before` (Unix seconds), with the
        change's audit row (`audit.audit_row`) if given, in one transaction."""
        sql = (
            "INSERT INTO session_floors (username, not_before) VALUES (?, ?) ON CONFLICT (username) "
            "DO UPDATE SET not_before = max(not_before, excluded.not_before)"
        )
        async with self._transaction() as db:
            await db.execute(sql, (username, not_before))
            if audit_row:
                await db.execute(audit.INSERT_AUDIT, tuple(audit_row))

    async def seed_devices(self, hall: str, devices: Sequence[DeviceConfig], at: datetime) -> bool:
        """Fill the hall's empty device registry from the hall file; False when it had devices."""
        async with self._transaction() as db:
            if list(await db.execute_fetchall(_devices.ANY, (hall,))):
                return False
            await db.executemany(_devices.UPSERT, [_devices.row(hall, d, at) for d in devices])
            return True

    async def devices(self, hall: str) -> list[DeviceConfig]:
        """The hall's device registry, by id."""
        async with self._locked() as db:
            return _devices.decode(await db.execute_fetchall(_devices.SELECT, (hall,)))

    async def save_device(
        self,
        hall: str,
        device: DeviceConfig,
        before: DeviceConfig | None,
        actor: str,
        at: datetime,
        *,
        password_reset: bool = False,
    ) -> None:
        """Add or change one device and write its audit row, in one transaction."""
        after_text = _devices.audit_text(device)
        if password_reset:
            after_text = _password_reset(after_text)
        row = audit.audit_row(
            hall, at, actor, "devices", f"device {device.id}", _devices.audit_text(before), after_text
        )
        async with self._transaction() as db:
            await db.execute(_devices.UPSERT, _devices.row(hall, device, at))
            await db.execute(audit.INSERT_AUDIT, row)

    async def remove_device(self, hall: str, before: DeviceConfig, actor: str, at: datetime) -> None:
        """Take a device out of the registry and write its audit row, in one transaction."""
        row = audit.audit_row(hall, at, actor, "devices", f"device {before.id}", _devices.audit_text(before), "")
        async with self._transaction() as db:
            await db.execute(_devices.DELETE, (hall, before.id))
            await db.execute(audit.INSERT_AUDIT, row)

    async def audit(self, hall: str, kind: str | None = None, limit: int = _AUDIT_LIMIT) -> list[AuditEntry]:
        """The hall's audit log, newest first, of one kind if given."""
        sql = "SELECT seq, hall, at, actor, kind, subject, before, after FROM audit WHERE hall = ?"
        params: tuple[object, ...] = (hall,)
        if kind:
            sql += " AND kind = ?"
            params += (kind,)
        async with self._locked() as db:
            rows = await db.execute_fetchall(sql + " ORDER BY seq DESC LIMIT ?", (*params, limit))
        return [AuditEntry(s, h, datetime.fromisoformat(at), a, k, sub, b, af) for s, h, at, a, k, sub, b, af in rows]


def _row(account: StoredAccount, at: datetime) -> tuple[object, ...]:
    windows = json.dumps(list(account.windows))
    changed = at.astimezone(UTC).isoformat(timespec="seconds")
    a = account
    return (a.username, a.name, a.role, a.password_hash, windows, int(a.disabled), changed)


def _password_reset(audit_text: str) -> str:
    """An audit text (a JSON object) that also says the password was reset, never what to."""
    return audit_text[:-1] + ',"password":"reset"}'
