"""A changed device registry put in force by `DeviceLink.apply` while the hall runs: the managed
Mosquitto lets exactly the registered devices in (password file and ACL reloaded), and the
gateway takes events from exactly them, which is all that guards an external broker."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiomqtt
import pytest

from qms.config import HallFile, Settings
from qms.config.devices import DeviceConfig
from qms.contract import DeviceKind
from qms.core.commands import IssueTicket, OpenWindow
from qms.core.model import WindowState
from qms.mqtt.link import BrokerMode, DeviceLink

from .harness import DEVICES, PASSWORD, device, running_hall

pytestmark = pytest.mark.slow

NEW = DeviceConfig("keypad-w2b", DeviceKind.KEYPAD, window="w2", password=PASSWORD)


def mode_of(link: DeviceLink) -> BrokerMode:
    return link.mode  # read afresh: the property changes with the link's broker


def test_a_registry_change_holds_at_once_on_the_managed_and_an_external_broker(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_hall(tmp_path) as hall:
            hall_file = HallFile(hall.service.config, (), tmp_path / "hall.toml", devices=DEVICES)
            link = DeviceLink(hall_file, Settings(tmp_path), hall.service)
            link.broker, link.gateway, link.address = hall.broker, hall.gateway, hall.broker.address
            assert link.mode is BrokerMode.MANAGED
            await hall.service.submit(OpenWindow("w2", "li.si"))
            await hall.service.submit(IssueTicket("social"))

            without_old = [d for d in DEVICES if d.id != "keypad-w2"]
            await link.apply([*without_old, NEW])  # keypad-w2 replaced by a new one
            async with device("keypad-w2b", hall.port) as keypad:
                assert (await keypad.send("button", button="next")).ok
            assert (await hall.service.committed()).window("w2").state is WindowState.CALLING
            with pytest.raises(aiomqtt.MqttError):  # the old one's login is gone
                async with device("keypad-w2", hall.port):
                    pass

            # an external broker: its operator keeps the logins; the gateway refuses the removed one
            link.broker = None
            assert mode_of(link) is BrokerMode.EXTERNAL and link.password(NEW) is None
            async with device("keypad-w2b", hall.port) as keypad:
                await link.apply(without_old)
                ack = await keypad.send("button", button="recall")
                assert not ack.ok and ack.error == "unknown_device"

    asyncio.run(scenario())
