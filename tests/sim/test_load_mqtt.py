"""The load test over MQTT against a real `qms demo` with its managed Mosquitto (issue 6's Done-when)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiomqtt
import pytest

from qms.bench.api import free_port
from qms.contract import ServerState, topics
from sim.loadgen import runner
from sim.loadgen.http import NotLoopback
from sim.loadgen.mqtt import broker_address, read_credentials
from tests.servers import Server

from .conftest import QINGYUAN

REPO = Path(__file__).resolve().parents[2]


def _healthy(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
            s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


async def _server_state(port: int, device: str, password: str) -> ServerState:
    async with aiomqtt.Client("127.0.0.1", port, username=device, password=password, timeout=5) as client:
        await client.subscribe(topics.server("qingyuan"), qos=1)
        async for message in client.messages:
            assert isinstance(message.payload, bytes)
            return ServerState.decode(message.payload)
    raise AssertionError("no $server")


@contextmanager
def demo(data: Path) -> Iterator[tuple[Server, int]]:
    """`qms demo --around-the-clock` with its own Mosquitto, both on free loopback ports."""
    port, mqtt_port = free_port(), free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "qms", "demo", "--around-the-clock", "--data", str(data), "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={
            **{k: v for k, v in os.environ.items() if k != "QMS_MQTT_URL"},  # the managed broker, not another
            "QMS_LOG_LEVEL": "warning",
            "QMS_MQTT_PORT": str(mqtt_port),
        },
    )
    server = Server(proc, port)
    try:
        deadline = time.monotonic() + 30
        while not _healthy(port):
            assert proc.poll() is None and time.monotonic() < deadline, "the demo did not start"
            time.sleep(0.1)
        passwords = read_credentials(data / "mqtt" / "device-passwords.json")
        while True:  # the gateway is connected once it says so
            try:
                if asyncio.run(_server_state(mqtt_port, "dispenser-2", passwords["dispenser-2"])) is ServerState.READY:
                    break
            except aiomqtt.MqttError:
                pass
            assert time.monotonic() < deadline, "the gateway did not connect"
            time.sleep(0.1)
        yield server, mqtt_port
    finally:
        server.stop()
    assert "Traceback" not in server.stderr, server.stderr


def _args(data: Path, port: int, mqtt_port: int, **extra: object) -> argparse.Namespace:
    base: dict[str, object] = dict(
        scenario=QINGYUAN, url=f"http://127.0.0.1:{port}", hall=None, username="admin", password="admin123",
        speed=240.0, seed=3, windows=0, watchers=60, database=data / "qms.sqlite3", start="08:55", until="09:30",
        mqtt=f"mqtt://127.0.0.1:{mqtt_port}", devices=data / "mqtt" / "device-passwords.json",
    )  # fmt: skip
    base.update(extra)
    return argparse.Namespace(**base)


@pytest.mark.slow
def test_the_demo_hall_under_load_over_mqtt(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "demo"
    with demo(data) as (server, mqtt_port):
        code = runner.main(_args(data, server.port, mqtt_port))
        out = capsys.readouterr().out
        # without the database, every acknowledged event is sent again with its msg_id: the
        # gateway answers from the log (the same ticket printed, the same keypad message)
        again = runner.main(_args(data, server.port, mqtt_port, database=None, start="09:30", until="09:36"))
        out_again = capsys.readouterr().out
    with capsys.disabled():
        print("\n" + out)
    assert code == 0, out
    assert "over MQTT 53 keypads and 8 dispensers (61 device connections)" in out
    assert "no ticket lost, none called twice, every acknowledged command stored: ok" in out
    acked = int(out.split("acknowledged commands: ")[1].split(",")[0])
    assert f"acknowledged commands: {acked}, found in {data / 'qms.sqlite3'}" in out
    for op in ("issue", "call-next", "start", "finish", "open", "close", "follow"):
        assert f"\n  {op} " in out, op
    issued = int(out.split("tickets issued ")[1].split(",")[0])
    assert issued > 100
    assert acked > issued  # tickets and every window's keypresses
    assert again == 0 and "answered from the log" in out_again, out_again
    assert f"sent again: {int(out_again.split('acknowledged commands: ')[1].split(',')[0])} answered" in out_again


def test_only_loopback_brokers_are_load_tested(tmp_path: Path) -> None:
    assert broker_address("mqtt://127.0.0.1:1883") == ("127.0.0.1", 1883)
    assert broker_address("mqtt://localhost") == ("127.0.0.1", 1883)
    for url in ("mqtt://10.0.0.5:1883", "mqtts://127.0.0.1:8883", "http://127.0.0.1:1883", "mqtt://broker.example"):
        with pytest.raises(NotLoopback):
            broker_address(url)
    bad = tmp_path / "passwords.json"
    bad.write_text(json.dumps(["keypad-w1"]))
    with pytest.raises(ValueError, match="device ids and passwords"):
        read_credentials(bad)
