"""`python -m firmware_bridge.bench`: from a keypad press on the serial line to the MQTT event at a subscriber.

The real shape of a hall: the bridge runs as its own process (`python -m firmware_bridge`), an
emulated keypad writes its frames on a pty, Mosquitto runs on loopback, and a subscriber waits
for `dev/<keypad>/evt/button`. One press at a time: the clock starts when the keypad's frame is
written to the pty and stops when the subscriber has the event, so each figure is the latency a
window's staff member feels, less the server. Beside it, in the same run, the broker's own round
trip (a QoS 1 publish to a topic the same client subscribes to) shows what MQTT alone costs.
A benchmark, not a test: it prints figures and judges nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiomqtt

from firmware_bridge.emulators import BusDeviceEmulator
from firmware_bridge.messages import AckResult, DeviceKind, Key
from firmware_bridge.mosquitto import mosquitto
from qms.contract import ButtonPressed, DeviceState, topics

HALL = "bench-hall"


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of `values`, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def bridge_latencies(port: int, presses: int, folder: Path) -> list[float]:
    """Seconds from the keypad frame on the pty to the event at the subscriber, for each press."""
    async with BusDeviceEmulator(DeviceKind.KEYPAD, 1) as keypad:
        config = folder / "bridge.toml"
        config.write_text(
            f'[bridge]\nid = "bridge-bench"\n[[ports]]\nname = "bus"\npath = "{keypad.path}"\n'
            '[[devices]]\nid = "keypad-w1"\nkind = "keypad"\nport = "bus"\naddress = 1\nwindow = "w1"\n'
        )
        broker = f"mqtt://127.0.0.1:{port}"
        args = ["-m", "firmware_bridge", "--broker", broker, "--hall", HALL, "--config", str(config)]
        bridge = await asyncio.create_subprocess_exec(sys.executable, *args, "--log-level", "WARNING")
        try:
            async with aiomqtt.Client("127.0.0.1", port) as client:
                state = topics.device_state(HALL, "keypad-w1")
                events = topics.device_event(HALL, "keypad-w1", "button")
                await client.subscribe([(state, 1), (events, 1)])
                messages = aiter(client.messages)
                async with asyncio.timeout(20):
                    while True:
                        message = await anext(messages)
                        if str(message.topic) == state and message.payload == DeviceState.READY.value.encode():
                            break
                latencies = []
                seen: set[str] = set()
                for _ in range(presses):
                    started = time.perf_counter()
                    answered = keypad.press_key(Key.NEXT)  # the frame is on the pty when this returns
                    async with asyncio.timeout(10):
                        while True:  # past a repeated `ready`, and the earlier presses the bridge sends
                            message = await anext(messages)  # again, every second, as no server answers
                            if str(message.topic) == events:
                                msg_id = ButtonPressed.decode(message.payload).msg_id
                                if msg_id not in seen:
                                    break
                    latencies.append(time.perf_counter() - started)
                    seen.add(msg_id)
                    if await answered is not AckResult.OK:
                        raise RuntimeError("the bridge did not acknowledge a press")
                return latencies
        finally:
            if bridge.returncode is None:
                bridge.send_signal(signal.SIGTERM)
            with contextlib.suppress(ProcessLookupError):
                async with asyncio.timeout(10):
                    await bridge.wait()


async def broker_latencies(port: int, count: int) -> list[float]:
    """Seconds for a QoS 1 message from a client back to itself through the broker."""
    async with aiomqtt.Client("127.0.0.1", port) as client:
        topic = f"{topics.root(HALL)}/bench/echo"
        await client.subscribe(topic, qos=1)
        messages = aiter(client.messages)
        latencies = []
        for i in range(count):
            started = time.perf_counter()
            await client.publish(topic, str(i).encode(), qos=1)
            async with asyncio.timeout(10):
                await anext(messages)
            latencies.append(time.perf_counter() - started)
        return latencies


def report(name: str, values: list[float]) -> tuple[float, float]:
    """Print one line of p50/p99 in milliseconds; return them."""
    p50, p99 = percentile(values, 0.50) * 1000, percentile(values, 0.99) * 1000
    print(f"  {name:<44} p50 {p50:7.3f} ms   p99 {p99:7.3f} ms   mean {statistics.fmean(values) * 1000:7.3f} ms")
    return p50, p99


async def run(presses: int) -> None:
    """The whole benchmark."""
    with mosquitto() as broker, tempfile.TemporaryDirectory(prefix="qms-bridge-bench-") as folder:
        chain = await bridge_latencies(broker.port, presses, Path(folder))
        echo = await broker_latencies(broker.port, presses)
    print(f"keypad press -> bridge -> Mosquitto -> subscriber, {presses} presses, one at a time")
    print(f"(bridge as a process on a pty, Mosquitto on loopback, {os.cpu_count()} CPUs)")
    c50, c99 = report("keypad frame on the pty -> evt/button arrives", chain)
    b50, b99 = report("broker round trip (QoS 1 publish -> delivery)", echo)
    print(f"  the bridge's chain costs {c50 / b50:.1f}x the broker's round trip at p50, {c99 / b99:.1f}x at p99")


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run."""
    parser = argparse.ArgumentParser(prog="python -m firmware_bridge.bench", description=__doc__)
    parser.add_argument("--presses", type=int, default=1000, help="keypad presses (and broker round trips)")
    args = parser.parse_args(argv)
    if args.presses < 1:
        parser.error("--presses must be at least 1")
    asyncio.run(run(args.presses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
