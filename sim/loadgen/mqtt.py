"""The load test over MQTT, as the hall's dispensers and keypads talk to the server.

Every device is a connection of its own, logged in to the broker with its own id and
password (the server's `<data>/mqtt/device-passwords.json`, or a file of the same shape):
the dispensers (ids beginning with `dispenser`) share the citizens' kiosk tickets, and each
driven window has its keypad `keypad-<window>`. A dispenser sends `evt/take` and gets the
`cmd/print` with the ticket and the `ack`; a keypad sends `evt/button`. Each event has a
fresh `msg_id` (the load test's idempotency key), is published with QoS 1 and waits for its
`ack`; when none comes in time the very same message is sent again (the server stores the
command under `mqtt/<device>/<msg_id>` and answers a repeat from its log). Latency runs from
the first publish to the ack.

What devices cannot do stays on the JSON API: staff-issued tickets (green channel, booking
check-ins), citizens' phones and the waiting-area screens, and the staff list at the end.
Only loopback brokers are accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiomqtt

from qms.contract import Ack, Button, ButtonPressed, ContractError, PrintTicket, Priority, TakeTicket, topics

from .drivers import HttpDriver
from .http import Answer, NotLoopback, check_loopback

ACK_SECONDS = 5.0  # wait this long for an ack before sending the same message again
ATTEMPTS = 4
BUTTONS = {"call-next": Button.NEXT, **{b.value: b for b in Button}}
#: refusals of the contract or the registry (the device's fault), as the API's 400s
BAD_REQUEST = frozenset(
    {"bad_value", "missing_field", "bad_json", "unknown_device", "wrong_kind", "wrong_window", "unknown_staff",
     "not_your_window", "unknown_event", "bad_topic"}
)  # fmt: skip
UNAVAILABLE = frozenset({"internal_error", "storage_unavailable", "hall_stopped"})
CALLED = re.compile(r"已呼叫 (\S+)")


def broker_address(url: str) -> tuple[str, int]:
    """(host, port) of an mqtt:// URL on this machine, or NotLoopback."""
    parts = urlsplit(url)
    if parts.scheme != "mqtt":
        raise NotLoopback(f"{url}: only mqtt:// URLs on this machine are load-tested")
    return check_loopback(url, parts.hostname or ""), parts.port or 1883


