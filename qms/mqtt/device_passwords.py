"""The passwords the server generates for devices that log in to the managed broker without a
configured hash or a demo password: made once, kept in `<data>/mqtt/device-passwords.json`
(readable by the server's user only) for provisioning, and made anew by a reset on the admin
pages. `qms sim load --devices` reads the same file.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from collections.abc import Sequence
from pathlib import Path

from qms.config.devices import DeviceConfig

PASSWORDS_FILE = "device-passwords.json"
_KEEPING = threading.Lock()  # the file: one reader-writer at a time (the broker's thread, a reset)


def device_passwords(devices: Sequence[DeviceConfig], store: Path) -> dict[str, str]:
    """Plain passwords of the devices that log in without a configured hash: the demo
    passwords of the registry, and passwords generated once and kept in `store` (0600)."""
    with _KEEPING:
        return _device_passwords(devices, store)


def _device_passwords(devices: Sequence[DeviceConfig], store: Path) -> dict[str, str]:
    kept = _kept_passwords(store)
    out: dict[str, str] = {}
    changed = False
    for d in devices:
        if d.bridge is not None or d.password_hash is not None:
            continue  # behind a bridge (it logs in for them), or a configured hash
        if d.password is not None:
            out[d.id] = d.password
            continue
        if d.id not in kept:
            kept[d.id] = secrets.token_urlsafe(18)
            changed = True
        out[d.id] = kept[d.id]
    if changed:
        _keep_passwords(store, kept)
    return out


def generated_password(store: Path, device_id: str, *, new: bool = False) -> str:
    """The password the server generated for a device (kept in `store`); with `new`, a fresh
    one replaces it (a credential reset on the admin pages)."""
    with _KEEPING:
        kept = _kept_passwords(store)
        if new or device_id not in kept:
            kept[device_id] = secrets.token_urlsafe(18)
            _keep_passwords(store, kept)
        return kept[device_id]


def _kept_passwords(store: Path) -> dict[str, str]:
    try:
        kept: dict[str, str] = json.loads(store.read_text())
    except FileNotFoundError:
        kept = {}
    return kept


def _keep_passwords(store: Path, kept: dict[str, str]) -> None:
    store.parent.mkdir(parents=True, exist_ok=True)
    tmp = store.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(kept, f, indent=2, sort_keys=True)
    tmp.replace(store)
