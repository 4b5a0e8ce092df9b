"""What the admin pages work with besides the halls: the admin store, and each hall's device
link (the gateway and the broker it puts a changed device registry in force on).

`AdminDesk.start` seeds the staff accounts and each hall's device registry from the hall file
on first start and loads them: the accounts into the live account map (`WebState.accounts`),
the registry into `devices`; after every change the live copy is loaded again, so a disabled
account cannot log in any more and a new one can, at once, and a removed device is refused at
once. The account map is the only one: the web's logins read it, and so does the keypads'
sign-in over MQTT (the runtime hands the gateway this very map).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from starlette.requests import HTTPConnection

from qms.config.devices import DeviceConfig
from qms.storage.admin import SqliteAdminStore, StoredAccount
from qms.web.state import StaffAccountLike, WebState

log = logging.getLogger(__name__)


class DeviceLinkLike(Protocol):
    """What the device pages use of a hall's device link (`qms.mqtt.link.DeviceLink` fits)."""

    @property
    def mode(self) -> str: ...  # "managed", "external", "off", "unavailable" or "stopped": whose broker the devices use

    @property
    def problem(self) -> str | None: ...  # why no broker runs although the settings want one ("unavailable")

    @property
    def keeps_passwords(self) -> bool: ...  # the server's own broker: the admin pages show and reset passwords

    async def apply(self, devices: Sequence[DeviceConfig]) -> None: ...

    def password(self, device: DeviceConfig, *, new: bool = False) -> str | None: ...


@dataclass(slots=True)
class AdminDesk:
    store: SqliteAdminStore
    seed_devices: Mapping[str, Sequence[DeviceConfig]] = field(default_factory=dict)  # the hall file's, per hall
    links: dict[str, DeviceLinkLike] = field(default_factory=dict)  # per hall, set once the links exist
    devices: dict[str, tuple[DeviceConfig, ...]] = field(default_factory=dict)  # the registry in force, per hall
    # one change at a time goes to the links, so a slower earlier one never lands after a later one
    _applying: asyncio.Lock = field(default_factory=asyncio.Lock)
    # held while a device is checked against the hall's windows and stored, and while a window is
    # checked for devices and removed: one never slips in between the other's check and change,
    # so no device is left bound to a window the hall no longer has
    registry_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

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
        for hall, devices in self.seed_devices.items():
            await self.store.seed_devices(hall, devices, now)
            self.devices[hall] = tuple(await self.store.devices(hall))
        for hall, desk in state.bookings.items():
            rules = await self.store.booking_rules(hall)
            if rules is not None:
                desk.service.rules = rules

    async def reload(self, accounts: MutableMapping[str, StaffAccountLike]) -> None:
        """Make the live account map what the table says (disabled accounts left out)."""
        stored = await self.store.accounts()
        # in place, with no await between: its readers hold this very map and never see it empty
        accounts.clear()
        accounts.update((a.username, a) for a in stored if not a.disabled)

    async def devices_changed(self, hall: str) -> None:
        """Load the hall's registry again and put it in force on its device link. A failure
        there (the broker's files) is logged: the registry is stored and holds at the next start."""
        async with self._applying:
            self.devices[hall] = tuple(await self.store.devices(hall))
            link = self.links.get(hall)
            if link is None:
                return
            try:
                await link.apply(self.devices[hall])
            except Exception:
                log.exception("hall %s: the changed device registry could not be put in force on the broker", hall)


def admin_desk(conn: HTTPConnection) -> AdminDesk | None:
    """The server's admin desk, or None when the app runs without one (no database)."""
    desk = getattr(conn.app.state, "admin", None)
    return desk if isinstance(desk, AdminDesk) else None