def read_credentials(path: Path) -> dict[str, str]:
    """Device id -> password, from the server's `device-passwords.json` (or a file like it)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"{path}: expected a JSON object of device ids and passwords")
    return {str(k): v for k, v in data.items()}


@dataclass
class Device:
    """One device's MQTT connection: publishes events, matches acks and print commands."""

    id: str
    password: str
    hall: str
    host: str
    port: int
    client: aiomqtt.Client | None = None
    acks: dict[str, asyncio.Future[Ack]] = field(default_factory=dict)
    prints: dict[str, asyncio.Future[PrintTicket]] = field(default_factory=dict)
    _reader: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self.client = aiomqtt.Client(
            self.host, self.port, username=self.id, password=self.password, timeout=10, keepalive=30,
            socket_options=((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),),  # an event is one small packet
        )  # fmt: skip
        await self.client.__aenter__()
        await self.client.subscribe(
            [(topics.device_ack(self.hall, self.id), 1), (topics.device_command(self.hall, self.id, "print"), 1)]
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
        async for message in self.client.messages:
            data = message.payload if isinstance(message.payload, bytes) else b""
            try:
                if message.topic.value.endswith("/ack"):
                    ack = Ack.decode(data)
                    waiting = self.acks.get(ack.msg_id)
                    if waiting is not None and not waiting.done():
                        waiting.set_result(ack)
                else:
                    printed = PrintTicket.decode(data)
                    waiting_print = self.prints.get(printed.msg_id)
                    if waiting_print is not None and not waiting_print.done():
                        waiting_print.set_result(printed)
            except ContractError:
                continue  # not ours to judge here: the event it answers times out and is sent again

    async def send(self, name: str, payload: bytes, msg_id: str) -> tuple[Ack, PrintTicket | None, float]:
        """Publish `evt/<name>` until acknowledged; the ack, the print (for a take) and the latency."""
        assert self.client is not None
        loop = asyncio.get_running_loop()
        ack_f: asyncio.Future[Ack] = loop.create_future()
        print_f: asyncio.Future[PrintTicket] = loop.create_future()
        self.acks[msg_id] = ack_f
        if name == "take":
            self.prints["p-" + msg_id] = print_f
        t0 = time.perf_counter()
        try:
            for attempt in range(1, ATTEMPTS + 1):
                await self.client.publish(topics.device_event(self.hall, self.id, name), payload, qos=1)
                try:
                    ack = await asyncio.wait_for(asyncio.shield(ack_f), ACK_SECONDS)
                    break
                except TimeoutError:
                    if attempt == ATTEMPTS:
                        raise
            seconds = time.perf_counter() - t0
            printed = None
            if name == "take" and ack.ok:  # the print is published before the ack
                printed = await asyncio.wait_for(print_f, ACK_SECONDS)
            return ack, printed, seconds
        finally:
            self.acks.pop(msg_id, None)
            self.prints.pop("p-" + msg_id, None)


class MqttDriver:
    """Dispensers and keypads over MQTT; phones, screens and staff-issued tickets over HTTP."""

    def __init__(
        self, http: HttpDriver, host: str, port: int, credentials: dict[str, str], staff: str
    ) -> None:  # fmt: skip
        self.http, self.host, self.port, self.staff = http, host, port, staff
        self.hall = http.hall
        self.credentials = credentials
        self.dispenser_ids = sorted(d for d in credentials if d.startswith("dispenser"))
        self._dispensers: asyncio.Queue[Device] = asyncio.Queue()
        self._by_id: dict[str, Device] = {}
        self._keypads: dict[str, Device] = {}
        self._sender: dict[str, str] = {}  # msg_id -> the dispenser that sent it (a repeat must come from it)
        self._numbers: dict[str, str] = {}  # ticket number -> ticket id, from the prints

    def drivable(self, windows: list[str]) -> list[str]:
        """The windows whose keypad can log in with the credentials at hand."""
        return [w for w in windows if f"keypad-{w}" in self.credentials]

    def _device(self, device_id: str) -> Device:
        return Device(device_id, self.credentials[device_id], self.hall, self.host, self.port)

    async def start(self, windows: list[str]) -> None:
        if not self.dispenser_ids:
            raise RuntimeError("no dispenser among the device credentials (ids beginning with 'dispenser')")
        await self.http.start(windows)
        dispensers = [self._device(d) for d in self.dispenser_ids]
        self._keypads = {w: self._device(f"keypad-{w}") for w in self.drivable(windows)}
        everyone = [*dispensers, *self._keypads.values()]
        for i in range(0, len(everyone), 50):  # not all at once: the broker accepts a burst of logins slowly
            await asyncio.gather(*(d.connect() for d in everyone[i : i + 50]))
        for d in dispensers:
            self._dispensers.put_nowait(d)
        self._by_id = {d.id: d for d in dispensers}

    async def take_ticket(self, body: dict[str, Any], key: str) -> Answer:
        if body.get("channel") in ("green", "booking", "staff"):
            return await self.http.take_ticket(body, key)  # issued by staff, not at a dispenser
        event = TakeTicket(key, body["service"], Priority(body.get("priority", "normal")))
        sender = self._sender.get(key)
        if sender is not None:  # a repeat of a take: from the same dispenser, or it is another citizen
            device = self._by_id[sender]
            ack, printed, seconds = await device.send("take", event.encode(), key)
        else:
            device = await self._dispensers.get()
            try:
                self._sender[key] = device.id
                ack, printed, seconds = await device.send("take", event.encode(), key)
            finally:
                self._dispensers.put_nowait(device)
        if not ack.ok or printed is None:
            return _refusal(ack, seconds)
        self._numbers[printed.number] = printed.ticket
        ticket = {"id": printed.ticket, "number": printed.number, "people_ahead": printed.people_ahead}
        return Answer(201, {"ticket": ticket, "message": ack.message, "request_key": _stored(device, key)}, seconds)

    async def press(self, window: str, action: str, key: str, body: dict[str, Any] | None = None) -> Answer:
        keypad = self._keypads[window]
        button = BUTTONS[action]
        event = ButtonPressed(
            key, button, window=window, reason=(body or {}).get("reason", ""),
            staff=self.staff if button is Button.OPEN else None,
        )  # fmt: skip
        ack, _, seconds = await keypad.send("button", event.encode(), key)
        if not ack.ok:
            return _refusal(ack, seconds)
        answer: dict[str, Any] = {"message": ack.message, "request_key": _stored(keypad, key)}
        if button is Button.NEXT:
            called = CALLED.match(ack.message)
            number = called.group(1) if called else None
            answer["ticket"] = None if number is None else {"id": self._numbers.get(number, number), "state": "called"}
        return Answer(200, answer, seconds)

    async def follow(self, ticket: str) -> Answer:
        return await self.http.follow(ticket)

    async def queues(self) -> Answer:
        return await self.http.queues()

    async def tickets(self) -> Answer:
        return await self.http.tickets()

    async def close(self) -> None:
        devices = [*self._keypads.values()]
        while not self._dispensers.empty():
            devices.append(self._dispensers.get_nowait())
        await asyncio.gather(*(d.close() for d in devices))
        self._keypads = {}
        await self.http.close()


def _stored(device: Device, msg_id: str) -> str:
    return f"mqtt/{device.id}/{msg_id}"  # the gateway's request key (qms/mqtt/gateway.py)


def _refusal(ack: Ack, seconds: float) -> Answer:
    code = ack.error or "refused"
    status = 400 if code in BAD_REQUEST else 503 if code in UNAVAILABLE else 409
    return Answer(status, {"error": {"code": code, "message": ack.message}}, seconds)
