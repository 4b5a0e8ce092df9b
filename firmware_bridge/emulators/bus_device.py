"""Emulated RS-485 devices on a pty: a keypad, an LED bar, a rating pad, a help button, a dispenser's panel.

Each runs the reference device end of the protocol (`firmware_bridge.device.DeviceLink`) on its
own pty. Tests and the command line drive it: `press(...)` is a person at the device, `shown`
is what its display shows now, `beeps` counts the buzzer; `power_off()` makes it fall silent (a
pulled power plug) and `power_on()` boots it again with a new session, `close()` pulls the cable.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from types import TracebackType
from typing import Any

from firmware_bridge.device import CommandReceived, Delivered, DeviceLink
from firmware_bridge.messages import (
    AckResult,
    Beep,
    CheckIn,
    CheckInBy,
    DeviceEvent,
    DeviceKind,
    Help,
    Key,
    KeyPress,
    Rating,
    Show,
    StatusFlag,
    Take,
)

from .pty_port import PtyPort


class SharedBus:
    """One pty with several devices on it, as an RS-485 line along a row of windows.

    Every device hears every byte and answers only what is addressed to it; their frames go out on
    the same line. `add(kind, address)` puts a device on it.
    """

    def __init__(self) -> None:
        self.port = PtyPort(self._received)
        self.devices: list[BusDeviceEmulator] = []

    @property
    def path(self) -> str:
        """The slave path to give the bridge."""
        return self.port.path

    def add(self, kind: DeviceKind, address: int, **options: Any) -> BusDeviceEmulator:
        """A new device at `address` on this line."""
        if any(d.address == address for d in self.devices):
            raise ValueError(f"address {address} is taken on this bus")
        device = BusDeviceEmulator(kind, address, bus=self, **options)
        self.devices.append(device)
        return device

    def close(self) -> None:
        """Pull the line's cable: every device on it goes with it."""
        for device in self.devices:
            device.power_off()
        self.port.close()

    def _received(self, data: bytes) -> None:
        for device in self.devices:
            device._received(data)


class BusDeviceEmulator:
    """One device at `address`, alone on its own pty (or on a `SharedBus`)."""

    def __init__(
        self,
        kind: DeviceKind,
        address: int,
        *,
        firmware: str = "1.0",
        retry_after: float = 0.2,
        bus: SharedBus | None = None,
    ) -> None:
        self.kind = kind
        self.address = address
        self.firmware = firmware
        self.retry_after = retry_after
        self.shown: Show | None = None  # what the display shows now
        self.history: list[Show] = []  # every text shown, in order
        self.beeps = 0
        self.powered = True
        self.on_change: Callable[[], None] | None = None  # the command line prints from here
        self._loop = asyncio.get_running_loop()
        self._bus = bus
        self._port = PtyPort(self._received) if bus is None else bus.port
        self._link = self._boot()
        self._timer: asyncio.TimerHandle | None = None
        self._clear_timer: asyncio.TimerHandle | None = None
        self._results: dict[int, asyncio.Future[AckResult | None]] = {}
        self._changed = asyncio.Event()
        self._flush()

    @property
    def path(self) -> str:
        """The slave path to give the bridge (bridge.toml's `path`)."""
        return self._port.path

    @property
    def flags(self) -> StatusFlag:
        """The fault flags it reports."""
        return self._link.flags

    @flags.setter
    def flags(self, flags: StatusFlag) -> None:
        self._link.flags = flags

    def press(self, event: DeviceEvent) -> asyncio.Future[AckResult | None]:
        """A person pressed something; the future resolves to the bridge's answer (None: no answer)."""
        future: asyncio.Future[AckResult | None] = self._loop.create_future()
        if not self.powered:
            future.set_result(None)
            return future
        token = self._link.press(event, self._loop.time())
        self._results[token] = future
        self._flush()
        return future

    def press_key(self, key: Key, argument: str = "") -> asyncio.Future[AckResult | None]:
        """A keypad button."""
        return self.press(KeyPress(key, argument))

    def rate(self, level: int) -> asyncio.Future[AckResult | None]:
        """A rating pad button, 5 非常满意 .. 1 非常不满意."""
        return self.press(Rating(level))

    def take(self, button: int) -> asyncio.Future[AckResult | None]:
        """A dispenser's service button."""
        return self.press(Take(button))

    def check_in(self, by: CheckInBy, value: str) -> asyncio.Future[AckResult | None]:
        """A booking check-in: a code from the scanner or keys, or an ID number from the card reader."""
        return self.press(CheckIn(by, value))

    def call_help(self) -> asyncio.Future[AckResult | None]:
        """The call-for-help button."""
        return self.press(Help())

    async def wait_for(self, predicate: Callable[[BusDeviceEmulator], bool], within: float = 5.0) -> None:
        """Wait until `predicate(self)` holds (TimeoutError after `within` seconds)."""
        async with asyncio.timeout(within):
            while not predicate(self):
                self._changed.clear()
                await self._changed.wait()

    def power_off(self) -> None:
        """Fall silent: answer nothing, forget the session (what a pulled plug does)."""
        self.powered = False
        self._cancel_timers()
        for future in self._results.values():
            if not future.done():
                future.set_result(None)
        self._results.clear()
        self.shown = None

    def power_on(self) -> None:
        """Boot again: a new session (new nonce), a HELLO to the host."""
        if self.powered:
            return
        self.powered = True
        self._link = self._boot()
        self._flush()

    def close(self) -> None:
        """Pull the cable and stop (on a shared bus: unplug this device only)."""
        self.power_off()
        if self._bus is None:
            self._port.close()

    async def __aenter__(self) -> BusDeviceEmulator:
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def _boot(self) -> DeviceLink:
        rng = random.SystemRandom()
        return DeviceLink(
            self.address,
            self.kind,
            nonce=rng.randrange(0x10000),
            now=self._loop.time(),
            firmware=self.firmware,
            retry_after=self.retry_after,
            first_seq=rng.randrange(256),
        )

    def _received(self, data: bytes) -> None:
        if not self.powered:
            return
        now = self._loop.time()
        self._handle(self._link.receive(data, now))
        self._flush()

    def _tick(self) -> None:
        self._timer = None
        if self.powered:
            self._handle(self._link.tick(self._loop.time()))
            self._flush()

    def _handle(self, events: list[CommandReceived | Delivered]) -> None:
        for event in events:
            match event:
                case CommandReceived(Show() as show):
                    self._show(show)
                case CommandReceived(Beep(count)):
                    self.beeps += count
                case Delivered(token, _, result):
                    future = self._results.pop(token, None)
                    if future is not None and not future.done():
                        future.set_result(result)
        if any(isinstance(event, CommandReceived) for event in events):
            self._notify()

    def _show(self, show: Show) -> None:
        self.shown = show
        self.history.append(show)
        if self._clear_timer is not None:
            self._clear_timer.cancel()
            self._clear_timer = None
        if show.seconds:
            self._clear_timer = self._loop.call_later(show.seconds, self._clear)

    def _clear(self) -> None:
        self._clear_timer = None
        self.shown = None
        self._notify()

    def _notify(self) -> None:
        self._changed.set()
        if self.on_change is not None:
            self.on_change()

    def _flush(self) -> None:
        self._port.write(self._link.data_to_send())
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        deadline = self._link.next_deadline()
        if deadline is not None and self.powered:
            self._timer = self._loop.call_at(deadline, self._tick)

    def _cancel_timers(self) -> None:
        for timer in (self._timer, self._clear_timer):
            if timer is not None:
                timer.cancel()
        self._timer = self._clear_timer = None
