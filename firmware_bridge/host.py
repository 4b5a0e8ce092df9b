"""The bridge's end of one RS-485 bus: bytes in, device events out; commands in, bytes out. No I/O.

The driver that owns the serial port calls, in any order:

- `receive(data, now)` with what the port delivered, and `line_idle(now)` after a silent gap;
- `send(address, command, now)` to show a text or beep;
- `tick(now)` at `next_deadline()`, for polls, retransmissions and presence;

and after each, writes `data_to_send()` to the port. Every call returns the link's events.

Presence: the host polls every configured address once per `poll_interval`, spreading the polls
over the interval so that answers on a half-duplex bus do not collide. Any frame from a device
counts as a sign of life; a device not heard for `lost_after` is `DeviceDown`, and the first frame
after that (or after start) is `DeviceUp`. On `DeviceUp` the host opens its own session with a
HELLO, ahead of any queued command, so that a device that outlived a bridge restart does not mistake
the new sequence numbers for replays.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field

from firmware_bridge.frames import REPLY_TYPES, Frame, FrameDecoder, FrameType
from firmware_bridge.messages import (
    Ack,
    AckResult,
    CheckIn,
    DeviceKind,
    Hello,
    Help,
    HostCommand,
    KeyPress,
    Message,
    PayloadError,
    Rating,
    Status,
    StatusFlag,
    Take,
    decode,
    encode,
)
from firmware_bridge.session import Inbound, Outbound

HOST_FIRMWARE = "1.0"


@dataclass(frozen=True, slots=True)
class DeviceUp:
    """A device answered for the first time since start or since it was lost."""

    address: int
    kind: DeviceKind | None  # known once it sent HELLO or STATUS


@dataclass(frozen=True, slots=True)
class DeviceHello:
    """A device started a new session (it booted): what it is and its firmware version."""

    address: int
    kind: DeviceKind
    firmware: str


@dataclass(frozen=True, slots=True)
class DeviceDown:
    """A device was not heard for `lost_after` seconds."""

    address: int


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    """A device's fault flags changed (paper low, paper out, fault)."""

    address: int
    flags: StatusFlag


@dataclass(frozen=True, slots=True)
class DeviceInput:
    """A device sent something a person did: a key, a rating, a take button, a help call. Exactly once.

    The device is not acknowledged yet: the bridge calls `HostLink.confirm(press, ok)` once the
    event is safely with the broker, so a press the broker never got is one the keypad reports as
    failed (it beeps), not one that silently vanished. `session` counts the device's boots (its
    HELLOs with a new nonce): a rebooted device numbers its frames afresh, so `seq` alone does not
    tell this press from a new one.
    """

    address: int
    seq: int
    message: KeyPress | Rating | Take | Help | CheckIn
    session: int = 0


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What became of `send(...)`'s token: `result` is None when the device never acknowledged it."""

    address: int
    token: int
    result: AckResult | None


@dataclass(frozen=True, slots=True)
class FrameRejected:
    """A frame with a right CRC that made no sense (reported for the logs; the device got a NAK)."""

    address: int
    code: str
    message: str


class DeviceAbsent(Exception):
    """A command for a device that is not answering: it would be stale by the time the device is back."""


LinkEvent = DeviceUp | DeviceHello | DeviceDown | DeviceStatus | DeviceInput | CommandResult | FrameRejected


@dataclass(slots=True)
class _Device:
    inbound: Inbound
    outbound: Outbound[Hello | HostCommand]
    next_poll: float
    last_heard: float | None = None
    present: bool | None = None  # None: not heard yet since start (the bridge says `init`)
    kind: DeviceKind | None = None
    flags: StatusFlag = StatusFlag.NONE
    poll_seq: int = 0
    unconfirmed: dict[int, int] = field(default_factory=dict)  # seq -> frame type, awaiting confirm()
    answered: dict[int, AckResult] = field(default_factory=dict)  # seq -> what confirm() said, for repeats
    session: int = 0  # the device's sessions (HELLOs with a new nonce) so far


