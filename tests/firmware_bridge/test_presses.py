"""A press is confirmed or refused at the keypad, and counts once: keypad on a pty, bridge, a real Mosquitto."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import tempfile
from collections.abc import AsyncIterator

import aiomqtt
import pytest

from firmware_bridge.bridge import Bridge
from firmware_bridge.emulators import BusDeviceEmulator
from firmware_bridge.emulators.pty_port import PtyPort
from firmware_bridge.frames import Frame, FrameDecoder, FrameType
from firmware_bridge.messages import Ack, AckResult, DeviceKind, Hello, Key, KeyPress, Status, decode, encode
from firmware_bridge.mosquitto import free_port, mosquitto
from qms.contract import Broker, Button, ButtonPressed, DeviceState, topics
from tests.firmware_bridge.chain import keypad_config

pytestmark = pytest.mark.slow


@contextlib.asynccontextmanager
async def bridge_for(path: str, hall: str, broker_port: int) -> AsyncIterator[Bridge]:
    """A bridge with one keypad (`keypad-w1`, address 1) on `path`, running until the block ends."""
    with tempfile.TemporaryDirectory(prefix="qms-bridge-") as data:
        config = keypad_config(path, data)
        bridge = Bridge(config, hall, Broker("127.0.0.1", broker_port), reconnect_max=0.2)
        running = asyncio.create_task(bridge.run())
        try:
            async with asyncio.timeout(5):
                await bridge.wait_for_state("keypad-w1", DeviceState.READY)
            yield bridge
        finally:
            bridge.stop()
            await asyncio.wait_for(running, 10)


async def received(client: aiomqtt.Client, for_seconds: float) -> list[ButtonPressed]:
    """The button events that arrive within `for_seconds`."""
    events: list[ButtonPressed] = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(for_seconds):
            async for message in client.messages:
                events.append(ButtonPressed.decode(message.payload))  # type: ignore[arg-type]
    return events


def test_a_press_the_broker_is_slow_to_take_is_confirmed_before_the_keypad_gives_up() -> None:
    # The broker hangs for a while (SIGSTOP): the event is on its way but its PUBACK is late. The
    # keypad gives up 1 s after its first try, so the bridge must answer within that time; it
    # answers OK and owns the event, which reaches the hall once the broker goes on, exactly once.
    async def main() -> None:
        with mosquitto() as broker:
            async with (
                BusDeviceEmulator(DeviceKind.KEYPAD, 1) as keypad,
                bridge_for(keypad.path, "slow-hall", broker.port) as bridge,
                aiomqtt.Client("127.0.0.1", broker.port) as client,
            ):
                await client.subscribe(f"{topics.root('slow-hall')}/dev/+/evt/+", qos=1)
                async with asyncio.timeout(5):
                    await bridge.connected.wait()
                broker.process.send_signal(signal.SIGSTOP)
                try:
                    result = await keypad.press_key(Key.NEXT)
                    await asyncio.sleep(0.5)
                finally:
                    broker.process.send_signal(signal.SIGCONT)
                events = await received(client, for_seconds=1.5)  # sent again while no server answers
                assert result is AckResult.OK  # not "failed" for a press that happens
                assert events and {e.button for e in events} == {Button.NEXT}
                assert len({e.msg_id for e in events}) == 1  # one press: one msg_id, taken once by the server

    asyncio.run(main())


class HandMadeKeypad:
    """A keypad at address 1 whose every frame the test writes itself, as a firmware would send it.

    It answers the bridge's polls, and keeps the ACKs it hears by sequence number.
    """

    def __init__(self) -> None:
        self.port = PtyPort(self._heard)
        self.acks: list[tuple[int, Ack]] = []
        self._decoder = FrameDecoder()
        self._heard_ack = asyncio.Event()

    def send(self, message: Hello | KeyPress, seq: int) -> None:
        """One frame, first try or repeat alike."""
        kind, payload = encode(message)
        self.port.write(Frame(1, kind, seq, payload).encode())

    async def ack_of(self, seq: int, repeat: int = 0) -> AckResult:
        """The result of the bridge's ACK number `repeat` (0: the first) to the frame `seq`."""
        async with asyncio.timeout(3):
            while True:
                results = [ack.result for s, ack in self.acks if s == seq and ack.acked == FrameType.KEY]
                if len(results) > repeat:
                    return AckResult(results[repeat])
                self._heard_ack.clear()
                await self._heard_ack.wait()

    def _heard(self, data: bytes) -> None:
        for frame in self._decoder.feed(data):
            if frame.type == FrameType.POLL:
                self.port.write(Frame(1, FrameType.STATUS, frame.seq, encode(Status(DeviceKind.KEYPAD))[1]).encode())
            elif frame.type == FrameType.ACK:
                self.acks.append((frame.seq, decode(frame)))  # type: ignore[arg-type]
                self._heard_ack.set()


def test_a_repeat_of_a_refused_press_is_refused_again() -> None:
    # The broker is away: the press is refused (BUSY). The keypad does not hear that ACK (noise on
    # the line) and sends the press again; the answer must be the refusal again, never an OK for
    # a press that did not reach the hall.
    async def main() -> None:
        keypad = HandMadeKeypad()
        try:
            keypad.send(Hello(DeviceKind.KEYPAD, nonce=0x3A7C, firmware="1.2"), seq=0x10)
            async with bridge_for(keypad.port.path, "busy-hall", free_port()):
                press = KeyPress(Key.NEXT)
                keypad.send(press, seq=0x11)
                assert await keypad.ack_of(0x11) is AckResult.BUSY
                keypad.send(press, seq=0x11)  # the same frame again: its ACK was lost
                assert await keypad.ack_of(0x11, repeat=1) is AckResult.BUSY
        finally:
            keypad.port.close()

    asyncio.run(main())
