"""Device emulators on pseudo-terminals, so that the whole chain runs without hardware.

`python -m firmware_bridge.emulators keypad --pty` prints the pty path to give the bridge, then
takes presses from stdin; tests use the classes directly.
"""

from .bus_device import BusDeviceEmulator, SharedBus
from .printer import PrinterEmulator
from .pty_port import PtyPort

__all__ = ["BusDeviceEmulator", "PrinterEmulator", "PtyPort", "SharedBus"]
