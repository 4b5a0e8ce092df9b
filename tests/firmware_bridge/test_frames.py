"""Framing: CRC-16/MODBUS, and a decoder that survives split, merged and corrupted input."""

from __future__ import annotations

import pytest

from firmware_bridge.crc import crc16_modbus
from firmware_bridge.frames import MAX_FRAME, MAX_PAYLOAD, START, Frame, FrameDecoder, FrameType


def test_crc_is_crc16_modbus() -> None:
    assert crc16_modbus(b"123456789") == 0x4B37  # the catalogue's check value
    assert crc16_modbus(b"") == 0xFFFF
    # Modbus RTU "read holding registers" request from its specification: CRC bytes 0x84 0x0A
    assert crc16_modbus(bytes.fromhex("010300000001")).to_bytes(2, "little") == bytes.fromhex("840a")


def test_a_frame_on_the_wire() -> None:
    frame = Frame(address=5, type=FrameType.KEY, seq=7, payload=b"\x01")
    wire = frame.encode()
    assert wire[:6] == bytes((START, 1, 5, FrameType.KEY, 7, 1))
    assert int.from_bytes(wire[-2:], "little") == crc16_modbus(wire[:-2])
    assert FrameDecoder().feed(wire) == [frame]


@pytest.mark.parametrize(
    "bad",
    [
        dict(address=256, type=1, seq=0),
        dict(address=1, type=-1, seq=0),
        dict(address=1, type=1, seq=300),
        dict(address=1, type=1, seq=0, payload=bytes(MAX_PAYLOAD + 1)),
    ],
)
def test_a_frame_that_cannot_exist_cannot_be_built(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Frame(**bad)  # type: ignore[arg-type]


FRAMES = [
    Frame(1, FrameType.KEY, 1, b"\x01"),
    Frame(2, FrameType.SHOW, 9, b"\x00\x00" + "请 A023 号".encode("gb18030")),
]


def test_split_byte_by_byte_and_merged() -> None:
    stream = b"".join(f.encode() for f in FRAMES) * 3
    decoder = FrameDecoder()
    out = [frame for i in range(len(stream)) for frame in decoder.feed(stream[i : i + 1])]
    assert out == FRAMES * 3
    assert FrameDecoder().feed(stream) == FRAMES * 3


def test_garbage_before_between_and_after_is_skipped() -> None:
    a, b = (f.encode() for f in FRAMES)
    decoder = FrameDecoder()
    assert decoder.feed(b"\x00\xff noise" + a + b"\x13\x37" + b + b"tail") == FRAMES
    assert decoder.stats.skipped_bytes == len(b"\x00\xff noise") + 2 + len(b"tail")


def test_a_corrupted_frame_is_dropped_and_the_next_one_found() -> None:
    a, b = (bytearray(f.encode()) for f in FRAMES)
    a[6] ^= 0x40  # one flipped bit in the CRC
    decoder = FrameDecoder()
    # A CRC byte of the broken frame may look like a start byte: then the line gap releases the rest.
    assert decoder.feed(bytes(a) + bytes(b)) + decoder.line_idle() == [FRAMES[1]]
    assert decoder.stats.bad_crc >= 1


def test_every_single_bit_flip_is_caught() -> None:
    wire = FRAMES[1].encode()
    for i in range(len(wire) * 8):
        damaged = bytearray(wire)
        damaged[i // 8] ^= 1 << (i % 8)
        decoder = FrameDecoder()
        assert decoder.feed(bytes(damaged)) + decoder.line_idle() == []


def test_a_false_start_byte_waits_for_the_line_gap_then_releases_the_real_frame() -> None:
    # Noise that looks like a start byte with a long length swallows the real frame behind it ...
    decoder = FrameDecoder()
    assert decoder.feed(bytes((START, 200)) + FRAMES[0].encode()) == []
    # ... until the line has been silent for a frame gap.
    assert decoder.line_idle() == [FRAMES[0]]
    assert decoder.pending == 0


def test_an_impossible_length_costs_one_byte() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(bytes((START, MAX_PAYLOAD + 1)) + FRAMES[0].encode()) == [FRAMES[0]]
    assert decoder.stats.bad_length == 1


def test_the_buffer_never_holds_more_than_one_frame() -> None:
    decoder = FrameDecoder()
    for _ in range(100):
        decoder.feed(bytes((START, MAX_PAYLOAD)) + bytes(range(256)))
        assert decoder.pending <= MAX_FRAME
