"""Retained state left at the broker by an earlier run: a window or zone removed while the server
was stopped must not keep its old number on a bar or screen that subscribes later. The broker
here is an external one shared by two halls (anonymous, on a free loopback port), so the test
also shows that the gateway clears nothing of the other hall."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import aiomqtt
import pytest

from firmware_bridge.mosquitto import mosquitto
from qms.contract import ScreenState, WindowDisplay, topics
from qms.core.model import HallConfig, WindowConfig, WindowKind
from qms.mqtt.broker import BrokerAddress
from qms.mqtt.gateway import Gateway
from qms.service import HallService
from qms.storage import SqliteStore
from tests.factories import any_hour_hall

from .harness import HALL, WAIT
from .test_end_to_end import eventually

pytestmark = pytest.mark.slow
OTHER = "other-hall"


@asynccontextmanager
async def server_run(database: Path, config: HallConfig, port: int) -> AsyncIterator[Gateway]:
    """One run of the hall's server: store, hall and gateway, until the block ends."""
    store = SqliteStore(database)
    await store.open()
    service = HallService(config, store)
    await service.start()
    gateway = Gateway(service, (), BrokerAddress("127.0.0.1", port), ticket_url=lambda t: t)
    await gateway.start()
    try:
        await asyncio.wait_for(gateway.connected.wait(), WAIT)
        yield gateway
    finally:
        await gateway.stop()
        await service.stop()
        await store.close()


async def retained_on(port: int, topic: str) -> bytes | None:
    """The retained message on `topic` (None when there is none within half a second)."""
    async with aiomqtt.Client("127.0.0.1", port) as client:
        await client.subscribe(topic, qos=1)
        try:
            async with asyncio.timeout(0.5):
                async for message in client.messages:
                    assert isinstance(message.payload, bytes)
                    return message.payload
        except TimeoutError:
            pass
    return None


def test_windows_and_zones_removed_while_stopped_are_cleared_at_connect(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    hall = any_hour_hall()
    upstairs = WindowConfig("w9", 9, WindowKind.GENERAL, zone="upstairs")
    with_w9 = replace(hall, windows=(*hall.windows, upstairs))

    async def scenario() -> None:
        with mosquitto() as broker:  # a hall's operator's, open to anonymous clients
            port = broker.port
            async with server_run(tmp_path / "before.sqlite3", with_w9, port):
                pass  # it published w9's bar and the upstairs screen, retained
            assert await retained_on(port, topics.window_display(HALL, "w9")) is not None
            async with aiomqtt.Client("127.0.0.1", port) as other:  # another hall's server
                await other.publish(topics.window_display(OTHER, "w9"), b'{"other": 1}', qos=1, retain=True)
                await other.publish(topics.screen(OTHER, "upstairs"), b'{"other": 2}', qos=1, retain=True)

            async with server_run(tmp_path / "after.sqlite3", hall, port):  # w9 and upstairs removed meanwhile

                async def w9_and_upstairs_cleared() -> bool:
                    bar = await retained_on(port, topics.window_display(HALL, "w9"))
                    return bar is None and await retained_on(port, topics.screen(HALL, "upstairs")) is None

                await eventually(w9_and_upstairs_cleared)
                w1 = await retained_on(port, topics.window_display(HALL, "w1"))
                assert w1 is not None and WindowDisplay.decode(w1).text  # the hall's own stay
                main = await retained_on(port, topics.screen(HALL, "main"))
                assert main is not None and ScreenState.decode(main).seq > 0
                assert await retained_on(port, topics.window_display(OTHER, "w9")) == b'{"other": 1}'
                assert await retained_on(port, topics.screen(OTHER, "upstairs")) == b'{"other": 2}'

    with caplog.at_level(logging.INFO, logger="qms.mqtt.leftovers"):
        asyncio.run(asyncio.wait_for(scenario(), 60))
    said = [r.getMessage() for r in caplog.records]
    assert not [m for m in said if "no echo" in m]  # the scan ended at the echo of `ready`, not by its bound
    (cleared,) = [m for m in said if "cleared the retained state" in m]
    assert "test-hall/window/w9/display" in cleared and "test-hall/screen/upstairs" in cleared
