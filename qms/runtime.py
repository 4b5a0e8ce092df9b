"""Putting a server together: a hall file and settings in, a running ASGI app out.

One SQLite database in the data directory holds every hall of the server; each hall gets
its own single-writer `HallService`. The app's lifespan opens the store and starts the
halls on uvicorn's own event loop, and stops them in reverse on shutdown.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette

from qms.booking.calendar import StatutoryCalendar
from qms.booking.people import PersonHasher
from qms.config import HallFile, Settings
from qms.mqtt.link import DeviceLink
from qms.mqtt.voice import VoiceOverMqtt
from qms.service import HallService
from qms.service.booking import BookingService
from qms.storage import SqliteStore
from qms.storage.admin import SqliteAdminStore
from qms.storage.bookings import SqliteBookingStore
from qms.voice.build import build_announcer
from qms.web.admin import AdminDesk
from qms.web.admin.in_force import describe, not_in_force
from qms.web.app import create_app
from qms.web.booking_desk import BookingDesk
from qms.web.state import WebState
from qms.web.tokens import TicketKeys

DATABASE_NAME = "qms.sqlite3"
VOICE_CACHE = "voice-cache"  # rendered segments of the voice pack, kept across restarts


def load_secret(path: Path) -> bytes:
    """The server's token secret, made on first start and kept so tokens survive restarts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        secret = path.read_bytes()
    except FileNotFoundError:
        secret = secrets.token_bytes(32)
        # create it readable by the server's user only; O_EXCL so two starts cannot race
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(secret)
    if len(secret) < 16:
        raise SystemExit(f"{path}: the secret is too short; delete the file to make a new one")
    return secret


def build_app(hall_file: HallFile, settings: Settings) -> Starlette:
    """The ASGI app of one hall file, storing in `settings.data_dir`."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = SqliteStore(settings.data_dir / DATABASE_NAME)
    service = HallService(hall_file.hall, store)
    secret = load_secret(settings.secret_file)
    desks: dict[str, BookingDesk] = {}
    booking_store = SqliteBookingStore(settings.data_dir / DATABASE_NAME)
    if hall_file.booking is not None:  # online booking: its own actor and tables (qms.service.booking)
        booking = BookingService(service, hall_file.booking, booking_store, StatutoryCalendar())
        desks[service.id] = BookingDesk(booking, PersonHasher(secret), hall_file.site, hall_file.neighbours)
    announcer = build_announcer(service, hall_file.voice, settings.data_dir / VOICE_CACHE)
    keys = TicketKeys(secret)  # the same keys as the app's: the printed QR links carry them
    devices = DeviceLink(hall_file, settings, service, booking=desks.get(service.id), ticket_key=keys.key)
    admin = AdminDesk(SqliteAdminStore(settings.data_dir / DATABASE_NAME), {service.id: hall_file.devices})
    admin.links[service.id] = devices

    @asynccontextmanager
    async def runtime() -> AsyncIterator[None]:
        # each part starts after what it depends on and stops before it (the stack unwinds)
        async with AsyncExitStack() as stack:
            await store.open()
            stack.push_async_callback(store.close)
            await service.start()
            stack.push_async_callback(service.stop)
            # staff accounts and devices (seeded from the hall file once) and booking rules kept by the admin pages
            web: WebState = app.state.qms
            await admin.start(web, hall_file.staff, service.now())
            stack.push_async_callback(admin.store.close)
            differ = not_in_force(
                hall_file.hall,
                service.config,
                file_staff=hall_file.staff,
                stored_staff=web.accounts.values(),
                file_devices=hall_file.devices,
                stored_devices=admin.devices[service.id],
                file_booking=hall_file.booking,
                running_booking=desks[service.id].service.rules if service.id in desks else None,
            )
            print(f"  hall file: {describe(differ)}", flush=True)
            if desks:
                await booking_store.open()
                stack.push_async_callback(booking_store.close)
            for desk in desks.values():
                await desk.service.start()
                stack.push_async_callback(desk.service.stop)
            await announcer.start()  # after the hall: it subscribes to the hall's events
            stack.push_async_callback(announcer.stop)
            devices.devices = admin.devices[service.id]  # the stored registry wins over the hall file
            stack.push_async_callback(devices.stop)  # first: a start that fails half-way leaves no broker
            # a managed Mosquitto and the gateway also run while the registry is empty, so that
            # the first device added on the admin pages signs in at once
            print(f"  devices:   {await devices.start()}", flush=True)
            if devices.gateway is not None:  # keypads sign in with the accounts the web's logins read
                devices.gateway.staff = web.accounts
            announcer.add_sink(VoiceOverMqtt(devices))  # the zones' players over MQTT
            yield

    app = create_app({service.id: service}, hall_file.staff, secret, runtime=runtime, bookings=desks)
    app.state.voice = {service.id: announcer}
    app.state.admin = admin
    return app
