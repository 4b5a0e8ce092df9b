"""The managed Mosquitto's port when another broker has it: two servers starting at the same
instant on one machine both see port 1883 free, and only one can bind it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiomqtt
import pytest

from qms.mqtt import broker as managed
from qms.mqtt.broker import BrokerAddress, ManagedBroker, free_port

from .harness import DEVICES, HALL

pytestmark = pytest.mark.slow


async def logs_in(address: BrokerAddress) -> bool:
    try:
        async with aiomqtt.Client(address.host, address.port, username=address.username, password=address.password):
            return True
    except aiomqtt.MqttError:
        return False


def test_a_broker_whose_own_choice_of_port_was_taken_meanwhile_takes_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def main() -> None:
        first = ManagedBroker(tmp_path / "first", HALL, DEVICES, port=free_port())
        await first.start()
        try:
            # the second server looked while the port was still free, just before the first bound it
            monkeypatch.setattr(managed, "DEFAULT_PORT", first.port)
            monkeypatch.setattr(managed, "port_is_free", lambda port: True)
            second = ManagedBroker(tmp_path / "second", HALL, DEVICES)
            try:
                address = await second.start()
                assert address.port == second.port != first.port
                assert await logs_in(address)  # its own broker, with its own passwords
                assert await logs_in(first.address)  # and the first one's untouched
            finally:
                await second.stop()
        finally:
            await first.stop()

    asyncio.run(main())


def test_a_port_asked_for_and_taken_is_refused_not_shared(tmp_path: Path) -> None:
    """A port set by QMS_MQTT_PORT is what the devices were told: no other is taken instead,
    and the start fails clearly rather than reporting the other broker as its own."""

    async def main() -> None:
        first = ManagedBroker(tmp_path / "first", HALL, DEVICES, port=free_port())
        await first.start()
        try:
            second = ManagedBroker(tmp_path / "second", HALL, DEVICES, port=first.port)
            with pytest.raises(RuntimeError, match="Address already in use"):
                await second.start()
            assert second.pid is None
        finally:
            await first.stop()

    asyncio.run(main())
