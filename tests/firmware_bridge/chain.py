"""The device side of the hall on one machine: emulators on ptys, the bridge, a real broker, a subscriber."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiomqtt

from firmware_bridge.bridge import Bridge
from firmware_bridge.config import BridgeConfig, parse_config
from firmware_bridge.emulators import BusDeviceEmulator, PrinterEmulator
from firmware_bridge.messages import DeviceKind
from qms.contract import Broker, topics

_halls = itertools.count(1)


@dataclass
class Received:
    topic: str
    payload: bytes
    retain: bool


@dataclass
class Recorder:
    """A subscriber that keeps every message it gets."""

    client: aiomqtt.Client
    messages: list[Received] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        async for message in self.client.messages:
            payload = message.payload if isinstance(message.payload, bytes) else b""
            self.messages.append(Received(str(message.topic), payload, bool(message.retain)))
            self.changed.set()

    async def wait_for(self, predicate: Callable[[Received], bool], within: float = 5.0) -> Received:
        async with asyncio.timeout(within):
            while True:
                for m in self.messages:
                    if predicate(m):
                        return m
                self.changed.clear()
                await self.changed.wait()

    def on(self, topic: str) -> list[Received]:
        return [m for m in self.messages if m.topic == topic]

    async def last_on(self, topic: str, payload: bytes, within: float = 5.0) -> None:
        """Wait until the newest message on `topic` is `payload`."""
        async with asyncio.timeout(within):
            while not (self.on(topic) and self.on(topic)[-1].payload == payload):
                self.changed.clear()
                await self.changed.wait()


@dataclass
class Chain:
    hall: str
    bridge: Bridge
    keypad: BusDeviceEmulator
    led: BusDeviceEmulator
    pad: BusDeviceEmulator
    panel: BusDeviceEmulator
    printer: PrinterEmulator
    mqtt: aiomqtt.Client
    recorder: Recorder

    def topic(self, *rest: str) -> str:
        return "/".join((topics.root(self.hall), *rest))


def bridge_config(keypad: str, led: str, pad: str, panel: str, printer: str, **bridge: Any) -> BridgeConfig:
    """Each device alone on its own pty, as the emulators run."""
    return parse_config(
        {
            "bridge": {"id": "bridge-1", "poll_interval": 0.1, "lost_after": 0.5, **bridge},
            "ports": [
                {"name": "kp", "path": keypad, "kind": "rs485"},
                {"name": "led", "path": led, "kind": "rs485"},
                {"name": "pad", "path": pad, "kind": "rs485"},
                {"name": "panel", "path": panel, "kind": "rs485"},
                {"name": "printer", "path": printer, "kind": "printer", "baudrate": 115200},
            ],
            "devices": [
                {"id": "keypad-w2", "kind": "keypad", "port": "kp", "address": 1, "window": "w2"},
                {"id": "led-w2", "kind": "led_bar", "port": "led", "address": 2, "window": "w2"},
                {"id": "pad-w2", "kind": "rating_pad", "port": "pad", "address": 3, "window": "w2"},
                {
                    "id": "dispenser-1",
                    "kind": "dispenser",
                    "port": "panel",
                    "address": 4,
                    "printer": "printer",
                    "buttons": ["pension", "business-registration"],
                },
            ],
        }
    )


def keypad_config(path: str, data: Path | str) -> BridgeConfig:
    """A bridge with one keypad (`keypad-w1`, address 1, window w1) on the RS-485 port at `path`."""
    return parse_config(
        {
            "bridge": {"id": "bridge-1", "poll_interval": 0.1, "lost_after": 0.5, "data": str(data)},
            "ports": [{"name": "bus", "path": path}],
            "devices": [{"id": "keypad-w1", "kind": "keypad", "port": "bus", "address": 1, "window": "w1"}],
        }
    )


def dispenser_config(panel: str, printer: str, data: Path) -> BridgeConfig:
    """A bridge with one dispenser: its button panel on an RS-485 port, its printer on another."""
    return parse_config(
        {
            "bridge": {"id": "bridge-1", "poll_interval": 0.1, "lost_after": 0.5, "data": str(data)},
            "ports": [
                {"name": "panel", "path": panel, "kind": "rs485"},
                {"name": "printer", "path": printer, "kind": "printer", "baudrate": 115200},
            ],
            "devices": [
                {"id": "dispenser-1", "kind": "dispenser", "port": "panel", "address": 4, "printer": "printer"},
            ],
        }
    )


@contextlib.asynccontextmanager
async def chain(
    broker_port: int, folder: Path, *, before_start: Callable[[Chain], Any] | None = None
) -> AsyncIterator[Chain]:
    """Everything running, every device `ready`; all closed afterwards."""
    hall = f"hall-{next(_halls)}"
    keypad = BusDeviceEmulator(DeviceKind.KEYPAD, 1)
    led = BusDeviceEmulator(DeviceKind.LED_BAR, 2)
    pad = BusDeviceEmulator(DeviceKind.RATING_PAD, 3)
    panel = BusDeviceEmulator(DeviceKind.DISPENSER, 4)
    printer = PrinterEmulator(folder)
    config = bridge_config(keypad.path, led.path, pad.path, panel.path, printer.path, data=str(folder / "bridge"))
    bridge = Bridge(config, hall, Broker("127.0.0.1", broker_port), reconnect_max=0.5)
    tasks: list[asyncio.Task[Any]] = []
    try:
        async with aiomqtt.Client("127.0.0.1", broker_port) as client:
            recorder = Recorder(client)
            await client.subscribe(f"{topics.root(hall)}/#", qos=1)
            tasks.append(asyncio.create_task(recorder.run()))
            c = Chain(hall, bridge, keypad, led, pad, panel, printer, client, recorder)
            if before_start is not None:
                await before_start(c)
            tasks.append(asyncio.create_task(bridge.run()))
            for device in ("keypad-w2", "led-w2", "pad-w2", "dispenser-1", "bridge-1"):
                await recorder.last_on(c.topic("dev", device, "$state"), b"ready")
            yield c
            bridge.stop()
            await asyncio.wait_for(tasks[-1], 10)
    finally:
        bridge.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for device in (keypad, led, pad, panel):
            device.close()
        printer.close()
