"""The bridge's MQTT connection against a real Mosquitto: its reconnect loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re

import aiomqtt
import pytest

from firmware_bridge.config import parse_config
from firmware_bridge.mosquitto import Mosquitto
from firmware_bridge.mqtt_session import MqttSession
from firmware_bridge.presence import Presence
from qms.contract import Broker

CONFIG = parse_config(
    {
        "bridge": {"id": "bridge-twin"},
        "ports": [{"name": "kp", "path": "/dev/null", "kind": "rs485"}],
        "devices": [{"id": "keypad-w1", "kind": "keypad", "port": "kp", "address": 1, "window": "w1"}],
    }
)


def test_a_bridge_closed_at_once_by_the_broker_waits_longer_each_time(
    broker: Mosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    """The broker lets one client id in at a time and closes the older connection. A second copy
    of a bridge run by hand with the same configuration would knock it out as soon as it is
    connected, again and again: the bridge must not answer several times a second (republishing
    every presence each time), and its log must say why it keeps losing the broker."""

    async def go() -> None:
        stopping = asyncio.Event()
        session = MqttSession(
            CONFIG, "hall-twin", Broker("127.0.0.1", broker.port), Presence(CONFIG.devices), print, str
        )
        task = asyncio.create_task(session.run(stopping))
        try:
            for _ in range(3):
                async with asyncio.timeout(10):
                    await session.connected.wait()
                with contextlib.suppress(aiomqtt.MqttError):
                    async with aiomqtt.Client("127.0.0.1", broker.port, identifier=CONFIG.id):  # the twin
                        async with asyncio.timeout(10):
                            while session.connected.is_set():  # noqa: ASYNC110 - no event marks a loss
                                await asyncio.sleep(0.01)
            async with asyncio.timeout(10):
                await session.connected.wait()
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    with caplog.at_level(logging.WARNING, logger="firmware_bridge.mqtt_session"):
        asyncio.run(go())
    lost = [r.getMessage() for r in caplog.records if r.name == "firmware_bridge.mqtt_session"]
    waits = [float(m) for m in re.findall(r"again in ([0-9.]+) s", "\n".join(lost))]
    assert waits == [0.2, 0.4, 0.8]  # not 0.2 every time: a connection closed at once is no success
    assert all("is another client with the id bridge-twin connected?" in m for m in lost)
