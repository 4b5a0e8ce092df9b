"""The presence of the devices behind a bridge: `init`, `ready`, `lost`, from the parts that make each device.

A device is made of parts that answer separately: a keypad is its bus address; a dispenser is its
printer and, if it has one, its button panel on the bus. The device is `ready` when every part
answers, `lost` as soon as one does not, and `init` while a part has not been heard yet. Changed
states are queued for publishing (latest state wins: a burst of changes publishes the last one).
"""

from __future__ import annotations

import asyncio
import logging
from enum import StrEnum

from firmware_bridge.config import DeviceConfig
from qms.contract import DeviceState

log = logging.getLogger(__name__)


class Part(StrEnum):
    """What answers for a device."""

    BUS = "bus"  # its address on an RS-485 bus
    PRINTER = "printer"  # a dispenser's thermal printer


class Presence:
    """States of the devices, and the ones still to publish."""

    def __init__(self, devices: tuple[DeviceConfig, ...]) -> None:
        self.states: dict[str, DeviceState] = {d.id: DeviceState.INIT for d in devices}
        self._parts: dict[str, dict[Part, bool | None]] = {}
        for d in devices:
            parts = ([Part.BUS] if d.port else []) + ([Part.PRINTER] if d.printer else [])
            self._parts[d.id] = dict.fromkeys(parts)
        self._dirty: set[str] = set()
        self._dirty_wake = asyncio.Event()
        self._changed = asyncio.Event()

    def set(self, device_id: str, part: Part, up: bool) -> None:
        """A part of a device answers (`up`) or stopped answering."""
        parts = self._parts[device_id]
        parts[part] = up
        values = list(parts.values())
        state = DeviceState.LOST if False in values else DeviceState.INIT if None in values else DeviceState.READY
        if state is not self.states[device_id]:
            log.info("%s is %s", device_id, state.value)
            self.states[device_id] = state
            self._dirty.add(device_id)
            self._dirty_wake.set()
            self._changed.set()

    def all_published(self) -> None:
        """Every state was just published (on connecting): nothing is pending."""
        self._dirty.clear()

    async def changed_states(self) -> list[tuple[str, DeviceState]]:
        """Wait for states to publish; returns them (each device once, its latest state)."""
        while not self._dirty:
            self._dirty_wake.clear()
            await self._dirty_wake.wait()
        changed = [(device_id, self.states[device_id]) for device_id in sorted(self._dirty)]
        self._dirty.clear()
        return changed

    async def wait_for(self, device_id: str, state: DeviceState) -> None:
        """Wait until the device is in `state` (wrap it in a timeout)."""
        while self.states[device_id] is not state:
            self._changed.clear()
            await self._changed.wait()
