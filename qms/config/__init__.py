"""Hall configuration (TOML files validated into the core's dataclasses) and runtime settings.

    hall_file = load_hall("examples/qingyuan.toml")   # HallFile(hall=HallConfig, staff=..., source=...)
    settings = load_settings(port=args.port)          # explicit flag > QMS_* environment > default

Every problem in a hall file raises ConfigFileError (a core ConfigError) naming the file, the
key path such as `services[3].prefix`, what is wrong and what is expected.
"""

from __future__ import annotations

from .devices import DeviceConfig
from .hall_file import HallFile, Role, StaffAccount, around_the_clock, load_hall, loads_hall
from .reader import ConfigFileError
from .settings import Settings, load_settings

__all__ = [
    "ConfigFileError",
    "DeviceConfig",
    "HallFile",
    "Role",
    "Settings",
    "StaffAccount",
    "around_the_clock",
    "load_hall",
    "load_settings",
    "loads_hall",
]
