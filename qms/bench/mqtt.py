"""`qms bench mqtt`: latency from a keypad's press to the LED bar's new frame, beside the
broker's own round trip measured in the same run.

Starts a real server process (`qms serve` with its managed Mosquitto on free loopback ports,
SQLite with synchronous=FULL), the LED bar driver of window w1 as a child process
(`python -m displays.ledbar`), and plays a keypad as a plain aiomqtt client: sign in, then
1,000 times `next` (timed: from the keypad's MQTT publish to the frame the driver renders,
stamped by the driver) and `finish`. Each press goes keypad -> broker -> gateway -> hall
actor -> SQLite commit (fsync) -> display state -> broker -> driver -> rendered frame. The
broker's round trip is a QoS 1 publish to a topic the same client subscribes to.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiomqtt

from qms.contract import topics
from qms.mqtt.broker import NO_DELAY

from .api import free_port, start_server
from .halls import bench_hall_toml
from .report import press_and_round_trip

AIM_P99_MS = 50.0
HALL = "bench"
PASSWORD = "bench-device"
DEVICES = """
[[devices]]
id = "keypad-w1"
kind = "keypad"
window = "w1"
password = "bench-device"

[[devices]]
id = "led-w1"
kind = "led_bar"
window = "w1"
password = "bench-device"

[[devices]]
id = "dispenser-1"
kind = "dispenser"
password = "bench-device"
"""
WAIT = 30.0


class Keypad:
    """A device client that sends events and waits for their acks."""

    def __init__(self, client: aiomqtt.Client, device: str) -> None:
        self.client = client
        self.device = device
        self.acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.echo: asyncio.Queue[float] = asyncio.Queue()
        self.n = 0

    async def read(self) -> None:
        async for message in self.client.messages:
            assert isinstance(message.payload, bytes)
            if message.topic.value.endswith("/bench-echo"):
                self.echo.put_nowait(time.perf_counter())
                continue
            data = json.loads(message.payload)
            future = self.acks.pop(data.get("msg_id"), None)
            if future is not None and not future.done():
                future.set_result(data)

    async def send(self, name: str, **fields: Any) -> asyncio.Future[dict[str, Any]]:
        self.n += 1
        msg_id = f"b{self.n}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.acks[msg_id] = future
        payload = json.dumps({"msg_id": msg_id, **fields}).encode()
        await self.client.publish(topics.device_event(HALL, self.device, name), payload, qos=1)
        return future


def _client(port: int, device: str) -> aiomqtt.Client:
    return aiomqtt.Client("127.0.0.1", port, username=device, password=PASSWORD, socket_options=NO_DELAY)


async def _frames(proc: asyncio.subprocess.Process, out: asyncio.Queue[dict[str, Any]]) -> None:
    assert proc.stdout is not None
    while line := await proc.stdout.readline():
        out.put_nowait(json.loads(line))


async def _until(frames: asyncio.Queue[dict[str, Any]], test: Any) -> dict[str, Any]:
    async def find() -> dict[str, Any]:
        while True:
            frame = await frames.get()
            if test(frame):
                return frame

    return await asyncio.wait_for(find(), WAIT)


async def measure(mqtt_port: int, presses: int, repo: Path) -> tuple[list[float], list[float]]:
    """Press-to-frame latencies and broker round trips, in seconds."""
    async with (
        _client(mqtt_port, "keypad-w1") as keypad_client,
        _client(mqtt_port, "dispenser-1") as dispenser_client,
    ):
        await keypad_client.subscribe(
            [(topics.device_ack(HALL, "keypad-w1"), 1), (f"{topics.root(HALL)}/dev/keypad-w1/bench-echo", 1)]
        )
        await dispenser_client.subscribe(topics.device_ack(HALL, "dispenser-1"), qos=1)
        keypad, dispenser = Keypad(keypad_client, "keypad-w1"), Keypad(dispenser_client, "dispenser-1")
        readers = [asyncio.create_task(keypad.read()), asyncio.create_task(dispenser.read())]
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "displays.ledbar",
            "--broker", f"mqtt://led-w1:{PASSWORD}@127.0.0.1:{mqtt_port}",
            "--hall", HALL, "--window", "w1",
            stdout=asyncio.subprocess.PIPE, cwd=repo,
        )  # fmt: skip
        frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        frame_reader = asyncio.create_task(_frames(proc, frames))
        try:
            takes = [await dispenser.send("take", service="s00") for _ in range(presses)]
            for ack in await asyncio.wait_for(asyncio.gather(*takes), WAIT):
                assert ack["ok"], ack
            ack = await asyncio.wait_for(await keypad.send("button", button="open", staff="bench"), WAIT)
            assert ack["ok"], ack
            await _until(frames, lambda f: "欢迎您" in f["frame"])
            latencies = []
            for _ in range(presses):
                t0 = time.time()
                pressed = await keypad.send("button", button="next")
                frame = await _until(frames, lambda f: f["ticket"] is not None and "请" in f["frame"])
                latencies.append(frame["t"] - t0)
                assert (await asyncio.wait_for(pressed, WAIT))["ok"]
                finished = await keypad.send("button", button="finish")
                assert (await asyncio.wait_for(finished, WAIT))["ok"]
                await _until(frames, lambda f: "欢迎您" in f["frame"])
            round_trips = []
            echo = f"{topics.root(HALL)}/dev/keypad-w1/bench-echo"
            for _ in range(presses):
                t0 = time.perf_counter()
                await keypad_client.publish(echo, b"x", qos=1)
                t1 = await asyncio.wait_for(keypad.echo.get(), WAIT)
                round_trips.append(t1 - t0)
            return latencies, round_trips
        finally:
            proc.terminate()
            await proc.wait()
            for task in [*readers, frame_reader]:
                task.cancel()
            await asyncio.gather(*readers, frame_reader, return_exceptions=True)


def main(presses: int = 1000) -> None:
    repo = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory(prefix="qms-bench-mqtt-") as tmp:
        config = Path(tmp) / "bench.toml"
        config.write_text(bench_hall_toml() + DEVICES, encoding="utf-8")
        port, mqtt_port = free_port(), free_port()
        proc = start_server(config, Path(tmp) / "data", port, env={"QMS_MQTT_PORT": str(mqtt_port)})
        try:
            latencies, round_trips = asyncio.run(measure(mqtt_port, presses, repo))
        finally:
            proc.terminate()
            proc.communicate(timeout=15)
    print(f"keypad press -> LED bar frame, {presses} presses (qms serve + managed Mosquitto, SQLite synchronous=FULL):")
    print(press_and_round_trip(latencies, round_trips, AIM_P99_MS))
