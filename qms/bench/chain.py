"""`qms bench chain`: a keypad press on the serial line to the LED bar's new frame on its serial
line, through everything a hall runs, beside the broker's own round trip in the same run.

The chain of `qms.bench.chain_hall`: pty emulators (keypad, LED bar, rating pad, dispenser and
printer of window w1) -> `python -m firmware_bridge` -> the server's managed Mosquitto ->
`qms serve` (gateway, hall actor, SQLite synchronous=FULL) -> Mosquitto -> bridge -> LED bar.
The clock starts when the keypad's frame is written on its pty and stops when the LED bar
emulator has read the new SHOW frame on its own pty. The window stays open; presses alternate
`next` (the bar shows the called number) and `finish` (the bar goes back to its welcome text),
so every press changes the display. The broker's round trip is a QoS 1 publish to a topic the
same client subscribes to. A benchmark, not a test: it prints figures and judges nothing.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

import aiomqtt
import httpx

from firmware_bridge.messages import AckResult, Key
from qms.contract import topics
from qms.mqtt.broker import NO_DELAY

from .chain_hall import BRIDGE, BRIDGE_PASSWORD, HALL, STAFF, WAIT, Chain, running_chain
from .report import press_and_round_trip

AIM_P99_MS = 50.0
CALLED = "请 "  # the LED bar's text for a called ticket: "请 A001 号"
IDLE = "欢迎您"  # and for an open window with nobody at it


async def press_to_frame(chain: Chain, presses: int) -> list[float]:
    """Seconds from each press's frame on the keypad pty to the LED bar's new frame on its pty."""
    frames: list[tuple[float, str]] = []
    changed = asyncio.Event()

    def seen() -> None:
        frames.append((time.perf_counter(), chain.led_text()))
        changed.set()

    async with httpx.AsyncClient(base_url=chain.base, timeout=WAIT) as http:
        for _ in range(presses // 2 + 1):
            response = await http.post(f"/api/v1/halls/{HALL}/tickets", json={"service": "s00"})
            response.raise_for_status()
    if await chain.press(Key.OPEN, STAFF) is not AckResult.OK:
        raise RuntimeError("the keypad could not sign in")
    await chain.led_shows(IDLE)
    chain.led.on_change = seen
    latencies = []
    try:
        for n in range(presses):
            key, text = (Key.NEXT, CALLED) if n % 2 == 0 else (Key.FINISH, IDLE)
            frames.clear()
            started = time.perf_counter()
            answered = chain.keypad.press_key(key)  # the frame is on the pty when this returns
            async with asyncio.timeout(WAIT):
                while not any(text in shown for _, shown in frames):
                    changed.clear()
                    await changed.wait()
            latencies.append(next(t for t, shown in frames if text in shown) - started)
            if await asyncio.wait_for(answered, WAIT) is not AckResult.OK:
                raise RuntimeError(f"the bridge did not take press {n + 1} ({key.name})")
    finally:
        chain.led.on_change = None
    return latencies


async def broker_round_trips(port: int, count: int) -> list[float]:
    """Seconds for a QoS 1 message from a client back to itself through the same broker."""
    async with aiomqtt.Client(
        "127.0.0.1", port, username=BRIDGE, password=BRIDGE_PASSWORD, socket_options=NO_DELAY
    ) as client:
        topic = f"{topics.root(HALL)}/dev/{BRIDGE}/bench-echo"  # the bridge's own tree: its ACL allows it
        await client.subscribe(topic, qos=1)
        messages = aiter(client.messages)
        latencies = []
        for i in range(count):
            started = time.perf_counter()
            await client.publish(topic, str(i).encode(), qos=1)
            async with asyncio.timeout(WAIT):
                await anext(messages)
            latencies.append(time.perf_counter() - started)
        return latencies


async def measure(presses: int) -> tuple[list[float], list[float]]:
    """Both series, from one running chain."""
    with tempfile.TemporaryDirectory(prefix="qms-bench-chain-") as folder:
        async with running_chain(Path(folder)) as chain:
            chain_latencies = await press_to_frame(chain, presses)
            round_trips = await broker_round_trips(chain.mqtt_port, presses)
    return chain_latencies, round_trips


def main(presses: int = 1000) -> None:
    """Run and print p50/p99 of both, the chain's p99 as a ratio to the aim, and the load average."""
    latencies, round_trips = asyncio.run(measure(presses))
    load = os.getloadavg()
    print(
        f"keypad frame on its pty -> bridge -> Mosquitto -> qms serve (SQLite synchronous=FULL) -> Mosquitto -> "
        f"bridge -> LED bar frame on its pty, {presses} presses (next/finish), {os.cpu_count()} CPUs"
    )
    print(press_and_round_trip(latencies, round_trips, AIM_P99_MS))
    print(f"  load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
