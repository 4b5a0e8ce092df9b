"""`qms serve` runs its own Mosquitto while it runs, and never leaves it behind."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiomqtt
import pytest

from qms.config import HallFile, load_settings, loads_hall
from qms.contract import ScreenState, ServerState, topics
from qms.mqtt import link
from qms.mqtt.broker import free_port
from qms.mqtt.link import BrokerMode
from qms.service import HallService
from qms.storage import SqliteStore
from tests.factories import any_hour_hall
from tests.servers import serving
from tests.test_config import BASE

pytestmark = pytest.mark.slow

HALL_FILE = (
    BASE.replace('name = "测试大厅"', 'name = "测试大厅"\ndemo = true')
    + '\n[[devices]]\nid = "led-w1"\nkind = "led_bar"\nwindow = "w1"\npassword = "led-pass"\n'
)


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            found += [int(p) for p in f.read().split()]
    return found


def command_of(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode()
    except FileNotFoundError:
        return ""


def gone(pid: int, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(")")[-1].split()[0] == "Z":  # a zombie waiting for its reaper
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


async def server_state(port: int) -> ServerState:
    async with aiomqtt.Client("127.0.0.1", port, username="led-w1", password="led-pass") as client:
        await client.subscribe(topics.server("test-hall"), qos=1)
        async for message in client.messages:
            assert isinstance(message.payload, bytes)
            return ServerState.decode(message.payload)
    raise AssertionError("no $server")


@pytest.mark.parametrize("ending", ["stop", "kill"])
def test_the_managed_broker_lives_and_dies_with_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ending: str
) -> None:
    config = tmp_path / "hall.toml"
    config.write_text(HALL_FILE)
    mqtt_port = free_port()
    monkeypatch.setenv("QMS_MQTT_PORT", str(mqtt_port))
    monkeypatch.delenv("QMS_MQTT_URL", raising=False)
    with serving(config, tmp_path / "data") as server:
        brokers = [p for p in children(server.pid) if "mosquitto" in command_of(p)]
        assert len(brokers) == 1
        deadline = time.monotonic() + 10
        while asyncio.run(server_state(mqtt_port)) is not ServerState.READY:  # the gateway connects
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert (tmp_path / "data" / "mqtt" / "acl").exists()
        if ending == "kill":
            server.kill()  # kill -9: no shutdown code runs, yet the broker goes (PR_SET_PDEATHSIG)
        else:
            # uvicorn shuts down gracefully, then dies of the signal it got, as `qms serve` always has
            assert server.stop() == -signal.SIGTERM and "Traceback" not in server.stderr, server.stderr
        assert gone(brokers[0])


@asynccontextmanager
async def started_link(
    tmp_path: Path, hall_file: HallFile, environ: dict[str, str]
) -> AsyncIterator[tuple[link.DeviceLink, str]]:
    """A hall's device link started with these settings, and the line `qms serve` prints for it."""
    store = SqliteStore(tmp_path / "db")
    await store.open()
    service = HallService(any_hour_hall(), store)
    await service.start()
    devices = link.DeviceLink(hall_file, load_settings(data_dir=tmp_path, environ=environ), service)
    try:
        yield devices, await devices.start()
    finally:
        await devices.stop()
        await service.stop()
        await store.close()


def test_a_hall_without_devices_runs_the_managed_broker_and_the_gateway(tmp_path: Path) -> None:
    async def scenario() -> None:
        environ = {"QMS_MQTT_PORT": str(free_port())}
        async with started_link(tmp_path, loads_hall(BASE), environ) as (devices, said):
            assert devices.mode is BrokerMode.MANAGED and devices.gateway is not None, said
            assert said.startswith(f"mqtt://127.0.0.1:{environ['QMS_MQTT_PORT']} (managed Mosquitto; no devices yet")
            assert "/admin/test-hall/devices sign in at once" in said
            assert devices.broker is not None and devices.broker.pid is not None
            assert os.getpgid(devices.broker.pid) != os.getpgrp()  # a terminal's Ctrl-C goes to the server only
            server = devices.broker.address  # the only login the empty registry's broker takes
            async with aiomqtt.Client(
                "127.0.0.1", server.port, username=server.username, password=server.password
            ) as c:
                await c.subscribe(topics.screen("test-hall", "main"), qos=1)  # the gateway's, retained
                async with asyncio.timeout(10):
                    async for message in c.messages:
                        assert isinstance(message.payload, bytes)
                        assert ScreenState.decode(message.payload).seq > 0
                        break
            with pytest.raises(aiomqtt.MqttError):
                async with aiomqtt.Client("127.0.0.1", server.port, username="keypad-w1", password="guess"):
                    pass

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("environ", "said", "mode"),
    [
        ({"QMS_MQTT_URL": "off"}, "off (QMS_MQTT_URL=off)", BrokerMode.OFF),
        (
            {"QMS_MQTT_URL": "http://broker"},
            "unavailable: QMS_MQTT_URL 'http://broker': expected mqtt://",
            BrokerMode.UNAVAILABLE,
        ),
    ],
)
def test_without_a_broker_the_line_and_the_mode_say_why(
    tmp_path: Path, environ: dict[str, str], said: str, mode: BrokerMode
) -> None:
    async def scenario() -> None:
        async with started_link(tmp_path, loads_hall(HALL_FILE), environ) as (devices, line):
            assert line.startswith(said) and devices.mode is mode and devices.gateway is None
            assert (devices.problem is None) is (mode is BrokerMode.OFF)

    asyncio.run(scenario())


def test_without_mosquitto_the_server_runs_and_says_devices_are_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(link, "mosquitto_available", lambda: False)

    async def scenario() -> None:
        async with started_link(tmp_path, loads_hall(BASE), {}) as (devices, said):  # even without devices
            assert said.startswith("unavailable: Mosquitto is not installed")
            assert devices.mode is BrokerMode.UNAVAILABLE and devices.gateway is None
            assert devices.problem is not None and devices.problem.startswith("Mosquitto is not installed")

    asyncio.run(scenario())
    settings = load_settings(data_dir=tmp_path, environ={"QMS_MQTT_URL": "off"})
    assert settings.mqtt_url == "off"
