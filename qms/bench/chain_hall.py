"""The whole device chain of one window on one machine, for `qms bench chain` and its test.

A real `qms serve` process (hall file with `[[devices]]`: a bridge with its password, and the
keypad, LED bar and rating pad of window w1 and a dispenser with its printer behind it), its
Mosquitto (the managed one, or one named by `QMS_MQTT_URL`), a real `python -m firmware_bridge`
process whose bridge.toml points at pty emulators, and the emulators themselves (in this
process, each on its own pseudo-terminal, as a device on its own RS-485 adapter):

    keypad pty -> bridge -> Mosquitto -> gateway -> hall actor -> SQLite -> Mosquitto -> bridge -> LED bar pty
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from firmware_bridge.emulators import BusDeviceEmulator, PrinterEmulator
from firmware_bridge.messages import AckResult, DeviceKind, Key

from .api import free_port, start_server
from .halls import bench_hall_toml

HALL = "bench"
BRIDGE = "bridge-1"
BRIDGE_PASSWORD = "bridge-pass"
STAFF = "1024"  # the 工号 typed on the keypad to sign in
SERVICES = ("s00", "s01")  # the dispenser's two service buttons
WAIT = 20.0
REPO = Path(__file__).resolve().parents[2]

DEVICES = f"""
[[staff]]
username = "{STAFF}"
name = "王芳"
role = "staff"
password = "window-pass"

[[devices]]
id = "{BRIDGE}"
kind = "bridge"
password = "{BRIDGE_PASSWORD}"

[[devices]]
id = "keypad-w1"
kind = "keypad"
window = "w1"
bridge = "{BRIDGE}"

[[devices]]
id = "led-w1"
kind = "led_bar"
window = "w1"
bridge = "{BRIDGE}"

[[devices]]
id = "pad-w1"
kind = "rating_pad"
window = "w1"
bridge = "{BRIDGE}"

[[devices]]
id = "dispenser-1"
kind = "dispenser"
bridge = "{BRIDGE}"
"""


def hall_toml() -> str:
    """The benchmark hall (30 services, 50 windows, open around the clock) with the chain's devices."""
    return bench_hall_toml() + DEVICES


def bridge_toml(keypad: str, led: str, pad: str, panel: str, printer: str) -> str:
    """bridge.toml: each device alone on its own pty."""
    buttons = ", ".join(f'"{s}"' for s in SERVICES)
    return f"""
[bridge]
id = "{BRIDGE}"
poll_interval = 0.5
lost_after = 2.0

[[ports]]
name = "kp"
path = "{keypad}"

[[ports]]
name = "led"
path = "{led}"

[[ports]]
name = "pad"
path = "{pad}"

[[ports]]
name = "panel"
path = "{panel}"

[[ports]]
name = "printer"
path = "{printer}"
kind = "printer"
baudrate = 115200

[[devices]]
id = "keypad-w1"
kind = "keypad"
port = "kp"
address = 1
window = "w1"

[[devices]]
id = "led-w1"
kind = "led_bar"
port = "led"
address = 2
window = "w1"

[[devices]]
id = "pad-w1"
kind = "rating_pad"
port = "pad"
address = 3
window = "w1"

[[devices]]
id = "dispenser-1"
kind = "dispenser"
port = "panel"
address = 4
printer = "printer"
buttons = [{buttons}]
"""


@dataclass
class Chain:
    """Everything running; `base` is the server's HTTP address."""

    folder: Path
    server: subprocess.Popen[bytes]
    bridge: asyncio.subprocess.Process
    port: int
    mqtt_port: int
    keypad: BusDeviceEmulator
    led: BusDeviceEmulator
    pad: BusDeviceEmulator
    panel: BusDeviceEmulator
    printer: PrinterEmulator

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database(self) -> Path:
        return self.folder / "data" / "qms.sqlite3"

    def led_text(self) -> str:
        return self.led.shown.text if self.led.shown is not None else ""

    async def press(self, key: Key, argument: str = "") -> AckResult | None:
        """A keypad key; the bridge's answer (OK once the broker has the event)."""
        return await asyncio.wait_for(self.keypad.press_key(key, argument), WAIT)

    async def led_shows(self, text: str, within: float = WAIT) -> None:
        """Wait until the LED bar's text contains `text`."""
        await self.led.wait_for(lambda led: text in self.led_text(), within)


def _log_file(path: Path) -> BinaryIO:
    return open(path, "ab")  # the caller closes it once the child has it


def _stop_server(proc: subprocess.Popen[bytes]) -> str:
    """SIGTERM, SIGKILL if it hangs; always reaped, its pipe closed. Returns its stderr."""
    if proc.poll() is None:
        proc.terminate()
    try:
        _, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return (err or b"").decode(errors="replace")


async def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
    try:
        async with asyncio.timeout(10):
            await proc.wait()
    except TimeoutError:
        proc.kill()
        await proc.wait()


@contextlib.asynccontextmanager
async def running_chain(
    folder: Path, *, mqtt_port: int | None = None, env: Mapping[str, str] | None = None
) -> AsyncIterator[Chain]:
    """Emulators, server (managed Mosquitto on `mqtt_port` unless `env` names QMS_MQTT_URL) and
    bridge; yields once the LED bar shows the window's display. Everything is stopped and closed
    at the end (the server's stderr goes to `folder/server.log`, the bridge's to `bridge.log`)."""
    mqtt_port = mqtt_port or free_port()
    port = free_port()
    keypad = BusDeviceEmulator(DeviceKind.KEYPAD, 1)
    led = BusDeviceEmulator(DeviceKind.LED_BAR, 2)
    pad = BusDeviceEmulator(DeviceKind.RATING_PAD, 3)
    panel = BusDeviceEmulator(DeviceKind.DISPENSER, 4)
    printer = PrinterEmulator(folder / "printed")
    server: subprocess.Popen[bytes] | None = None
    bridge: asyncio.subprocess.Process | None = None
    try:
        config = folder / "hall.toml"
        config.write_text(hall_toml(), encoding="utf-8")
        (folder / "bridge.toml").write_text(
            bridge_toml(keypad.path, led.path, pad.path, panel.path, printer.path), encoding="utf-8"
        )
        server = await asyncio.to_thread(
            start_server, config, folder / "data", port, env={"QMS_MQTT_PORT": str(mqtt_port), **(env or {})}
        )
        broker = f"mqtt://{BRIDGE}:{BRIDGE_PASSWORD}@127.0.0.1:{mqtt_port}"
        with _log_file(folder / "bridge.log") as log:
            bridge = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "firmware_bridge", "--broker", broker, "--hall", HALL,
                "--config", str(folder / "bridge.toml"), "--log-level", "WARNING",
                stdout=log, stderr=log, cwd=REPO,
            )  # fmt: skip
        chain = Chain(folder, server, bridge, port, mqtt_port, keypad, led, pad, panel, printer)
        # The chain is up once the bridge has shown the LED bar the window's retained display.
        await led.wait_for(lambda bar: bar.shown is not None, WAIT)
        yield chain
    finally:
        if bridge is not None:
            await _stop(bridge)
        if server is not None:
            (folder / "server.log").write_text(_stop_server(server), encoding="utf-8")
        for device in (keypad, led, pad, panel):
            device.close()
        printer.close()
