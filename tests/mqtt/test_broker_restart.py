"""The managed Mosquitto is started again, on the same port with the same passwords, when it dies."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import aiomqtt
import pytest

from qms.contract import topics
from qms.mqtt.broker import ManagedBroker, free_port
from tests.mqtt.harness import DEVICES, HALL, PASSWORD

pytestmark = pytest.mark.slow


async def published(port: int) -> None:
    async with aiomqtt.Client("127.0.0.1", port, username="keypad-w1", password=PASSWORD) as client:
        await client.publish(topics.device_state(HALL, "keypad-w1"), b"ready", qos=1)


def test_a_managed_broker_killed_by_something_else_runs_again_on_its_port(tmp_path: Path) -> None:
    async def main() -> None:
        broker = ManagedBroker(tmp_path / "mqtt", HALL, DEVICES, port=free_port())
        await broker.start()
        first = broker.pid
        assert first is not None
        keeping = asyncio.create_task(broker.keep_running())
        try:
            os.kill(first, signal.SIGKILL)  # the OOM killer, say
            async with asyncio.timeout(10):
                while True:  # keep_running looks every 0.2 s, then waits until Mosquitto listens
                    if broker.pid not in (None, first):
                        try:
                            await published(broker.port)  # the same port, the same passwords
                            break
                        except aiomqtt.MqttError:
                            pass
                    await asyncio.sleep(0.05)
        finally:
            keeping.cancel()
            await asyncio.gather(keeping, return_exceptions=True)
            await broker.stop()  # stopped for good: nothing starts it again
        assert broker.pid is None

    asyncio.run(main())
