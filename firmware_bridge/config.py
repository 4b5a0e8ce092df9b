"""bridge.toml: the serial ports of one bridge and the devices behind them.

```toml
[bridge]
id = "bridge-1"               # its MQTT device id; the devices below name it as their parent
hall = "qingyuan"             # optional; --hall wins
poll_interval = 1.0           # seconds between presence polls of each device
lost_after = 3.0              # a device silent this long is lost
transfer_window = "w{}"       # a window number typed on a keypad, as a window id
data = "/var/lib/qms-bridge"  # the outbox of confirmed events; default "bridge-data" beside this file

[[ports]]
name = "bus1"
path = "/dev/ttyUSB0"
kind = "rs485"                # framed protocol of PROTOCOL.md; or "printer" (ESC/POS)
baudrate = 9600

[[devices]]
id = "keypad-w2"              # MQTT device id, as in the hall file's [[devices]]
kind = "keypad"               # keypad, led_bar, rating_pad, dispenser, help_button
port = "bus1"
address = 1                   # 1..247, unique on its port
window = "w2"                 # keypads, LED bars and rating pads belong to a window

[[devices]]
id = "dispenser-2"
kind = "dispenser"
printer = "printer1"          # a port of kind "printer"
port = "bus1"                 # optional: its service buttons and help button on the bus
address = 10
buttons = ["pension", "business-registration"]   # service of button 1, 2, ...
```

A wrong file stops the bridge with a message naming the key: `bridge.toml: devices[2].address:
12 is already device "led-w2" on port "bus1"`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from firmware_bridge.frames import MAX_ADDRESS
from firmware_bridge.messages import MAX_TAKE_BUTTON
from qms.contract import ContractError, DeviceKind
from qms.contract.topics import check_id

BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
BUS_KINDS = frozenset({DeviceKind.KEYPAD, DeviceKind.LED_BAR, DeviceKind.RATING_PAD, DeviceKind.HELP_BUTTON})
WINDOW_KINDS = frozenset({DeviceKind.KEYPAD, DeviceKind.LED_BAR, DeviceKind.RATING_PAD})
DEFAULT_DATA = "bridge-data"  # beside bridge.toml


class BridgeConfigError(ValueError):
    """bridge.toml is wrong; the message names the file and the key."""

    code = "invalid_config"


class PortKind(StrEnum):
    """What speaks on a serial port."""

    RS485 = "rs485"  # the framed protocol of PROTOCOL.md, any number of devices
    PRINTER = "printer"  # one ESC/POS thermal printer


@dataclass(frozen=True, slots=True)
class PortConfig:
    """One serial port."""

    name: str
    path: str
    kind: PortKind
    baudrate: int = 9600
    frame_gap: float = 0.05  # line silence after which a partial frame is abandoned


@dataclass(frozen=True, slots=True)
class DeviceConfig:
    """One device behind the bridge."""

    id: str
    kind: DeviceKind
    port: str | None = None
    address: int | None = None
    window: str | None = None
    printer: str | None = None
    buttons: tuple[str, ...] = ()
    model: str = ""


@dataclass(frozen=True, slots=True)
class BridgeConfig:
    """The whole file."""

    id: str
    ports: tuple[PortConfig, ...]
    devices: tuple[DeviceConfig, ...]
    hall: str | None = None
    poll_interval: float = 1.0
    lost_after: float = 3.0
    transfer_window: str = "w{}"
    data: Path = Path(DEFAULT_DATA)  # the bridge's data folder (absolute from parse_config): its outbox

    def port(self, name: str) -> PortConfig:
        """The port called `name`."""
        return next(p for p in self.ports if p.name == name)

    def on_port(self, name: str) -> tuple[DeviceConfig, ...]:
        """The devices on the bus `name` (by address) or printing on it."""
        return tuple(d for d in self.devices if name in (d.port, d.printer))


def load_config(path: str | Path) -> BridgeConfig:
    """Read and check a bridge.toml; BridgeConfigError names the file and the key."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BridgeConfigError(f"{path}: cannot read: {error.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise BridgeConfigError(f"{path}: not TOML: {error}") from None
    return parse_config(data, path.name, path.absolute().parent)


def parse_config(data: dict[str, Any], source: str = "bridge.toml", folder: Path | None = None) -> BridgeConfig:
    """Check parsed TOML; a relative `data` path is taken from `folder` (bridge.toml's; default: here)."""
    r = _Reader(source)
    _only(r, "", data, {"bridge", "ports", "devices"})
    bridge = r.table("bridge", data.get("bridge"))
    _only(r, "bridge", bridge, {"id", "hall", "poll_interval", "lost_after", "transfer_window", "data"})
    bridge_id = r.id("bridge.id", bridge.get("id"))
    hall = None if bridge.get("hall") is None else r.id("bridge.hall", bridge["hall"])
    poll_interval = r.number("bridge.poll_interval", bridge.get("poll_interval", 1.0), 0.05, 60)
    lost_after = r.number("bridge.lost_after", bridge.get("lost_after", 3.0), 2 * poll_interval, 600)
    transfer_window = r.text("bridge.transfer_window", bridge.get("transfer_window", "w{}"))
    if transfer_window.count("{}") != 1:
        raise r.error("bridge.transfer_window", 'must contain "{}" once, where the typed number goes')
    try:  # else every 转移 press would fail, one by one, long after the bridge started
        check_id("bridge.transfer_window", transfer_window.format("12"))
    except (LookupError, ValueError, AttributeError, TypeError):
        message = f'{transfer_window!r} does not make a window id of a typed number, as "w{{}}" makes w12 of 12'
        raise r.error("bridge.transfer_window", message) from None
    data_path = r.text("bridge.data", bridge.get("data", DEFAULT_DATA))
    if "\0" in data_path:
        raise r.error("bridge.data", "expected a folder path")
    data_folder = (folder or Path.cwd()) / Path(data_path).expanduser()  # an absolute path stays as it is

    ports: dict[str, PortConfig] = {}
    for i, t in enumerate(r.tables("ports", data.get("ports"))):
        key = f"ports[{i}]"
        _only(r, key, t, {"name", "path", "kind", "baudrate", "frame_gap"})
        name = r.id(f"{key}.name", t.get("name"))
        if name in ports:
            raise r.error(f"{key}.name", f'"{name}" is already a port')
        kind = r.choice(f"{key}.kind", t.get("kind", "rs485"), PortKind)
        baudrate = t.get("baudrate", 9600)
        if baudrate not in BAUDRATES or isinstance(baudrate, bool):
            raise r.error(f"{key}.baudrate", f"expected one of {', '.join(map(str, BAUDRATES))}")
        gap = r.number(f"{key}.frame_gap", t.get("frame_gap", 0.05), 0.002, 1.0)
        path = r.text(f"{key}.path", t.get("path"))
        same = next((p.name for p in ports.values() if p.path == path), None)
        if same is not None:  # the bridge opens each port for itself alone: the second would never open
            raise r.error(f"{key}.path", f'"{path}" is already port "{same}"; the devices of one line share one port')
        ports[name] = PortConfig(name, path, kind, baudrate, gap)

    devices: list[DeviceConfig] = []
    taken: dict[tuple[str, int], str] = {}
    printers: dict[str, str] = {}
    for i, t in enumerate(r.tables("devices", data.get("devices"))):
        key = f"devices[{i}]"
        _only(r, key, t, {"id", "kind", "port", "address", "window", "printer", "buttons", "model"})
        device_id = r.id(f"{key}.id", t.get("id"))
        if device_id == bridge_id or any(d.id == device_id for d in devices):
            raise r.error(f"{key}.id", f'"{device_id}" is already used')
        kind = r.choice(f"{key}.kind", t.get("kind"), DeviceKind)
        if kind not in BUS_KINDS | {DeviceKind.DISPENSER}:
            raise r.error(f"{key}.kind", f"a {kind.value} does not hang off a bridge")
        window = None if t.get("window") is None else r.id(f"{key}.window", t["window"])
        if kind in WINDOW_KINDS and window is None:
            raise r.error(f"{key}.window", f'missing; a {kind.value} belongs to one window, e.g. "w1"')
        port = address = printer = None
        if t.get("port") is not None or kind in BUS_KINDS:
            port = r.text(f"{key}.port", t.get("port"))
            if ports.get(port) is None or ports[port].kind is not PortKind.RS485:
                raise r.error(f"{key}.port", f'"{port}" is not an rs485 port of [[ports]]')
            address = t.get("address")
            if not isinstance(address, int) or isinstance(address, bool) or not 1 <= address <= MAX_ADDRESS:
                raise r.error(f"{key}.address", f"expected a whole number from 1 to {MAX_ADDRESS}")
            if (port, address) in taken:
                raise r.error(f"{key}.address", f'{address} is already device "{taken[port, address]}" on "{port}"')
            taken[port, address] = device_id
        buttons: tuple[str, ...] = ()
        if kind is DeviceKind.DISPENSER:
            printer = r.text(f"{key}.printer", t.get("printer"))
            if ports.get(printer) is None or ports[printer].kind is not PortKind.PRINTER:
                raise r.error(f"{key}.printer", f'"{printer}" is not a printer port of [[ports]]')
            if printer in printers:
                raise r.error(f"{key}.printer", f'"{printer}" already prints for "{printers[printer]}"')
            printers[printer] = device_id
            raw = t.get("buttons", [])
            if not isinstance(raw, list) or len(raw) > MAX_TAKE_BUTTON:
                raise r.error(f"{key}.buttons", f"expected a list of at most {MAX_TAKE_BUTTON} service ids")
            buttons = tuple(r.id(f"{key}.buttons[{j}]", b) for j, b in enumerate(raw))
        elif "buttons" in t or "printer" in t:
            raise r.error(key, f"only a dispenser has buttons and a printer, not a {kind.value}")
        model = r.text(f"{key}.model", t.get("model", ""), allow_empty=True)
        devices.append(DeviceConfig(device_id, kind, port, address, window, printer, buttons, model))

    if not devices:
        raise r.error("devices", "no [[devices]]: a bridge with nothing behind it has nothing to do")
    for i, port_config in enumerate(ports.values()):
        if port_config.kind is PortKind.PRINTER and port_config.name not in printers:
            raise r.error(f"ports[{i}]", f'printer port "{port_config.name}" prints for no dispenser')
    return BridgeConfig(
        bridge_id, tuple(ports.values()), tuple(devices), hall, poll_interval, lost_after, transfer_window, data_folder
    )


@dataclass(frozen=True, slots=True)
class _Reader:
    source: str

    def error(self, key: str, message: str) -> BridgeConfigError:
        return BridgeConfigError(f"{self.source}: {key}: {message}" if key else f"{self.source}: {message}")

    def table(self, key: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(key, f"missing; expected a [{key}] table")
        return value

    def tables(self, key: str, value: Any) -> list[dict[str, Any]]:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(key, f"expected [[{key}]] tables")
        return value

    def text(self, key: str, value: Any, *, allow_empty: bool = False) -> str:
        if not isinstance(value, str) or (not value and not allow_empty):
            raise self.error(key, "missing; expected a text" if value is None else "expected a non-empty text")
        return value

    def id(self, key: str, value: Any) -> str:
        try:
            return check_id(key, self.text(key, value))
        except ContractError:
            raise self.error(key, f"{value!r} is not an id: lower-case letters, digits and '-'") from None

    def number(self, key: str, value: Any, low: float, high: float) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise self.error(key, f"expected a number of seconds from {low:g} to {high:g}")
        return float(value)

    def choice(self, key: str, value: Any, enum: type[StrEnum]) -> Any:
        try:
            return enum(value)
        except ValueError:
            raise self.error(key, f"{value!r} is not one of {', '.join(e.value for e in enum)}") from None


def _only(r: _Reader, key: str, table: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise r.error(
            f"{key}.{unknown[0]}" if key else unknown[0], f"unknown key; expected one of {', '.join(sorted(allowed))}"
        )
