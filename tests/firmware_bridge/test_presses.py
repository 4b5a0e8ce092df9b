"""A press is confirmed or refused at the keypad, and counts once: keypad on a pty, bridge, a real Mosquitto."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator

import aiomqtt
import pytest

from firmware_bridge.bridge import Bridge
from firmware_bridge.config import parse_config
from firmware_bridge.emulators import BusDeviceEmulator
from firmware_bridge.messages import AckResult, DeviceKind, Key
from firmware_bridge.mosquitto import mosquitto
from qms.contract import Broker, Button, ButtonPressed, DeviceState, topics

pytestmark = pytest.mark.slow


@contextlib.asynccontextmanager
async def bridge_for(path: str, hall: str, broker_port: int) -> AsyncIterator[Bridge]:
    """A bridge with one keypad (`keypad-w1`, address 1) on `path`, running until the block ends."""
    config = parse_config(
        {
            "bridge": {"id": "bridge-1", "poll_interval": 0.1, "lost_after": 0.5},
            "ports": [{"name": "bus", "path": path}],
            "devices": [{"id": "keypad-w1", "kind": "keypad", "port": "bus", "address": 1, "window": "w1"}],
        }
    )
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
