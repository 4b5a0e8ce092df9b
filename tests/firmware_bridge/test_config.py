"""bridge.toml: a good file loads; a wrong one names the key and what is expected."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from firmware_bridge.config import BridgeConfigError, PortKind, load_config, parse_config
from qms.contract import DeviceKind

EXAMPLE = Path(__file__).parents[2] / "firmware_bridge" / "bridge.example.toml"
DEVICE = '[[ports]]\nname = "bus"\npath = "/dev/ttyUSB8"\n[[devices]]\nid = "k1"\nkind = "keypad"\nport = "bus"\n'
DEVICE += 'address = 1\nwindow = "w1"\n'


def good() -> dict:
    return {
        "bridge": {"id": "bridge-1", "hall": "qingyuan"},
        "ports": [
            {"name": "bus1", "path": "/dev/ttyUSB0", "kind": "rs485", "baudrate": 9600},
            {"name": "printer1", "path": "/dev/ttyUSB1", "kind": "printer", "baudrate": 115200},
        ],
        "devices": [
            {"id": "keypad-w2", "kind": "keypad", "port": "bus1", "address": 1, "window": "w2"},
            {"id": "led-w2", "kind": "led_bar", "port": "bus1", "address": 2, "window": "w2"},
            {"id": "dispenser-1", "kind": "dispenser", "printer": "printer1", "buttons": ["pension"]},
        ],
    }


def test_the_example_file_loads() -> None:
    config = load_config(EXAMPLE)
    assert config.id == "bridge-1" and config.hall == "qingyuan"
    assert {p.kind for p in config.ports} == {PortKind.RS485, PortKind.PRINTER}
    kinds = {d.kind for d in config.devices}
    assert {DeviceKind.KEYPAD, DeviceKind.LED_BAR, DeviceKind.RATING_PAD, DeviceKind.DISPENSER} <= kinds


def test_a_good_table_parses_with_defaults() -> None:
    config = parse_config(good())
    assert (config.poll_interval, config.lost_after, config.transfer_window) == (1.0, 3.0, "w{}")
    dispenser = config.devices[2]
    assert (dispenser.printer, dispenser.port, dispenser.address, dispenser.buttons) == (
        "printer1",
        None,
        None,
        ("pension",),
    )
    assert [d.id for d in config.on_port("bus1")] == ["keypad-w2", "led-w2"]


def change(path: str, value: object) -> dict:
    data = good()
    *parents, last = path.split(".")
    target = data
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("bridge.id", "Bridge 1", "bridge.id: 'Bridge 1' is not an id"),
        ("bridge.poll_interval", 0, "bridge.poll_interval: expected a number of seconds from 0.05 to 60"),
        ("bridge.lost_after", 1.0, "bridge.lost_after: expected a number of seconds from 2 to 600"),
        ("bridge.transfer_window", "w", 'must contain "{}" once'),
        ("bridge.transfer_window", "w{n}{}", "bridge.transfer_window: 'w{n}{}' does not make a window id"),
        ("bridge.transfer_window", "W-{}", "bridge.transfer_window: 'W-{}' does not make a window id"),
        ("bridge.colour", "red", "bridge.colour: unknown key"),
        ("bridge.data", "", "bridge.data: expected a non-empty text"),
        ("bridge.data", 7, "bridge.data: expected a non-empty text"),
        ("ports.0.baudrate", 9601, "ports[0].baudrate: expected one of 1200"),
        ("ports.1.name", "bus1", 'ports[1].name: "bus1" is already a port'),
        ("ports.0.kind", "can", "ports[0].kind: 'can' is not one of rs485, printer"),
        ("ports.1.path", "/dev/ttyUSB0", 'ports[1].path: "/dev/ttyUSB0" is already port "bus1"'),
        ("devices.1.address", 1, 'devices[1].address: 1 is already device "keypad-w2" on "bus1"'),
        ("devices.1.address", 248, "devices[1].address: expected a whole number from 1 to 247"),
        ("devices.1.address", ..., "devices[1].address: expected a whole number"),
        ("devices.0.window", ..., "devices[0].window: missing; a keypad belongs to one window"),
        ("devices.0.port", "printer1", 'devices[0].port: "printer1" is not an rs485 port'),
        ("devices.0.kind", "screen", "devices[0].kind: a screen does not hang off a bridge"),
        ("devices.2.printer", "bus1", 'devices[2].printer: "bus1" is not a printer port'),
        ("devices.2.buttons", ["Pension"], "devices[2].buttons[0]: 'Pension' is not an id"),
        ("devices.1.id", "keypad-w2", 'devices[1].id: "keypad-w2" is already used'),
        ("devices.0.buttons", ["pension"], "devices[0]: only a dispenser has buttons and a printer"),
        ("devices", [], "devices: no [[devices]]"),
    ],
)
def test_a_wrong_file_names_the_key(path: str, value: object, message: str) -> None:
    with pytest.raises(BridgeConfigError) as caught:
        parse_config(change(path, value), "bridge.toml")
    assert str(caught.value).startswith("bridge.toml: ") and message in str(caught.value)


def test_the_data_folder_is_beside_bridge_toml_unless_given_as_an_absolute_path(tmp_path: Path) -> None:
    # A relative path means the same folder whatever the bridge's working directory (a service's is /).
    assert parse_config(good(), folder=tmp_path).data == tmp_path / "bridge-data"
    (tmp_path / "bridge.toml").write_text('[bridge]\nid = "bridge-1"\ndata = "var/outbox"\n' + DEVICE)
    assert load_config(tmp_path / "bridge.toml").data == tmp_path / "var" / "outbox"
    (tmp_path / "bridge.toml").write_text(f'[bridge]\nid = "bridge-1"\ndata = "{tmp_path / "abs"}"\n' + DEVICE)
    assert load_config(tmp_path / "bridge.toml").data == tmp_path / "abs"


def test_a_data_folder_the_bridge_cannot_use_stops_it_with_a_clear_message(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file, not a folder")
    (tmp_path / "bridge.toml").write_text('[bridge]\nid = "bridge-1"\ndata = "taken/outbox"\n' + DEVICE)
    args = ["--broker", "mqtt://127.0.0.1:1", "--hall", "h1", "--config", str(tmp_path / "bridge.toml")]
    done = subprocess.run(
        [sys.executable, "-m", "firmware_bridge", *args], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {tmp_path / 'taken' / 'outbox'}: cannot make the bridge's data folder")


def test_a_file_that_is_not_toml_or_not_there(tmp_path: Path) -> None:
    broken = tmp_path / "bridge.toml"
    broken.write_text("[bridge\nid = 1")
    with pytest.raises(BridgeConfigError, match="not TOML"):
        load_config(broken)
    with pytest.raises(BridgeConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")


def test_a_printer_port_no_dispenser_prints_on_is_named(tmp_path: Path) -> None:
    # Left over from a dispenser taken away: the bridge stopped with a traceback
    # ("coroutine raised StopIteration") instead of saying what is wrong.
    data = good()
    data["ports"].append({"name": "spare", "path": "/dev/ttyUSB7", "kind": "printer"})
    with pytest.raises(BridgeConfigError) as caught:
        parse_config(data, "bridge.toml")
    assert str(caught.value) == 'bridge.toml: ports[2]: printer port "spare" prints for no dispenser'
    (tmp_path / "bridge.toml").write_text(
        '[bridge]\nid = "bridge-1"\n[[ports]]\nname = "spare"\npath = "/dev/ttyUSB7"\nkind = "printer"\n'
        '[[ports]]\nname = "bus"\npath = "/dev/ttyUSB8"\n'
        '[[devices]]\nid = "keypad-w1"\nkind = "keypad"\nport = "bus"\naddress = 1\nwindow = "w1"\n'
    )
    args = ["--broker", "mqtt://127.0.0.1:1", "--hall", "h1", "--config", str(tmp_path / "bridge.toml")]
    done = subprocess.run(
        [sys.executable, "-m", "firmware_bridge", *args], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 2
    assert done.stderr == 'error: bridge.toml: ports[0]: printer port "spare" prints for no dispenser\n'
