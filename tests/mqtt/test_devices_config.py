"""`[[devices]]` and `[ratings]` in hall files, the broker's files made from them, the settings."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from qms.config import ConfigFileError, load_settings, loads_hall
from qms.contract import DeviceKind
from qms.core.errors import ConfigError
from qms.mqtt.broker import acl_text, device_passwords, parse_url
from tests.test_config import BASE

DEVICES = """
[[devices]]
id = "keypad-w1"
kind = "keypad"
window = "w1"

[[devices]]
id = "bridge-1"
kind = "bridge"

[[devices]]
id = "pad-w1"
kind = "rating_pad"
window = "w1"
bridge = "bridge-1"

[[devices]]
id = "dispenser-1"
kind = "dispenser"
zone = "lobby"
password_hash = "$7$101$c2FsdHNhbHQ=$aGFzaGhhc2g="
"""


def test_devices_load_with_zones_and_bridges() -> None:
    hall_file = loads_hall(BASE + DEVICES + "\n[ratings]\nwithin_minutes = 5\n")
    assert [d.id for d in hall_file.devices] == ["keypad-w1", "bridge-1", "pad-w1", "dispenser-1"]
    keypad = hall_file.device("keypad-w1")
    assert keypad is not None and keypad.kind is DeviceKind.KEYPAD and keypad.zone == "main"
    assert hall_file.device("pad-w1").bridge == "bridge-1"  # type: ignore[union-attr]
    assert hall_file.device("dispenser-1").zone == "lobby"  # type: ignore[union-attr]
    assert hall_file.hall.rating_minutes == 5
    assert loads_hall(BASE).hall.rating_minutes == 10  # the default
    assert "hash" not in repr(hall_file.device("dispenser-1"))  # never in a log


@pytest.mark.parametrize(
    ("entry", "key", "fragment"),
    [
        ('id = "k"\nkind = "keypad"', "devices[0].window", "belongs to one window"),
        ('id = "k"\nkind = "keypad"\nwindow = "w9"', "devices[0].window", "one of the hall's windows"),
        ('id = "k"\nkind = "dispenser"\nwindow = "w1"', "devices[0].window", "belongs to a zone"),
        ('id = "k"\nkind = "toaster"', "devices[0].kind", '"keypad"'),
        ('id = "K 1"\nkind = "screen"', "devices[0].id", "lower-case"),
        ('id = "k"\nkind = "screen"\npassword = "x"', "devices[0].password", "only in a demo hall"),
        ('id = "k"\nkind = "screen"\npassword_hash = "plain"', "devices[0].password_hash", "mosquitto_passwd"),
        ('id = "k"\nkind = "screen"\nbridge = "nobody"', "devices[0].bridge", '"bridge"'),
        ('id = "k"\nkind = "screen"\ncolour = "red"', "devices[0].colour", "unknown key"),
        ('id = "qms-server"\nkind = "screen"', "devices[0].id", "the server's own broker login"),
    ],
)
def test_device_errors_name_the_key(entry: str, key: str, fragment: str) -> None:
    with pytest.raises(ConfigFileError) as err:
        loads_hall(BASE + "\n[[devices]]\n" + entry + "\n", "hall.toml")
    assert err.value.key == key, err.value
    assert fragment in str(err.value)


def test_two_devices_with_one_id_are_refused() -> None:
    with pytest.raises(ConfigFileError) as err:
        loads_hall(BASE + '\n[[devices]]\nid = "k"\nkind = "screen"\n[[devices]]\nid = "k"\nkind = "screen"\n')
    assert err.value.key == "devices[1].id"


def test_ratings_section_is_checked() -> None:
    with pytest.raises(ConfigFileError) as err:
        loads_hall(BASE + "\n[ratings]\nwithin_minutes = 0\n")
    assert err.value.key == "ratings.within_minutes"


def test_acl_lets_each_device_write_only_under_its_own_topics() -> None:
    devices = loads_hall(BASE + DEVICES).devices
    acl = acl_text("test-hall", devices)
    blocks = {b.splitlines()[0]: b.splitlines()[1:] for b in acl.strip().split("\n\n")}
    assert blocks["user qms-server"] == ["topic readwrite qms/1/test-hall/#"]
    assert blocks["user keypad-w1"] == [
        "topic read qms/1/test-hall/#",
        "topic readwrite qms/1/test-hall/dev/keypad-w1/#",
    ]
    # the bridge speaks for the rating pad behind it, which has no login of its own
    assert "topic readwrite qms/1/test-hall/dev/pad-w1/#" in blocks["user bridge-1"]
    assert "user pad-w1" not in blocks


def test_generated_passwords_are_kept_private_and_stable(tmp_path: Path) -> None:
    devices = loads_hall(BASE + DEVICES).devices
    store = tmp_path / "mqtt" / "device-passwords.json"
    first = device_passwords(devices, store)
    assert set(first) == {"keypad-w1", "bridge-1"}  # not the bridged pad, not the hashed dispenser
    assert first == device_passwords(devices, store)
    assert json.loads(store.read_text()) == first
    assert os.stat(store).st_mode & 0o077 == 0


def test_mqtt_settings_and_urls() -> None:
    settings = load_settings(environ={"QMS_MQTT_URL": "mqtt://qms:s%40cret@broker.hall:1884", "QMS_MQTT_PORT": "2883"})
    assert settings.mqtt_port == 2883
    address = parse_url(settings.mqtt_url or "")
    assert (address.host, address.port, address.username, address.password) == ("broker.hall", 1884, "qms", "s@cret")
    assert "s@cret" not in address.url() and "s@cret" not in repr(address)
    assert parse_url("mqtt://h").port == 1883
    for bad in ("http://h", "mqtt://", "mqtt://h:99999"):
        with pytest.raises(ConfigError):
            parse_url(bad)
    with pytest.raises(ConfigError):
        load_settings(environ={"QMS_MQTT_PORT": "none"})
