"""What the admin pages work with besides the halls: the admin store, and what they show of
the hall file (the device registry).

`AdminDesk.start` seeds the staff accounts from the hall file on first start and loads them
into the live account map that logins read (`WebState.accounts`); after every change of an
account the map is loaded again, so a disabled account cannot log in any more and a new one
can, at once.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from starlette.requests import HTTPConnection

from qms.config.devices import DeviceConfig
from qms.storage.admin import SqliteAdminStore, StoredAccount
from qms.web.state import StaffAccountLike, WebState


@dataclass(slots=True)
class AdminDesk:
    store: SqliteAdminStore
    devices: Mapping[str, Sequence[DeviceConfig]] = field(default_factory=dict)  # per hall
    # the enabled accounts, kept in step with the table: for readers other than the web's logins
    # (the keypads' sign-in over MQTT)
    accounts: dict[str, StoredAccount] = field(default_factory=dict)

    async def start(self, state: WebState, seed: Sequence[StaffAccountLike], now: datetime) -> None:
        """Open the store, seed the accounts table from the hall file if it is empty, load it;
        put the booking rules saved on the admin pages in force (before booking starts)."""
        await self.store.open()
        seeded = [
            StoredAccount(a.username, a.name, str(a.role), a.password_hash, tuple(str(w) for w in a.windows))
            for a in seed
        ]
        await self.store.seed(seeded, now)
        await self.reload(state.accounts)
        await state.revocations.load(self.store, time.time())  # tokens use the wall clock
        for hall, desk in state.bookings.items():
            rules = await self.store.booking_rules(hall)
            if rules is not None:
                desk.service.rules = rules

    async def reload(self, accounts: MutableMapping[str, StaffAccountLike]) -> None:
        """Make the live account map what the table says (disabled accounts left out)."""
        stored = await self.store.accounts()
        enabled = {a.username: a for a in stored if not a.disabled}
        for live in (accounts, self.accounts):  # in place: their readers hold these very maps
            live.clear()
            live.update(enabled)


def admin_desk(conn: HTTPConnection) -> AdminDesk | None:
    """The server's admin desk, or None when the app runs without one (no database)."""
    desk = getattr(conn.app.state, "admin", None)
    return desk if isinstance(desk, AdminDesk) else None
