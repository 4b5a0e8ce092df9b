"""`[[devices]]` entries that stand for a range of alike devices (`numbers`, `id_prefix`)."""

from __future__ import annotations

import pytest

from qms.config import ConfigFileError, loads_hall
from qms.contract import DeviceKind
from tests.test_config import BASE

RANGES = """
[[devices]]
numbers = "1-3"
id_prefix = "keypad-w"
kind = "keypad"

[[devices]]
numbers = "2-4"
id_prefix = "dispenser-"
kind = "dispenser"
zone = "lobby"

[[devices]]
numbers = "1-2"
id_prefix = "led-"
window_prefix = "w"
kind = "led_bar"
"""


def test_a_range_makes_one_device_per_number_each_at_its_window() -> None:
    hall_file = loads_hall(BASE + RANGES)
    keypads = [d for d in hall_file.devices if d.kind is DeviceKind.KEYPAD]
    assert [(d.id, d.window) for d in keypads] == [("keypad-w1", "w1"), ("keypad-w2", "w2"), ("keypad-w3", "w3")]
    dispensers = [d for d in hall_file.devices if d.kind is DeviceKind.DISPENSER]
    assert [(d.id, d.window, d.zone) for d in dispensers] == [
        ("dispenser-2", None, "lobby"),
        ("dispenser-3", None, "lobby"),
        ("dispenser-4", None, "lobby"),
    ]
    assert [d.id for d in hall_file.devices if d.kind is DeviceKind.LED_BAR] == ["led-1", "led-2"]
    assert all(d.password is None and d.password_hash is None for d in hall_file.devices)  # generated ones


@pytest.mark.parametrize(
    ("entry", "key", "fragment"),
    [
        ('numbers = "1-9"\nid_prefix = "k-w"\nkind = "keypad"', "devices[0].numbers", '"w5"'),
        ('numbers = "3-1"\nid_prefix = "k-w"\nkind = "keypad"', "devices[0].numbers", "from low to high"),
        ('numbers = "1-2"\nkind = "keypad"', "devices[0].id_prefix", "missing"),
        ('numbers = "1-2"\nid_prefix = "K"\nkind = "keypad"', "devices[0].id_prefix", "device ids"),
        ('numbers = "1-2"\nid = "k"\nid_prefix = "k"\nkind = "keypad"', "devices[0].id", "id_prefix"),
        ('numbers = "1-2"\nid_prefix = "k"\nwindow = "w1"\nkind = "keypad"', "devices[0].window", "window_prefix"),
        (
            'numbers = "1-2"\nid_prefix = "d"\nwindow_prefix = "w"\nkind = "dispenser"',
            "devices[0].window_prefix",
            "a zone",
        ),
        ('id = "k"\nid_prefix = "k"\nkind = "screen"', "devices[0].id_prefix", "numbers"),
        ('numbers = "one"\nid_prefix = "k"\nkind = "screen"', "devices[0].numbers", "range"),
    ],
)
def test_range_errors_name_the_key(entry: str, key: str, fragment: str) -> None:
    with pytest.raises(ConfigFileError) as err:
        loads_hall(BASE + "\n[[devices]]\n" + entry + "\n", "hall.toml")
    assert err.value.key == key, err.value
    assert fragment in str(err.value), err.value


def test_a_range_may_not_repeat_an_id_of_another_entry() -> None:
    text = BASE + '\n[[devices]]\nid = "keypad-w2"\nkind = "keypad"\nwindow = "w2"\n' + RANGES
    with pytest.raises(ConfigFileError) as err:
        loads_hall(text, "hall.toml")
    assert err.value.key == "devices[1].numbers"
    assert '"keypad-w2" is already the id of devices[0]' in str(err.value)
