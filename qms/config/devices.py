"""`[[devices]]`: the hall's registry of MQTT devices, and `[ratings]`.

Every device that talks to the broker is listed: its id (its MQTT user name and the `<dev>`
of its topics), its kind, the window it belongs to (keypads, LED bars and rating pads act
for that window only), its zone (screens and help buttons), the bridge it hangs off (serial
devices behind `firmware_bridge`) and how it logs in to the broker:

- `password_hash`: a Mosquitto hash (`$7$...`, made with `mosquitto_passwd`), for production;
- `password`: a plain password, allowed only in a demo hall (`[hall] demo = true`);
- neither: the server generates a password on first start and keeps it in its data directory
  (`mqtt/device-passwords.json`, readable by the server's user only) for provisioning.

One entry may stand for a range of alike devices, as `[[windows]]` does: `numbers = "3-54"`
with `id_prefix = "keypad-w"` makes keypad-w3 .. keypad-w54, each for the window of the same
number (`window_prefix` + number, default "w"); devices of a zone get only their ids.

These entries seed the server's stored registry on first start (qms/storage/devices.py); from
then on the admin pages keep the registry and the stored one wins.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from ..contract import WINDOW_KINDS, DeviceKind
from ..core.model import ID_PATTERN, WindowConfig
from .reader import TEXT, Table, choice, number, pattern
from .sections import ID, MAX_RANGE, WINDOW_RANGE

DEVICE_PREFIX = pattern(re.compile(r"[a-z0-9][a-z0-9-]*"), 'the start of device ids, such as "keypad-w"')

MOSQUITTO_HASH_PATTERN = re.compile(r"\$[67]\$[A-Za-z0-9+/=$]+")
MOSQUITTO_HASH = pattern(
    MOSQUITTO_HASH_PATTERN,
    'a Mosquitto password hash such as "$7$101$..." made with `mosquitto_passwd`',
)
DEFAULT_RATING_MINUTES = 10.0
#: the managed broker's own users (qms.mqtt.broker): no device may take their names
RESERVED_IDS = frozenset({"qms-server", "qms-reload-probe"})


@dataclass(frozen=True, slots=True)
class DeviceConfig:
    """One registered device (see the module docstring)."""

    id: str
    kind: DeviceKind
    window: str | None = None
    zone: str = "main"
    bridge: str | None = None
    password: str | None = field(default=None, repr=False)  # demo halls only
    password_hash: str | None = field(default=None, repr=False)


def parse_devices(root: Table, windows: tuple[WindowConfig, ...], *, demo: bool) -> tuple[DeviceConfig, ...]:
    """The [[devices]] entries, checked against the hall's windows and each other."""
    by_window = {w.id: w for w in windows}
    where: dict[str, str] = {}
    entries: list[tuple[Table, DeviceConfig]] = []
    for t in root.tables("devices"):
        t.only("id", "numbers", "id_prefix", "window_prefix", "kind", "window", "zone", "bridge", "password",
               "password_hash")  # fmt: skip
        kind = t.get("kind", choice(DeviceKind))
        for device_id, window in _ids_and_windows(t, kind):
            if device_id in RESERVED_IDS:
                raise t.error(
                    f"{json.dumps(device_id)} is the server's own broker login; choose another id", _id_key(t)
                )
            if device_id in where:
                raise t.error(f"{json.dumps(device_id)} is already the id of {where[device_id]}", _id_key(t))
            where[device_id] = t.path
            context = t.with_context(f"device {json.dumps(device_id)}")
            device = _device(context, device_id, kind, window, by_window, demo)
            entries.append((t, device))
    ids = {d.id: d for _, d in entries}
    for t, d in entries:
        if d.bridge is not None:
            parent = ids.get(d.bridge)
            if parent is None or parent.kind is not DeviceKind.BRIDGE:
                raise t.node("bridge").misfit('the id of a [[devices]] entry of kind "bridge"')
    return tuple(d for _, d in entries)


def _id_key(t: Table) -> str:
    return "numbers" if t.has("numbers") else "id"


def _ids_and_windows(t: Table, kind: DeviceKind) -> list[tuple[str, str | None]]:
    """The ids an entry stands for, with each one's window (given, or made from the number)."""
    if not t.has("numbers"):
        for alone in ("id_prefix", "window_prefix"):
            if t.has(alone):
                raise t.error('only allowed with "numbers"; a single device sets "id"', alone)
        return [(t.get("id", ID), t.get("window", ID, None))]
    for alone in ("id", "window"):
        if t.has(alone):
            raise t.error(f'not allowed with "numbers"; a range entry sets "{alone}_prefix" instead', alone)
    node = t.node("numbers")
    first, last = (int(x) for x in node.read(WINDOW_RANGE).split("-"))
    if not first <= last < first + MAX_RANGE:
        raise node.misfit(f'a range of at most {MAX_RANGE} numbers, from low to high, such as "3-54"')
    prefix = t.get("id_prefix", DEVICE_PREFIX)
    if kind not in WINDOW_KINDS and t.has("window_prefix"):
        raise t.error(f"a {kind.value} belongs to a zone, not a window; leave window_prefix out", "window_prefix")
    window_prefix = t.get("window_prefix", DEVICE_PREFIX, "w") if kind in WINDOW_KINDS else None
    out: list[tuple[str, str | None]] = []
    for n in range(first, last + 1):
        device_id = f"{prefix}{n}"
        if not ID_PATTERN.fullmatch(device_id):
            raise t.node("id_prefix").error(f"makes the device id {json.dumps(device_id)}, which is too long")
        out.append((device_id, None if window_prefix is None else f"{window_prefix}{n}"))
    return out


def _device(
    t: Table, device_id: str, kind: DeviceKind, window: str | None, by_window: dict[str, WindowConfig], demo: bool
) -> DeviceConfig:
    """One device of an entry, checked against the hall's windows."""
    if kind in WINDOW_KINDS and window is None:
        raise t.error(f'missing; a {kind.value} belongs to one window: expected a window id such as "w1"', "window")
    if kind not in WINDOW_KINDS and window is not None:
        raise t.error(f'a {kind.value} belongs to a zone, not a window; expected zone = "..."', "window")
    if window is not None and window not in by_window:
        if t.has("numbers"):
            raise t.error(f"makes window {json.dumps(window)}, which is not one of the hall's windows", "numbers")
        raise t.node("window").misfit("the id of one of the hall's windows")
    default_zone = by_window[window].zone if window is not None else "main"
    zone = t.get("zone", ID, default_zone)
    if t.has("password") and t.has("password_hash"):
        raise t.error("give password_hash or password, not both", "password")
    if t.has("password") and not demo:
        raise t.error(
            "a plain password is allowed only in a demo hall ([hall] demo = true); give password_hash "
            "(from mosquitto_passwd) or leave both out to have the server generate one",
            "password",
        )
    return DeviceConfig(
        id=device_id,
        kind=kind,
        window=window,
        zone=zone,
        bridge=t.get("bridge", ID, None),
        password=t.get("password", TEXT, None),
        password_hash=t.get("password_hash", MOSQUITTO_HASH, None),
    )


def parse_rating_minutes(t: Table) -> float:
    """[ratings]: `within_minutes`, how long after a service ends its rating pad may rate it."""
    t.only("within_minutes")
    return t.get("within_minutes", number(positive=True), DEFAULT_RATING_MINUTES)
