"""`qms serve` runs its own Mosquitto while it runs, and never leaves it behind."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import aiomqtt
import pytest

from qms.config import load_settings, loads_hall
from qms.contract import ServerState, topics
from qms.mqtt import link
from qms.mqtt.broker import free_port
from qms.service import HallService
from qms.storage import SqliteStore
from tests.factories import always_open_hall
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


def test_without_mosquitto_the_server_runs_and_says_devices_are_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(link, "mosquitto_available", lambda: False)
    hall_file = loads_hall(HALL_FILE)

    async def scenario() -> str:
        store = SqliteStore(tmp_path / "db")
        await store.open()
        service = HallService(always_open_hall(), store)
        await service.start()
        devices = link.DeviceLink(hall_file, load_settings(data_dir=tmp_path, environ={}), service)
        try:
            return await devices.start()
        finally:
            await devices.stop()
            await service.stop()
            await store.close()

    said = asyncio.run(scenario())
    assert said.startswith("unavailable: Mosquitto is not installed")
    settings = load_settings(data_dir=tmp_path, environ={"QMS_MQTT_URL": "off"})
    assert settings.mqtt_url == "off"
