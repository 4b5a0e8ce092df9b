"""Fuzzing the sans-I/O codecs with hypothesis: no input crashes them, no frame with a wrong CRC comes out.

`FUZZ_EXAMPLES=20000 pytest tests/firmware_bridge/test_fuzz.py` runs a long campaign; the suite's
default keeps `make test` quick.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firmware_bridge.crc import crc16_modbus
from firmware_bridge.device import DeviceLink
from firmware_bridge.escpos_reader import EscPosReader
from firmware_bridge.frames import MAX_PAYLOAD, START, Frame, FrameDecoder, FrameType
from firmware_bridge.host import DeviceInput, HostLink
from firmware_bridge.messages import CheckIn, CheckInBy, DeviceKind, Key, KeyPress, PayloadError, decode, encode
from qms.contract import id_number_form_ok
from qms.core.identity import id_check_digit

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

frames = st.builds(
    Frame,
    address=st.integers(0, 255),
    type=st.integers(0, 255),
    seq=st.integers(0, 255),
    payload=st.binary(max_size=MAX_PAYLOAD),
)
# CHECKIN frames, with payloads near the valid ones: a method byte, then characters of ID numbers and codes.
check_in_text = st.text(alphabet="0123456789Xx" + "ABKMQZakz" + "-\n \xa5", max_size=24)
check_in_frames = st.builds(
    Frame,
    address=st.integers(1, 247),
    type=st.just(FrameType.CHECKIN),
    seq=st.integers(0, 255),
    payload=st.builds(lambda by, text: bytes((by,)) + text.encode("latin-1"), st.integers(0, 3), check_in_text),
)


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    """A well-formed ID number: 17 digits and the check digit that fits them (X in either case)."""
    first17 = "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=17, max_size=17)))
    check = id_check_digit(first17)
    return first17 + (draw(st.sampled_from("Xx")) if check == "X" else check)


check_ins = st.one_of(
    st.builds(CheckIn, st.just(CheckInBy.CODE), st.from_regex(r"[A-Za-z0-9]{4,16}", fullmatch=True)),
    st.builds(CheckIn, st.just(CheckInBy.ID_NUMBER), id_numbers()),
)

# Line noise, with start bytes and plausible lengths over-represented: the decoder's hard cases.
noise = st.lists(
    st.one_of(
        st.binary(max_size=40),
        st.just(bytes((START,))),
        st.builds(bytes, st.lists(st.sampled_from([START, 0, 1, 2, 10, 0xFF]), max_size=8)),
    ),
    max_size=6,
).map(b"".join)


def chop(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


def decode_all(chunks: list[bytes], idle_after: set[int] = frozenset()) -> list[Frame]:  # type: ignore[assignment]
    decoder = FrameDecoder()
    out: list[Frame] = []
    for i, chunk in enumerate(chunks):
        out += decoder.feed(chunk)
        if i in idle_after:
            out += decoder.line_idle()
    return out + decoder.line_idle()


@FUZZ
@given(st.binary(max_size=2000), st.lists(st.integers(0, 2000), max_size=20), st.sets(st.integers(0, 20)))
def test_any_bytes_in_any_chunks_never_crash_and_only_right_crcs_come_out(data, cuts, idles) -> None:
    for frame in decode_all(chop(data, cuts), idles):
        assert crc16_modbus(frame.encode()) == 0
        assert len(frame.payload) <= MAX_PAYLOAD


@FUZZ
@given(st.lists(st.tuples(noise, frames), max_size=8), st.lists(st.integers(0, 4000), max_size=30))
def test_frames_survive_noise_between_them_and_any_split(parts, cuts) -> None:
    # Each frame follows noise and then a line gap, as on a real bus where noise comes from switching.
    decoder = FrameDecoder()
    got: list[Frame] = []
    for junk, frame in parts:
        stream = junk + frame.encode()
        for chunk in chop(stream, cuts):
            got += decoder.feed(chunk)
        got += decoder.line_idle()
    sent = [frame for _, frame in parts]
    # Every sent frame arrives, in order; noise may forge an extra frame only with a right CRC.
    it = iter(got)
    assert all(any(g == s for g in it) for s in sent)
    assert all(crc16_modbus(g.encode()) == 0 for g in got)


@FUZZ
@given(check_ins)
def test_every_valid_check_in_round_trips(message) -> None:
    kind, payload = encode(message)
    assert decode(Frame(4, kind, 0, payload)) == message


@FUZZ
@given(check_in_frames)
def test_a_check_in_frame_decodes_only_to_a_valid_code_or_id_number(frame) -> None:
    try:
        message = decode(frame)
    except PayloadError as error:
        assert error.code == "bad_payload"
        return
    assert isinstance(message, CheckIn)
    if message.by is CheckInBy.ID_NUMBER:
        assert id_number_form_ok(message.value) and len(message.value) == 18
    else:
        assert message.value.isascii() and message.value.isalnum() and 4 <= len(message.value) <= 16


@FUZZ
@given(st.one_of(frames, check_in_frames))
def test_any_frame_payload_decodes_to_a_message_or_a_payload_error(frame) -> None:
    try:
        decode(frame)
    except PayloadError as error:
        assert error.code in ("unknown_type", "bad_payload")


@FUZZ
@given(
    st.lists(
        st.one_of(st.binary(max_size=64), frames.map(Frame.encode), check_in_frames.map(Frame.encode)), max_size=30
    ),
    st.floats(0, 100),
)
def test_the_host_and_a_device_never_crash_on_anything_from_the_bus(chunks, t) -> None:
    host = HostLink([1, 2, 3], nonce=1)
    device = DeviceLink(2, DeviceKind.RATING_PAD, nonce=2)
    for i, chunk in enumerate(chunks):
        now = t + i * 0.1
        host.receive(chunk, now)
        host.tick(now)
        device.receive(chunk, now)
        device.tick(now)
    host.line_idle(t + 10)
    device.line_idle(t + 10)
    for out in (host.data_to_send(), device.data_to_send()):
        assert FrameDecoder().feed(out) or not out  # whatever they say is well-framed


@FUZZ
@given(st.lists(st.integers(0, 40), min_size=1, max_size=40))
def test_replayed_and_repeated_frames_count_once(order) -> None:
    # A keypad's presses, recorded off the wire, replayed in any order and any number of times.
    device = DeviceLink(1, DeviceKind.KEYPAD, nonce=7, first_seq=250)
    host = HostLink([1], nonce=1)
    recorded = []
    host.receive(device.data_to_send(), 0)  # HELLO
    device.receive(host.data_to_send(), 0)
    for n in range(5):
        device.press(KeyPress(Key.NEXT), n)
        wire = device.data_to_send()
        recorded.append(wire)
        events = host.receive(wire, n)
        for e in events:
            if isinstance(e, DeviceInput):
                host.confirm(e, ok=True)
        device.receive(host.data_to_send(), n)
    replayed = [e for i in order for e in host.receive(recorded[i % len(recorded)], 10 + i)]
    assert [e for e in replayed if isinstance(e, DeviceInput)] == []


@FUZZ
@given(st.binary(max_size=3000), st.lists(st.integers(0, 3000), max_size=20))
def test_the_escpos_reader_never_crashes_and_reads_alike_however_the_bytes_arrive(data, cuts) -> None:
    reader = EscPosReader()
    chopped = [item for chunk in chop(data, cuts) for item in reader.feed(chunk)]
    assert chopped == EscPosReader().feed(data)
