"""The devices' side of a running server: broker (external or managed) plus gateway.

`DeviceLink.start()` decides where the broker is: `QMS_MQTT_URL` if set ("off" for none);
otherwise a managed Mosquitto child when Mosquitto is installed, also for a hall without
devices yet: the first keypad or LED bar registered on the admin pages then signs in at once,
as any later one does, and the screens' and voice players' topics are published from the
start. When Mosquitto is missing, the server still runs and says so once: devices unavailable.

The device registry is the admin pages' (seeded from the hall file's `[[devices]]`): set
`devices` before `start()`; `apply()` puts a changed registry in force while running (the
gateway's device map, and the managed broker's password file and ACL, reloaded).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
from collections.abc import Callable, Sequence
from enum import StrEnum

from qms.config import HallFile, Settings
from qms.config.devices import DeviceConfig
from qms.contract import DeviceKind
from qms.core.errors import ConfigError
from qms.service import HallService
from qms.service.check_in import CheckInDesk

from .broker import BrokerAddress, ManagedBroker, mosquitto_available, parse_url
from .device_passwords import PASSWORDS_FILE, generated_password
from .gateway import Gateway

log = logging.getLogger(__name__)


MQTT_DIR = "mqtt"
SEQ_FILE = "display-seq"  # the displays' seq ceiling (seq.py)


class BrokerMode(StrEnum):
    """Whose broker the devices log in to, which decides who keeps their credentials."""

    MANAGED = "managed"  # the server's own Mosquitto: it writes the password file and ACL
    EXTERNAL = "external"  # QMS_MQTT_URL: the broker's operator sets the devices' credentials
    OFF = "off"  # no broker, by the settings (QMS_MQTT_URL=off)
    UNAVAILABLE = "unavailable"  # no broker against the settings: Mosquitto missing or failing, a bad URL
    STOPPED = "stopped"  # the link was stopped: the server is shutting down


class DeviceLink:
    """Broker and gateway of one hall for one server run."""

    def __init__(
        self,
        hall_file: HallFile,
        settings: Settings,
        service: HallService,
        booking: CheckInDesk | None = None,
        ticket_key: Callable[[str, str], str] | None = None,
    ) -> None:
        self.hall_file = hall_file
        self.ticket_key = ticket_key  # (hall, ticket id) -> the key that lets the holder rate
        self.booking = booking  # the hall's booking desk: dispensers check bookings in
        self.settings = settings
        self.service = service
        self.broker: ManagedBroker | None = None
        self.gateway: Gateway | None = None
        self.address: BrokerAddress | None = None
        self.devices: tuple[DeviceConfig, ...] = hall_file.devices  # the registry in force
        self._keeping: asyncio.Task[None] | None = None  # restarts the managed broker if it dies
        self._problem: str | None = None  # why no broker was started although the settings want one
        self._stopped = False

    @property
    def base_url(self) -> str:
        """Where devices in the hall reach this server's HTTP side (QMS_PUBLIC_URL, or host:port)."""
        return self.settings.public_url or f"http://{self.settings.host}:{self.settings.port}"

    def ticket_url(self, ticket_id: str) -> str:
        """The link in a ticket's QR code: the ticket's public page (its state, people ahead, wait),
        with the ticket's key when there is one, so that its holder can rate the service there."""
        url = f"{self.base_url}/t/{self.service.id}/{ticket_id}"
        if self.ticket_key is not None:
            url += f"?k={self.ticket_key(self.service.id, ticket_id)}"
        return url

    async def start(self) -> str:
        """Start what the settings ask for; returns one line saying what that is."""
        url = self.settings.mqtt_url
        if url is not None and url.lower() == "off":
            return "off (QMS_MQTT_URL=off)"
        if url is not None:
            try:
                self.address = parse_url(url)
            except ConfigError as err:
                log.error("devices unavailable: %s", err.message)
                return self._unavailable(err.message)
            what = f"{self.address.url()} (QMS_MQTT_URL)"
        else:
            if not mosquitto_available():
                log.warning("devices unavailable: Mosquitto is not installed (apt-get install mosquitto)")
                return self._unavailable("Mosquitto is not installed (apt-get install mosquitto, or set QMS_MQTT_URL)")
            directory = self.settings.data_dir / MQTT_DIR
            self.broker = ManagedBroker(directory, self.service.id, self.devices, self.settings.mqtt_port)
            try:
                self.address = await self.broker.start()
            except (RuntimeError, OSError, subprocess.SubprocessError) as err:  # mosquitto_passwd too
                log.error("devices unavailable: the managed Mosquitto did not start: %s", err)
                self.broker = None
                return self._unavailable(f"the managed Mosquitto did not start: {err}")
            self._keeping = asyncio.create_task(self.broker.keep_running(), name="managed mosquitto")
            what = f"mqtt://127.0.0.1:{self.address.port} (managed Mosquitto; " + (
                f"generated device passwords in {directory / PASSWORDS_FILE})"
                if self.devices
                else f"no devices yet; those added at {self.base_url}/admin/{self.service.id}/devices sign in at once)"
            )
            bar = next((d for d in self.devices if d.kind is DeviceKind.LED_BAR and d.password), None)
            if bar is not None and bar.window is not None:  # a demo hall: show how to try a bar
                what += (
                    f"\n  led bar:   python -m displays.ledbar --broker mqtt://{bar.id}:{bar.password}@127.0.0.1:"
                    f"{self.address.port} --hall {self.service.id} --window {bar.window}"
                )
        self.gateway = Gateway(
            self.service,
            self.devices,
            self.address,
            ticket_url=self.ticket_url,
            staff=self.hall_file.staff,
            booking=self.booking,
            seq_file=self.settings.data_dir / MQTT_DIR / SEQ_FILE,  # also with an external broker
        )
        await self.gateway.start()
        return what

    def _unavailable(self, problem: str) -> str:
        self._problem = problem
        return f"unavailable: {problem}"

    @property
    def problem(self) -> str | None:
        """Why no broker runs now although the settings want one (None when one runs)."""
        if self.broker is not None and self.broker.failure is not None:
            return self.broker.failure
        return self._problem

    @property
    def mode(self) -> BrokerMode:
        """Whose broker the devices use now: `unavailable` also while the managed Mosquitto has
        ended and is not running again yet, `stopped` after `stop()`."""
        if self._stopped:
            return BrokerMode.STOPPED
        if self.problem is not None:
            return BrokerMode.UNAVAILABLE
        if self.broker is not None:
            return BrokerMode.MANAGED
        return BrokerMode.EXTERNAL if self.address is not None else BrokerMode.OFF

    @property
    def keeps_passwords(self) -> bool:
        """Whether this server keeps the devices' passwords (its managed broker's password file),
        also while that broker is down for a moment: a change then holds once it runs again."""
        return self.broker is not None and not self._stopped

    async def apply(self, devices: Sequence[DeviceConfig]) -> None:
        """Put a changed registry in force: the gateway takes events from exactly these devices
        at once, and the managed broker lets exactly these log in (an external broker's
        operator changes its own credentials)."""
        self.devices = tuple(devices)
        if self.gateway is not None:
            self.gateway.devices = {d.id: d for d in self.devices}
        if self.broker is not None:
            await self.broker.update(self.devices)

    def password(self, device: DeviceConfig, *, new: bool = False) -> str | None:
        """The plain password a device logs in to the managed broker with (a demo password, or
        the generated one; with `new` a fresh generated one), None when the server does not
        know it: behind a bridge, a configured hash, or not the managed broker."""
        if not self.keeps_passwords or device.bridge is not None:
            return None
        if new:
            return generated_password(self.settings.data_dir / MQTT_DIR / PASSWORDS_FILE, device.id, new=True)
        if device.password_hash is not None:
            return None
        if device.password is not None:
            return device.password
        return generated_password(self.settings.data_dir / MQTT_DIR / PASSWORDS_FILE, device.id)

    async def stop(self) -> None:
        """Stop the gateway (announcing `$server` = `disconnected`), then the managed broker."""
        self._stopped = True
        if self.gateway is not None:
            await self.gateway.stop()
            self.gateway = None
        if self._keeping is not None:
            self._keeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeping
            self._keeping = None
        if self.broker is not None:
            await self.broker.stop()
            self.broker = None