@dataclass(slots=True)
class HostLink:
    """One bus, seen from the bridge. `addresses` are the devices configured on it."""

    addresses: Iterable[int]
    nonce: int
    now: float = 0.0  # the start, then the last tick
    poll_interval: float = 1.0
    lost_after: float = 3.0
    retry_after: float = 0.2
    max_tries: int = 4
    decoder: FrameDecoder = field(default_factory=FrameDecoder)
    ignored_frames: int = 0  # well-formed frames from addresses nobody configured, or of host-only types
    _devices: dict[int, _Device] = field(init=False)
    _out: bytearray = field(init=False, default_factory=bytearray)
    _tokens: itertools.count[int] = field(init=False, default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        addresses = sorted(set(self.addresses))
        self._devices = {}
        for i, address in enumerate(addresses):
            # Spread the first polls over the interval; one answer at a time on a half-duplex bus.
            first_poll = self.now + self.poll_interval * i / max(len(addresses), 1)
            self._devices[address] = _Device(
                Inbound(), Outbound(address, 0, self.retry_after, self.max_tries), first_poll, last_heard=self.now
            )

    def present(self, address: int) -> bool:
        """Whether the device at `address` is answering."""
        return self._devices[address].present is True

    def send(self, address: int, command: HostCommand, now: float) -> int:
        """Queue a command; returns the token its `CommandResult` will carry.

        Raises KeyError for an address not on this bus, ValueError for a command that cannot be
        encoded, DeviceAbsent when the device is not answering.
        """
        device = self._devices[address]
        if not device.present:
            raise DeviceAbsent(f"device {address} is not answering")
        encode(command)  # a command that cannot be encoded fails here, not in tick()
        token = next(self._tokens)
        device.outbound.put(token, command)
        self._launch(device, now)
        return token

    def confirm(self, press: DeviceInput, ok: bool) -> None:
        """Acknowledge a `DeviceInput` now that it is with the broker (`ok`), or refuse it (BUSY)."""
        device = self._devices.get(press.address)
        if device is None or device.session != press.session:
            return  # the device rebooted since: it forgot the frame, and a new one may have its number
        kind = device.unconfirmed.pop(press.seq, None)
        if kind is None:
            return  # confirmed already
        result = device.answered[press.seq] = AckResult.OK if ok else AckResult.BUSY
        self._write(Frame(press.address, FrameType.ACK, press.seq, encode(Ack(kind, result))[1]))

    def data_to_send(self) -> bytes:
        """Bytes to write to the port now (and forget)."""
        out = bytes(self._out)
        self._out.clear()
        return out

    def receive(self, data: bytes, now: float) -> list[LinkEvent]:
        """Bytes from the port."""
        events: list[LinkEvent] = []
        for frame in self.decoder.feed(data):
            self._frame(frame, now, events)
        return events

    def line_idle(self, now: float) -> list[LinkEvent]:
        """The line was silent for a frame gap."""
        events: list[LinkEvent] = []
        for frame in self.decoder.line_idle():
            self._frame(frame, now, events)
        return events

    def tick(self, now: float) -> list[LinkEvent]:
        """Polls, retransmissions and presence due at `now`."""
        self.now = now  # with no device on the bus, the next tick is a poll interval from here
        events: list[LinkEvent] = []
        for address, device in self._devices.items():
            silent = device.last_heard is not None and now - device.last_heard >= self.lost_after
            if device.present is not False and silent:
                device.present = False
                events.append(DeviceDown(address))
                self._fail_all(address, device, events)
            if now >= device.next_poll:
                device.next_poll = max(device.next_poll + self.poll_interval, now)
                device.poll_seq = (device.poll_seq + 1) % 256
                self._write(Frame(address, FrameType.POLL, device.poll_seq))
            frame, gave_up = device.outbound.retry(now)
            if frame is not None:
                self._write(frame)
            if gave_up is not None and gave_up.token:
                events.append(CommandResult(address, gave_up.token, None))
            self._launch(device, now)
        return events

    def next_deadline(self) -> float:
        """The latest time by which `tick` must run again."""
        deadlines = [d.next_poll for d in self._devices.values()]
        for device in self._devices.values():
            retry = device.outbound.deadline()
            if retry is not None:
                deadlines.append(retry)
            if device.present is not False and device.last_heard is not None:
                deadlines.append(device.last_heard + self.lost_after)
        return min(deadlines, default=self.now + self.poll_interval)

    def port_lost(self, now: float) -> list[LinkEvent]:
        """The serial port went away: every device on it is down, every command undelivered."""
        events: list[LinkEvent] = []
        for address, device in self._devices.items():
            if device.present is not False:
                events.append(DeviceDown(address))
            device.present = False
            device.last_heard = now
            self._fail_all(address, device, events)
        self.decoder = FrameDecoder()
        self._out.clear()
        return events

    def _frame(self, frame: Frame, now: float, events: list[LinkEvent]) -> None:
        device = self._devices.get(frame.address)
        if device is None or frame.type in (FrameType.POLL, FrameType.SHOW, FrameType.BEEP):
            self.ignored_frames += 1  # another master, an echo, or a device nobody configured
            return
        device.last_heard = now
        try:
            message = decode(frame)
        except PayloadError as error:
            events.append(FrameRejected(frame.address, error.code, error.message))
            self._came_up(frame.address, device, now, events)
            if frame.type not in REPLY_TYPES:
                result = AckResult.UNSUPPORTED if error.code == "unknown_type" else AckResult.BAD_PAYLOAD
                self._write_ack(frame, result)
            return
        if isinstance(message, Hello | Status):
            device.kind = message.kind
        self._came_up(frame.address, device, now, events)
        self._message(frame, message, device, now, events)

    def _message(self, frame: Frame, message: Message, device: _Device, now: float, events: list[LinkEvent]) -> None:
        address = frame.address
        match message:
            case Status(_, flags):
                if flags != device.flags:
                    device.flags = flags
                    events.append(DeviceStatus(address, flags))
            case Ack(_, result):
                flight = device.outbound.acked(frame.seq)
                if flight is not None and flight.token:
                    events.append(CommandResult(address, flight.token, result))
                self._launch(device, now)
            case Hello(kind, nonce, firmware):
                if nonce != device.inbound.nonce:  # a new session: what the device sent before is gone
                    device.session += 1
                    device.unconfirmed.clear()
                    device.answered.clear()
                if device.inbound.hello(message, frame.seq):
                    events.append(DeviceHello(address, kind, firmware))
                self._write_ack(frame, AckResult.OK)
            case KeyPress() | Rating() | Take() | Help() | CheckIn():
                if device.inbound.accept(frame.seq):
                    device.unconfirmed[frame.seq] = frame.type
                    device.answered.pop(frame.seq, None)
                    events.append(DeviceInput(address, frame.seq, message, device.session))
                elif frame.seq not in device.unconfirmed:
                    # A repeat after our ACK was lost: the same answer again, a refusal too; an
                    # older frame replayed is acknowledged and otherwise ignored.
                    self._write_ack(frame, device.answered.get(frame.seq, AckResult.OK))
            case _:
                self.ignored_frames += 1

    @staticmethod
    def _fail_all(address: int, device: _Device, events: list[LinkEvent]) -> None:
        """Every command queued for or in flight to a device that is gone fails (token 0 is our HELLO)."""
        for token, _ in device.outbound.drop_all():
            if token:
                events.append(CommandResult(address, token, None))

    def _came_up(self, address: int, device: _Device, now: float, events: list[LinkEvent]) -> None:
        if device.present:
            return
        device.present = True
        events.append(DeviceUp(address, device.kind))
        device.outbound.put(0, Hello(DeviceKind.HOST, self.nonce, HOST_FIRMWARE), first=True)
        self._launch(device, now)

    def _launch(self, device: _Device, now: float) -> None:
        if not device.present:
            return  # commands wait for the device; `tick` fails them if it stays away
        frame = device.outbound.launch(now)
        if frame is not None:
            self._write(frame)

    def _write_ack(self, frame: Frame, result: AckResult) -> None:
        kind, payload = encode(Ack(frame.type, result))
        self._write(Frame(frame.address, kind, frame.seq, payload))

    def _write(self, frame: Frame) -> None:
        self._out += frame.encode()
