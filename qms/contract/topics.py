"""MQTT topics of contract version 1: builders for each row of the table, and one parser.

Every topic starts with `qms/1/<hall>/`; ids (hall, device, window, zone, event and command
names) are lower-case letters, digits and "-". `parse_topic` is the only way in: a topic
that does not fit raises ContractError("bad_topic"), so a handler never sees half a topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from .errors import ContractError

VERSION = "1"
PREFIX = "qms"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class TopicKind(StrEnum):
    """What a topic carries (one per row of the contract's table)."""

    SERVER = "server"  # $server
    DEVICE_STATE = "device_state"  # dev/<dev>/$state
    DEVICE_META = "device_meta"  # dev/<dev>/$meta
    EVENT = "event"  # dev/<dev>/evt/<name>
    COMMAND = "command"  # dev/<dev>/cmd/<name>
    ACK = "ack"  # dev/<dev>/ack
    DISPLAY = "display"  # window/<win>/display
    SCREEN = "screen"  # screen/<zone>
    VOICE = "voice"  # voice/<zone>


@dataclass(frozen=True, slots=True)
class Topic:
    """A parsed topic. `device` is set for dev/ topics, `name` for events and commands,
    `window` for displays, `zone` for screens and voice."""

    hall: str
    kind: TopicKind
    device: str | None = None
    name: str | None = None
    window: str | None = None
    zone: str | None = None


def check_id(what: str, value: str) -> str:
    """`value` if it is a valid id for a topic level, else ContractError("bad_id")."""
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise ContractError("bad_id", f"{what} id {value!r} must be 1-63 lower-case letters, digits and '-'")
    return value


def root(hall: str) -> str:
    """`qms/1/<hall>`: the root of one hall's topics."""
    return f"{PREFIX}/{VERSION}/{check_id('hall', hall)}"


def server(hall: str) -> str:
    """`qms/1/<hall>/$server`: the server's presence (retained; will `lost`)."""
    return f"{root(hall)}/$server"


def device_state(hall: str, device: str) -> str:
    """`.../dev/<dev>/$state`: a device's presence (retained; will `lost`)."""
    return f"{root(hall)}/dev/{check_id('device', device)}/$state"


def device_meta(hall: str, device: str) -> str:
    """`.../dev/<dev>/$meta`: what a device is (retained)."""
    return f"{root(hall)}/dev/{check_id('device', device)}/$meta"


def device_event(hall: str, device: str, name: str) -> str:
    """`.../dev/<dev>/evt/<name>`: a device event to the server (not retained)."""
    return f"{root(hall)}/dev/{check_id('device', device)}/evt/{check_id('event', name)}"


def device_command(hall: str, device: str, name: str) -> str:
    """`.../dev/<dev>/cmd/<name>`: a command from the server to a device (not retained)."""
    return f"{root(hall)}/dev/{check_id('device', device)}/cmd/{check_id('command', name)}"


def device_ack(hall: str, device: str) -> str:
    """`.../dev/<dev>/ack`: the answer to an event or a command (not retained)."""
    return f"{root(hall)}/dev/{check_id('device', device)}/ack"


def window_display(hall: str, window: str) -> str:
    """`.../window/<win>/display`: what a window's LED bar shows (retained)."""
    return f"{root(hall)}/window/{check_id('window', window)}/display"


def screen(hall: str, zone: str) -> str:
    """`.../screen/<zone>`: what a waiting-area screen shows (retained)."""
    return f"{root(hall)}/screen/{check_id('zone', zone)}"


def voice(hall: str, zone: str) -> str:
    """`.../voice/<zone>`: an announcement for a zone's speakers (not retained)."""
    return f"{root(hall)}/voice/{check_id('zone', zone)}"


# Subscription filters (MQTT wildcards: `+` one level, `#` the rest).


def all_device_events(hall: str) -> str:
    """`.../dev/+/evt/+`: what the server subscribes to for device events."""
    return f"{root(hall)}/dev/+/evt/+"


def all_device_states(hall: str) -> str:
    """`.../dev/+/$state`: every device's presence."""
    return f"{root(hall)}/dev/+/$state"


def all_window_displays(hall: str) -> str:
    """`.../window/+/display`: every window's LED bar state (the server looks for leftovers)."""
    return f"{root(hall)}/window/+/display"


def all_screens(hall: str) -> str:
    """`.../screen/+`: every zone's screen state (the server looks for leftovers)."""
    return f"{root(hall)}/screen/+"


def parse_topic(topic: str) -> Topic:
    """The parts of a contract topic; ContractError("bad_topic") if it is not one."""
    if not isinstance(topic, str):
        raise ContractError("bad_topic", "a topic is a string")
    parts = topic.split("/")
    if len(parts) < 4 or parts[0] != PREFIX:
        raise ContractError("bad_topic", f"{topic!r} is not under {PREFIX}/{VERSION}/<hall>/")
    if parts[1] != VERSION:
        raise ContractError("bad_topic", f"{topic!r} is of contract version {parts[1]!r}; this is version {VERSION}")
    hall, rest = parts[2], parts[3:]
    try:
        check_id("hall", hall)
        return _parse_rest(hall, rest)
    except ContractError as err:
        raise ContractError("bad_topic", f"{topic!r}: {err.message}") from None


def _parse_rest(hall: str, rest: list[str]) -> Topic:
    match rest:
        case ["$server"]:
            return Topic(hall, TopicKind.SERVER)
        case ["dev", device, "$state"]:
            return Topic(hall, TopicKind.DEVICE_STATE, device=check_id("device", device))
        case ["dev", device, "$meta"]:
            return Topic(hall, TopicKind.DEVICE_META, device=check_id("device", device))
        case ["dev", device, "evt", name]:
            return Topic(hall, TopicKind.EVENT, device=check_id("device", device), name=check_id("event", name))
        case ["dev", device, "cmd", name]:
            return Topic(hall, TopicKind.COMMAND, device=check_id("device", device), name=check_id("command", name))
        case ["dev", device, "ack"]:
            return Topic(hall, TopicKind.ACK, device=check_id("device", device))
        case ["window", window, "display"]:
            return Topic(hall, TopicKind.DISPLAY, window=check_id("window", window))
        case ["screen", zone]:
            return Topic(hall, TopicKind.SCREEN, zone=check_id("zone", zone))
        case ["voice", zone]:
            return Topic(hall, TopicKind.VOICE, zone=check_id("zone", zone))
    raise ContractError("bad_topic", "not a topic of the contract")
