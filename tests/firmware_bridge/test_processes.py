"""The real commands: emulators and the bridge as processes, a broker that comes and goes, kill -9."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiomqtt
import pytest

from firmware_bridge.bridge import Bridge
from firmware_bridge.config import parse_config
from firmware_bridge.emulators import BusDeviceEmulator, PrinterEmulator, SharedBus
from firmware_bridge.messages import AckResult, DeviceKind, Key, StatusFlag
from firmware_bridge.mosquitto import Mosquitto, free_port, mosquitto
from qms.contract import (
    Broker,
    Button,
    ButtonPressed,
    DeviceState,
    DisplayState,
    HelpPressed,
    WindowDisplay,
    topics,
)
from tests.firmware_bridge.chain import Recorder, dispenser_config, keypad_config
from tests.firmware_bridge.test_chain import TICKET

pytestmark = pytest.mark.slow
ROOT = Path(__file__).parents[2]


@contextlib.asynccontextmanager
async def process(*args: str) -> AsyncIterator[asyncio.subprocess.Process]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *args, cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(ProcessLookupError):
            async with asyncio.timeout(10):
                await proc.communicate()


@contextlib.asynccontextmanager
async def bridge_running(bridge: Bridge) -> AsyncIterator[asyncio.Task[None]]:
    """`bridge.run()` as a task; stopped, and cancelled if it does not end, when the block ends."""
    running = asyncio.create_task(bridge.run())
    try:
        yield running
    finally:
        bridge.stop()
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running


async def line(proc: asyncio.subprocess.Process, containing: str = "") -> str:
    assert proc.stdout is not None
    async with asyncio.timeout(10):
        while True:
            text = (await proc.stdout.readline()).decode()
            assert text, "the process ended"
            if containing in text:
                return text.strip()


def test_the_commands_run_the_whole_chain_and_the_last_will_reports_a_killed_bridge(
    broker: Mosquitto, tmp_path: Path
) -> None:
    async def main() -> None:
        hall = "proc-hall"
        root = topics.root(hall)
        async with (
            process("-m", "firmware_bridge.emulators", "keypad", "--pty", "--address", "7") as keypad,
            process("-m", "firmware_bridge.emulators", "printer", "--pty", "--out", str(tmp_path / "out")) as printer,
        ):
            keypad_path, printer_path = await line(keypad), await line(printer)
            (tmp_path / "bridge.toml").write_text(
                f"""
