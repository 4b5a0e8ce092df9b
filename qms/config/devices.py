"""`[[devices]]`: the hall's registry of MQTT devices, and `[ratings]`.

Every device that talks to the broker is listed: its id (its MQTT user name and the `<dev>`
of its topics), its kind, the window it belongs to (keypads, LED bars and rating pads act
for that window only), its zone (screens and help buttons), the bridge it hangs off (serial
devices behind `firmware_bridge`) and how it logs in to the broker:

- `password_hash`: a Mosquitto hash (`$7$...`, made with `mosquitto_passwd`), for production;
- `password`: a plain password, allowed only in a demo hall (`[hall] demo = true`);
- neither: the server generates a password on first start and keeps it in its data directory
  (`mqtt/device-passwords.json`, readable by the server's user only) for provisioning.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from ..contract import WINDOW_KINDS, DeviceKind
from ..core.model import WindowConfig
from .reader import TEXT, Table, choice, number, pattern
from .sections import ID

MOSQUITTO_HASH = pattern(
    re.compile(r"\$[67]\$[A-Za-z0-9+/=$]+"),
    'a Mosquitto password hash such as "$7$101$..." made with `mosquitto_passwd`',
)
DEFAULT_RATING_MINUTES = 10.0


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
    devices: list[DeviceConfig] = []
    where: dict[str, str] = {}
    for t in root.tables("devices"):
        t.only("id", "kind", "window", "zone", "bridge", "password", "password_hash")
        device_id = t.get("id", ID)
        if device_id in where:
            raise t.error(f"{json.dumps(device_id)} is already the id of {where[device_id]}", "id")
        where[device_id] = t.path
        t = t.with_context(f"device {json.dumps(device_id)}")
        kind = t.get("kind", choice(DeviceKind))
        window = t.get("window", ID, None)
        if kind in WINDOW_KINDS and window is None:
            raise t.error(f'missing; a {kind.value} belongs to one window: expected a window id such as "w1"', "window")
        if kind not in WINDOW_KINDS and window is not None:
            raise t.error(f'a {kind.value} belongs to a zone, not a window; expected zone = "..."', "window")
        if window is not None and window not in by_window:
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
        devices.append(
            DeviceConfig(
                id=device_id,
                kind=kind,
                window=window,
                zone=zone,
                bridge=t.get("bridge", ID, None),
                password=t.get("password", TEXT, None),
                password_hash=t.get("password_hash", MOSQUITTO_HASH, None),
            )
        )
    ids = {d.id: d for d in devices}
    for t, d in zip(root.tables("devices"), devices, strict=True):
        if d.bridge is not None:
            parent = ids.get(d.bridge)
            if parent is None or parent.kind is not DeviceKind.BRIDGE:
                raise t.node("bridge").misfit('the id of a [[devices]] entry of kind "bridge"')
    return tuple(devices)


def parse_rating_minutes(t: Table) -> float:
    """[ratings]: `within_minutes`, how long after a service ends its rating pad may rate it."""
    t.only("within_minutes")
    return t.get("within_minutes", number(positive=True), DEFAULT_RATING_MINUTES)
