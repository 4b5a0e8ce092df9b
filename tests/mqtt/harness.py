"""A real hall with a real Mosquitto on a free loopback port, and devices as plain aiomqtt clients."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiomqtt

from qms.config.devices import DeviceConfig
from qms.contract import Ack, DeviceKind, topics
from qms.contract.codec import from_data
from qms.mqtt.broker import NO_DELAY, ManagedBroker, free_port
from qms.mqtt.gateway import Gateway
from qms.service import HallService
from qms.storage import SqliteStore
from tests.factories import any_hour_hall

HALL = "test-hall"
PASSWORD = "device-pass"
DEVICES = (
    DeviceConfig("keypad-w1", DeviceKind.KEYPAD, window="w1", password=PASSWORD),
    DeviceConfig("led-w1", DeviceKind.LED_BAR, window="w1", password=PASSWORD),
    DeviceConfig("pad-w1", DeviceKind.RATING_PAD, window="w1", password=PASSWORD),
    DeviceConfig("keypad-w2", DeviceKind.KEYPAD, window="w2", password=PASSWORD),
    DeviceConfig("dispenser-1", DeviceKind.DISPENSER, password=PASSWORD),
    DeviceConfig("help-1", DeviceKind.HELP_BUTTON, zone="main", password=PASSWORD),
)
WAIT = 10.0
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Hall:
    service: HallService
    store: SqliteStore
    broker: ManagedBroker
    gateway: Gateway
    tmp: Path

    @property
    def port(self) -> int:
        return self.broker.port


@asynccontextmanager
async def running_hall(tmp: Path, **hall: Any) -> AsyncIterator[Hall]:
    """Store, hall service, managed broker and gateway, all stopped at the end."""
    store = SqliteStore(tmp / "qms.sqlite3")
    await store.open()
    service = HallService(any_hour_hall(**hall), store)
    await service.start()
    broker = ManagedBroker(tmp / "mqtt", HALL, DEVICES, port=free_port())
    address = await broker.start()
    gateway = Gateway(service, DEVICES, address, ticket_url=lambda t: f"http://127.0.0.1:8000/t/{t}", client_id="qms-t")
    await gateway.start()
    try:
        await asyncio.wait_for(gateway.connected.wait(), WAIT)
        yield Hall(service, store, broker, gateway, tmp)
    finally:
        await gateway.stop()
        await broker.stop()
        await service.stop()
        await store.close()


_ids = itertools.count(1)


@dataclass
class Device:
    """A device as a plain MQTT client: sends events, collects acks and commands."""

    id: str
    port: int
    password: str = PASSWORD
    client: aiomqtt.Client | None = None
    inbox: asyncio.Queue[tuple[str, Any]] = field(default_factory=asyncio.Queue)
    held: list[tuple[str, Any]] = field(default_factory=list)
    _reader: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self.client = aiomqtt.Client(
            "127.0.0.1", self.port, username=self.id, password=self.password, timeout=5, socket_options=NO_DELAY
        )
        await self.client.__aenter__()
        await self.client.subscribe(
            [(topics.device_ack(HALL, self.id), 1), (f"{topics.root(HALL)}/dev/{self.id}/cmd/+", 1)]
        )
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self.client is not None:
            with contextlib.suppress(aiomqtt.MqttError):
                await self.client.__aexit__(None, None, None)
        self.client = None

    async def _read(self) -> None:
        assert self.client is not None
        with contextlib.suppress(aiomqtt.MqttError):
            async for message in self.client.messages:
                kind = message.topic.value.split(f"/dev/{self.id}/", 1)[1]
                assert isinstance(message.payload, bytes)
                self.inbox.put_nowait((kind, json.loads(message.payload)))

    async def publish(self, name: str, payload: dict[str, Any] | bytes) -> None:
        assert self.client is not None
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        await self.client.publish(topics.device_event(HALL, self.id, name), data, qos=1)

    async def expect(self, kind: str, msg_id: str | None = None) -> dict[str, Any]:
        """The first message of `kind` (ack, cmd/print, ...), for `msg_id` if given; others are kept."""

        def fits(item: tuple[str, Any]) -> bool:
            return item[0] == kind and (msg_id is None or item[1].get("msg_id") == msg_id)

        async def find() -> dict[str, Any]:
            for item in self.held:
                if fits(item):
                    self.held.remove(item)
                    return item[1]  # type: ignore[no-any-return]
            while True:
                item = await self.inbox.get()
                if fits(item):
                    return item[1]  # type: ignore[no-any-return]
                self.held.append(item)

        return await asyncio.wait_for(find(), WAIT)

    async def send(self, name: str, **fields: Any) -> Ack:
        """Publish `evt/<name>` with a fresh msg_id (unless given) and wait for its ack."""
        fields.setdefault("msg_id", f"m{next(_ids)}")
        await self.publish(name, fields)
        return from_data(Ack, await self.expect("ack", fields["msg_id"]))


@asynccontextmanager
async def device(device_id: str, port: int, password: str = PASSWORD) -> AsyncIterator[Device]:
    d = Device(device_id, port, password)
    await d.connect()
    try:
        yield d
    finally:
        await d.close()


@dataclass
class LedBarProcess:
    """`python -m displays.ledbar` as a child process; frames come from its stdout."""

    proc: asyncio.subprocess.Process

    async def frame(self, contains: str) -> dict[str, Any]:
        """The first frame (from now on) whose text contains `contains`."""

        async def find() -> dict[str, Any]:
            assert self.proc.stdout is not None
            while True:
                line = await self.proc.stdout.readline()
                if not line:
                    raise AssertionError("the LED bar driver ended")
                data: dict[str, Any] = json.loads(line)
                if contains in data["frame"]:
                    return data

        return await asyncio.wait_for(find(), WAIT)


@asynccontextmanager
async def led_bar(port: int, window: str = "w1", width: int = 16) -> AsyncIterator[LedBarProcess]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "displays.ledbar",
        "--broker", f"mqtt://led-{window}:{PASSWORD}@127.0.0.1:{port}",
        "--hall", HALL, "--window", window, "--width", str(width), "--step", "0.05",
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO,
    )  # fmt: skip
    try:
        yield LedBarProcess(proc)
    finally:
        if proc.returncode is None:
            proc.terminate()
        await proc.wait()