[bridge]
id = "bridge-9"
poll_interval = 0.2
lost_after = 1.0
[[ports]]
name = "bus"
path = "{keypad_path}"
[[ports]]
name = "printer"
path = "{printer_path}"
kind = "printer"
[[devices]]
id = "keypad-w3"
kind = "keypad"
port = "bus"
address = 7
window = "w3"
[[devices]]
id = "dispenser-9"
kind = "dispenser"
printer = "printer"
"""
            )
            async with aiomqtt.Client("127.0.0.1", broker.port) as client:
                recorder = Recorder(client)
                await client.subscribe(f"{root}/#", qos=1)
                reading = asyncio.create_task(recorder.run())
                args = ["--broker", broker.url, "--hall", hall, "--config", str(tmp_path / "bridge.toml")]
                async with process("-m", "firmware_bridge", *args) as bridge:
                    for dev in ("keypad-w3", "dispenser-9", "bridge-9"):
                        await recorder.last_on(f"{root}/dev/{dev}/$state", b"ready", within=10)
                    assert keypad.stdin is not None
                    keypad.stdin.write(b"next\n")
                    assert await line(keypad, "next:") == "next: ok"
                    event = await recorder.wait_for(lambda m: m.topic == f"{root}/dev/keypad-w3/evt/button")
                    assert ButtonPressed.decode(event.payload).button is Button.NEXT
                    await client.publish(f"{root}/dev/dispenser-9/cmd/print", TICKET.encode(), qos=1)
                    await line(printer, "saved")
                    assert "A023" in (tmp_path / "out" / "ticket-0001.txt").read_text(encoding="utf-8")
                    os.kill(bridge.pid, signal.SIGKILL)  # no goodbye: only the broker's last will speaks
                    await recorder.last_on(f"{root}/dev/bridge-9/$state", b"lost")
                    assert await bridge.wait() == -signal.SIGKILL
                reading.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reading
            for dev in (f"{root}/dev/keypad-w3", f"{root}/dev/dispenser-9", f"{root}/dev/bridge-9"):
                for suffix in ("$state", "$meta"):
                    await client_clear(broker, f"{dev}/{suffix}")

    asyncio.run(main())


async def client_clear(broker: Mosquitto, topic: str) -> None:
    async with aiomqtt.Client("127.0.0.1", broker.port) as client:
        await client.publish(topic, b"", qos=1, retain=True)


def test_presses_while_the_broker_is_away_fail_at_the_keypad_and_work_once_it_is_back(tmp_path: Path) -> None:
    async def main() -> None:
        port = free_port()
        async with BusDeviceEmulator(DeviceKind.KEYPAD, 1) as keypad:
            config = keypad_config(keypad.path, tmp_path)
            bridge = Bridge(config, "away-hall", Broker("127.0.0.1", port), reconnect_max=0.2)
            async with bridge_running(bridge) as running:
                async with asyncio.timeout(5):
                    await bridge.wait_for_state("keypad-w1", DeviceState.READY)  # the bridge polls it
                assert await keypad.press_key(Key.NEXT) is AckResult.BUSY  # the keypad beeps: try again
                with mosquitto(port):
                    async with asyncio.timeout(10):
                        await bridge.connected.wait()
                    async with aiomqtt.Client("127.0.0.1", port) as client:
                        await client.subscribe(f"{topics.root('away-hall')}/dev/+/evt/+", qos=1)
                        assert await keypad.press_key(Key.NEXT) is AckResult.OK
                        async with asyncio.timeout(5):
                            message = await anext(aiter(client.messages))
                        assert ButtonPressed.decode(message.payload).button is Button.NEXT  # type: ignore[arg-type]
                    bridge.stop()
                    await asyncio.wait_for(running, 10)

    asyncio.run(main())


def test_a_dispenser_out_of_paper_while_the_broker_is_away_calls_staff_once_it_is_back(tmp_path: Path) -> None:
    # The roll ran out overnight: the bridge starts, finds the paper out, and the broker is not
    # up yet (or is restarting). Staff must still be called once it is there, and again until
    # the server answers, as for a press of the help button.
    async def main() -> None:
        port = free_port()
        async with BusDeviceEmulator(DeviceKind.DISPENSER, 4) as panel, PrinterEmulator(tmp_path) as printer:
            printer.flags = StatusFlag.PAPER_OUT
            config = dispenser_config(panel.path, printer.path, tmp_path / "bridge")
            bridge = Bridge(config, "paper-hall", Broker("127.0.0.1", port), reconnect_max=0.2)
            async with bridge_running(bridge) as running:
                async with asyncio.timeout(5):
                    await bridge.wait_for_state("dispenser-1", DeviceState.READY)
                await asyncio.sleep(0.5)  # several status polls: the bridge knows the paper is out
                with mosquitto(port):
                    async with aiomqtt.Client("127.0.0.1", port) as client:
                        await client.subscribe(f"{topics.root('paper-hall')}/dev/dispenser-1/evt/help", qos=1)
                        async with asyncio.timeout(5):
                            message = await anext(aiter(client.messages))
                        assert HelpPressed.decode(message.payload).note == "取号机缺纸，请更换纸卷"  # type: ignore[arg-type]
                    bridge.stop()
                    await asyncio.wait_for(running, 10)

    asyncio.run(main())


def test_a_port_that_comes_back_is_reopened_and_line_noise_is_survived(tmp_path: Path) -> None:
    # The bridge opens a stable name (as /dev/serial/by-id/... is), the device behind it is replaced.
    async def main() -> None:
        link = tmp_path / "ttyUSB-keypad"
        async with BusDeviceEmulator(DeviceKind.KEYPAD, 1) as first:
            link.symlink_to(first.path)
            config = keypad_config(str(link), tmp_path)
            bridge = Bridge(config, "reopen-hall", Broker("127.0.0.1", free_port()), reconnect_max=0.2)
            running = asyncio.create_task(bridge.run())
            try:
                async with asyncio.timeout(5):
                    await bridge.wait_for_state("keypad-w1", DeviceState.READY)
                first.close()  # the adapter is pulled
                async with asyncio.timeout(5):
                    await bridge.wait_for_state("keypad-w1", DeviceState.LOST)
                async with BusDeviceEmulator(DeviceKind.KEYPAD, 1) as second:  # ... and plugged in again
                    link.unlink()
                    link.symlink_to(second.path)
                    async with asyncio.timeout(10):
                        await bridge.wait_for_state("keypad-w1", DeviceState.READY)
                    # Noise with a false start byte and a long length, then a press: the frame gap frees it.
                    second._port.write(bytes((0xA5, 200, 0x13)))
                    assert await second.press_key(Key.NEXT) is AckResult.BUSY  # heard; no broker to take it
                    assert bridge._buses["bus"].link.decoder.stats.stale_partials >= 1
            finally:
                bridge.stop()
                await asyncio.wait_for(running, 10)

    asyncio.run(main())


def test_a_row_of_windows_on_one_line(broker: Mosquitto, tmp_path: Path) -> None:
    # Three windows' keypads, LED bars and rating pads on one RS-485 line, as halls wire them.
    async def main() -> None:
        bus = SharedBus()
        devices = []
        for w in (1, 2, 3):
            for offset, kind, name in ((0, DeviceKind.KEYPAD, "keypad"), (1, DeviceKind.LED_BAR, "led"),
                                       (2, DeviceKind.RATING_PAD, "pad")):  # fmt: skip
                address = 10 * w + offset
                bus.add(kind, address)
                devices.append({"id": f"{name}-w{w}", "kind": kind.name.lower(), "port": "row", "address": address,
                                "window": f"w{w}"})  # fmt: skip
        config = parse_config(
            {
                "bridge": {"id": "bridge-row", "poll_interval": 0.2, "lost_after": 1.0, "data": str(tmp_path)},
                "ports": [{"name": "row", "path": bus.path}],
                "devices": devices,
            }
        )
        hall = "row-hall"
        bridge = Bridge(config, hall, Broker("127.0.0.1", broker.port))
        running = asyncio.create_task(bridge.run())
        try:
            async with asyncio.timeout(10):
                for device in devices:
                    await bridge.wait_for_state(device["id"], DeviceState.READY)
            async with aiomqtt.Client("127.0.0.1", broker.port) as client:
                await client.subscribe(f"{topics.root(hall)}/dev/+/evt/+", qos=1)
                presses = [d.press_key(Key.NEXT) for d in bus.devices if d.kind is DeviceKind.KEYPAD]
                presses += [d.rate(4) for d in bus.devices if d.kind is DeviceKind.RATING_PAD]
                assert await asyncio.gather(*presses) == [AckResult.OK] * 6  # all at once on one line
                topics_seen = set()
                async with asyncio.timeout(5):
                    async for message in client.messages:
                        topics_seen.add(str(message.topic).split("/", 3)[3])
                        if len(topics_seen) == 6:
                            break
                assert topics_seen == {f"dev/keypad-w{w}/evt/button" for w in (1, 2, 3)} | {
                    f"dev/pad-w{w}/evt/rating" for w in (1, 2, 3)
                }
                display = WindowDisplay(1, "C007", "请 C007 号到 2 号窗口", DisplayState.CALLING)
                await client.publish(topics.window_display(hall, "w2"), display.encode(), qos=1)
                led = next(d for d in bus.devices if d.address == 21)
                await led.wait_for(lambda d: d.shown is not None and d.shown.text == "请 C007 号到 2 号窗口")
                assert all(d.shown is None for d in bus.devices if d.kind is DeviceKind.LED_BAR and d is not led)
        finally:
            bridge.stop()
            await asyncio.wait_for(running, 10)
            bus.close()

    asyncio.run(main())
