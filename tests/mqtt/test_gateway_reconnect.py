"""The server's MQTT connection against a real Mosquitto: its reconnect loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from pathlib import Path

import aiomqtt
import pytest

from .harness import running_hall


def test_a_server_closed_at_once_by_the_broker_waits_longer_each_time(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The broker lets one client id in at a time. A second server of the same hall (started
    by mistake) knocks the first out as soon as it connects: the gateway must not come back
    five times a second, and its log must say why it keeps losing the broker."""

    async def go() -> None:
        async with running_hall(tmp_path) as hall:
            gateway, address = hall.gateway, hall.broker.address
            for _ in range(3):
                async with asyncio.timeout(10):
                    await gateway.connected.wait()
                with contextlib.suppress(aiomqtt.MqttError):
                    async with aiomqtt.Client(
                        address.host,
                        address.port,
                        username=address.username,
                        password=address.password,
                        identifier=gateway.client_id,  # the twin
                    ):
                        async with asyncio.timeout(10):
                            while gateway.connected.is_set():  # noqa: ASYNC110 - no event marks a loss
                                await asyncio.sleep(0.01)
            async with asyncio.timeout(10):
                await gateway.connected.wait()

    with caplog.at_level(logging.WARNING, logger="qms.mqtt.gateway"):
        asyncio.run(go())
    closed = [r.getMessage() for r in caplog.records if "closed the connection" in r.getMessage()]
    waits = [float(m) for m in re.findall(r"again in ([0-9.]+) s", "\n".join(closed))]
    assert waits == [0.2, 0.4, 0.8]  # not 0.2 every time: a connection closed at once is no success
    assert all("is another client with the id qms-t connected?" in m for m in closed)
