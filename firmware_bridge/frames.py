"""Framing of the hall's RS-485 protocol: bytes in, frames out; frames in, bytes out. No I/O.

A frame on the wire (PROTOCOL.md has the full story)::

    A5 | LEN | ADDR | TYPE | SEQ | PAYLOAD (LEN bytes) | CRC lo | CRC hi

CRC-16/MODBUS covers every byte before it, start byte included. A receiver hunts for the start
byte, reads the length, waits for the whole frame and checks the CRC. Anything that fails, a
garbage byte, a length over the limit or a bad CRC, costs the receiver exactly one byte: it drops
the start byte it was looking at and hunts again from the next byte, so a good frame hidden behind
noise is still found. A start byte that came from noise can claim a length whose bytes never
arrive; the transport tells the decoder when the line has been silent for longer than a frame gap
(`FrameDecoder.line_idle`), as Modbus RTU does with its 3.5-character silence, and the decoder then
gives up on the partial frame at its head.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from firmware_bridge.crc import crc16_modbus

START = 0xA5
HEADER_SIZE = 5  # start, length, address, type, sequence
CRC_SIZE = 2
MAX_PAYLOAD = 240  # a 24-character GB18030 LED text fits many times; keeps a frame < 256 bytes
MAX_FRAME = HEADER_SIZE + MAX_PAYLOAD + CRC_SIZE
BROADCAST = 0x00  # from the host only; nobody answers a broadcast
MAX_ADDRESS = 247  # as in Modbus, so one bus can be shared with Modbus tooling for diagnostics


class FrameType(IntEnum):
    """What a frame carries. Replies (`STATUS`, `ACK`) echo the sequence number of what they answer."""

    HELLO = 0x01  # both ways: a new session (device boot, host start); resets de-duplication
    POLL = 0x02  # host -> device: are you there? (the presence heartbeat)
    STATUS = 0x03  # device -> host: the answer to POLL: kind and fault flags
    ACK = 0x06  # both ways: an originated frame arrived (with a result code)
    KEY = 0x10  # keypad -> host: a button was pressed
    RATING = 0x11  # rating pad -> host: the citizen rated the service
    TAKE = 0x12  # dispenser -> host: a service button was pressed (take a ticket)
    HELP = 0x13  # any device -> host: the call-for-help button (呼叫帮办)
    CHECKIN = 0x14  # dispenser -> host: a booking check-in by code (scanner, keys) or ID number (card reader)
    SHOW = 0x20  # host -> LED bar / rating pad: show a text
    BEEP = 0x21  # host -> device: sound the buzzer


#: Frames that answer another frame: they carry its sequence number, are never acknowledged,
#: never retransmitted and never de-duplicated.
REPLY_TYPES = frozenset({FrameType.POLL, FrameType.STATUS, FrameType.ACK})


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame whose CRC was right (or which we are about to send)."""

    address: int
    type: int  # a FrameType value, or an unknown type a newer device sent
    seq: int
    payload: bytes = b""

    def __post_init__(self) -> None:
        if not 0 <= self.address <= 0xFF:
            raise ValueError(f"address {self.address} is not a byte")
        if not 0 <= self.type <= 0xFF:
            raise ValueError(f"type {self.type} is not a byte")
        if not 0 <= self.seq <= 0xFF:
            raise ValueError(f"seq {self.seq} is not a byte")
        if len(self.payload) > MAX_PAYLOAD:
            raise ValueError(f"payload of {len(self.payload)} bytes is over {MAX_PAYLOAD}")

    def encode(self) -> bytes:
        """The bytes of this frame on the wire, CRC included."""
        head = bytes((START, len(self.payload), self.address, self.type, self.seq)) + self.payload
        crc = crc16_modbus(head)
        return head + bytes((crc & 0xFF, crc >> 8))


@dataclass(slots=True)
class DecoderStats:
    """What a decoder threw away, for the bridge's diagnostics."""

    frames: int = 0
    skipped_bytes: int = 0  # bytes dropped while hunting for a start byte
    bad_crc: int = 0
    bad_length: int = 0
    stale_partials: int = 0  # partial frames abandoned after a line gap


class FrameDecoder:
    """Turns a byte stream into frames with a right CRC; survives split, merged and corrupted input.

    Feed it whatever the port delivered, in any chunks; it returns every complete frame. It never
    raises on input and never returns a frame whose CRC is wrong. Its buffer is bounded by
    `MAX_FRAME` bytes.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.stats = DecoderStats()

    @property
    def pending(self) -> int:
        """How many bytes wait for the rest of a frame."""
        return len(self._buffer)

    def feed(self, data: bytes | bytearray | memoryview) -> list[Frame]:
        """Add received bytes; return the frames they completed, in order."""
        self._buffer += data
        return self._drain()

    def line_idle(self) -> list[Frame]:
        """The line was silent for a frame gap: a partial frame at the head will never complete.

        Drops that partial frame's start byte and hunts again, which may release good frames that
        were queued behind a false start byte.
        """
        frames: list[Frame] = []
        while self._buffer:
            self._buffer[:1] = b""
            self.stats.stale_partials += 1
            frames += self._drain()
        return frames

    def _drain(self) -> list[Frame]:
        frames: list[Frame] = []
        buffer = self._buffer
        while True:
            start = buffer.find(START)
            if start < 0:
                self.stats.skipped_bytes += len(buffer)
                buffer.clear()
                return frames
            if start:
                self.stats.skipped_bytes += start
                del buffer[:start]
            if len(buffer) < 2:
                return frames
            length = buffer[1]
            if length > MAX_PAYLOAD:
                self.stats.bad_length += 1
                del buffer[:1]
                continue
            end = HEADER_SIZE + length + CRC_SIZE
            if len(buffer) < end:
                return frames
            # A CRC over the whole frame, its own CRC bytes included, is zero exactly when it is right.
            if crc16_modbus(buffer[:end]) != 0:
                self.stats.bad_crc += 1
                del buffer[:1]
                continue
            frames.append(Frame(buffer[2], buffer[3], buffer[4], bytes(buffer[HEADER_SIZE : end - CRC_SIZE])))
            self.stats.frames += 1
            del buffer[:end]
