"""A device's end of the bus: what a keypad's, LED bar's or rating pad's firmware does. No I/O.

The emulators run on it, and it is the reference for firmware writers: it answers POLL with
STATUS, acknowledges what the host originates (once per sequence number acted on), and sends what
its person did with retransmission until the host acknowledges. A device only ever speaks about its
own address and ignores frames for others, as every node on a shared RS-485 bus must.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from firmware_bridge.frames import BROADCAST, REPLY_TYPES, Frame, FrameDecoder
from firmware_bridge.messages import (
    Ack,
    AckResult,
    Beep,
    DeviceEvent,
    DeviceKind,
    Hello,
    PayloadError,
    Poll,
    Show,
    Status,
    StatusFlag,
    decode,
    encode,
)
from firmware_bridge.session import Inbound, Outbound

#: What each kind of device does with each command; anything else is answered UNSUPPORTED.
SUPPORTED: dict[DeviceKind, frozenset[type]] = {
    DeviceKind.KEYPAD: frozenset({Beep, Show}),  # a keypad has a small display for the current ticket
    DeviceKind.LED_BAR: frozenset({Show}),
    DeviceKind.RATING_PAD: frozenset({Show, Beep}),
    DeviceKind.DISPENSER: frozenset({Beep, Show}),  # a line for the citizen: a check-in's answer
    DeviceKind.HELP_BUTTON: frozenset({Beep}),
}


@dataclass(frozen=True, slots=True)
class CommandReceived:
    """The host asked for something new (never twice for one sequence number)."""

    message: Show | Beep


@dataclass(frozen=True, slots=True)
class Delivered:
    """The host acknowledged what this device sent (`result` None: gave up after retries)."""

    token: int
    message: DeviceEvent | Hello
    result: AckResult | None


DeviceLinkEvent = CommandReceived | Delivered


@dataclass(slots=True)
class DeviceLink:
    """One device at `address` on a bus; sends its HELLO as soon as it starts."""

    address: int
    kind: DeviceKind
    nonce: int
    now: float = 0.0
    firmware: str = "1.0"
    flags: StatusFlag = StatusFlag.NONE
    retry_after: float = 0.2
    max_tries: int = 5
    first_seq: int = 0
    decoder: FrameDecoder = field(default_factory=FrameDecoder)
    _inbound: Inbound = field(init=False, default_factory=Inbound)
    _outbound: Outbound[DeviceEvent | Hello] = field(init=False)
    _out: bytearray = field(init=False, default_factory=bytearray)
    _tokens: itertools.count[int] = field(init=False, default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self._outbound = Outbound(self.address, self.first_seq, self.retry_after, self.max_tries)
        self._outbound.put(next(self._tokens), Hello(self.kind, self.nonce, self.firmware))
        self._launch(self.now)

    def press(self, event: DeviceEvent, now: float) -> int:
        """A person pressed something; returns the token its `Delivered` will carry."""
        encode(event)
        token = next(self._tokens)
        self._outbound.put(token, event)
        self._launch(now)
        return token

    def data_to_send(self) -> bytes:
        """Bytes to write to the bus now."""
        out = bytes(self._out)
        self._out.clear()
        return out

    def receive(self, data: bytes, now: float) -> list[DeviceLinkEvent]:
        """Bytes heard on the bus."""
        events: list[DeviceLinkEvent] = []
        for frame in self.decoder.feed(data):
            self._frame(frame, now, events)
        return events

    def line_idle(self, now: float) -> list[DeviceLinkEvent]:
        """The bus was silent for a frame gap."""
        events: list[DeviceLinkEvent] = []
        for frame in self.decoder.line_idle():
            self._frame(frame, now, events)
        return events

    def tick(self, now: float) -> list[DeviceLinkEvent]:
        """Retransmission due at `now`."""
        events: list[DeviceLinkEvent] = []
        frame, gave_up = self._outbound.retry(now)
        if frame is not None:
            self._out += frame.encode()
        if gave_up is not None:
            events.append(Delivered(gave_up.token, gave_up.message, None))
        self._launch(now)
        return events

    def next_deadline(self) -> float | None:
        """When `tick` has something to do, if ever."""
        return self._outbound.deadline()

    @property
    def waiting(self) -> int:
        """Messages not yet acknowledged (queued or in flight)."""
        return len(self._outbound.queue) + (self._outbound.in_flight is not None)

    def _frame(self, frame: Frame, now: float, events: list[DeviceLinkEvent]) -> None:
        if frame.address not in (self.address, BROADCAST):
            return
        try:
            message = decode(frame)
        except PayloadError as error:
            if frame.type not in REPLY_TYPES and frame.address != BROADCAST:
                self._ack(frame, AckResult.UNSUPPORTED if error.code == "unknown_type" else AckResult.BAD_PAYLOAD)
            return
        match message:
            case Poll():
                if frame.address == self.address:
                    self._reply(frame.seq, Status(self.kind, self.flags))
            case Ack(_, result):
                flight = self._outbound.acked(frame.seq)
                if flight is not None:
                    events.append(Delivered(flight.token, flight.message, result))
                self._launch(now)
            case Hello():
                self._inbound.hello(message, frame.seq)
                self._ack(frame, AckResult.OK)
            case Show() | Beep():
                if type(message) not in SUPPORTED[self.kind]:
                    self._ack(frame, AckResult.UNSUPPORTED)
                    return
                if self._inbound.accept(frame.seq):
                    events.append(CommandReceived(message))
                self._ack(frame, AckResult.OK)
            case _:
                pass  # another device's traffic, or our own kind of frame echoed back

    def _ack(self, frame: Frame, result: AckResult) -> None:
        if frame.address == BROADCAST:
            return  # nobody answers a broadcast: every device would answer at once
        self._reply(frame.seq, Ack(frame.type, result))

    def _reply(self, seq: int, message: Status | Ack) -> None:
        kind, payload = encode(message)
        self._out += Frame(self.address, kind, seq, payload).encode()

    def _launch(self, now: float) -> None:
        frame = self._outbound.launch(now)
        if frame is not None:
            self._out += frame.encode()
